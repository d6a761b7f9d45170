//! Errors of the book: bad input names its file, line and field; store errors name the file.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum BookError {
    #[error("{file}:{line}: field {field}: {message}")]
    Input {
        file: PathBuf,
        line: u64,
        field: String,
        message: String,
    },
    #[error("{file}: {message}")]
    File { file: PathBuf, message: String },
    #[error("{file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("book store {file}: {source}")]
    Sqlite {
        file: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("book store {file}: {message}")]
    Corrupt { file: PathBuf, message: String },
    #[error(transparent)]
    Lists(#[from] embargo_screen::StoreError),
    #[error(
        "the file would remove {removed} of the book's {records} records (more than {:.0}%): \
         a cut or partial file? Nothing was changed; to import it as the whole book anyway, \
         allow the shrink (--allow-shrink)",
        max_share * 100.0
    )]
    Shrink {
        removed: usize,
        records: usize,
        max_share: f64,
    },
    #[error("no record {0} in the book")]
    NoRecord(String),
    #[error("no alert {0}")]
    NoAlert(i64),
    #[error("alert {id} is {status}: only an open or escalated alert takes a decision")]
    AlertClosed { id: i64, status: String },
    #[error("book record {id:?} cannot be screened: {message}")]
    Unscreenable { id: String, message: String },
    #[error("a decision needs a reason")]
    NoReason,
}

pub type Result<T> = std::result::Result<T, BookError>;
