//! embargo-analysis: the seeds' analysis as code. Trade rows (from `embargo-trade`) are
//! joined to the regime (`embargo-regime`) by HS code, direction and date:
//!
//! - [`exposure`]: value covered by each measure per period, share, dominant measure;
//! - [`relief`]: what a proposal lifting paragraphs would restore (data/proposals);
//! - [`estimates`]: workers abroad and tourism (data/estimates);
//! - [`signals`]: flows after bans, cap use, livelihood leakage;
//! - [`timeline`]: days from provocation to resolution (data/events);
//! - [`report`]: all of it as HTML with SVG/PNG charts.
//!
//! Nothing here uses DataFusion: the numbers come from plain iteration over records, so
//! the library and the command line give the same numbers whatever the store.

pub mod coverage;
pub mod data;
pub mod error;
pub mod estimates;
pub mod exposure;
pub mod period;
pub mod relief;
pub mod report;
pub mod signals;
pub mod timeline;

pub use error::AnalysisError;
