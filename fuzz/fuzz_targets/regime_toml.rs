//! The regime loader must return a regime or a list of issues on any file, never panic.
//! Seeds: the bundled regime files (data/regimes/dprk/*.toml).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = embargo_regime::Regime::validate_sources(vec![("fuzz.toml".to_string(), text.to_string())], None);
    }
});
