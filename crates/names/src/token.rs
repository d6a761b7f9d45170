//! The token: what normalisation makes of a word and every later step reads (its text, fold
//! key and class), a name form as a list of tokens, and how two tokens were found equal.

use serde::Serialize;

/// What a token is, for weighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenClass {
    Name,
    /// Legal form or generic business word (CO, LTD, TRADING, BANK).
    Form,
    /// Honorific or title (MR, SHAIKH, PRESIDENT).
    Title,
    /// A word naming a country (KOREA, DPRK, MYANMA; `name_countries`): it weighs like a
    /// legal form and says whose the institution is.
    Country,
    Number,
    /// An East Slavic patronymic in its place (SERGEY VIKTOROVICH LAVROV, LAVROV, SERGEY
    /// VIKTOROVICH): a name token that identifies less than a given name or a surname,
    /// because siblings share it and writers drop it.
    Patronymic,
}

impl TokenClass {
    /// Name, patronymic and number tokens identify; legal forms and titles do not.
    pub fn is_distinctive(self) -> bool {
        matches!(
            self,
            TokenClass::Name | TokenClass::Number | TokenClass::Patronymic
        )
    }
}

/// What a token left without a counterpart means when the other name also has one (see
/// `CompareParams::conflict_penalty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Nothing: legal forms, titles, and one- and two-letter tokens, which are mostly
    /// initials (V. V. PUTIN) or acronyms the aligner cannot always pair.
    None,
    /// A different name element (father's name, clan, surname).
    Name,
    /// A different number: another ship, fund vintage or trust series.
    Number,
    /// Nothing when unpaired, but a landmark: BIN / BINT ("son / daughter of") separates a
    /// person's own name from the father's, so pairing a name before it with one after it in
    /// the other name swaps son and father (SALMAN BIN MUHAMMAD vs MUHAMMAD BIN SALMAN).
    Lineage,
}

impl Token {
    pub fn conflict(&self) -> Conflict {
        match self.class {
            TokenClass::Number => Conflict::Number,
            TokenClass::Name | TokenClass::Patronymic if self.text.len() >= 3 => Conflict::Name,
            // Only particles in place (before another name element) are Title-class BIN:
            // a final BIN stays a name (the Korean given-name syllable).
            TokenClass::Title if matches!(self.text.as_str(), "BIN" | "BINT") => Conflict::Lineage,
            _ => Conflict::None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Upper-case ASCII as written (after stop-word folding).
    pub text: String,
    /// Romanization-insensitive key.
    pub fold: String,
    pub class: TokenClass,
}

/// Romanization-insensitive key of an upper-case ASCII token.
///
/// Folds the differences between McCune–Reischauer, Revised Romanization, DPRK list usage and
/// common spellings: EO/EU/OO/OU vowels, voiced/unvoiced consonant pairs (G/K, D/T, B/P, J/CH),
/// L/R, SH/S and doubled letters. It is only used to recognise variants; exact tokens still score higher.
pub fn fold(token: &str) -> String {
    let s = token.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(&c) = s.get(i) {
        let next = s.get(i + 1).copied();
        let rest = s.get(i..).unwrap_or_default();
        let (piece, adv): (&str, usize) = if rest.starts_with(b"EO") || rest.starts_with(b"EU") {
            // RR ŏ/ŭ spellings (JEONG, EUN) = MR (CHONG, UN).
            if rest.starts_with(b"EO") {
                ("O", 2)
            } else {
                ("U", 2)
            }
        } else if rest.starts_with(b"OO") || rest.starts_with(b"OU") {
            ("U", 2) // MOON = MUN, YOUNG ≈ YUNG
        } else if rest.starts_with(b"TCH") {
            ("C", 3)
        } else if rest.starts_with(b"CH") || rest.starts_with(b"TS") {
            ("C", 2)
        } else if rest.starts_with(b"SH") {
            ("S", 2)
        } else if rest.starts_with(b"PH") {
            ("P", 2)
        } else if rest.starts_with(b"KH") {
            ("K", 2)
        } else {
            let p = match c {
                b'J' | b'Z' => "C",
                b'G' | b'Q' => "K",
                b'D' => "T",
                b'B' | b'F' | b'V' => "P",
                b'L' => "R",
                b'W' if next == Some(b'H') => "",
                _ => {
                    let ch = c as char;
                    out.push(ch);
                    i += 1;
                    continue;
                }
            };
            (p, 1)
        };
        out.push_str(piece);
        i += adv;
    }
    // Doubled letters carry no distinction across romanizations (KK/K, SS/S, PP/P).
    let mut dedup = String::with_capacity(out.len());
    for ch in out.chars() {
        if !dedup.ends_with(ch) {
            dedup.push(ch);
        }
    }
    dedup
}

/// One comparable rendering of a name.
#[derive(Debug, Clone, PartialEq)]
pub struct NameForm {
    /// The Latin string the tokens came from (for explanations).
    pub latin: String,
    pub tokens: Vec<Token>,
    /// Whether the name was written "LAST, First" (OFAC style), which makes order meaningless.
    pub comma: bool,
}

/// How two tokens were found equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenRelation {
    Exact,
    /// Equal after folding romanization differences (JEONG/CHONG, PARK/PAK, RI/LI), or one
    /// the Wade–Giles spelling of the other's pinyin (HSI/XI).
    Romanization,
    /// Similar spelling (typo, transliteration noise), scored by Jaro–Winkler.
    Fuzzy,
    /// One token equals two adjacent tokens written together (JONGUN = JONG UN).
    Joined,
    /// Initial letter against a full token (J. = JOHN).
    Initial,
    /// An acronym against the run of tokens it spells (PLA = PEOPLES LIBERATION ARMY).
    Acronym,
    /// A nickname against a given name it stands for (BEN = BENJAMIN).
    Nickname,
}
