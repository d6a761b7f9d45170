//! Property tests: readers never panic on arbitrary input; names compare sanely.

use embargo_names::acronym;
use embargo_names::compare::{compare_names, CompareParams, TokenRelation};
use embargo_names::normalize::{tokens, TokenClass};
use embargo_screen::{ofac, un};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn un_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = un::parse(&bytes, std::path::Path::new("p.xml"));
    }

    #[test]
    fn un_reader_survives_truncation(cut in 0usize..1600) {
        let xml = include_bytes!("../fixtures/small_un.xml");
        let end = cut.min(xml.len());
        let r = un::parse(&xml[..end], std::path::Path::new("p.xml"));
        // Only the final line end may go: any cut before the closing `>` is an error.
        if end < xml.len() - 1 {
            prop_assert!(r.is_err(), "a truncated list is an error, not a shorter list");
        }
    }

    #[test]
    fn ofac_reader_never_panics(s in "[0-9a-zA-Z,\"' ;.\\-\\r\\n\\]\\[]{0,300}") {
        let _ = ofac::parse_sdn(s.as_bytes(), std::path::Path::new("sdn.csv"));
    }

    #[test]
    fn a_name_matches_itself(tokens in proptest::collection::vec("[A-Z]{2,8}", 1..5)) {
        let name = tokens.join(" ");
        let c = compare_names(&name, &name, &CompareParams::default()).map(|c| c.score);
        prop_assert_eq!(c, Some(1.0));
    }

    #[test]
    fn hyphens_spaces_and_case_do_not_matter(tokens in proptest::collection::vec("[A-Z]{2,8}", 2..5)) {
        let spaced = tokens.join(" ");
        let hyphened = tokens.join("-").to_lowercase();
        let c = compare_names(&spaced, &hyphened, &CompareParams::default()).map(|c| c.score);
        prop_assert_eq!(c, Some(1.0));
    }

    #[test]
    fn an_acronym_finds_the_name_it_spells(words in proptest::collection::vec("[A-Z][AEIOU][A-Z]{2,7}", 3..=6)) {
        let name = words.join(" ");
        let t = tokens(&name);
        // Words the normalizer turns into something else (legal forms, number words,
        // particles) are not the case under test.
        prop_assume!(t.len() == words.len() && t.iter().all(|t| t.class == TokenClass::Name));
        let acronym: String = words.iter().filter_map(|w| w.chars().next()).collect();
        prop_assume!(!words.contains(&acronym));
        // Korean surname spellings (SEO, KIM) are read as surnames, not acronyms.
        prop_assume!(tokens(&acronym).first().is_some_and(|t| acronym::code(t) != 0));
        let c = compare_names(&acronym, &name, &CompareParams::default()).map(|c| c.score);
        // 0.9 as an acronym; a vowel-less acronym may instead be read as the consonant
        // skeleton of two of the words written together (the abjad rule), which still
        // leaves the pair a match.
        prop_assert!(c.is_some_and(|s| s >= 0.8), "{acronym} / {name}: {c:?}");
        // One letter more is not the acronym.
        let longer = format!("{acronym}X");
        let c = compare_names(&longer, &name, &CompareParams::default());
        prop_assert!(
            c.iter().flat_map(|c| &c.pairs).all(|p| p.relation != TokenRelation::Acronym),
            "{longer} / {name}: {c:?}"
        );
    }

    #[test]
    fn son_and_father_swapped_are_two_people(words in proptest::collection::vec("[A-Z]{4,8}", 3)) {
        let (own, father, family) = (&words[0], &words[1], &words[2]);
        prop_assume!(own != father && father != family && own != family);
        let a = format!("{own} BIN {father} AL-{family}");
        let b = format!("{father} BIN {own} AL-{family}");
        prop_assume!(tokens(&a).iter().filter(|t| t.class == TokenClass::Name).count() == 3);
        let c = compare_names(&a, &b, &CompareParams::default()).map(|c| c.score);
        prop_assert!(c.is_some_and(|s| s < 0.7), "{a} / {b}: {c:?}");
        // The same name written family part first stays one person.
        let rotated = format!("BIN {father} AL-{family} {own}");
        let c = compare_names(&a, &rotated, &CompareParams::default()).map(|c| c.score);
        prop_assert!(c.is_some_and(|s| s >= 0.8), "{a} / {rotated}: {c:?}");
    }

    #[test]
    fn scores_stay_in_unit_interval(a in "\\PC{0,30}", b in "\\PC{0,30}") {
        if let Some(c) = compare_names(&a, &b, &CompareParams::default()) {
            prop_assert!((0.0..=1.0).contains(&c.score), "{} for {a:?} / {b:?}", c.score);
        }
    }
}
