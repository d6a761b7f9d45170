//! embargo-cluster: embargo's trade plans on an Apache Ballista cluster.
//!
//! One job: run the plans that [`embargo_trade::TradeStore`] builds on Ballista instead of
//! in one process. It provides the two kinds of node, embedded in any binary —
//! [`run_scheduler`] (Ballista's scheduler, which plans the jobs) and [`run_executor`]
//! (Ballista's executor, which runs their tasks) — and the client side, [`engine`], a
//! [`embargo_trade::ContextMaker`] whose sessions send their plans to a scheduler.
//!
//! Every node carries the functions of a trade session
//! ([`embargo_trade::functions::session_functions`], over the regime the node loads,
//! [`embargo_trade::functions::session_aggregates`], and
//! the ones its caller gives beside them, as a store is given them), and
//! every node reads plans through [`PlanCodec`], which carries the in-memory tables of a
//! session (`regime_coverage`, the bundled trade rows) inside the plan. Files (the store's
//! Parquet, a `read_csv` input) are read by the executors at the path the client named,
//! so every node must see them at that path.
//!
//! A client asks the scheduler whether it has an executor before it sends a plan
//! ([`wait_for_executor`]): Ballista queues a job without one for as long as it takes.
//!
//! A client that stops early cancels the jobs it leaves running with [`cancel_jobs`]
//! (Ballista does not when a plan is dropped).
//!
//! The crate knows nothing of the command line: it takes addresses and a regime, and
//! returns typed errors.

mod address;
mod codec;
mod error;
mod jobs;
mod node;
mod ready;

pub use address::{ClusterUrl, HostPort};
pub use codec::PlanCodec;
pub use error::ClusterError;
pub use jobs::{cancel_jobs, job_ids};
pub use node::{
    batch_engine, engine, function_registry, run_executor, run_scheduler, ExecutorOptions,
    SchedulerOptions,
};
pub use ready::{readiness, wait_for_executor, Readiness};
