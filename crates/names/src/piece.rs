//! A token prepared once for many comparisons: its spelling, fold key, consonant skeleton and
//! surname classes are computed when the list is indexed (or once per query), so comparing
//! two pieces allocates nothing. [`similarity`] is the single definition of token similarity;
//! `compare::token_similarity` and the matcher's fast path both call it.

use crate::distance::{jaro_winkler, levenshtein};
use crate::korean::surname_mask;
use crate::nickname::{self, NICKNAME_SIM};
use crate::params::CompareParams;
use crate::token::{fold, Token, TokenClass, TokenRelation};
use crate::wade_giles::Readings;

/// A token (or two adjacent tokens written together) ready for comparison.
///
/// `repr(C)` keeps the fields the similarity reads first for every pair (hashes, readings,
/// surname classes, class, flags) together at the start, in the first cache line: the
/// matcher's memo touches thousands of vocabulary pieces per query, and most comparisons end
/// there.
#[derive(Debug, Clone, PartialEq)]
#[repr(C)]
pub struct Piece {
    /// Hashes of `text` and `fold`: most comparisons are between different tokens, and
    /// unequal hashes settle those without touching the strings.
    text_hash: u64,
    fold_hash: u64,
    /// Wade–Giles and pinyin readings (HSI = XI).
    readings: Readings,
    /// Bit k set: the spelling is in class k of the bundled Korean surname table.
    pub surname: u128,
    /// Formal given names this token can stand for (BEN: BENJAMIN, BENEDICT), usually none.
    nick: &'static [u32],
    pub class: TokenClass,
    /// No A/E/I/O/U and at least two letters: written without vowels.
    pub vowelless: bool,
    /// The countries a `Country` token names (0 for every other token).
    country: crate::name_countries::CountryMask,
    /// Letter counts of `text` / of `fold`, for cheap bounds.
    letters: Letters,
    fold_letters: Letters,
    pub text: String,
    pub fold: String,
    /// Fold key without vowels (for vowel-less Arabic/Hebrew transliterations).
    pub skeleton: String,
}

fn skeleton_of(fold_key: &str) -> String {
    // W and Y go with the vowels: Arabic and Hebrew write long vowels with waw and ya
    // (matres lectionis), so a vowel-less transliteration has MHMWD where a vocalized one
    // has MAHMOUD.
    fold_key
        .chars()
        .filter(|c| !matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y' | 'W'))
        .collect()
}

/// FNV-1a: short keys, no need for a keyed hash.
fn hash(s: &[u8]) -> u64 {
    s.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Letter counts of a spelling (one slot per letter; digits and others share slots).
type Letters = [u8; 32];

fn letter_counts(s: &[u8]) -> Letters {
    // Distinct characters may share a slot (digits, punctuation): sharing can only raise the
    // common count below, and the bounds only need it not to be too low.
    let mut counts = [0u8; 32];
    for &b in s {
        let k = match b {
            b'A'..=b'Z' => b - b'A',
            b'0'..=b'9' => 26 + (b - b'0') % 5,
            _ => 31,
        };
        if let Some(c) = counts.get_mut(usize::from(k)) {
            *c = c.saturating_add(1);
        }
    }
    counts
}

/// Upper bound of the Jaro–Winkler / edit blend parts of two spellings (`longest` is the
/// longer original spelling, as in the blend), from their letter counts alone: Jaro matches
/// are at most the letters in common, and every letter not in common needs an edit.
fn blend_bound(a: &[u8], al: &Letters, b: &[u8], bl: &Letters, longest: f64) -> (f64, f64) {
    if a.len() > 255 || b.len() > 255 {
        // Counts saturate at 255: no bound for such tokens.
        return (1.0, 0.0);
    }
    let common: u32 = al.iter().zip(bl).map(|(x, y)| u32::from(*x.min(y))).sum();
    let m = (common as usize).min(a.len()).min(b.len());
    let edits = a.len().max(b.len()) - m;
    let jaro = if m == 0 {
        0.0
    } else {
        let m = m as f64;
        (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0
    };
    // Winkler's prefix bonus is at most 4 × 0.1 of the gap to 1.
    (jaro + 0.4 * (1.0 - jaro), edits as f64 / longest)
}

impl Piece {
    pub fn new(text: &str, class: TokenClass) -> Piece {
        Piece::with_fold(text, fold(text), class)
    }

    fn with_fold(text: &str, fold_key: String, class: TokenClass) -> Piece {
        Piece {
            skeleton: skeleton_of(&fold_key),
            vowelless: text.len() >= 2
                && !text
                    .chars()
                    .any(|c| matches!(c, 'A' | 'E' | 'I' | 'O' | 'U')),
            surname: surname_mask(text),
            text_hash: hash(text.as_bytes()),
            fold_hash: hash(fold_key.as_bytes()),
            letters: letter_counts(text.as_bytes()),
            fold_letters: letter_counts(fold_key.as_bytes()),
            readings: Readings::of(text, hash),
            country: if class == TokenClass::Country {
                crate::name_countries::NameCountries::bundled().mask(text)
            } else {
                0
            },
            nick: if class == TokenClass::Name {
                nickname::formal_names(text)
            } else {
                &[]
            },
            text: text.to_string(),
            fold: fold_key,
            class,
        }
    }

    /// The piece as a token of a name that is (or is not) written in Wade–Giles
    /// (`wade_giles::marked`): outside such names a Wade–Giles-only spelling (CHIN, HO) is
    /// not read as Wade–Giles.
    pub fn in_name(mut self, wade_giles: bool) -> Piece {
        if !wade_giles {
            self.readings.wade_giles_only = 0;
        }
        self
    }

    pub fn from_token(t: &Token) -> Piece {
        Piece::with_fold(&t.text, t.fold.clone(), t.class)
    }

    /// Two adjacent tokens written together (JONG + UN = JONGUN).
    pub fn joined(a: &Token, b: &Token) -> Piece {
        let mut s = String::with_capacity(a.text.len() + b.text.len());
        s.push_str(&a.text);
        s.push_str(&b.text);
        Piece::new(&s, TokenClass::Name)
    }
}

/// The popular spelling of the Korean vowel ㅓ as U against its Revised Romanization EO
/// (SUNG = SEONG 성, JUNG = JEONG 정, HYUN = HYEON 현, SUK = SEOK 석): Korean passports and
/// company names wrote it so for decades, and the fold cannot merge U with O without merging
/// 송 SONG with 숭 SUNG. Syllable-length tokens only, one vowel changed.
pub fn u_for_eo(u: &Piece, eo: &Piece) -> bool {
    let (a, b) = (u.text.as_bytes(), eo.text.as_bytes());
    if b.len() != a.len() + 1 || b.len() > SYLLABLE_LEN {
        return false;
    }
    let Some(k) = a.iter().position(|&c| c == b'U') else {
        return false;
    };
    a.get(..k) == b.get(..k)
        && b.get(k..k + 2) == Some(b"EO".as_slice())
        && a.get(k + 1..) == b.get(k + 2..)
}

/// Vowel-less spelling equal to a vocalized one by consonants (MHMD = MOHAMMED).
pub fn abjad_equal(a: &Piece, b: &Piece) -> bool {
    (a.vowelless || b.vowelless) && a.skeleton.len() >= 2 && a.skeleton == b.skeleton
}

impl Piece {
    /// Whether the token has a Wade–Giles or pinyin reading at all.
    pub fn reads_as_chinese(&self) -> bool {
        self.readings != Readings::default()
    }

    fn same_text(&self, other: &Piece) -> bool {
        self.text_hash == other.text_hash && self.text == other.text
    }

    fn same_fold(&self, other: &Piece) -> bool {
        self.fold_hash == other.fold_hash && self.fold == other.fold
    }
}

/// Similarity of a joined pair (two tokens written as one) that equals a single token.
pub const JOINED_SIM: f64 = 0.97;

/// Joined spellings of at least this many letters may also match with a typo.
const JOINED_FUZZY_LEN: usize = 10;

/// Lowest token similarity (see [`similarity`]) at which a long joined spelling counts.
const JOINED_FUZZY_MIN: f64 = 0.9;

/// Similarity of a joined piece (two tokens written together) with a single token, 0 when
/// they are not the same name. Equal spellings, folds, Wade–Giles readings or (for vowel-less
/// joined words) consonant skeletons give [`JOINED_SIM`]. A long joined spelling may also carry a typo (FRIDRICHBUCHENBERG =
/// FRIEDRICH BUCHENBERG): one letter in ten or more is a small share, whereas short joins are
/// Korean and Chinese given names (JONGUN, JONGIL), where one letter is another name.
#[inline]
pub fn joined_similarity(joined: &Piece, single: &Piece, p: &CompareParams) -> f64 {
    // The consonant-skeleton rule only one way: two vowel-less words written together
    // against a vocalized one (عبد الله, BD LLH = ABDULLAH). A vowel-less single token
    // against two vocalized words is an acronym (RGB) or a series letter fused with a legal
    // form far more often than an abjad spelling.
    if joined.same_text(single)
        || joined.same_fold(single)
        || (joined.vowelless && abjad_equal(joined, single))
        || joined.readings.same(&single.readings)
    {
        return JOINED_SIM;
    }
    // Only name tokens: legal forms and generic words (INTERNATIONAL, CORPORATION) are long
    // too, and comparing every joined pair with them would cost without finding names.
    // A typo keeps the first letter and the length within one letter in six (cheap tests
    // that settle most pairs before the similarity is computed).
    let (a, b) = (joined.text.as_bytes(), single.text.as_bytes());
    if a.len() < JOINED_FUZZY_LEN
        || b.len() < JOINED_FUZZY_LEN
        || single.class != TokenClass::Name
        || a.len().abs_diff(b.len()) > a.len().max(b.len()) / 6
        || a.first() != b.first()
    {
        return 0.0;
    }
    joined_typo(joined, single, p)
}

/// The rare case of [`joined_similarity`]: a long joined spelling against a long token.
#[cold]
#[inline(never)]
fn joined_typo(joined: &Piece, single: &Piece, p: &CompareParams) -> f64 {
    let (sim, _) = similarity(joined, single, p);
    if sim >= JOINED_FUZZY_MIN {
        sim.min(JOINED_SIM)
    } else {
        0.0
    }
}

/// The Jaro–Winkler/edit blend at which a fuzzy pair's similarity reaches `floor`. The
/// similarity rises from `base` at a blend of `floor` to 1 at a blend of 1, and a pair counts
/// only when the similarity itself reaches the floor: no fuzzy pair below 0.70 (0.82 for short
/// tokens) carries a name, so BYEONG ~ CHONG (blend 0.72) is another syllable, not a
/// spelling of it.
fn blend_needed(floor: f64, base: f64) -> f64 {
    if base >= floor || base >= 1.0 {
        return floor;
    }
    floor + (floor - base) / (1.0 - base) * (1.0 - floor)
}

/// Longest romanized syllable (CHEONG): the length up to which fold keys are compared fuzzily.
const SYLLABLE_LEN: usize = 6;

/// Similarity of two tokens with the relation that produced it.
pub fn similarity(a: &Piece, b: &Piece, p: &CompareParams) -> (f64, TokenRelation) {
    if a.same_text(b) {
        return (1.0, TokenRelation::Exact);
    }
    if a.class == TokenClass::Number || b.class == TokenClass::Number {
        // Numbers (SAM 5 / SAM 6, hull numbers) must be equal.
        return (0.0, TokenRelation::Fuzzy);
    }
    if p.strict_spelling {
        // Two Hangul names: a token is a romanized syllable, and a different syllable is a
        // different name element (정 JEONG vs 종 JONG), not a spelling variant.
        return (0.0, TokenRelation::Fuzzy);
    }
    if a.same_fold(b) || a.surname & b.surname != 0 || a.readings.same(&b.readings) {
        return (p.romanization_sim, TokenRelation::Romanization);
    }
    // Two words for one country (KOREA, CHOSON) are one designation in two spellings.
    if a.class == TokenClass::Country && b.class == TokenClass::Country {
        let same = a.country & b.country != 0;
        return (
            if same { p.romanization_sim } else { 0.0 },
            TokenRelation::Romanization,
        );
    }
    if abjad_equal(a, b) {
        return (0.88, TokenRelation::Romanization);
    }
    // Only one letter longer, and syllable-length (the cheap tests first: the index compares
    // thousands of vocabulary pieces per query token).
    let (la, lb) = (a.text.len(), b.text.len());
    if la.abs_diff(lb) == 1 && la.max(lb) <= SYLLABLE_LEN && (u_for_eo(a, b) || u_for_eo(b, a)) {
        return (0.88, TokenRelation::Romanization);
    }
    if nickname::meet(a.nick, b.nick) {
        return (NICKNAME_SIM, TokenRelation::Nickname);
    }
    if a.text.len() == 1 || b.text.len() == 1 {
        let (short, long) = if a.text.len() == 1 { (a, b) } else { (b, a) };
        if long.text.len() > 1 && long.text.starts_with(&short.text) {
            return (0.6, TokenRelation::Initial);
        }
        return (0.0, TokenRelation::Fuzzy);
    }
    let short = a.text.len().min(b.text.len()) < p.min_fuzzy_len;
    let floor = if short { p.short_floor } else { p.fuzzy_floor };
    let need = blend_needed(floor, p.fuzzy_base);
    let (x, y) = (a.text.as_bytes(), b.text.as_bytes());
    let (fx, fy) = (a.fold.as_bytes(), b.fold.as_bytes());
    let longest = x.len().max(y.len()).max(1) as f64;
    // Cheap bound first, from lengths and letter sets: most token pairs of unrelated names
    // cannot reach the floor, and the dynamic programmes below are the costly part.
    // Fuzzy comparison of the fold keys is for syllable-length tokens (Korean and Chinese
    // syllables, CHEONG at most): there the fold erases romanization differences. Longer
    // tokens are compared as spelled, because folding L/R and voiced/unvoiced consonants in a
    // long surname mostly merges different names (CASTILLO/CASTRO, MBEMBE/MBAPPE): on the
    // nomenklatura cases this removed 9 false matches and lost 1 true one (HUSAYN/HUSSEIN).
    // Equal fold keys still count as a romanization variant at any length (above). Spellings
    // without fold changes need one computation, not two.
    let folded = x.len().max(y.len()) <= SYLLABLE_LEN && (x != fx || y != fy);
    let (jw_t, lev_t) = blend_bound(x, &a.letters, y, &b.letters, longest);
    let (jw_f, lev_f) = if folded {
        blend_bound(fx, &a.fold_letters, fy, &b.fold_letters, longest)
    } else {
        (jw_t, lev_t)
    };
    if 0.5 * jw_t.max(jw_f) + 0.5 * (1.0 - lev_t.min(lev_f)) + 1e-12 < need {
        return (0.0, TokenRelation::Fuzzy);
    }
    let jw = if folded {
        jaro_winkler(x, y).max(jaro_winkler(fx, fy))
    } else {
        jaro_winkler(x, y)
    };
    if 0.5 * jw + 0.5 * (1.0 - lev_t.min(lev_f)) + 1e-12 < need {
        return (0.0, TokenRelation::Fuzzy);
    }
    // Edit similarity guards against Jaro–Winkler's generosity with shared prefixes
    // (PEZESHFAR/PEZESHKIAN): the blend needs both the shape and the letters to agree.
    let edits = if folded {
        levenshtein(x, y).min(levenshtein(fx, fy))
    } else {
        levenshtein(x, y)
    } as f64;
    let lev = 1.0 - edits / longest;
    let blend = 0.5 * jw + 0.5 * lev;
    // Korean syllables and other short tokens differ meaningfully by one letter (JONG/YONG):
    // they need a higher floor.
    if blend + 1e-12 < need {
        return (0.0, TokenRelation::Fuzzy);
    }
    let sim = p.fuzzy_base + (1.0 - p.fuzzy_base) * (blend - floor) / (1.0 - floor);
    (sim.max(floor).min(0.95), TokenRelation::Fuzzy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_surname_table_fits_the_mask() {
        assert!(crate::korean::SurnameTable::bundled().len() <= 128);
        let (ri, lee) = (
            Piece::new("RI", TokenClass::Name),
            Piece::new("LEE", TokenClass::Name),
        );
        assert_ne!(ri.surname & lee.surname, 0);
        let p = CompareParams::default();
        assert_eq!(
            similarity(&ri, &lee, &p),
            (0.93, TokenRelation::Romanization)
        );
    }

    #[test]
    fn abjad_and_joined() {
        let mhmd = Piece::new("MHMD", TokenClass::Name);
        let muhammad = Piece::new("MUHAMMAD", TokenClass::Name);
        assert!(abjad_equal(&mhmd, &muhammad));
        let mhmwd = Piece::new("MHMWD", TokenClass::Name);
        assert!(abjad_equal(
            &mhmwd,
            &Piece::new("MAHMOUD", TokenClass::Name)
        ));
        assert!(!abjad_equal(&mhmwd, &Piece::new("MAHDI", TokenClass::Name)));
        let t = |s: &str| Token {
            text: s.into(),
            fold: fold(s),
            class: TokenClass::Name,
        };
        let p = CompareParams::default();
        let j = Piece::joined(&t("JONG"), &t("UN"));
        let single = |s: &str| Piece::new(s, TokenClass::Name);
        assert_eq!(joined_similarity(&j, &single("CHONGUN"), &p), JOINED_SIM);
        assert_eq!(joined_similarity(&j, &single("JONGIL"), &p), 0.0);
        // A long joined spelling may carry a typo; a short one may not.
        let long = Piece::joined(&t("FRIEDRICH"), &t("BUCHENBERG"));
        let typo = joined_similarity(&long, &single("FRIDRICHBUCHENBERG"), &p);
        assert!((0.9..=JOINED_SIM).contains(&typo), "{typo}");
        assert_eq!(joined_similarity(&j, &single("JONGUM"), &p), 0.0);
        assert_eq!(
            joined_similarity(&long, &single("FRIEDRICHBACHMANN"), &p),
            0.0
        );
    }
}
