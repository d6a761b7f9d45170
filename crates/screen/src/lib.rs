//! Screening against the UN Security Council 1718 (DPRK) list and OFAC's DPRK programmes.
//!
//! - [`un`] and [`ofac`] read the published files into the FtM-shaped [`model`].
//! - [`store`] keeps imported versions on disk and switches the active one atomically.
//! - [`normalize`], [`korean`], [`wade_giles`], [`acronym`], [`nickname`] and [`compare`]
//!   turn names into comparable tokens and score them.
//! - [`matcher`] indexes all names and aliases and returns explained hits.
//! - [`regime_link`] attaches the measures that make a UN DPRK hit matter.

pub mod acronym;
mod align;
pub mod compare;
pub mod countries;
pub mod error;
pub mod eval;
mod index;
pub mod korean;
pub mod matcher;
pub mod model;
pub mod nickname;
pub mod normalize;
pub mod ofac;
pub mod piece;
pub mod regime_link;
pub mod remarks;
pub mod store;
pub mod un;
pub mod wade_giles;

pub use error::{ListError, QueryError, StoreError};
pub use matcher::{Decision, Hit, Matcher, Query, QueryDate, Screening, Thresholds};
pub use model::{Entity, ListSnapshot, Schema, Source};
pub use store::ListStore;
