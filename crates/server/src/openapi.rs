//! The OpenAPI 3 document, built from the route table ([`crate::app::routes`]) and the
//! schemas in `openapi-schemas.json`. Paths and operations come from the same table the
//! router is built from, so a route cannot exist undocumented or the other way round;
//! tests check that every referenced schema exists and every path parameter is declared.

use crate::app::{routes, Access, Doc, Route, FORM, HTML, SVG, TEXT, UPLOAD};
use serde_json::{json, Map, Value};
use std::sync::OnceLock;

const SCHEMAS: &str = include_str!("../openapi-schemas.json");

/// The document as served (built once).
pub fn document_text() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_string_pretty(&document()).unwrap_or_default())
}

pub fn document() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in routes() {
        let entry = paths
            .entry(r.path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(ops) = entry {
            ops.insert(r.method.as_str().to_ascii_lowercase(), operation(&r));
        }
    }
    let schemas: Value = serde_json::from_str(SCHEMAS).unwrap_or_else(|_| json!({}));
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "embargo",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "UN Security Council DPRK sanctions: the regime as data, shipment checks, screening against the UN 1718 list and OFAC's DPRK programmes, ownership exposure and trade analysis. Every error has the shape of the Error schema. Writes need an API key in the x-api-key header; reads need one when the server runs with --keyed-reads.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}
            },
            "responses": {
                "Error": {
                    "description": "An error (see the status code and error.code)",
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                }
            }
        }
    })
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn operation(r: &Route) -> Value {
    let Doc {
        operation_id,
        tag,
        summary,
        params,
        body,
        response,
    } = &r.doc;
    let mut op = Map::new();
    op.insert("operationId".into(), json!(operation_id));
    op.insert("tags".into(), json!([tag]));
    op.insert("summary".into(), json!(summary));
    if !params.is_empty() {
        let ps: Vec<Value> = params
            .iter()
            .map(|p| {
                json!({
                    "name": p.name,
                    "in": p.location,
                    "required": p.required,
                    "description": p.description,
                    "schema": {"type": "string"},
                })
            })
            .collect();
        op.insert("parameters".into(), Value::Array(ps));
    }
    if let Some(b) = *body {
        let content = if b == UPLOAD {
            json!({"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}})
        } else if b == FORM {
            json!({"application/x-www-form-urlencoded": {"schema": schema_ref("ReconcileForm")}})
        } else {
            json!({"application/json": {"schema": schema_ref(b)}})
        };
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": content}),
        );
    }
    let ok = match *response {
        TEXT => {
            json!({"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}})
        }
        HTML => {
            json!({"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}})
        }
        SVG => {
            json!({"description": "OK", "content": {"image/svg+xml": {"schema": {"type": "string"}}}})
        }
        name => {
            json!({"description": "OK", "content": {"application/json": {"schema": schema_ref(name)}}})
        }
    };
    let err = json!({"$ref": "#/components/responses/Error"});
    let mut responses = Map::new();
    responses.insert("200".into(), ok);
    if !params.is_empty() || body.is_some() {
        responses.insert("400".into(), err.clone());
        responses.insert("422".into(), err.clone());
    }
    if body.is_some() {
        responses.insert("413".into(), err.clone());
    }
    if r.access != Access::Public {
        responses.insert("401".into(), err.clone());
    }
    responses.insert("503".into(), err.clone());
    responses.insert("default".into(), err);
    op.insert("responses".into(), Value::Object(responses));
    match r.access {
        Access::Write => {
            op.insert("security".into(), json!([{"apiKey": []}]));
        }
        Access::Read => {
            // Open by default; keyed when the server runs with --keyed-reads.
            op.insert("security".into(), json!([{}, {"apiKey": []}]));
        }
        Access::Public => {}
    }
    Value::Object(op)
}
