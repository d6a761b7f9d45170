//! The analysis data files bundled with embargo (data/proposals, data/estimates,
//! data/events), compiled in so commands work offline from any directory. Each can also
//! be read from a path given on the command line.

use serde::de::DeserializeOwned;

use crate::error::AnalysisError;

pub const PROPOSALS: &[(&str, &str)] = &[(
    "china-russia-2019",
    include_str!("../../../data/proposals/china-russia-2019.toml"),
)];
pub const WORKERS: (&str, &str) = (
    "data/estimates/workers.toml",
    include_str!("../../../data/estimates/workers.toml"),
);
pub const TOURISM: (&str, &str) = (
    "data/estimates/tourism.toml",
    include_str!("../../../data/estimates/tourism.toml"),
);
pub const EVENTS: (&str, &str) = (
    "data/events/dprk-events.toml",
    include_str!("../../../data/events/dprk-events.toml"),
);

/// Parses TOML text into `T`, with file and line in errors.
pub fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, AnalysisError> {
    toml::from_str(text).map_err(|e| AnalysisError::toml(file, text, e))
}

/// Reads a file given by the user.
pub fn read(path: &std::path::Path) -> Result<(String, String), AnalysisError> {
    let text = std::fs::read_to_string(path).map_err(|e| AnalysisError::io(path.display(), e))?;
    Ok((path.display().to_string(), text))
}

/// A bundled proposal by name, or a proposal file by path.
pub fn proposal_source(name_or_path: &str) -> Result<(String, String), AnalysisError> {
    let stem = name_or_path.trim_end_matches(".toml");
    let stem = stem.rsplit('/').next().unwrap_or(stem);
    let path = std::path::Path::new(name_or_path);
    if path.exists() {
        return read(path);
    }
    PROPOSALS
        .iter()
        .find(|(n, _)| *n == stem)
        .map(|(n, t)| (format!("data/proposals/{n}.toml"), t.to_string()))
        .ok_or_else(|| {
            AnalysisError::Invalid(format!(
                "no proposal `{name_or_path}`: give a file path or one of: {}",
                PROPOSALS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
}
