//! Trade analysis over HTTP answers what the library answers (the CLI and the library give
//! the same numbers; so does the server), on the bundled published figures.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{error_code, TestServer};
use embargo_analysis::timeline::{timeline, Events};
use serde_json::Value;

fn library<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

#[tokio::test]
async fn timeline_is_the_library_timeline_and_keeps_the_published_bush_mean() {
    let s = TestServer::new();
    let (st, t) = s.get("/api/v1/timeline").await;
    assert_eq!(st, StatusCode::OK);
    let regime = embargo_regime::Regime::bundled().unwrap();
    assert_eq!(t, library(&timeline(&regime, &Events::bundled().unwrap())));
    // CSIS: 7.5 days under Bush (1695, 1718).
    let bush = t["means"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["published"].as_f64() == Some(7.5))
        .expect("the published Bush mean");
    assert!(
        bush["administration"].as_str().unwrap().contains("Bush"),
        "{bush}"
    );
}

#[tokio::test]
async fn exposure_relief_and_signals_match_the_library() {
    let s = TestServer::new();
    let regime = embargo_regime::Regime::bundled().unwrap();
    let trade = embargo_trade::DprkTrade::from_records(embargo_trade::bundled::records().unwrap());
    let records = &trade.records;

    let (st, e) = s.get("/api/v1/exposure").await;
    assert_eq!(st, StatusCode::OK);
    let lib =
        embargo_analysis::exposure::exposure(&regime, &trade, embargo_regime::Direction::FromDprk);
    assert_eq!(e["periods"], library(&lib.periods));
    assert_eq!(e["dataset"], "bundled published figures (data/trade)");
    let (st, err) = s.get("/api/v1/exposure?direction=sideways").await;
    assert_eq!(error_code(st, &err), "invalid_field");

    let (st, r) = s.get("/api/v1/relief?baseline=2014-2016").await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (name, text) = embargo_analysis::data::PROPOSALS[0];
    let proposal =
        embargo_analysis::relief::Proposal::parse(&format!("data/proposals/{name}.toml"), text)
            .unwrap();
    let opts = embargo_analysis::relief::ReliefOptions {
        baseline: (2014, 2016),
        include_disputed: false,
    };
    let workers = embargo_analysis::estimates::Workers::bundled().unwrap();
    let lib = embargo_analysis::relief::relief(&regime, records, &proposal, &workers, &opts);
    assert_eq!(r["total"], library(&lib.total));
    assert_eq!(r["baseline"], serde_json::json!([2014, 2016]));
    let (st, err) = s.get("/api/v1/relief?proposal=../../etc/passwd").await;
    assert_eq!(error_code(st, &err), "unknown_proposal");
    let (st, err) = s.get("/api/v1/relief?baseline=2016-2014").await;
    assert_eq!(err["error"]["field"], "baseline", "{st} {err}");

    let (st, sig) = s.get("/api/v1/signals").await;
    assert_eq!(st, StatusCode::OK);
    let lib = embargo_analysis::signals::signals(&regime, &trade);
    assert_eq!(sig["post_ban"], library(&lib.post_ban));

    let (st, w) = s.get("/api/v1/estimates/workers?workers=50000").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(w["workers"].as_f64(), Some(50000.0));
    let (st, err) = s.get("/api/v1/estimates/workers?workers=-3").await;
    assert_eq!(error_code(st, &err), "invalid_field");
}

#[tokio::test]
async fn the_report_charts_are_served_as_svg() {
    let s = TestServer::new();
    let (st, list) = s.get("/api/v1/report/charts").await;
    assert_eq!(st, StatusCode::OK);
    let ids: Vec<&str> = list["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d", "e"]);
    for c in list["charts"].as_array().unwrap() {
        assert!(
            c["source"].as_str().is_some_and(|s| !s.is_empty()),
            "every chart names its source"
        );
        let (st, h, body) = s
            .send(
                Request::get(c["url"].as_str().unwrap())
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(h["content-type"], "image/svg+xml");
        let svg = String::from_utf8(body).unwrap();
        assert!(svg.contains("<svg"), "{}", &svg[..svg.len().min(200)]);
    }
    let (st, e) = s.get("/api/v1/report/charts/z").await;
    assert_eq!(error_code(st, &e), "unknown_chart");
    let (st, report) = s.get("/api/v1/report").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(report["dataset"], "bundled published figures (data/trade)");
    assert_eq!(report["charts"].as_array().unwrap().len(), 5);
}

/// Imports `fixture` into the trade store of `data_dir`, as `embargo trade import`
/// would; returns the stored file.
fn import_fixture(data_dir: &std::path::Path, fixture: &std::path::Path) -> std::path::PathBuf {
    embargo_trade::TradeStore::open(data_dir)
        .import_path(
            "comtrade-plus",
            fixture,
            &embargo_trade::LoadOptions::default(),
            &mut |_| {},
        )
        .unwrap()
        .1
}

/// With files in the data directory's trade store, the analysis answers (and the web
/// page's report) read them through the same engine plan as `embargo report`, and say so;
/// the server is built from inside a runtime, as `embargo serve` builds it.
#[tokio::test(flavor = "multi_thread")]
async fn analysis_reads_the_imported_store_and_says_so() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trade/tests/fixtures/comtrade-plus.csv");
    let s = TestServer::with(|c| {
        import_fixture(&c.data_dir, &fixture);
    });
    let (st, e) = s.get("/api/v1/exposure").await;
    assert_eq!(st, StatusCode::OK, "{e}");
    let dataset = e["dataset"].as_str().unwrap();
    assert!(
        dataset.contains("imported trade files in the store: comtrade-plus.parquet (3 rows)"),
        "{dataset}"
    );
    let regime = embargo_regime::Regime::bundled().unwrap();
    let rows = embargo_trade::load_path(&fixture, &embargo_trade::LoadOptions::default())
        .unwrap()
        .records;
    let lib = embargo_analysis::exposure::exposure(
        &regime,
        &embargo_trade::DprkTrade::from_records(rows),
        embargo_regime::Direction::FromDprk,
    );
    assert!(!lib.periods.is_empty());
    assert_eq!(e["periods"], library(&lib.periods));
    let (st, charts) = s.get("/api/v1/report/charts").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(charts["dataset"].as_str(), Some(dataset));
}

/// An import while the server runs (the CLI writing into the same data directory) is read
/// at the next analysis answer: the server never answers from a store it no longer has,
/// and removing the files brings the published figures back.
#[tokio::test(flavor = "multi_thread")]
async fn an_import_while_serving_is_read_at_the_next_answer() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../trade/tests/fixtures/comtrade-plus.csv");
    let s = TestServer::new();
    let (st, e) = s.get("/api/v1/exposure").await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["dataset"], "bundled published figures (data/trade)");
    let stored = import_fixture(s.dir.path(), &fixture);
    for path in [
        "/api/v1/exposure",
        "/api/v1/signals",
        "/api/v1/report/charts",
    ] {
        let (st, v) = s.get(path).await;
        assert_eq!(st, StatusCode::OK, "{path}: {v}");
        let dataset = v["dataset"].as_str().unwrap_or_default();
        assert!(
            dataset.contains("comtrade-plus.parquet (3 rows)"),
            "{path}: {dataset}"
        );
    }
    let (_, report) = s.get("/api/v1/report").await;
    assert!(
        report["dataset"]
            .as_str()
            .unwrap_or_default()
            .contains("comtrade-plus.parquet"),
        "{}",
        report["dataset"]
    );
    std::fs::remove_file(stored).unwrap();
    let (_, e) = s.get("/api/v1/exposure").await;
    assert_eq!(e["dataset"], "bundled published figures (data/trade)");
}
