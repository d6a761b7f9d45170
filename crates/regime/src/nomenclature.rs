//! The HS nomenclature, to check that every code in the regime exists.
//! Reads the datasets/harmonized-system CSV (`section,hscode,description,parent,level`,
//! UTF-8 with a BOM), as in ../shared/data/harmonized-system/.

use crate::error::{Issue, RegimeError, Severity};
use crate::hs::HsCode;
use crate::{MeasureKind, Regime};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Default, Clone)]
pub struct Nomenclature {
    /// code -> (description, file it came from)
    codes: HashMap<HsCode, (String, String)>,
    pub files: Vec<String>,
}

impl Nomenclature {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an edition. Codes from several editions (HS 2017, HS 2022) are merged, so a
    /// code is accepted if any edition has it.
    pub fn add_file(&mut self, path: &Path) -> Result<usize, RegimeError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| RegimeError::Io {
            path: name.clone(),
            source: e,
        })?;
        self.add_text(&name, &text)
    }

    pub fn add_text(&mut self, name: &str, text: &str) -> Result<usize, RegimeError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers = rdr
            .headers()
            .map_err(|e| nomen_err(name, 1, "(header)", e.to_string()))?
            .clone();
        let col = |h: &str| headers.iter().position(|x| x == h);
        let (Some(code_col), Some(desc_col), Some(level_col)) =
            (col("hscode"), col("description"), col("level"))
        else {
            return Err(nomen_err(
                name,
                1,
                "(header)",
                "expected columns hscode, description, level".into(),
            ));
        };
        let mut n = 0;
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| nomen_err(name, line, "(record)", e.to_string()))?;
            let code = rec.get(code_col).unwrap_or("");
            let level = rec.get(level_col).unwrap_or("");
            if code.is_empty() && level.is_empty() {
                continue; // the HS 2017 file ends with one empty row `,,,,` (upstream quirk)
            }
            if !matches!(level, "2" | "4" | "6") {
                continue; // the TOTAL row (level 5)
            }
            let hs =
                HsCode::parse(code).map_err(|e| nomen_err(name, line, "hscode", e.to_string()))?;
            self.codes.insert(
                hs,
                (
                    rec.get(desc_col).unwrap_or("").to_string(),
                    name.to_string(),
                ),
            );
            n += 1;
        }
        self.files.push(name.to_string());
        Ok(n)
    }

    pub fn contains(&self, hs: &HsCode) -> bool {
        self.codes.contains_key(hs)
    }

    pub fn description(&self, hs: &HsCode) -> Option<&str> {
        self.codes.get(hs).map(|(d, _)| d.as_str())
    }

    pub fn len(&self) -> usize {
        self.codes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
}

fn nomen_err(path: &str, line: usize, field: &str, message: String) -> RegimeError {
    RegimeError::Nomenclature {
        path: path.to_string(),
        line,
        field: field.to_string(),
        message,
    }
}

impl Regime {
    pub(crate) fn nomenclature_issues(&self, n: &Nomenclature) -> Vec<Issue> {
        let mut out = Vec::new();
        for m in self.measures() {
            for e in m.hs_scope() {
                let codes = e.spec.codes();
                let last = codes.len().saturating_sub(1);
                for (k, code) in codes.iter().enumerate() {
                    if !n.contains(code) {
                        // Inside a chapter range a missing chapter is a reserved one (77):
                        // worth a warning, not an error. Named codes and range ends must exist.
                        let inner = matches!(e.spec, crate::HsSpec::ChapterRange { .. })
                            && k != 0
                            && k != last;
                        out.push(Issue {
                            severity: if inner {
                                Severity::Warning
                            } else {
                                Severity::Error
                            },
                            file: m.origin.file.clone(),
                            line: m.origin.line,
                            field: "hs".into(),
                            message: format!(
                                "{}: HS {code} is not in the nomenclature ({})",
                                m.id,
                                n.files.join(", ")
                            ),
                        });
                    }
                }
            }
        }
        out
    }

    /// Checks that need the whole regime: overlapping caps, exceptions that never meet
    /// the measure they relax, caps whose periods overlap within one measure.
    pub(crate) fn semantic_issues(&self) -> Vec<Issue> {
        let mut out = Vec::new();
        let ms = self.measures();
        let issue = |m: &crate::Measure, sev: Severity, field: &str, message: String| Issue {
            severity: sev,
            file: m.origin.file.clone(),
            line: m.origin.line,
            field: field.into(),
            message,
        };
        for (i, a) in ms.iter().enumerate() {
            // Two caps in force at once on overlapping goods in one direction contradict each other.
            if let MeasureKind::Cap { .. } = a.kind {
                for b in ms.iter().skip(i + 1) {
                    if !matches!(b.kind, MeasureKind::Cap { .. }) || !periods_overlap(a, b) {
                        continue;
                    }
                    let dirs_overlap = a.directions().iter().any(|d| b.directions().contains(d));
                    let goods_overlap = a
                        .hs_scope()
                        .iter()
                        .any(|x| b.hs_scope().iter().any(|y| specs_overlap(&x.spec, &y.spec)));
                    if dirs_overlap && goods_overlap {
                        out.push(issue(b, Severity::Error, "supersedes", format!("caps {} and {} are in force together on overlapping goods; one must supersede the other", a.id, b.id)));
                    }
                }
                if let MeasureKind::Cap { limits, .. } = &a.kind {
                    for (x, l1) in limits.iter().enumerate() {
                        for l2 in limits.iter().skip(x + 1) {
                            let end1 = l1.until.unwrap_or(chrono::NaiveDate::MAX);
                            let end2 = l2.until.unwrap_or(chrono::NaiveDate::MAX);
                            if l1.unit == l2.unit && l1.from <= end2 && l2.from <= end1 {
                                out.push(issue(
                                    a,
                                    Severity::Error,
                                    "limits",
                                    format!("{}: two {} limits overlap in time", a.id, l1.unit),
                                ));
                            }
                        }
                    }
                }
            }
            for target in a.applies_to() {
                if let Some(t) = self.measure(target) {
                    if !periods_overlap(a, t) {
                        out.push(issue(
                            a,
                            Severity::Warning,
                            "applies_to",
                            format!(
                                "{} is never in force together with {} which it applies to",
                                a.id, t.id
                            ),
                        ));
                    }
                }
            }
            if a.hs_scope().is_empty() && matches!(a.kind, MeasureKind::Cap { .. }) {
                out.push(issue(
                    a,
                    Severity::Warning,
                    "hs",
                    format!("cap {} has no HS scope: the check cannot apply it", a.id),
                ));
            }
        }
        out
    }
}

fn periods_overlap(a: &crate::Measure, b: &crate::Measure) -> bool {
    let ea = a.effective_until.unwrap_or(chrono::NaiveDate::MAX);
    let eb = b.effective_until.unwrap_or(chrono::NaiveDate::MAX);
    a.effective_from <= eb && b.effective_from <= ea
}

fn specs_overlap(a: &crate::HsSpec, b: &crate::HsSpec) -> bool {
    a.codes().iter().any(|x| b.matches(x).is_some())
        || b.codes().iter().any(|y| a.matches(y).is_some())
}
