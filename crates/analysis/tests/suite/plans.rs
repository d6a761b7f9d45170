//! The engine plan (`TradeStore::dprk_trade`: DataFusion scans the store, keeps the DPRK's
//! rows and sums rows with the same keys, HS rows outside every measure's scope counted
//! per group) gives the same exposure, relief and signals as the reference: the same
//! computations over every row as read. Random stores mix HS levels, published categories
//! (nested and not), totals, months and years around the bans, several series and
//! counterparts, both directions and rows not involving the DPRK.
//!
//! Values are whole dollars, so sums are exact whatever order the engine adds them in.
//! The plan gives the same answers in the two halves it runs in on a cluster.

use std::sync::{Arc, OnceLock};

use datafusion::prelude::SessionContext;
use embargo_analysis::estimates::Workers;
use embargo_analysis::exposure::{exposure, scope_class};
use embargo_analysis::relief::{relief, Proposal, ReliefOptions};
use embargo_analysis::signals::signals;
use embargo_regime::{Direction, Regime};
use embargo_trade::store::TradeStore;
use embargo_trade::{DprkTrade, Flow, HsField, Level, Period, Status, TradeRecord};
use proptest::prelude::*;

fn regime() -> &'static Regime {
    static R: OnceLock<Regime> = OnceLock::new();
    R.get_or_init(|| Regime::bundled().unwrap())
}

/// HS fields near the regime's goods and far from them, at every level.
const HS: &[&str] = &[
    "2701", "270112", "27", "2601", "260111", "26", "030749", "03", "6110", "61", "62", "8517",
    "85", "84", "2710", "7108", "0101", "9401", "4403", "1006",
];
const CATEGORIES: &[&str] = &["50-63", "61;62", "61", "0301-0308", "2701"];
const COUNTRIES: &[&str] = &["CN", "RU", "KP", "WLD", "IN"];

#[derive(Debug, Clone)]
struct Spec {
    reporter: usize,
    partner: usize,
    flow: bool,
    year: i32,
    month: Option<u8>,
    kind: u8,
    code: usize,
    value: u32,
    weight: Option<u32>,
    series: bool,
    status: u8,
    /// Rows with the same keys (values and weights differ), which the plan sums.
    copies: u8,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (0..COUNTRIES.len(), 0..COUNTRIES.len(), any::<bool>()),
        (2015i32..2020, prop::option::of(1u8..13)),
        (0u8..10, 0..HS.len()),
        (1u32..1_000_000, prop::option::of(1u32..100_000)),
        (any::<bool>(), 0u8..3, 1u8..4),
    )
        .prop_map(
            |(
                (reporter, partner, flow),
                (year, month),
                (kind, code),
                (value, weight),
                (series, status, copies),
            )| Spec {
                reporter,
                partner,
                flow,
                year,
                month,
                kind,
                code,
                value,
                weight,
                series,
                status,
                copies,
            },
        )
}

/// A spec's rows: `copies` rows with the same keys; every other copy has no weight, so
/// that a group mixes rows with and without one.
fn records_of(s: &Spec) -> Vec<TradeRecord> {
    (0..s.copies)
        .map(|k| {
            let mut r = record(s);
            r.value_usd += f64::from(k);
            if k % 2 == 1 {
                r.net_weight_kg = None;
            }
            r
        })
        .collect()
}

fn record(s: &Spec) -> TradeRecord {
    // Mostly HS rows; some categories and totals, which are annual in published data.
    let (level, hs, category, month) = match s.kind {
        0 => (Level::Total, "TOTAL".to_string(), None, None),
        1 => {
            let c = CATEGORIES[s.code % CATEGORIES.len()];
            (
                Level::Category,
                c.to_string(),
                Some(format!("cat {c}")),
                None,
            )
        }
        _ => (Level::Hs, HS[s.code].to_string(), None, s.month),
    };
    let mut partner = COUNTRIES[s.partner];
    if partner == COUNTRIES[s.reporter] {
        partner = "KP";
    }
    TradeRecord {
        reporter: COUNTRIES[s.reporter].into(),
        partner: partner.into(),
        flow: if s.flow { Flow::Import } else { Flow::Export },
        period: Period {
            year: s.year,
            month,
        },
        hs: HsField::parse(&hs).unwrap(),
        hs_revision: None,
        level,
        category,
        value_usd: f64::from(s.value),
        quantity: None,
        quantity_unit: None,
        net_weight_kg: s.weight.map(f64::from),
        source: if s.series { "src A" } else { "src B" }.into(),
        series: if s.series { "S1" } else { "S2" }.into(),
        status: [Status::Confirmed, Status::Derived, Status::Unconfirmed][usize::from(s.status)],
        note: None,
        rows: 1,
    }
}

/// Serialized answers of every analysis, to compare as JSON.
fn answers(trade: &DprkTrade) -> serde_json::Value {
    let r = regime();
    let proposal = Proposal::load("china-russia-2019").unwrap();
    let workers = Workers::bundled().unwrap();
    let opts = ReliefOptions {
        baseline: (2015, 2016),
        include_disputed: true,
    };
    serde_json::json!({
        "exports": exposure(r, trade, Direction::FromDprk),
        "supplies": exposure(r, trade, Direction::ToDprk),
        "relief": relief(r, &trade.records, &proposal, &workers, &opts),
        "signals": signals(r, trade),
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn plan_equals_reference(specs in proptest::collection::vec(spec(), 1..120)) {
        let records: Vec<TradeRecord> = specs.iter().flat_map(records_of).collect();
        let dir = tempfile::tempdir().unwrap();
        let store = TradeStore::open(dir.path());
        // Two files, so the engine reads several.
        let (a, b) = records.split_at(records.len() / 2);
        store.import("a", a).unwrap();
        store.import("b", b).unwrap();
        let (plan, read) = store.dprk_trade(false, scope_class(regime())).unwrap();
        prop_assert_eq!(read.rows, records.len() as u64);
        let dprk: Vec<TradeRecord> = records
            .iter()
            .filter(|r| r.partner == "KP" || r.reporter == "KP")
            .cloned()
            .collect();
        prop_assert_eq!(plan.source_rows(), dprk.len() as u64);
        let reference = DprkTrade::from_records(dprk);
        prop_assert_eq!(answers(&plan), answers(&reference));
        // The plan in the two halves a cluster runs it in (the engine sums rows by field,
        // this process groups the sums), with an engine that makes sessions here.
        let halves = TradeStore::open(dir.path()).with_engine(Arc::new(|config| {
            Ok(SessionContext::new_with_config(config))
        }));
        let (split, _) = halves.dprk_trade(false, scope_class(regime())).unwrap();
        prop_assert_eq!(answers(&split), answers(&reference));
    }
}

/// The plan condenses: rows with the same keys come back as one record that says how many
/// rows it stands for, and rows outside every measure's scope only as counts.
#[test]
fn plan_condenses_rows_and_counts_the_rest() {
    let base = record(&Spec {
        reporter: 0,
        partner: 2,
        flow: true,
        year: 2018,
        month: Some(3),
        kind: 5,
        code: 0,
        value: 100,
        weight: Some(10),
        series: true,
        status: 0,
        copies: 1,
    });
    let mut rows = vec![base.clone(), base.clone(), base.clone()];
    let mut furniture = base.clone();
    furniture.hs = HsField::parse("9401").unwrap();
    rows.push(furniture.clone());
    rows.push(furniture);
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    store.import("x", &rows).unwrap();
    let (plan, read) = store.dprk_trade(false, scope_class(regime())).unwrap();
    assert_eq!(read.rows, 5);
    assert_eq!(plan.records.len(), 1);
    assert_eq!(plan.records[0].rows, 3);
    assert_eq!(plan.records[0].value_usd, 300.0);
    assert_eq!(plan.records[0].net_weight_kg, Some(30.0));
    assert_eq!(plan.outside.len(), 1);
    assert_eq!(plan.outside[0].rows, 2);
    // Coal from the DPRK to China in March 2018: banned (2371 OP8); the exposure counts
    // three covered rows and two uncovered ones.
    let e = exposure(regime(), &plan, Direction::FromDprk);
    assert_eq!(e.goods_rows, 5);
    assert_eq!(e.uncovered_rows, 2);
    let coal = e
        .measures
        .iter()
        .find(|m| m.citation == "2371 OP8")
        .unwrap();
    assert_eq!((coal.value_usd, coal.rows), (300.0, 3));
}
