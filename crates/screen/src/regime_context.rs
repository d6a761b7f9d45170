//! What makes a hit matter, as plain data: the type a `Hit` carries and
//! `regime_link` fills from the regime files. Kept apart from both so that the
//! matcher knows nothing of the regime and the link needs nothing of the matcher's insides.

use serde::Serialize;

/// One measure that applies to the hit, as a citation.
#[derive(Debug, Clone, Serialize)]
pub struct AppliedMeasure {
    pub measure: String,
    pub resolution: String,
    pub paragraph: String,
    pub title: String,
    pub confidence: String,
    pub in_force: bool,
}

/// The regime context of a hit.
#[derive(Debug, Clone, Serialize)]
pub struct RegimeContext {
    /// `UN 1718` for the UN DPRK list; `US OFAC` programmes otherwise.
    pub regime: String,
    pub target: String,
    pub measures: Vec<AppliedMeasure>,
    /// The resolution whose annex listed the entry, when the listing date equals a
    /// resolution's adoption date; otherwise the listing was by the 1718 Committee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designated_by_resolution: Option<String>,
    pub note: String,
}
