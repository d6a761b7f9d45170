//! The UN consolidated-list reader must return Ok or a typed error on any input, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = embargo_screen::un::parse(data, std::path::Path::new("fuzz.xml"));
});
