//! embargo-regime: the UN Security Council DPRK sanctions regime as data.
//!
//! The resolutions live in `data/regimes/dprk/*.toml`, one file per resolution, each
//! operative paragraph a typed [`Measure`] with dates, citations, confidence and sources.
//! This crate reads and validates those files and answers the one question everything
//! else in embargo asks: what was in force, for which goods, in which direction, on which
//! date. [`Regime::check`] classifies a shipment; [`CheckIndex`] does the same at batch
//! speed; [`Regime::goods_coverage`] is what trade analysis joins on.
//!
//! Dates: adoption dates are New York dates (the Council's own), and a measure is in force
//! from its adoption day. Trigger events are local (KST) dates, as the fact base gives them.

mod check;
mod country;
mod error;
mod hs;
mod hs_names;
mod index;
mod input;
mod load;
mod model;
mod nomenclature;
mod query;
mod relation;

pub use check::{limit_period, Assessment, Condition, ConditionKind, Finding, Shipment, Verdict};
pub use country::{Country, CountryError};
pub use error::{Issue, RegimeError, Severity};
pub use hs::{HsCode, HsError, HsMatch, HsSpec};
pub use hs_names::{describe_hs, hs_names, HsName};
pub use index::{citations_text, conditions_text, needs_full_check, CheckIndex, Segment};
pub use input::{ShipmentFieldError, ShipmentInput};
pub use load::paragraph_is_well_formed;
pub use model::*;
pub use nomenclature::{edition_in_force, EditionChoice, Nomenclature, HS_EDITIONS};
pub use query::{Change, ConfidenceCounts, RegimeDiff, ResolutionConfidence};
pub use relation::CoverageRow;
#[cfg(feature = "arrow")]
pub use relation::{coverage_batch, coverage_schema};

use std::collections::HashMap;
use std::path::Path;

/// The regime files shipped with embargo, embedded so the binary runs from anywhere.
const BUNDLED: &[(&str, &str)] = &[
    (
        "1718.toml",
        include_str!("../../../data/regimes/dprk/1718.toml"),
    ),
    (
        "1874.toml",
        include_str!("../../../data/regimes/dprk/1874.toml"),
    ),
    (
        "2087.toml",
        include_str!("../../../data/regimes/dprk/2087.toml"),
    ),
    (
        "2094.toml",
        include_str!("../../../data/regimes/dprk/2094.toml"),
    ),
    (
        "2270.toml",
        include_str!("../../../data/regimes/dprk/2270.toml"),
    ),
    (
        "2321.toml",
        include_str!("../../../data/regimes/dprk/2321.toml"),
    ),
    (
        "2356.toml",
        include_str!("../../../data/regimes/dprk/2356.toml"),
    ),
    (
        "2371.toml",
        include_str!("../../../data/regimes/dprk/2371.toml"),
    ),
    (
        "2375.toml",
        include_str!("../../../data/regimes/dprk/2375.toml"),
    ),
    (
        "2397.toml",
        include_str!("../../../data/regimes/dprk/2397.toml"),
    ),
];

/// A goods measure that covers an HS code.
#[derive(Debug, Clone, Copy)]
pub struct Coverage<'a> {
    pub measure: &'a Measure,
    pub entry: &'a HsEntry,
    /// False when the code asked about is coarser than the measure's code (chapter 27
    /// against heading 2701): only some goods under the code are covered.
    pub exact: bool,
}

/// Index of goods measures by HS prefix and direction.
#[derive(Debug, Default, Clone)]
struct HsIndex {
    /// (direction, key of a spec's code or chapter) -> (measure, entry)
    covered: HashMap<(Direction, u32), Vec<(usize, usize)>>,
    /// (direction, key of a shorter prefix of a spec's code) -> (measure, entry)
    children: HashMap<(Direction, u32), Vec<(usize, usize)>>,
}

/// All resolutions and measures, validated and indexed.
#[derive(Debug, Clone)]
pub struct Regime {
    resolutions: Vec<Resolution>,
    measures: Vec<Measure>,
    by_id: HashMap<String, usize>,
    /// measure id -> measures (exceptions, caps, wind-downs) that apply to it
    relaxers: HashMap<String, Vec<usize>>,
    hs_index: HsIndex,
    sources: Vec<(String, String)>,
}

impl Regime {
    /// The bundled regime (data/regimes/dprk at build time).
    pub fn bundled() -> Result<Regime, RegimeError> {
        Regime::from_sources(
            BUNDLED
                .iter()
                .map(|(n, t)| (format!("data/regimes/dprk/{n}"), t.to_string()))
                .collect(),
        )
    }

    /// Read every `*.toml` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Regime, RegimeError> {
        Regime::from_sources(read_dir_sources(dir)?)
    }

    /// Build from (file name, text) pairs. Fails with every problem found.
    pub fn from_sources(sources: Vec<(String, String)>) -> Result<Regime, RegimeError> {
        let (regime, issues) = Regime::build(sources);
        let errors: Vec<Issue> = issues
            .into_iter()
            .filter(|i| i.severity == Severity::Error)
            .collect();
        match regime {
            Some(r) if errors.is_empty() => Ok(r),
            _ => Err(RegimeError::Invalid(errors)),
        }
    }

    /// Validate files: every problem (errors and warnings), with file and line.
    /// With a nomenclature, also checks that each HS code exists in it.
    pub fn validate_sources(
        sources: Vec<(String, String)>,
        nomenclature: Option<&Nomenclature>,
    ) -> Vec<Issue> {
        let (regime, mut issues) = Regime::build(sources);
        if let Some(r) = &regime {
            issues.extend(r.semantic_issues());
            if let Some(n) = nomenclature {
                issues.extend(r.nomenclature_issues(n));
            }
        }
        issues.sort_by(|a, b| (a.file.as_str(), a.line).cmp(&(b.file.as_str(), b.line)));
        issues
    }

    fn build(sources: Vec<(String, String)>) -> (Option<Regime>, Vec<Issue>) {
        let mut issues = Vec::new();
        let mut loaded = load::Loaded {
            resolutions: Vec::new(),
            measures: Vec::new(),
            refs: Vec::new(),
        };
        for (name, text) in &sources {
            load::parse_file(name, text, &mut issues, &mut loaded);
        }
        load::link(&mut loaded, &mut issues);
        let mut resolutions = loaded.resolutions;
        resolutions.sort_by_key(|r| r.adopted);
        let measures = loaded.measures;
        let by_id: HashMap<String, usize> = measures
            .iter()
            .enumerate()
            .map(|(i, m)| (m.id.clone(), i))
            .collect();
        let mut relaxers: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in measures.iter().enumerate() {
            for target in m.applies_to() {
                relaxers.entry(target.clone()).or_default().push(i);
            }
        }
        let hs_index = build_hs_index(&measures);
        (
            Some(Regime {
                resolutions,
                measures,
                by_id,
                relaxers,
                hs_index,
                sources,
            }),
            issues,
        )
    }

    pub fn resolutions(&self) -> &[Resolution] {
        &self.resolutions
    }

    pub fn resolution(&self, number: &str) -> Option<&Resolution> {
        self.resolutions.iter().find(|r| r.number == number)
    }

    pub fn measures(&self) -> &[Measure] {
        &self.measures
    }

    pub fn measure(&self, id: &str) -> Option<&Measure> {
        self.by_id.get(id).map(|&i| &self.measures[i])
    }

    /// Measures of one paragraph. "29" also finds "29(a)" and "29(b)"; "Annex IV" finds the annex.
    pub fn paragraph(&self, resolution: &str, paragraph: &str) -> Vec<&Measure> {
        let p = paragraph
            .trim()
            .trim_start_matches("OP")
            .trim_start_matches("op")
            .trim();
        self.measures
            .iter()
            .filter(|m| {
                m.resolution == resolution
                    && (m.paragraph == p || m.paragraph.starts_with(&format!("{p}(")))
            })
            .collect()
    }

    /// The measures in force on a date, in file order.
    pub fn in_force(&self, date: chrono::NaiveDate) -> Vec<&Measure> {
        self.measures
            .iter()
            .filter(|m| m.in_force_on(date))
            .collect()
    }

    /// Exceptions, caps and wind-downs that name this measure in `applies_to`.
    pub fn relaxing(&self, id: &str) -> impl Iterator<Item = &Measure> {
        self.relaxers
            .get(id)
            .into_iter()
            .flatten()
            .map(|&i| &self.measures[i])
    }

    /// Goods bans and caps in force on `date` whose HS scope covers `hs` in `direction`.
    /// One entry per measure: the best-matching HS entry (exact and full first).
    pub fn goods_coverage(
        &self,
        hs: &HsCode,
        direction: Direction,
        date: chrono::NaiveDate,
    ) -> Vec<Coverage<'_>> {
        let mut best: Vec<Coverage<'_>> = Vec::new();
        let mut consider = |mi: usize, ei: usize, exact: bool| {
            let m = &self.measures[mi];
            if !m.in_force_on(date) {
                return;
            }
            let entry = &m.hs_scope()[ei];
            let rank = |c: &Coverage| (c.exact as u8) * 2 + (!c.entry.partial) as u8;
            let cand = Coverage {
                measure: m,
                entry,
                exact,
            };
            match best.iter_mut().find(|c| c.measure.id == m.id) {
                Some(c) if rank(&cand) > rank(c) => *c = cand,
                Some(_) => {}
                None => best.push(cand),
            }
        };
        for n in [2usize, 4, 6] {
            if n > hs.digits() {
                break;
            }
            if let Some(v) = self
                .hs_index
                .covered
                .get(&(direction, hs.truncate(n).key()))
            {
                for &(mi, ei) in v {
                    consider(mi, ei, true);
                }
            }
        }
        if let Some(v) = self.hs_index.children.get(&(direction, hs.key())) {
            for &(mi, ei) in v {
                consider(mi, ei, false);
            }
        }
        best.sort_by_key(|c| self.by_id.get(&c.measure.id).copied().unwrap_or(usize::MAX));
        best
    }

    /// Every HS entry of every measure (bans, caps, exceptions, wind-downs) that names
    /// `hs` or goods under it, and how: (measure index, entry index, match). Two codes with
    /// the same signature get the same answer from every question about goods the regime
    /// answers, on every date, so trade analyses may add their rows together.
    pub fn hs_signature(&self, hs: &HsCode) -> Vec<(usize, usize, HsMatch)> {
        let mut out = Vec::new();
        for (mi, m) in self.measures.iter().enumerate() {
            let entries = match &m.kind {
                MeasureKind::WindDown { hs, .. } => hs.as_slice(),
                _ => m.hs_scope(),
            };
            for (ei, e) in entries.iter().enumerate() {
                if let Some(how) = e.spec.matches(hs) {
                    out.push((mi, ei, how));
                }
            }
        }
        out
    }

    /// Measures that apply to a designated person, entity or vessel (asset freeze, travel
    /// ban, port entry ban...), optionally only those in force on a date.
    pub fn designation_measures(
        &self,
        target: TargetKind,
        date: Option<chrono::NaiveDate>,
    ) -> Vec<&Measure> {
        self.measures
            .iter()
            .filter(|m| matches!(&m.kind, MeasureKind::Designation { targets, .. } if targets.contains(&target)))
            .filter(|m| date.is_none_or(|d| m.in_force_on(d)))
            .collect()
    }

    /// The same regime without the resolutions for which `keep` is false. Used to show
    /// what a resolution changed (and by the property tests: a resolution never changes a
    /// verdict before its adoption). Links to dropped measures are dropped with them.
    pub fn restricted(&self, keep: impl Fn(&Resolution) -> bool) -> Result<Regime, RegimeError> {
        let files: Vec<&str> = self
            .resolutions
            .iter()
            .filter(|r| keep(r))
            .map(|r| r.origin.file.as_str())
            .collect();
        let kept: Vec<(String, String)> = self
            .sources
            .iter()
            .filter(|(n, _)| files.contains(&n.as_str()))
            .cloned()
            .collect();
        let ids: std::collections::HashSet<String> = self
            .measures
            .iter()
            .filter(|m| files.contains(&m.origin.file.as_str()))
            .map(|m| m.id.clone())
            .collect();
        // Drop references to measures of removed resolutions so that the subset loads.
        let cleaned = kept
            .into_iter()
            .map(|(n, t)| {
                let mut value: toml::Value = match toml::from_str(&t) {
                    Ok(v) => v,
                    Err(_) => return (n, t),
                };
                if let Some(ms) = value.get_mut("measure").and_then(|m| m.as_array_mut()) {
                    for m in ms.iter_mut() {
                        for key in ["supersedes", "applies_to"] {
                            if let Some(arr) = m.get_mut(key).and_then(|a| a.as_array_mut()) {
                                arr.retain(|x| x.as_str().is_some_and(|s| ids.contains(s)));
                            }
                        }
                    }
                }
                (n, toml::to_string(&value).unwrap_or(t))
            })
            .collect();
        Regime::from_sources(cleaned)
    }

    /// Build the batch index (see [`CheckIndex`]).
    pub fn check_index(&self) -> CheckIndex<'_> {
        CheckIndex::new(self)
    }

    /// Every goods measure (ban or cap) whose HS scope touches `hs` in `direction` on any
    /// date, with the measures that relax them: what can change this code's verdict.
    pub(crate) fn relevant_measures(&self, hs: &HsCode, direction: Direction) -> Vec<&Measure> {
        let mut idx: Vec<usize> = Vec::new();
        for n in [2usize, 4, 6] {
            if n > hs.digits() {
                break;
            }
            if let Some(v) = self
                .hs_index
                .covered
                .get(&(direction, hs.truncate(n).key()))
            {
                idx.extend(v.iter().map(|(m, _)| *m));
            }
        }
        if let Some(v) = self.hs_index.children.get(&(direction, hs.key())) {
            idx.extend(v.iter().map(|(m, _)| *m));
        }
        idx.sort_unstable();
        idx.dedup();
        let mut out: Vec<&Measure> = Vec::new();
        for i in idx {
            let m = &self.measures[i];
            out.push(m);
            out.extend(self.relaxing(&m.id));
        }
        out
    }

    /// Source files this regime was built from (name, text).
    pub fn sources(&self) -> &[(String, String)] {
        &self.sources
    }
}

fn build_hs_index(measures: &[Measure]) -> HsIndex {
    let mut idx = HsIndex::default();
    for (mi, m) in measures.iter().enumerate() {
        if !matches!(
            m.kind,
            MeasureKind::GoodsBan { .. } | MeasureKind::Cap { .. }
        ) {
            continue;
        }
        for &dir in m.directions() {
            for (ei, e) in m.hs_scope().iter().enumerate() {
                match &e.spec {
                    HsSpec::Code { code } => {
                        idx.covered
                            .entry((dir, code.key()))
                            .or_default()
                            .push((mi, ei));
                        for n in [2usize, 4] {
                            if n < code.digits() {
                                idx.children
                                    .entry((dir, code.truncate(n).key()))
                                    .or_default()
                                    .push((mi, ei));
                            }
                        }
                    }
                    HsSpec::ChapterRange { .. } => {
                        for c in e.spec.codes() {
                            idx.covered
                                .entry((dir, c.key()))
                                .or_default()
                                .push((mi, ei));
                        }
                    }
                }
            }
        }
    }
    idx
}

/// Read all `*.toml` files of a directory, sorted by name.
pub fn read_dir_sources(dir: &Path) -> Result<Vec<(String, String)>, RegimeError> {
    let io = |e: std::io::Error| RegimeError::Io {
        path: dir.display().to_string(),
        source: e,
    };
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(RegimeError::Empty(dir.display().to_string()));
    }
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).map_err(|e| RegimeError::Io {
                path: p.display().to_string(),
                source: e,
            })?;
            Ok((p.display().to_string(), text))
        })
        .collect()
}
