//! Evaluation on labelled name pairs (nomenklatura's name_bench `cases.csv` format:
//! `case_group,schema,name1,name2,is_match,quality,category,notes`), and the frozen
//! logic-v2 run beside it (same columns plus `case_id,score,predicted_match,outcome`).

use std::path::Path;

use serde::Serialize;

use crate::error::ListError;
use crate::matcher::acronyms_between;
use crate::model::Schema;
use embargo_names::compare::{compare_names, CompareParams};

#[derive(Debug, Clone, Serialize)]
pub struct Case {
    pub line: usize,
    pub group: String,
    pub schema: String,
    pub name1: String,
    pub name2: String,
    pub is_match: bool,
    pub notes: String,
    pub category: String,
    /// Score given by another system (the frozen logic-v2 file).
    pub reference_score: Option<f64>,
}

impl Case {
    /// Korean/DPRK rows: notes mention Korean, DPRK or the UN list, or a name is in Hangul.
    pub fn is_korean(&self) -> bool {
        let n = self.notes.to_lowercase();
        n.contains("korea")
            || n.contains("dprk")
            || n.contains("un-list")
            || n.contains("un-listed")
            || self
                .name1
                .chars()
                .chain(self.name2.chars())
                .any(embargo_names::korean::is_hangul_syllable)
    }
}

/// Read a cases file; the logic-v2 frozen file is recognised by its `score` column.
pub fn read_cases(path: &Path) -> Result<Vec<Case>, ListError> {
    let bytes = std::fs::read(path).map_err(|source| ListError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes.as_slice());
    let headers = rdr
        .headers()
        .map_err(|e| ListError::Csv {
            file: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let col = |name: &str| headers.iter().position(|h| h == name);
    let need = |name: &str| {
        col(name).ok_or_else(|| ListError::field(path, 1, name, "column missing from the header"))
    };
    let (c_group, c_schema, c_n1, c_n2, c_match) = (
        need("case_group")?,
        need("schema")?,
        need("name1")?,
        need("name2")?,
        need("is_match")?,
    );
    let c_notes = col("notes");
    let c_cat = col("category");
    let c_score = col("score");
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| ListError::Csv {
            file: path.to_path_buf(),
            line,
            message: e.to_string(),
        })?;
        let get = |c: usize| rec.get(c).unwrap_or("").to_string();
        let is_match = match get(c_match).trim().to_ascii_lowercase().as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(ListError::field(
                    path,
                    line,
                    "is_match",
                    format!("{other:?} is not true/false"),
                ))
            }
        };
        let reference_score = match c_score {
            Some(c) => Some(get(c).trim().parse::<f64>().map_err(|_| {
                ListError::field(path, line, "score", format!("{:?} is not a number", get(c)))
            })?),
            None => None,
        };
        out.push(Case {
            line,
            group: get(c_group),
            schema: get(c_schema),
            name1: get(c_n1),
            name2: get(c_n2),
            is_match,
            notes: c_notes.map(get).unwrap_or_default(),
            category: c_cat.map(get).unwrap_or_default(),
            reference_score,
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct Metrics {
    pub threshold: f64,
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
    pub tn: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// Precision, recall and F1 of `score >= threshold` against the labels.
pub fn metrics(scored: &[(bool, f64)], threshold: f64) -> Metrics {
    let (mut tp, mut fp, mut fn_, mut tn) = (0, 0, 0, 0);
    for &(label, s) in scored {
        match (label, s >= threshold) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (true, false) => fn_ += 1,
            (false, false) => tn += 1,
        }
    }
    let precision = if tp + fp > 0 {
        tp as f64 / (tp + fp) as f64
    } else {
        0.0
    };
    let recall = if tp + fn_ > 0 {
        tp as f64 / (tp + fn_) as f64
    } else {
        0.0
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    Metrics {
        threshold,
        tp,
        fp,
        fn_,
        tn,
        precision,
        recall,
        f1,
    }
}

/// The threshold (on a 0.01 grid) with the highest F1.
pub fn best(scored: &[(bool, f64)]) -> Metrics {
    let mut best = metrics(scored, 0.0);
    for i in 1..=100 {
        let m = metrics(scored, i as f64 / 100.0);
        if m.f1 > best.f1 {
            best = m;
        }
    }
    best
}

#[derive(Debug, Clone, Serialize)]
pub struct ScoredCase {
    pub case: Case,
    pub score: f64,
}

/// Score every case with our pairwise comparison, as the matcher compares a query of the
/// case's schema with a listed name of that schema (acronyms by the matcher's rule,
/// `matcher::acronyms_between`).
pub fn score_cases(cases: &[Case], params: &CompareParams) -> Vec<ScoredCase> {
    cases
        .iter()
        .map(|c| {
            let family = Schema::parse(&c.schema).map(Schema::family);
            let params = CompareParams {
                acronyms: params.acronyms && acronyms_between(family, family),
                ..*params
            };
            ScoredCase {
                score: compare_names(&c.name1, &c.name2, &params)
                    .map(|r| r.score)
                    .unwrap_or(0.0),
                case: c.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_by_hand() {
        let s = [(true, 0.9), (true, 0.6), (false, 0.8), (false, 0.1)];
        let m = metrics(&s, 0.7);
        assert_eq!((m.tp, m.fp, m.fn_, m.tn), (1, 1, 1, 1));
        assert!((m.f1 - 0.5).abs() < 1e-9);
        let b = best(&s);
        assert_eq!(b.threshold, 0.11);
        assert!((b.f1 - 0.8).abs() < 1e-9);
    }
}
