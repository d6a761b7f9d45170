//! Typed errors of the analysis crate.

#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A data file (proposal, estimates, events) that does not parse; `line` is 1-based
    /// when the TOML parser knows it.
    #[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Data {
        file: String,
        line: Option<usize>,
        message: String,
    },
    #[error(transparent)]
    Trade(#[from] embargo_trade::TradeError),
    #[error("regime: {0}")]
    Regime(String),
    #[error("{0}")]
    Invalid(String),
    #[error("chart rendering: {0}")]
    Render(String),
}

impl AnalysisError {
    pub(crate) fn io(path: impl std::fmt::Display, source: std::io::Error) -> Self {
        AnalysisError::Io {
            path: path.to_string(),
            source,
        }
    }

    /// A TOML error with its line number (computed from the byte span).
    pub(crate) fn toml(file: &str, text: &str, err: toml::de::Error) -> Self {
        let line = err
            .span()
            .map(|s| text.get(..s.start).map_or(0, |t| t.matches('\n').count()) + 1);
        AnalysisError::Data {
            file: file.to_string(),
            line,
            message: err.message().to_string(),
        }
    }
}
