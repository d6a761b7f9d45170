//! Typed errors. Input errors always name the file, the line and the field.

use std::path::PathBuf;

/// One problem in one input row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub file: String,
    pub line: u64,
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // List-derived problems have no line (line 0): the field names the entry.
        if self.line == 0 {
            write!(f, "{}: field `{}`: {}", self.file, self.field, self.message)
        } else {
            write!(
                f,
                "{}:{}: field `{}`: {}",
                self.file, self.line, self.field, self.message
            )
        }
    }
}

fn lists_read(lists: &[(String, String)]) -> String {
    if lists.is_empty() {
        return "none imported; `embargo lists import` brings the UN or OFAC list".into();
    }
    lists
        .iter()
        .map(|(source, version)| format!("{source} version {version}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn join_rows(rows: &[RowError]) -> String {
    const SHOWN: usize = 20;
    let mut out: Vec<String> = rows.iter().take(SHOWN).map(|r| r.to_string()).collect();
    if rows.len() > SHOWN {
        out.push(format!("... and {} more", rows.len() - SHOWN));
    }
    out.join("\n")
}

#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The whole file was rejected; nothing from it was stored.
    #[error("{count} invalid row(s), nothing imported:\n{}", join_rows(.rows))]
    InvalidRows { count: usize, rows: Vec<RowError> },
    #[error("{file}: {message}")]
    InvalidFile { file: String, message: String },
    #[error("store {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no entity matches `{0}` (give an id such as ofac:9345, un:KPe.001, imo:9020015, or an exact name)")]
    UnknownEntity(String),
    #[error("`{query}` is ambiguous; candidates: {}", .candidates.join(", "))]
    AmbiguousEntity {
        query: String,
        candidates: Vec<String>,
    },
    /// No list entry and no imported vessel record has this IMO number. `lists` names the
    /// list versions read (source and version).
    #[error("not found: no list or registry entry for IMO {imo} (lists read: {})", lists_read(.lists))]
    VesselNotFound {
        imo: crate::vessel::Imo,
        lists: Vec<(String, String)>,
    },
    #[error("invalid IMO number `{input}`: {reason}")]
    InvalidImo { input: String, reason: String },
    /// A list file embargo-screen's reader rejected.
    #[error("list file {file}: {message}")]
    List { file: String, message: String },
    /// An import under a name in use, without asking to replace it.
    #[error("import name `{name}`: {reason}")]
    NameInUse { name: String, reason: &'static str },
    /// The screening list store the graph follows could not be read.
    #[error("reading the active lists: {0}")]
    Lists(String),
    #[error("flag registry data {file}: {message}")]
    Registry { file: String, message: String },
}

impl NetworkError {
    pub(crate) fn rows(rows: Vec<RowError>) -> Self {
        NetworkError::InvalidRows {
            count: rows.len(),
            rows,
        }
    }
}

pub type Result<T> = std::result::Result<T, NetworkError>;
