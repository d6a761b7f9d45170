//! The HS nomenclature, to check that every code in the regime exists in the edition of
//! the Harmonized System in force when its resolution was adopted (a measure of 2017 is
//! written in HS 2017: 2397's HS 8803 was dropped by HS 2022).
//! Reads the datasets/harmonized-system CSV (`section,hscode,description,parent,level`,
//! UTF-8 with a BOM), as in ../shared/data/harmonized-system/.

use crate::error::{Issue, RegimeError, Severity};
use crate::hs::HsCode;
use crate::{MeasureKind, Regime};
use chrono::{Datelike, NaiveDate};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The years the WCO's HS editions entered into force (1 January).
pub const HS_EDITIONS: [i32; 5] = [2002, 2007, 2012, 2017, 2022];

/// The HS edition in force on a date (HS 2002 for anything earlier).
pub fn edition_in_force(date: NaiveDate) -> i32 {
    HS_EDITIONS
        .iter()
        .copied()
        .filter(|&y| y <= date.year())
        .max()
        .unwrap_or(HS_EDITIONS[0])
}

/// One loaded file: its edition when the file says it (its TOTAL row, "HS2022") or its
/// name does ("…hs2017…"), and its codes.
#[derive(Debug, Clone)]
pub struct Edition {
    pub year: Option<i32>,
    pub file: String,
    codes: HashSet<HsCode>,
}

/// Which edition a date's codes are checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditionChoice {
    /// The edition in force on the date.
    pub in_force: i32,
    /// The loaded edition used: the one in force, else the nearest loaded (later on a tie).
    pub used: Option<i32>,
}

#[derive(Debug, Default, Clone)]
pub struct Nomenclature {
    /// code -> (description, file it came from)
    codes: HashMap<HsCode, (String, String)>,
    pub files: Vec<String>,
    pub editions: Vec<Edition>,
}

impl Nomenclature {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add an edition. Descriptions of several editions are merged (the first file's
    /// wins); validation checks each code against the edition of its resolution's date.
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
        let mut year = edition_in_name(name);
        let mut edition_codes = HashSet::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| nomen_err(name, line, "(record)", e.to_string()))?;
            let code = rec.get(code_col).unwrap_or("");
            let level = rec.get(level_col).unwrap_or("");
            if code.is_empty() && level.is_empty() {
                continue; // the HS 2017 file ends with one empty row `,,,,` (upstream quirk)
            }
            if !matches!(level, "2" | "4" | "6") {
                // The TOTAL row (level 5) may name the edition: "Total of all HS2022 commodities".
                if let Some(y) = rec.get(desc_col).and_then(edition_in_text) {
                    year = Some(y);
                }
                continue;
            }
            let hs =
                HsCode::parse(code).map_err(|e| nomen_err(name, line, "hscode", e.to_string()))?;
            edition_codes.insert(hs);
            self.codes.entry(hs).or_insert_with(|| {
                (
                    rec.get(desc_col).unwrap_or("").to_string(),
                    name.to_string(),
                )
            });
            n += 1;
        }
        self.files.push(name.to_string());
        self.editions.push(Edition {
            year,
            file: name.to_string(),
            codes: edition_codes,
        });
        Ok(n)
    }

    /// The edition to check a code of `date` against: the one in force when loaded, else
    /// the nearest loaded dated edition. `used` is `None` when no file said its edition.
    pub fn edition_for(&self, date: NaiveDate) -> EditionChoice {
        let in_force = edition_in_force(date);
        let used = self
            .editions
            .iter()
            .filter_map(|e| e.year)
            .min_by_key(|&y| ((y - in_force).abs(), -y));
        EditionChoice { in_force, used }
    }

    /// Whether the loaded edition of `year` has `hs`.
    pub fn edition_contains(&self, year: i32, hs: &HsCode) -> bool {
        self.editions
            .iter()
            .any(|e| e.year == Some(year) && e.codes.contains(hs))
    }

    /// The loaded editions (years) that have `hs`.
    pub fn editions_with(&self, hs: &HsCode) -> Vec<i32> {
        let mut out: Vec<i32> = self
            .editions
            .iter()
            .filter(|e| e.codes.contains(hs))
            .filter_map(|e| e.year)
            .collect();
        out.sort_unstable();
        out.dedup();
        out
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

/// "HS2022", "HS 2017" in a text.
fn edition_in_text(text: &str) -> Option<i32> {
    let upper = text.to_ascii_uppercase();
    let at = upper.find("HS")?;
    let digits: String = upper[at + 2..]
        .trim_start_matches([' ', '_', '-'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let year: i32 = digits.parse().ok()?;
    HS_EDITIONS.contains(&year).then_some(year)
}

/// The edition a file's name gives ("harmonized-system-hs2017.csv").
fn edition_in_name(path: &str) -> Option<i32> {
    let name = Path::new(path).file_name()?.to_str()?;
    edition_in_text(name)
}

/// "HS 2017, the edition in force on 2017-12-22" or "HS 2017 (HS 2012 was in force on
/// 2016-03-02 and is not loaded)".
fn edition_words(choice: &EditionChoice, date: NaiveDate) -> String {
    match choice.used {
        Some(u) if u == choice.in_force => format!("HS {u}, the edition in force on {date}"),
        Some(u) => format!(
            "HS {u}: HS {} was in force on {date} and is not loaded",
            choice.in_force
        ),
        None => "no dated edition loaded".to_string(),
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
            // The edition in force when the resolution was adopted (its measures' own
            // start when the resolution is not in the files).
            let date = self
                .resolution(&m.resolution)
                .map_or(m.effective_from, |r| r.adopted);
            let choice = n.edition_for(date);
            for e in m.hs_scope() {
                let codes = e.spec.codes();
                let last = codes.len().saturating_sub(1);
                for (k, code) in codes.iter().enumerate() {
                    // Inside a chapter range a missing chapter is a reserved one (77):
                    // worth a warning, not an error. Named codes and range ends must exist.
                    let inner =
                        matches!(e.spec, crate::HsSpec::ChapterRange { .. }) && k != 0 && k != last;
                    let missing = if inner {
                        Severity::Warning
                    } else {
                        Severity::Error
                    };
                    let issue = |severity, message| Issue {
                        severity,
                        file: m.origin.file.clone(),
                        line: m.origin.line,
                        field: "hs".into(),
                        message,
                    };
                    if let Some(used) = choice.used {
                        if n.edition_contains(used, code) {
                            continue;
                        }
                        let against = edition_words(&choice, date);
                        let elsewhere = n.editions_with(code);
                        if elsewhere.is_empty() && !n.contains(code) {
                            out.push(issue(
                                missing,
                                format!(
                                    "{}: HS {code} is not in the nomenclature ({against}; no loaded edition has it)",
                                    m.id
                                ),
                            ));
                        } else {
                            let found = elsewhere
                                .iter()
                                .map(|y| format!("HS {y}"))
                                .collect::<Vec<_>>()
                                .join(", ");
                            out.push(issue(
                                Severity::Warning,
                                format!(
                                    "{}: HS {code} is not in the edition it was checked against ({against}); found in {}",
                                    m.id,
                                    if found.is_empty() { "an undated file".to_string() } else { found }
                                ),
                            ));
                        }
                    } else if !n.contains(code) {
                        out.push(issue(
                            missing,
                            format!(
                                "{}: HS {code} is not in the nomenclature ({})",
                                m.id,
                                n.files.join(", ")
                            ),
                        ));
                    }
                }
            }
        }
        out
    }

    /// Which edition each resolution's codes are checked against (for the summary).
    pub fn hs_editions_used(&self, n: &Nomenclature) -> Vec<(String, NaiveDate, EditionChoice)> {
        self.resolutions()
            .iter()
            .map(|r| (r.number.clone(), r.adopted, n.edition_for(r.adopted)))
            .collect()
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
