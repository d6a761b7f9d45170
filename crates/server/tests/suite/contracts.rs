//! Contract tests for the interfaces other tools speak: yente's `POST /match/{dataset}`
//! and OpenRefine's reconciliation service at `/reconcile`. The requests and the peers'
//! answers are recorded under `tests/contracts/` in the shapes the peers document; each
//! test sends the recorded request to embargo (with the real UN 1718 list and OFAC's DPRK
//! extract from ../shared imported) and checks that the answer has every field the
//! recorded answer has, with the same JSON type, and real values: a listed name comes
//! back as the top result with `match: true`.

use crate::common;

use axum::http::StatusCode;
use common::{error_code, TestServer};
use serde_json::{json, Value};

fn contract(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/contracts")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Objects whose keys are data (property names, feature names), not fields: every value
/// of ours must have the shape of the recorded values.
const MAPS: &[&str] = &["properties", "features", "matcher"];
/// Fields the peer declares optional (yente's `Optional[datetime]`): null is their shape too.
const NULLABLE: &[&str] = &["first_seen", "last_seen", "last_change"];

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every field of `recorded` is in `ours` with the same JSON type, recursively (arrays:
/// the first element of each).
fn conforms(ours: &Value, recorded: &Value, at: &str, errors: &mut Vec<String>) {
    let field = at.rsplit('.').next().unwrap_or(at);
    if ours.is_null() && NULLABLE.contains(&field) {
        return;
    }
    if kind(ours) != kind(recorded) {
        errors.push(format!(
            "{at}: {} where the peer has {}",
            kind(ours),
            kind(recorded)
        ));
        return;
    }
    match (ours, recorded) {
        (Value::Object(o), Value::Object(r)) if MAPS.contains(&field) => {
            if let Some(sample) = r.values().next() {
                for (k, v) in o {
                    conforms(v, sample, &format!("{at}.{k}"), errors);
                }
            }
        }
        (Value::Object(o), Value::Object(r)) => {
            for (k, rv) in r {
                match o.get(k) {
                    Some(ov) => conforms(ov, rv, &format!("{at}.{k}"), errors),
                    None => errors.push(format!("{at}.{k}: missing")),
                }
            }
        }
        (Value::Array(o), Value::Array(r)) => {
            if let (Some(ov), Some(rv)) = (o.first(), r.first()) {
                conforms(ov, rv, &format!("{at}[0]"), errors);
            }
        }
        _ => {}
    }
}

fn assert_conforms(ours: &Value, recorded: &Value, what: &str) {
    let mut errors = Vec::new();
    conforms(ours, recorded, what, &mut errors);
    assert!(errors.is_empty(), "{}\nanswer: {ours}", errors.join("\n"));
}

/// A server with the UN DPRK list and OFAC's DPRK extract imported, or `None` (with a
/// notice) when ../shared is absent.
async fn server_with_lists() -> Option<TestServer> {
    let un = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")?;
    let ofac = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv")?;
    let s = TestServer::new();
    let key = s.create_key("contracts");
    for (source, path, ct) in [("un", un, "application/xml"), ("ofac", ofac, "text/csv")] {
        let bytes = std::fs::read(&path).expect("read the list fixture");
        let (st, v) = s
            .send_raw(
                "PUT",
                &format!("/api/v1/lists/{source}"),
                ct,
                bytes,
                Some(&key),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{source}: {v}");
    }
    Some(s)
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn result_ids(results: &Value) -> Vec<&str> {
    results
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["id"].as_str())
        .collect()
}

#[tokio::test]
async fn yente_match_answers_in_yentes_shape_with_real_hits() {
    let Some(s) = server_with_lists().await else {
        return;
    };
    let request = contract("yente_match_request.json");
    let recorded = contract("yente_match_response.json");
    let (st, r) = s.post("/match/default", &request).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_conforms(&r, &recorded, "match");
    // Every query is answered in the recorded shape, not only the recorded one.
    let sample = &recorded["responses"]["person"];
    for key in ["person", "company", "vessel", "nobody"] {
        assert_conforms(&r["responses"][key], sample, &format!("responses.{key}"));
    }

    // The UN designee KPi.001 (YUN HO JIN, born 1944-10-13), written as yente's docs
    // write a person: the top result, a match, its date of birth counted.
    let person = &r["responses"]["person"];
    assert_eq!(person["status"], 200);
    let top = &person["results"][0];
    assert!(
        result_ids(&person["results"]).contains(&"un-KPi.001"),
        "{person}"
    );
    assert_eq!(top["match"], true, "{top}");
    assert_eq!(top["schema"], "Person");
    assert!(
        top["caption"].as_str().is_some_and(|c| c.contains("YUN")),
        "{top}"
    );
    let un = person["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "un-KPi.001")
        .unwrap();
    assert_eq!(un["datasets"], json!(["un_sc_sanctions"]));
    assert_eq!(un["properties"]["birthDate"], json!(["1944-10-13"]));
    assert!(un["score"].as_f64().unwrap() >= 0.8, "{un}");
    assert!(un["features"]["name"].as_f64().unwrap() > 0.9, "{un}");
    assert!(
        (un["features"]["birth_date"].as_f64().unwrap() - 0.08).abs() < 1e-9,
        "the day equals the listed one: {un}"
    );
    assert_eq!(person["total"]["relation"], "eq");
    assert!(person["total"]["value"].as_u64().unwrap() >= 1);
    assert_eq!(person["query"]["properties"]["name"], json!(["Yun Ho-jin"]));
    // Every feature in a result is documented in `matcher`.
    for f in un["features"].as_object().unwrap().keys() {
        assert!(
            r["matcher"][f]["description"].is_string(),
            "{f}: {}",
            r["matcher"]
        );
    }

    // A company of the 1718 list, and a registration number the matcher does not read.
    let company = &r["responses"]["company"];
    assert_eq!(company["results"][0]["match"], true, "{company}");
    assert!(
        result_ids(&company["results"]).contains(&"un-KPe.001"),
        "{company}"
    );
    assert_eq!(company["ignored_properties"], json!(["registrationNumber"]));

    // A ship by its IMO number: OFAC 23729 CHON MA SAN.
    let vessel = &r["responses"]["vessel"];
    assert_eq!(vessel["results"][0]["id"], "ofac-23729", "{vessel}");
    assert_eq!(vessel["results"][0]["match"], true);
    assert_eq!(vessel["results"][0]["datasets"], json!(["us_ofac_sdn"]));
    assert!(
        vessel["results"][0]["features"]["imo"].is_number(),
        "{vessel}"
    );

    // Someone on no list: no result is a match.
    let nobody = &r["responses"]["nobody"];
    assert!(
        nobody["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|x| x["match"] == false),
        "{nobody}"
    );
    assert_eq!(nobody["decision"], "no_match");

    // Each query is audited: four records with their own sequence numbers.
    let mut seqs: Vec<u64> = ["person", "company", "vessel", "nobody"]
        .iter()
        .map(|k| r["responses"][*k]["audit_seq"].as_u64().expect("audit_seq"))
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 4);
    assert_eq!(r["limit"], 5);
}

#[tokio::test]
async fn yente_match_scores_equal_the_screening_api() {
    let Some(s) = server_with_lists().await else {
        return;
    };
    let (_, screened) = s
        .post(
            "/api/v1/screen",
            &json!({"name": "Yun Ho-jin", "schema": "person", "dob": "1944-10-13", "country": "kp"}),
        )
        .await;
    let (_, matched) = s
        .post(
            "/match/sanctions",
            &json!({"queries": {"q": {"schema": "Person", "properties": {
                "name": "Yun Ho-jin", "birthDate": "1944-10-13", "nationality": "kp"}}}}),
        )
        .await;
    let results = matched["responses"]["q"]["results"].as_array().unwrap();
    for hit in screened["matches"].as_array().unwrap().iter().take(5) {
        let id = format!(
            "{}-{}",
            hit["source"].as_str().unwrap(),
            hit["id"].as_str().unwrap()
        );
        let ours = results
            .iter()
            .find(|r| r["id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} missing from {matched}"));
        assert_eq!(ours["score"], hit["score"], "{id}");
        assert_eq!(ours["decision"], hit["decision"], "{id}");
    }
    assert_eq!(matched["responses"]["q"]["decision"], screened["decision"]);
}

#[tokio::test]
async fn yente_datasets_filters_and_errors() {
    let Some(s) = server_with_lists().await else {
        return;
    };
    let request = contract("yente_match_request.json");
    // One list only.
    let (st, r) = s.post("/match/un_sc_sanctions", &request).await;
    assert_eq!(st, StatusCode::OK, "{r}");
    for (_, resp) in r["responses"].as_object().unwrap() {
        for x in resp["results"].as_array().unwrap() {
            assert_eq!(x["datasets"], json!(["un_sc_sanctions"]), "{x}");
        }
    }
    // yente's query parameters: a higher threshold and an excluded id.
    let (st, r) = s
        .post(
            "/match/default?threshold=0.999&limit=1&exclude_entity_ids=ofac-23729&algorithm=logic-v1",
            &request,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    for (_, resp) in r["responses"].as_object().unwrap() {
        assert!(
            resp["results"].as_array().unwrap().len() <= 1,
            "limit 1: {resp}"
        );
    }
    assert!(!result_ids(&r["responses"]["vessel"]["results"]).contains(&"ofac-23729"));
    assert_eq!(r["limit"], 1);
    // `match` follows the request's threshold, not the server's: a partial name, once at
    // its own score and once just above it.
    let partial = json!({"queries": {"q": {"schema": "Person", "properties": {"name": "Yun Ho"}}}});
    let (_, r) = s.post("/match/default", &partial).await;
    let score = r["responses"]["q"]["results"][0]["score"]
        .as_f64()
        .expect("a result");
    assert!(score < 1.0, "{r}");
    for (threshold, expected) in [(score, true), ((score + 1.0) / 2.0, false)] {
        let (st, r) = s
            .post(&format!("/match/default?threshold={threshold}"), &partial)
            .await;
        assert_eq!(st, StatusCode::OK, "{r}");
        assert_eq!(
            r["responses"]["q"]["results"][0]["match"], expected,
            "{threshold}: {r}"
        );
        assert!(
            (r["threshold"].as_f64().unwrap() - threshold).abs() < 1e-12,
            "{r}"
        );
    }

    // Errors: always the one JSON error shape.
    let (st, e) = s.post("/match/eu_fsf", &request).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert_eq!(error_code(st, &e), "unknown_dataset");
    assert!(e["error"]["message"]
        .as_str()
        .unwrap()
        .contains("un_sc_sanctions"));
    // The dataset is read before the body: an unknown one is 404 whatever the body.
    let (st, e) = s
        .post_raw(
            "/match/eu_fsf",
            "application/json",
            b"{\"queries\": ".to_vec(),
            None,
        )
        .await;
    assert_eq!(error_code(st, &e), "unknown_dataset");
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, e) = s
        .post_raw(
            "/match/default",
            "application/json",
            b"{\"queries\": ".to_vec(),
            None,
        )
        .await;
    assert_eq!(error_code(st, &e), "malformed_json");
    let (st, e) = s.post("/match/default", &json!({"queries": {}})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(e["error"]["field"], "queries");
    let (st, e) = s
        .post(
            "/match/default",
            &json!({"queries": {"q": {"schema": "Person", "properties": {"name": [" "]}}}}),
        )
        .await;
    assert_eq!(error_code(st, &e), "invalid_field", "{e}");
    assert_eq!(e["error"]["field"], "queries.q.properties");
    let (st, e) = s
        .post(
            "/match/default",
            &json!({"queries": {"q": {"schema": "Person", "properties": {"name": "Kim", "birthDate": "13.10.1944"}}}}),
        )
        .await;
    assert_eq!(error_code(st, &e), "invalid_field", "{e}");
    assert_eq!(e["error"]["field"], "queries.q.properties.birthDate");
    let (st, e) = s
        .post(
            "/match/default",
            &json!({"queries": {"q": {"schema": "Vessel", "properties": {"imoNumber": "8660314"}}}}),
        )
        .await;
    assert_eq!(
        e["error"]["field"], "queries.q.properties.imoNumber",
        "{st} {e}"
    );
    let (st, e) = s
        .post(
            "/match/default",
            &json!({"queries": {"q": {"schema": "Address", "properties": {"full": "Pyongyang"}}}}),
        )
        .await;
    assert_eq!(e["error"]["field"], "queries.q.schema", "{st} {e}");
    let (st, e) = s.post("/match/default?limit=0", &request).await;
    assert_eq!(error_code(st, &e), "invalid_query");
    let (st, e) = s.post("/match/default?fuzzy=true", &request).await;
    assert_eq!(error_code(st, &e), "invalid_query");
    let (st, e) = s
        .post(
            "/match/default",
            &json!({"queries": {"q": {"schema": "Person", "properties": {"name": "Kim"}}}, "weights": {"name_literal_match": 0.5}}),
        )
        .await;
    assert_eq!(e["error"]["field"], "weights", "{st} {e}");

    // The entity a result's id names.
    let (st, e) = s.get("/entities/un-KPi.001").await;
    assert_eq!(st, StatusCode::OK, "{e}");
    assert_eq!(e["id"], "un-KPi.001");
    assert_eq!(e["schema"], "Person");
    let (st, e) = s.get("/entities/un-KPi.999").await;
    assert_eq!(error_code(st, &e), "unknown_entity");
}

#[tokio::test]
async fn without_lists_the_interfaces_say_so() {
    let s = TestServer::new();
    let request = contract("yente_match_request.json");
    let (st, e) = s.post("/match/default", &request).await;
    assert_eq!(error_code(st, &e), "no_lists");
    let queries = contract("openrefine_reconcile_request.json");
    let (st, e) = s
        .get(&format!(
            "/reconcile?queries={}",
            form_encode(&queries.to_string())
        ))
        .await;
    assert_eq!(error_code(st, &e), "no_lists");
    // The manifest needs no list.
    let (st, m) = s.get("/reconcile").await;
    assert_eq!(st, StatusCode::OK, "{m}");
}

#[tokio::test]
async fn openrefine_manifest_and_candidates() {
    let Some(s) = server_with_lists().await else {
        return;
    };
    let (st, m) = s.get("/reconcile").await;
    assert_eq!(st, StatusCode::OK, "{m}");
    assert_conforms(&m, &contract("openrefine_manifest.json"), "manifest");
    let types: Vec<&str> = m["defaultTypes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["id"].as_str())
        .collect();
    for t in ["Person", "Organization", "Company", "LegalEntity", "Vessel"] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    assert!(m["view"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/entities/{{id}}"));
    assert!(m["versions"].as_array().unwrap().contains(&json!("0.2")));
    let (st, m) = s.get("/reconcile/us_ofac_sdn").await;
    assert_eq!(st, StatusCode::OK);
    assert!(m["name"].as_str().unwrap().contains("OFAC"), "{m}");

    // Queries as OpenRefine posts them: a form field holding JSON.
    let queries = contract("openrefine_reconcile_request.json");
    let recorded = contract("openrefine_reconcile_response.json");
    let body = format!("queries={}", form_encode(&queries.to_string()));
    let (st, r) = s
        .post_raw(
            "/reconcile",
            "application/x-www-form-urlencoded",
            body.into_bytes(),
            None,
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_conforms(&r, &recorded, "reconcile");
    assert_conforms(&r["q1"], &recorded["q0"], "reconcile.q1");
    let q0 = &r["q0"]["result"];
    assert!(result_ids(q0).contains(&"un-KPi.001"), "{q0}");
    assert_eq!(q0[0]["match"], true, "{q0}");
    assert!(q0.as_array().unwrap().len() <= 3, "limit 3");
    assert_eq!(q0[0]["type"][0]["id"], "Person");
    let q1 = &r["q1"]["result"];
    assert_eq!(q1[0]["match"], true, "{q1}");
    assert!(q1[0]["name"].as_str().unwrap().contains("KWANGSON"), "{q1}");
    // An empty cell: no candidates, and the rest of the batch answered.
    assert_eq!(r["q2"]["result"], json!([]));

    // The same as a GET with the queries in the URL, and as JSONP.
    let encoded = form_encode(&queries.to_string());
    let (st, g) = s.get(&format!("/reconcile?queries={encoded}")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(result_ids(&g["q0"]["result"]), result_ids(q0));
    let req = axum::http::Request::get(format!(
        "/reconcile?queries={encoded}&callback=jQuery123_45&_=1"
    ))
    .body(axum::body::Body::empty())
    .unwrap();
    let (st, headers, body) = s.send(req).await;
    assert_eq!(st, StatusCode::OK);
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    let text = String::from_utf8(body).unwrap();
    let inner = text
        .strip_prefix("jQuery123_45(")
        .and_then(|t| t.strip_suffix(");"))
        .unwrap_or_else(|| panic!("JSONP: {text}"));
    let inner: Value = serde_json::from_str(inner).unwrap();
    assert_eq!(result_ids(&inner["q0"]["result"]), result_ids(q0));

    // Errors.
    let (st, e) = s.get("/reconcile?queries=%7Bnot%20json").await;
    assert_eq!(error_code(st, &e), "malformed_json");
    let (st, e) = s.get("/reconcile?callback=alert(1)").await;
    assert_eq!(error_code(st, &e), "invalid_query");
    let (st, e) = s.get("/reconcile/eu_fsf").await;
    assert_eq!(error_code(st, &e), "unknown_dataset");
    let bad_type = json!({"q0": {"query": "X", "type": "Painting"}});
    let (st, e) = s
        .get(&format!(
            "/reconcile?queries={}",
            form_encode(&bad_type.to_string())
        ))
        .await;
    assert_eq!(e["error"]["field"], "queries.q0.type", "{st} {e}");
    let (st, e) = s
        .post_raw("/reconcile", "application/json", b"{}".to_vec(), None)
        .await;
    assert_eq!(error_code(st, &e), "unsupported_media_type");
}
