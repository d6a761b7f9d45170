//! What the command-line tests share: the `embargo` binary on a data directory, and the
//! server's router asked in-process (no socket) for the tests that hold the two to one
//! answer.

#![allow(dead_code)]

use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// `embargo --data DATA`, with the bundled regime, in this process (a caller's
/// `EMBARGO_REGIME`, `EMBARGO_DATA` and `EMBARGO_CLUSTER` removed).
pub fn embargo(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_embargo"));
    c.env_remove("EMBARGO_REGIME")
        .env_remove("EMBARGO_DATA")
        .env_remove("EMBARGO_CLUSTER")
        .arg("--data")
        .arg(data);
    c
}

/// The router's answer to `req`: status and JSON body.
pub async fn api(router: &axum::Router, req: Request<Body>) -> (StatusCode, Value) {
    let resp = router
        .clone()
        .oneshot(req)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let status = resp.status();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .to_bytes();
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{e}"));
    (status, value)
}

pub fn get(path: &str) -> Request<Body> {
    Request::get(path)
        .body(Body::empty())
        .unwrap_or_else(|e| panic!("{e}"))
}

pub fn post_json(path: &str, body: &Value) -> Request<Body> {
    Request::post(path)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
}
