//! Acronyms against the names they abbreviate: KPA = KOREAN PEOPLES ARMY, RGB =
//! RECONNAISSANCE GENERAL BUREAU, FTB = FOREIGN TRADE BANK, PLA = PEOPLES LIBERATION ARMY.
//! Lists and counterparties write organisations both ways, and an acronym shares no token
//! with its long form, so without this rule the two never meet.
//!
//! The rule is narrow on purpose. The acronym is a token of 3 to 6 letters, and the run of
//! tokens it spells must hold *every* name token of the other name (legal forms and generic
//! words may lie outside it). Otherwise any three-letter syllable (KIM, PAK) would find
//! some three-word company whose initials it happens to spell. Two-letter tokens are left
//! out: they are Korean and Chinese syllables (KO, RI, UN) far more often than initials.

use crate::token::{Conflict, Token, TokenClass};

/// Similarity of an acronym with the run of tokens it spells: strong evidence, below an
/// exact or romanized token, because a short acronym can spell more than one name.
pub const ACRONYM_SIM: f64 = 0.9;

const MIN_LEN: usize = 3;
const MAX_LEN: usize = 6;

/// Words an acronym skips (DEPARTMENT OF STATE = DOS, WORKERS PARTY OF KOREA = WPK).
fn is_connector(text: &str) -> bool {
    matches!(text, "OF" | "AND" | "THE" | "FOR")
}

/// The letter a token gives an acronym: its first; 0 for connectors, which acronyms skip.
pub fn initial(t: &Token) -> u8 {
    if is_connector(&t.text) {
        return 0;
    }
    t.text.bytes().next().unwrap_or(0)
}

/// The letters of a token that may be an acronym, packed one byte each from the lowest, or
/// 0 when it cannot be one: not a name token, not 3–6 letters A–Z, or a spelling of a Korean
/// surname (`data/screening/korean_surnames.tsv`: KIM, PAK, CHOE), which in this regime's
/// lists is a surname far more often than an acronym.
pub fn code(t: &Token) -> u64 {
    let b = t.text.as_bytes();
    if t.class != TokenClass::Name
        || !(MIN_LEN..=MAX_LEN).contains(&b.len())
        || !b.iter().all(u8::is_ascii_uppercase)
        || crate::korean::surname_mask(&t.text) != 0
    {
        return 0;
    }
    pack(b)
}

/// One bit of a 32-bit set for an acronym code.
fn bit(code: u64) -> u32 {
    1 << (code.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 59)
}

/// A 32-bit set of acronym codes (a one-hash Bloom filter). [`span`] finds a run only for a
/// code among the name's own acronyms ([`of_name`]), so when a name's set of acronyms and
/// the other name's set of acronym-shaped tokens share no bit, no pair needs looking at:
/// that settles almost every candidate without reading its tokens' codes.
pub fn set(codes: impl IntoIterator<Item = u64>) -> u32 {
    codes
        .into_iter()
        .filter(|c| *c != 0)
        .fold(0, |m, c| m | bit(c))
}

/// The set of a name's acronyms ([`of_name`]) as codes.
pub fn name_set(tokens: &[Token]) -> u32 {
    set(of_name(tokens).iter().map(|a| pack(a.as_bytes())))
}

/// Letters packed one byte each from the lowest, as [`code`] packs them.
fn pack(b: &[u8]) -> u64 {
    b.iter()
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

/// The run of tokens `j0..=j1` whose initials (connectors skipped) spell the acronym `code`
/// and which holds every name token of its name (`kinds`, see [`Conflict::Name`]).
pub fn span(code: u64, initials: &[u8], kinds: &[Conflict]) -> Option<(usize, usize)> {
    if code == 0 {
        return None;
    }
    let first_name = kinds.iter().position(|k| *k == Conflict::Name)?;
    let last_name = kinds.iter().rposition(|k| *k == Conflict::Name)?;
    let first = (code & 0xff) as u8;
    for j0 in 0..=first_name {
        if initials.get(j0) != Some(&first) {
            continue;
        }
        let mut rest = code;
        let mut j = j0;
        let mut last = j0;
        while rest != 0 {
            match initials.get(j) {
                None => break,
                Some(0) => {}
                Some(&x) if u64::from(x) == rest & 0xff => {
                    rest >>= 8;
                    last = j;
                }
                Some(_) => break,
            }
            j += 1;
        }
        if rest == 0 && last >= last_name {
            return Some((j0, last));
        }
    }
    None
}

/// The acronyms a name can be written as: the initials of each run of its tokens that holds
/// all its name tokens (3–6 letters). PEOPLES LIBERATION ARMY gives PLA.
pub fn of_name(tokens: &[Token]) -> Vec<String> {
    let kinds: Vec<Conflict> = tokens.iter().map(Token::conflict).collect();
    let (Some(first_name), Some(last_name)) = (
        kinds.iter().position(|k| *k == Conflict::Name),
        kinds.iter().rposition(|k| *k == Conflict::Name),
    ) else {
        return Vec::new();
    };
    let initials: Vec<u8> = tokens.iter().map(initial).collect();
    let mut out = Vec::new();
    for j0 in 0..=first_name {
        let mut letters = String::new();
        for (j, &x) in initials.iter().enumerate().skip(j0) {
            if x != 0 {
                letters.push(char::from(x));
            }
            if letters.len() > MAX_LEN {
                break;
            }
            if j >= last_name
                && letters.len() >= MIN_LEN
                && letters.bytes().all(|b| b.is_ascii_uppercase())
                && !out.contains(&letters)
            {
                out.push(letters.clone());
            }
        }
    }
    out
}

/// Index keys that bring an acronym and the name it spells together, in their own key
/// space: a listed name is filed under its acronyms (`^A`) and its acronym-shaped tokens
/// (`^T`); a query probes `^A` with its acronym-shaped tokens (PLA finds PEOPLES LIBERATION
/// ARMY) and `^T` with its acronyms (the long form finds a listed PLA). Two names with the
/// same initials never meet this way.
pub fn index_keys(tokens: &[Token], side: crate::wade_giles::Side) -> Vec<String> {
    use crate::wade_giles::Side;
    let (own, other) = match side {
        Side::Listed => ("^A", "^T"),
        Side::Query => ("^T", "^A"),
    };
    let mut keys: Vec<String> = of_name(tokens)
        .into_iter()
        .map(|a| format!("{own}{a}"))
        .collect();
    keys.extend(
        tokens
            .iter()
            .filter(|t| code(t) != 0)
            .map(|t| format!("{other}{}", t.text)),
    );
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tokens;

    fn spans(acronym: &str, name: &str) -> Option<(usize, usize)> {
        let a = tokens(acronym);
        let n = tokens(name);
        let initials: Vec<u8> = n.iter().map(initial).collect();
        let kinds: Vec<Conflict> = n.iter().map(Token::conflict).collect();
        span(code(a.first()?), &initials, &kinds)
    }

    #[test]
    fn acronyms_spell_whole_names() {
        assert_eq!(spans("PLA", "People's Liberation Army"), Some((0, 2)));
        assert_eq!(spans("RGB", "Reconnaissance General Bureau"), Some((0, 2)));
        assert_eq!(spans("WPK", "Workers' Party of Korea"), Some((0, 3)));
        // Legal forms may lie outside the run, name tokens may not.
        assert_eq!(spans("KPA", "Korean People's Army Co. Ltd."), Some((0, 2)));
        assert_eq!(spans("KPA", "Korean People's Army Supply Bureau"), None);
        assert_eq!(spans("KIM", "KIM JONG UN"), None);
        assert_eq!(spans("KIM", "Korea International Mining"), None);
        // Two letters are syllables more often than initials.
        assert_eq!(code(&tokens("KO")[0]), 0);
        assert_eq!(spans("PLA", "Peoples Army"), None);
    }

    #[test]
    fn sets_hold_what_span_finds() {
        let long = tokens("Reconnaissance General Bureau");
        let short = tokens("RGB");
        assert_ne!(name_set(&long) & set(short.iter().map(code)), 0);
        assert_eq!(code(&short[0]), pack(b"RGB"));
        assert_eq!(set(tokens("KIM JONG UN").iter().map(code)), 0);
    }

    #[test]
    fn keys_find_the_long_form() {
        use crate::wade_giles::Side;
        assert_eq!(of_name(&tokens("People's Liberation Army")), ["PLA"]);
        assert!(of_name(&tokens("Kim")).is_empty());
        let listed = index_keys(&tokens("People's Liberation Army"), Side::Listed);
        let query = index_keys(&tokens("PLA"), Side::Query);
        assert!(
            query.iter().any(|k| listed.contains(k)),
            "{listed:?} {query:?}"
        );
        // Two long forms with the same initials do not meet.
        let other = index_keys(&tokens("Peoples Labour Association"), Side::Query);
        assert!(!other.iter().any(|k| listed.contains(k)), "{other:?}");
    }
}
