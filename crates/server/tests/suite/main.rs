//! This crate's integration tests, linked as one binary (one link, not one per file: a
//! test binary that carries the engine is hundreds of megabytes); each module is one subject.

mod alerts;
mod analysis;
mod api;
mod cancel;
mod common;
mod contracts;
mod e2e_chromium;
mod network;
mod openapi;
mod response_schemas;
mod screening;
#[cfg(feature = "trade-store")]
mod trade;
mod wire;
