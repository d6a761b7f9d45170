//! What every handler can reach: the regime, the screening lists, keys, audit, metrics.

use crate::audit::AuditLog;
use crate::config::ServerConfig;
use crate::keys::KeyStore;
use crate::metrics::Metrics;
use crate::reports::Reports;
use crate::screening::ListSet;
use arc_swap::ArcSwap;
use embargo_regime::Regime;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

pub struct Shared {
    pub config: ServerConfig,
    pub regime: Arc<Regime>,
    pub keys: KeyStore,
    pub audit: AuditLog,
    pub metrics: Metrics,
    /// The trade figures and the report built from them (read through
    /// [`crate::reports::current`], which rebuilds them when the store changed).
    pub reports: ArcSwap<Reports>,
    /// The store's files the figures were built from; also serializes rebuilds.
    pub reports_stamp: tokio::sync::Mutex<crate::reports::StoreStamp>,
    /// The active screening lists. A refresh builds a complete new [`ListSet`] and
    /// stores it in one pointer swap: a query loads the pointer once and keeps that
    /// snapshot to the end, so it sees the old lists or the new ones, never a mix.
    pub lists: ArcSwap<ListSet>,
    /// Serializes list imports (two concurrent refreshes would race on the swap).
    pub import_lock: tokio::sync::Mutex<()>,
    /// Single screenings matching at once on the blocking pool (one per core).
    pub screen_slots: Arc<tokio::sync::Semaphore>,
    /// Slots for trade queries (`Limits::max_trade_queries`).
    pub trade_slots: Arc<tokio::sync::Semaphore>,
    /// Prefix that makes request ids unique across restarts.
    pub boot_id: String,
    pub next_request: AtomicU64,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl Shared {
    pub fn new_request_id(&self) -> String {
        let n = self.next_request.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:08x}", self.boot_id)
    }
}
