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
    /// The file is not a whole publication: empty, cut mid-record, without the closing
    /// root element or the publisher's date. `line` is where the reader noticed.
    #[error("{file}:{line}: incomplete list file: {message}")]
    Incomplete {
        file: PathBuf,
        line: usize,
        message: String,
    },
    /// The file is larger than the reader accepts (a list file is a few MB).
    #[error("{file}: {bytes} bytes or more, over the {limit}-byte limit for a list file")]
    TooLarge {
        file: PathBuf,
        bytes: u64,
        limit: u64,
    },
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
    /// The new version would drop more of the active version's entries than allowed.
    #[error(
        "{file}: refused: the new {list} list has {new_entities} entries and lacks {dropped} of \
         the {active_entities} entries of the active version {active_version} ({:.1}%, more \
         than the {:.1}% allowed); if the publisher really removed them, import again with \
         --allow-shrink (HTTP: ?allow_shrink=true)",
        *.dropped as f64 * 100.0 / (*.active_entities).max(1) as f64,
        .max_share * 100.0
    )]
    Shrink {
        file: PathBuf,
        list: String,
        active_version: String,
        active_entities: usize,
        new_entities: usize,
        dropped: usize,
        max_share: f64,
    },
}

/// Errors of a screening query or batch file.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("empty name: nothing to screen")]
    EmptyName,
    /// A name over [`MAX_NAME_BYTES`](crate::matcher::MAX_NAME_BYTES) bytes or
    /// [`MAX_NAME_TOKENS`](crate::matcher::MAX_NAME_TOKENS) words.
    #[error("name of {bytes} bytes and {tokens} words: the limit is {max_bytes} bytes and {max_tokens} words (the longest listed name has 346 bytes and 52 words)")]
    NameTooLong {
        bytes: usize,
        tokens: usize,
        max_bytes: usize,
        max_tokens: usize,
    },
    /// `rule` says which rule the number breaks (length or check digit).
    #[error("IMO {input}: {rule}")]
    BadImo { input: String, rule: String },
    /// The name reads as one IMO number and the IMO field gives another.
    #[error("the name is IMO {in_name} but the IMO field is {field}: give one IMO number")]
    ImoTwice { in_name: String, field: String },
    #[error("birth date {0:?}: expected YYYY, YYYY-MM or YYYY-MM-DD")]
    BadDate(String),
    #[error("unknown schema {0:?}: use person, organization, company or vessel")]
    BadSchema(String),
}

impl QueryError {
    /// The request field the error is about: `name`, `imo`, `dob` or `schema`.
    pub fn field(&self) -> &'static str {
        match self {
            QueryError::EmptyName | QueryError::NameTooLong { .. } => "name",
            QueryError::BadImo { .. } | QueryError::ImoTwice { .. } => "imo",
            QueryError::BadDate(_) => "dob",
            QueryError::BadSchema(_) => "schema",
        }
    }
}
