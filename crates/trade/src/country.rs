//! Country codes. Comtrade files use ISO 3166-1 alpha-3 (`CHN`, `PRK`); the command line
//! and the regime use alpha-2 (`CN`, `KP`). The store keeps alpha-2 so both meet; the
//! table is the regime crate's (data/countries.csv, from Debian's iso-codes).

use embargo_regime::Country;

/// The DPRK (ISO alpha-2). It reports no trade statistics; its trade is read from partners.
pub const DPRK: &str = "KP";
/// Comtrade's "World" partner: an aggregate over all partners.
pub const WORLD: &str = "WLD";

/// Normalise a country code to alpha-2 where we know it. Comtrade aggregates (`WLD`,
/// `W00`, `_X`, ...) keep their own code, upper-cased, so nothing is lost.
pub fn normalise(code: &str) -> String {
    let c = code.trim().to_ascii_uppercase();
    match c.len() {
        2 if c.bytes().all(|b| b.is_ascii_alphabetic()) => c,
        3 => {
            if c == "W00" || c == "WLD" {
                return WORLD.to_string();
            }
            Country::from_alpha3(&c).map_or(c, |k| k.code().to_string())
        }
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha3_maps_to_alpha2() {
        assert_eq!(normalise("CHN"), "CN");
        assert_eq!(normalise("prk"), "KP");
        assert_eq!(normalise("RUS"), "RU");
        assert_eq!(normalise("KP"), "KP");
        assert_eq!(normalise("W00"), "WLD");
        assert_eq!(normalise("_X "), "_X");
    }
}
