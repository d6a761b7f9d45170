//! The Korean institutions evaluation (data/screening/eval/korean_institutions.csv) against
//! the whole UN consolidated list and the whole OFAC SDN, with precision and recall floors per
//! kind at the levels measured (docs/screening.md reports them).

use std::collections::BTreeMap;

use embargo_screen::eval_screening::{
    metrics_by_kind, read_screening_cases, run_screening_cases, KindMetrics,
};
use embargo_screen::{ofac, un, Matcher, Thresholds};

/// The whole UN list with an OFAC set: `sdn.csv` of 2024 alone (names, programmes and
/// remarks, no addresses) or the 2021-07 set with its `add.csv` and `alt.csv` beside it.
fn full_matcher(sdn: &str) -> Option<Matcher> {
    let un_path = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated.xml")?;
    let sdn = embargo_fixtures::shared_file(sdn)?;
    let mut entities = un::read_file(&un_path).expect("UN file").entities;
    entities.extend(
        ofac::read_files(&ofac::OfacFiles::beside(&sdn))
            .expect("OFAC files")
            .entities,
    );
    Some(Matcher::new(entities))
}

fn cases_path() -> std::path::PathBuf {
    embargo_fixtures::workspace_root().join("data/screening/eval/korean_institutions.csv")
}

fn measured(sdn: &str) -> Option<BTreeMap<String, KindMetrics>> {
    let matcher = full_matcher(sdn)?;
    let cases = read_screening_cases(&cases_path()).expect("cases file");
    let outcomes = run_screening_cases(&matcher, &cases, &Thresholds::default());
    for o in outcomes.iter().filter(|o| !o.correct) {
        eprintln!(
            "wrong: {} {:?} expect {:?} got {:?} {:?}",
            o.kind, o.query, o.expect, o.decision, o.top
        );
    }
    Some(metrics_by_kind(&outcomes))
}

/// Floors per kind: (kind, precision, recall), as measured (docs/screening.md).
fn assert_floors(by_kind: &BTreeMap<String, KindMetrics>, floors: &[(&str, f64, f64)]) {
    for (kind, m) in by_kind {
        eprintln!(
            "{kind}: {} cases, precision {:?}, recall {:?} (tp {} fp {} fn {} tn {})",
            m.cases, m.precision, m.recall, m.tp, m.fp, m.fn_, m.tn
        );
    }
    for (kind, precision, recall) in floors {
        let m = by_kind.get(*kind).expect("kind in the cases file");
        assert!(m.precision.unwrap_or(0.0) >= *precision, "{kind}: {m:?}");
        assert!(m.recall.unwrap_or(0.0) >= *recall, "{kind}: {m:?}");
    }
}

#[test]
fn korean_cases_on_the_2024_sdn_without_addresses() {
    let Some(by_kind) = measured("data/ofac-sdn/sdn.csv") else {
        return;
    };
    assert_floors(
        &by_kind,
        &[
            ("hangul_org", 1.0, 1.0),
            ("han_org", 1.0, 0.66),
            ("short_form", 1.0, 1.0),
            ("look_alike", 0.5, 1.0),
            ("korean_person", 1.0, 1.0),
            ("invisible", 1.0, 1.0),
            ("all", 0.98, 0.96),
        ],
    );
}

#[test]
fn korean_cases_on_the_2021_sdn_with_addresses() {
    let Some(by_kind) = measured("data/ofac-sdn/2021-07-snapshot/sdn.csv") else {
        return;
    };
    assert_floors(
        &by_kind,
        &[
            ("hangul_org", 1.0, 1.0),
            ("han_org", 1.0, 0.66),
            ("short_form", 1.0, 1.0),
            ("look_alike", 1.0, 1.0),
            ("korean_person", 1.0, 1.0),
            ("invisible", 1.0, 1.0),
            ("all", 1.0, 0.96),
        ],
    );
}
