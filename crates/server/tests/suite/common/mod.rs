//! Shared helpers: a server built in a temporary data directory, driven in-process
//! through the router (no socket).

#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use embargo_server::{Built, ServerConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestServer {
    pub built: Option<Built>,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub fn new() -> TestServer {
        Self::with(|_| {})
    }

    pub fn with(configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config =
            ServerConfig::new("127.0.0.1:0".parse().unwrap(), dir.path().to_path_buf());
        configure(&mut config);
        let regime = embargo_regime::Regime::bundled().expect("bundled regime");
        let built = embargo_server::build(config, regime).expect("server builds");
        TestServer {
            built: Some(built),
            dir,
        }
    }

    pub fn router(&self) -> axum::Router {
        self.built.as_ref().expect("running").router.clone()
    }

    pub fn state(&self) -> &embargo_server::state::AppState {
        &self.built.as_ref().expect("running").state
    }

    /// Stop: flush the audit writer.
    pub fn finish(&mut self) {
        if let Some(b) = self.built.take() {
            b.finish();
        }
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
        let resp = self.router().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (status, headers, body)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.get_with(uri, None).await
    }

    pub async fn get_with(&self, uri: &str, key: Option<&str>) -> (StatusCode, Value) {
        let mut req = Request::get(uri);
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        let (s, _, b) = self.send(req.body(Body::empty()).unwrap()).await;
        (s, parse(&b))
    }

    pub async fn post(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.post_with(uri, body, None).await
    }

    pub async fn post_with(
        &self,
        uri: &str,
        body: &Value,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        self.post_raw(uri, "application/json", body.to_string().into_bytes(), key)
            .await
    }

    pub async fn post_raw(
        &self,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        self.send_raw("POST", uri, content_type, body, key).await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        uri: &str,
        content_type: &str,
        body: Vec<u8>,
        key: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type);
        if let Some(k) = key {
            req = req.header("x-api-key", k);
        }
        let (s, _, b) = self.send(req.body(Body::from(body)).unwrap()).await;
        (s, parse(&b))
    }

    pub fn create_key(&self, label: &str) -> String {
        self.state().keys.create(label).expect("key").token
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.finish();
    }
}

pub fn parse(b: &[u8]) -> Value {
    serde_json::from_slice(b)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
}

/// Assert the one error shape and return its `code`.
pub fn error_code(status: StatusCode, body: &Value) -> String {
    let e = &body["error"];
    assert_eq!(
        e["status"].as_u64(),
        Some(status.as_u16() as u64),
        "status mirrored in {body}"
    );
    assert!(
        e["message"].as_str().is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    e["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code in {body}"))
        .to_string()
}
