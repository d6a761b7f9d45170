//! What `embargo serve` is told: where to listen, where state lives, and the limits.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Whether reads (GET queries, checks, screening) need an API key. Writes always do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadAccess {
    Open,
    Keyed,
}

/// Limits applied to every request. The defaults are sized so that one request cannot
/// hold a core for long: a 1,000-row batch of checks or screenings takes milliseconds.
#[derive(Debug, Clone)]
pub struct Limits {
    /// JSON request bodies (check, screen, batches).
    pub max_body_bytes: usize,
    /// List files and ownership uploads.
    pub max_upload_bytes: usize,
    /// Items in one batch request.
    pub max_batch: usize,
    /// Whole-request deadline; past it the client gets 503 `timeout`.
    pub request_timeout: Duration,
    /// Requests in flight at once; past it the client gets 503 `overloaded` at once
    /// instead of queueing without bound.
    pub max_in_flight: usize,
    /// Rows (groups) in one trade query answer at most; `limit`/`offset` page further.
    pub max_query_rows: usize,
    /// Trade queries (DataFusion, on the blocking pool) running at once; more wait.
    pub max_trade_queries: usize,
    /// A list upload lacking more than this share (0..=1) of the active version's
    /// entries is refused with 409 `list_shrink` unless the request says `allow_shrink=true`.
    pub max_list_shrink: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_upload_bytes: 64 * 1024 * 1024,
            max_batch: 1000,
            request_timeout: Duration::from_secs(30),
            max_in_flight: 1024,
            max_query_rows: 10_000,
            max_trade_queries: 2,
            max_list_shrink: embargo_screen::DEFAULT_MAX_SHRINK,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// State directory: `server.sqlite` (API keys, audit log) and the other crates' stores.
    pub data_dir: PathBuf,
    pub read_access: ReadAccess,
    pub limits: Limits,
    /// Screening decision thresholds (defaults from `embargo-screen`'s evaluation).
    pub thresholds: embargo_screen::Thresholds,
}

impl ServerConfig {
    pub fn new(addr: SocketAddr, data_dir: PathBuf) -> Self {
        ServerConfig {
            addr,
            data_dir,
            read_access: ReadAccess::Open,
            limits: Limits::default(),
            thresholds: embargo_screen::Thresholds::default(),
        }
    }

    /// The embedded store holding API keys and the audit log.
    pub fn store_path(&self) -> PathBuf {
        store_path(&self.data_dir)
    }
}

/// `DATA/server.sqlite`: one file so a backup copies keys and audit log together.
pub fn store_path(data_dir: &std::path::Path) -> PathBuf {
    data_dir.join("server.sqlite")
}
