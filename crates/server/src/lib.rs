//! embargo-server: the HTTP API, the web page and the audit log.
//!
//! - [`app`]: the route table, access control (API keys), limits, timeouts, metrics.
//! - [`handlers`]: one module per area; each calls the library crate that owns the logic.
//! - [`audit`]: screening decisions appended to SQLite, chained by SHA-256.
//! - [`keys`]: API keys, stored as salted SHA-256 hashes.
//!
//! [`serve`] runs the server until Ctrl-C or SIGTERM, then drains in-flight requests and
//! flushes the audit log before returning.

pub mod app;
/// The audit log lives in `embargo-audit` (the command line writes it too).
pub use embargo_audit as audit;
pub mod config;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod keys;
pub mod metrics;
pub mod openapi;
pub mod reports;
pub mod screening;
pub mod state;
pub mod store;
pub mod wire;

pub use config::{Limits, ReadAccess, ServerConfig};
pub use error::ApiError;

use arc_swap::ArcSwap;
use state::{AppState, Shared};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("loading the active screening lists: {0}")]
    Lists(#[from] embargo_screen::StoreError),
    #[error(transparent)]
    Reports(#[from] reports::ReportsError),
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error(transparent)]
    Audit(#[from] audit::AuditError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
}

/// Everything a running server holds, built before it listens (tests use it directly
/// with the router, without a socket).
pub struct Built {
    pub state: AppState,
    pub router: axum::Router,
    writer: audit::AuditWriter,
}

impl Built {
    /// Drop the router and state, then wait for the audit writer to commit what is queued.
    pub fn finish(self) {
        let Built {
            state,
            router,
            writer,
        } = self;
        drop(router);
        drop(state);
        writer.join();
    }
}

/// Open the store, start the audit writer and build the router around `regime`.
pub fn build(config: ServerConfig, regime: embargo_regime::Regime) -> Result<Built, ServerError> {
    let store = config.store_path();
    let keys = keys::KeyStore::open(&store)?;
    let (audit, writer) = audit::AuditLog::open(&store)?;
    let reports_stamp = reports::stamp(&config.data_dir);
    let reports = reports::Reports::load(&regime, &config.data_dir)?;
    let lists = screening::ListSet::load(&config.data_dir)?;
    let boot_id = format!(
        "{:x}",
        chrono::Utc::now().timestamp_micros() & 0xff_ffff_ffff
    );
    let trade_slots = Arc::new(tokio::sync::Semaphore::new(
        config.limits.max_trade_queries.max(1),
    ));
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let screen_slots = Arc::new(tokio::sync::Semaphore::new(cores));
    let state = AppState(Arc::new(Shared {
        config,
        regime: Arc::new(regime),
        keys,
        audit,
        metrics: metrics::Metrics::default(),
        reports: ArcSwap::from_pointee(reports),
        reports_stamp: tokio::sync::Mutex::new(reports_stamp),
        lists: ArcSwap::from_pointee(lists),
        import_lock: tokio::sync::Mutex::new(()),
        screen_slots,
        trade_slots,
        boot_id,
        next_request: AtomicU64::new(0),
    }));
    let router = app::router(state.clone());
    Ok(Built {
        state,
        router,
        writer,
    })
}

/// Listen and serve until a shutdown signal; then stop accepting, finish the requests in
/// flight, and flush the audit log.
pub async fn serve(
    config: ServerConfig,
    regime: embargo_regime::Regime,
) -> Result<(), ServerError> {
    let addr = config.addr;
    let built = build(config, regime)?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    tracing::info!(addr = %local, "embargo server listening");
    let router = built.router.clone();
    // Answers hyper writes itself (414, 431, 400 for requests it cannot parse) are
    // rewritten into the JSON error shape on the way out.
    axum::serve(wire::JsonErrorListener(listener), router)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    tracing::info!("shutting down: flushing the audit log");
    tokio::task::spawn_blocking(move || built.finish())
        .await
        .map_err(|e| ServerError::Io(std::io::Error::other(e)))?;
    tracing::info!("stopped");
    Ok(())
}

/// [`serve`] on a new multi-threaded runtime (for the command line, which is synchronous).
pub fn run(config: ServerConfig, regime: embargo_regime::Regime) -> Result<(), ServerError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(config, regime))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received"),
        _ = term => tracing::info!("SIGTERM received"),
    }
}

/// Structured logs on stderr: JSON lines (`json = true`) or human-readable text.
/// `RUST_LOG` filters (default `info`).
pub fn init_logging(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
