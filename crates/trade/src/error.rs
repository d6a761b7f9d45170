//! Typed errors for the trade store. Parse errors carry file, line and field so a user
//! can fix the input without guessing.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TradeError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A value in a row that cannot be read.
    #[error("{file}: {at}: field `{field}`: {message}")]
    Field {
        file: String,
        at: Location,
        field: String,
        message: String,
    },
    /// The file as a whole is not in a format we know (missing columns, not JSON, ...).
    #[error("{file}: {message}")]
    Format { file: String, message: String },
    /// Too many malformed rows: the file is probably not what the user thinks it is.
    #[error("{file}: {skipped} malformed rows (first: {first_at}, field `{first_field}`: {first_message}); more than the allowed {limit}")]
    TooManyBadRows {
        file: String,
        skipped: usize,
        limit: usize,
        first_at: Location,
        first_field: String,
        first_message: String,
    },
    /// A file of an import failed; nothing of the import was added to the store.
    #[error(
        "{error} — import of {files} file(s) stopped at {file}; nothing was added to the store"
    )]
    ImportFailed {
        file: String,
        files: usize,
        /// What went wrong in that file (kept in the message, not as a `source`, so that
        /// it is printed once).
        error: Box<TradeError>,
    },
    #[error("invalid query: {0}")]
    Query(String),
    /// The engine a store was given ([`TradeStore::with_engine`](crate::TradeStore::with_engine))
    /// could not make a session; the message names it.
    #[error("{0}")]
    Session(String),
    #[cfg(feature = "store")]
    #[error("query engine: {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[cfg(feature = "store")]
    #[error("arrow: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[cfg(feature = "store")]
    #[error("parquet: {0}")]
    Parquet(#[from] datafusion::parquet::errors::ParquetError),
}

impl TradeError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TradeError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Where in a file a bad value sits: a CSV line (1-based, the header is line 1) or the
/// n-th record of a JSON array (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    Line(u64),
    Record(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record(n) => write!(f, "record {n}"),
        }
    }
}
