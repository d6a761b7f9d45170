//! Typed errors. Every input error names the file, the line and (where there is one) the field.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("{file}: cannot read: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}:{line}: malformed XML: {message}")]
    Xml {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{file}:{line}: field {field}: {message}")]
    Field {
        file: PathBuf,
        line: usize,
        field: String,
        message: String,
    },
    #[error("{file}:{line}: malformed CSV record: {message}")]
    Csv {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{file}: {message}")]
    Format { file: PathBuf, message: String },
}

impl ListError {
    pub fn field(
        file: &std::path::Path,
        line: usize,
        field: &str,
        message: impl Into<String>,
    ) -> ListError {
        ListError::Field {
            file: file.to_path_buf(),
            line,
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// Errors of the on-disk list store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    List(#[from] ListError),
    #[error("{path}: corrupt store file: {message}")]
    Corrupt { path: PathBuf, message: String },
    #[error("no active {list} list in {dir}; run `embargo lists import FILE` first")]
    NoActive { list: String, dir: PathBuf },
    #[error("cannot tell which list {path} is; pass --source un|ofac")]
    UnknownSource { path: PathBuf },
    #[error("download of {url} failed: {message}")]
    Fetch { url: String, message: String },
}

/// Errors of a screening query or batch file.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("empty name: nothing to screen")]
    EmptyName,
    #[error("--imo {0}: not a 7-digit IMO number with a valid check digit")]
    BadImo(String),
    #[error("--dob {0}: expected YYYY, YYYY-MM or YYYY-MM-DD")]
    BadDate(String),
    #[error("unknown schema {0:?}: use person, organization, company or vessel")]
    BadSchema(String),
}
