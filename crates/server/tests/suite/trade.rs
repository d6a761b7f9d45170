//! Trade queries over HTTP: the bundled published figures when the data directory's
//! store is empty, and a fixture imported into the store (Parquet, DataFusion).

use crate::common;

use axum::http::StatusCode;
use common::{error_code, TestServer};
use embargo_trade::store::TradeStore;
use serde_json::Value;
use std::path::Path;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/trade.csv");

fn import_fixture(data_dir: &Path) {
    let loaded =
        embargo_trade::load_path(Path::new(FIXTURE), &Default::default()).expect("fixture loads");
    assert_eq!(loaded.records.len(), 7);
    TradeStore::open(data_dir)
        .import("fixture", &loaded.records)
        .expect("fixture imported");
}

/// (year, month, key, series, value_usd, rows, status) of one answered row.
type Row = (i64, Option<i64>, String, String, f64, i64, String);

fn rows(v: &Value) -> Vec<Row> {
    v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["year"].as_i64().unwrap(),
                r["month"].as_i64(),
                r["key"].as_str().unwrap().to_string(),
                r["series"].as_str().unwrap().to_string(),
                r["value_usd"].as_f64().unwrap(),
                r["rows"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn china_imports_from_the_dprk_by_hs2_on_the_bundled_figures() {
    let s = TestServer::new();
    let (st, v) = s
        .get("/api/v1/trade/query?reporter=CN&partner=KP&flow=import&by=hs2&from=2012&to=2019")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["dataset"], "bundled");
    assert_eq!(v["by"], "hs2");
    assert_eq!(v["side"]["mirror"], false);
    assert_eq!(v["paging"]["total"], 13);
    assert_eq!(v["paging"]["truncated"], false);
    let r = rows(&v);
    let s = |x: &str| x.to_string();
    // data/trade/china-dprk.csv: 2012 back-computed total, the 2016 GAC coal figure
    // (HS 2701 → chapter 27), the 2015 unspecified coal category kept at its own code,
    // two series for 2017 never summed together, the textiles months, 2018 and 2019.
    assert_eq!(
        r[0],
        (2012, None, s("TOTAL"), s("KITA"), 2.47e9, 1, s("derived"))
    );
    assert_eq!(
        r[3],
        (
            2015,
            None,
            s("2701"),
            s("UNSPECIFIED"),
            9.25e8,
            1,
            s("unconfirmed")
        )
    );
    assert_eq!(
        r[5],
        (2016, None, s("27"), s("GAC"), 1.18e9, 1, s("confirmed"))
    );
    assert_eq!(
        r[6],
        (2017, None, s("TOTAL"), s("GAC"), 1.72e9, 1, s("confirmed"))
    );
    assert_eq!(
        r[7],
        (
            2017,
            None,
            s("TOTAL"),
            s("KOTRA"),
            1.65e9,
            1,
            s("confirmed")
        )
    );
    assert_eq!(
        r[8],
        (
            2017,
            Some(1),
            s("50-63"),
            s("KITA"),
            3.2e7,
            1,
            s("confirmed")
        )
    );
    assert_eq!(
        r[9],
        (
            2017,
            Some(9),
            s("50-63"),
            s("KITA"),
            6.3e7,
            1,
            s("confirmed")
        )
    );
    assert_eq!(
        r[10],
        (
            2017,
            Some(12),
            s("TOTAL"),
            s("GAC"),
            5.434e7,
            1,
            s("confirmed")
        )
    );
    assert_eq!(
        r[11],
        (
            2018,
            None,
            s("TOTAL"),
            s("GAC"),
            2.1315e8,
            1,
            s("confirmed")
        )
    );
    assert_eq!(
        r[12],
        (2019, None, s("TOTAL"), s("GAC"), 2.0e8, 1, s("unconfirmed"))
    );
    assert!(r.iter().all(|x| (2012..=2019).contains(&x.0)));
}

#[tokio::test]
async fn the_dprk_as_reporter_reads_the_mirror() {
    let s = TestServer::new();
    let (st, v) = s
        .get("/api/v1/trade/query?reporter=KP&partner=CN&flow=export&by=total&from=2018&to=2018")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["side"]["mirror"], true);
    // The DPRK's exports to China in 2018 are China's imports from it (GAC, $213.15m).
    let r = rows(&v);
    assert_eq!(r.len(), 1, "{v}");
    assert_eq!(r[0].4, 2.1315e8);
    assert_eq!(v["rows"][0]["reporter"], "CN");
    assert_eq!(v["rows"][0]["flow"], "import");
}

#[tokio::test]
async fn an_imported_store_is_queried_instead_of_the_bundled_figures() {
    let s = TestServer::new();
    import_fixture(s.dir.path());

    let (st, files) = s.get("/api/v1/trade/files").await;
    assert_eq!(st, StatusCode::OK, "{files}");
    assert_eq!(files["dataset"], "store");
    assert_eq!(files["files"][0]["name"], "fixture.parquet");
    assert!(files["files"][0]["bytes"].as_u64().unwrap() > 0);

    let (st, v) = s
        .get("/api/v1/trade/query?reporter=cn&partner=KP&flow=import&by=hs4&from=2012&to=2019")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["dataset"], "store");
    let r = rows(&v);
    let s2 = |x: &str| x.to_string();
    // 270111 + 270112 in 2016 sum to HS 2701; the 2011 row, the export and Russia's
    // import are outside the query.
    assert_eq!(
        r,
        vec![
            (
                2016,
                None,
                s2("2601"),
                s2("COMTRADE"),
                40.0,
                1,
                s2("derived")
            ),
            (
                2016,
                None,
                s2("2701"),
                s2("COMTRADE"),
                1250.5,
                2,
                s2("confirmed")
            ),
            (
                2018,
                None,
                s2("2701"),
                s2("COMTRADE"),
                7.0,
                1,
                s2("confirmed")
            ),
        ]
    );
    assert_eq!(v["rows"][1]["net_weight_kg"], 2500.0);

    // Paging: the total stays, one row comes back, the answer says it was cut.
    let (st, p) = s
        .get("/api/v1/trade/query?reporter=CN&partner=KP&flow=import&by=hs4&from=2012&to=2019&limit=1&offset=1")
        .await;
    assert_eq!(st, StatusCode::OK, "{p}");
    assert_eq!(p["paging"]["total"], 3);
    assert_eq!(p["paging"]["returned"], 1);
    assert_eq!(p["paging"]["truncated"], true);
    assert_eq!(p["rows"][0]["key"], "2701");

    // `bundled=true` reads the published figures even though the store has files.
    let (st, b) = s
        .get("/api/v1/trade/query?reporter=CN&partner=KP&flow=import&by=hs2&from=2016&to=2016&bundled=true")
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(b["dataset"], "bundled");
    assert_eq!(rows(&b)[0].4, 1.18e9);
}

#[tokio::test]
async fn by_measure_joins_the_store_with_the_regime() {
    let s = TestServer::new();
    import_fixture(s.dir.path());
    let (st, v) = s
        .get("/api/v1/trade/query?reporter=CN&partner=KP&flow=import&by=measure&from=2012&to=2019")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["dataset"], "store");
    assert_eq!(v["direction"], "from_dprk");
    let measures = v["measures"].as_array().expect("measures");
    assert!(!measures.is_empty(), "{v}");
    // Every measure row is China's, inside the years asked for.
    for m in measures {
        assert_eq!(m["counterpart"], "CN", "{m}");
        let period = m["period"].as_str().unwrap();
        assert!(
            period.starts_with("2016") || period.starts_with("2018"),
            "{m}"
        );
    }
    // 2018: the fixture's $7 of HS 270111 fall under the 2371 coal ban.
    let coal_2018: Vec<&Value> = measures
        .iter()
        .filter(|m| m["period"] == "2018" && m["citation"].as_str().unwrap().contains("2371"))
        .collect();
    assert!(!coal_2018.is_empty(), "{v}");
    assert!(coal_2018.iter().all(|m| m["value_usd"] == 7.0), "{v}");
}

#[tokio::test]
async fn bad_fields_get_the_one_error_shape() {
    let s = TestServer::new();
    for (uri, code, field) in [
        ("/api/v1/trade/query?flow=sideways", "invalid_field", "flow"),
        ("/api/v1/trade/query?by=hs3", "invalid_field", "by"),
        ("/api/v1/trade/query?from=20x2", "invalid_field", "from"),
        (
            "/api/v1/trade/query?from=2019&to=2012",
            "invalid_field",
            "from",
        ),
        (
            "/api/v1/trade/query?reporter=CN'%20OR%201=1",
            "invalid_field",
            "reporter",
        ),
        ("/api/v1/trade/query?limit=0", "invalid_field", "limit"),
        ("/api/v1/trade/query?limit=10001", "invalid_field", "limit"),
        ("/api/v1/trade/query?sql=SELECT%201", "invalid_query", ""),
    ] {
        let (st, v) = s.get(uri).await;
        assert_eq!(error_code(st, &v), code, "{uri}: {v}");
        if !field.is_empty() {
            assert_eq!(v["error"]["field"], field, "{uri}: {v}");
            assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
        } else {
            assert_eq!(st, StatusCode::BAD_REQUEST);
        }
    }
}

#[tokio::test]
async fn keyed_reads_cover_trade_queries() {
    let s = TestServer::with(|c| c.read_access = embargo_server::ReadAccess::Keyed);
    let (st, v) = s.get("/api/v1/trade/query?by=total").await;
    assert_eq!(error_code(st, &v), "unauthorized");
    let key = s.create_key("trade");
    let (st, v) = s
        .get_with(
            "/api/v1/trade/query?by=total&reporter=CN&partner=KP&flow=export&from=2019&to=2019",
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(rows(&v)[0].4, 2.74e9);
}
