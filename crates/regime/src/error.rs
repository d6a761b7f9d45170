//! Errors and validation findings. Every problem names the file, line and field.

use serde::Serialize;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in the regime files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {sev}: {}: {}",
            self.file, self.line, self.field, self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegimeError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("no regime files (*.toml) in {0}")]
    Empty(String),
    #[error("{} problem(s) in the regime files:\n{}", .0.len(), .0.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Issue>),
    #[error("{path}:{line}: {field}: {message}")]
    Nomenclature {
        path: String,
        line: usize,
        field: String,
        message: String,
    },
}
