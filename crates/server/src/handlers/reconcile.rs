//! The Reconciliation Service API (v0.2, as OpenRefine speaks it) at `/reconcile` and
//! `/reconcile/{dataset}`: without `queries` the service manifest, with `queries` (query
//! string or form body) candidates for each query, scored by embargo's matcher (the call
//! `POST /api/v1/screen` makes) and audited. `callback` wraps the answer as JSONP.

use crate::app::{Caller, RequestId};
use crate::error::ApiError;
use crate::extract::ApiPath;
use crate::handlers::compat::{self, Dataset, Example, Prepared, ReadExample, SCHEMAS};
use crate::state::AppState;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use embargo_screen::{Entity, Hit};
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// Candidates per query when the query gives no `limit`.
const DEFAULT_LIMIT: usize = 5;
/// The longest JSONP callback name accepted.
const MAX_CALLBACK: usize = 64;

/// The parameters of a reconciliation request, from the query string and (POST) the form.
#[derive(Debug, Default)]
struct ReconParams {
    queries: Option<String>,
    callback: Option<String>,
}

impl ReconParams {
    fn add(&mut self, pairs: Vec<(String, String)>) -> Result<(), ApiError> {
        for (k, v) in pairs {
            match k.as_str() {
                "queries" => self.queries = Some(v),
                "callback" => {
                    let ok = !v.is_empty()
                        && v.len() <= MAX_CALLBACK
                        && v.bytes().enumerate().all(|(i, b)| {
                            b.is_ascii_alphabetic()
                                || b == b'_'
                                || b == b'$'
                                || (i > 0 && (b.is_ascii_digit() || b == b'.'))
                        });
                    if !ok {
                        return Err(ApiError::bad_request(
                            "invalid_query",
                            format!("callback: {v:?} is not a JavaScript function name"),
                        ));
                    }
                    self.callback = Some(v);
                }
                "extend" => {
                    return Err(ApiError::bad_request(
                        "invalid_query",
                        "extend: data extension is not supported by this service; fetch an entity at /entities/{id}",
                    ))
                }
                // jQuery's cache breaker on JSONP requests.
                "_" => {}
                other => {
                    return Err(ApiError::bad_request(
                        "invalid_query",
                        format!("unknown parameter {other:?}: /reconcile takes queries and callback"),
                    ))
                }
            }
        }
        Ok(())
    }
}

/// One reconciliation query: `{"query": "...", "type": "Person", "limit": 3,
/// "properties": [{"pid": "birthDate", "v": "1944"}]}`.
#[derive(Debug, Deserialize)]
struct ReconQuery {
    #[serde(default)]
    query: Option<String>,
    /// A type id, or a list of them (the first is used).
    #[serde(default, rename = "type")]
    kind: Option<Value>,
    #[serde(default)]
    limit: Option<usize>,
    #[serde(default)]
    properties: Vec<ReconProperty>,
    /// `should`, `all` or `any`: the matcher compares a person only with persons and a
    /// ship only with ships whatever it says.
    #[serde(default)]
    #[allow(dead_code)]
    type_strict: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ReconProperty {
    /// An FtM property name (`birthDate`), optionally qualified (`Person:birthDate`).
    pid: String,
    v: Value,
}

fn manifest(base: &str, ds: &Dataset, path: &str) -> Value {
    let types: Vec<Value> = SCHEMAS
        .iter()
        .map(|s| json!({"id": s, "name": type_name(s)}))
        .collect();
    json!({
        "versions": ["0.1", "0.2"],
        "name": format!("embargo: {}", ds.title),
        "identifierSpace": "urn:embargo:entity",
        "schemaSpace": "https://followthemoney.tech/explorer/schemata/",
        "defaultTypes": types,
        "view": {"url": format!("{base}/entities/{{{{id}}}}")},
        "batchSize": 10,
        "documentation": format!("{base}/openapi.json"),
        "service_url": format!("{base}{path}"),
    })
}

fn type_name(schema: &str) -> &'static str {
    match schema {
        "Person" => "Person",
        "Organization" => "Organization",
        "Company" => "Company",
        "LegalEntity" => "Legal entity",
        "Vessel" => "Vessel",
        "Airplane" => "Airplane",
        _ => "Thing",
    }
}

/// The answer, as JSON or, with a callback, JSONP.
fn respond(body: Value, callback: Option<&str>) -> Response {
    match callback {
        None => axum::Json(body).into_response(),
        Some(cb) => {
            let mut resp = format!("{cb}({body});").into_response();
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/javascript; charset=utf-8"),
            );
            resp
        }
    }
}

/// The form body of a POST, its rejections in the one error shape.
async fn form_pairs(req: Request, state: &AppState) -> Result<Vec<(String, String)>, ApiError> {
    match axum::extract::Form::<Vec<(String, String)>>::from_request(req, state).await {
        Ok(axum::extract::Form(pairs)) => Ok(pairs),
        Err(rej) => {
            let status = rej.status();
            let text = rej.body_text();
            Err(match rej {
                FormRejection::InvalidFormContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "expected content-type: application/x-www-form-urlencoded (queries=...)",
                ),
                _ if status == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::payload_too_large(format!("request body over the limit: {text}"))
                }
                _ => ApiError::bad_request("malformed_form", text),
            })
        }
    }
}

/// `/reconcile`: the default dataset (every active list).
pub async fn reconcile_default(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    req: Request,
) -> Result<Response, ApiError> {
    reconcile(state, caller, request_id, "default", req).await
}

/// `/reconcile/{dataset}`.
pub async fn reconcile_dataset(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(request_id): Extension<RequestId>,
    ApiPath(dataset): ApiPath<String>,
    req: Request,
) -> Result<Response, ApiError> {
    reconcile(state, caller, request_id, &dataset, req).await
}

async fn reconcile(
    state: AppState,
    caller: Caller,
    RequestId(request_id): RequestId,
    dataset: &str,
    req: Request,
) -> Result<Response, ApiError> {
    let ds = compat::dataset(dataset)?;
    let headers: HeaderMap = req.headers().clone();
    let path = req.uri().path().to_string();
    let mut params = ReconParams::default();
    let query_pairs: Vec<(String, String)> =
        axum::extract::Query::<Vec<(String, String)>>::try_from_uri(req.uri())
            .map(|q| q.0)
            .map_err(|e| ApiError::bad_request("invalid_query", e.body_text()))?;
    params.add(query_pairs)?;
    if req.method() == Method::POST {
        let pairs = form_pairs(req, &state).await?;
        params.add(pairs)?;
    }
    let Some(queries) = params.queries.as_deref() else {
        let base = compat::base_url(&headers);
        return Ok(respond(
            manifest(&base, ds, &path),
            params.callback.as_deref(),
        ));
    };
    let answer = candidates(&state, &caller, &request_id, ds, queries).await?;
    Ok(respond(answer, params.callback.as_deref()))
}

async fn candidates(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    ds: &'static Dataset,
    queries: &str,
) -> Result<Value, ApiError> {
    let parsed = parse_queries(queries)?;
    compat::check_count("queries", parsed.len(), state.config.limits.max_batch)?;
    let mut out = Map::new();
    let mut prepared = Vec::new();
    let mut limits = Map::new();
    for (key, raw) in parsed {
        let (limit, example) = prepare_query(&key, raw, ds)?;
        limits.insert(key.clone(), json!(limit));
        match example {
            Some(p) => prepared.push(p),
            None => {
                out.insert(key, json!({"result": []}));
            }
        }
    }
    if prepared.is_empty() {
        return Ok(Value::Object(out));
    }
    let (lists, answered) = compat::screen_examples(
        state,
        caller,
        request_id,
        "reconcile",
        ds,
        prepared,
        |_, _| true,
    )
    .await?;
    let match_at = state.config.thresholds.match_at;
    for a in answered {
        let limit = limits
            .get(&a.key)
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_LIMIT as u64) as usize;
        let result: Vec<Value> = a
            .hits
            .iter()
            .take(limit)
            .filter_map(|hit| {
                let e = compat::entity(&lists, hit)?;
                Some(candidate(e, hit, match_at))
            })
            .collect();
        out.insert(
            a.key,
            json!({"result": result, "decision": a.decision, "audit_seq": a.audit_seq}),
        );
    }
    Ok(Value::Object(out))
}

/// The `queries` parameter: a JSON object of queries by key. Not JSON is a bad request;
/// JSON of another shape is unprocessable.
fn parse_queries(queries: &str) -> Result<Map<String, Value>, ApiError> {
    serde_json::from_str(queries).map_err(|e| {
        let code = if e.is_data() {
            "invalid_body"
        } else {
            "malformed_json"
        };
        let status = if e.is_data() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(
            status,
            code,
            format!("queries: not a JSON object of queries ({e})"),
        )
        .with_field("queries")
    })
}

/// One reconciliation query, read as a screening example: its candidate limit, and the
/// example to screen, or `None` for an empty cell, which has nothing to reconcile.
fn prepare_query(
    key: &str,
    raw: Value,
    ds: &'static Dataset,
) -> Result<(usize, Option<Prepared>), ApiError> {
    let at = format!("queries.{key}");
    let q: ReconQuery = serde_json::from_value(raw).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            format!("{at}: {e}"),
        )
        .with_field(at.clone())
    })?;
    let schema = query_schema(&q, &at)?;
    let example = Example {
        id: None,
        schema: schema.clone(),
        properties: query_properties(&q),
    };
    let read = ReadExample::read(&at, &example)?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    // An empty cell has nothing to reconcile: it gets no candidates, not an error
    // that would fail the other rows of OpenRefine's batch.
    if read.names.is_empty() && read.imo.is_none() && read.passport.is_none() {
        return Ok((limit, None));
    }
    let queries = read.queries(&at)?;
    Ok((
        limit,
        Some(Prepared {
            key: key.to_string(),
            queries,
            audit_query: json!({
                "dataset": ds.name,
                "key": key,
                "query": q.query,
                "type": schema,
                "properties": q.properties.iter().map(|p| json!({"pid": p.pid, "v": p.v})).collect::<Vec<_>>(),
            }),
        }),
    ))
}

/// The schema a query asks for: its type id, or the first of a list of them; "Thing"
/// (any) when it names none. A schema the service does not reconcile against is refused.
fn query_schema(q: &ReconQuery, at: &str) -> Result<String, ApiError> {
    let schema = match &q.kind {
        None | Some(Value::Null) => "Thing".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .first()
            .and_then(|t| t.as_str().or_else(|| t.get("id").and_then(Value::as_str)))
            .unwrap_or("Thing")
            .to_string(),
        Some(Value::Object(o)) => o
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("Thing")
            .to_string(),
        Some(other) => other.to_string(),
    };
    if schema != "Thing" && !SCHEMAS.iter().any(|s| s.eq_ignore_ascii_case(&schema)) {
        return Err(ApiError::invalid_field(
            &format!("{at}.type"),
            format!(
                "{at}.type: this service reconciles against {} (or none), not {schema:?}",
                SCHEMAS.join(", ")
            ),
        ));
    }
    Ok(schema)
}

/// The query's text as the `name` property, and its properties by unqualified name
/// (`Person:birthDate` → `birthDate`), the values of repeated ones together.
fn query_properties(q: &ReconQuery) -> Map<String, Value> {
    let mut properties = Map::new();
    if let Some(name) = q.query.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        properties.insert("name".into(), json!([name]));
    }
    for p in &q.properties {
        let pid = p.pid.rsplit(':').next().unwrap_or(&p.pid).to_string();
        let entry = properties.entry(pid).or_insert_with(|| json!([]));
        if let Value::Array(list) = entry {
            match &p.v {
                Value::Array(items) => list.extend(items.iter().cloned()),
                other => list.push(other.clone()),
            }
        }
    }
    properties
}

/// One candidate of the answer: the listed entry's FtM id, name and type, the hit's score
/// with the features behind it, and whether it reaches the server's match threshold.
fn candidate(e: &Entity, hit: &Hit, match_at: f64) -> Value {
    let schema = e.schema.as_str();
    let listed = e
        .listed_on
        .map(|d| format!(", listed {d}"))
        .unwrap_or_default();
    let features: Vec<Value> = compat::features(hit)
        .into_iter()
        .map(|(id, value)| json!({"id": id, "value": value}))
        .collect();
    json!({
        "id": e.ftm_id(),
        "name": e.caption(),
        "type": [{"id": schema, "name": type_name(schema)}],
        "score": hit.score,
        "match": hit.score >= match_at,
        "description": format!("{} {}{listed}; {}", e.source.as_str().to_uppercase(), e.id, e.programs.join(", ")),
        "features": features,
    })
}
