//! Trade queries over the data directory's Parquet store (`embargo trade import`),
//! or over the bundled published figures when the store is empty: the structured
//! equivalent of `embargo trade query`. No SQL is accepted over HTTP; the query is
//! built by `embargo-trade` from validated fields.
//!
//! DataFusion runs on the blocking pool (each query on its own small runtime inside
//! `TradeStore`), never on the server's async workers, and at most
//! `Limits::max_trade_queries` at once. A query past the request deadline is answered
//! with 503 `timeout`; its blocking task finishes in the background and keeps its slot
//! until then, so slow queries cannot pile up beyond the limit.

use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use embargo_regime::Direction;
use embargo_trade::store::{Dataset, Grouping, QuerySpec, TradeStore};
use embargo_trade::{Flow, TradeError};
use serde::Deserialize;
use serde_json::{json, Value};

/// Query-string of `GET /api/v1/trade/query`; numbers arrive as text so that a bad one
/// is reported with its field name (422 `invalid_field`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TradeQueryParams {
    reporter: Option<String>,
    partner: Option<String>,
    flow: Option<String>,
    by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    series: Option<String>,
    bundled: Option<bool>,
    limit: Option<String>,
    offset: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum By {
    Group(Grouping),
    /// Value covered by each regime measure (the rows joined with the regime).
    Measure,
}

impl By {
    fn name(self) -> &'static str {
        match self {
            By::Group(Grouping::Hs2) => "hs2",
            By::Group(Grouping::Hs4) => "hs4",
            By::Group(Grouping::Hs6) => "hs6",
            By::Group(Grouping::Category) => "category",
            By::Group(Grouping::Total) => "total",
            By::Measure => "measure",
        }
    }
}

struct Request {
    spec: QuerySpec,
    by: By,
    bundled: bool,
    limit: usize,
    offset: usize,
}

/// A country or series code as the store keeps it: 2–16 of `A-Z 0-9 _ - /`.
fn code(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(v) = value else { return Ok(None) };
    let up = v.trim().to_ascii_uppercase();
    if up.is_empty() {
        return Ok(None);
    }
    if (2..=16).contains(&up.len())
        && up
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'/'))
    {
        Ok(Some(up))
    } else {
        Err(ApiError::invalid_field(
            field,
            format!("{field}: {v:?} is not a country code (CN, KP, WLD) or series name"),
        ))
    }
}

fn year(field: &str, value: Option<&str>) -> Result<Option<i32>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match v.parse::<i32>() {
        Ok(y) if (1900..=2100).contains(&y) => Ok(Some(y)),
        _ => Err(ApiError::invalid_field(
            field,
            format!("{field}: {v:?} is not a year between 1900 and 2100"),
        )),
    }
}

fn count(
    field: &str,
    value: Option<&str>,
    min: usize,
    max: usize,
) -> Result<Option<usize>, ApiError> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match v.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(ApiError::invalid_field(
            field,
            format!("{field}: {v:?} is not a whole number from {min} to {max}"),
        )),
    }
}

impl TradeQueryParams {
    fn parse(self, max_rows: usize) -> Result<Request, ApiError> {
        let flow = match self
            .flow
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            None => None,
            Some(f) => Some(Flow::parse(f).ok_or_else(|| {
                ApiError::invalid_field(
                    "flow",
                    format!("flow: {f:?} is not import, export, re-export or re-import"),
                )
            })?),
        };
        let by = match self.by.as_deref().map(str::trim).unwrap_or("hs2") {
            "hs2" | "" => By::Group(Grouping::Hs2),
            "hs4" => By::Group(Grouping::Hs4),
            "hs6" => By::Group(Grouping::Hs6),
            "category" => By::Group(Grouping::Category),
            "total" => By::Group(Grouping::Total),
            "measure" => By::Measure,
            other => {
                return Err(ApiError::invalid_field(
                    "by",
                    format!("by: {other:?} is not hs2, hs4, hs6, category, total or measure"),
                ))
            }
        };
        let from = year("from", self.from.as_deref())?;
        let to = year("to", self.to.as_deref())?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err(ApiError::invalid_field(
                    "from",
                    format!("from: {f} is after to ({t})"),
                ));
            }
        }
        let max_rows = max_rows.max(1);
        Ok(Request {
            spec: QuerySpec {
                reporter: code("reporter", self.reporter)?,
                partner: code("partner", self.partner)?,
                flow,
                from,
                to,
                by: match by {
                    By::Group(g) => g,
                    By::Measure => Grouping::Category,
                },
                series: code("series", self.series)?,
            },
            by,
            bundled: self.bundled.unwrap_or(false),
            limit: count("limit", self.limit.as_deref(), 1, max_rows)?.unwrap_or(max_rows),
            offset: count("offset", self.offset.as_deref(), 0, usize::MAX)?.unwrap_or(0),
        })
    }
}

fn trade_error(e: TradeError) -> ApiError {
    match e {
        // Validation the trade layer does itself (the fields are checked above first).
        TradeError::Query(m) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", m),
        other => ApiError::internal("querying the trade store", other),
    }
}

/// Run `f` (a DataFusion query) on the blocking pool, holding one of the trade slots.
async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, TradeError> + Send + 'static,
{
    let permit = state
        .trade_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal("waiting for a trade query slot", e))?;
    let joined = tokio::task::spawn_blocking(move || {
        let _slot = permit;
        f()
    })
    .await
    .map_err(|e| ApiError::internal("running the trade query", e))?;
    joined.map_err(trade_error)
}

fn dataset_note(d: Dataset) -> &'static str {
    match d {
        Dataset::Store => "imported Parquet store (DATA/trade/*.parquet)",
        Dataset::Bundled => "bundled published figures (data/trade)",
    }
}

/// The page `[offset, offset + limit)` of `items`, and the paging fields of the answer.
fn page<T: Clone>(items: &[T], offset: usize, limit: usize) -> (Vec<T>, Value) {
    let start = offset.min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    let paging = json!({
        "total": items.len(),
        "offset": offset,
        "limit": limit,
        "returned": end - start,
        "truncated": end < items.len(),
    });
    (items[start..end].to_vec(), paging)
}

/// `GET /api/v1/trade/query`: grouped totals (hs2, hs4, hs6, category, total) or value
/// covered per regime measure (`by=measure`).
pub async fn query(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<TradeQueryParams>,
) -> Result<Json<Value>, ApiError> {
    let req = params.parse(state.config.limits.max_query_rows)?;
    let store = TradeStore::open(&state.config.data_dir);
    let bundled = req.bundled;
    match req.by {
        By::Group(_) => {
            let spec = req.spec.clone();
            let res = blocking(&state, move || store.query(&spec, bundled)).await?;
            let (rows, paging) = page(&res.rows, req.offset, req.limit);
            Ok(Json(json!({
                "dataset": res.dataset,
                "dataset_note": dataset_note(res.dataset),
                "by": req.by.name(),
                "side": res.side,
                "sql": res.sql,
                "paging": paging,
                "rows": rows,
            })))
        }
        By::Measure => {
            let regime = state.regime.clone();
            let spec = req.spec.clone();
            let (e, dataset, dir) = blocking(&state, move || {
                let (mut trade, read) =
                    store.dprk_trade(bundled, embargo_analysis::exposure::scope_class(&regime))?;
                spec.restrict(&mut trade);
                let dir = measure_direction(&spec);
                Ok((
                    embargo_analysis::exposure::exposure(&regime, &trade, dir),
                    read,
                    dir,
                ))
            })
            .await?;
            let (measures, paging) = page(&e.measures, req.offset, req.limit);
            Ok(Json(json!({
                "dataset": dataset.dataset,
                "dataset_note": dataset_note(dataset.dataset),
                "read": dataset,
                "by": "measure",
                "direction": dir,
                "paging": paging,
                "measures": measures,
                "periods": e.periods,
                "uncovered_rows": e.uncovered_rows,
                "goods_rows": e.goods_rows,
            })))
        }
    }
}

/// Which of the DPRK's flows a `by=measure` query reads. Flows are named from the
/// reporter's side: a partner's import from KP is a DPRK export.
fn measure_direction(spec: &QuerySpec) -> Direction {
    if spec.reads_supplies_to_dprk() {
        Direction::ToDprk
    } else {
        Direction::FromDprk
    }
}

/// `GET /api/v1/trade/files`: what the store holds and which rows queries read.
pub async fn files(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let store = TradeStore::open(&state.config.data_dir);
    let listed = blocking(&state, move || {
        let files = store.files()?;
        let mut out = Vec::with_capacity(files.len());
        for f in files {
            let bytes = std::fs::metadata(&f).map(|m| m.len()).ok();
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(json!({"name": name, "bytes": bytes}));
        }
        Ok(out)
    })
    .await?;
    let dataset = if listed.is_empty() {
        Dataset::Bundled
    } else {
        Dataset::Store
    };
    Ok(Json(json!({
        "dataset": dataset,
        "dataset_note": dataset_note(dataset),
        "files": listed,
    })))
}
