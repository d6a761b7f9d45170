//! Name normalization and comparison on arbitrary UTF-8 must never panic and stay in 0..=1.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let (a, b) = s.split_at(s.char_indices().nth(s.chars().count() / 2).map(|(i, _)| i).unwrap_or(0));
        if let Some(c) = embargo_names::compare::compare_names(a, b, &Default::default()) {
            assert!((0.0..=1.0).contains(&c.score));
        }
    }
});
