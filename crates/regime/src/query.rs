//! What changed between two dates.

use crate::model::Measure;
use crate::Regime;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Change<'a> {
    pub measure: &'a Measure,
    /// For a measure that ended: the measure that superseded it, if any.
    pub superseded_by: Option<String>,
}

/// Measures in force on `to` but not on `from` (added) and the reverse (removed).
#[derive(Debug, Clone, Serialize)]
pub struct RegimeDiff<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub added: Vec<Change<'a>>,
    pub removed: Vec<Change<'a>>,
    pub unchanged: usize,
}

impl Regime {
    pub fn diff(&self, from: NaiveDate, to: NaiveDate) -> RegimeDiff<'_> {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let mut unchanged = 0;
        for m in self.measures() {
            match (m.in_force_on(from), m.in_force_on(to)) {
                (false, true) => added.push(Change {
                    measure: m,
                    superseded_by: None,
                }),
                (true, false) => removed.push(Change {
                    measure: m,
                    superseded_by: m.superseded_by.clone(),
                }),
                (true, true) => unchanged += 1,
                (false, false) => {}
            }
        }
        RegimeDiff {
            from,
            to,
            added,
            removed,
            unchanged,
        }
    }
}
