//! embargo-trade: trade records, loaders for real trade files, and (feature `store`) a
//! Parquet store queried with Apache DataFusion.
//!
//! The DPRK publishes no trade statistics. Everything here is read from its partners'
//! declarations (the *mirror*): the DPRK's exports are its partners' imports from it.
//! [`TradeRecord::is_dprk_export`] and the query layer's [`Side`] make that explicit.

pub mod bundled;
#[cfg(feature = "store")]
pub mod condensed;
pub mod country;
pub mod dprk;
pub mod error;
pub mod fetch;
#[cfg(feature = "store")]
pub mod field_sums;
#[cfg(feature = "store")]
pub mod functions;
#[cfg(feature = "store")]
mod groups;
pub mod hs;
pub mod load;
pub mod record;
#[cfg(feature = "store")]
pub mod store;
#[cfg(feature = "store")]
mod text_chunk;

/// The type of the functions [`TradeStore::with_functions`] takes.
#[cfg(feature = "store")]
pub use datafusion::logical_expr::ScalarUDF;
pub use dprk::{ClassOf, DprkTrade, OutsideScope};
pub use error::{Location, TradeError};
pub use hs::HsField;
pub use load::{load_path, load_reader, stream_path, Format, LoadOptions, LoadReport, Skipped};
pub use record::{Flow, Level, Period, Status, TradeRecord};
#[cfg(feature = "store")]
pub use store::{
    ContextMaker, DataRead, Dataset, FileRead, Grouping, QueryResult, QuerySpec, Side, TradeStore,
};
