//! The batch check's field parsers (HS code, country, date) on arbitrary bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = embargo_regime::HsCode::parse_bytes(data);
    let _ = embargo_records::fields::date_ymd(data);
    let _ = embargo_regime::Country::from_bytes(data);
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = embargo_regime::HsCode::parse(s);
        let _ = embargo_regime::HsCode::parse_truncating(s);
        let _ = embargo_regime::HsSpec::parse_range(s);
        let _ = embargo_regime::paragraph_is_well_formed(s);
    }
});
