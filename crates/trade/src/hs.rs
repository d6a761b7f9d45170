//! The `hs` field of a trade row. For official statistics it is one HS code (2, 4 or 6
//! digits). Published figures are often about a group of codes ("clothing, HS 61–62"), so
//! the field also takes lists and ranges of codes (`61;62`, `50-63`, `0301-0308;1603-1605`),
//! and `TOTAL` for all goods.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Ranges wider than this are refused: a typo like `01-9999` would expand to nonsense.
const MAX_EXPANDED: usize = 400;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsField {
    raw: String,
    parts: Vec<HsPart>,
}

/// What an HS field stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HsShape {
    /// `TOTAL`: all goods.
    Total,
    /// One HS code.
    Single,
    /// A list or range of codes (a published category).
    Group,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum HsPart {
    Total,
    Code(String),
    Range { from: u32, to: u32, digits: usize },
}

fn is_code(s: &str) -> bool {
    matches!(s.len(), 2 | 4 | 6) && s.bytes().all(|b| b.is_ascii_digit())
}

impl HsField {
    /// Parses a code, list or range. Comtrade's `TOTAL`/`AG2`... aggregates: only `TOTAL`.
    pub fn parse(s: &str) -> Result<HsField, String> {
        let raw = s.trim();
        if raw.is_empty() {
            return Err("empty HS code".into());
        }
        let mut parts = Vec::new();
        for piece in raw.split(';') {
            let piece = piece.trim();
            if piece.eq_ignore_ascii_case("TOTAL") {
                parts.push(HsPart::Total);
            } else if let Some((a, b)) = piece.split_once('-') {
                let (a, b) = (a.trim(), b.trim());
                if !is_code(a) || !is_code(b) || a.len() != b.len() {
                    return Err(format!(
                        "`{piece}`: a range needs two HS codes of the same length (2, 4 or 6 digits)"
                    ));
                }
                let from: u32 = a.parse().map_err(|_| format!("`{a}` is not a number"))?;
                let to: u32 = b.parse().map_err(|_| format!("`{b}` is not a number"))?;
                if from > to || (to - from) as usize >= MAX_EXPANDED {
                    return Err(format!("`{piece}`: range is reversed or too wide"));
                }
                parts.push(HsPart::Range {
                    from,
                    to,
                    digits: a.len(),
                });
            } else if is_code(piece) {
                parts.push(HsPart::Code(piece.to_string()));
            } else {
                return Err(format!(
                    "`{piece}` is not an HS code (2, 4 or 6 digits), a range `50-63` or TOTAL"
                ));
            }
        }
        if parts.len() > 1 && parts.contains(&HsPart::Total) {
            return Err("TOTAL cannot be combined with codes".into());
        }
        Ok(HsField {
            raw: raw.to_ascii_uppercase(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Checks a field without keeping it: its canonical text (what [`HsField::as_str`]
    /// gives for it) and its shape. A single code, nearly every row of a statistics file,
    /// is borrowed and costs no allocation.
    pub fn canonical(s: &str) -> Result<(std::borrow::Cow<'_, str>, HsShape), String> {
        let t = s.trim();
        if is_code(t) {
            return Ok((std::borrow::Cow::Borrowed(t), HsShape::Single));
        }
        let f = HsField::parse(s)?;
        let shape = if f.is_total() {
            HsShape::Total
        } else if f.single_code().is_some() {
            HsShape::Single
        } else {
            HsShape::Group
        };
        Ok((std::borrow::Cow::Owned(f.raw), shape))
    }

    pub fn is_total(&self) -> bool {
        self.parts == [HsPart::Total]
    }

    /// The single code, when the field is exactly one HS code.
    pub fn single_code(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [HsPart::Code(c)] => Some(c),
            _ => None,
        }
    }

    /// Every code the field stands for (ranges expanded); empty for `TOTAL`.
    pub fn codes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for p in &self.parts {
            match p {
                HsPart::Total => {}
                HsPart::Code(c) => out.push(c.clone()),
                HsPart::Range { from, to, digits } => {
                    for n in *from..=*to {
                        out.push(format!("{n:0width$}", width = *digits));
                    }
                }
            }
        }
        out
    }

    /// Code truncated to `digits` (2 or 4) for grouping; `None` for lists, ranges and TOTAL.
    pub fn truncated(&self, digits: usize) -> Option<&str> {
        self.single_code()
            .and_then(|c| c.get(..digits.min(c.len())))
    }
}

impl std::fmt::Display for HsField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.raw)
    }
}

impl Serialize for HsField {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.raw)
    }
}

impl<'de> Deserialize<'de> for HsField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HsField::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_lists_and_ranges() {
        let f = HsField::parse("0301-0303;1604").unwrap();
        assert_eq!(f.codes(), vec!["0301", "0302", "0303", "1604"]);
        assert_eq!(HsField::parse("61;62").unwrap().codes(), vec!["61", "62"]);
        assert!(HsField::parse("TOTAL").unwrap().is_total());
        assert_eq!(HsField::parse("270112").unwrap().truncated(4), Some("2701"));
        assert!(HsField::parse("271").is_err());
        assert!(HsField::parse("63-50").is_err());
        assert!(HsField::parse("50-6300").is_err());
        assert!(HsField::parse("TOTAL;27").is_err());
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,24}") {
            let _ = HsField::parse(&s);
        }

        #[test]
        fn canonical_is_the_parsed_text(s in "[0-9;TOTALtotal -]{0,12}") {
            match (HsField::parse(&s), HsField::canonical(&s)) {
                (Ok(f), Ok((text, shape))) => {
                    prop_assert_eq!(f.as_str(), text.as_ref());
                    prop_assert_eq!(shape == HsShape::Total, f.is_total());
                    prop_assert_eq!(shape == HsShape::Single, f.single_code().is_some());
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "parse {:?}, canonical {:?}", a, b),
            }
        }

        #[test]
        fn six_digit_codes_round_trip(n in 0u32..1_000_000) {
            let code = format!("{n:06}");
            let f = HsField::parse(&code).unwrap();
            prop_assert_eq!(f.single_code(), Some(code.as_str()));
            prop_assert_eq!(f.codes(), vec![code.clone()]);
        }
    }
}
