//! Ownership uploads and network exposure (OFAC's 50% rule), through `embargo-network`'s
//! store at `DATA/network.sqlite` (the same file `embargo network` uses).

use crate::app::Caller;
use crate::error::ApiError;
use crate::extract::{read_upload, ApiPath, ApiQuery};
use crate::handlers::{blocking, params};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use embargo_network::import::{ftm, ownership_csv, vessel_csv, ImportBatch};
use embargo_network::vessel::{find_vessel, FlagRegistry, Imo, SignalRules};
use embargo_network::{EdgeKind, ExposureOptions, ListFollow, NetworkError, OnExisting, Store};
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::Path;

pub(crate) fn network_error(context: &str, e: NetworkError) -> ApiError {
    match e {
        NetworkError::UnknownEntity(_) => ApiError::not_found("unknown_entity", e.to_string()),
        NetworkError::VesselNotFound { .. } => {
            ApiError::not_found("vessel_not_found", e.to_string())
        }
        NetworkError::AmbiguousEntity { .. } => {
            ApiError::new(StatusCode::CONFLICT, "ambiguous_entity", e.to_string())
        }
        NetworkError::NameInUse { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "upload_exists",
            format!("{e} (replace=true replaces it)"),
        ),
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// `ownership` (CSV, default), `ftm` (FollowTheMoney JSON lines) or `vessels` (CSV).
    kind: Option<String>,
    /// Name of the upload in the store (default: the kind). A name in use is refused.
    name: Option<String>,
    /// Replace the rows an earlier upload under the same name brought.
    #[serde(default)]
    replace: bool,
}

/// The network store with its list part brought to the active list versions (so a list
/// import, by the server or by `embargo lists import` on the same data directory, shows
/// before anything is read).
fn open_following(data_dir: &Path) -> Result<(Store, Vec<ListFollow>), ApiError> {
    embargo_network::open_following(data_dir)
        .map_err(|e| network_error("opening the network store at the active lists", e))
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
    let name = q.name.unwrap_or_else(|| kind.clone());
    if name.trim().is_empty() || name.len() > 200 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "name",
            "name: 1 to 200 characters, no control characters",
        ));
    }
    let label = format!("upload:{name}");
    // CSV has no end marker: a file cut inside its last row still reads as rows, and a
    // body whose last line has no end is the one sign of it. Imported, and said.
    let mut warnings = Vec::new();
    if kind != "ftm" && embargo_records::bounded::ends_inside_a_line(&bytes) {
        warnings.push(embargo_records::bounded::cut_warning(&label));
    }
    let on_existing = if q.replace {
        OnExisting::Replace
    } else {
        OnExisting::Refuse
    };
    let added_by = caller.key_id.clone();
    let data_dir = state.config.data_dir.clone();
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
        let (mut store, _) = open_following(&data_dir)?;
        store
            .import_with(batch, &kind, on_existing, added_by.as_deref())
            .map_err(|e| network_error("importing into the network store", e))
    })
    .await?;
    Ok(Json(json!({ "report": report, "warnings": warnings })))
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
    let data_dir = state.config.data_dir.clone();
    let exposure = blocking("computing exposure", move || {
        let (store, _) = open_following(&data_dir)?;
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

/// A vessel's profile by IMO number, as `embargo vessel` shows it (bundled flag registry,
/// default signal rules).
pub async fn vessel(
    State(state): State<AppState>,
    ApiPath(imo): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let imo = Imo::parse(&imo).map_err(|e| ApiError::invalid_field("imo", e.to_string()))?;
    let data_dir = state.config.data_dir.clone();
    let profile = blocking("reading the vessel", move || {
        let registry = FlagRegistry::bundled()
            .map_err(|e| ApiError::internal("reading the flag registry", e))?;
        let (store, _) = open_following(&data_dir)?;
        let graph = store
            .load_graph()
            .map_err(|e| network_error("loading the graph", e))?;
        find_vessel(&store, &graph, imo, &registry, SignalRules::default())
            .map_err(|e| network_error("reading the vessel", e))
    })
    .await?;
    serde_json::to_value(profile)
        .map(Json)
        .map_err(|e| ApiError::internal("encoding the vessel", e))
}

/// The uploads in the store (name, kind, rows, who uploaded) and the list versions the
/// graph follows.
pub async fn uploads(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let data_dir = state.config.data_dir.clone();
    let status = blocking("listing uploads", move || {
        let (store, _) = open_following(&data_dir)?;
        store
            .status()
            .map_err(|e| network_error("reading the network store", e))
    })
    .await?;
    let uploads: Vec<Value> = status
        .batches
        .iter()
        .filter_map(|b| {
            let name = b.file.strip_prefix("upload:")?;
            Some(json!({
                "name": name,
                "kind": b.kind,
                "imported_at": b.imported_at,
                "rows": b.rows,
                "edges": b.edges,
                "skipped": b.skipped,
                "added_by": b.added_by,
            }))
        })
        .collect();
    let lists: serde_json::Map<String, Value> = status
        .lists
        .into_iter()
        .map(|(source, version)| (source, Value::String(version)))
        .collect();
    Ok(Json(json!({ "uploads": uploads, "lists": lists })))
}

/// Bring the network store's list part to the freshly activated lists, for the import's
/// answer. Readers follow the lists by themselves, so a failure here changes nothing
/// lasting; it is reported in the answer and logged.
pub fn follow_lists(data_dir: &Path) -> Value {
    match open_following(data_dir) {
        Ok((_, follow)) => json!({ "indexed": true, "follow": follow }),
        Err(e) => {
            tracing::warn!(error = %e, "network store not brought to the new list");
            json!({ "indexed": false, "error": e.to_string() })
        }
    }
}
