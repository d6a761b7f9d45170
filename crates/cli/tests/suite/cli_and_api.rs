//! The command line and the HTTP API answer the same screening question the same way: one
//! data directory (the UN DPRK list, an ownership network), the same questions to
//! `embargo screen --json` and to `POST /api/v1/screen`, the answers compared.

use std::process::Output;

use axum::http::StatusCode;
use common::{api, embargo, post_json};
use embargo_fixtures::{run_json, run_ok};
use serde_json::{json, Value};

use crate::common;

async fn api_screen(router: &axum::Router, body: &Value) -> (StatusCode, Value) {
    api(router, post_json("/api/v1/screen", body)).await
}

/// What both answers must agree on: the decision, each hit's entry, score, decision and
/// regime context, and the network's reach.
fn answer(v: &Value) -> Value {
    let hits: Vec<Value> = v["matches"]
        .as_array()
        .map(|hits| {
            hits.iter()
                .map(|h| json!([h["source"], h["id"], h["score"], h["decision"], h["regime"]]))
                .collect()
        })
        .unwrap_or_default();
    json!({ "decision": v["decision"], "hits": hits, "network": v.get("network") })
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn cli_and_api_give_one_answer() {
    let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ownership =
        embargo_fixtures::workspace_root().join("crates/network/tests/fixtures/ownership.csv");
    run_ok(embargo(dir.path()).args(["lists", "import"]).arg(&un));
    run_ok(
        embargo(dir.path())
            .args(["network", "import"])
            .arg(&ownership),
    );
    let config = embargo_server::ServerConfig::new(
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        dir.path().to_path_buf(),
    );
    let regime = embargo_regime::Regime::bundled().unwrap_or_else(|e| panic!("{e}"));
    let built = embargo_server::build(config, regime).unwrap_or_else(|e| panic!("{e}"));

    let questions: [(&[&str], Value); 4] = [
        // Reached only through the ownership network (KOMID owns it at one remove).
        (
            &["Liaoning Beta Logistics"],
            json!({ "name": "Liaoning Beta Logistics" }),
        ),
        (
            &[
                "KOREA MINING DEVELOPMENT TRADING CORPORATION",
                "--country",
                " KP ",
            ],
            json!({ "name": "KOREA MINING DEVELOPMENT TRADING CORPORATION", "country": " KP " }),
        ),
        (
            &["  Kim Jong Un ", "--schema", "person", "--dob", "1984"],
            json!({ "name": "  Kim Jong Un ", "schema": "person", "dob": "1984" }),
        ),
        (
            &["조선광선은행"],
            json!({ "name": "조선광선은행", "dob": "" }),
        ),
    ];
    for (args, body) in &questions {
        let cli = run_json(embargo(dir.path()).arg("screen").args(*args).arg("--json"));
        let (status, api) = api_screen(&built.router, body).await;
        assert_eq!(status, StatusCode::OK, "{api}");
        assert_eq!(answer(&cli), answer(&api), "{args:?}");
    }
    // The network answer is there on both sides, not absent on both.
    let (_, api) = api_screen(&built.router, &questions[0].1).await;
    assert_eq!(api["network"]["decision"], "match", "{api}");

    // A bad birth date: the same message, and the API names the field.
    let out = embargo(dir.path())
        .args(["screen", "Kim Jong Un", "--dob", "19x"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    let (status, api) = api_screen(
        &built.router,
        &json!({ "name": "Kim Jong Un", "dob": "19x" }),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{api}");
    assert_eq!(api["error"]["field"], "dob");
    let message = api["error"]["message"].as_str().unwrap_or_default();
    assert!(
        stderr_of(&out).contains(message),
        "{} / {message}",
        stderr_of(&out)
    );
    built.finish();
}
