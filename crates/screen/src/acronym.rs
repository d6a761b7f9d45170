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

use crate::normalize::{Conflict, Token, TokenClass};

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
        || crate::piece::surname_mask(&t.text) != 0
    {
        return 0;
    }
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

/// Index keys for a name written as its acronym: the fold keys of the initials of each run
/// of its tokens that holds all its name tokens (3–6 letters). A query PLA probes these and
/// finds PEOPLES LIBERATION ARMY; a query in long form probes them and finds a listed PLA.
pub fn keys(tokens: &[Token]) -> Vec<String> {
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
            {
                let k = crate::normalize::fold(&letters);
                if !out.contains(&k) {
                    out.push(k);
                }
            }
        }
    }
    out
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
    fn keys_find_the_long_form() {
        let k = keys(&tokens("People's Liberation Army"));
        assert!(k.contains(&crate::normalize::fold("PLA")), "{k:?}");
        assert!(keys(&tokens("Kim")).is_empty());
    }
}
