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

/// [`normalise`] without an allocation for a code that is already alpha-2 upper case
/// or an alpha-3 code the table knows (nearly every row of a statistics file).
pub fn normalise_borrowed(code: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let c = code.trim();
    let b = c.as_bytes();
    if b.len() == 2 && b.iter().all(u8::is_ascii_uppercase) {
        return Cow::Borrowed(c);
    }
    if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
        if let Some(two) = alpha2_of(c) {
            return Cow::Borrowed(two);
        }
    }
    Cow::Owned(normalise(c))
}

/// The alpha-2 code of an upper-case alpha-3 code (`W00` and `WLD` are `WLD`), borrowed
/// from a string of every two-letter pair.
fn alpha2_of(alpha3: &str) -> Option<&'static str> {
    static PAIRS: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if alpha3 == "W00" || alpha3 == WORLD {
        return Some(WORLD);
    }
    let [a, b] = *Country::from_alpha3(alpha3)?.code_bytes();
    let pairs = PAIRS.get_or_init(|| {
        (b'A'..=b'Z')
            .flat_map(|x| (b'A'..=b'Z').flat_map(move |y| [char::from(x), char::from(y)]))
            .collect()
    });
    let at = (usize::from(a.checked_sub(b'A')?) * 26 + usize::from(b.checked_sub(b'A')?)) * 2;
    pairs.get(at..at + 2)
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
        for code in [
            "CHN", "prk", "RUS", "KP", "kp", "W00", "WLD", "_X ", "ZZZ", "C", "",
        ] {
            assert_eq!(normalise_borrowed(code), normalise(code), "{code}");
        }
    }
}
