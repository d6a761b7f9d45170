//! Ownership, control and vessels around the DPRK sanctions lists.
//!
//! - [`store`]: the embedded SQLite store (nodes, edges with shares, dates and sources,
//!   vessel name/flag records, import batches); upstream walks as recursive CTEs.
//! - [`graph`]: the graph in memory; [`exposure`] runs OFAC's 50% rule on it.
//! - [`import`]: user files (ownership/control CSV, FtM JSON lines, vessel files);
//!   [`lists`] turns embargo-screen's list entries into nodes and edges.
//! - [`vessel`]: IMO numbers, flag registry data, vessel profiles and signals.
//! - [`reach`]: the call for screening — who stands behind an entity, with path,
//!   decision and explanation.

pub mod error;
pub mod exposure;
pub mod graph;
pub mod import;
pub mod lists;
pub mod model;
pub mod reach;
pub mod screening;
pub mod store;
pub mod vessel;

pub use error::{NetworkError, Result, RowError};
pub use exposure::{blocked_set, exposure, Decision, Exposure, ExposureOptions, Status};
pub use graph::Graph;
pub use model::{Designation, Edge, EdgeKind, Node, NodeKind, Period};
pub use reach::{blocked_holdings, reach, GraphHit, Reach, ReachOptions};
pub use screening::{open_following, screening_reach, store_path};
pub use store::{ListFollow, OnExisting, Store};
