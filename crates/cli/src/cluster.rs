//! `embargo cluster scheduler|executor`: the nodes of an Apache Ballista cluster that runs
//! embargo's trade plans (crate embargo-cluster; docs/cluster.md). Thin glue: flags in,
//! library call, logs on stderr until the process is stopped.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use clap::{Args as ClapArgs, Subcommand};
use embargo_cluster::{ClusterUrl, ExecutorOptions, HostPort, SchedulerOptions};

use crate::context::Context;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: ClusterCommand,
}

#[derive(Subcommand)]
enum ClusterCommand {
    /// Run a scheduler: clients send it their plans (`--cluster df://HOST:PORT`), it
    /// splits them into tasks for the executors. Runs until stopped.
    Scheduler {
        /// Address to listen on, HOST:PORT (port 0: any free port; the log names it).
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: String,
        /// Host name executors and clients use to reach this scheduler, when not the
        /// bind host (e.g. with --bind 0.0.0.0:50050).
        #[arg(long)]
        external_host: Option<String>,
        /// Seconds without a heartbeat after which an executor is taken for dead and
        /// its tasks are run on the others.
        #[arg(long, default_value_t = 180)]
        executor_timeout: u64,
    },
    /// Run an executor: registers with the scheduler and runs the tasks it is given,
    /// with embargo's functions over the regime (--regime, else the bundled one) and the
    /// active lists of the data directory (--data). Runs until stopped.
    Executor {
        /// The scheduler's address, HOST:PORT.
        #[arg(long)]
        scheduler: String,
        /// Address of this executor's data service (results and shuffle data), HOST:PORT
        /// (port 0: any free port; the log names it).
        #[arg(long, default_value = "127.0.0.1:50051")]
        bind: String,
        /// Port of this executor's task service (the scheduler sends tasks there), on the
        /// --bind host (0: any free port; the log names it).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Host name the scheduler, other executors and clients use to reach this
        /// executor, when not the --bind host.
        #[arg(long)]
        external_host: Option<String>,
        /// Tasks run at once (default: one per core).
        #[arg(long, default_value_t = 0)]
        concurrent_tasks: usize,
        /// Seconds between heartbeats to the scheduler (keep it below the scheduler's
        /// --executor-timeout).
        #[arg(long, default_value_t = 60)]
        heartbeat: u64,
        /// Seconds to keep trying to reach the scheduler at start.
        #[arg(long, default_value_t = 30)]
        connect_timeout: u16,
        /// Directory for shuffle files (default: a temporary directory, removed when the
        /// executor is stopped with SIGTERM or Ctrl-C).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    install_stderr_log();
    let regime = Arc::new(ctx.regime()?);
    // The functions the clients' stores are given (`screen` over this node's lists), and
    // the block steps of `check --batch` and `screen --batch` run on a cluster.
    let mut functions = crate::trade::store_functions(ctx);
    functions.push(embargo_batch::plan::CheckBlockUdf::udf(regime.clone()));
    functions.push(embargo_batch::plan::ScreenBlockUdf::over_store(
        &ctx.data_dir(),
        regime.clone(),
    ));
    let functions: Vec<_> = functions.into_iter().map(Arc::new).collect();
    let runtime = runtime()?;
    match args.command {
        ClusterCommand::Scheduler {
            bind,
            external_host,
            executor_timeout,
        } => {
            let options = SchedulerOptions {
                bind: HostPort::parse(&bind, "--bind")?,
                external_host,
                executor_timeout_seconds: executor_timeout,
                regime,
                functions,
            };
            runtime.block_on(embargo_cluster::run_scheduler(options, |addr| {
                log::info!(
                    "embargo scheduler listening on {addr} (clients: --cluster df://{addr})"
                );
            }))?;
        }
        ClusterCommand::Executor {
            scheduler,
            bind,
            grpc_port,
            external_host,
            concurrent_tasks,
            heartbeat,
            connect_timeout,
            work_dir,
        } => {
            let bind = HostPort::parse(&bind, "--bind")?.with_free_port("--bind")?;
            let grpc_port = HostPort {
                host: bind.host.clone(),
                port: grpc_port,
            }
            .with_free_port("--grpc-port")?
            .port;
            let options = ExecutorOptions {
                scheduler: HostPort::parse(&scheduler, "--scheduler")?,
                bind,
                grpc_port,
                external_host,
                concurrent_tasks,
                heartbeat_seconds: heartbeat,
                connect_timeout_seconds: connect_timeout,
                work_dir,
                regime,
                functions,
            };
            log::info!(
                "embargo executor on {} (tasks on port {}) for scheduler {}",
                options.bind,
                options.grpc_port,
                options.scheduler
            );
            runtime.block_on(embargo_cluster::run_executor(options))?;
        }
    }
    Ok(())
}

/// The async runtime the nodes run on and the clients of a cluster wait on.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// What a batch run on the cluster at `url` does with the jobs it leaves running when it
/// stops early: asks the scheduler to cancel them (waiting at most [`ID_WAIT`] for the
/// ids of jobs being submitted, and [`CANCEL_WAIT`] in all), and says so on stderr.
pub fn stop_waves(url: &ClusterUrl) -> embargo_batch::plan::StopWaves {
    let url = url.clone();
    Arc::new(move |plans| {
        let url = url.clone();
        Box::pin(async move {
            let asked = embargo_cluster::cancel_jobs(&url, &plans, ID_WAIT);
            match tokio::time::timeout(CANCEL_WAIT, asked).await {
                Ok(Ok((ids, unnamed))) => {
                    if !ids.is_empty() {
                        eprintln!(
                            "stopped early: asked the cluster to cancel the job(s) still \
                             running: {}",
                            ids.join(", ")
                        );
                    }
                    if unnamed > 0 {
                        eprintln!(
                            "warning: stopped early; {unnamed} job(s) being submitted got no \
                             id within {ID_WAIT:?} and run to their end on the cluster"
                        );
                    }
                }
                Ok(Err(e)) => eprintln!("warning: stopped early, and {e}"),
                Err(_) => eprintln!(
                    "warning: stopped early; the scheduler at {url} did not answer the \
                     cancellation of the jobs still running within {CANCEL_WAIT:?}"
                ),
            }
        })
    })
}

/// How long a batch run that stopped early waits for the ids of jobs being submitted.
const ID_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long a batch run that stopped early waits for the scheduler to take its
/// cancellations.
const CANCEL_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The cluster a command's plans run on: `--cluster`, else `$EMBARGO_CLUSTER`, else none
/// (this process). Read here rather than through clap's `env` (see `main::env_dir`).
/// Returned once its scheduler has an executor: a scheduler without one would queue the
/// plan in silence. The wait says so on stderr and ends after `$EMBARGO_CLUSTER_WAIT`
/// seconds (default [`EXECUTOR_WAIT`]) with an error.
pub fn cluster_url(flag: Option<&str>) -> anyhow::Result<Option<ClusterUrl>> {
    let given = flag
        .map(str::to_string)
        .or_else(|| std::env::var("EMBARGO_CLUSTER").ok())
        .filter(|v| !v.trim().is_empty());
    let Some(url) = given.as_deref().map(ClusterUrl::parse).transpose()? else {
        return Ok(None);
    };
    let wait = executor_wait()?;
    embargo_cluster::wait_for_executor(&url, wait, |said| {
        eprintln!(
            "waiting for an executor: the scheduler at {url} says \"{said}\" (at most \
             {wait:?}; EMBARGO_CLUSTER_WAIT sets the seconds)"
        )
    })?;
    Ok(Some(url))
}

/// How long a client waits for a scheduler without executors to get one.
const EXECUTOR_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// `$EMBARGO_CLUSTER_WAIT` (whole seconds), else [`EXECUTOR_WAIT`].
fn executor_wait() -> anyhow::Result<std::time::Duration> {
    match std::env::var("EMBARGO_CLUSTER_WAIT") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<u64>()
            .map(std::time::Duration::from_secs)
            .with_context(|| {
                format!("EMBARGO_CLUSTER_WAIT {v:?}: expected whole seconds, e.g. 30")
            }),
        _ => Ok(EXECUTOR_WAIT),
    }
}

/// Ballista logs through `log`; a node writes those lines to stderr. `EMBARGO_LOG` sets
/// the level (error, warn, info, debug, trace; default info).
fn install_stderr_log() {
    let level = std::env::var("EMBARGO_LOG")
        .ok()
        .and_then(|l| l.parse::<log::LevelFilter>().ok())
        .unwrap_or(log::LevelFilter::Info);
    if log::set_boxed_logger(Box::new(StderrLog { level })).is_ok() {
        log::set_max_level(level);
    }
}

struct StderrLog {
    level: log::LevelFilter,
}

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= self.level
    }

    fn log(&self, record: &log::Record) {
        if self.enabled(record.metadata()) {
            eprintln!(
                "{} {:<5} {}: {}",
                chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ"),
                record.level(),
                record.target(),
                record.args()
            );
        }
    }

    fn flush(&self) {}
}

/// A run's error, in the context of the cluster it ran on. A scheduler that cannot read a
/// client's plan (a function or a plan node it does not know) is most often a node of
/// another embargo build: the message says so.
pub fn failed_on<T, E: Into<anyhow::Error>>(
    url: &ClusterUrl,
    result: Result<T, E>,
) -> anyhow::Result<T> {
    result.map_err(|e| {
        let e: anyhow::Error = e.into();
        let unread = format!("{e:#}").contains("Could not parse plan");
        let hint = if unread {
            " (the scheduler could not read this client's plan: run the same embargo build \
             on the scheduler, the executors and the client)"
        } else {
            ""
        };
        e.context(format!("running on the cluster {url}{hint}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_the_scheduler_cannot_read_points_at_the_builds() {
        let url = ClusterUrl::parse("df://127.0.0.1:50050").unwrap();
        let unread: Result<(), std::io::Error> = Err(std::io::Error::other(
            "Could not parse plan: LogicalExtensionCodec is not provided for aggregate \
             function trade_field_sums",
        ));
        let e = format!("{:#}", failed_on(&url, unread).unwrap_err());
        assert!(e.starts_with("running on the cluster df://127.0.0.1:50050 (the scheduler could not read this client's plan"), "{e}");
        assert!(e.contains("trade_field_sums"), "{e}");
        let other: Result<(), std::io::Error> = Err(std::io::Error::other("connection refused"));
        let e = format!("{:#}", failed_on(&url, other).unwrap_err());
        assert_eq!(
            e,
            "running on the cluster df://127.0.0.1:50050: connection refused"
        );
    }
}
