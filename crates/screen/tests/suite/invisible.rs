//! Characters that do not change what a name shows never change a screening decision.

use std::sync::OnceLock;

use embargo_screen::{ofac, un, Matcher, Query, Thresholds};
use proptest::prelude::*;

/// Format characters (Cf) that show nothing: soft hyphen, zero-width non-joiner and joiner,
/// left-to-right and right-to-left marks, word joiner, invisible separators, byte-order mark,
/// embeddings and isolates with their terminators, Arabic letter mark, Mongolian vowel
/// separator. Overrides change what shows, and the zero-width space is a word boundary, so
/// they are tested apart.
const INVISIBLE: [char; 16] = [
    '\u{AD}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{2060}', '\u{2062}', '\u{2063}',
    '\u{FEFF}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{2066}', '\u{2068}', '\u{2069}', '\u{061C}',
];

fn matcher() -> Option<&'static Matcher> {
    static M: OnceLock<Option<Matcher>> = OnceLock::new();
    M.get_or_init(|| {
        let un_path =
            embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")?;
        let sdn = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv")?;
        let mut entities = un::read_file(&un_path).expect("UN file").entities;
        let files = ofac::OfacFiles {
            sdn,
            ..Default::default()
        };
        entities.extend(ofac::read_files(&files).expect("OFAC file").entities);
        Some(Matcher::new(entities))
    })
    .as_ref()
}

/// Decision and top hit of a name.
fn outcome(m: &Matcher, name: &str) -> (String, Option<String>) {
    let q = Query {
        name: name.to_string(),
        ..Query::default()
    };
    let s = m.screen(&q, &Thresholds::default()).expect("screening");
    let top = s.hits.first().map(|h| h.id.clone());
    (format!("{:?}", s.decision), top)
}

/// `name` with `chars` inserted at the given char positions (modulo its length).
fn insert(name: &str, at: &[(usize, char)]) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    for &(pos, c) in at {
        let k = pos % (chars.len() + 1);
        chars.insert(k, c);
    }
    chars.into_iter().collect()
}

/// Names to screen: listed names (matches), the same with a letter changed (reviews and
/// misses) and Hangul names.
fn names(m: &Matcher) -> Vec<String> {
    let mut out: Vec<String> = m
        .entities()
        .iter()
        .step_by(7)
        .map(|e| e.caption().to_string())
        .collect();
    let changed: Vec<String> = out.iter().map(|n| n.replacen('O', "U", 1)).collect();
    out.extend(changed);
    out.extend(["조선광선은행", "리병철", "김정은", "朝鲜矿业开发贸易公司"].map(String::from));
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn invisible_characters_never_change_a_decision(
        pick in any::<prop::sample::Index>(),
        at in proptest::collection::vec((0usize..64, prop::sample::select(INVISIBLE.to_vec())), 1..4),
    ) {
        let Some(m) = matcher() else { return Ok(()); };
        let all = names(m);
        let name = pick.get(&all);
        let hidden = insert(name, &at);
        prop_assert_eq!(outcome(m, name), outcome(m, &hidden), "{:?}", hidden);
    }

    #[test]
    fn zero_width_space_beside_a_space_changes_nothing(
        pick in any::<prop::sample::Index>(),
        after in any::<bool>(),
    ) {
        let Some(m) = matcher() else { return Ok(()); };
        let all = names(m);
        let name = pick.get(&all);
        let zw = if after { " \u{200B}" } else { "\u{200B} " };
        let hidden = name.replacen(' ', zw, 1);
        prop_assert_eq!(outcome(m, name), outcome(m, &hidden), "{:?}", hidden);
    }
}

#[test]
fn a_name_that_shows_as_a_designee_screens_as_one() {
    let Some(m) = matcher() else {
        return;
    };
    let plain = outcome(m, "KOREA MINING DEVELOPMENT TRADING CORPORATION");
    assert_eq!(plain.0, "Match");
    for shown in [
        "KOREA\u{200B}MINING\u{200B}DEVELOPMENT\u{200B}TRADING\u{200B}CORPORATION",
        "\u{202E}NOITAROPROC GNIDART TNEMPOLEVED GNINIM AEROK",
        "KОREA MINING DEVELОPMENT TRADING CОRPОRATIОN", // Cyrillic О
    ] {
        assert_eq!(outcome(m, shown), plain, "{shown:?}");
    }
}
