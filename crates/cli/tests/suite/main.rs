//! This crate's integration tests, linked as one binary (one link, not one per file: a
//! test binary that carries the engine is hundreds of megabytes); each module is one subject.

mod book_alerts;
mod check_in_sql;
mod cli_and_api;
mod cluster;
mod common;
mod integrity;
mod network_lists;
mod readme_tour;
mod regime_check;
mod screen_in_sql;
mod screen_network;
mod screen_shapes;
mod trade_baci_fetch;
mod trade_exposure;
mod vessels_from_lists;
