//! Harmonized System codes as the regime uses them: 2-digit chapters, 4-digit headings,
//! 6-digit subheadings, and chapter ranges such as "72-83" (2397's wording for metals).
//!
//! Codes are stored as ASCII digits. Dots and spaces between digit groups are accepted
//! ("8471.30" is 847130); any other character is an error, because a silently "repaired"
//! code would give a wrong verdict.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HsError {
    #[error("HS code is empty")]
    Empty,
    #[error("HS code {0:?} contains a character that is not a digit")]
    NotDigits(String),
    #[error("HS code {0:?} has {1} digits; expected 2, 4 or 6 (national 8/10-digit lines are cut to 6 only when asked)")]
    BadLength(String, usize),
    #[error("HS code {0:?}: chapter 00 does not exist")]
    ChapterZero(String),
    #[error("HS range {0:?} must look like \"72-83\" (two chapters, first <= last)")]
    BadRange(String),
}

/// A normalized HS code of 2, 4 or 6 digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HsCode {
    digits: [u8; 6],
    len: u8,
}

impl HsCode {
    /// Parse "27", "2701", "270112", "2701.12" or "27 01 12".
    pub fn parse(s: &str) -> Result<HsCode, HsError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(HsError::Empty);
        }
        let mut digits = [b'0'; 6];
        let mut len = 0usize;
        for b in t.bytes() {
            match b {
                b'0'..=b'9' => {
                    if len >= 6 {
                        let n = t.bytes().filter(u8::is_ascii_digit).count();
                        return Err(HsError::BadLength(s.to_string(), n));
                    }
                    digits[len] = b;
                    len += 1;
                }
                b'.' | b' ' => {}
                _ => return Err(HsError::NotDigits(s.to_string())),
            }
        }
        if !matches!(len, 2 | 4 | 6) {
            return Err(HsError::BadLength(s.to_string(), len));
        }
        if digits[0] == b'0' && digits[1] == b'0' {
            return Err(HsError::ChapterZero(s.to_string()));
        }
        Ok(HsCode {
            digits,
            len: len as u8,
        })
    }

    /// [`HsCode::parse`] from bytes, for readers of large files: plain 2, 4 or 6 digits
    /// take a path without UTF-8 checks or allocation; anything else goes through `parse`.
    pub fn parse_bytes(s: &[u8]) -> Option<HsCode> {
        if matches!(s.len(), 2 | 4 | 6) && s.iter().all(u8::is_ascii_digit) {
            return HsCode::from_digits(s);
        }
        std::str::from_utf8(s)
            .ok()
            .and_then(|t| HsCode::parse(t).ok())
    }

    /// From 2, 4 or 6 ASCII digits (no separators); `None` otherwise.
    pub fn from_digits(b: &[u8]) -> Option<HsCode> {
        if !matches!(b.len(), 2 | 4 | 6)
            || !b.iter().all(u8::is_ascii_digit)
            || (b[0] == b'0' && b[1] == b'0')
        {
            return None;
        }
        let mut digits = [b'0'; 6];
        digits[..b.len()].copy_from_slice(b);
        Some(HsCode {
            digits,
            len: b.len() as u8,
        })
    }

    /// Parse a longer national tariff line (8 or 10 digits) by keeping its HS-6 part.
    pub fn parse_truncating(s: &str) -> Result<HsCode, HsError> {
        let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
        if digits.len() > 6
            && s.chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ' ')
        {
            return HsCode::parse(&digits[..6]);
        }
        HsCode::parse(s)
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.digits[..self.len as usize]).unwrap_or("")
    }

    /// 2, 4 or 6.
    pub fn digits(&self) -> usize {
        self.len as usize
    }

    pub fn chapter(&self) -> u8 {
        (self.digits[0] - b'0') * 10 + (self.digits[1] - b'0')
    }

    /// The code cut to `n` digits (n = 2, 4 or 6, and at most this code's length).
    pub fn truncate(&self, n: usize) -> HsCode {
        let n = n.min(self.len as usize);
        let mut digits = [b'0'; 6];
        digits[..n].copy_from_slice(&self.digits[..n]);
        HsCode {
            digits,
            len: n as u8,
        }
    }

    /// True when `self` is `other` or lies inside it (e.g. 270112 within 27).
    pub fn within(&self, other: &HsCode) -> bool {
        self.len >= other.len
            && self.digits[..other.len as usize] == other.digits[..other.len as usize]
    }

    /// Compact numeric key (digits as a number, with the length) for indexes.
    pub fn key(&self) -> u32 {
        let mut v = 0u32;
        for d in &self.digits[..self.len as usize] {
            v = v * 10 + u32::from(d - b'0');
        }
        v * 10 + u32::from(self.len)
    }
}

impl fmt::Display for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for HsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HsCode({})", self.as_str())
    }
}

impl Serialize for HsCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HsCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        HsCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What part of the nomenclature a measure names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HsSpec {
    /// A chapter, heading or subheading and everything below it.
    Code { code: HsCode },
    /// Every chapter from `from` to `to` inclusive ("72-83").
    ChapterRange { from: u8, to: u8 },
}

/// How a shipment's code relates to a spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HsMatch {
    /// The shipment's code lies inside the spec: the measure covers it.
    Covered,
    /// The shipment's code is coarser than the spec (e.g. chapter 27 against 2701): some goods
    /// under that code are covered, some are not.
    Coarser,
}

impl HsSpec {
    pub fn parse_range(s: &str) -> Result<HsSpec, HsError> {
        let (a, b) = s
            .split_once('-')
            .ok_or_else(|| HsError::BadRange(s.to_string()))?;
        let a = HsCode::parse(a).map_err(|_| HsError::BadRange(s.to_string()))?;
        let b = HsCode::parse(b).map_err(|_| HsError::BadRange(s.to_string()))?;
        if a.digits() != 2 || b.digits() != 2 || a.chapter() > b.chapter() {
            return Err(HsError::BadRange(s.to_string()));
        }
        Ok(HsSpec::ChapterRange {
            from: a.chapter(),
            to: b.chapter(),
        })
    }

    pub fn matches(&self, hs: &HsCode) -> Option<HsMatch> {
        match self {
            HsSpec::Code { code } => {
                if hs.within(code) {
                    Some(HsMatch::Covered)
                } else if code.within(hs) {
                    Some(HsMatch::Coarser)
                } else {
                    None
                }
            }
            HsSpec::ChapterRange { from, to } => {
                let c = hs.chapter();
                (c >= *from && c <= *to).then_some(HsMatch::Covered)
            }
        }
    }

    /// The codes this spec names, for validation against the nomenclature.
    pub fn codes(&self) -> Vec<HsCode> {
        match self {
            HsSpec::Code { code } => vec![*code],
            HsSpec::ChapterRange { from, to } => (*from..=*to)
                .filter_map(|c| HsCode::parse(&format!("{c:02}")).ok())
                .collect(),
        }
    }

    /// The 2-digit chapters this spec touches (for indexing).
    pub fn chapters(&self) -> std::ops::RangeInclusive<u8> {
        match self {
            HsSpec::Code { code } => code.chapter()..=code.chapter(),
            HsSpec::ChapterRange { from, to } => *from..=*to,
        }
    }
}

impl fmt::Display for HsSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HsSpec::Code { code } => write!(f, "{code}"),
            HsSpec::ChapterRange { from, to } => write!(f, "{from:02}-{to:02}"),
        }
    }
}
