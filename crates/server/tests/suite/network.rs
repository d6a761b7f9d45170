//! Ownership upload and network exposure over HTTP: the UN list (../shared) gives the
//! designee, a hand-written ownership file gives a chain of 60% then 50%.

use crate::common;

use axum::http::StatusCode;
use common::{error_code, TestServer};

const OWNERSHIP: &str = include_str!("../fixtures/ownership.csv");

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
    assert_eq!(r["warnings"], serde_json::json!([]), "{r}");
    // The same file without its last line end (perhaps cut): imported, and said.
    let (st, cut) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=cut",
            "text/csv",
            OWNERSHIP.trim_end().into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{cut}");
    assert!(
        cut["warnings"][0]
            .as_str()
            .is_some_and(|w| w.contains("upload:cut: the last line has no line end")),
        "{cut}"
    );

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

const SMALL_UN: &str = include_str!("../../../screen/tests/fixtures/small_un.xml");

/// The graph's designees follow the active lists, whether swapped in by a PUT or by
/// `embargo lists import` on the same data directory and a refresh; uploads are named and
/// a second upload under a name in use is refused unless replacing.
#[tokio::test]
async fn designees_follow_the_lists_and_uploads_are_named() {
    let s = TestServer::new();
    let key = s.create_key("analyst");
    let (st, r) = s
        .send_raw(
            "PUT",
            "/api/v1/lists/un",
            "application/xml",
            SMALL_UN.into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["network"]["indexed"], true, "{r}");
    let own = "owner,owned,share_pct,relation,start,end,source\nun:KPe.901,Child Co,60,ownership,2015-01-01,,Test register (fictional)\n";
    let (st, r) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=register-a",
            "text/csv",
            own.into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    let (_, x) = s
        .get("/api/v1/network/exposure/Child%20Co?as_of=2020-01-01")
        .await;
    assert_eq!(x["status"], "blocked", "{x}");

    // Same name again: refused, the first upload stands.
    let other = "owner,owned,share_pct,relation,start,end,source\nSomeone,Child Co,10,ownership,2015-01-01,,Other register (fictional)\n";
    let (st, e) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=register-a",
            "text/csv",
            other.into(),
            Some(&key),
        )
        .await;
    assert_eq!(error_code(st, &e), "upload_exists", "{e}");
    let (_, x) = s
        .get("/api/v1/network/exposure/Child%20Co?as_of=2020-01-01")
        .await;
    assert_eq!(x["status"], "blocked", "{x}");
    // Under another name, both stand; replace=true replaces explicitly.
    let (st, _) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=register-b",
            "text/csv",
            other.into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership?name=register-b&replace=true",
            "text/csv",
            other.into(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, u) = s.get("/api/v1/network/uploads").await;
    assert_eq!(st, StatusCode::OK, "{u}");
    let names: Vec<&str> = u["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["register-a", "register-b"], "{u}");
    assert!(u["uploads"][0]["added_by"].is_string(), "{u}");

    // A new list version made active outside the server (as `embargo lists import` does),
    // then a refresh: KPe.901 is gone, KPe.902 is listed.
    let v2 = s.dir.path().join("v2.xml");
    std::fs::write(
        &v2,
        SMALL_UN
            .replace("KPe.901", "KPe.902")
            .replace("NEW SHIPPING CO", "OTHER TRADING CO"),
    )
    .unwrap();
    let force = embargo_screen::ImportOptions {
        allow_shrink: true,
        ..Default::default()
    };
    embargo_screen::ListStore::open(s.dir.path())
        .import_with(&v2, Some(embargo_screen::Source::Un), force)
        .unwrap();
    let (st, _) = s
        .post_with("/api/v1/lists/refresh", &serde_json::json!({}), Some(&key))
        .await;
    assert_eq!(st, StatusCode::OK);
    let (_, x) = s
        .get("/api/v1/network/exposure/Child%20Co?as_of=2020-01-01")
        .await;
    assert_eq!(x["status"], "not_blocked", "{x}");
    let (st, x) = s.get("/api/v1/network/exposure/un:KPe.902").await;
    assert_eq!(st, StatusCode::OK, "{x}");
    assert_eq!(x["status"], "designated", "{x}");
    let (_, u) = s.get("/api/v1/network/uploads").await;
    assert!(u["lists"]["un"].is_string(), "{u}");
}

/// Error messages name the upload as the client sent it, never a path on the server.
#[tokio::test]
async fn upload_errors_never_show_server_paths() {
    let s = TestServer::new();
    let key = s.create_key("analyst");
    let data_dir = s.dir.path().display().to_string();
    let truncated = &SMALL_UN[..SMALL_UN.len() / 2];
    let bad_csv = "owner,owned,share_pct,relation,start,end,source\nA,B,x,ownership,,,s\n";
    let cases: [(&str, &str, &str, &str); 5] = [
        ("PUT", "/api/v1/lists/un", "application/xml", truncated),
        ("PUT", "/api/v1/lists/un", "application/xml", "<x"),
        ("PUT", "/api/v1/lists/ofac", "text/csv", "1,\"unclosed\n"),
        (
            "POST",
            "/api/v1/network/ownership?name=n",
            "text/csv",
            bad_csv,
        ),
        (
            "POST",
            "/api/v1/network/ownership?kind=ftm&name=m",
            "application/json",
            "{nope",
        ),
    ];
    for (method, uri, ctype, body) in cases {
        let (st, e) = s
            .send_raw(method, uri, ctype, body.as_bytes().to_vec(), Some(&key))
            .await;
        assert!(st.is_client_error(), "{uri}: {st} {e}");
        let msg = e["error"]["message"].as_str().unwrap_or_default();
        assert!(!msg.is_empty(), "{uri}: {e}");
        assert!(!msg.contains(&data_dir), "{uri}: server path in {msg}");
        assert!(!msg.contains("/tmp"), "{uri}: server path in {msg}");
    }
}
