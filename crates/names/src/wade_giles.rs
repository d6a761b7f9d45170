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

use std::sync::OnceLock;

/// Longest name token read as syllables (a given name is one or two, rarely three).
const MAX_SYLLABLES: usize = 3;

/// Longest syllable of either system (ZHUANG, HSIUNG): at most 8 letters fit a packed key.
const MAX_SYLLABLE_LEN: usize = 8;

/// Letters of a syllable packed into one integer: every token of every list and query is
/// split here, so lookups are binary searches over integers, not string hashing.
fn pack(s: &[u8]) -> u64 {
    s.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b))
}

struct Table {
    /// Packed pinyin syllable → its Wade–Giles key (letters, length), sorted by syllable.
    pinyin: Vec<(u64, [u8; MAX_SYLLABLE_LEN], usize)>,
    /// Packed Wade–Giles keys, sorted.
    wade_giles: Vec<u64>,
    longest: usize,
}

impl Table {
    fn pinyin(&self, syllable: &[u8]) -> Option<&[u8]> {
        let k = pack(syllable);
        let i = self.pinyin.binary_search_by_key(&k, |e| e.0).ok()?;
        self.pinyin.get(i).and_then(|(_, wg, n)| wg.get(..*n))
    }

    fn is_wade_giles(&self, syllable: &[u8]) -> bool {
        self.wade_giles.binary_search(&pack(syllable)).is_ok()
    }
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
        let mut pinyin = Vec::new();
        let mut wade_giles = Vec::new();
        let mut longest = 0;
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
            let fits = |s: &str| s.is_ascii() && s.len() <= MAX_SYLLABLE_LEN;
            if !vowel(&py) || !vowel(&wg) || !fits(&py) || !fits(&wg) {
                continue;
            }
            let mut letters = [0u8; MAX_SYLLABLE_LEN];
            for (slot, b) in letters.iter_mut().zip(wg.bytes()) {
                *slot = b;
            }
            // The longest syllable of either system bounds the splitting of a token.
            longest = longest.max(py.len()).max(wg.len());
            wade_giles.push(pack(wg.as_bytes()));
            pinyin.push((pack(py.as_bytes()), letters, wg.len()));
        }
        // First row of a syllable wins (the table lists one spelling per syllable).
        pinyin.sort_by_key(|e| e.0);
        pinyin.dedup_by_key(|e| e.0);
        wade_giles.sort_unstable();
        wade_giles.dedup();
        Table {
            pinyin,
            wade_giles,
            longest,
        }
    })
}

/// Split `s` into at most `MAX_SYLLABLES` syllables accepted by `is_syllable`, longest
/// syllable first (XIAN is one syllable, not XI AN). `ends` receives where each syllable
/// ends; returns how many there are, 0 when `s` does not split.
fn split(
    s: &[u8],
    longest: usize,
    is_syllable: &dyn Fn(&[u8]) -> bool,
    ends: &mut [usize; MAX_SYLLABLES],
) -> usize {
    fn go(
        s: &[u8],
        at: usize,
        k: usize,
        longest: usize,
        is_syllable: &dyn Fn(&[u8]) -> bool,
        ends: &mut [usize; MAX_SYLLABLES],
    ) -> usize {
        if at == s.len() {
            return k;
        }
        if k == MAX_SYLLABLES {
            return 0;
        }
        for len in (1..=longest.min(s.len() - at)).rev() {
            let Some(head) = s.get(at..at + len) else {
                continue;
            };
            if is_syllable(head) {
                if let Some(e) = ends.get_mut(k) {
                    *e = at + len;
                }
                let n = go(s, at + len, k + 1, longest, is_syllable, ends);
                if n > 0 {
                    return n;
                }
            }
        }
        0
    }
    if s.is_empty() || s.len() > MAX_SYLLABLES * longest {
        return 0;
    }
    go(s, 0, 0, longest, is_syllable, ends)
}

/// The Wade–Giles key of a token read as pinyin (JINPING → CHINPING), written into `out`;
/// returns its length, or `None` when the token does not read as pinyin.
fn from_pinyin(text: &[u8], out: &mut [u8; MAX_SYLLABLES * MAX_SYLLABLE_LEN]) -> Option<usize> {
    let t = table();
    let mut ends = [0usize; MAX_SYLLABLES];
    let n = split(text, t.longest, &|s| t.pinyin(s).is_some(), &mut ends);
    if n == 0 {
        return None;
    }
    let mut len = 0;
    let mut start = 0;
    for &end in ends.get(..n)? {
        let wg = t.pinyin(text.get(start..end)?)?;
        out.get_mut(len..len + wg.len())?.copy_from_slice(wg);
        len += wg.len();
        start = end;
    }
    Some(len)
}

fn is_wade_giles(text: &[u8]) -> bool {
    let t = table();
    split(
        text,
        t.longest,
        &|s| t.is_wade_giles(s),
        &mut [0; MAX_SYLLABLES],
    ) > 0
}

/// Both readings of a token: its pinyin reading's Wade–Giles key, and whether it is a
/// Wade–Giles spelling that is not also pinyin.
fn readings(text: &str, key: &mut [u8; MAX_SYLLABLES * MAX_SYLLABLE_LEN]) -> (Option<usize>, bool) {
    let b = text.as_bytes();
    if b.len() < 2 || !b.iter().all(u8::is_ascii_uppercase) {
        return (None, false);
    }
    let py = from_pinyin(b, key);
    (py, py.is_none() && is_wade_giles(b))
}

/// Whether a name is written in Wade–Giles: one of its tokens is a Wade–Giles-only spelling
/// with a shape pinyin never has (HS-, TS-, TZ-, SSU, ERH, -IH, -IEH, -IEN: HSI, TSE, CHIH,
/// HSIEH, CHIEN). Only then are its other Wade–Giles-only tokens read as Wade–Giles: CHIN,
/// HO and SUNG are also McCune–Reischauer spellings of Korean syllables, and in an unmarked
/// name (PAEK CHANG HO, RI SUNG IL) they are Korean, not HE or SONG.
pub fn marked(tokens: &[crate::token::Token]) -> bool {
    tokens.iter().any(|t| {
        let b = t.text.as_bytes();
        let shaped = b.starts_with(b"HS")
            || b.starts_with(b"TS")
            || b.starts_with(b"TZ")
            || matches!(b, b"SSU" | b"ERH")
            || b.ends_with(b"IH")
            || b.ends_with(b"IEH")
            || b.ends_with(b"IEN");
        shaped
            && matches!(
                readings(&t.text, &mut [0; MAX_SYLLABLES * MAX_SYLLABLE_LEN]),
                (None, true)
            )
    })
}

/// A token's two readings, as 32-bit hashes (0 when a reading does not apply): its pinyin
/// reading's Wade–Giles key, and its own spelling when it is Wade–Giles only. 32 bits keep
/// the pair in the first cache line of a `Piece`; a chance collision between two readings
/// is one in four billion per pair.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Readings {
    pub from_pinyin: u32,
    pub wade_giles_only: u32,
}

impl Readings {
    pub fn of(text: &str, hash: impl Fn(&[u8]) -> u64) -> Readings {
        // Fold the 64-bit hash to 32 bits, never 0 (0 means "no reading").
        let short = |b: &[u8]| {
            let h = hash(b);
            ((h ^ (h >> 32)) as u32).max(1)
        };
        let mut key = [0u8; MAX_SYLLABLES * MAX_SYLLABLE_LEN];
        let (py, wade_giles_only) = readings(text, &mut key);
        Readings {
            from_pinyin: py.and_then(|n| key.get(..n)).map_or(0, short),
            wade_giles_only: if wade_giles_only {
                short(text.as_bytes())
            } else {
                0
            },
        }
    }

    /// Whether one token is the Wade–Giles spelling of the other's pinyin.
    pub fn same(&self, other: &Readings) -> bool {
        (self.wade_giles_only != 0 && self.wade_giles_only == other.from_pinyin)
            || (other.wade_giles_only != 0 && other.wade_giles_only == self.from_pinyin)
    }
}

/// Which side of the inverted index a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Filed under by a listed name.
    Listed,
    /// Probed by a query.
    Query,
}

/// The index key that brings a Wade–Giles token and its pinyin together: a listed token is
/// filed under its own reading (`~P` and the Wade–Giles key of its pinyin, or `~W` and its
/// Wade–Giles-only spelling) and a query token probes the other reading, so two pinyin
/// spellings never meet through this key (their fold keys already do). `None` for tokens
/// with neither reading, for pinyin whose Wade–Giles key is its own spelling (MAO), and for
/// Wade–Giles-only tokens of names not [`marked`] as Wade–Giles.
pub fn index_key(text: &str, side: Side, marked: bool) -> Option<String> {
    let (pinyin, wade_giles) = match side {
        Side::Listed => ("~P", "~W"),
        Side::Query => ("~W", "~P"),
    };
    let mut key = [0u8; MAX_SYLLABLES * MAX_SYLLABLE_LEN];
    match readings(text, &mut key) {
        (Some(n), _) => {
            let k = key.get(..n)?;
            (k != text.as_bytes()).then(|| format!("{pinyin}{}", String::from_utf8_lossy(k)))
        }
        (None, true) if marked => Some(format!("{wade_giles}{text}")),
        (None, _) => None,
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
        assert_eq!(t.pinyin(b"XI"), Some(&b"HSI"[..]));
        assert_eq!(t.pinyin(b"GUO"), Some(&b"KUO"[..]));
        assert_eq!(t.pinyin(b"AI"), Some(&b"AI"[..]));
        assert_eq!(t.pinyin(b"ZE"), Some(&b"TSE"[..]));
        assert_eq!(t.pinyin(b"ZHUANG"), Some(&b"CHUANG"[..]));
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
        // A query in one system probes the key a listed name in the other is filed under.
        assert_eq!(
            index_key("JINPING", Side::Listed, false),
            index_key("CHINPING", Side::Query, true)
        );
        assert_eq!(
            index_key("CHIN", Side::Listed, true),
            index_key("JIN", Side::Query, false)
        );
        assert_ne!(
            index_key("SONG", Side::Listed, true),
            index_key("SONG", Side::Query, true)
        );
        // A Wade-Giles-only token of an unmarked (Korean) name has no key.
        assert_eq!(index_key("CHIN", Side::Listed, false), None);
        assert_eq!(index_key("MAO", Side::Query, true), None);
        assert_eq!(index_key("SMITH", Side::Listed, true), None);
        let t = crate::normalize::tokens;
        assert!(marked(&t("Hsi Chin-ping")));
        assert!(marked(&t("Mao Tse-tung")));
        assert!(!marked(&t("PAEK CHANG HO")));
        assert!(!marked(&t("Xi Jinping")));
    }
}
