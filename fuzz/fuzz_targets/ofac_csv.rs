//! The OFAC reader (sdn.csv with remarks parsing) must never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = embargo_screen::ofac::parse_sdn(data, std::path::Path::new("sdn.csv"));
    // The same bytes as an alt.csv / add.csv joined to a one-row sdn.csv.
    let sdn: &[u8] = b"1,\"A\",-0- ,\"DPRK\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n";
    let p = std::path::Path::new("x.csv");
    let _ = embargo_screen::ofac::parse_set((p, sdn), Some((p, data)), None, None);
    let _ = embargo_screen::ofac::parse_set((p, sdn), None, Some((p, data)), None);
});
