//! A name as it shows on screen. Screening compares what a person reads, so characters that
//! change the bytes but not the display must not change the tokens:
//!
//! - Format characters (Unicode general category Cf: soft hyphen, zero-width joiners, word
//!   joiner, byte-order mark, bidirectional marks, embeddings and isolates) vanish. U+200B
//!   ZERO WIDTH SPACE is the exception: the Unicode Standard (§23.2, "Layout Controls") defines
//!   it as a word boundary without a visible space, so it separates words like a space.
//! - A right-to-left override (U+202E … U+202C or the end) shows its Latin letters reversed,
//!   so its run is read reversed: `U+202E NU GNOJ MIK` shows as KIM JONG UN.
//! - In a name written in Latin letters, Cyrillic and Greek letters that look like Latin ones
//!   are read as those (a Cyrillic О in KIM JОNG UN is a Latin O to the reader). The pairs
//!   are the single-letter Cyrillic/Greek → Latin entries of Unicode's `confusables.txt`
//!   (UTS #39, Unicode Security Mechanisms). A name wholly in Cyrillic or Greek keeps its
//!   letters and is transliterated as that script.

use std::borrow::Cow;

const ZERO_WIDTH_SPACE: char = '\u{200B}';
const RIGHT_TO_LEFT_OVERRIDE: char = '\u{202E}';
const LEFT_TO_RIGHT_OVERRIDE: char = '\u{202D}';
const POP_DIRECTIONAL_FORMATTING: char = '\u{202C}';

/// General category Cf (Unicode 15.1, `DerivedGeneralCategory.txt`).
pub fn is_format(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F
        | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

/// Cyrillic and Greek letters drawn like a Latin letter (UTS #39 `confusables.txt`).
fn latin_look_alike(c: char) -> Option<char> {
    Some(match c {
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ԛ' => 'Q',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'У' | 'Υ' | 'Ү' => 'Y',
        'Ԝ' => 'W',
        'Х' | 'Χ' => 'X',
        'Ζ' => 'Z',
        'а' => 'a',
        'с' => 'c',
        'ԁ' => 'd',
        'е' => 'e',
        'һ' => 'h',
        'і' => 'i',
        'ј' => 'j',
        'о' | 'ο' => 'o',
        'р' => 'p',
        'ԛ' => 'q',
        'ѕ' => 's',
        'у' => 'y',
        'ԝ' => 'w',
        'х' => 'x',
        _ => return None,
    })
}

/// The name as displayed (see the module documentation). ASCII names come back borrowed.
pub fn displayed(name: &str) -> Cow<'_, str> {
    let latin = name.chars().any(|c| c.is_ascii_alphabetic());
    let changes = |c: char| is_format(c) || (latin && latin_look_alike(c).is_some());
    if !name.chars().any(changes) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len());
    let mut reversed: Option<String> = None;
    for c in name.chars() {
        let shown = if latin {
            latin_look_alike(c).unwrap_or(c)
        } else {
            c
        };
        match (c, reversed.as_mut()) {
            (RIGHT_TO_LEFT_OVERRIDE, _) => {
                flush_reversed(&mut out, reversed.take());
                reversed = Some(String::new());
            }
            (POP_DIRECTIONAL_FORMATTING | LEFT_TO_RIGHT_OVERRIDE, _) => {
                flush_reversed(&mut out, reversed.take());
            }
            (ZERO_WIDTH_SPACE, run) => run.unwrap_or(&mut out).push(' '),
            (c, _) if is_format(c) => {}
            (_, Some(run)) => run.push(shown),
            (_, None) => out.push(shown),
        }
    }
    flush_reversed(&mut out, reversed);
    Cow::Owned(out)
}

fn flush_reversed(out: &mut String, run: Option<String>) {
    if let Some(run) = run {
        out.extend(run.chars().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_characters_vanish_and_zero_width_space_separates() {
        assert_eq!(displayed("KIM JONG UN"), "KIM JONG UN");
        assert_eq!(
            displayed("KI\u{AD}M JO\u{200D}NG\u{FEFF} UN"),
            "KIM JONG UN"
        );
        assert_eq!(
            displayed("KOREA\u{200B}MINING\u{200B}DEVELOPMENT"),
            "KOREA MINING DEVELOPMENT"
        );
        assert_eq!(displayed("\u{2067}KIM JONG UN\u{2069}"), "KIM JONG UN");
    }

    #[test]
    fn right_to_left_override_reads_as_shown() {
        assert_eq!(displayed("\u{202E}NU GNOJ MIK"), "KIM JONG UN");
        assert_eq!(displayed("KIM \u{202E}GNOJ\u{202C} UN"), "KIM JONG UN");
    }

    #[test]
    fn look_alikes_fold_only_among_latin_letters() {
        // Cyrillic О, Н and С among Latin letters.
        assert_eq!(displayed("KIM JОNG UN"), "KIM JONG UN");
        assert_eq!(displayed("СНOE"), "CHOE");
        // A Cyrillic name stays Cyrillic for transliteration.
        assert_eq!(displayed("Сергей Лавров"), "Сергей Лавров");
    }
}
