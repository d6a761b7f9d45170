//! Reading user files: the two guards every reader of a user's delimited file goes
//! through. [`bounded::LineBound`] refuses endless lines (a file without line ends, a
//! quote left open) before a buffer grows without limit; [`blocks`] cuts a file into
//! blocks of whole records, each with the line of its first record, so that worker
//! threads parse them in parallel and still report errors by line; [`fields`] reads
//! the fields of hot paths (dates) from bytes; [`bounded::ends_inside_a_line`] tells a
//! file whose last line has no end (perhaps cut short).
//!
//! This crate knows nothing of shipments, trade rows or names: it hands out bytes and
//! line numbers.

pub mod blocks;
pub mod bounded;
pub mod fields;
