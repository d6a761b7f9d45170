//! The crate's errors: each names what was wrong (an address as given, the node that failed).

/// What went wrong starting a node or connecting to a cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// An address the caller gave cannot be read.
    #[error("{what} {given:?}: {reason}")]
    Address {
        /// Which address (`cluster URL`, `scheduler address`, `bind address`).
        what: &'static str,
        /// The text as given.
        given: String,
        /// Why it cannot be read, and the form expected.
        reason: String,
    },
    /// The scheduler stopped or could not start.
    #[error("scheduler on {addr}: {message}")]
    Scheduler { addr: String, message: String },
    /// The executor stopped or could not start.
    #[error("executor for scheduler {scheduler}: {message}")]
    Executor { scheduler: String, message: String },
    /// A session for the cluster could not be set up.
    #[error("cluster session for {url}: {message}")]
    Session { url: String, message: String },
    /// The scheduler could not be reached, or did not answer as one.
    #[error("cannot reach the scheduler at {scheduler}: {message}")]
    Unreachable { scheduler: String, message: String },
    /// The scheduler has no executor to run a plan on, and none registered in time.
    #[error(
        "the cluster {url} has no executor (waited {waited:?}; the scheduler says {said:?}): \
         start one with `embargo cluster executor --scheduler {scheduler}`",
        scheduler = .url.trim_start_matches("df://")
    )]
    NoExecutor {
        url: String,
        waited: std::time::Duration,
        said: String,
    },
    /// Jobs left running could not be cancelled.
    #[error("cancelling jobs on {url}: {message}")]
    Cancel { url: String, message: String },
}
