//! Exposure from the command line (`embargo trade query --by measure --json`) gives the
//! numbers the `embargo_analysis` library computes for the same rows: on the bundled
//! published figures and on a small Comtrade file imported with `embargo trade import`.
//! A few figures are also checked by hand against the fixture.

use std::path::Path;

use common::embargo;
use embargo_regime::{Direction, Regime};
use embargo_trade::{LoadOptions, TradeRecord};
use serde_json::Value;

use crate::common;

fn run_json(data: &Path, args: &[&str]) -> Value {
    embargo_fixtures::run_json(embargo(data).args(args).arg("--json"))
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Structural equality; numbers equal up to summation order (relative 1e-12).
fn assert_same(cli: &Value, lib: &Value, at: &str) {
    match (cli, lib) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!(
                (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0),
                "{at}: CLI {a}, library {b}"
            );
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}: CLI {a:?}\nlibrary {b:?}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same(x, y, &format!("{at}[{i}]"));
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let mut ka: Vec<&String> = a.keys().collect();
            let mut kb: Vec<&String> = b.keys().collect();
            ka.sort();
            kb.sort();
            assert_eq!(ka, kb, "{at}: fields");
            for (k, x) in a {
                assert_same(x, &b[k], &format!("{at}.{k}"));
            }
        }
        _ => assert_eq!(cli, lib, "{at}"),
    }
}

fn library(records: &[TradeRecord], dir: Direction) -> (Value, Value) {
    let regime = Regime::bundled().unwrap();
    let trade = embargo_trade::DprkTrade::from_records(records.to_vec());
    let e = embargo_analysis::exposure::exposure(&regime, &trade, dir);
    (
        serde_json::to_value(&e.measures).unwrap(),
        serde_json::to_value(&e.periods).unwrap(),
    )
}

/// The CLI's per-measure answer `v` equals the library's exposure of `records`, measures and
/// period totals (`at` prefixes the labels of a mismatch). Returns the library's measures for
/// further checks.
fn assert_equals_library(v: &Value, records: &[TradeRecord], dir: Direction, at: &str) -> Value {
    let (ms, ps) = library(records, dir);
    assert_same(&v["measures"], &ms, &format!("{at}measures"));
    assert_same(&v["periods"], &ps, &format!("{at}periods"));
    ms
}

/// The group (period, counterpart, series, measure) of a measure row.
fn measure<'v>(v: &'v Value, period: &str, cp: &str, id: &str) -> &'v Value {
    v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["period"] == period && m["counterpart"] == cp && m["measure"] == id)
        .unwrap_or_else(|| panic!("no {id} for {cp} {period} in {}", v["measures"]))
}

fn period<'v>(v: &'v Value, period: &str, cp: &str) -> &'v Value {
    v["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["period"] == period && p["counterpart"] == cp)
        .unwrap_or_else(|| panic!("no period {period} {cp} in {}", v["periods"]))
}

fn ids(v: &Value, period: &str, cp: &str) -> Vec<String> {
    let mut out: Vec<String> = v["measures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["period"] == period && m["counterpart"] == cp)
        .map(|m| m["measure"].as_str().unwrap().to_string())
        .collect();
    out.sort();
    out
}

#[test]
fn bundled_exposure_cli_equals_library() {
    let empty = tempfile::tempdir().unwrap();
    let records = embargo_trade::bundled::records().unwrap();

    // Everything: DPRK exports (the default side), all counterparts and series.
    let v = run_json(empty.path(), &["trade", "query", "--by", "measure"]);
    assert_eq!(v["dataset"], "bundled");
    assert_eq!(v["direction"], "from_dprk");
    let ms = assert_equals_library(&v, &records, Direction::FromDprk, "");
    assert!(ms.as_array().unwrap().len() >= 10, "{ms}");

    // China's imports from the DPRK, 2012-2019: the same rows filtered the same way.
    let v = run_json(
        empty.path(),
        &[
            "trade",
            "query",
            "--by",
            "measure",
            "--reporter",
            "CN",
            "--partner",
            "KP",
            "--flow",
            "import",
            "--from",
            "2012",
            "--to",
            "2019",
        ],
    );
    let kept: Vec<TradeRecord> = records
        .iter()
        .filter(|r| (2012..=2019).contains(&r.period.year))
        .cloned()
        .collect();
    let (ms, ps) = library(&kept, Direction::FromDprk);
    let ms: Vec<Value> = ms
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["counterpart"] == "CN")
        .cloned()
        .collect();
    assert!(!ms.is_empty());
    assert_same(&v["measures"], &Value::Array(ms), "CN measures");
    let cn = |p: &Value| -> Value {
        Value::Array(
            p.as_array()
                .unwrap()
                .iter()
                .filter(|x| x["counterpart"] == "CN")
                .cloned()
                .collect(),
        )
    };
    assert_same(&v["periods"], &cn(&ps), "CN periods");
    // The query names China: measures and period totals come from the same (Chinese)
    // rows, no other counterpart's totals beside them.
    assert!(v["periods"]
        .as_array()
        .is_some_and(|p| !p.is_empty() && p.iter().all(|x| x["counterpart"] == "CN")));

    // By hand: China's 2016 coal imports from the DPRK (GAC, HS 2701, one HS-level row
    // of USD 1.18bn in data/trade/china-dprk.csv) are covered by the 2270 coal ban; the
    // 2321 cap starts on 30 November 2016, so it covers 32 of the year's 366 days.
    let coal = measure(&v, "2016", "CN", "2270-29-coal");
    assert_eq!(coal["value_usd"], 1_180_000_000.0);
    assert_eq!(coal["rows"], 1);
    assert_eq!(coal["category_level"], false);
}

#[test]
fn imported_comtrade_exposure_cli_equals_library() {
    let data = tempfile::tempdir().unwrap();
    let file = fixture("comtrade-exposure.csv");
    let imported = run_json(
        data.path(),
        &["trade", "import", &file, "--name", "exposure-fixture"],
    );
    assert_eq!(imported[0]["rows_read"], 12);
    assert_eq!(imported[0]["loaded"], 12);
    assert_eq!(imported[0]["skipped"].as_array().unwrap().len(), 0);

    let records = embargo_trade::load_path(Path::new(&file), &LoadOptions::default())
        .unwrap()
        .records;
    assert_eq!(records.len(), 12);

    // DPRK exports: partners' imports from KP (China and Russia).
    let v = run_json(data.path(), &["trade", "query", "--by", "measure"]);
    assert_eq!(v["dataset"], "store");
    assert_eq!(v["direction"], "from_dprk");
    assert_equals_library(&v, &records, Direction::FromDprk, "");

    // Supplies to the DPRK: China's exports to KP.
    let w = run_json(
        data.path(),
        &[
            "trade",
            "query",
            "--by",
            "measure",
            "--reporter",
            "CN",
            "--flow",
            "export",
        ],
    );
    assert_eq!(w["direction"], "to_dprk");
    let ms = assert_equals_library(&w, &records, Direction::ToDprk, "to_dprk ");
    assert!(!ms.as_array().unwrap().is_empty());

    // By hand, 2016 (China): coal 270112 + 270119 = USD 500m of a USD 2bn total, a
    // quarter; the seafood row (USD 50m) predates the 2371 seafood ban (August 2017).
    let p = period(&v, "2016", "CN");
    assert_eq!(p["series"], "COMTRADE");
    assert_eq!(p["covered_usd"], 500_000_000.0);
    assert_eq!(p["total_usd"], 2_000_000_000.0);
    assert_eq!(p["share"], 0.25);
    let coal = measure(&v, "2016", "CN", "2270-29-coal");
    assert_eq!(coal["value_usd"], 500_000_000.0);
    assert_eq!(coal["rows"], 2);
    assert_eq!(coal["exact"], true);
    assert_eq!(coal["days_in_period"], 366);

    // 2018 (China): seafood 10m + clothing 30m + iron ore 5m are covered, coffee (1m) is
    // not: USD 45m of USD 200m = 22.5%; clothing (2375 OP16) is the largest measure.
    let p = period(&v, "2018", "CN");
    assert_eq!(p["covered_usd"], 45_000_000.0);
    assert_eq!(p["total_usd"], 200_000_000.0);
    assert_eq!(p["share"], 0.225);
    assert_eq!(p["dominant_measure"], "2375-16-textiles");
    let textiles = measure(&v, "2018", "CN", "2375-16-textiles");
    assert_eq!(textiles["value_usd"], 30_000_000.0);
    assert_eq!(textiles["days_in_force"], 365);
    // Russia's 2018 seafood imports (USD 2m): its own group, no total to divide by.
    let p = period(&v, "2018", "RU");
    assert_eq!(p["covered_usd"], 2_000_000.0);
    assert_eq!(p["share"], Value::Null);
    // The US row is not DPRK trade and counts nowhere.
    assert!(ids(&v, "2018", "US").is_empty());
}
