//! Wade–Giles against pinyin. Chinese names reach the lists in both: older documents, Taiwan
//! and Hong Kong registries and many Western sources write Wade–Giles (HSI CHIN-PING, MAO
//! TSE-TUNG, KUO), the mainland and most newer lists pinyin (XI JINPING, MAO ZEDONG, GUO).
//! The two spell the same syllable differently, so neither the fold nor the edit distance
//! pairs them.
//!
//! Both are read into one key: the Wade–Giles spelling without its aspiration apostrophes and
//! umlauts (lists drop both). A pinyin token is split into pinyin syllables and each is
//! replaced by its Wade–Giles spelling (`data/screening/wade_giles.tsv`); a Wade–Giles token
//! is its own key. Two tokens are the same name when one is Wade–Giles *only* (it is not
//! also a pinyin spelling) and its key equals the other's pinyin reading. Requiring one
//! Wade–Giles-only side keeps two pinyin spellings apart: ZHANG and CHANG are different
//! surnames, although Wade–Giles without apostrophes writes both CHANG.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// Longest name token read as syllables (a given name is one or two, rarely three).
const MAX_SYLLABLES: usize = 3;

struct Table {
    /// Pinyin syllable → Wade–Giles key.
    pinyin: HashMap<String, String>,
    /// Wade–Giles keys.
    wade_giles: HashSet<String>,
    longest: usize,
}

/// Upper-case ASCII without apostrophes and umlauts, as lists write it.
fn plain(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '\'' | '’'))
        .map(|c| match c {
            'Ü' | 'ü' => 'U',
            'Ê' | 'ê' => 'E',
            c => c.to_ascii_uppercase(),
        })
        .collect()
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let mut pinyin = HashMap::new();
        let mut wade_giles = HashSet::new();
        for line in include_str!("../../../data/screening/wade_giles.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((py, wg)) = line.split_once('\t') else {
                continue;
            };
            let (py, wg) = (plain(py.trim()), plain(wg.trim()));
            // V is pinyin's ü; the lists write it U (LV = LU), which any_ascii also gives.
            let py = if py.len() > 1 {
                py.replace('V', "U")
            } else {
                py
            };
            // Interjections without a vowel (N, NG, M, HM) never spell a name, and would let
            // almost any word end in a "syllable" (CHIN = CHI + N).
            let vowel = |s: &str| {
                s.bytes()
                    .any(|b| matches!(b, b'A' | b'E' | b'I' | b'O' | b'U'))
            };
            if !vowel(&py) || !vowel(&wg) || !py.is_ascii() || !wg.is_ascii() {
                continue;
            }
            wade_giles.insert(wg.clone());
            pinyin.entry(py).or_insert(wg);
        }
        let longest = pinyin
            .keys()
            .chain(wade_giles.iter())
            .map(String::len)
            .max()
            .unwrap_or(0);
        Table {
            pinyin,
            wade_giles,
            longest,
        }
    })
}

/// Split `s` into at most `MAX_SYLLABLES` syllables accepted by `is_syllable`, longest
/// syllable first (XIAN is one syllable, not XI AN).
fn split<'a>(
    s: &'a str,
    longest: usize,
    is_syllable: &dyn Fn(&str) -> bool,
    out: &mut Vec<&'a str>,
) -> bool {
    if s.is_empty() {
        return !out.is_empty();
    }
    if out.len() == MAX_SYLLABLES {
        return false;
    }
    for len in (1..=longest.min(s.len())).rev() {
        let (Some(head), Some(rest)) = (s.get(..len), s.get(len..)) else {
            continue;
        };
        if is_syllable(head) {
            out.push(head);
            if split(rest, longest, is_syllable, out) {
                return true;
            }
            out.pop();
        }
    }
    false
}

/// The Wade–Giles key of a token read as pinyin (JINPING → CHINPING), if it reads as pinyin.
fn from_pinyin(text: &str) -> Option<String> {
    let t = table();
    let mut syllables = Vec::new();
    if !split(
        text,
        t.longest,
        &|s| t.pinyin.contains_key(s),
        &mut syllables,
    ) {
        return None;
    }
    Some(
        syllables
            .iter()
            .filter_map(|s| t.pinyin.get(*s).map(String::as_str))
            .collect(),
    )
}

fn is_wade_giles(text: &str) -> bool {
    let t = table();
    split(
        text,
        t.longest,
        &|s| t.wade_giles.contains(s),
        &mut Vec::new(),
    )
}

/// A token's two readings, as hashes: its pinyin reading's Wade–Giles key, and its own
/// spelling when it is Wade–Giles only (0 when a reading does not apply).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readings {
    pub from_pinyin: u64,
    pub wade_giles_only: u64,
}

impl Readings {
    pub fn of(text: &str, hash: impl Fn(&[u8]) -> u64) -> Readings {
        if text.len() < 2 || !text.bytes().all(|b| b.is_ascii_uppercase()) {
            return Readings::default();
        }
        let py = from_pinyin(text);
        let wade_giles_only = if py.is_none() && is_wade_giles(text) {
            hash(text.as_bytes())
        } else {
            0
        };
        Readings {
            from_pinyin: py.map_or(0, |k| hash(k.as_bytes())),
            wade_giles_only,
        }
    }

    /// Whether one token is the Wade–Giles spelling of the other's pinyin.
    pub fn same(&self, other: &Readings) -> bool {
        (self.wade_giles_only != 0 && self.wade_giles_only == other.from_pinyin)
            || (other.wade_giles_only != 0 && other.wade_giles_only == self.from_pinyin)
    }
}

/// The index key that brings a Wade–Giles token and its pinyin together: `~` and the
/// Wade–Giles key, for tokens whose pinyin reading differs from the spelling and for
/// Wade–Giles-only tokens; `None` for the rest (their fold keys already meet).
pub fn index_key(text: &str) -> Option<String> {
    if text.len() < 2 || !text.bytes().all(|b| b.is_ascii_uppercase()) {
        return None;
    }
    match from_pinyin(text) {
        Some(k) if k != text => Some(format!("~{k}")),
        Some(_) => None,
        None if is_wade_giles(text) => Some(format!("~{text}")),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: &[u8]) -> u64 {
        b.iter()
            .fold(7u64, |a, &x| a.wrapping_mul(31).wrapping_add(u64::from(x)))
    }

    fn same(a: &str, b: &str) -> bool {
        Readings::of(a, h).same(&Readings::of(b, h))
    }

    #[test]
    fn table_is_complete_enough() {
        let t = table();
        assert!(t.pinyin.len() >= 400, "{}", t.pinyin.len());
        assert_eq!(t.pinyin.get("XI").map(String::as_str), Some("HSI"));
        assert_eq!(t.pinyin.get("GUO").map(String::as_str), Some("KUO"));
        assert_eq!(t.pinyin.get("AI").map(String::as_str), Some("AI"));
        assert_eq!(t.pinyin.get("ZE").map(String::as_str), Some("TSE"));
    }

    #[test]
    fn wade_giles_meets_pinyin() {
        assert!(same("HSI", "XI"));
        assert!(same("CHINPING", "JINPING"));
        assert!(same("TSETUNG", "ZEDONG"));
        assert!(same("HSU", "XU"));
        // KUO is also a pinyin syllable (k'uo): a spelling of both systems is left to the
        // fuzzy comparison.
        assert!(!same("KUO", "GUO"));
        assert!(same("TSAI", "CAI"));
        // Two pinyin spellings stay apart even where Wade-Giles writes them alike.
        assert!(!same("ZHANG", "CHANG"));
        assert!(!same("HSI", "XIN"));
        assert!(!same("SMITH", "XI"));
        assert_eq!(index_key("JINPING").as_deref(), Some("~CHINPING"));
        assert_eq!(index_key("CHIN").as_deref(), Some("~CHIN"));
        assert_eq!(index_key("MAO"), None);
        assert_eq!(index_key("SMITH"), None);
    }
}
