//! Relief scenarios: what a proposal that lifts paragraphs would restore. Proposals are
//! data (data/proposals/*.toml) that name paragraphs; the goods each paragraph bans come
//! from the regime, and the money from the trade rows those goods cover in a baseline.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use embargo_regime::{Confidence, Direction, Measure, MeasureKind, Regime};
use embargo_trade::{Level, TradeRecord};
use serde::{Deserialize, Serialize};

use crate::coverage::{covered_by, direction, drop_nested};
use crate::data;
use crate::error::AnalysisError;
use crate::estimates::{self, Range, Workers};
use crate::exposure::counterpart;

pub(crate) fn toml_date<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    let dt = toml::value::Datetime::deserialize(d)?;
    dt.date
        .and_then(|x| {
            NaiveDate::from_ymd_opt(i32::from(x.year), u32::from(x.month), u32::from(x.day))
        })
        .ok_or_else(|| serde::de::Error::custom("expected a date (YYYY-MM-DD)"))
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalHeader {
    pub id: String,
    pub title: String,
    #[serde(deserialize_with = "toml_date")]
    pub circulated: NaiveDate,
    pub status: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Lift {
    pub resolution: String,
    pub paragraph: String,
    pub label: String,
    pub confidence: Confidence,
    #[serde(default)]
    pub disputed: bool,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    pub id: String,
    pub kind: String,
    pub description: String,
    #[serde(default)]
    pub relaxes: Option<String>,
    #[serde(default)]
    pub direction: Option<Direction>,
    #[serde(default)]
    pub hs: Vec<String>,
    #[serde(default)]
    pub hs_confidence: Option<Confidence>,
    #[serde(default)]
    pub list_complete: Option<bool>,
    pub confidence: Confidence,
    pub quantified: bool,
    pub sources: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub proposal: ProposalHeader,
    #[serde(default)]
    pub lift: Vec<Lift>,
    #[serde(default)]
    pub exemption: Vec<Exemption>,
}

impl Proposal {
    /// A bundled proposal by name (`china-russia-2019`) or a file path.
    pub fn load(name_or_path: &str) -> Result<Proposal, AnalysisError> {
        let (file, text) = data::proposal_source(name_or_path)?;
        Proposal::parse(&file, &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Proposal, AnalysisError> {
        let p: Proposal = data::parse(file, text)?;
        for e in &p.exemption {
            for code in &e.hs {
                embargo_regime::HsCode::parse(code).map_err(|err| AnalysisError::Data {
                    file: file.into(),
                    line: None,
                    message: format!("exemption `{}`: hs `{code}`: {err}", e.id),
                })?;
            }
        }
        Ok(p)
    }
}

#[derive(Debug, Clone)]
pub struct ReliefOptions {
    /// Inclusive range of baseline years (pre-sanction exports).
    pub baseline: (i32, i32),
    pub include_disputed: bool,
}

impl Default for ReliefOptions {
    fn default() -> Self {
        ReliefOptions {
            baseline: (2016, 2016),
            include_disputed: false,
        }
    }
}

/// One estimate: the covered value in one year, for one counterpart, in one series.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub year: i32,
    pub counterpart: String,
    pub series: String,
    pub value_usd: f64,
    pub rows: u64,
    pub category_level: bool,
    pub exact: bool,
    /// Weakest status among the rows.
    pub status: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiftResult {
    pub citation: String,
    pub label: String,
    pub confidence: Confidence,
    pub disputed: bool,
    pub applied: bool,
    pub measures: Vec<String>,
    /// goods, labour, other, or not_in_regime.
    pub kind: String,
    pub restored: Option<Range>,
    pub share: Option<Range>,
    pub estimates: Vec<Estimate>,
    /// The years the estimates come from ("2016", or the fallback year).
    pub years_used: Vec<i32>,
    pub sources: Vec<String>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LabourRelief {
    pub lifts: Vec<String>,
    pub earnings: Range,
    pub workers: f64,
    pub sources: Vec<String>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Relief {
    pub proposal: ProposalHeader,
    pub baseline: (i32, i32),
    pub lifts: Vec<LiftResult>,
    /// Pre-sanction DPRK exports in the baseline (the share's denominator).
    pub pre_sanction_exports: Option<Range>,
    pub pre_sanction_estimates: Vec<Estimate>,
    pub goods_restored: Range,
    pub goods_share: Option<Range>,
    pub labour: Option<LabourRelief>,
    pub total: Range,
    pub exemptions: Vec<Exemption>,
    pub notes: Vec<String>,
}

fn status_rank(s: &str) -> u8 {
    match s {
        "confirmed" => 0,
        "derived" => 1,
        _ => 2,
    }
}

/// Rows (with their "exact" flag) by (year, counterpart, series).
type EstimateGroups<'r> = BTreeMap<(i32, String, String), Vec<(&'r TradeRecord, bool)>>;

/// Groups rows into estimates by (year, counterpart, series), nested categories counted once.
pub(crate) fn estimates_of(rows: &[(&TradeRecord, bool)]) -> Vec<Estimate> {
    let mut groups: EstimateGroups = BTreeMap::new();
    for (r, exact) in rows {
        groups
            .entry((r.period.year, counterpart(r).to_string(), r.series.clone()))
            .or_default()
            .push((r, *exact));
    }
    let mut out = Vec::new();
    for ((year, cp, series), rs) in groups {
        // Annual figures only; monthly rows would be partial years.
        let annual: Vec<&TradeRecord> = rs
            .iter()
            .filter(|(r, _)| r.period.month.is_none())
            .map(|(r, _)| *r)
            .collect();
        if annual.is_empty() {
            continue;
        }
        let kept = drop_nested(&annual);
        let mut sources: Vec<String> = kept.iter().map(|r| r.source.clone()).collect();
        sources.sort();
        sources.dedup();
        let status = kept
            .iter()
            .map(|r| r.status.as_str())
            .max_by_key(|s| status_rank(s))
            .unwrap_or("confirmed")
            .to_string();
        out.push(Estimate {
            year,
            counterpart: cp,
            series,
            value_usd: kept.iter().map(|r| r.value_usd).sum(),
            rows: kept.iter().map(|r| r.rows).sum(),
            category_level: kept.iter().any(|r| r.level == Level::Category),
            exact: rs.iter().all(|(_, e)| *e),
            status,
            sources,
        });
    }
    out
}

/// low = min, central = mean, high = max of the estimates.
pub(crate) fn range_of(est: &[Estimate]) -> Option<Range> {
    if est.is_empty() {
        return None;
    }
    let vals: Vec<f64> = est.iter().map(|e| e.value_usd).collect();
    let low = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let high = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Some(Range {
        low,
        central: vals.iter().sum::<f64>() / vals.len() as f64,
        high,
    })
}

/// Estimates in the baseline years, else from the nearest year that has any (flagged).
fn in_baseline(all: Vec<Estimate>, baseline: (i32, i32), notes: &mut Vec<String>) -> Vec<Estimate> {
    let inside: Vec<Estimate> = all
        .iter()
        .filter(|e| e.year >= baseline.0 && e.year <= baseline.1)
        .cloned()
        .collect();
    if !inside.is_empty() || all.is_empty() {
        return inside;
    }
    let dist = |y: i32| {
        if y < baseline.0 {
            baseline.0 - y
        } else {
            y - baseline.1
        }
    };
    let Some(best) = all.iter().map(|e| (dist(e.year), e.year)).min() else {
        return inside;
    };
    notes.push(format!(
        "no figure in the baseline {}; the nearest year with data, {}, is used instead",
        crate::signals::fmt_years(baseline),
        best.1
    ));
    all.into_iter().filter(|e| e.year == best.1).collect()
}

fn scale(r: Range, by: f64) -> Range {
    Range {
        low: r.low / by,
        central: r.central / by,
        high: r.high / by,
    }
}

/// Computes the relief a proposal would give, on `records`, with workers' earnings from
/// `workers` for lifted labour paragraphs.
pub fn relief(
    regime: &Regime,
    records: &[TradeRecord],
    proposal: &Proposal,
    workers: &Workers,
    opts: &ReliefOptions,
) -> Relief {
    let exports: Vec<&TradeRecord> = records
        .iter()
        .filter(|r| direction(r) == Some(Direction::FromDprk))
        .collect();
    let mut notes = Vec::new();
    let pre_estimates = pre_sanction_estimates(&exports, opts, &mut notes);
    let pre = range_of(&pre_estimates);

    let mut lifts = Vec::new();
    let mut goods = Range::point(0.0);
    let mut labour_lifts = Vec::new();
    for lift in &proposal.lift {
        let result = lift_result(regime, &exports, lift, pre, opts);
        if result.kind == "goods" && result.applied {
            if let Some(r) = result.restored {
                goods = goods.plus(r);
            }
        }
        if result.kind == "labour" && result.applied {
            labour_lifts.push(result.citation.clone());
        }
        lifts.push(result);
    }
    for l in &mut lifts {
        let mut years: Vec<i32> = l.estimates.iter().map(|e| e.year).collect();
        years.sort();
        years.dedup();
        l.years_used = years;
    }
    let labour = (!labour_lifts.is_empty()).then(|| labour_relief(labour_lifts, workers));
    let total = labour.as_ref().map_or(goods, |l| goods.plus(l.earnings));
    if proposal.exemption.iter().any(|e| !e.quantified) {
        notes.push("exemptions are listed but not quantified: no source gives their value".into());
    }
    Relief {
        proposal: proposal.proposal.clone(),
        baseline: opts.baseline,
        goods_share: pre
            .filter(|p| p.central > 0.0)
            .map(|p| scale(goods, p.central)),
        pre_sanction_exports: pre,
        pre_sanction_estimates: pre_estimates,
        goods_restored: goods,
        labour,
        total,
        lifts,
        exemptions: proposal.exemption.clone(),
        notes,
    }
}

/// Denominator: total DPRK exports in the baseline; world totals preferred (any other
/// counterpart's totals when there is no world figure for the baseline years).
fn pre_sanction_estimates(
    exports: &[&TradeRecord],
    opts: &ReliefOptions,
    notes: &mut Vec<String>,
) -> Vec<Estimate> {
    let totals: Vec<(&TradeRecord, bool)> = exports
        .iter()
        .filter(|r| r.level == Level::Total)
        .map(|r| (*r, true))
        .collect();
    let all_totals = estimates_of(&totals);
    let world: Vec<Estimate> = all_totals
        .iter()
        .filter(|e| e.counterpart == "WLD")
        .cloned()
        .collect();
    let pool = if world
        .iter()
        .any(|e| e.year >= opts.baseline.0 && e.year <= opts.baseline.1)
    {
        world
    } else {
        all_totals
    };
    in_baseline(pool, opts.baseline, notes)
}

/// What lifting one paragraph gives: its kind (goods, labour, other, not_in_regime), for
/// goods the trade restored and its share of `pre`, with notes on how it was estimated.
/// `years_used` is filled in by the caller.
fn lift_result(
    regime: &Regime,
    exports: &[&TradeRecord],
    lift: &Lift,
    pre: Option<Range>,
    opts: &ReliefOptions,
) -> LiftResult {
    let applied = !lift.disputed || opts.include_disputed;
    let measures = regime.paragraph(&lift.resolution, &lift.paragraph);
    let citation = format!("{} OP{}", lift.resolution, lift.paragraph);
    let mut lnotes: Vec<String> = lift.note.iter().cloned().collect();
    let goods_measures: Vec<_> = measures
        .iter()
        .filter(|m| {
            matches!(m.kind, MeasureKind::GoodsBan { .. })
                && m.directions().contains(&Direction::FromDprk)
        })
        .copied()
        .collect();
    let is_labour = measures
        .iter()
        .any(|m| matches!(m.kind, MeasureKind::Labour { .. }));
    let kind = if measures.is_empty() {
        lnotes.push(format!(
            "{citation} is not in the regime data; nothing computed"
        ));
        "not_in_regime"
    } else if !goods_measures.is_empty() {
        "goods"
    } else if is_labour {
        "labour"
    } else {
        "other"
    };
    let mut estimates = Vec::new();
    let mut restored = None;
    if kind == "goods" {
        estimates = goods_estimates(regime, exports, &goods_measures, opts, &mut lnotes);
        restored = range_of(&estimates);
        goods_notes(&estimates, restored, &citation, lift, &mut lnotes);
    }
    if kind == "labour" && applied {
        lnotes.push("earnings of workers abroad: counted once for all lifted labour paragraphs (see labour relief)".into());
    }
    if !applied {
        lnotes.push(
            "disputed: not applied unless disputed lifts are asked for (option include_disputed)"
                .into(),
        );
    }
    LiftResult {
        citation,
        label: lift.label.clone(),
        confidence: lift.confidence,
        disputed: lift.disputed,
        applied,
        measures: measures.iter().map(|m| m.id.clone()).collect(),
        kind: kind.to_string(),
        share: match (restored, pre) {
            (Some(r), Some(p)) if p.central > 0.0 => Some(scale(r, p.central)),
            _ => None,
        },
        restored,
        estimates,
        years_used: Vec::new(),
        sources: lift.sources.clone(),
        notes: lnotes,
    }
}

/// The baseline estimates of the exports under the lifted goods bans: detail records only,
/// each exact when every ban covering it covers it exactly.
fn goods_estimates(
    regime: &Regime,
    exports: &[&TradeRecord],
    goods_measures: &[&Measure],
    opts: &ReliefOptions,
    lnotes: &mut Vec<String>,
) -> Vec<Estimate> {
    let covered: Vec<(&TradeRecord, bool)> = exports
        .iter()
        .filter(|r| r.level != Level::Total)
        .filter_map(|r| {
            goods_measures
                .iter()
                .filter_map(|m| covered_by(regime, r, m))
                .map(|(exact, _)| exact)
                .reduce(|a, b| a && b)
                .map(|exact| (*r, exact))
        })
        .collect();
    in_baseline(estimates_of(&covered), opts.baseline, lnotes)
}

/// Notes on a goods lift's estimate: no figure at all, category-level figures, a range
/// over several series.
fn goods_notes(
    estimates: &[Estimate],
    restored: Option<Range>,
    citation: &str,
    lift: &Lift,
    lnotes: &mut Vec<String>,
) {
    if restored.is_none() {
        lnotes.push(format!(
            "no trade figure for the goods of {citation} ({}) in the data",
            lift.label
        ));
    }
    if estimates.iter().any(|e| e.category_level) {
        lnotes.push("category-level published figures, not HS-level statistics".into());
    }
    if estimates.len() > 1 {
        lnotes.push(
            "range across series and counterparts: low = smallest, central = mean, high = largest"
                .into(),
        );
    }
}

/// The earnings of workers abroad, counted once for all the lifted labour paragraphs.
fn labour_relief(labour_lifts: Vec<String>, workers: &Workers) -> LabourRelief {
    let w = estimates::workers(workers, &estimates::WorkerOverrides::default());
    LabourRelief {
        lifts: labour_lifts,
        earnings: w.earnings,
        workers: w.workers,
        sources: w.sources,
        note: "annual earnings of ≈100,000 workers abroad (USD 200–500m; central = midpoint, derived). Lifting the ban on new authorizations and the repatriation requirement would let these earnings continue rather than add new ones".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_proposal_parses_and_encodes_the_five_lifts() {
        let p = Proposal::load("china-russia-2019").unwrap();
        let undisputed: Vec<String> = p
            .lift
            .iter()
            .filter(|l| !l.disputed)
            .map(|l| format!("{} OP{}", l.resolution, l.paragraph))
            .collect();
        assert_eq!(
            undisputed,
            [
                "2321 OP29",
                "2371 OP9",
                "2375 OP16",
                "2375 OP17",
                "2397 OP8"
            ]
        );
        let mach = p
            .exemption
            .iter()
            .find(|e| e.id == "machinery-vehicles")
            .unwrap();
        assert_eq!(mach.hs, ["8471"]);
        assert_eq!(mach.list_complete, Some(false));
    }

    #[test]
    fn bad_proposal_names_file_and_line() {
        let err = Proposal::parse("p.toml", "[proposal]\nid = 3\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.toml:2:"), "{err}");
    }
}
