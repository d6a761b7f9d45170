//! The regime as of a date, diffs between dates, and the shipment check.

use crate::config::Limits;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::handlers::params::{self, ShipmentInput};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use chrono::NaiveDate;
use embargo_regime::{Assessment, Confidence, Measure, Regime};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The bundled HS chapter and heading descriptions (data/hs/headings.csv).
pub async fn hs_names() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "names": embargo_regime::hs_names() }))
}

pub async fn resolutions(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "resolutions": state.regime.resolutions() }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuresQuery {
    /// Only measures in force on this date.
    as_of: Option<String>,
    /// Only measures of this resolution (e.g. "2371").
    resolution: Option<String>,
    /// Only measures of this kind (`goods_ban`, `cap`, ...).
    kind: Option<String>,
}

#[derive(Serialize)]
pub struct MeasuresResponse<'a> {
    as_of: Option<NaiveDate>,
    count: usize,
    measures: Vec<&'a Measure>,
}

pub async fn measures(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<MeasuresQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let as_of = params::optional_date("as_of", q.as_of.as_deref())?;
    let regime = &state.regime;
    if let Some(r) = &q.resolution {
        if regime.resolution(r).is_none() {
            return Err(ApiError::not_found(
                "unknown_resolution",
                format!("resolution {r:?} is not in the regime"),
            )
            .with_field("resolution"));
        }
    }
    let base: Vec<&Measure> = match as_of {
        Some(d) => regime.in_force(d),
        None => regime.measures().iter().collect(),
    };
    let measures: Vec<&Measure> = base
        .into_iter()
        .filter(|m| q.resolution.as_deref().is_none_or(|r| m.resolution == r))
        .filter(|m| q.kind.as_deref().is_none_or(|k| m.kind.name() == k))
        .collect();
    let body = MeasuresResponse {
        as_of,
        count: measures.len(),
        measures,
    };
    serde_json::to_value(&body)
        .map(Json)
        .map_err(|e| ApiError::internal("encoding measures", e))
}

pub async fn measure(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let m = state.regime.measure(&id).ok_or_else(|| {
        ApiError::not_found("unknown_measure", format!("no measure with id {id:?}"))
    })?;
    // What relaxes it (exceptions, caps, wind-downs), as the regime links them.
    let relaxed_by: Vec<_> = state.regime.relaxing(&id).map(|r| r.citation()).collect();
    Ok(Json(serde_json::json!({
        "measure": m,
        "citation": m.citation(),
        "relaxed_by": relaxed_by,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    from: String,
    to: String,
}

pub async fn diff(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let from = params::date("from", &q.from)?;
    let to = params::date("to", &q.to)?;
    serde_json::to_value(state.regime.diff(from, to))
        .map(Json)
        .map_err(|e| ApiError::internal("encoding the diff", e))
}

/// One bar of the regime-over-time chart.
#[derive(Serialize)]
struct Span<'a> {
    id: &'a str,
    resolution: &'a str,
    paragraph: &'a str,
    title: &'a str,
    kind: &'static str,
    from: NaiveDate,
    until: Option<NaiveDate>,
    superseded_by: Option<&'a str>,
    confidence: Confidence,
}

/// Number of measures in force from `date` until the next step.
#[derive(Serialize)]
struct Step {
    date: NaiveDate,
    in_force: usize,
}

/// The regime over time: each measure's span, each resolution's adoption, and the
/// count in force at every date where it changes (asked of the regime at that date).
pub async fn timeline(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let regime: &Regime = &state.regime;
    let spans: Vec<Span> = regime
        .measures()
        .iter()
        .map(|m| Span {
            id: &m.id,
            resolution: &m.resolution,
            paragraph: &m.paragraph,
            title: &m.title,
            kind: m.kind.name(),
            from: m.effective_from,
            until: m.effective_until,
            superseded_by: m.superseded_by.as_deref(),
            confidence: m.confidence,
        })
        .collect();
    // A count changes only on a start day or the day after an end day.
    let mut dates = BTreeSet::new();
    for m in regime.measures() {
        dates.insert(m.effective_from);
        if let Some(u) = m.effective_until.and_then(|u| u.succ_opt()) {
            dates.insert(u);
        }
    }
    let steps: Vec<Step> = dates
        .into_iter()
        .map(|date| Step {
            date,
            in_force: regime.in_force(date).len(),
        })
        .collect();
    let resolutions: Vec<_> = regime
        .resolutions()
        .iter()
        .map(|r| serde_json::json!({"number": r.number, "adopted": r.adopted, "symbol": r.symbol, "title": r.title}))
        .collect();
    Ok(Json(serde_json::json!({
        "resolutions": resolutions,
        "spans": spans,
        "steps": steps,
    })))
}

pub async fn check(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<ShipmentInput>,
) -> Result<Json<Assessment>, ApiError> {
    let shipment = input.to_shipment()?;
    Ok(Json(state.regime.check(&shipment)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckBatch {
    items: Vec<serde_json::Value>,
}

/// One row of a batch answer: an assessment or the error for that row.
#[derive(Serialize)]
struct BatchRow {
    index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    assessment: Option<Assessment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorBody>,
}

#[derive(Serialize, Default)]
struct BatchCounts {
    prohibited: usize,
    conditional: usize,
    permitted: usize,
    errors: usize,
}

/// Check up to `max_batch` shipments; a bad row gets its own error and does not fail
/// the others (and is counted, never dropped).
pub async fn check_batch(
    State(state): State<AppState>,
    ApiJson(batch): ApiJson<CheckBatch>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Limits { max_batch, .. } = state.config.limits;
    params::batch_len(batch.items.len(), max_batch)?;
    let mut counts = BatchCounts::default();
    let mut results = Vec::with_capacity(batch.items.len());
    for (index, raw) in batch.items.into_iter().enumerate() {
        let id = params::batch_id(&raw);
        let parsed = serde_json::from_value::<ShipmentInput>(raw)
            .map_err(|e| {
                ApiError::new(
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_body",
                    e.to_string(),
                )
            })
            .and_then(|input| input.to_shipment());
        let row = match parsed {
            Ok(shipment) => {
                let a = state.regime.check(&shipment);
                match a.verdict {
                    embargo_regime::Verdict::Prohibited => counts.prohibited += 1,
                    embargo_regime::Verdict::Conditional => counts.conditional += 1,
                    embargo_regime::Verdict::Permitted => counts.permitted += 1,
                }
                BatchRow {
                    index,
                    id,
                    assessment: Some(a),
                    error: None,
                }
            }
            Err(e) => {
                counts.errors += 1;
                BatchRow {
                    index,
                    id,
                    assessment: None,
                    error: Some(e.body),
                }
            }
        };
        results.push(row);
    }
    Ok(Json(
        serde_json::json!({ "counts": counts, "results": results }),
    ))
}
