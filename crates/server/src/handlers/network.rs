//! Ownership uploads and network exposure (OFAC's 50% rule), through `embargo-network`'s
//! store at `DATA/network.sqlite` (the same file `embargo network` uses).

use crate::app::Caller;
use crate::error::ApiError;
use crate::extract::{read_upload, ApiPath, ApiQuery};
use crate::handlers::params;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use embargo_network::import::{ftm, ownership_csv, vessel_csv, ImportBatch};
use embargo_network::{EdgeKind, ExposureOptions, NetworkError, Store};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

pub fn store_path(data_dir: &Path) -> PathBuf {
    data_dir.join("network.sqlite")
}

fn network_error(context: &str, e: NetworkError) -> ApiError {
    match e {
        NetworkError::UnknownEntity(_) => ApiError::not_found("unknown_entity", e.to_string()),
        NetworkError::AmbiguousEntity { .. } => {
            ApiError::new(StatusCode::CONFLICT, "ambiguous_entity", e.to_string())
        }
        NetworkError::InvalidRows { .. }
        | NetworkError::InvalidFile { .. }
        | NetworkError::InvalidImo { .. }
        | NetworkError::List { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_file",
            e.to_string(),
        ),
        other => ApiError::internal(context, other),
    }
}

/// Run store work off the async workers (SQLite calls block).
async fn blocking<T: Send + 'static>(
    context: &'static str,
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(context, e))?
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `ownership` (CSV, default), `ftm` (FollowTheMoney JSON lines) or `vessels` (CSV).
    kind: Option<String>,
    /// Name recorded for the upload in the store's import table.
    name: Option<String>,
}

/// Upload an ownership/control file (or FtM JSON lines, or vessel records). The store
/// rejects a file with any invalid row whole, naming line and field.
pub async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: axum::body::Body,
) -> Result<Json<Value>, ApiError> {
    let kind = q.kind.unwrap_or_else(|| "ownership".into());
    if !matches!(kind.as_str(), "ownership" | "ftm" | "vessels") {
        return Err(ApiError::invalid_field(
            "kind",
            format!("kind: {kind:?} is not ownership, ftm or vessels"),
        ));
    }
    let bytes = read_upload(body, state.config.limits.max_upload_bytes).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "empty_upload",
            "the request body is empty: send the file",
        ));
    }
    let label = format!(
        "upload:{}:{}",
        q.name.as_deref().unwrap_or(&kind),
        caller.key_id.as_deref().unwrap_or("-")
    );
    let path = store_path(&state.config.data_dir);
    let report = blocking("importing ownership", move || {
        let batch: ImportBatch = match kind.as_str() {
            "ownership" => ownership_csv::read(bytes.as_ref(), &label),
            "vessels" => vessel_csv::read(bytes.as_ref(), &label),
            _ => {
                let text = std::str::from_utf8(&bytes).map_err(|e| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid_file",
                        format!("{label}: not UTF-8: {e}"),
                    )
                })?;
                ftm::read(text, &label)
            }
        }
        .map_err(|e| network_error("reading the upload", e))?;
        let mut store =
            Store::open(&path).map_err(|e| network_error("opening the network store", e))?;
        store
            .import(batch, &kind)
            .map_err(|e| network_error("importing into the network store", e))
    })
    .await?;
    Ok(Json(json!({ "report": report })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExposureQuery {
    as_of: Option<String>,
}

/// Aggregate ownership of `entity` by blocked persons through chains (OFAC's 50% rule),
/// with the paths, control without ownership, and the issues met on the way.
pub async fn exposure(
    State(state): State<AppState>,
    ApiPath(entity): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExposureQuery>,
) -> Result<Json<Value>, ApiError> {
    let date = match q.as_of.as_deref() {
        Some(d) => params::date("as_of", d)?,
        None => chrono::Utc::now().date_naive(),
    };
    let path = store_path(&state.config.data_dir);
    let exposure = blocking("computing exposure", move || {
        if !path.exists() {
            return Err(ApiError::not_found(
                "unknown_entity",
                "the network store is empty: upload ownership data or import a list first",
            ));
        }
        let store =
            Store::open(&path).map_err(|e| network_error("opening the network store", e))?;
        let id = store
            .resolve(&entity)
            .map_err(|e| network_error("resolving the entity", e))?;
        let graph = store
            .load_upstream(&id, &[EdgeKind::Ownership, EdgeKind::Control])
            .map_err(|e| network_error("loading the graph", e))?;
        let ix = graph.ix(&id).ok_or_else(|| {
            ApiError::internal(
                "loading the graph",
                format!("{id} missing from its own graph"),
            )
        })?;
        embargo_network::exposure(&graph, ix, ExposureOptions::ofac(date))
            .ok_or_else(|| ApiError::internal("computing exposure", "no exposure computed"))
    })
    .await?;
    serde_json::to_value(exposure)
        .map(Json)
        .map_err(|e| ApiError::internal("encoding exposure", e))
}

/// Feed a freshly imported list into the network store, so designees are nodes that
/// ownership uploads can point at. Screening does not depend on the graph, so a failure
/// here does not undo the list import; it is reported in the import's answer and logged.
pub fn index_list(data_dir: &Path, snapshot: &embargo_screen::ListSnapshot) -> Value {
    let label = format!("list:{}", snapshot.source.as_str());
    let batch = embargo_network::lists::batch_from_snapshot(snapshot, &label);
    let result = Store::open(&store_path(data_dir)).and_then(|mut s| s.import(batch, &label));
    match result {
        Ok(r) => json!({ "indexed": true, "report": r }),
        Err(e) => {
            tracing::warn!(error = %e, "list not added to the network store");
            json!({ "indexed": false, "error": e.to_string() })
        }
    }
}
