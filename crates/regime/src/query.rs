//! What changed between two dates.

use crate::model::{Confidence, Measure};
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

/// How many measures carry each confidence tag.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConfidenceCounts {
    pub confirmed: usize,
    pub partly: usize,
    pub unconfirmed: usize,
}

impl ConfidenceCounts {
    fn add(&mut self, c: Confidence) {
        match c {
            Confidence::Confirmed => self.confirmed += 1,
            Confidence::Partly => self.partly += 1,
            Confidence::Unconfirmed => self.unconfirmed += 1,
        }
    }
}

/// One resolution's measures by confidence: what the fact base confirms and what is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResolutionConfidence {
    pub resolution: String,
    pub measures: usize,
    /// Confidence in what the measures say.
    pub content: ConfidenceCounts,
    /// Confidence in their operative-paragraph numbers.
    pub paragraph: ConfidenceCounts,
    /// Citations ("2270 OP30") whose paragraph number is not confirmed, each once.
    pub open_paragraphs: Vec<String>,
    /// Measures whose content is not confirmed.
    pub open_content: Vec<String>,
}

impl Regime {
    /// Per resolution, in adoption order: measures by content and paragraph confidence,
    /// and the paragraphs and measures still open.
    pub fn confidence_summary(&self) -> Vec<ResolutionConfidence> {
        self.resolutions()
            .iter()
            .map(|r| {
                let mut row = ResolutionConfidence {
                    resolution: r.number.clone(),
                    measures: 0,
                    content: ConfidenceCounts::default(),
                    paragraph: ConfidenceCounts::default(),
                    open_paragraphs: Vec::new(),
                    open_content: Vec::new(),
                };
                for m in self.measures().iter().filter(|m| m.resolution == r.number) {
                    row.measures += 1;
                    row.content.add(m.confidence);
                    row.paragraph.add(m.paragraph_confidence);
                    let cite = m.short_citation();
                    if m.paragraph_confidence != Confidence::Confirmed
                        && !row.open_paragraphs.contains(&cite)
                    {
                        row.open_paragraphs.push(cite);
                    }
                    if m.confidence != Confidence::Confirmed {
                        row.open_content.push(m.id.clone());
                    }
                }
                row
            })
            .collect()
    }
}
