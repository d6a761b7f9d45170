//! The HTTP API end to end (in-process): regime queries, checks, the error shape,
//! limits, API keys, metrics and the OpenAPI document.

use crate::common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{error_code, TestServer};
use serde_json::{json, Value};
use std::collections::BTreeSet;

fn shipment(hs: &str, origin: &str, destination: &str, date: &str) -> Value {
    json!({"hs": hs, "origin": origin, "destination": destination, "date": date})
}

fn cites(assessment: &Value, resolution: &str, paragraph: &str) -> bool {
    assessment["citations"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["resolution"] == resolution && c["paragraph"] == paragraph)
    })
}

#[tokio::test]
async fn check_answers_the_issue_examples() {
    let s = TestServer::new();
    // Coal from the DPRK to China after 2371: prohibited under 2371 OP8.
    let (st, a) = s
        .post("/api/v1/check", &shipment("2701", "KP", "CN", "2017-09-15"))
        .await;
    assert_eq!(st, StatusCode::OK, "{a}");
    assert_eq!(a["verdict"], "prohibited");
    assert!(cites(&a, "2371", "8"), "{a}");
    // The same in June 2016: conditional under 2270 OP29's livelihood exception.
    let (_, a) = s
        .post("/api/v1/check", &shipment("2701", "KP", "CN", "2016-06-01"))
        .await;
    assert_eq!(a["verdict"], "conditional", "{a}");
    let conditions = a["conditions"].to_string();
    assert!(conditions.contains("2270"), "{a}");
    // Computers to the DPRK in 2018: prohibited under 2397.
    let (_, a) = s
        .post("/api/v1/check", &shipment("8471", "CN", "KP", "2018-06-01"))
        .await;
    assert_eq!(a["verdict"], "prohibited", "{a}");
    assert!(
        a["citations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["resolution"] == "2397"),
        "{a}"
    );
    // Not DPRK trade at all.
    let (_, a) = s
        .post("/api/v1/check", &shipment("2701", "AU", "CN", "2018-06-01"))
        .await;
    assert_eq!(a["verdict"], "permitted", "{a}");
}

#[tokio::test]
async fn check_batch_answers_each_row_and_counts_bad_ones() {
    let s = TestServer::new();
    let mut bad = shipment("27x1", "KP", "CN", "2017-09-15");
    bad["id"] = json!("row-bad");
    let body = json!({"items": [
        shipment("2701", "KP", "CN", "2017-09-15"),
        bad,
        shipment("2701", "KP", "CN", "2016-06-01"),
        {"hs": "2701"},
    ]});
    let (st, r) = s.post("/api/v1/check/batch", &body).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(
        r["counts"],
        json!({"prohibited": 1, "conditional": 1, "permitted": 0, "errors": 2})
    );
    let rows = r["results"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["assessment"]["verdict"], "prohibited");
    assert_eq!(rows[1]["id"], "row-bad");
    assert_eq!(rows[1]["error"]["field"], "hs");
    assert_eq!(rows[1]["error"]["code"], "invalid_field");
    assert_eq!(rows[3]["error"]["code"], "invalid_body");

    // A numeric id is not a string: the row is an error, and keeps its id.
    let mut numeric = shipment("2701", "KP", "CN", "2017-09-15");
    numeric["id"] = json!(42);
    let (st, r) = s
        .post("/api/v1/check/batch", &json!({ "items": [numeric] }))
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["results"][0]["id"], "42");
    assert_eq!(r["results"][0]["error"]["code"], "invalid_body");
}

#[tokio::test]
async fn measures_as_of_a_date_follow_the_regime() {
    let s = TestServer::new();
    let ids = |v: &Value| -> BTreeSet<String> {
        v["measures"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (st, after) = s.get("/api/v1/regime/measures?as_of=2017-09-15").await;
    assert_eq!(st, StatusCode::OK);
    assert!(ids(&after).contains("2371-8-coal-iron"));
    assert_eq!(after["count"].as_u64().unwrap() as usize, ids(&after).len());
    let (_, before) = s.get("/api/v1/regime/measures?as_of=2017-08-04").await;
    assert!(!ids(&before).contains("2371-8-coal-iron"));
    // Adoption day (5 Aug 2017, New York) is in force.
    let (_, day) = s
        .get("/api/v1/regime/measures?as_of=2017-08-05&resolution=2371")
        .await;
    assert!(ids(&day).contains("2371-8-coal-iron"), "{day}");
    assert!(ids(&day).iter().all(|id| id.starts_with("2371-")));
    let (st, e) = s.get("/api/v1/regime/measures?resolution=9999").await;
    assert_eq!(error_code(st, &e), "unknown_resolution");
    let (_, one) = s.get("/api/v1/regime/measures/2371-8-coal-iron").await;
    assert_eq!(one["citation"]["paragraph"], "8");
    let (st, e) = s.get("/api/v1/regime/measures/no-such").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(error_code(st, &e), "unknown_measure");
}

#[tokio::test]
async fn diff_and_timeline() {
    let s = TestServer::new();
    let (st, d) = s
        .get("/api/v1/regime/diff?from=2017-08-04&to=2017-08-05")
        .await;
    assert_eq!(st, StatusCode::OK, "{d}");
    let added: Vec<&str> = d["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["measure"]["id"].as_str().unwrap())
        .collect();
    assert!(added.contains(&"2371-8-coal-iron"), "{added:?}");
    assert!(added.iter().all(|id| id.starts_with("2371-")), "{added:?}");
    let (st, e) = s.get("/api/v1/regime/diff?from=2017-08-04").await;
    assert_eq!(error_code(st, &e), "invalid_query");
    let (st, e) = s
        .get("/api/v1/regime/diff?from=2017-02-30&to=2018-01-01")
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "from");

    let (st, t) = s.get("/api/v1/regime/timeline").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(t["resolutions"].as_array().unwrap().len(), 10);
    let regime = embargo_regime::Regime::bundled().unwrap();
    assert_eq!(
        t["spans"].as_array().unwrap().len(),
        regime.measures().len()
    );
    // Each step's count is what the regime says for that day.
    for step in t["steps"].as_array().unwrap() {
        let d =
            chrono::NaiveDate::parse_from_str(step["date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!(
            step["in_force"].as_u64().unwrap() as usize,
            regime.in_force(d).len()
        );
    }
}

#[tokio::test]
async fn errors_have_one_shape_and_the_right_status() {
    let s = TestServer::with(|c| {
        c.limits.max_body_bytes = 4096;
        c.limits.max_batch = 3;
    });
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "POST",
            "application/json",
            b"{not json".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "POST",
            "application/json",
            br#"{"hs": 2701}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "POST",
            "application/json",
            br#"{"hs":"2701","origin":"KP","destination":"CN","date":"2017-09-15","colour":"red"}"#
                .to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "POST",
            "text/plain",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "POST",
            "application/json",
            vec![b' '; 5000],
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            "GET",
            "application/json",
            vec![],
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (method, ct, body, status, code) in cases {
        let (st, e) = s.send_raw(method, "/api/v1/check", ct, body, None).await;
        assert_eq!(st, status, "{e}");
        assert_eq!(error_code(st, &e), code);
    }
    for (field, value) in [("origin", "XX1"), ("date", "2017-13-01"), ("hs", "27011")] {
        let mut b = shipment("2701", "KP", "CN", "2017-09-15");
        b[field] = json!(value);
        let (st, e) = s.post("/api/v1/check", &b).await;
        assert_eq!(error_code(st, &e), "invalid_field", "{field}: {e}");
        assert_eq!(e["error"]["field"], field);
    }
    let mut b = shipment("2701", "KP", "CN", "2017-09-15");
    b["quantity"] = json!(10.0);
    let (st, e) = s.post("/api/v1/check", &b).await;
    assert_eq!(e["error"]["field"], "unit", "{st} {e}");

    let items: Vec<Value> = (0..4)
        .map(|_| shipment("2701", "KP", "CN", "2017-09-15"))
        .collect();
    let (st, e) = s
        .post("/api/v1/check/batch", &json!({ "items": items }))
        .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_code(st, &e), "batch_too_large");
    let (st, e) = s.post("/api/v1/check/batch", &json!({ "items": [] })).await;
    assert_eq!(error_code(st, &e), "invalid_field");

    let (st, e) = s.get("/api/v1/nothing-here").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(error_code(st, &e), "route_not_found");
}

#[tokio::test]
async fn keyed_reads_need_a_valid_key() {
    let s = TestServer::with(|c| c.read_access = embargo_server::ReadAccess::Keyed);
    let (st, e) = s.get("/api/v1/regime/resolutions").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(st, &e), "unauthorized");
    let key = s.create_key("reader");
    let (st, _) = s.get_with("/api/v1/regime/resolutions", Some(&key)).await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .get_with("/api/v1/regime/resolutions", Some("emb_00000000_deadbeef"))
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Public routes stay open.
    let (st, _) = s.get("/health").await;
    assert_eq!(st, StatusCode::OK);
}

#[tokio::test]
async fn open_reads_still_refuse_a_wrong_key() {
    let s = TestServer::new();
    let (st, _) = s.get("/api/v1/regime/resolutions").await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = s
        .get_with("/api/v1/regime/resolutions", Some("emb_x_y"))
        .await;
    assert_eq!(error_code(st, &e), "unauthorized");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let s = TestServer::new();
    s.get("/api/v1/regime/measures/2371-8-coal-iron").await;
    s.get("/api/v1/regime/measures/no-such").await;
    let (st, _, body) = s
        .send(Request::get("/metrics").body(Body::empty()).unwrap())
        .await;
    assert_eq!(st, StatusCode::OK);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains(
        "embargo_http_requests_total{method=\"GET\",route=\"/api/v1/regime/measures/{id}\",status=\"200\"} 1"
    ), "{text}");
    assert!(text.contains(
        "embargo_http_requests_total{method=\"GET\",route=\"/api/v1/regime/measures/{id}\",status=\"404\"} 1"
    ));
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let s = TestServer::new();
    let (_, h1, _) = s
        .send(Request::get("/health").body(Body::empty()).unwrap())
        .await;
    let (_, h2, _) = s
        .send(Request::get("/nope").body(Body::empty()).unwrap())
        .await;
    let id1 = h1
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let id2 = h2
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_ne!(id1, id2);
    let (_, h3, _) = s
        .send(
            Request::get("/health")
                .header("x-request-id", "client-42")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(h3.get("x-request-id").unwrap(), "client-42");
}

#[tokio::test]
async fn web_page_and_assets_are_served() {
    let s = TestServer::new();
    let (st, h, body) = s.send(Request::get("/").body(Body::empty()).unwrap()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(h
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("/assets/app.js"));
    // No third-party hosts: everything comes from this server.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external reference in the page"
    );
    for asset in ["app.js", "charts.js", "style.css"] {
        let (st, _, body) = s
            .send(
                Request::get(format!("/assets/{asset}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{asset}");
        assert!(!body.is_empty(), "{asset} is empty");
    }
    let (st, e) = s.get("/assets/secret.txt").await;
    assert_eq!(error_code(st, &e), "asset_not_found");
}
