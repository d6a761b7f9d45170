//! `/openapi.json` is in step with the routes: the document's operations are exactly the
//! route table's, the router answers each of them (no `route_not_found`, no
//! `method_not_allowed`), every path parameter is declared, and every schema referenced
//! exists.

use crate::common;

use axum::body::Body;
use axum::http::Request;
use common::TestServer;
use serde_json::Value;
use std::collections::BTreeSet;

async fn served_document(s: &TestServer) -> Value {
    let (st, _, body) = s
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert!(st.is_success());
    serde_json::from_slice(&body).expect("the document is JSON")
}

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            ops.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn document_operations_equal_the_route_table() {
    let s = TestServer::new();
    let doc = served_document(&s).await;
    assert_eq!(doc["openapi"], "3.0.3");
    let table: BTreeSet<(String, String)> = embargo_server::app::routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.path.to_string()))
        .collect();
    assert_eq!(documented_operations(&doc), table);
    let ids: Vec<String> = embargo_server::app::routes()
        .iter()
        .map(|r| r.doc.operation_id.to_string())
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "operationIds are unique");
}

#[tokio::test]
async fn router_answers_every_documented_operation() {
    let s = TestServer::new();
    let doc = served_document(&s).await;
    for (method, path) in documented_operations(&doc) {
        // Fill path parameters with a placeholder: the handler may answer 404 for an
        // unknown id, but never the router's own route_not_found.
        let mut uri = String::new();
        for seg in path.split('/').filter(|s| !s.is_empty()) {
            uri.push('/');
            uri.push_str(if seg.starts_with('{') { "x" } else { seg });
        }
        if uri.is_empty() {
            uri.push('/');
        }
        let req = Request::builder()
            .method(method.as_str())
            .uri(&uri)
            .header("content-type", "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let (_, _, body) = s.send(req).await;
        let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let code = v["error"]["code"].as_str().unwrap_or("");
        assert!(
            code != "route_not_found" && code != "method_not_allowed",
            "{method} {path} ({uri}) is documented but not routed: {v}"
        );
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(s) = x.as_str() {
                        out.insert(s.to_string());
                    }
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn references_resolve_and_path_parameters_are_declared() {
    let s = TestServer::new();
    let doc = served_document(&s).await;
    let mut refs = BTreeSet::new();
    collect_refs(&doc, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local reference");
        assert!(doc.pointer(pointer).is_some(), "dangling reference {r}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        let wanted: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let declared: BTreeSet<String> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default();
            assert_eq!(declared, wanted, "{method} {path}");
            assert!(op["responses"]["200"].is_object(), "{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()));
        }
    }
}
