//! Trade analysis: exposure, relief, timeline, signals, estimates and the report's
//! charts, all computed by `embargo-analysis` on the bundled published figures.

use crate::error::ApiError;
use crate::extract::{ApiPath, ApiQuery};
use crate::state::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use embargo_analysis::estimates::{self, TourismOverrides, WorkerOverrides};
use embargo_analysis::relief::ReliefOptions;
use embargo_regime::Direction;
use serde::Deserialize;
use serde_json::{json, Value};

fn encode<T: serde::Serialize>(what: &str, v: &T) -> Result<Json<Value>, ApiError> {
    serde_json::to_value(v)
        .map(Json)
        .map_err(|e| ApiError::internal(what, e))
}

pub async fn report(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    encode("encoding the report", &reports.report)
}

pub async fn charts(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let charts: Vec<Value> = reports
        .report
        .charts
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "title": c.title,
                "source": c.source,
                "url": format!("/api/v1/report/charts/{}", c.id),
            })
        })
        .collect();
    Ok(Json(
        json!({ "dataset": reports.dataset, "charts": charts }),
    ))
}

/// One chart as SVG, drawn by the report module (the same file `embargo report` writes).
pub async fn chart(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Response, ApiError> {
    let id = id.trim_end_matches(".svg");
    let reports = crate::reports::current(&state).await?;
    let chart = reports
        .report
        .charts
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(|| {
            ApiError::not_found(
                "unknown_chart",
                format!("no chart {id:?}: use a, b, c, d or e"),
            )
        })?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], chart.svg.clone()).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureQuery {
    /// `from_dprk` (default: the DPRK's exports) or `to_dprk`.
    direction: Option<String>,
}

pub fn direction(field: &str, value: Option<&str>) -> Result<Direction, ApiError> {
    match value.unwrap_or("from_dprk") {
        "from_dprk" => Ok(Direction::FromDprk),
        "to_dprk" => Ok(Direction::ToDprk),
        other => Err(ApiError::invalid_field(
            field,
            format!("{field}: {other:?} is not from_dprk or to_dprk"),
        )),
    }
}

pub async fn exposure(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ExposureQuery>,
) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let dir = direction("direction", q.direction.as_deref())?;
    let e = embargo_analysis::exposure::exposure(&state.regime, &reports.trade, dir);
    let mut v = encode("encoding exposure", &e)?;
    v.0["dataset"] = json!(reports.dataset);
    Ok(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliefQuery {
    /// A bundled proposal name (default `china-russia-2019`).
    proposal: Option<String>,
    /// Baseline year `YYYY` or range `YYYY-YYYY` (default 2016).
    baseline: Option<String>,
    /// Count lifts whose paragraph is disputed.
    include_disputed: Option<bool>,
}

fn baseline(value: &str) -> Result<(i32, i32), ApiError> {
    let bad = || {
        ApiError::invalid_field(
            "baseline",
            format!("baseline: {value:?} is not YYYY or YYYY-YYYY"),
        )
    };
    let year = |s: &str| -> Result<i32, ApiError> {
        let y: i32 = s.trim().parse().map_err(|_| bad())?;
        if (1990..=2100).contains(&y) {
            Ok(y)
        } else {
            Err(bad())
        }
    };
    match value.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (year(a)?, year(b)?);
            if a > b {
                return Err(bad());
            }
            Ok((a, b))
        }
        None => {
            let y = year(value)?;
            Ok((y, y))
        }
    }
}

pub async fn relief(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ReliefQuery>,
) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let name = q.proposal.as_deref().unwrap_or("china-russia-2019");
    let proposal = reports.proposal(name).ok_or_else(|| {
        ApiError::not_found(
            "unknown_proposal",
            format!(
                "no bundled proposal {name:?}: one of {}",
                reports.proposal_names().join(", ")
            ),
        )
        .with_field("proposal")
    })?;
    let mut opts = ReliefOptions::default();
    if let Some(b) = q.baseline.as_deref() {
        opts.baseline = baseline(b)?;
    }
    opts.include_disputed = q.include_disputed.unwrap_or(false);
    let r = embargo_analysis::relief::relief(
        &state.regime,
        &reports.trade.records,
        proposal,
        &reports.workers,
        &opts,
    );
    let mut v = encode("encoding relief", &r)?;
    v.0["dataset"] = json!(reports.dataset);
    Ok(v)
}

pub async fn timeline(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let t = embargo_analysis::timeline::timeline(&state.regime, &reports.events);
    encode("encoding the timeline", &t)
}

pub async fn signals(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let s = embargo_analysis::signals::signals(&state.regime, &reports.trade);
    let mut v = encode("encoding signals", &s)?;
    v.0["dataset"] = json!(reports.dataset);
    Ok(v)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkersQuery {
    workers: Option<f64>,
    wage_low: Option<f64>,
    wage_high: Option<f64>,
}

fn non_negative(field: &str, v: Option<f64>) -> Result<Option<f64>, ApiError> {
    match v {
        Some(x) if !x.is_finite() || x < 0.0 => Err(ApiError::invalid_field(
            field,
            format!("{field}: {x} is not a non-negative number"),
        )),
        other => Ok(other),
    }
}

pub async fn workers(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<WorkersQuery>,
) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let o = WorkerOverrides {
        workers: non_negative("workers", q.workers)?,
        wage_low: non_negative("wage_low", q.wage_low)?,
        wage_high: non_negative("wage_high", q.wage_high)?,
    };
    if let (Some(lo), Some(hi)) = (o.wage_low, o.wage_high) {
        if lo > hi {
            return Err(ApiError::invalid_field(
                "wage_low",
                "wage_low: above wage_high",
            ));
        }
    }
    encode(
        "encoding the estimate",
        &estimates::workers(&reports.workers, &o),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourismQuery {
    year: Option<i32>,
    tourists: Option<f64>,
    spend: Option<f64>,
}

pub async fn tourism(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<TourismQuery>,
) -> Result<Json<Value>, ApiError> {
    let reports = crate::reports::current(&state).await?;
    let o = TourismOverrides {
        year: q.year,
        tourists: non_negative("tourists", q.tourists)?,
        spend: non_negative("spend", q.spend)?,
    };
    encode(
        "encoding the estimate",
        &estimates::tourism(&reports.tourism, &o),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_years_parse() {
        assert_eq!(baseline("2016").unwrap(), (2016, 2016));
        assert_eq!(baseline("2014-2016").unwrap(), (2014, 2016));
        for bad in ["2016-2014", "16", "abc", "2016-", "3000"] {
            assert_eq!(
                baseline(bad).unwrap_err().body.field.as_deref(),
                Some("baseline"),
                "{bad}"
            );
        }
    }
}
