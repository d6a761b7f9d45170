//! Hangul to Latin: McCune–Reischauer (MR, the system the UN and OFAC lists use for DPRK
//! names, apostrophes and breves included) and Revised Romanization (RR, South Korea's
//! official system since 2000).
//!
//! A precomposed Hangul syllable U+AC00..U+D7A3 is `0xAC00 + (initial * 21 + medial) * 28 + final`
//! (Unicode Standard, ch. 3.12 "Conjoining Jamo Behavior"), so each syllable decomposes
//! arithmetically into three table lookups. Names are romanized syllable by syllable in their
//! word-initial form, as the lists write given names (KIM JONG UN, RI JE-SON): the matcher
//! folds the remaining consonant voicing differences (CH/J, K/G, P/B, T/D).
//!
//! The tables follow the published systems: MR as in McCune & Reischauer (1939), "The
//! Romanization of the Korean Language"; RR per the Ministry of Culture and Tourism notice
//! 2000-8. Surname spellings that differ from the per-syllable romanization (RI/LI/YI, PAK,
//! CH'OE...) come from `data/screening/korean_surnames.tsv`.

const S_BASE: u32 = 0xAC00;
const S_COUNT: u32 = 11172;
const V_COUNT: u32 = 21;
const T_COUNT: u32 = 28;

const MR_INITIAL: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch'", "k'", "t'",
    "p'", "h",
];
const RR_INITIAL: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const MR_MEDIAL: [&str; 21] = [
    "a", "ae", "ya", "yae", "ŏ", "e", "yŏ", "ye", "o", "wa", "wae", "oe", "yo", "u", "wŏ", "we",
    "wi", "yu", "ŭ", "ŭi", "i",
];
const RR_MEDIAL: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
// Finals in their syllable-final (unreleased) pronunciation.
const MR_FINAL: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];
const RR_FINAL: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];

/// The two systems this module writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum System {
    McCuneReischauer,
    Revised,
}

pub fn is_hangul_syllable(c: char) -> bool {
    (S_BASE..S_BASE + S_COUNT).contains(&(c as u32))
}

/// (initial, medial, final) indexes of a precomposed syllable.
pub fn decompose(c: char) -> Option<(usize, usize, usize)> {
    let s = (c as u32).checked_sub(S_BASE).filter(|s| *s < S_COUNT)?;
    let l = s / (V_COUNT * T_COUNT);
    let v = (s % (V_COUNT * T_COUNT)) / T_COUNT;
    let t = s % T_COUNT;
    Some((l as usize, v as usize, t as usize))
}

/// One syllable, word-initial form. The initial ㄹ is written `r` in MR (DPRK usage: RI, RYU)
/// and RR alike; the silent ㅇ initial is dropped.
pub fn syllable(c: char, system: System) -> Option<String> {
    let (l, v, t) = decompose(c)?;
    let (ini, med, fin) = match system {
        System::McCuneReischauer => (MR_INITIAL, MR_MEDIAL, MR_FINAL),
        System::Revised => (RR_INITIAL, RR_MEDIAL, RR_FINAL),
    };
    let mut s = String::new();
    s.push_str(ini.get(l)?);
    // MR writes ㅅ before ㅣ/ㅟ as "sh" (shi, shwi).
    if system == System::McCuneReischauer && l == 9 && (v == 20 || v == 16) {
        s.push('h');
    }
    s.push_str(med.get(v)?);
    s.push_str(fin.get(t)?);
    Some(s)
}

/// Romanize a Hangul word (no spaces) syllable by syllable, returning the syllables.
pub fn syllables(word: &str, system: System) -> Vec<String> {
    word.chars().filter_map(|c| syllable(c, system)).collect()
}

/// Two-syllable family names (of the 286 surnames in Statistics Korea's 2015 census, these
/// are the ones in common use); a three-syllable Hangul name starting with one of them is
/// surname + one-syllable given name.
const DOUBLE_SURNAMES: [&str; 6] = ["남궁", "선우", "제갈", "독고", "황보", "사공"];

/// Split a Hangul personal name written without spaces into surname and given name.
/// `김정은` → (`김`, `정은`). Names of one syllable or of more than four are not split.
pub fn split_surname(word: &str) -> Option<(String, String)> {
    let n = word.chars().count();
    if !(2..=4).contains(&n) || !word.chars().all(is_hangul_syllable) {
        return None;
    }
    let take = if n >= 3 && DOUBLE_SURNAMES.iter().any(|d| word.starts_with(d)) {
        2
    } else {
        1
    };
    let surname: String = word.chars().take(take).collect();
    let given: String = word.chars().skip(take).collect();
    (!given.is_empty()).then_some((surname, given))
}

/// Surname table: Hangul surname → spellings found on the lists and in common use.
pub struct SurnameTable {
    rows: Vec<(String, Vec<String>)>,
}

impl SurnameTable {
    /// The bundled table (`data/screening/korean_surnames.tsv`).
    pub fn bundled() -> &'static SurnameTable {
        static TABLE: std::sync::OnceLock<SurnameTable> = std::sync::OnceLock::new();
        TABLE.get_or_init(|| {
            SurnameTable::parse(include_str!("../../../data/screening/korean_surnames.tsv"))
        })
    }

    /// Lines `hangul<TAB>spelling,spelling,...`; `#` starts a comment. Bad lines are ignored
    /// here because the file is bundled and checked by a unit test.
    pub fn parse(text: &str) -> SurnameTable {
        let rows = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let mut parts = l.split('\t');
                let hangul = parts.next()?.trim().to_string();
                let spellings = parts
                    .next()?
                    .split(',')
                    .map(|s| s.trim().to_ascii_uppercase())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>();
                (!spellings.is_empty()).then_some((hangul, spellings))
            })
            .collect();
        SurnameTable { rows }
    }

    pub fn spellings(&self, hangul: &str) -> Option<&[String]> {
        self.rows
            .iter()
            .find(|(h, _)| h == hangul)
            .map(|(_, s)| s.as_slice())
    }

    /// Every spelling class as a list; used to fold surname variants (RI = LI = YI = LEE).
    pub fn classes(&self) -> impl Iterator<Item = &[String]> {
        self.rows.iter().map(|(_, s)| s.as_slice())
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

/// Romanize a Hangul name as the lists would: surname by the table's first (list) spelling,
/// then given-name syllables. Returns space-separated tokens, e.g. `김정은` →
/// `KIM CHONG UN` (MR without breves/apostrophes is left to the normalizer).
pub fn romanize_name(word: &str, system: System) -> String {
    let table = SurnameTable::bundled();
    if let Some((sur, given)) = split_surname(word) {
        let sur_latin = match (system, table.spellings(&sur)) {
            (System::McCuneReischauer, Some(s)) => s.first().cloned().unwrap_or_default(),
            _ => syllables(&sur, system).concat().to_uppercase(),
        };
        let given_latin = syllables(&given, system).join(" ").to_uppercase();
        return format!("{sur_latin} {given_latin}");
    }
    syllables(word, system).join(" ").to_uppercase()
}

/// The classes of the bundled surname table that a spelling belongs to, one bit each.
pub fn surname_mask(text: &str) -> u128 {
    // Spelling → classes, built once: every token of every list goes through here.
    static MASKS: std::sync::OnceLock<std::collections::HashMap<String, u128>> =
        std::sync::OnceLock::new();
    let masks = MASKS.get_or_init(|| {
        let mut m = std::collections::HashMap::new();
        for (k, class) in SurnameTable::bundled().classes().enumerate().take(128) {
            for s in class {
                *m.entry(s.clone()).or_insert(0u128) |= 1u128 << k;
            }
        }
        m
    });
    masks.get(text).copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_decomposition() {
        // 한 = U+D55C: (0xD55C - 0xAC00) = 10588 = (18*21 + 0)*28 + 4 → ㅎ, ㅏ, ㄴ.
        assert_eq!(decompose('한'), Some((18, 0, 4)));
        assert_eq!(decompose('가'), Some((0, 0, 0)));
        assert_eq!(decompose('힣'), Some((18, 20, 27)));
        assert_eq!(decompose('A'), None);
    }

    #[test]
    fn syllables_in_both_systems() {
        assert_eq!(
            syllables("정은", System::McCuneReischauer),
            vec!["chŏng", "ŭn"]
        );
        assert_eq!(syllables("정은", System::Revised), vec!["jeong", "eun"]);
        assert_eq!(syllables("철", System::McCuneReischauer), vec!["ch'ŏl"]);
        assert_eq!(syllables("철", System::Revised), vec!["cheol"]);
        assert_eq!(syllables("시", System::McCuneReischauer), vec!["shi"]);
        assert_eq!(
            syllables("평양", System::McCuneReischauer),
            vec!["p'yŏng", "yang"]
        );
    }

    #[test]
    fn surnames_split_and_table() {
        assert_eq!(split_surname("김정은"), Some(("김".into(), "정은".into())));
        assert_eq!(split_surname("남궁민"), Some(("남궁".into(), "민".into())));
        assert_eq!(split_surname("김"), None);
        let t = SurnameTable::bundled();
        assert!(t.len() >= 20);
        assert_eq!(
            t.spellings("리")
                .and_then(|s| s.first())
                .map(String::as_str),
            Some("RI")
        );
        assert_eq!(
            romanize_name("김정은", System::McCuneReischauer),
            "KIM CHŎNG ŬN"
        );
        assert_eq!(romanize_name("박지성", System::Revised), "BAK JI SEONG");
    }
}
