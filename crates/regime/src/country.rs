//! ISO 3166-1 alpha-2 country codes, validated against the table in data/countries.csv
//! (generated from Debian's iso-codes 4.15.0, /usr/share/iso-codes/json/iso_3166-1.json).

use serde::{Serialize, Serializer};
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

const COUNTRIES_CSV: &str = include_str!("../../../data/countries.csv");

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountryError {
    #[error("country code {0:?} is not an ISO 3166-1 alpha-2 code")]
    Unknown(String),
}

/// A valid ISO 3166-1 alpha-2 code (upper case). `KP` is the DPRK.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country([u8; 2]);

fn table() -> &'static HashMap<[u8; 2], (String, String)> {
    static TABLE: OnceLock<HashMap<[u8; 2], (String, String)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::new();
        let mut rdr = csv::Reader::from_reader(COUNTRIES_CSV.as_bytes());
        for rec in rdr.records().flatten() {
            let (Some(a2), Some(a3), Some(name)) = (rec.get(0), rec.get(1), rec.get(2)) else {
                continue;
            };
            let b = a2.as_bytes();
            if b.len() == 2 {
                map.insert([b[0], b[1]], (a3.to_string(), name.to_string()));
            }
        }
        map
    })
}

/// Which of the 26x26 two-letter codes are assigned, for the per-row lookup.
fn valid_alpha2() -> &'static [bool; 676] {
    static VALID: OnceLock<[bool; 676]> = OnceLock::new();
    VALID.get_or_init(|| {
        let mut v = [false; 676];
        for k in table().keys() {
            if k[0].is_ascii_uppercase() && k[1].is_ascii_uppercase() {
                v[usize::from(k[0] - b'A') * 26 + usize::from(k[1] - b'A')] = true;
            }
        }
        v
    })
}

impl Country {
    pub const DPRK: Country = Country(*b"KP");

    /// Parse an alpha-2 code (case-insensitive) or an alpha-3 code such as "PRK".
    pub fn parse(s: &str) -> Result<Country, CountryError> {
        let t = s.trim().to_ascii_uppercase();
        let b = t.as_bytes();
        if b.len() == 2 && table().contains_key(&[b[0], b[1]]) {
            return Ok(Country([b[0], b[1]]));
        }
        if b.len() == 3 {
            if let Some(c) = Country::from_alpha3(&t) {
                return Ok(c);
            }
        }
        Err(CountryError::Unknown(s.to_string()))
    }

    /// An ISO 3166-1 alpha-3 code (`PRK`, `CHN`; upper case), as Comtrade files write
    /// countries. One table (data/countries.csv) serves both code forms.
    pub fn from_alpha3(code: &str) -> Option<Country> {
        static BY_ALPHA3: OnceLock<HashMap<String, Country>> = OnceLock::new();
        BY_ALPHA3
            .get_or_init(|| {
                table()
                    .iter()
                    .map(|(a2, (a3, _))| (a3.clone(), Country(*a2)))
                    .collect()
            })
            .get(code)
            .copied()
    }

    /// Fast path for the batch check: two ASCII bytes, any case.
    pub fn from_bytes(b: &[u8]) -> Option<Country> {
        let [x, y] = b else { return None };
        let k = [x.to_ascii_uppercase(), y.to_ascii_uppercase()];
        if !k[0].is_ascii_uppercase() || !k[1].is_ascii_uppercase() {
            return None;
        }
        let slot = usize::from(k[0] - b'A') * 26 + usize::from(k[1] - b'A');
        valid_alpha2()[slot].then_some(Country(k))
    }

    /// The two ASCII letters, for writers that want bytes (no UTF-8 check per call).
    pub fn code_bytes(&self) -> &[u8; 2] {
        &self.0
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    pub fn name(&self) -> &str {
        table().get(&self.0).map(|(_, n)| n.as_str()).unwrap_or("")
    }

    pub fn is_dprk(&self) -> bool {
        *self == Country::DPRK
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Country({})", self.code())
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}
