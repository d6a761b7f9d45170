//! The line bound user files are read through (shared with the trade loaders).

pub use embargo_trade::bounded::{LineBound, MAX_LINE_BYTES};
