//! This crate's integration tests, linked as one binary (one link, not one per file: a
//! test binary that carries the engine is hundreds of megabytes); each module is one subject.

mod baci;
#[cfg(feature = "store")]
mod check_function;
mod fetch;
mod layout;
#[cfg(feature = "store")]
mod loaders;
