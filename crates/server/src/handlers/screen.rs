//! Screening (single and batch) against the active lists, every decision appended to
//! the audit log before it is answered; list status, import and refresh.

use crate::app::{Caller, RequestId};
use crate::audit::{AuditHit, AuditRecord};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{read_upload, ApiJson, ApiPath, ApiQuery};
use crate::handlers::params;
use crate::screening::ListSet;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Extension, Json};
use chrono::NaiveDate;
use embargo_screen::{Matcher, Query, QueryDate, Schema, Screening, Source};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

/// One name, entity or vessel to screen. Field names follow `embargo screen --batch`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenInput {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// May be empty (or left out) when an IMO number or a passport is given.
    #[serde(default)]
    pub name: String,
    /// person, organization, company or vessel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// YYYY, YYYY-MM or YYYY-MM-DD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<String>,
    /// The day whose regime applies to the hits (default: today, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

impl ScreenInput {
    fn to_query(&self) -> Result<(Query, NaiveDate), ApiError> {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
        if self.name.trim().is_empty() && !given(&self.imo) && !given(&self.passport) {
            return Err(ApiError::invalid_field(
                "name",
                "name: empty (give a name, an IMO or a passport)",
            ));
        }
        let schema = self
            .schema
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                Schema::parse(s).ok_or_else(|| {
                    ApiError::invalid_field(
                        "schema",
                        format!("schema: {s:?} is not person, organization, company or vessel"),
                    )
                })
            })
            .transpose()?;
        let birth_date = self
            .dob
            .as_deref()
            .map(|d| QueryDate::parse(d).map_err(|e| ApiError::invalid_field("dob", e.to_string())))
            .transpose()?;
        let date = match self.date.as_deref() {
            Some(d) => params::date("date", d)?,
            None => chrono::Utc::now().date_naive(),
        };
        Ok((
            Query {
                name: self.name.clone(),
                schema,
                birth_date,
                country: self.country.clone().filter(|c| !c.trim().is_empty()),
                imo: self.imo.clone().filter(|c| !c.trim().is_empty()),
                passport: self.passport.clone().filter(|c| !c.trim().is_empty()),
            },
            date,
        ))
    }
}

fn matcher(lists: &ListSet) -> Result<&Matcher, ApiError> {
    lists.matcher.as_ref().ok_or_else(|| {
        ApiError::unavailable(
            "no_lists",
            "no screening list is active: import one (PUT /api/v1/lists/{source} or `embargo lists import`)",
        )
    })
}

/// Run one query against one snapshot of the lists.
fn run(state: &AppState, lists: &ListSet, input: &ScreenInput) -> Result<Screening, ApiError> {
    let m = matcher(lists)?;
    let (query, date) = input.to_query()?;
    let mut screening = m.screen(&query, &state.config.thresholds).map_err(|e| {
        let field = match e {
            embargo_screen::QueryError::BadImo(_) => "imo",
            embargo_screen::QueryError::BadDate(_) => "dob",
            embargo_screen::QueryError::BadSchema(_) => "schema",
            _ => "name",
        };
        ApiError::invalid_field(field, e.to_string())
    })?;
    embargo_screen::regime_link::attach(&mut screening, m, &state.regime, date);
    Ok(screening)
}

fn audit_record(
    caller: &Caller,
    request_id: &str,
    kind: &str,
    input: &ScreenInput,
    versions: &Value,
    screening: &Screening,
) -> AuditRecord {
    AuditRecord {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        key_id: caller.key_id.clone(),
        request_id: request_id.to_string(),
        kind: kind.to_string(),
        query: serde_json::to_value(input).unwrap_or(Value::Null),
        list_versions: versions.clone(),
        hits: screening.hits.iter().map(AuditHit::from).collect(),
        decision: decision_word(screening),
    }
}

fn decision_word(s: &Screening) -> String {
    serde_json::to_value(s.decision)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn audit_failed(state: &AppState, n: u64, e: crate::audit::AuditError) -> ApiError {
    state.metrics.observe_audit(n, false);
    tracing::error!(error = %e, "audit append failed; decision withheld");
    ApiError::unavailable(
        "audit_unavailable",
        "the decision could not be recorded in the audit log, so it is not returned; retry",
    )
}

pub async fn screen(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    ApiJson(input): ApiJson<ScreenInput>,
) -> Result<axum::response::Response, ApiError> {
    // One snapshot for the whole request: a refresh meanwhile does not mix lists.
    let lists: Arc<ListSet> = state.lists.load_full();
    let (input, screening) = match lists.matcher {
        // Matching is CPU work (milliseconds against the whole SDN): it runs on the
        // blocking pool, at most one per core at a time, so that the async workers keep
        // answering checks and other requests meanwhile. The slot is released when the
        // match ends, even if the request timed out before.
        Some(_) => {
            let slot = state
                .screen_slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| ApiError::internal("waiting for a screening slot", e))?;
            let (worker_state, worker_lists) = (state.clone(), lists.clone());
            tokio::task::spawn_blocking(move || {
                let _slot = slot;
                let result = run(&worker_state, &worker_lists, &input);
                worker_state.metrics.count_screened(1);
                (input, result)
            })
            .await
            .map_err(|e| ApiError::internal("screening", e))?
        }
        None => {
            let result = run(&state, &lists, &input);
            (input, result)
        }
    };
    let screening = screening?;
    let versions = json!(lists.versions());
    let record = audit_record(
        &caller,
        &request_id,
        "screen",
        &input,
        &versions,
        &screening,
    );
    let seq = state
        .audit
        .append(&record)
        .await
        .map_err(|e| audit_failed(&state, 1, e))?;
    state.metrics.observe_audit(1, true);
    state.metrics.observe_decision(&record.decision);
    // Serialized straight from the typed parts (no intermediate `Value` tree of the
    // explained hits).
    Ok(Json(ScreenAnswer {
        query: &input,
        decision: screening.decision,
        matches: &screening.hits,
        list_versions: &versions,
        thresholds: &state.config.thresholds,
        audit_seq: seq,
    })
    .into_response())
}

/// Sets its flag when dropped: a blocking task polls the flag and stops working for a
/// request whose future is gone.
struct SetOnDrop(Arc<std::sync::atomic::AtomicBool>);

impl Drop for SetOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The answer to `POST /api/v1/screen` (schema `ScreenResult`).
#[derive(Serialize)]
struct ScreenAnswer<'a> {
    query: &'a ScreenInput,
    decision: embargo_screen::Decision,
    matches: &'a [embargo_screen::Hit],
    list_versions: &'a Value,
    thresholds: &'a embargo_screen::Thresholds,
    audit_seq: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenBatch {
    items: Vec<Value>,
}

#[derive(Serialize)]
struct BatchRow {
    row: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    decision: Option<embargo_screen::Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    matches: Option<Vec<embargo_screen::Hit>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    audit_seq: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

/// Screen up to `max_batch` rows against one snapshot of the lists; one audit record
/// per screened row. Rows that cannot be screened get their error (and no record).
pub async fn screen_batch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    ApiJson(batch): ApiJson<ScreenBatch>,
) -> Result<Json<Value>, ApiError> {
    params::batch_len(batch.items.len(), state.config.limits.max_batch)?;
    let lists: Arc<ListSet> = state.lists.load_full();
    matcher(&lists)?;
    let versions = json!(lists.versions());
    let worker_state = state.clone();
    let worker_lists = lists.clone();
    // Matching a thousand rows is CPU work: keep it off the async workers, in a
    // screening slot like a single screening, and stop between rows once the request is
    // gone (deadline passed or client disconnected: the handler's future was dropped).
    let slot = state
        .screen_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal("waiting for a screening slot", e))?;
    let gone = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let _on_drop = SetOnDrop(gone.clone());
    let rows = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let total = batch.items.len();
        let rows = batch
            .items
            .into_iter()
            .enumerate()
            .take_while(|_| !gone.load(std::sync::atomic::Ordering::Relaxed))
            .map(|(row, raw)| {
                let parsed = serde_json::from_value::<ScreenInput>(raw.clone()).map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_body",
                        e.to_string(),
                    )
                });
                let result = parsed.and_then(|input| {
                    run(&worker_state, &worker_lists, &input).map(|s| (input, s))
                });
                worker_state.metrics.count_screened(1);
                (row, raw, result)
            })
            .collect::<Vec<_>>();
        let abandoned = total - rows.len();
        if abandoned > 0 {
            worker_state.metrics.count_abandoned(abandoned as u64);
            tracing::info!(
                abandoned,
                total,
                "screening batch stopped: the request is gone"
            );
        }
        rows
    })
    .await
    .map_err(|e| ApiError::internal("screening a batch", e))?;

    let mut records = Vec::new();
    for (_, _, result) in &rows {
        if let Ok((input, screening)) = result {
            records.push(audit_record(
                &caller,
                &request_id,
                "screen_batch",
                input,
                &versions,
                screening,
            ));
        }
    }
    let seqs = state
        .audit
        .append_all(&records)
        .await
        .map_err(|e| audit_failed(&state, records.len() as u64, e))?;
    state.metrics.observe_audit(records.len() as u64, true);
    let mut seqs = seqs.into_iter();
    let mut counts = std::collections::BTreeMap::<String, usize>::new();
    let mut out = Vec::with_capacity(rows.len());
    for (row, raw, result) in rows {
        let id = params::batch_id(&raw);
        let query = raw
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        match result {
            Ok((_, screening)) => {
                let word = decision_word(&screening);
                state.metrics.observe_decision(&word);
                *counts.entry(word).or_default() += 1;
                out.push(BatchRow {
                    row,
                    id,
                    query,
                    decision: Some(screening.decision),
                    matches: Some(screening.hits),
                    audit_seq: seqs.next(),
                    error: None,
                });
            }
            Err(e) => {
                *counts.entry("error".into()).or_default() += 1;
                out.push(BatchRow {
                    row,
                    id,
                    query,
                    decision: None,
                    matches: None,
                    audit_seq: None,
                    error: Some(e.body),
                });
            }
        }
    }
    Ok(Json(json!({
        "list_versions": versions,
        "thresholds": state.config.thresholds,
        "counts": counts,
        "results": out,
    })))
}

pub async fn lists(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let active = state.lists.load_full();
    let data_dir = state.config.data_dir.clone();
    let stored =
        tokio::task::spawn_blocking(move || embargo_screen::ListStore::open(&data_dir).status())
            .await
            .map_err(|e| ApiError::internal("reading the list store", e))?
            .map_err(|e| ApiError::internal("reading the list store", e))?;
    Ok(Json(json!({
        "lists": active.lists,
        "thresholds": state.config.thresholds,
        "store": stored,
    })))
}

fn source(name: &str) -> Result<Source, ApiError> {
    match name {
        "un" => Ok(Source::Un),
        "ofac" => Ok(Source::Ofac),
        other => Err(ApiError::not_found(
            "unknown_source",
            format!("no list {other:?}: use un (consolidated XML) or ofac (sdn.csv)"),
        )),
    }
}

/// Re-read the store's active versions, index them and swap them in.
async fn reload(state: &AppState) -> Result<Arc<ListSet>, ApiError> {
    let data_dir = state.config.data_dir.clone();
    let fresh = tokio::task::spawn_blocking(move || ListSet::load(&data_dir))
        .await
        .map_err(|e| ApiError::internal("indexing the lists", e))?
        .map_err(|e| ApiError::internal("loading the active lists", e))?;
    let fresh = Arc::new(fresh);
    state.lists.store(fresh.clone());
    for l in &fresh.lists {
        state
            .metrics
            .observe_list_swap(l.source.as_str(), &l.version);
    }
    Ok(fresh)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// Import even when the file lacks more than the allowed share of the active entries.
    #[serde(default)]
    allow_shrink: bool,
}

/// Import a list file (the request body: the UN consolidated XML, or OFAC's sdn.csv)
/// and make it active. The old list answers queries until the new one is indexed. A file
/// that is not whole is refused (422 `invalid_list`), and so is one lacking more than
/// `max_list_shrink` of the active entries (409 `list_shrink`) unless `allow_shrink=true`.
pub async fn import(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiPath(name): ApiPath<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    let source = source(&name)?;
    let options = embargo_screen::ImportOptions {
        max_shrink: state.config.limits.max_list_shrink,
        allow_shrink: q.allow_shrink,
    };
    let bytes = read_upload(body, state.config.limits.max_upload_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_upload",
            "the request body is empty: send the list file",
        ));
    }
    let _guard = state.import_lock.lock().await;
    let previous = state.lists.load().versions();
    let data_dir = state.config.data_dir.clone();
    let (meta, network) = tokio::task::spawn_blocking(move || {
        // Stage the upload under the data directory with the file name the reader
        // expects, import it through the store, and remove the staging copy (the store
        // keeps its own copy of the source file for audit).
        let staging = data_dir.join("uploads");
        std::fs::create_dir_all(&staging)?;
        let dir = tempfile_dir(&staging)?;
        let file = dir.join(match source {
            Source::Un => "consolidated.xml",
            Source::Ofac => "sdn.csv",
        });
        std::fs::write(&file, &bytes)?;
        let store = embargo_screen::ListStore::open(&data_dir);
        // Messages name the file as uploaded (`sdn.csv:125: ...`), not the staging path.
        let staged = format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR);
        let result = store
            .import_with(&file, Some(source), options)
            .map_err(|e| (e.to_string().replace(&staged, ""), e));
        let _ = std::fs::remove_dir_all(&dir);
        // The ownership graph's designees follow the new list.
        let network = match &result {
            Ok(_) => crate::handlers::network::follow_lists(&data_dir),
            Err(_) => Value::Null,
        };
        Ok::<_, std::io::Error>(result.map(|meta| (meta, network)))
    })
    .await
    .map_err(|e| ApiError::internal("importing the list", e))?
    .map_err(|e| ApiError::internal("staging the upload", e))?
    .map_err(|(message, e)| match e {
        embargo_screen::StoreError::List(_) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_list", message)
        }
        embargo_screen::StoreError::Shrink { .. } => {
            ApiError::new(StatusCode::CONFLICT, "list_shrink", message)
        }
        other => ApiError::internal("importing the list", other),
    })?;
    let fresh = reload(&state).await?;
    tracing::info!(source = %source, version = %meta.version, key_id = ?caller.key_id, "list imported and active");
    Ok(Json(json!({
        "imported": meta,
        "network": network,
        "previous": previous,
        "active": fresh.lists,
    })))
}

/// Load whatever the store marks active (after `embargo lists import` on the same data
/// directory) and swap it in.
pub async fn refresh(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Value>, ApiError> {
    let _guard = state.import_lock.lock().await;
    let previous = state.lists.load().versions();
    let fresh = reload(&state).await?;
    tracing::info!(key_id = ?caller.key_id, "lists refreshed");
    Ok(Json(json!({ "previous": previous, "active": fresh.lists })))
}

/// A fresh, uniquely named directory under `parent`.
fn tempfile_dir(parent: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    for attempt in 0..100u32 {
        let mut salt = [0u8; 6];
        getrandom::fill(&mut salt).map_err(|e| std::io::Error::other(e.to_string()))?;
        let dir = parent.join(format!(".upload-{}-{attempt}", hex::encode(salt)));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other(
        "could not create a staging directory",
    ))
}
