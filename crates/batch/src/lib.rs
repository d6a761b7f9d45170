//! Batch pipelines: a file of shipments or of names in, one result row per input row
//! out, in input order.
//!
//! Each pipeline has the same shape, after ripgrep's split between searching and
//! printing: a reader cuts the input into blocks; worker threads answer every row of a
//! block and encode the answers in the output [`Format`]; one thread hands the encoded
//! blocks, in order, to a [`Sink`], which writes them to a [`Destination`] and delivers
//! them only when the run succeeds. The pipelines know the domain (they call the
//! regime's check and the matcher); the sinks know only bytes and Arrow batches.
//!
//! - [`check::check_file`]: shipments → verdicts with citations and conditions.
//! - [`screen::screen_rows`]: names → screenings, each row shown to the caller's
//!   [`screen::Ledger`] (the audit log) before its block is written.
//!
//! With the feature `sql`, [`plan`] runs the same block steps as DataFusion plans (one
//! engine function call per block of the input), so that a Ballista cluster's executors
//! do the work; the client still numbers the rows, keeps the ledger and writes the sink.

pub mod check;
pub mod destination;
#[cfg(feature = "sql")]
pub mod plan;
pub mod screen;
pub mod sink;

pub use destination::{Delivered, Destination, DestinationError, DestinationWriter, Target};
pub use sink::{Encoded, Format, Sink, SinkError};

/// Worker threads when the caller does not say: every core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}
