//! Jobs a client leaves running. Ballista's client does not cancel a job when its plan
//! is dropped, so when a batch run stops early (a closed pipe, a bad row under
//! `--strict`, a failed write) the jobs of its waves still running would run to their
//! end on the executors, and later jobs would queue behind them. [`cancel_jobs`] asks
//! the scheduler to cancel them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ballista_core::execution_plans::DistributedQueryExec;
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
use ballista_core::serde::protobuf::CancelJobParams;
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::protobuf::LogicalPlanNode;

use crate::address::ClusterUrl;
use crate::error::ClusterError;

/// The scheduler's ids of the jobs that `plans` (made by a session of [`crate::engine`] or
/// [`crate::batch_engine`]) submitted, and how many of their cluster plans have none yet
/// (not accepted by the scheduler yet, or not started).
pub fn job_ids(plans: &[Arc<dyn ExecutionPlan>]) -> (Vec<String>, usize) {
    let (mut ids, mut pending) = (Vec::new(), 0);
    let mut stack: Vec<&Arc<dyn ExecutionPlan>> = plans.iter().collect();
    while let Some(p) = stack.pop() {
        if let Some(d) = p.downcast_ref::<DistributedQueryExec<LogicalPlanNode>>() {
            match d.job_id() {
                Some(id) => ids.push(String::from(id)),
                None => pending += 1,
            }
        }
        stack.extend(p.children());
    }
    (ids, pending)
}

/// How often [`cancel_jobs`] looks again for the ids of jobs being submitted.
const ID_POLL: Duration = Duration::from_millis(20);

/// Asks the scheduler of `url` to cancel the jobs of `plans`, which are still running in
/// this process: a job being submitted has no id until the scheduler answers, so this
/// waits up to `wait` for every plan's id. Returns the ids the scheduler took and how
/// many jobs it could not name (they run to their end). The scheduler stops the tasks of
/// a cancelled job on the executors and discards its results.
pub async fn cancel_jobs(
    url: &ClusterUrl,
    plans: &[Arc<dyn ExecutionPlan>],
    wait: Duration,
) -> Result<(Vec<String>, usize), ClusterError> {
    let deadline = Instant::now() + wait;
    let (ids, pending) = loop {
        let (ids, pending) = job_ids(plans);
        if pending == 0 || Instant::now() >= deadline {
            break (ids, pending);
        }
        tokio::time::sleep(ID_POLL).await;
    };
    if ids.is_empty() {
        return Ok((ids, pending));
    }
    let failed = |message: String| ClusterError::Cancel {
        url: url.to_string(),
        message,
    };
    let mut scheduler = SchedulerGrpcClient::connect(url.scheduler.http())
        .await
        .map_err(|e| failed(format!("cannot reach the scheduler: {e}")))?;
    for id in &ids {
        scheduler
            .cancel_job(CancelJobParams { job_id: id.clone() })
            .await
            .map_err(|e| failed(format!("job {id}: {e}")))?;
    }
    Ok((ids, pending))
}
