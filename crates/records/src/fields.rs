//! Fields read from bytes without allocating: the hot paths of batch readers, which
//! would otherwise spend most of a row in UTF-8 checks and formatters.

use chrono::NaiveDate;

/// YYYY-MM-DD from bytes, without allocating (the batch's hot path).
pub fn date_ymd(s: &[u8]) -> Option<NaiveDate> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let num = |b: &[u8]| -> Option<u32> {
        let mut v = 0u32;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let y = num(&s[0..4])?;
    let m = num(&s[5..7])?;
    let d = num(&s[8..10])?;
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impossible_dates_are_rejected_by_the_fast_parser() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        assert!(date_ymd(b"2017-02-30").is_none());
        assert!(date_ymd(b"2017-13-01").is_none());
        assert!(date_ymd(b"17-09-15").is_none());
        assert_eq!(date_ymd(b"2016-02-29"), d("2016-02-29"));
    }
}
