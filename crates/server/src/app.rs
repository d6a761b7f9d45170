//! The router: every route in one table ([`routes`]), the layers around them, and the
//! middleware for request ids, access control and observation.
//!
//! The table is the single list of what the server answers: the router is built from it
//! and a test checks it against `/openapi.json`, so the document cannot drift.

use crate::config::ReadAccess;
use crate::error::ApiError;
use crate::handlers;
use crate::state::AppState;
use axum::error_handling::HandleErrorLayer;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put, MethodRouter};
use axum::Router;
use std::time::Instant;
use tower::ServiceBuilder;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Health, metrics, the OpenAPI document and the web page.
    Public,
    /// Queries: open or keyed by configuration ([`ReadAccess`]).
    Read,
    /// Imports and uploads: always keyed.
    Write,
}

pub struct Route {
    pub method: Method,
    /// Axum/OpenAPI path template (`{param}` in both).
    pub path: &'static str,
    pub access: Access,
    /// What `/openapi.json` says about it.
    pub doc: Doc,
    handler: MethodRouter<AppState>,
}

/// The OpenAPI description of one operation. Schemas are names in
/// `components.schemas` (see `openapi.rs`).
#[derive(Debug, Clone)]
pub struct Doc {
    pub operation_id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub params: Vec<Param>,
    /// Request body: a schema name, or [`UPLOAD`] for a raw file upload.
    pub body: Option<&'static str>,
    /// Schema of the 200 response; [`TEXT`] and [`HTML`] for non-JSON answers.
    pub response: &'static str,
}

/// Request body marker: raw bytes (a list file or an ownership CSV).
pub const UPLOAD: &str = "#upload";
/// Request body marker: an HTML form (`application/x-www-form-urlencoded`), as
/// OpenRefine posts reconciliation queries.
pub const FORM: &str = "#form";
/// Response marker: `text/plain`.
pub const TEXT: &str = "#text";
/// Response marker: `image/svg+xml`.
pub const SVG: &str = "#svg";
/// Response marker: `text/html`.
pub const HTML: &str = "#html";

#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    /// `path` or `query`.
    pub location: &'static str,
    pub required: bool,
    pub description: &'static str,
}

const fn path_param(name: &'static str, description: &'static str) -> Param {
    Param {
        name,
        location: "path",
        required: true,
        description,
    }
}

const fn query(name: &'static str, required: bool, description: &'static str) -> Param {
    Param {
        name,
        location: "query",
        required,
        description,
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    method: Method,
    path: &'static str,
    access: Access,
    handler: MethodRouter<AppState>,
    operation_id: &'static str,
    tag: &'static str,
    summary: &'static str,
    params: Vec<Param>,
    body: Option<&'static str>,
    response: &'static str,
) -> Route {
    Route {
        method,
        path,
        access,
        doc: Doc {
            operation_id,
            tag,
            summary,
            params,
            body,
            response,
        },
        handler,
    }
}

/// Every route the server answers.
pub fn routes() -> Vec<Route> {
    use handlers::*;
    use Access::*;
    use Method as M;
    const DATE: &str = "YYYY-MM-DD";
    let mut all = vec![
        route(M::GET, "/health", Public, get(ops::health), "health", "operations",
            "Liveness and what is loaded (regime size, active list versions).", vec![], None, "Health"),
        route(M::GET, "/metrics", Public, get(ops::metrics), "metrics", "operations",
            "Prometheus metrics (text exposition format 0.0.4).", vec![], None, TEXT),
        route(M::GET, "/openapi.json", Public, get(ops::openapi), "openapi", "operations",
            "This document.", vec![], None, "Object"),
        route(M::GET, "/", Public, get(web::index), "page", "web",
            "The web page (regime, check, screening, report charts).", vec![], None, HTML),
        route(M::GET, "/assets/{file}", Public, get(web::asset), "asset", "web",
            "A bundled script or stylesheet of the web page.",
            vec![path_param("file", "app.js, charts.js or style.css")], None, TEXT),
        route(M::GET, "/api/v1/regime/resolutions", Read, get(regime::resolutions), "listResolutions", "regime",
            "Resolutions with adoption dates (New York) and trigger events.", vec![], None, "Resolutions"),
        route(M::GET, "/api/v1/regime/measures", Read, get(regime::measures), "listMeasures", "regime",
            "Measures, optionally only those in force on a date (as-of), of one resolution or kind.",
            vec![query("as_of", false, DATE), query("resolution", false, "e.g. 2371"),
              query("kind", false, "goods_ban, cap, exception, wind_down, labour, ...")],
            None, "Measures"),
        route(M::GET, "/api/v1/regime/measures/{id}", Read, get(regime::measure), "getMeasure", "regime",
            "One measure, its citation and the measures that relax it.",
            vec![path_param("id", "measure id, e.g. 2371-8-coal-iron")], None, "MeasureDetail"),
        route(M::GET, "/api/v1/regime/hs", Read, get(regime::hs_names), "listHsNames", "regime",
            "What HS codes name: the descriptions of the HS 2022 chapters and headings (and the HS 2017 headings 2022 dropped, such as 8803), with their edition.",
            vec![], None, "HsNames"),
        route(M::GET, "/api/v1/regime/diff", Read, get(regime::diff), "diffRegime", "regime",
            "Measures added and removed between two dates.",
            vec![query("from", true, DATE), query("to", true, DATE)], None, "RegimeDiff"),
        route(M::GET, "/api/v1/regime/timeline", Read, get(regime::timeline), "regimeTimeline", "regime",
            "The regime over time: measure spans, adoptions, and the count in force at each change.",
            vec![], None, "RegimeTimeline"),
        route(M::POST, "/api/v1/check", Read, post(regime::check), "check", "check",
            "Classify one shipment: prohibited, conditional or permitted, with citations.",
            vec![], Some("Shipment"), "Assessment"),
        route(M::POST, "/api/v1/check/batch", Read, post(regime::check_batch), "checkBatch", "check",
            "Classify up to max_batch shipments; a bad row gets its own error.",
            vec![], Some("ShipmentBatch"), "CheckBatchResult"),
        route(M::POST, "/api/v1/screen", Read, post(screen::screen), "screen", "screening",
            "Screen a name, entity or vessel against the active UN and OFAC lists; explained hits; audited.",
            vec![], Some("ScreenQuery"), "ScreenResult"),
        route(M::POST, "/api/v1/screen/batch", Read, post(screen::screen_batch), "screenBatch", "screening",
            "Screen up to max_batch rows against one snapshot of the lists; one audit record per row.",
            vec![], Some("ScreenBatch"), "ScreenBatchResult"),
        route(M::GET, "/api/v1/lists", Read, get(screen::lists), "listStatus", "screening",
            "Active list versions, thresholds, and every version kept in the store.",
            vec![], None, "ListStatus"),
        route(M::PUT, "/api/v1/lists/{source}", Write, put(screen::import), "importList", "screening",
            "Import a list file (UN consolidated XML or OFAC sdn.csv) and swap it in atomically.",
            vec![path_param("source", "un or ofac"),
                 query("allow_shrink", false, "true: import even when the file lacks more than --max-list-shrink (default 20%) of the active entries")],
            Some(UPLOAD), "ListImport"),
        route(M::POST, "/api/v1/lists/refresh", Write, post(screen::refresh), "refreshLists", "screening",
            "Reload the store's active versions (after embargo lists import) and swap them in atomically.",
            vec![], None, "ListRefresh"),
        route(M::GET, "/api/v1/alerts", Read, get(book::alerts), "listAlerts", "book",
            "The book's current alerts (after following any list change): each with its score, the matcher's explanation, list source, version and entity id, and its status.",
            vec![query("open", false, "true: only alerts waiting for review (open or escalated)"),
                 query("record", false, "only this book record's alerts")],
            None, "Alerts"),
        route(M::POST, "/api/v1/alerts/{id}/decision", Write, post(book::decide), "decideAlert", "book",
            "Decide an open or escalated alert (true-match, false-positive, escalate) with a reason; appended to the audit log first. A false positive stays cleared until the record or the entry changes.",
            vec![path_param("id", "the alert's id")],
            Some("AlertDecisionInput"), "AlertDecision"),
        route(M::POST, "/api/v1/network/ownership", Write, post(network::upload), "uploadOwnership", "network",
            "Upload ownership/control records (CSV), FtM JSON lines or vessel records into the network store.",
            vec![query("kind", false, "ownership (default), ftm or vessels"),
                 query("name", false, "name of the upload (default: the kind); a name in use is refused (409 upload_exists)"),
                 query("replace", false, "true: replace the upload of that name")],
            Some(UPLOAD), "OwnershipImport"),
        route(M::GET, "/api/v1/network/uploads", Read, get(network::uploads), "listUploads", "network",
            "The named uploads in the network store and the list versions its designees come from.",
            vec![], None, "NetworkUploads"),
        route(M::GET, "/api/v1/network/exposure/{entity}", Read, get(network::exposure), "networkExposure", "network",
            "Ownership by blocked persons through chains (OFAC 50% rule), paths with shares and sources, control flagged separately.",
            vec![path_param("entity", "id (ofac:9345, un:KPe.001, imo:9020015) or exact name"),
                 query("as_of", false, "YYYY-MM-DD (default today)")],
            None, "NetworkExposure"),
        route(M::GET, "/api/v1/vessels/{imo}", Read, get(network::vessel), "getVessel", "network",
            "A vessel by IMO number from the followed lists and the vessel imports: names, flags, designations, linked parties, signals; 404 when no list or import knows it.",
            vec![path_param("imo", "IMO number, 7 digits with a valid check digit (IMO 8660313 or 8660313)")],
            None, "VesselProfile"),
        route(M::GET, "/api/v1/report", Read, get(analysis::report), "report", "analysis",
            "The whole report (totals, sanctioned categories, exposure, relief, estimates, lags, signals) on the data directory's trade store (the bundled figures when nothing was imported), as embargo report builds it.",
            vec![], None, "Report"),
        route(M::GET, "/api/v1/report/charts", Read, get(analysis::charts), "listCharts", "analysis",
            "The report's charts: (a) exports by sanctioned category, (b) share, (c) relief, (d) lags, (e) signals.",
            vec![], None, "ChartList"),
        route(M::GET, "/api/v1/report/charts/{id}", Read, get(analysis::chart), "getChart", "analysis",
            "One chart as SVG (the file embargo report writes).",
            vec![path_param("id", "a, b, c, d or e")], None, SVG),
        route(M::GET, "/api/v1/exposure", Read, get(analysis::exposure), "exposure", "analysis",
            "Trade value covered by each measure per period, share of the total, dominant measure.",
            vec![query("direction", false, "from_dprk (default) or to_dprk")], None, "Exposure"),
        route(M::GET, "/api/v1/relief", Read, get(analysis::relief), "relief", "analysis",
            "What a relief proposal would restore (low / central / high), per lifted paragraph.",
            vec![query("proposal", false, "bundled proposal name (default china-russia-2019)"),
                 query("baseline", false, "YYYY or YYYY-YYYY (default 2016)"),
                 query("include_disputed", false, "true to count disputed lifts")],
            None, "Relief"),
        route(M::GET, "/api/v1/timeline", Read, get(analysis::timeline), "timeline", "analysis",
            "Days from trigger to resolution, and means by US administration against the published figures.",
            vec![], None, "Timeline"),
        route(M::GET, "/api/v1/signals", Read, get(analysis::signals), "signals", "analysis",
            "Compliance signals: flows after a ban, use of caps, livelihood leakage.",
            vec![], None, "Signals"),
        route(M::GET, "/api/v1/estimates/workers", Read, get(analysis::workers), "estimateWorkers", "analysis",
            "Overseas workers' earnings, with sources; overrides optional.",
            vec![query("workers", false, "number of workers"), query("wage_low", false, "USD per worker per year"),
                 query("wage_high", false, "USD per worker per year")],
            None, "Estimate"),
        route(M::GET, "/api/v1/estimates/tourism", Read, get(analysis::tourism), "estimateTourism", "analysis",
            "Chinese tourism revenue, with sources; overrides optional.",
            vec![query("year", false, "YYYY"), query("tourists", false, "number of tourists"),
                 query("spend", false, "USD per tourist")],
            None, "Estimate"),
    ];
    all.extend(trade_routes());
    all.extend(compat_routes());
    all
}

/// Trade queries over the Parquet store (feature `trade-store`).
#[cfg(feature = "trade-store")]
#[rustfmt::skip]
fn trade_routes() -> Vec<Route> {
    use handlers::*;
    use Access::*;
    use Method as M;
    vec![
        route(M::GET, "/api/v1/trade/query", Read, get(trade::query), "tradeQuery", "trade",
            "Grouped trade totals over the imported Parquet store (or the bundled figures when it is empty), as `embargo trade query`; by=measure gives the value each regime measure covers. Structured only: no SQL over HTTP.",
            vec![query("reporter", false, "reporting country, ISO alpha-2 (CN); KP reads the mirror (partners' declarations)"),
                 query("partner", false, "partner country (KP, WLD)"),
                 query("flow", false, "import, export, re-export or re-import, from the reporter's side"),
                 query("by", false, "hs2 (default), hs4, hs6, category, total or measure"),
                 query("from", false, "first year, YYYY"), query("to", false, "last year, YYYY"),
                 query("series", false, "one statistical series (GAC, KOTRA, KITA, ...)"),
                 query("bundled", false, "true to read the bundled figures even when the store has files"),
                 query("limit", false, "rows to return, 1..max_query_rows (default max_query_rows)"),
                 query("offset", false, "rows to skip (default 0)")],
            None, "TradeQueryResult"),
        route(M::GET, "/api/v1/trade/files", Read, get(trade::files), "tradeFiles", "trade",
            "Parquet files in the data directory's trade store, and which rows trade queries read.",
            vec![], None, "TradeFiles"),
    ]
}

/// The interfaces other tools speak: yente's matching API and OpenRefine's reconciliation
/// API (`handlers/yente.rs`, `handlers/reconcile.rs`; docs/interfaces.md).
#[rustfmt::skip]
fn compat_routes() -> Vec<Route> {
    use handlers::*;
    use Access::*;
    use Method as M;
    const DATASET: &str = "default or sanctions (every active list), un_sc_sanctions (UN), us_ofac_sdn (OFAC)";
    const RECONCILE_QUERY: &str = "JSON object of reconciliation queries ({\"q0\": {\"query\": \"...\", \"type\": \"Person\", \"limit\": 3, \"properties\": [{\"pid\": \"birthDate\", \"v\": \"1944\"}]}}); without it the service manifest";
    const CALLBACK: &str = "JSONP: the answer wrapped as callback(...)";
    vec![
        route(M::POST, "/match/{dataset}", Read, post(yente::match_entities), "yenteMatch", "interfaces",
            "yente's matching API: FtM example entities (schema, properties: name, birthDate, nationality, imoNumber, passportNumber...) screened against a dataset's lists, answered in yente's shape (results with id, caption, schema, properties, datasets, score, match, features); audited.",
            vec![path_param("dataset", DATASET),
                 query("limit", false, "results per query, 1..500 (default 5; the matcher gives at most 10 per name)"),
                 query("threshold", false, "score at which a result is a match (default: the server's match threshold, 0.80)"),
                 query("cutoff", false, "results scoring below it are left out"),
                 query("algorithm", false, "accepted for yente clients; every name is answered by embargo's matcher"),
                 query("include_dataset", false, "only results of this dataset (repeatable)"),
                 query("exclude_dataset", false, "no results of this dataset (repeatable)"),
                 query("exclude_schema", false, "no results of this schema (repeatable)"),
                 query("exclude_entity_ids", false, "no result with this id, FtM (un-KPi.001) or list id (repeatable)"),
                 query("topics", false, "only results with one of these topics (every listed entry has `sanction`)")],
            Some("YenteMatchQuery"), "YenteMatchResult"),
        route(M::GET, "/entities/{id}", Read, get(yente::entity), "yenteEntity", "interfaces",
            "One listed entry as an FtM entity in yente's shape, by FtM id (un-KPi.001) or list id (KPi.001).",
            vec![path_param("id", "un-KPi.001, ofac-9345 or a list id")], None, "YenteEntity"),
        route(M::GET, "/reconcile", Read, get(reconcile::reconcile_default), "reconcileManifest", "interfaces",
            "OpenRefine reconciliation service (API v0.2) over every active list: the manifest, or with queries= the candidates (as the POST answers).",
            vec![query("queries", false, RECONCILE_QUERY), query("callback", false, CALLBACK)], None, "ReconcileManifest"),
        route(M::POST, "/reconcile", Read, post(reconcile::reconcile_default), "reconcile", "interfaces",
            "OpenRefine reconciliation queries (form field queries=, or in the query string): candidates with id, name, type, score, match; audited.",
            vec![query("callback", false, CALLBACK)], Some(FORM), "ReconcileResults"),
        route(M::GET, "/reconcile/{dataset}", Read, get(reconcile::reconcile_dataset), "reconcileDatasetManifest", "interfaces",
            "The reconciliation service of one dataset (as /reconcile).",
            vec![path_param("dataset", DATASET), query("queries", false, RECONCILE_QUERY), query("callback", false, CALLBACK)],
            None, "ReconcileManifest"),
        route(M::POST, "/reconcile/{dataset}", Read, post(reconcile::reconcile_dataset), "reconcileDataset", "interfaces",
            "Reconciliation queries against one dataset (as POST /reconcile).",
            vec![path_param("dataset", DATASET), query("callback", false, CALLBACK)], Some(FORM), "ReconcileResults"),
    ]
}

/// Without the Parquet store (the load-bench binary) the trade routes do not exist.
#[cfg(not(feature = "trade-store"))]
fn trade_routes() -> Vec<Route> {
    Vec::new()
}

/// The complete application: routes, access control, limits, timeouts, observation.
pub fn router(state: AppState) -> Router {
    let limits = state.config.limits.clone();
    let mut api: Router<AppState> = Router::new();
    for r in routes() {
        let handler = match r.access {
            Access::Public => r.handler,
            Access::Read => r
                .handler
                .route_layer(middleware::from_fn_with_state(state.clone(), require_read)),
            Access::Write => r
                .handler
                .route_layer(middleware::from_fn_with_state(state.clone(), require_write)),
        };
        api = api.route(r.path, handler);
    }
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(
            ServiceBuilder::new()
                // Outermost first: ids and observation see every response, including
                // the ones the limits below produce.
                .layer(middleware::from_fn_with_state(state.clone(), observe))
                .layer(HandleErrorLayer::new(limit_error))
                .load_shed()
                .concurrency_limit(limits.max_in_flight)
                .timeout(limits.request_timeout)
                .layer(tower_http::catch_panic::CatchPanicLayer::custom(
                    panic_response,
                )),
        )
        .with_state(state)
}

/// Who is calling, for handlers (the audit log records `key_id`).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub key_id: Option<String>,
}

/// The request id, for handlers (the audit log records it).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

pub const API_KEY_HEADER: &str = "x-api-key";

fn presented_key(req: &Request) -> Option<&str> {
    if let Some(v) = req.headers().get(API_KEY_HEADER) {
        return v.to_str().ok();
    }
    // An Authorization header that is not `Bearer <token>` is a key presented wrong, not
    // an anonymous call: it is refused like an unknown key (the empty token matches none).
    req.headers()
        .get(axum::http::header::AUTHORIZATION)
        .map(|v| {
            v.to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .unwrap_or("")
        })
}

/// Resolve the presented key, if any. A key that is presented but wrong is refused
/// even on open routes: a client misconfiguration should be loud, and the audit log
/// must not attribute a decision to a key that did not authenticate.
fn authenticate(state: &AppState, req: &Request) -> Result<Option<String>, ApiError> {
    match presented_key(req) {
        None => Ok(None),
        Some(token) => match state.keys.authenticate(token) {
            Ok(Some(id)) => Ok(Some(id)),
            Ok(None) => Err(ApiError::unauthorized("the API key is unknown or revoked")),
            Err(e) => Err(ApiError::internal("checking the API key", e)),
        },
    }
}

async fn require_read(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let key_id = match authenticate(&state, &req) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    if key_id.is_none() && state.config.read_access == ReadAccess::Keyed {
        return ApiError::unauthorized(format!(
            "this server requires an API key for reads: send it in the {API_KEY_HEADER} header"
        ))
        .into_response();
    }
    req.extensions_mut().insert(Caller { key_id });
    next.run(req).await
}

async fn require_write(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let key_id = match authenticate(&state, &req) {
        Ok(Some(k)) => k,
        Ok(None) => {
            return ApiError::unauthorized(format!(
                "writes require an API key in the {API_KEY_HEADER} header"
            ))
            .into_response()
        }
        Err(e) => return e.into_response(),
    };
    req.extensions_mut().insert(Caller {
        key_id: Some(key_id),
    });
    next.run(req).await
}

/// Request id, metrics and one structured log line per request.
async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_string)
        .unwrap_or_else(|| state.new_request_id());
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().clone();
    if let Err(e) = head_within_limits(&req) {
        let mut resp = e.into_response();
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-request-id", v);
        }
        state.metrics.observe_request(
            method.as_str(),
            "unmatched",
            resp.status().as_u16(),
            start.elapsed(),
        );
        return resp;
    }
    // The route template, not the raw path: bounded label cardinality in metrics.
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let mut resp = json_errors(next.run(req).await);
    let elapsed = start.elapsed();
    let status = resp.status().as_u16();
    state
        .metrics
        .observe_request(method.as_str(), &route, status, elapsed);
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    tracing::info!(
        request_id = %id,
        method = %method,
        route = %route,
        status,
        micros = elapsed.as_micros() as u64,
        "request"
    );
    resp
}

/// Longest request target (path and query) answered; longer input belongs in a body.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes (names and values) a request may carry.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;

/// Request heads over the server's own bounds get a JSON 414 or 431. hyper has bounds
/// of its own, higher (64 KiB URIs, ~400 KiB heads, 100 headers); what it refuses is
/// rewritten to JSON by [`crate::wire`].
fn head_within_limits(req: &Request) -> Result<(), ApiError> {
    let uri = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if uri > MAX_URI_BYTES {
        return Err(ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!(
                "the request URI is {uri} bytes, over {MAX_URI_BYTES}; send long input in a POST body"
            ),
        ));
    }
    let headers: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len())
        .sum();
    if headers > MAX_HEADER_BYTES {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            format!("the request headers are {headers} bytes, over {MAX_HEADER_BYTES}"),
        ));
    }
    Ok(())
}

/// Every error answer is JSON in the one error shape: an error some layer answers in
/// another form (a body limit's plain text, an empty body) is replaced by that shape, its
/// status kept.
fn json_errors(resp: Response) -> Response {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let is_json = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return resp;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::URI_TOO_LONG => ("uri_too_long", "the request URI is too long"),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => {
            ("headers_too_large", "the request headers are too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported_media_type", "unsupported content-type")
        }
        s if s.is_server_error() => ("internal", "internal error"),
        _ => ("bad_request", "the request was refused"),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    // Headers the layer set (retry-after, allow, ...) stay; the body's own do not.
    for (name, value) in resp.headers() {
        if name != axum::http::header::CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

async fn limit_error(err: tower::BoxError) -> ApiError {
    if err.is::<tower::timeout::error::Elapsed>() {
        ApiError::unavailable(
            "timeout",
            "the request took longer than the server's deadline",
        )
    } else if err.is::<tower::load_shed::error::Overloaded>() {
        ApiError::unavailable("overloaded", "too many requests in flight; retry shortly")
    } else {
        ApiError::internal("serving the request", err)
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "internal error (handler panicked)",
    )
    .into_response()
}

async fn not_found(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "route_not_found",
        format!("no route {method} {}; see /openapi.json", uri.path()),
    )
}

async fn method_not_allowed(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{method} is not allowed on {}; see /openapi.json",
            uri.path()
        ),
    )
}
