//! Real responses hold to `/openapi.json`: every operation that answers JSON is asked a
//! real question, and its 200 body is checked against the schema the document names for it
//! (types, enums, required and nullable fields, and no field the document does not
//! declare), so the document cannot drift from what the server sends.

use crate::common;

use std::collections::BTreeSet;

use axum::http::StatusCode;
use common::TestServer;
use serde_json::{json, Map, Value};

/// The schema checker: the subset of OpenAPI 3.0 schemas `openapi-schemas.json` uses.
struct Checker<'a> {
    schemas: &'a Map<String, Value>,
    errors: Vec<String>,
}

impl Checker<'_> {
    fn check(&mut self, v: &Value, schema: &Value, at: &str) {
        if let Some(r) = schema["$ref"].as_str() {
            let name = r.trim_start_matches("#/components/schemas/");
            match self.schemas.get(name) {
                Some(s) => self.check(v, s, at),
                None => self.errors.push(format!("{at}: unknown schema {r}")),
            }
            return;
        }
        if v.is_null() {
            if !schema["nullable"].as_bool().unwrap_or(false) && schema.get("type").is_some() {
                self.errors.push(format!("{at}: null, but not nullable"));
            }
            return;
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(v) {
                self.errors
                    .push(format!("{at}: {v} is not one of {allowed:?}"));
            }
        }
        let ok = match schema["type"].as_str() {
            None => true,
            Some("object") => v.is_object(),
            Some("array") => v.is_array(),
            Some("string") => v.is_string(),
            Some("integer") => v.is_i64() || v.is_u64(),
            Some("number") => v.is_number(),
            Some("boolean") => v.is_boolean(),
            Some(other) => {
                self.errors.push(format!("{at}: unknown type {other}"));
                true
            }
        };
        if !ok {
            self.errors.push(format!(
                "{at}: {} is not of type {}",
                short(v),
                schema["type"]
            ));
            return;
        }
        if let (Some(items), Some(values)) = (schema.get("items"), v.as_array()) {
            // The first items say enough about the shape, and keep the errors short.
            for (i, item) in values.iter().take(20).enumerate() {
                self.check(item, items, &format!("{at}[{i}]"));
            }
        }
        if let Some(obj) = v.as_object() {
            self.check_object(obj, schema, at);
        }
    }

    fn check_object(&mut self, obj: &Map<String, Value>, schema: &Value, at: &str) {
        for name in schema["required"].as_array().into_iter().flatten() {
            let name = name.as_str().unwrap_or_default();
            if !obj.contains_key(name) {
                self.errors.push(format!("{at}: required `{name}` missing"));
            }
        }
        let declared = schema["properties"].as_object();
        let extra = schema.get("additionalProperties");
        for (k, value) in obj {
            let here = format!("{at}.{k}");
            match declared.and_then(|d| d.get(k)) {
                Some(s) => self.check(value, s, &here),
                None => match extra {
                    Some(Value::Bool(true)) => {}
                    Some(s @ Value::Object(_)) => self.check(value, s, &here),
                    // An object schema that declares nothing is free-form.
                    None if declared.is_none() => {}
                    // A field the document does not declare is drift, whether or not the
                    // schema says `additionalProperties: false`.
                    _ => self
                        .errors
                        .push(format!("{here}: not in the document ({})", short(value))),
                },
            }
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 60 {
        format!("{}…", &s[..s.floor_char_boundary(60)])
    } else {
        s
    }
}

/// One real question per operation that answers JSON: (operationId, method, uri, body).
fn questions() -> Vec<(&'static str, &'static str, String, Option<Value>)> {
    let shipment = json!({"hs": "2701", "origin": "KP", "destination": "CN", "date": "2017-09-15"});
    vec![
        ("health", "GET", "/health".into(), None),
        ("openapi", "GET", "/openapi.json".into(), None),
        (
            "listResolutions",
            "GET",
            "/api/v1/regime/resolutions".into(),
            None,
        ),
        (
            "listMeasures",
            "GET",
            "/api/v1/regime/measures?as_of=2017-09-15".into(),
            None,
        ),
        (
            "getMeasure",
            "GET",
            "/api/v1/regime/measures/2371-8-coal-iron".into(),
            None,
        ),
        ("listHsNames", "GET", "/api/v1/regime/hs".into(), None),
        (
            "diffRegime",
            "GET",
            "/api/v1/regime/diff?from=2017-08-04&to=2017-08-05".into(),
            None,
        ),
        (
            "regimeTimeline",
            "GET",
            "/api/v1/regime/timeline".into(),
            None,
        ),
        (
            "check",
            "POST",
            "/api/v1/check".into(),
            Some(shipment.clone()),
        ),
        (
            "checkBatch",
            "POST",
            "/api/v1/check/batch".into(),
            Some(
                json!({"items": [shipment, {"hs": "5701", "origin": "CN", "destination": "KP", "date": "2017-06-01", "value_usd": 900}]}),
            ),
        ),
        ("listStatus", "GET", "/api/v1/lists".into(), None),
        ("listUploads", "GET", "/api/v1/network/uploads".into(), None),
        ("listAlerts", "GET", "/api/v1/alerts?open=true".into(), None),
        ("report", "GET", "/api/v1/report".into(), None),
        ("listCharts", "GET", "/api/v1/report/charts".into(), None),
        ("exposure", "GET", "/api/v1/exposure".into(), None),
        ("relief", "GET", "/api/v1/relief".into(), None),
        ("timeline", "GET", "/api/v1/timeline".into(), None),
        ("signals", "GET", "/api/v1/signals".into(), None),
        (
            "estimateWorkers",
            "GET",
            "/api/v1/estimates/workers".into(),
            None,
        ),
        (
            "estimateTourism",
            "GET",
            "/api/v1/estimates/tourism".into(),
            None,
        ),
        (
            "tradeQuery",
            "GET",
            "/api/v1/trade/query?reporter=CN&partner=KP&flow=import&by=hs2".into(),
            None,
        ),
        ("tradeFiles", "GET", "/api/v1/trade/files".into(), None),
        ("reconcileManifest", "GET", "/reconcile".into(), None),
        (
            "reconcileDatasetManifest",
            "GET",
            "/reconcile/un_sc_sanctions".into(),
            None,
        ),
    ]
}

/// Operations whose question needs a list or an upload first (asked in the next test;
/// `getVessel` needs a list with ships, OFAC's, and is asked in the CLI's
/// vessels_from_lists.rs without a schema check).
const NEED_DATA: &[&str] = &[
    "screen",
    "screenBatch",
    "importList",
    "refreshLists",
    "uploadOwnership",
    "networkExposure",
    "getVessel",
    "decideAlert",
    "yenteMatch",
    "yenteEntity",
    "reconcile",
    "reconcileDataset",
];

async fn ask(
    s: &TestServer,
    method: &str,
    uri: &str,
    body: Option<&Value>,
    key: Option<&str>,
) -> (StatusCode, Value) {
    match (method, body) {
        ("GET", _) => s.get_with(uri, key).await,
        (_, Some(b)) => s.post_with(uri, b, key).await,
        _ => s.post_with(uri, &json!({}), key).await,
    }
}

fn checked(doc: &Value, operation: &str, body: &Value) -> Vec<String> {
    let route = embargo_server::app::routes()
        .into_iter()
        .find(|r| r.doc.operation_id == operation)
        .unwrap_or_else(|| panic!("no route {operation}"));
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut c = Checker {
        schemas,
        errors: Vec::new(),
    };
    let schema = json!({ "$ref": format!("#/components/schemas/{}", route.doc.response) });
    c.check(body, &schema, operation);
    // One line per place in the schema, not per array element.
    let collapsed: BTreeSet<String> = c
        .errors
        .iter()
        .map(|e| {
            let mut out = String::new();
            let mut in_index = false;
            for ch in e.chars() {
                match ch {
                    '[' => {
                        in_index = true;
                        out.push_str("[]");
                    }
                    ']' => in_index = false,
                    _ if in_index => {}
                    _ => out.push(ch),
                }
            }
            out
        })
        .collect();
    collapsed.into_iter().collect()
}

#[tokio::test]
async fn every_json_answer_holds_to_its_documented_schema() {
    let s = TestServer::new();
    let (_, doc) = s.get("/openapi.json").await;
    let asked: BTreeSet<&str> = questions().iter().map(|q| q.0).collect();
    // Every operation answering JSON has a question here (or needs data first).
    for r in embargo_server::app::routes() {
        let json = !r.doc.response.starts_with('#');
        if json && !asked.contains(r.doc.operation_id) && !NEED_DATA.contains(&r.doc.operation_id) {
            panic!(
                "{} answers JSON but has no question in this test",
                r.doc.operation_id
            );
        }
    }
    let mut errors = Vec::new();
    for (op, method, uri, body) in questions() {
        let (st, v) = ask(&s, method, &uri, body.as_ref(), None).await;
        assert_eq!(st, StatusCode::OK, "{op} {uri}: {v}");
        errors.extend(checked(&doc, op, &v));
    }
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}

#[tokio::test]
async fn screening_and_network_answers_hold_to_their_schemas() {
    let Some(path) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let xml = std::fs::read(path).expect("read the UN fixture");
    let s = TestServer::new();
    let key = s.create_key("schemas");
    let (_, doc) = s.get("/openapi.json").await;
    let mut errors = Vec::new();
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
    errors.extend(checked(&doc, "importList", &v));
    let (st, v) = ask(&s, "POST", "/api/v1/lists/refresh", None, Some(&key)).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "refreshLists", &v));
    let q = json!({"name": "KOREA KWANGSON BANKING CORPORATION", "schema": "organization"});
    let (st, v) = ask(&s, "POST", "/api/v1/screen", Some(&q), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "screen", &v));
    let batch =
        json!({"items": [q, {"name": "YUN HO JIN", "schema": "person", "dob": "1944-10-13"}]});
    let (st, v) = ask(&s, "POST", "/api/v1/screen/batch", Some(&batch), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "screenBatch", &v));
    let example = json!({"queries": {"q": {"schema": "Person", "properties": {"name": ["Yun Ho-jin"], "birthDate": ["1944-10-13"]}}}});
    let (st, v) = ask(&s, "POST", "/match/default", Some(&example), None).await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "yenteMatch", &v));
    let (st, v) = s.get("/entities/un-KPi.001").await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "yenteEntity", &v));
    let form = "queries=%7B%22q0%22%3A%7B%22query%22%3A%22YUN%20HO%20JIN%22%2C%22type%22%3A%22Person%22%7D%7D";
    for (op, uri) in [
        ("reconcile", "/reconcile"),
        ("reconcileDataset", "/reconcile/un_sc_sanctions"),
    ] {
        let (st, v) = s
            .post_raw(
                uri,
                "application/x-www-form-urlencoded",
                form.as_bytes().to_vec(),
                None,
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        assert!(
            v["q0"]["result"].as_array().is_some_and(|r| !r.is_empty()),
            "{v}"
        );
        errors.extend(checked(&doc, op, &v));
    }
    let csv = "owner,owned,share_pct,relation,start,end,source\n\
               KOREA KWANGSON BANKING CORPORATION,Example Trading Ltd,60,ownership,2015,,test\n";
    let (st, v) = s
        .send_raw(
            "POST",
            "/api/v1/network/ownership",
            "text/csv",
            csv.as_bytes().to_vec(),
            Some(&key),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "uploadOwnership", &v));
    let (st, v) = s
        .get("/api/v1/network/exposure/Example%20Trading%20Ltd")
        .await;
    assert_eq!(st, StatusCode::OK, "{v}");
    errors.extend(checked(&doc, "networkExposure", &v));
    assert!(
        errors.is_empty(),
        "{} mismatches:\n{}",
        errors.len(),
        errors.join("\n")
    );
}
