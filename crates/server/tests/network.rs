//! Ownership upload and network exposure over HTTP: the UN list (../shared) gives the
//! designee, a hand-written ownership file gives a chain of 60% then 50%.

mod common;

use axum::http::StatusCode;
use common::{error_code, TestServer};

const OWNERSHIP: &str = include_str!("fixtures/ownership.csv");

#[tokio::test]
async fn exposure_follows_chains_to_the_designee() {
    let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let s = TestServer::new();
    let key = s.create_key("analyst");
    // Uploads are writes.
    let (st, e) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership",
            "text/csv",
            OWNERSHIP.into(),
            None,
        )
        .await;
    assert_eq!(error_code(st, &e), "unauthorized");

    let (st, r) = s
        .send_raw(
            "PUT",
            "/api/v1/lists/un",
            "application/xml",
            std::fs::read(un).unwrap(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["network"]["indexed"], true, "{r}");

    let (st, r) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=test",
            "text/csv",
            OWNERSHIP.into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["report"]["rows"], 4, "{r}");

    // KPe.001 holds 60% of the front company (blocked), which holds 50% of the shipping
    // company: 50% or more in the aggregate by blocked persons, so blocked.
    let (st, x) = s
        .get("/api/v1/network/exposure/Example%20Shipping%20Co?as_of=2020-01-01")
        .await;
    assert_eq!(st, StatusCode::OK, "{x}");
    assert_eq!(x["status"], "blocked", "{x}");
    assert_eq!(x["blocked_share_pct"].as_f64(), Some(50.0), "{x}");
    assert!(x["paths"].to_string().contains("KPe.001"), "{x}");
    // Before the chain existed: not blocked.
    let (_, early) = s
        .get("/api/v1/network/exposure/Example%20Shipping%20Co?as_of=2013-01-01")
        .await;
    assert_eq!(early["status"], "not_blocked", "{early}");
    let (_, clean) = s.get("/api/v1/network/exposure/Example%20Clean%20Co").await;
    assert_eq!(clean["status"], "not_blocked", "{clean}");

    let (st, e) = s.get("/api/v1/network/exposure/Nobody%20At%20All").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(error_code(st, &e), "unknown_entity");

    // A file with a bad row is refused whole, naming line and field.
    let bad =
        "owner,owned,share_pct,relation,start,end,source\nA Co,B Co,150,ownership,2015-01-01,,x\n";
    let (st, e) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership",
            "text/csv",
            bad.into(),
            Some(&key),
        )
        .await;
    assert_eq!(error_code(st, &e), "invalid_file", "{e}");
    assert!(
        e["error"]["message"].as_str().unwrap().contains(":2"),
        "{e}"
    );
}
