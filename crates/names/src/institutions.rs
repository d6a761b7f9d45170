//! Korean (and Chinese) organisation names read through their institutional words.
//!
//! A DPRK organisation name in Hangul is one run of syllables: 조선광선은행 is 조선 (Korea,
//! *Chosŏn*) + 광선 (the proper name *Kwangsŏn*) + 은행 (bank, *ŭnhaeng*). Read syllable by
//! syllable it is CHO SON KWANG SON UN HAENG and matches nothing; read through the words of
//! `data/screening/korean_institution_words.tsv` it gives the two forms the lists write:
//! KOREA KWANGSON BANK (meaning) and CHOSON KWANGSON UNHAENG (sound). The same table holds
//! the Hanja and Chinese characters of each word, so 朝鲜矿业开发贸易公司 reads as KOREA
//! MINING DEVELOPMENT TRADING CO.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::korean::{self, System};

/// One institutional word with its two readings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Hangul spelling, `None` for a Chinese-only word (有限公司).
    pub hangul: Option<String>,
    /// Hanja / Chinese spellings (traditional and simplified).
    pub han: Vec<String>,
    /// McCune–Reischauer (with breves and apostrophes); `None` for a Chinese-only word.
    pub mr: Option<String>,
    /// Meaning, in the English the lists use.
    pub english: String,
    pub source: String,
}

/// The glossary, with its spellings indexed by characters.
pub struct Glossary {
    words: Vec<Word>,
    by_spelling: HashMap<Vec<char>, usize>,
    longest: usize,
}

/// A bad line of the glossary file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryLineError {
    pub line: usize,
    pub message: String,
}

impl Glossary {
    /// The bundled table; its lines are checked by a unit test, so none is skipped in use.
    pub fn bundled() -> &'static Glossary {
        static T: OnceLock<Glossary> = OnceLock::new();
        T.get_or_init(|| {
            Glossary::parse(include_str!(
                "../../../data/screening/korean_institution_words.tsv"
            ))
            .0
        })
    }

    /// Lines `HANGUL<TAB>HAN<TAB>MR<TAB>ENGLISH<TAB>SOURCE` (`-` for none); `#` starts a
    /// comment. Returns the table of the good lines and the bad ones.
    pub fn parse(text: &str) -> (Glossary, Vec<GlossaryLineError>) {
        let mut words = Vec::new();
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok(w) => words.push(w),
                Err(message) => errors.push(GlossaryLineError {
                    line: i + 1,
                    message,
                }),
            }
        }
        let mut by_spelling = HashMap::new();
        for (k, w) in words.iter().enumerate() {
            for s in w.hangul.iter().chain(&w.han) {
                by_spelling.entry(s.chars().collect()).or_insert(k);
            }
        }
        let longest = by_spelling.keys().map(Vec::len).max().unwrap_or(0);
        let glossary = Glossary {
            words,
            by_spelling,
            longest,
        };
        (glossary, errors)
    }

    pub fn words(&self) -> &[Word] {
        &self.words
    }

    /// The longest glossary word starting at `chars[0]`, with its length.
    fn longest_at(&self, chars: &[char]) -> Option<(&Word, usize)> {
        (2..=self.longest.min(chars.len())).rev().find_map(|n| {
            let k = self.by_spelling.get(chars.get(..n)?)?;
            Some((self.words.get(*k)?, n))
        })
    }
}

fn parse_line(line: &str) -> Result<Word, String> {
    let cols: Vec<&str> = line.split('\t').map(str::trim).collect();
    let [hangul, han, mr, english, source] = cols.as_slice() else {
        return Err(format!("{} columns, expected 5", cols.len()));
    };
    let some = |s: &str| (s != "-" && !s.is_empty()).then(|| s.to_string());
    let hangul = some(hangul);
    if hangul
        .as_deref()
        .is_some_and(|h| h.chars().count() < 2 || !h.chars().all(korean::is_hangul_syllable))
    {
        return Err("HANGUL must be two or more Hangul syllables".into());
    }
    let han: Vec<String> = han.split('|').filter_map(some).collect();
    if han
        .iter()
        .any(|h| h.chars().count() < 2 || !h.chars().all(is_han))
    {
        return Err("HAN must be spellings of two or more Han characters".into());
    }
    if english.is_empty() || source.is_empty() {
        return Err("ENGLISH and SOURCE must be given".into());
    }
    Ok(Word {
        hangul,
        han,
        mr: some(mr),
        english: english.to_string(),
        source: source.to_string(),
    })
}

/// CJK unified ideographs (the blocks Hanja and Chinese names use).
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF)
}

/// A piece of an organisation name: a glossary word or a run of other characters.
enum Part<'a> {
    Word(&'a Word),
    Run(String),
}

/// The parts of one run of Hangul or Han characters: glossary words, longest first, and the
/// characters between them (a proper name such as 광선).
fn parts<'g>(glossary: &'g Glossary, chars: &[char]) -> Vec<Part<'g>> {
    let mut out = Vec::new();
    let mut run = String::new();
    let mut i = 0;
    while let Some(rest) = chars.get(i..).filter(|r| !r.is_empty()) {
        if let Some((word, n)) = glossary.longest_at(rest) {
            if !run.is_empty() {
                out.push(Part::Run(std::mem::take(&mut run)));
            }
            out.push(Part::Word(word));
            i += n;
        } else {
            run.extend(rest.first());
            i += 1;
        }
    }
    if !run.is_empty() {
        out.push(Part::Run(run));
    }
    out
}

/// A proper-name run written as the lists write one: Hangul as one MR word (광선 →
/// KWANGSŎN), Han as one pinyin word (华信 → HUAXIN).
fn run_sound(run: &str) -> String {
    if run.chars().any(korean::is_hangul_syllable) {
        return korean::syllables(run, System::McCuneReischauer).concat();
    }
    run.chars()
        .map(|c| match pinyin::ToPinyin::to_pinyin(&c) {
            Some(p) => p.plain().to_string(),
            None => c.to_string(),
        })
        .collect()
}

/// Hangul or Han characters an organisation name must have before it is read through the
/// glossary: a Korean personal name has two to four syllables and none is an institution.
const MIN_ORGANISATION_CHARS: usize = 4;

/// The meaning form and the sound form of an organisation name written in Hangul or Han
/// characters (`조선광선은행` → `KOREA KWANGSON BANK`, `CHOSON KWANGSON UNHAENG`), or `None`
/// when the name holds no glossary word or is too short to be an organisation.
pub fn readings(name: &str) -> Option<(String, String)> {
    let glossary = Glossary::bundled();
    let script = |c: &char| korean::is_hangul_syllable(*c) || is_han(*c);
    let chars: Vec<char> = name.chars().collect();
    if chars.iter().filter(|c| script(c)).count() < MIN_ORGANISATION_CHARS {
        return None;
    }
    let (mut meaning, mut sound) = (String::new(), String::new());
    let mut words = 0;
    for chunk in chars.split(|c| !script(c)) {
        for part in parts(glossary, chunk) {
            let (m, s) = match part {
                Part::Word(w) => {
                    words += 1;
                    (w.english.clone(), w.mr.clone().unwrap_or(w.english.clone()))
                }
                Part::Run(r) => {
                    let s = run_sound(&r);
                    (s.clone(), s)
                }
            };
            meaning.push_str(&m);
            meaning.push(' ');
            sound.push_str(&s);
            sound.push(' ');
        }
    }
    // Latin words beside the characters (a legal form, a number) keep their place at the end.
    let latin: Vec<&str> = name
        .split(|c: char| script(&c) || !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for w in latin {
        meaning.push_str(w);
        meaning.push(' ');
        sound.push_str(w);
        sound.push(' ');
    }
    let latin = |s: &str| any_ascii::any_ascii(s.trim()).to_uppercase();
    (words > 0).then(|| (latin(&meaning), latin(&sound)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::fold;

    #[test]
    fn bundled_glossary_is_whole_and_its_sounds_follow_the_syllables() {
        let text = include_str!("../../../data/screening/korean_institution_words.tsv");
        let (glossary, errors) = Glossary::parse(text);
        assert_eq!(errors, vec![]);
        assert!(glossary.words().len() >= 40, "{}", glossary.words().len());
        for w in glossary.words() {
            let (Some(hangul), Some(mr)) = (&w.hangul, &w.mr) else {
                assert!(w.hangul.is_none() && w.mr.is_none(), "{w:?}");
                continue;
            };
            let upper = |s: &str| any_ascii::any_ascii(s).replace('\'', "").to_uppercase();
            let computed = upper(&korean::syllables(hangul, System::McCuneReischauer).concat());
            assert_eq!(fold(&upper(mr)), fold(&computed), "{hangul}");
        }
    }

    #[test]
    fn organisation_names_read_both_ways() {
        assert_eq!(
            readings("조선광선은행"),
            Some((
                "KOREA KWANGSON BANK".to_string(),
                "CHOSON KWANGSON UNHAENG".to_string()
            ))
        );
        assert_eq!(
            readings("朝鲜矿业开发贸易公司").map(|r| r.0),
            Some("KOREA MINING DEVELOPMENT TRADING CO".to_string())
        );
        assert_eq!(
            readings("華信船務(香港)有限公司").map(|r| r.0),
            Some("HUAXIN SHIPPING HONG KONG CO LTD".to_string())
        );
        // Personal names and names without institutional words are left to the name rules.
        assert_eq!(readings("김정은"), None);
        assert_eq!(readings("리병철"), None);
        assert_eq!(readings("남궁민수"), None);
    }
}
