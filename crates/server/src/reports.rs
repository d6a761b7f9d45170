//! The analysis inputs the server answers from: the DPRK's trade (the data directory's
//! trade store through the engine plan, or the bundled figures when nothing was imported),
//! proposals, estimates and events, loaded once at start, and the report built from them
//! once — the same plan and the same figures as `embargo report` on that data directory.
//! Every analysis answer first compares the store's files (names, sizes, times) with those
//! the figures were built from, and rebuilds them when an import changed the store
//! ([`current`]), so the server never answers from a store it no longer has.

use embargo_analysis::estimates::{Tourism, Workers};
use embargo_analysis::relief::{Proposal, ReliefOptions};
use embargo_analysis::report::{self, Report};
use embargo_analysis::timeline::Events;
use embargo_analysis::AnalysisError;
use embargo_regime::Regime;
use embargo_trade::DprkTrade;

#[derive(Debug, thiserror::Error)]
pub enum ReportsError {
    #[error("bundled trade data: {0}")]
    Trade(#[from] embargo_trade::TradeError),
    #[error("bundled analysis data: {0}")]
    Analysis(#[from] AnalysisError),
}

/// What the dataset label says in answers built from the bundled figures.
pub const DATASET: &str = "bundled published figures (data/trade)";

pub struct Reports {
    pub trade: DprkTrade,
    /// Which data `trade` holds, in words (every analysis answer carries it).
    pub dataset: String,
    /// Bundled proposals by name.
    pub proposals: Vec<(String, Proposal)>,
    pub workers: Workers,
    pub tourism: Tourism,
    pub events: Events,
    pub report: Report,
}

impl Reports {
    pub fn bundled(regime: &Regime) -> Result<Reports, ReportsError> {
        let trade = DprkTrade::from_records(embargo_trade::bundled::records()?);
        Reports::build(regime, trade, DATASET.to_string())
    }

    /// The data directory's trade store when it holds files, else the bundled figures.
    #[cfg(feature = "trade-store")]
    pub fn load(regime: &Regime, data_dir: &std::path::Path) -> Result<Reports, ReportsError> {
        let store = embargo_trade::TradeStore::open(data_dir).with_regime(regime)?;
        if store.files()?.is_empty() {
            return Reports::bundled(regime);
        }
        // The plan runs its own runtime; `build` may be called from inside the server's,
        // where blocking on another is not allowed, so it runs on a thread of its own.
        let (trade, read) = std::thread::scope(|s| {
            s.spawn(|| store.dprk_trade(false, embargo_analysis::exposure::scope_class(regime)))
                .join()
        })
        .map_err(|_| {
            embargo_trade::TradeError::Query("reading the trade store stopped unexpectedly".into())
        })??;
        Reports::build(regime, trade, read.describe())
    }

    #[cfg(not(feature = "trade-store"))]
    pub fn load(regime: &Regime, _data_dir: &std::path::Path) -> Result<Reports, ReportsError> {
        Reports::bundled(regime)
    }

    fn build(regime: &Regime, trade: DprkTrade, dataset: String) -> Result<Reports, ReportsError> {
        let proposals = embargo_analysis::data::PROPOSALS
            .iter()
            .map(|(name, text)| {
                let file = format!("data/proposals/{name}.toml");
                Proposal::parse(&file, text).map(|p| (name.to_string(), p))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let workers = Workers::bundled()?;
        let tourism = Tourism::bundled()?;
        let events = Events::bundled()?;
        let report = {
            let proposal = &proposals
                .first()
                .ok_or_else(|| AnalysisError::Invalid("no bundled proposal".into()))?
                .1;
            report::build(&report::Inputs {
                regime,
                trade: &trade,
                dataset: dataset.clone(),
                proposal,
                workers: &workers,
                tourism: &tourism,
                events: &events,
                relief: ReliefOptions::default(),
            })
        };
        Ok(Reports {
            trade,
            dataset,
            proposals,
            workers,
            tourism,
            events,
            report,
        })
    }

    pub fn proposal(&self, name: &str) -> Option<&Proposal> {
        self.proposals
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p)
    }

    pub fn proposal_names(&self) -> Vec<&str> {
        self.proposals.iter().map(|(n, _)| n.as_str()).collect()
    }
}

/// What identifies the store's content: its Parquet files with size and modification
/// time. Empty when nothing was imported (or the server has no trade store).
pub type StoreStamp = Vec<(String, u64, std::time::SystemTime)>;

/// The stamp of `data_dir`'s trade store now.
#[cfg(feature = "trade-store")]
pub fn stamp(data_dir: &std::path::Path) -> StoreStamp {
    let store = embargo_trade::TradeStore::open(data_dir);
    let mut out: StoreStamp = store
        .files()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| {
            let m = std::fs::metadata(&p).ok()?;
            Some((p.display().to_string(), m.len(), m.modified().ok()?))
        })
        .collect();
    out.sort();
    out
}

#[cfg(not(feature = "trade-store"))]
pub fn stamp(_data_dir: &std::path::Path) -> StoreStamp {
    Vec::new()
}

/// The figures for the store as it is now: the ones built at start or at the last
/// change, or new ones when the store's files changed since (built on the blocking pool;
/// one rebuild at a time, and requests during it wait for it).
pub async fn current(
    state: &crate::state::AppState,
) -> Result<std::sync::Arc<Reports>, crate::error::ApiError> {
    let now = stamp(&state.config.data_dir);
    let mut seen = state.reports_stamp.lock().await;
    if *seen == now {
        return Ok(state.reports.load_full());
    }
    let regime = state.regime.clone();
    let dir = state.config.data_dir.clone();
    let rebuilt = tokio::task::spawn_blocking(move || Reports::load(&regime, &dir))
        .await
        .map_err(|e| crate::error::ApiError::internal("rebuilding the trade figures", e))?
        .map_err(|e| crate::error::ApiError::internal("rebuilding the trade figures", e))?;
    state.reports.store(std::sync::Arc::new(rebuilt));
    *seen = now;
    Ok(state.reports.load_full())
}
