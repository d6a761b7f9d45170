//! From a name as typed or listed to comparable tokens.
//!
//! 1. Script: Hangul → McCune–Reischauer and Revised Romanization (two forms), Han → pinyin,
//!    everything else → ASCII through `any_ascii` (Cyrillic, Arabic, Greek, Hebrew, Thai...).
//! 2. Case and punctuation: upper-case; apostrophes, typographic quotes and breves vanish
//!    (CHO'NG = CHŎNG = CHONG); hyphens, commas and dots separate tokens (KIM JONG-UN =
//!    KIM JONG UN). Joined forms (JONGUN) are handled by the aligner, which may pair one
//!    token with two adjacent ones.
//! 3. Stop words (legal forms, generic business words, honorifics) are marked so the scorer
//!    can make them neutral; long forms fold to short ones (AKTIENGESELLSCHAFT → AG).
//! 4. Each token also gets a *fold key* that erases romanization differences (see [`fold`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::korean::{self, System};
pub use crate::token::{fold, Conflict, NameForm, Token, TokenClass};

/// Roman numerals as series markers (fund vintages, trust series, ship numbers): they must
/// be equal like digits. Single letters (I, V, X) are initials far more often, and XI is a
/// Chinese surname, so only these forms count.
fn is_roman_numeral(w: &str) -> bool {
    matches!(
        w,
        "II" | "III"
            | "IV"
            | "VI"
            | "VII"
            | "VIII"
            | "IX"
            | "XII"
            | "XIII"
            | "XIV"
            | "XV"
            | "XVI"
            | "XVII"
            | "XVIII"
            | "XIX"
            | "XX"
    )
}

/// Stop-word table from `data/screening/name_stopwords.tsv`.
pub struct Stopwords {
    map: HashMap<String, (TokenClass, String)>,
}

impl Stopwords {
    pub fn bundled() -> &'static Stopwords {
        static T: OnceLock<Stopwords> = OnceLock::new();
        T.get_or_init(|| {
            Stopwords::parse(include_str!("../../../data/screening/name_stopwords.tsv"))
        })
    }

    pub fn parse(text: &str) -> Stopwords {
        let mut map = HashMap::new();
        for line in text.lines() {
            let line = line.trim_end();
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let mut parts = line.split('\t');
            let (Some(class), Some(word)) = (parts.next(), parts.next()) else {
                continue;
            };
            let canonical = parts.next().unwrap_or(word).to_string();
            let class = match class {
                "title" => TokenClass::Title,
                _ => TokenClass::Form,
            };
            map.entry(word.to_string()).or_insert((class, canonical));
        }
        Stopwords { map }
    }

    pub fn lookup(&self, word: &str) -> Option<&(TokenClass, String)> {
        self.map.get(word)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

use crate::institutions::is_han;

/// Latin renderings of a name. Plain Latin input gives one form; Hangul gives its MR and RR
/// forms; Han gives pinyin. The first form is the primary one.
pub fn latin_forms(name: &str) -> Vec<String> {
    if name.is_ascii() {
        return vec![name.to_string()];
    }
    let shown = crate::display::displayed(name);
    let name: &str = &shown;
    let has_hangul = name.chars().any(korean::is_hangul_syllable);
    let has_han = name.chars().any(is_han);
    if !has_hangul && !has_han {
        if name.is_ascii() {
            return vec![name.to_string()];
        }
        return vec![any_ascii::any_ascii(name)];
    }
    let mut forms = Vec::new();
    // An organisation name read through its institutional words (KOREA KWANGSON BANK,
    // CHOSON KWANGSON UNHAENG). In Hangul these replace the syllable-by-syllable reading,
    // which is a personal name's; Han characters keep their pinyin form too (a Chinese
    // company writes its proper name in pinyin).
    if let Some((meaning, sound)) = crate::institutions::readings(name) {
        forms.push(meaning);
        if !forms.contains(&sound) {
            forms.push(sound);
        }
        if has_hangul {
            return forms;
        }
    }
    for system in [System::McCuneReischauer, System::Revised] {
        let mut out = String::new();
        for word in name.split(|c: char| c.is_whitespace() || c == '·' || c == '・') {
            if word.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            if word.chars().all(korean::is_hangul_syllable) {
                out.push_str(&any_ascii::any_ascii(&korean::romanize_name(word, system)));
            } else {
                out.push_str(&word_to_latin(word));
            }
        }
        if !forms.contains(&out) {
            forms.push(out);
        }
        if !has_hangul {
            break;
        }
    }
    forms
}

/// A word in any script: Han characters become space-separated pinyin syllables.
fn word_to_latin(word: &str) -> String {
    let mut out = String::new();
    for c in word.chars() {
        if is_han(c) {
            let py = pinyin::ToPinyin::to_pinyin(&c);
            out.push(' ');
            match py {
                Some(p) => out.push_str(p.plain()),
                None => out.push_str(&any_ascii::any_ascii(&c.to_string())),
            }
            out.push(' ');
        } else if korean::is_hangul_syllable(c) {
            out.push(' ');
            out.push_str(&korean::syllables(&c.to_string(), System::McCuneReischauer).concat());
            out.push(' ');
        } else {
            out.push_str(&any_ascii::any_ascii(&c.to_string()));
        }
    }
    out
}

/// Upper-case ASCII tokens of a Latin string, with multi-word legal forms abbreviated and
/// English number words written as digits.
pub fn tokens(latin: &str) -> Vec<Token> {
    let words = LegalPhrases::bundled().abbreviate(word_tokens(latin));
    let words = crate::name_countries::NameCountries::bundled().mark(words);
    own_acronym(patronymics(
        particles(number_words(words)),
        latin.contains(','),
    ))
}

/// A last token that spells the initials of the tokens before it (KOREA KWANGSON BANKING
/// CORPORATION (KKBC), FOREIGN TRADE BANK (FTB); OF, THE and AND skipped) is the name's own
/// short form, written after it: it weighs like a legal form, so a short form of the name
/// (KWANGSON BANK) is not held back by it. Three letters or more: two-letter tokens are
/// mostly initials or Korean syllables.
fn own_acronym(mut tokens: Vec<Token>) -> Vec<Token> {
    let Some((last, before)) = tokens.split_last() else {
        return tokens;
    };
    let n = last.text.len();
    if last.class != TokenClass::Name || !(3..=8).contains(&n) {
        return tokens;
    }
    let initials: String = before
        .iter()
        .filter(|t| !matches!(t.text.as_str(), "OF" | "THE" | "AND"))
        .filter_map(|t| t.text.chars().next())
        .take(n)
        .collect();
    if initials == last.text {
        if let Some(t) = tokens.last_mut() {
            t.class = TokenClass::Form;
        }
    }
    tokens
}

/// Russian, Ukrainian and Belarusian patronymic endings (-ovich, -evich, -ovych, -ovna ...),
/// as the lists transliterate them.
fn patronymic_shaped(text: &str) -> bool {
    const ENDINGS: [&str; 9] = [
        "OVICH", "EVICH", "OVYCH", "EVYCH", "OVITCH", "EVITCH", "OVNA", "EVNA", "IVNA",
    ];
    text.len() >= 7 && ENDINGS.iter().any(|e| text.ends_with(e))
}

/// Name tokens with a patronymic ending become `Patronymic` where a patronymic stands:
/// between two name tokens (SERGEY VIKTOROVICH LAVROV), or last after a comma in a name of
/// three or more (LAVROV, SERGEY VIKTOROVICH). Elsewhere the ending is a surname's
/// (ROMAN ABRAMOVICH, ALEXANDER LUKASHEVICH).
fn patronymics(mut tokens: Vec<Token>, comma: bool) -> Vec<Token> {
    let names: Vec<usize> = tokens
        .iter()
        .enumerate()
        .filter(|(_, t)| t.class == TokenClass::Name)
        .map(|(k, _)| k)
        .collect();
    let (Some(&first), Some(&last)) = (names.first(), names.last()) else {
        return tokens;
    };
    for &k in &names {
        let Some(t) = tokens.get_mut(k) else {
            continue;
        };
        let middle = k > first && k < last;
        let after_comma = comma && k == last && names.len() >= 3;
        if (middle || after_comma) && patronymic_shaped(&t.text) {
            t.class = TokenClass::Patronymic;
        }
    }
    tokens
}

/// Particles before another name element become low-weight canonical tokens. The last token
/// stays a name: a particle relates to what follows it, and a final BIN is the Korean
/// given-name syllable 빈 (KO TAE BIN).
fn particles(mut tokens: Vec<Token>) -> Vec<Token> {
    let n = tokens.len();
    for t in tokens.iter_mut().take(n.saturating_sub(1)) {
        if t.class != TokenClass::Name {
            continue;
        }
        if let Some(canon) = particle(&t.text) {
            t.text = canon.to_string();
            t.fold = fold(canon);
            t.class = TokenClass::Title;
        }
    }
    tokens
}

/// The canonical form of a name particle (`data/name_particles.tsv`): AL for EL, BIN for IBN.
fn particle(word: &str) -> Option<&'static str> {
    static T: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    T.get_or_init(|| {
        include_str!("../../../data/screening/name_particles.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(w, c)| (w.trim(), c.trim()))
            .collect()
    })
    .get(word)
    .copied()
}

/// `1ST`, `2ND`, `3RD`, `44TH` → the digits.
fn digit_ordinal(word: &str) -> Option<String> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = word.get(digits.len()..)?;
    (!digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(suffix, "ST" | "ND" | "RD" | "TH"))
    .then(|| digits.to_string())
}

/// Value of an English number word below 100 (cardinal or ordinal) and whether it is a
/// multiple of ten that a unit may follow (FORTY FOUR, FORTY-4).
fn number_word(w: &str) -> Option<(u32, bool)> {
    let units = [
        ("ZERO", 0),
        ("ONE", 1),
        ("FIRST", 1),
        ("TWO", 2),
        ("SECOND", 2),
        ("THREE", 3),
        ("THIRD", 3),
        ("FOUR", 4),
        ("FOURTH", 4),
        ("FIVE", 5),
        ("FIFTH", 5),
        ("SIX", 6),
        ("SIXTH", 6),
        ("SEVEN", 7),
        ("SEVENTH", 7),
        ("EIGHT", 8),
        ("EIGHTH", 8),
        ("NINE", 9),
        ("NINTH", 9),
        ("TEN", 10),
        ("TENTH", 10),
        ("ELEVEN", 11),
        ("TWELVE", 12),
        ("TWELFTH", 12),
        ("THIRTEEN", 13),
        ("FOURTEEN", 14),
        ("FIFTEEN", 15),
        ("SIXTEEN", 16),
        ("SEVENTEEN", 17),
        ("EIGHTEEN", 18),
        ("NINETEEN", 19),
    ];
    // FOURTY is the common misspelling of FORTY.
    let tens = [
        ("TWENTY", 20),
        ("THIRTY", 30),
        ("FORTY", 40),
        ("FOURTY", 40),
        ("FIFTY", 50),
        ("SIXTY", 60),
        ("SEVENTY", 70),
        ("EIGHTY", 80),
        ("NINETY", 90),
    ];
    if let Some((_, v)) = units.iter().find(|(k, _)| *k == w) {
        return Some((*v, false));
    }
    tens.iter().find(|(k, _)| *k == w).map(|(_, v)| (*v, true))
}

/// English number words become Number tokens (THREE PERCENTERS = 3 PERCENTERS, BRIGADE
/// FORTY-FOUR = BRIGADE 44, FIRST = 1ST = 1), so they must equal the digits like numbers do.
fn number_words(tokens: Vec<Token>) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(t) = tokens.get(i) {
        let Some((mut value, tens)) = number_word(&t.text) else {
            out.push(t.clone());
            i += 1;
            continue;
        };
        i += 1;
        if tens {
            let unit = tokens.get(i).and_then(|n| match number_word(&n.text) {
                Some((u, false)) if (1..=9).contains(&u) => Some(u),
                _ if n.text.len() == 1 && n.class == TokenClass::Number => {
                    n.text.parse::<u32>().ok().filter(|u| *u > 0)
                }
                _ => None,
            });
            if let Some(u) = unit {
                value += u;
                i += 1;
            }
        }
        let text = value.to_string();
        out.push(Token {
            fold: fold(&text),
            text,
            class: TokenClass::Number,
        });
    }
    out
}

/// Multi-word legal forms (`data/legal_form_phrases.tsv`), as token sequences.
pub struct LegalPhrases {
    /// (phrase tokens, abbreviation token), longest phrase first.
    phrases: Vec<(Vec<String>, Token)>,
}

impl LegalPhrases {
    pub fn bundled() -> &'static LegalPhrases {
        static T: OnceLock<LegalPhrases> = OnceLock::new();
        T.get_or_init(|| {
            LegalPhrases::parse(include_str!(
                "../../../data/screening/legal_form_phrases.tsv"
            ))
        })
    }

    /// Lines `PHRASE<TAB>ABBREVIATION`; `#` starts a comment. Phrases are tokenized like
    /// names, so they match after the same normalization (COMPANY is already CO there).
    pub fn parse(text: &str) -> LegalPhrases {
        let mut phrases: Vec<(Vec<String>, Token)> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
            .filter_map(|l| {
                let (phrase, abbr) = l.split_once('\t')?;
                let words: Vec<String> = word_tokens(phrase).into_iter().map(|t| t.text).collect();
                let abbr = word_tokens(abbr).into_iter().next()?;
                let abbr = Token {
                    class: TokenClass::Form,
                    ..abbr
                };
                (!words.is_empty()).then_some((words, abbr))
            })
            .collect();
        phrases.sort_by_key(|p| std::cmp::Reverse(p.0.len()));
        LegalPhrases { phrases }
    }

    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    fn abbreviate(&self, tokens: Vec<Token>) -> Vec<Token> {
        let mut out = Vec::with_capacity(tokens.len());
        let mut i = 0;
        while let Some(t) = tokens.get(i) {
            let hit = self.phrases.iter().find(|(words, _)| {
                tokens
                    .get(i..i + words.len())
                    .is_some_and(|run| run.iter().zip(words).all(|(t, w)| t.text == *w))
            });
            match hit {
                Some((words, abbr)) => {
                    out.push(abbr.clone());
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

/// Upper-case ASCII tokens of a Latin string, word by word.
fn word_tokens(latin: &str) -> Vec<Token> {
    let stop = Stopwords::bundled();
    let mut out = Vec::new();
    let mut cur = String::new();
    // `dotted[k]`: token k is a letter written with a dot before or after it (S.A., L.P,
    // J.-C.), see join_dotted_initials.
    let mut dotted: Vec<bool> = Vec::new();
    let flush = |cur: &mut String, out: &mut Vec<Token>, dotted: &mut Vec<bool>, dot: bool| {
        if cur.is_empty() {
            return;
        }
        dotted.resize(out.len(), false);
        dotted.push(dot && cur.len() == 1);
        let mut word = std::mem::take(cur);
        // Ordinals written with digits (1ST, 22ND, 44TH) are the number.
        if let Some(n) = digit_ordinal(&word) {
            word = n;
        }
        // Digits inside letters are look-alike typos or obfuscation (SECH1N, IG0R).
        if word.bytes().any(|b| b.is_ascii_digit())
            && word.bytes().filter(|b| b.is_ascii_alphabetic()).count() >= 2
        {
            word = word
                .chars()
                .map(|c| match c {
                    '0' => 'O',
                    '1' => 'I',
                    '3' => 'E',
                    '4' => 'A',
                    '5' => 'S',
                    '9' => 'G',
                    other => other,
                })
                .collect();
        }
        let (class, text) = if word.bytes().all(|b| b.is_ascii_digit()) || is_roman_numeral(&word) {
            (TokenClass::Number, word)
        } else if let Some((class, canon)) = stop.lookup(&word) {
            (*class, canon.clone())
        } else {
            (TokenClass::Name, word)
        };
        let fold = fold(&text);
        out.push(Token { text, fold, class });
    };
    let mut prev = ' ';
    // The current word began right after a dot (the P of L.P).
    let mut after_dot = false;
    for c in latin.chars() {
        let before = std::mem::replace(&mut prev, c);
        if c.is_ascii_alphanumeric() {
            if cur.is_empty() {
                after_dot = before == '.';
            }
            cur.push(c.to_ascii_uppercase());
        } else if matches!(c, '\'' | '’' | '‘' | 'ʼ' | 'ʻ' | '`' | '´' | '"') {
            // MR apostrophes mark aspiration or a syllable break: CH'OL = CHOL, CHO'NG = CHONG.
        } else if c == '.' && cur.len() == 1 {
            // "S.A." → SA; initials "J." stay one letter each.
            cur.push(' ');
            let w = cur.trim().to_string();
            cur.clear();
            cur.push_str(&w);
            flush(&mut cur, &mut out, &mut dotted, true);
        } else if c.is_ascii() {
            flush(&mut cur, &mut out, &mut dotted, after_dot);
        } else {
            // Letters any_ascii left (rare): transliterate in place.
            let t = any_ascii::any_ascii(&c.to_string());
            if t.chars().all(|x| x.is_ascii_alphanumeric()) && !t.is_empty() {
                cur.push_str(&t.to_ascii_uppercase());
            } else {
                flush(&mut cur, &mut out, &mut dotted, after_dot);
            }
        }
    }
    flush(&mut cur, &mut out, &mut dotted, after_dot);
    dotted.resize(out.len(), false);
    join_dotted_initials(out, &dotted)
}

/// `S A` written `S.A.` arrives as single letters; join runs of single letters (A.B.C. =
/// ABC) and recognise joined legal forms (S.A. = SA). A run is written one way, all with
/// dots or all without (`dotted[k]`: letter k was followed by a dot): in PARTNERS V L.P. the
/// V is a series letter and L.P. the legal form, not one word VLP.
fn join_dotted_initials(tokens: Vec<Token>, dotted: &[bool]) -> Vec<Token> {
    let stop = Stopwords::bundled();
    let mut out: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    let letter = |j: usize| {
        tokens
            .get(j)
            .filter(|t| t.text.len() == 1 && t.class == TokenClass::Name)
    };
    while i < tokens.len() {
        // The whole run of letters, whatever the style, when it spells a legal form
        // (Sp. z o.o. = SP ZOO); otherwise the run written in one style.
        let mut whole = String::new();
        let mut end = i;
        while let Some(t) = letter(end) {
            whole.push_str(&t.text);
            end += 1;
        }
        let style = dotted.get(i).copied().unwrap_or(false);
        let (j, joined) = if end - i >= 2 && stop.lookup(&whole).is_some() {
            (end, whole)
        } else {
            let mut j = i;
            let mut joined = String::new();
            while let Some(t) = letter(j).filter(|_| dotted.get(j).copied() == Some(style)) {
                joined.push_str(&t.text);
                j += 1;
            }
            (j, joined)
        };
        if j - i >= 2 {
            // Runs of single letters are acronyms written with dots or spaces (A.B.C., S.A.).
            let (class, text) = match stop.lookup(&joined) {
                Some((class, canon)) => (*class, canon.clone()),
                None => (TokenClass::Name, joined),
            };
            out.push(Token {
                fold: fold(&text),
                text,
                class,
            });
            i = j;
            continue;
        }
        if let Some(t) = tokens.get(i) {
            out.push(t.clone());
        }
        i += 1;
    }
    out
}

/// All comparable forms of a name (one per Latin rendering).
pub fn forms(name: &str) -> Vec<NameForm> {
    latin_forms(name)
        .into_iter()
        .map(|latin| {
            let tokens = tokens(&latin);
            NameForm {
                comma: latin.contains(','),
                latin,
                tokens,
            }
        })
        .filter(|f| !f.tokens.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn punctuation_and_apostrophes() {
        assert_eq!(texts("KIM JONG-UN"), vec!["KIM", "JONG", "UN"]);
        assert_eq!(texts("Kim Cho\u{2019}ng-sik"), vec!["KIM", "CHONG", "SIK"]);
        assert_eq!(texts("MUN CHO'NG-CH'O'L"), vec!["MUN", "CHONG", "CHOL"]);
        assert_eq!(texts("Siemens Aktiengesellschaft"), vec!["SIEMENS", "AG"]);
        assert_eq!(texts("ACME S.A."), vec!["ACME", "SA"]);
        assert_eq!(texts("ACME S.A"), vec!["ACME", "SA"]);
        assert_eq!(texts("J. C. Juncker"), vec!["JC", "JUNCKER"]);
        assert_eq!(texts("A B C Trading")[0], "ABC");
        assert_eq!(texts("Faberlic Europe Sp. z o.o.")[2..], ["SP", "ZOO"]);
        // A series letter before a dotted legal form stays apart from it.
        assert_eq!(texts("Partners V L.P."), vec!["PARTNERS", "V", "LP"]);
        assert_eq!(tokens("YUSONG SHIPPING CO.")[1].class, TokenClass::Form);
        assert_eq!(tokens("SAM 5")[1].class, TokenClass::Number);
        // A name's own acronym after it weighs like a legal form.
        let kkbc = tokens("KOREA KWANGSON BANKING CORPORATION (KKBC)");
        assert_eq!(kkbc.last().map(|t| t.class), Some(TokenClass::Form));
        let gbae = tokens("GENERAL BUREAU OF ATOMIC ENERGY (GBAE)");
        assert_eq!(gbae.last().map(|t| t.class), Some(TokenClass::Form));
        assert_eq!(tokens("KIM JONG UN")[2].class, TokenClass::Name);
        assert_eq!(tokens("KKBC")[0].class, TokenClass::Name);
    }

    #[test]
    fn legal_form_phrases_become_abbreviations() {
        assert!(LegalPhrases::bundled().len() >= 20);
        assert_eq!(
            texts("Volkswagen Gesellschaft mit beschränkter Haftung"),
            vec!["VOLKSWAGEN", "GMBH"]
        );
        assert_eq!(
            texts("Stripe Limited Liability Company"),
            vec!["STRIPE", "LLC"]
        );
        assert_eq!(
            texts("OAO Gazprom"),
            texts("Open Joint Stock Company Gazprom")
        );
        assert_eq!(texts("ООО Ромашка"), vec!["LLC", "ROMASHKA"]);
        // A phrase needs all its words: LIMITED alone stays the legal form LTD.
        assert_eq!(texts("Crystalord Limited"), vec!["CRYSTALORD", "LTD"]);
        assert_eq!(tokens("Stripe LLC")[1].class, TokenClass::Form);
    }

    #[test]
    fn particles_fold_and_weigh_little() {
        assert_eq!(texts("Usama ibn Laden"), vec!["USAMA", "BIN", "LADEN"]);
        assert_eq!(texts("Bachar el-Assad"), vec!["BACHAR", "AL", "ASSAD"]);
        assert_eq!(tokens("Osama bin Laden")[1].class, TokenClass::Title);
        assert_eq!(tokens("Ben Smith")[0].class, TokenClass::Name);
        assert_eq!(tokens("KO TAE BIN")[2].class, TokenClass::Name);
    }

    #[test]
    fn patronymics_in_their_place() {
        let classes = |s: &str| tokens(s).into_iter().map(|t| t.class).collect::<Vec<_>>();
        use TokenClass::{Name, Patronymic};
        assert_eq!(
            classes("Sergey Viktorovich Lavrov"),
            vec![Name, Patronymic, Name]
        );
        assert_eq!(
            classes("LAVROV, Sergey Viktorovich"),
            vec![Name, Name, Patronymic]
        );
        assert_eq!(classes("Roman Abramovich"), vec![Name, Name]);
        assert_eq!(
            classes("Roman Arkadyevich Abramovich"),
            vec![Name, Patronymic, Name]
        );
        assert_eq!(classes("Friedrich Ulrich Smith"), vec![Name, Name, Name]);
    }

    #[test]
    fn number_words_are_numbers() {
        assert_eq!(texts("Brigade Forty-Four"), vec!["BRIGADE", "44"]);
        assert_eq!(texts("Brigade Fourty 4"), vec!["BRIGADE", "44"]);
        assert_eq!(texts("Three Percenters"), vec!["3", "PERCENTERS"]);
        assert_eq!(
            texts("1st International Bank"),
            texts("First International Bank")
        );
        assert_eq!(tokens("First Bank")[0].class, TokenClass::Number);
        // Look-alike digits inside words are still letters.
        assert_eq!(texts("SECH1N"), vec!["SECHIN"]);
    }

    #[test]
    fn breves_through_any_ascii() {
        assert_eq!(latin_forms("Kim Chŏng-ŭn"), vec!["Kim Chong-un"]);
    }

    #[test]
    fn folds_romanization_variants() {
        assert_eq!(fold("JEONG"), fold("CHONG"));
        assert_eq!(fold("JONG"), fold("CHONG"));
        assert_eq!(fold("EUN"), fold("UN"));
        assert_eq!(fold("MOON"), fold("MUN"));
        assert_eq!(fold("PAK"), fold("BAK"));
        assert_eq!(fold("CHEOL"), fold("CHOL"));
        assert_eq!(fold("RI"), fold("LI"));
        assert_ne!(fold("KIM"), fold("KIL"));
        assert_ne!(fold("JONG"), fold("YONG"));
    }

    #[test]
    fn hangul_and_han_forms() {
        let f = latin_forms("김정은");
        assert_eq!(f, vec!["KIM CHONG UN", "GIM JEONG EUN"]);
        let h = latin_forms("习近平");
        assert_eq!(
            tokens(&h[0])
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>(),
            vec!["XI", "JIN", "PING"]
        );
        assert_eq!(latin_forms("Владимир Путин"), vec!["Vladimir Putin"]);
    }

    #[test]
    fn phrases_become_one_country_token() {
        let t = tokens("FOREIGN TRADE BANK OF THE DEMOCRATIC PEOPLE'S REPUBLIC OF KOREA");
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["FOREIGN", "TRADE", "BANK", "OF", "THE", "DPRK"]);
        let table = crate::name_countries::NameCountries::bundled();
        assert_eq!(table.codes(crate::name_countries::name_mask(&t)), ["KP"]);
        let myanma = tokens("MYANMA FOREIGN TRADE BANK");
        assert_eq!(
            table.codes(crate::name_countries::name_mask(&myanma)),
            ["MM"]
        );
        let korea = tokens("Korea Development Bank");
        assert_eq!(
            table.codes(crate::name_countries::name_mask(&korea)),
            ["KP", "KR"]
        );
        assert_eq!(crate::name_countries::name_mask(&tokens("KIM JONG UN")), 0);
        assert_eq!(
            table.code_mask("KR") & crate::name_countries::name_mask(&tokens("Republic of Korea")),
            table.code_mask("KR")
        );
    }
}
