//! Evaluation of whole screenings against the loaded lists: each case is a query (name,
//! schema, country) and the entries it must find as `match` (or `-`: it must find none).
//! Kinds group the cases (Hangul organisation names, short forms, look-alikes ...) and each
//! kind gets its own precision and recall. The file format:
//!
//! `kind,query,schema,country,expect,source` — `expect` is `-` or list ids joined by `|`
//! (`un:KPe.025|ofac:11581`: any of them is the right entry); `#` lines are comments.
//!
//! A case is a true positive when the decision is `match` and the top hit is an expected
//! entry; a `match` on any other entry is a false positive (and, for a case that expects
//! one, also a false negative); no `match` where one is expected is a false negative.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::error::ListError;
use crate::matcher::{Decision, Matcher, Query, Thresholds};
use crate::model::Schema;

#[derive(Debug, Clone, Serialize)]
pub struct ScreeningCase {
    pub line: usize,
    pub kind: String,
    pub query: String,
    pub schema: Option<Schema>,
    pub country: Option<String>,
    /// `source:id` of the entries that are right; empty: nothing may match.
    pub expect: Vec<String>,
    pub source: String,
}

/// What one case gave.
#[derive(Debug, Clone, Serialize)]
pub struct CaseOutcome {
    pub line: usize,
    pub kind: String,
    pub query: String,
    pub expect: Vec<String>,
    pub decision: Decision,
    /// `source:id` and score of the top hit, when there is one.
    pub top: Option<(String, f64)>,
    pub correct: bool,
}

/// Counts and rates of one kind (or of all).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct KindMetrics {
    pub cases: usize,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
    /// `None` when nothing was predicted (precision) or expected (recall).
    pub precision: Option<f64>,
    pub recall: Option<f64>,
}

/// Read a screening cases file.
pub fn read_screening_cases(path: &Path) -> Result<Vec<ScreeningCase>, ListError> {
    let text = std::fs::read_to_string(path).map_err(|source| ListError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| ListError::Csv {
            file: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line() as usize),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(0, |p| p.line() as usize);
        let field = |k: usize| rec.get(k).unwrap_or("").trim().to_string();
        let schema = match field(2).as_str() {
            "" => None,
            s => Some(
                Schema::parse(s)
                    .ok_or_else(|| ListError::field(path, line, "schema", format!("{s:?}")))?,
            ),
        };
        let expect = match field(4).as_str() {
            "-" => Vec::new(),
            "" => {
                return Err(ListError::field(
                    path,
                    line,
                    "expect",
                    "empty (write - for none)",
                ))
            }
            s => s.split('|').map(|x| x.trim().to_string()).collect(),
        };
        let kind = field(0);
        let query = unescape(&field(1))
            .ok_or_else(|| ListError::field(path, line, "query", "bad \\u{...} escape"))?;
        if kind.is_empty() || query.is_empty() {
            return Err(ListError::field(path, line, "kind/query", "empty"));
        }
        out.push(ScreeningCase {
            line,
            kind,
            query,
            schema,
            country: Some(field(3)).filter(|c| !c.is_empty()),
            expect,
            source: field(5),
        });
    }
    Ok(out)
}

/// `\u{XXXX}` escapes become their characters, so invisible ones stay visible in the file.
fn unescape(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(k) = rest.find("\\u{") {
        out.push_str(rest.get(..k)?);
        let after = rest.get(k + 3..)?;
        let end = after.find('}')?;
        let code = u32::from_str_radix(after.get(..end)?, 16).ok()?;
        out.push(char::from_u32(code)?);
        rest = after.get(end + 1..)?;
    }
    out.push_str(rest);
    Some(out)
}

/// Screen every case.
pub fn run_screening_cases(
    matcher: &Matcher,
    cases: &[ScreeningCase],
    thresholds: &Thresholds,
) -> Vec<CaseOutcome> {
    cases
        .iter()
        .map(|c| {
            let query = Query {
                name: c.query.clone(),
                schema: c.schema,
                country: c.country.clone(),
                ..Query::default()
            };
            let screening = matcher.screen(&query, thresholds).ok();
            let top = screening
                .as_ref()
                .and_then(|s| s.hits.first())
                .map(|h| (format!("{}:{}", h.source.as_str(), h.id), h.score));
            let decision = screening.map_or(Decision::NoMatch, |s| s.decision);
            let right_top = top.as_ref().is_some_and(|(id, _)| c.expect.contains(id));
            let correct = if c.expect.is_empty() {
                decision != Decision::Match
            } else {
                decision == Decision::Match && right_top
            };
            CaseOutcome {
                line: c.line,
                kind: c.kind.clone(),
                query: c.query.clone(),
                expect: c.expect.clone(),
                decision,
                top,
                correct,
            }
        })
        .collect()
}

/// Metrics per kind, plus `all`.
pub fn metrics_by_kind(outcomes: &[CaseOutcome]) -> BTreeMap<String, KindMetrics> {
    let mut out: BTreeMap<String, KindMetrics> = BTreeMap::new();
    for o in outcomes {
        for key in [o.kind.as_str(), "all"] {
            let m = out.entry(key.to_string()).or_default();
            m.cases += 1;
            let matched = o.decision == Decision::Match;
            match (o.expect.is_empty(), matched, o.correct) {
                (false, true, true) => m.tp += 1,
                (false, true, false) => {
                    m.fp += 1;
                    m.fn_ += 1;
                }
                (false, false, _) => m.fn_ += 1,
                (true, true, _) => m.fp += 1,
                (true, false, _) => m.tn += 1,
            }
        }
    }
    for m in out.values_mut() {
        let rate = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
        m.precision = rate(m.tp, m.fp);
        m.recall = rate(m.tp, m.fn_);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_write_invisible_characters() {
        assert_eq!(unescape("A\\u{200B}B").as_deref(), Some("A\u{200B}B"));
        assert_eq!(unescape("plain").as_deref(), Some("plain"));
        assert_eq!(unescape("bad\\u{zz}"), None);
    }
}
