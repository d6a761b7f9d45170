use embargo_records::fields::date_ymd;
use proptest::prelude::*;

proptest! {
    #[test]
    fn fast_date_parser_agrees_with_chrono(y in 1900i32..2100, m in 0u32..14, d in 0u32..33) {
        let text = format!("{y:04}-{m:02}-{d:02}");
        prop_assert_eq!(date_ymd(text.as_bytes()), chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok());
    }
}
