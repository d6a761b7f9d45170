//! The book's alerts and their decisions, through `embargo-book`'s store at
//! `DATA/book.sqlite` (the same file `embargo book` and `embargo alerts` use). A read
//! first follows any list change (an import through this server, the CLI or another
//! process), so the alerts answer for the active lists.

use crate::app::{Caller, RequestId};
use crate::audit::{AuditHit, AuditRecord};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::handlers::blocking;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use embargo_book::{Book, BookError, Verdict};
use embargo_screen::ListStore;
use serde::Deserialize;
use serde_json::{json, Value};

fn book_error(context: &str, e: BookError) -> ApiError {
    match e {
        BookError::NoAlert(_) | BookError::NoRecord(_) => {
            ApiError::not_found("unknown_alert", e.to_string())
        }
        BookError::AlertClosed { .. } => {
            ApiError::new(StatusCode::CONFLICT, "alert_closed", e.to_string())
        }
        BookError::NoReason => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "field reason: a decision needs a reason",
        ),
        other => ApiError::internal(context, other),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertsQuery {
    /// `true`: only alerts waiting for review (open or escalated).
    open: Option<bool>,
    /// Only this book record's alerts.
    record: Option<String>,
}

/// `GET /api/v1/alerts`.
pub async fn alerts(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AlertsQuery>,
) -> Result<Json<Value>, ApiError> {
    let data = state.config.data_dir.clone();
    blocking("reading the alerts", move || {
        let mut book = Book::open(&data).map_err(|e| book_error("opening the book", e))?;
        book.follow_lists(&ListStore::open(&data))
            .map_err(|e| book_error("following the lists", e))?;
        let alerts = book
            .alerts(q.open.unwrap_or(false), q.record.as_deref())
            .map_err(|e| book_error("reading the alerts", e))?;
        Ok(Json(json!({ "alerts": alerts })))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `true-match`, `false-positive` or `escalate`.
    #[serde(rename = "as")]
    verdict: String,
    reason: String,
    /// Who decided (default: the API key's id).
    reviewer: Option<String>,
}

/// `POST /api/v1/alerts/{id}/decision` (behind a key): appended to the audit log before
/// the book records it.
pub async fn decide(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionBody>,
) -> Result<Json<Value>, ApiError> {
    let verdict = Verdict::parse(&body.verdict).ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            format!(
                "field as: {:?}: use true-match, false-positive or escalate",
                body.verdict
            ),
        )
    })?;
    if body.reason.trim().is_empty() {
        return Err(book_error("deciding", BookError::NoReason));
    }
    let key_id = caller.key_id.clone().unwrap_or_default();
    let reviewer = body.reviewer.clone().unwrap_or_else(|| key_id.clone());
    let data = state.config.data_dir.clone();
    let alert = blocking("reading the alert", move || {
        let book = Book::open(&data).map_err(|e| book_error("opening the book", e))?;
        let alert = book
            .alert(id)
            .map_err(|e| book_error("reading the alert", e))?;
        if !alert.status.is_open() {
            return Err(book_error(
                "deciding",
                BookError::AlertClosed {
                    id,
                    status: alert.status.as_str().to_string(),
                },
            ));
        }
        Ok(alert)
    })
    .await?;
    let record = AuditRecord {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        key_id: caller.key_id.clone(),
        request_id,
        kind: "alert_decision".into(),
        query: json!({
            "alert": alert.id, "record_id": alert.record_id, "record_hash": alert.record_hash,
            "entity_hash": alert.entity_hash, "reason": body.reason.trim(), "reviewer": reviewer,
        }),
        list_versions: json!({ alert.source.clone(): alert.list_version }),
        hits: vec![AuditHit {
            id: alert.entity_id.clone(),
            source: alert.source.clone(),
            name: alert.entity_name.clone(),
            score: alert.score,
        }],
        decision: verdict.as_str().into(),
    };
    let seq = state.audit.append(&record).await.map_err(|e| {
        state.metrics.observe_audit(1, false);
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "audit_unavailable",
            format!("the decision was not recorded: the audit log refused it ({e})"),
        )
    })?;
    state.metrics.observe_audit(1, true);
    let data = state.config.data_dir.clone();
    let reason = body.reason;
    let decision = blocking("recording the decision", move || {
        let mut book = Book::open(&data).map_err(|e| book_error("opening the book", e))?;
        book.decide(id, verdict, &reason, &reviewer)
            .map_err(|e| book_error("recording the decision", e))
    })
    .await?;
    Ok(Json(json!({ "decision": decision, "audit_seq": seq })))
}
