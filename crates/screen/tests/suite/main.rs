//! This crate's integration tests, linked as one binary (one link, not one per file: a
//! test binary that carries the engine is hundreds of megabytes); each module is one subject.

mod completeness;
mod invisible;
mod korean_eval;
mod module_graph;
mod properties;
mod readers;
mod screening;
