//! The embedded SQLite store (`DATA/server.sqlite`): API keys and the audit log (whose
//! tables, pragmas and read-only opening are `embargo_audit::store`'s).
//!
//! WAL mode so the audit writer and readers (key lookups, `audit export`) do not block
//! each other; `synchronous = FULL` so an acknowledged audit record survives a power
//! loss, not only a process crash. The audit table refuses UPDATE and DELETE through
//! triggers: the application cannot rewrite history by mistake, and anyone who goes
//! around the triggers is caught by the hash chain (see `audit`).

use rusqlite::Connection;
use std::path::Path;

pub use embargo_audit::store::{open_read_only, StoreError};

const KEYS_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS api_keys (
    id       TEXT PRIMARY KEY,
    label    TEXT NOT NULL,
    salt     BLOB NOT NULL,
    hash     BLOB NOT NULL,
    created  TEXT NOT NULL,
    revoked  TEXT
);
";

/// Open (creating when absent) the store at `path`: the audit log's tables
/// (`embargo_audit::store::open`) and the API keys'.
pub fn open(path: &Path) -> Result<Connection, StoreError> {
    let conn = embargo_audit::store::open(path)?;
    conn.execute_batch(KEYS_SCHEMA)
        .map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(conn)
}
