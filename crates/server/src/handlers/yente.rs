//! yente's matching API: `POST /match/{dataset}` takes FollowTheMoney example entities
//! and answers each with scored entities in yente's response shape, so a client written
//! for yente (OpenSanctions' on-premises API) can screen against embargo; and
//! `GET /entities/{id}`, the entity a result's `id` names.
//!
//! The scores are embargo's matcher's (the same call as `POST /api/v1/screen`); `features`
//! carries its explanation as feature name → contribution. Every query is audited.

use crate::app::{Caller, RequestId};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::handlers::compat::{self, Answered, Example, Prepared, ReadExample};
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use embargo_screen::{scoring, Entity, Hit};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Results per query when the request gives no `limit` (yente's default).
pub const DEFAULT_LIMIT: usize = 5;
/// The largest `limit` accepted (yente's bound); the matcher returns at most
/// `scoring::MAX_HITS` entries per name.
pub const MAX_LIMIT: usize = 500;

/// The body of `POST /match/{dataset}`.
#[derive(Debug, Deserialize)]
pub struct MatchBody {
    /// Query key (chosen by the client) → example entity; a `null` example is skipped.
    queries: Map<String, Value>,
    /// yente's per-feature weight overrides: embargo's weights are fixed, so only an empty
    /// object is accepted.
    #[serde(default)]
    weights: Map<String, Value>,
    /// yente's algorithm configuration: likewise only empty.
    #[serde(default)]
    config: Map<String, Value>,
}

/// The query-string parameters yente's `/match` takes, read from repeated `key=value`
/// pairs (yente's list parameters repeat the key).
#[derive(Debug, Default)]
struct MatchParams {
    limit: Option<usize>,
    threshold: Option<f64>,
    cutoff: Option<f64>,
    algorithm: Option<String>,
    include_dataset: Vec<String>,
    exclude_dataset: Vec<String>,
    exclude_schema: Vec<String>,
    exclude_entity_ids: Vec<String>,
    topics: Vec<String>,
}

fn invalid_query(message: String) -> ApiError {
    ApiError::bad_request("invalid_query", message)
}

fn score_param(name: &str, v: &str) -> Result<f64, ApiError> {
    match v.trim().parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(x),
        _ => Err(invalid_query(format!(
            "{name}: {v:?} is not a score between 0 and 1"
        ))),
    }
}

impl MatchParams {
    fn read(pairs: Vec<(String, String)>) -> Result<MatchParams, ApiError> {
        let mut p = MatchParams::default();
        for (k, v) in pairs {
            match k.as_str() {
                "limit" => {
                    p.limit = Some(match v.trim().parse::<usize>() {
                        Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                        _ => {
                            return Err(invalid_query(format!(
                                "limit: {v:?} is not a whole number from 1 to {MAX_LIMIT}"
                            )))
                        }
                    })
                }
                "threshold" => p.threshold = Some(score_param("threshold", &v)?),
                "cutoff" => p.cutoff = Some(score_param("cutoff", &v)?),
                "algorithm" => {
                    // yente's algorithm names change between releases; every name is
                    // answered by embargo's one matcher (docs/interfaces.md), but a value
                    // that is no name at all is refused.
                    let ok = !v.is_empty()
                        && v.len() <= 64
                        && v.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                    if !ok {
                        return Err(invalid_query(format!(
                            "algorithm: {v:?} is not an algorithm name"
                        )));
                    }
                    p.algorithm = Some(v);
                }
                "include_dataset" => p.include_dataset.push(v),
                "exclude_dataset" => p.exclude_dataset.push(v),
                "exclude_schema" => p.exclude_schema.push(v),
                "exclude_entity_ids" => p.exclude_entity_ids.push(v),
                "topics" => p.topics.push(v),
                other => {
                    return Err(invalid_query(format!(
                        "unknown parameter {other:?}: /match takes limit, threshold, cutoff, algorithm, include_dataset, exclude_dataset, exclude_schema, exclude_entity_ids, topics"
                    )))
                }
            }
        }
        Ok(p)
    }

    /// Whether a hit passes the caller's filters (datasets, schemas, excluded ids, topics
    /// and the cutoff score).
    fn keeps(&self, entity: &Entity, hit: &Hit) -> bool {
        let dataset = compat::source_dataset(entity.source);
        let id = entity.ftm_id();
        (self.include_dataset.is_empty() || self.include_dataset.iter().any(|d| d == dataset))
            && !self.exclude_dataset.iter().any(|d| d == dataset)
            && !self
                .exclude_schema
                .iter()
                .any(|s| s == entity.schema.as_str())
            && !self
                .exclude_entity_ids
                .iter()
                .any(|x| *x == id || *x == entity.id)
            // Every listed entry carries the one topic `sanction`.
            && (self.topics.is_empty() || self.topics.iter().any(|t| t == "sanction"))
            && self.cutoff.is_none_or(|c| hit.score >= c)
    }
}

/// The entry as yente writes an entity: FtM id, caption, schema, properties, datasets.
pub fn entity_json(entity: &Entity) -> Map<String, Value> {
    let mut out = match entity.to_ftm() {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    out.insert("referents".into(), json!([]));
    out.insert("target".into(), json!(true));
    // The lists give dates of listing and amendment (properties createdAt and
    // modifiedAt), not when a crawler first and last saw the entry.
    out.insert("first_seen".into(), Value::Null);
    out.insert("last_seen".into(), Value::Null);
    out.insert("last_change".into(), Value::Null);
    out
}

/// What each feature name in `features` means (yente's `matcher` section): the rows of
/// embargo's scoring table.
fn feature_docs() -> Value {
    let mut docs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    docs.entry("name".into()).or_default().push(
        "the name score of the best-matching listed name or alias (0 to 1) before the features below"
            .into(),
    );
    for [feature, weight, when] in scoring::table() {
        if matches!(feature.as_str(), "hits" | "candidates") {
            continue;
        }
        docs.entry(feature)
            .or_default()
            .push(format!("{weight} when {when}"));
    }
    // `name_country` is charged in the matcher's explanation under its own name.
    let mut out = Map::new();
    for (feature, lines) in docs {
        out.insert(
            feature,
            json!({
                "description": lines.join("; "),
                "coefficient": 1.0,
                "url": "docs/screening.md#matching",
            }),
        );
    }
    Value::Object(out)
}

/// The example as yente echoes it: its id, schema and properties as lists of strings.
fn echo(key: &str, example: &Example) -> Value {
    let mut props = Map::new();
    for (k, v) in &example.properties {
        let vals: Vec<Value> = match v {
            Value::Array(items) => items
                .iter()
                .filter(|i| !i.is_null())
                .map(|i| match i {
                    Value::String(s) => Value::String(s.clone()),
                    other => Value::String(other.to_string()),
                })
                .collect(),
            Value::Null => Vec::new(),
            Value::String(s) => vec![Value::String(s.clone())],
            other => vec![Value::String(other.to_string())],
        };
        props.insert(k.clone(), Value::Array(vals));
    }
    json!({
        "id": example.id.clone().unwrap_or_else(|| key.to_string()),
        "schema": example.schema,
        "properties": props,
    })
}

fn result_json(lists: &crate::screening::ListSet, hit: &Hit, threshold: f64) -> Option<Value> {
    let entity = compat::entity(lists, hit)?;
    let mut out = entity_json(entity);
    out.insert("score".into(), json!(hit.score));
    out.insert("match".into(), json!(hit.score >= threshold));
    out.insert("features".into(), json!(compat::features(hit)));
    out.insert("decision".into(), json!(hit.decision));
    out.insert("explanation".into(), json!(hit.explanation));
    Some(Value::Object(out))
}

/// `POST /match/{dataset}`: screen each example and answer in yente's shape.
pub async fn match_entities(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    compat::KnownDataset(ds): compat::KnownDataset,
    ApiQuery(pairs): ApiQuery<Vec<(String, String)>>,
    ApiJson(body): ApiJson<MatchBody>,
) -> Result<Response, ApiError> {
    let params = MatchParams::read(pairs)?;
    if let Some(k) = body.weights.keys().next() {
        return Err(ApiError::invalid_field(
            "weights",
            format!("weights.{k}: embargo's feature weights are fixed (docs/screening.md); send no weights"),
        ));
    }
    if let Some(k) = body.config.keys().next() {
        return Err(ApiError::invalid_field(
            "config",
            format!("config.{k}: embargo's matcher takes no configuration; send no config"),
        ));
    }
    let given: Vec<(String, Value)> = body
        .queries
        .into_iter()
        .filter(|(_, v)| !v.is_null())
        .collect();
    compat::check_count("queries", given.len(), state.config.limits.max_batch)?;
    let mut prepared = Vec::with_capacity(given.len());
    let mut echoes = Map::new();
    let mut ignored = Map::new();
    for (key, raw) in given {
        let at = format!("queries.{key}");
        let example: Example = serde_json::from_value(raw).map_err(|e| {
            ApiError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                format!("{at}: {e}"),
            )
            .with_field(at.clone())
        })?;
        let read = ReadExample::read(&at, &example)?;
        let queries = read.queries(&at)?;
        let echoed = echo(&key, &example);
        ignored.insert(key.clone(), json!(read.ignored));
        prepared.push(Prepared {
            key: key.clone(),
            queries,
            audit_query: json!({
                "dataset": ds.name,
                "key": key,
                "example": echoed,
                "params": {
                    "threshold": params.threshold,
                    "cutoff": params.cutoff,
                    "algorithm": params.algorithm,
                    "include_dataset": params.include_dataset,
                    "exclude_dataset": params.exclude_dataset,
                    "exclude_schema": params.exclude_schema,
                    "exclude_entity_ids": params.exclude_entity_ids,
                    "topics": params.topics,
                },
            }),
        });
        echoes.insert(key, echoed);
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    let threshold = params.threshold.unwrap_or(state.config.thresholds.match_at);
    let filter = MatchParams {
        limit: None,
        threshold: None,
        algorithm: None,
        ..params
    };
    let (lists, answered) = compat::screen_examples(
        &state,
        &caller,
        &request_id,
        "match",
        ds,
        prepared,
        move |entity, hit| filter.keeps(entity, hit),
    )
    .await?;
    let mut responses = Map::new();
    for Answered {
        key,
        hits,
        decision,
        audit_seq,
    } in answered
    {
        let results: Vec<Value> = hits
            .iter()
            .take(limit)
            .filter_map(|h| result_json(&lists, h, threshold))
            .collect();
        responses.insert(
            key.clone(),
            json!({
                "status": 200,
                "results": results,
                "total": {"value": hits.len(), "relation": "eq"},
                "query": echoes.remove(&key).unwrap_or(Value::Null),
                "decision": decision,
                "audit_seq": audit_seq,
                "ignored_properties": ignored.remove(&key).unwrap_or_else(|| json!([])),
            }),
        );
    }
    let n = responses.len();
    let mut resp = Json(json!({
        "responses": responses,
        "matcher": feature_docs(),
        "limit": limit,
        "threshold": threshold,
        "dataset": ds.name,
        "list_versions": lists.versions(),
    }))
    .into_response();
    resp.headers_mut()
        .insert("x-batch-size", HeaderValue::from(n as u64));
    Ok(resp)
}

/// `GET /entities/{id}`: one listed entry in yente's entity shape, by its FtM id
/// (`un-KPi.001`, as results give it) or its list id (`KPi.001`).
pub async fn entity(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let lists = state.lists.load_full();
    let found = lists.matcher.as_ref().and_then(|m| {
        let by_ftm = m.entities().iter().find(|e| e.ftm_id() == id);
        by_ftm.or_else(|| {
            // A list id alone is ambiguous only if both lists used it; then refuse below.
            let mut same = m.entities().iter().filter(|e| e.id == id);
            match (same.next(), same.next()) {
                (Some(e), None) => Some(e),
                _ => None,
            }
        })
    });
    match found {
        Some(e) => Ok(Json(Value::Object(entity_json(e)))),
        None => Err(ApiError::not_found(
            "unknown_entity",
            format!("no entry {id:?} in the active lists (ids look like un-KPi.001 or ofac-9345)"),
        )),
    }
}
