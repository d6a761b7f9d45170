//! This crate's integration tests, linked as one binary (one link, not one per file: a
//! test binary that carries the engine is hundreds of megabytes); each module is one subject.

mod blocks;
mod fields;
