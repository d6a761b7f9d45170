//! Country codes. Comtrade files use ISO 3166-1 alpha-3 (`CHN`, `PRK`); the command line
//! and the regime use alpha-2 (`CN`, `KP`). The store keeps alpha-2 so both meet.

use crate::iso3166::ISO3_TO_ISO2;

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
            match ISO3_TO_ISO2.binary_search_by(|(a3, _)| (*a3).cmp(c.as_str())) {
                Ok(i) => ISO3_TO_ISO2
                    .get(i)
                    .map(|(_, a2)| (*a2).to_string())
                    .unwrap_or(c),
                Err(_) => c,
            }
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

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(ISO3_TO_ISO2.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
