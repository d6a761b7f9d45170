//! Words inside names that name a country (`data/screening/name_countries.tsv`): the
//! normalizer turns them into one `Country` token each (FOREIGN TRADE BANK OF THE
//! DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA → FOREIGN TRADE BANK OF THE DPRK), tokens of one
//! country pair (KOREA ~ CHOSON), and the matcher compares the countries a name names with
//! the query's (`Matcher::adjust`).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::token::{fold, Token, TokenClass};

/// A set of countries as bits, one per ISO code the table uses (at most 32: a unit test
/// holds the bundled table to it).
pub type CountryMask = u32;

pub struct NameCountries {
    /// (phrase words, canonical word), longest phrase first.
    phrases: Vec<(Vec<String>, String)>,
    /// First words of the phrases: most tokens start none, and one hash lookup settles them.
    first_words: std::collections::HashSet<String>,
    /// Canonical word → its countries.
    masks: HashMap<String, CountryMask>,
    /// ISO code of each bit.
    codes: Vec<String>,
}

impl NameCountries {
    /// The bundled table; a unit test holds every line of it to the format.
    pub fn bundled() -> &'static NameCountries {
        static T: OnceLock<NameCountries> = OnceLock::new();
        T.get_or_init(|| {
            NameCountries::parse(include_str!("../../../data/screening/name_countries.tsv"))
        })
    }

    /// Lines `PHRASE<TAB>CANONICAL<TAB>CODES`; `#` starts a comment; malformed lines are
    /// left out (see the unit test of the bundled file).
    pub fn parse(text: &str) -> NameCountries {
        let mut table = NameCountries {
            phrases: Vec::new(),
            first_words: std::collections::HashSet::new(),
            masks: HashMap::new(),
            codes: Vec::new(),
        };
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
            let [phrase, canonical, codes] = cols.as_slice() else {
                continue;
            };
            let mut mask = 0;
            for code in codes.split(',').map(str::trim).filter(|c| c.len() == 2) {
                mask |= table.bit(code);
            }
            let words: Vec<String> = phrase.split_whitespace().map(str::to_string).collect();
            if words.is_empty() || mask == 0 {
                continue;
            }
            *table.masks.entry(canonical.to_string()).or_insert(0) |= mask;
            table.phrases.push((words, canonical.to_string()));
        }
        table.phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        table.first_words = table
            .phrases
            .iter()
            .filter_map(|(words, _)| words.first().cloned())
            .collect();
        table
    }

    fn bit(&mut self, code: &str) -> CountryMask {
        let k = match self.codes.iter().position(|c| c == code) {
            Some(k) => k,
            None => {
                self.codes.push(code.to_string());
                self.codes.len() - 1
            }
        };
        1u32.checked_shl(k as u32).unwrap_or(0)
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    /// Countries of a canonical country word (0 for any other token).
    pub fn mask(&self, canonical: &str) -> CountryMask {
        self.masks.get(canonical).copied().unwrap_or(0)
    }

    /// The bit of an ISO code (0 when no name word names that country).
    pub fn code_mask(&self, iso: &str) -> CountryMask {
        self.codes
            .iter()
            .position(|c| c == iso)
            .and_then(|k| 1u32.checked_shl(k as u32))
            .unwrap_or(0)
    }

    /// The ISO codes of a mask, for explanations.
    pub fn codes(&self, mask: CountryMask) -> Vec<&str> {
        self.codes
            .iter()
            .enumerate()
            .filter(|(k, _)| mask & 1u32.checked_shl(*k as u32).unwrap_or(0) != 0)
            .map(|(_, c)| c.as_str())
            .collect()
    }

    /// Country phrases become one `Country` token with the canonical word.
    pub fn mark(&self, tokens: Vec<Token>) -> Vec<Token> {
        if !tokens.iter().any(|t| self.first_words.contains(&t.text)) {
            return tokens;
        }
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while let Some(t) = tokens.get(i) {
            if !self.first_words.contains(&t.text) {
                out.push(t.clone());
                i += 1;
                continue;
            }
            let hit = self.phrases.iter().find(|(words, _)| {
                tokens
                    .get(i..i + words.len())
                    .is_some_and(|run| run.iter().zip(words).all(|(t, w)| t.text == *w))
            });
            match hit {
                Some((words, canonical)) => {
                    out.push(Token {
                        text: canonical.clone(),
                        fold: fold(canonical),
                        class: TokenClass::Country,
                    });
                    i += words.len();
                }
                None => {
                    out.push(t.clone());
                    i += 1;
                }
            }
        }
        out
    }
}

/// The countries a name's tokens name.
pub fn name_mask(tokens: &[Token]) -> CountryMask {
    let table = NameCountries::bundled();
    tokens
        .iter()
        .filter(|t| t.class == TokenClass::Country)
        .fold(0, |m, t| m | table.mask(&t.text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_table_reads_whole() {
        let text = include_str!("../../../data/screening/name_countries.tsv");
        let lines = text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty());
        assert_eq!(NameCountries::bundled().len(), lines.count());
        assert!(NameCountries::bundled().codes.len() <= 32);
    }
}
