//! Request handlers, one module per area. Handlers translate HTTP to library calls and
//! back; the answers themselves come from the library crates.

pub mod analysis;
pub mod book;
pub mod compat;
pub mod network;
pub mod ops;
pub mod params;
pub mod reconcile;
pub mod regime;
pub mod screen;
#[cfg(feature = "trade-store")]
pub mod trade;
pub mod web;
pub mod yente;
