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
//! The analyses read a [`embargo_trade::DprkTrade`]: the DPRK's rows as DataFusion condensed
//! them (`TradeStore::dprk_trade`: scan, filter, sum rows with the same keys, count the
//! rows no measure names), so they never hold a store's rows in memory. This crate builds
//! without the engine; the same functions over every row as read are the reference that
//! `tests/suite/plans.rs` holds the plan to.

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
