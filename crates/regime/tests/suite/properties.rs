//! Property tests: rules that must hold for any shipment, not just the listed cases.

use embargo_regime::*;
use proptest::prelude::*;
use std::sync::OnceLock;

fn regime() -> &'static Regime {
    static R: OnceLock<Regime> = OnceLock::new();
    R.get_or_init(|| Regime::bundled().unwrap_or_else(|e| panic!("{e}")))
}

/// HS codes that exercise the regime: banned, partial, neighbouring and free codes.
const CODES: &[&str] = &[
    "27", "2701", "270112", "2702", "2709", "2710", "271012", "271019", "2711", "03", "0306",
    "030749", "1603", "1604", "50", "6109", "6203", "63", "64", "72", "7208", "7403", "7108",
    "2614", "2615", "2601", "2607", "78", "84", "8471", "847130", "85", "8703", "870310", "8710",
    "88", "8802", "880212", "8803", "880330", "89", "8901", "93", "9301", "9703", "7113", "1001",
    "0805", "12", "25", "44", "2204", "9506", "57", "5701", "5805", "6911", "691110", "6203",
];
const COUNTRIES: &[&str] = &["KP", "CN", "RU", "US", "JP", "KR", "SL"];

prop_compose! {
    fn shipment()(hs in 0..CODES.len(), o in 0..COUNTRIES.len(), dest in 0..COUNTRIES.len(), via in 0..(COUNTRIES.len() + 3),
                   days in 0u64..6000, q in proptest::option::of(0.0f64..1e7),
                   v in proptest::option::of(prop_oneof![0.0f64..1e3, 0.0f64..1e9])) -> Shipment {
        let base = chrono::NaiveDate::from_ymd_opt(2004, 1, 1).unwrap_or_default();
        Shipment {
            hs: HsCode::parse(CODES[hs]).unwrap_or_else(|e| panic!("{e}")),
            origin: Country::parse(COUNTRIES[o]).unwrap_or_else(|e| panic!("{e}")),
            destination: Country::parse(COUNTRIES[dest]).unwrap_or_else(|e| panic!("{e}")),
            via: COUNTRIES.get(via).map(|c| Country::parse(c).unwrap_or_else(|e| panic!("{e}"))),
            date: base + chrono::Days::new(days),
            quantity: q.map(|amount| Quantity { amount, unit: QuantityUnit::Tonnes }),
            value_usd: v,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A resolution never changes a verdict for a date before its adoption: the regime
    /// restricted to resolutions adopted on or before the date gives the same assessment.
    #[test]
    fn later_resolutions_never_change_earlier_verdicts(s in shipment()) {
        let full = regime();
        let past = full.restricted(|r| r.adopted <= s.date).unwrap_or_else(|e| panic!("{e}"));
        let a = full.check(&s);
        let b = past.check(&s);
        prop_assert_eq!(a.verdict, b.verdict);
        prop_assert_eq!(a.citations, b.citations);
    }

    /// The batch index agrees with the full check, including cap quantities.
    #[test]
    fn index_agrees_with_full_check(ships in proptest::collection::vec(shipment(), 1..40)) {
        let r = regime();
        let mut index = r.check_index();
        for s in &ships {
            prop_assert_eq!(index.verdict(s), r.check(s).verdict, "{:?}", s);
            prop_assert_eq!(&index.assess(s), &r.check(s));
        }
    }

    /// Every cited measure is in force on the shipment's date, and every verdict other
    /// than `permitted` cites at least one measure.
    #[test]
    fn citations_are_in_force_and_justify_the_verdict(s in shipment()) {
        let r = regime();
        let a = r.check(&s);
        for c in &a.citations {
            let m = r.measure(&c.measure).unwrap_or_else(|| panic!("cited measure {} exists", c.measure));
            prop_assert!(m.in_force_on(s.date), "{} not in force on {}", m.id, s.date);
        }
        if a.verdict != Verdict::Permitted {
            prop_assert!(!a.citations.is_empty());
        }
        if a.verdict == Verdict::Conditional {
            prop_assert!(!a.conditions.is_empty());
        }
    }

    /// A finer code is never less restricted than a coarser one on the same ban: if a
    /// heading is prohibited, every subheading under it is too.
    #[test]
    fn prohibited_headings_stay_prohibited_below(s in shipment(), sub in 0u32..100) {
        let r = regime();
        if s.hs.digits() == 4 && r.check(&s).verdict == Verdict::Prohibited && s.quantity.is_none() && s.value_usd.is_none() {
            let finer = HsCode::parse(&format!("{}{:02}", s.hs, sub)).unwrap_or_else(|e| panic!("{e}"));
            let t = Shipment { hs: finer, ..s.clone() };
            prop_assert_eq!(r.check(&t).verdict, Verdict::Prohibited);
        }
    }

    /// The HS parser never panics, and what it accepts prints back as digits only.
    #[test]
    fn hs_parser_total(input in ".{0,12}") {
        if let Ok(code) = HsCode::parse(&input) {
            prop_assert!(matches!(code.digits(), 2 | 4 | 6));
            prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            prop_assert_eq!(HsCode::parse(code.as_str()), Ok(code));
        }
    }

    #[test]
    fn paragraph_grammar_never_panics(p in ".{0,16}") {
        let _ = paragraph_is_well_formed(&p);
    }
}
