//! The nodes of a cluster (scheduler, executor) and the client's sessions.

use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::config::{BALLISTA_CLIENT_PULL, BALLISTA_SHUFFLE_COMPRESSION_CODEC};
use ballista_core::extension::{SessionConfigExt, SessionStateExt};
use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{start_executor_process, ExecutorProcessConfig};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::{create_scheduler, start_grpc_service_with_listener};
use ballista_scheduler::scheduler_server::SessionBuilder;
use datafusion::execution::session_state::{SessionState, SessionStateBuilder};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::protobuf::{LogicalPlanNode, PhysicalPlanNode};
use embargo_regime::Regime;
use embargo_trade::functions::session_functions;
use embargo_trade::{ContextMaker, TradeError};

use crate::address::{ClusterUrl, HostPort};
use crate::codec::PlanCodec;
use crate::error::ClusterError;

/// How a scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Where it listens (port 0: one the system chooses; [`run_scheduler`] reports it).
    pub bind: HostPort,
    /// The host executors and clients reach it by, when not the bind host.
    pub external_host: Option<String>,
    /// Seconds without a heartbeat after which an executor is taken for dead and its
    /// tasks are run elsewhere.
    pub executor_timeout_seconds: u64,
    /// The regime whose functions the scheduler plans with.
    pub regime: Arc<Regime>,
    /// Functions beside a trade session's (such as `screen`): the ones the clients'
    /// stores are given ([`embargo_trade::TradeStore::with_functions`]).
    pub functions: Vec<Arc<ScalarUDF>>,
}

/// How an executor runs.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler to register with.
    pub scheduler: HostPort,
    /// Where its Arrow Flight service (the results and shuffle data it serves) listens.
    pub bind: HostPort,
    /// The port of its task service (the scheduler sends it tasks there), on the bind host.
    pub grpc_port: u16,
    /// The host the scheduler, the other executors and the clients reach it by, when not
    /// the bind host.
    pub external_host: Option<String>,
    /// Tasks it runs at once (0: one per core).
    pub concurrent_tasks: usize,
    /// Seconds between its heartbeats to the scheduler.
    pub heartbeat_seconds: u64,
    /// Seconds it keeps trying to reach the scheduler when it starts.
    pub connect_timeout_seconds: u16,
    /// Where it keeps shuffle files (default: a temporary directory, removed when the
    /// executor stops).
    pub work_dir: Option<PathBuf>,
    /// The regime of its functions (`check`): the same on every node, or the answers differ.
    pub regime: Arc<Regime>,
    /// Functions beside a trade session's (such as `screen`, over this node's lists).
    pub functions: Vec<Arc<ScalarUDF>>,
}

/// The functions an executor runs plans with: those Ballista's executor has by default
/// (DataFusion's), a trade session's ([`session_functions`]) and `more` (which replace
/// functions of the same name, as in a trade session).
pub fn function_registry(
    regime: Arc<Regime>,
    more: Vec<Arc<ScalarUDF>>,
) -> BallistaFunctionRegistry {
    let mut registry = BallistaFunctionRegistry::default();
    let scalar = |f: &ScalarUDF| (f.name().to_string(), f.aliases().to_vec());
    add_functions(
        &mut registry.scalar_functions,
        session_functions(regime),
        scalar,
    );
    add_functions(&mut registry.scalar_functions, more, scalar);
    add_functions(
        &mut registry.aggregate_functions,
        embargo_trade::functions::session_aggregates(),
        |f| (f.name().to_string(), f.aliases().to_vec()),
    );
    registry
}

/// Adds `functions` under their names and aliases (`names` gives both), replacing
/// functions of the same names.
fn add_functions<F>(
    to: &mut std::collections::HashMap<String, Arc<F>>,
    functions: Vec<Arc<F>>,
    names: impl Fn(&F) -> (String, Vec<String>),
) {
    for f in functions {
        let (name, aliases) = names(&f);
        for alias in aliases {
            to.insert(alias, f.clone());
        }
        to.insert(name, f);
    }
}

/// Runs a scheduler until the process is stopped. `listening` hears the address it
/// bound (with the port the system chose, for port 0) once it accepts connections.
pub async fn run_scheduler(
    options: SchedulerOptions,
    listening: impl FnOnce(std::net::SocketAddr),
) -> Result<(), ClusterError> {
    let addr = options.bind.to_string();
    let fail = |message: String| ClusterError::Scheduler {
        addr: addr.clone(),
        message,
    };
    let listener = tokio::net::TcpListener::bind((options.bind.host.as_str(), options.bind.port))
        .await
        .map_err(|e| fail(format!("cannot listen: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| fail(format!("cannot listen: {e}")))?;
    let mut functions = session_functions(options.regime.clone());
    functions.extend(options.functions.iter().cloned());
    // The scheduler reads the client's logical plan with these functions, then plans it.
    let session_builder: SessionBuilder = Arc::new(move |config: SessionConfig| {
        let mut state: SessionState = default_session_builder(config)?;
        for f in &functions {
            state.register_udf(f.clone())?;
        }
        for f in embargo_trade::functions::session_aggregates() {
            state.register_udaf(f)?;
        }
        Ok(state)
    });
    let config = SchedulerConfig {
        bind_host: options.bind.host.clone(),
        bind_port: bound.port(),
        external_host: options
            .external_host
            .clone()
            .unwrap_or_else(|| options.bind.host.clone()),
        executor_timeout_seconds: options.executor_timeout_seconds,
        // Dead executors are looked for often enough to meet the timeout.
        expire_dead_executor_interval_seconds: (options.executor_timeout_seconds / 3).max(1),
        no_executors_grace_period_seconds: options.executor_timeout_seconds,
        override_session_builder: Some(session_builder),
        override_logical_codec: Some(Arc::new(PlanCodec::new())),
        ..SchedulerConfig::default()
    };
    let config = Arc::new(config);
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let scheduler = create_scheduler::<LogicalPlanNode, PhysicalPlanNode>(cluster, config)
        .await
        .map_err(|e| fail(e.to_string()))?;
    listening(bound);
    start_grpc_service_with_listener(listener, scheduler)
        .await
        .map_err(|e| fail(e.to_string()))
}

/// Runs an executor until the process is stopped (SIGTERM, Ctrl-C) or the scheduler
/// tells it to stop.
pub async fn run_executor(options: ExecutorOptions) -> Result<(), ClusterError> {
    let scheduler = options.scheduler.to_string();
    // Without a work directory, one of our own that lives as long as the executor (and is
    // removed when it stops), rather than Ballista's default, which is left behind.
    let own_work_dir = match &options.work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| ClusterError::Executor {
                scheduler: scheduler.clone(),
                message: format!("work directory {}: {e}", dir.display()),
            })?;
            None
        }
        None => Some(
            tempfile::Builder::new()
                .prefix("embargo-executor-")
                .tempdir()
                .map_err(|e| ClusterError::Executor {
                    scheduler: scheduler.clone(),
                    message: format!("cannot create a work directory: {e}"),
                })?,
        ),
    };
    let work_dir = options
        .work_dir
        .clone()
        .or_else(|| own_work_dir.as_ref().map(|d| d.path().to_path_buf()));
    let config = ExecutorProcessConfig {
        bind_host: options.bind.host.clone(),
        external_host: options.external_host.clone(),
        port: options.bind.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler.host.clone(),
        scheduler_port: options.scheduler.port,
        scheduler_connect_timeout_seconds: options.connect_timeout_seconds,
        vcores: options.concurrent_tasks,
        executor_heartbeat_interval_seconds: options.heartbeat_seconds,
        work_dir: work_dir.map(|d| d.to_string_lossy().into_owned()),
        override_function_registry: Some(Arc::new(function_registry(
            options.regime.clone(),
            options.functions.clone(),
        ))),
        override_logical_codec: Some(Arc::new(PlanCodec::new())),
        // Results are served (and shuffle data fetched) in messages up to the clients'
        // limit: a block of batch output is one value.
        grpc_max_encoding_message_size: RESULT_MESSAGE_BYTES as u32,
        grpc_max_decoding_message_size: RESULT_MESSAGE_BYTES as u32,
        ..ExecutorProcessConfig::default()
    };
    let outcome =
        start_executor_process(Arc::new(config))
            .await
            .map_err(|e| ClusterError::Executor {
                scheduler,
                message: e.to_string(),
            });
    drop(own_work_dir);
    outcome
}

/// The largest message a node serves and a client takes (Ballista's default is 16 MiB).
const RESULT_MESSAGE_BYTES: usize = 256 << 20;

/// The sessions of a [`embargo_trade::TradeStore`] on the cluster at `url`: their plans
/// go to its scheduler and run on its executors. Nothing connects until a plan runs.
pub fn engine(url: &ClusterUrl) -> ContextMaker {
    engine_with(url, ShuffleFiles::Compressed)
}

/// The sessions of a batch check or screening (`embargo_batch::plan`) on the cluster at
/// `url`: as [`engine`], but the executors keep their result files uncompressed. A
/// block's output leaves the block function compressed already; compressing it again
/// into the file (and decompressing it to serve it) costs the executor CPU for nothing.
pub fn batch_engine(url: &ClusterUrl) -> ContextMaker {
    engine_with(url, ShuffleFiles::Plain)
}

/// How executors write the files they serve results and shuffle data from.
#[derive(Clone, Copy)]
enum ShuffleFiles {
    Compressed,
    Plain,
}

fn engine_with(url: &ClusterUrl, files: ShuffleFiles) -> ContextMaker {
    let url = url.clone();
    Arc::new(move |config: SessionConfig| {
        let mut config = config
            .with_ballista_logical_extension_codec(Arc::new(PlanCodec::new()))
            .upgrade_for_ballista()
            // A result batch may be one large value (a block of batch output).
            .with_ballista_grpc_client_max_message_size(RESULT_MESSAGE_BYTES);
        if let ShuffleFiles::Plain = files {
            config = config
                .set_str(BALLISTA_SHUFFLE_COMPRESSION_CODEC, "none")
                // Pull: the client learns a job's id when the scheduler takes the job, so
                // a batch run that stops early can cancel the jobs it leaves running (in
                // push mode the id arrives with the job's first status, at its end).
                .set_bool(BALLISTA_CLIENT_PULL, true);
        }
        let state = SessionStateBuilder::new()
            .with_default_features()
            .with_config(config)
            .build()
            .upgrade_for_ballista(url.scheduler.http())
            .map_err(|e| {
                TradeError::Session(
                    ClusterError::Session {
                        url: url.to_string(),
                        message: e.to_string(),
                    }
                    .to_string(),
                )
            })?;
        Ok(SessionContext::new_with_state(state))
    })
}
