//! The book's alerts over HTTP: a list imported through the server, a book imported
//! beside it, `GET /api/v1/alerts`, a decision behind a key, appended to the audit log.

use crate::common;

use axum::http::StatusCode;
use common::TestServer;
use serde_json::json;

#[tokio::test]
async fn alerts_follow_a_server_import_and_decisions_need_a_key_and_are_audited() {
    let Some(path) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let mut s = TestServer::new();
    let key = s.create_key("reviewer");
    // The book first, before any list: nothing to screen against yet.
    let records = vec![embargo_book::BookRecord {
        id: "c-002".into(),
        name: "Korea Ryonbong General Corp".into(),
        schema: Some("organization".into()),
        dob: None,
        country: Some("KP".into()),
        imo: None,
        passport: None,
    }];
    let lists = embargo_screen::ListStore::open(s.dir.path());
    let mut book = embargo_book::Book::open(s.dir.path()).unwrap();
    let report = book.import(records, &lists).unwrap();
    assert_eq!((report.added, report.new_alerts), (1, 0));
    drop(book);

    let xml = std::fs::read(path).unwrap();
    let (st, v) = s
        .send_raw(
            "PUT",
            "/api/v1/lists/un",
            "application/xml",
            xml,
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    // The next read follows the server's import.
    let (st, v) = s.get("/api/v1/alerts?open=true").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v}");
    let a = &alerts[0];
    assert_eq!(a["entity_id"], "KPe.002");
    assert_eq!(a["source"], "un");
    assert_eq!(a["decision"], "match");
    assert_eq!(
        a["hit"]["explanation"]["matched_name"],
        "KOREA RYONBONG GENERAL CORPORATION"
    );
    let id = a["id"].as_i64().unwrap();

    let body = json!({"as": "false-positive", "reason": "our client is the Seoul namesake"});
    let (st, v) = s
        .post_with(&format!("/api/v1/alerts/{id}/decision"), &body, None)
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{v}");
    let bad = json!({"as": "maybe", "reason": "x"});
    let (st, v) = s
        .post_with(&format!("/api/v1/alerts/{id}/decision"), &bad, Some(&key))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (st, v) = s
        .post_with(&format!("/api/v1/alerts/{id}/decision"), &body, Some(&key))
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(v["decision"]["verdict"], "false_positive");
    assert!(v["audit_seq"].as_u64().unwrap() >= 1);
    let (st, v) = s
        .post_with(&format!("/api/v1/alerts/{id}/decision"), &body, Some(&key))
        .await;
    assert_eq!(st, StatusCode::CONFLICT, "{v}");
    let (_, v) = s.get("/api/v1/alerts?open=true").await;
    assert_eq!(v["alerts"].as_array().unwrap().len(), 0, "{v}");
    let (_, v) = s.get("/api/v1/alerts").await;
    assert_eq!(v["alerts"][0]["status"], "false_positive", "{v}");

    // The command line appends to the same chain while the server runs; the server's
    // next record follows it.
    let direct = embargo_server::audit::AuditRecord {
        time: "2026-12-01T00:00:00Z".into(),
        key_id: Some("local:tester".into()),
        request_id: "cli-test".into(),
        kind: "screen".into(),
        query: json!({"name": "x"}),
        list_versions: json!({}),
        hits: Vec::new(),
        decision: "no_match".into(),
    };
    let seqs = embargo_server::audit::append_now(
        &embargo_server::config::store_path(s.dir.path()),
        &[direct],
    )
    .unwrap();
    let q = json!({"name": "KOREA RYONBONG GENERAL CORPORATION"});
    let (st, v) = s.post_with("/api/v1/screen", &q, None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    assert_eq!(seqs, vec![2]);

    s.finish();
    let conn =
        embargo_server::store::open_read_only(&embargo_server::config::store_path(s.dir.path()))
            .unwrap();
    let verified = embargo_server::audit::verify(&conn).unwrap();
    assert!(verified.broken.is_none());
    assert_eq!(verified.records, 3);
    let last: String = conn
        .query_row("SELECT body FROM audit_log WHERE seq = 1", [], |r| r.get(0))
        .unwrap();
    let last: serde_json::Value = serde_json::from_str(&last).unwrap();
    assert_eq!(last["kind"], "alert_decision");
    assert_eq!(last["decision"], "false_positive");
    assert_eq!(last["hits"][0]["id"], "KPe.002");
}
