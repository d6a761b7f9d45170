//! The audit log: one record per screening or decision, appended to `audit_log` in the
//! embedded store (`DATA/server.sqlite`) and chained by SHA-256 ([`log`]). The server
//! appends through a group-committing writer thread ([`AuditLog`]); the command line
//! appends directly ([`append_now`]); both read the chain's head inside their
//! transaction, so they share one chain.

pub mod log;
pub mod store;

pub use log::*;
