//! Exposure: how much of the DPRK's trade each measure covered, per period, and which
//! measure dominated. Rows are grouped by period, counterpart (who bought from or sold
//! to the DPRK: `CN`, or `WLD` for compilers' world totals) and statistical series, so
//! that figures from different series are never added together.

use std::collections::{BTreeMap, HashMap};

use embargo_regime::{Direction, Regime};
use embargo_trade::{DprkTrade, HsField, Level, Period, TradeRecord};
use serde::Serialize;

use crate::coverage::{direction, drop_nested, row_coverage, RowCoverage};

/// The DPRK's counterpart in a row: the reporter for mirror rows, the partner for rows a
/// compiler attributes to the DPRK.
pub fn counterpart(rec: &TradeRecord) -> &str {
    rec.dprk_counterpart()
}

/// The class of an HS field for the engine plan (`TradeStore::dprk_trade`): `None` when
/// no goods measure names its goods (such rows are only counted), else a key that is the
/// same for two fields exactly when every measure entry names their codes in the same way
/// (`Regime::hs_signature`, code by code). Every analysis here reads a row's HS field
/// only through those entries, so the engine may add up rows of one class.
pub fn scope_class(regime: &Regime) -> embargo_trade::ClassOf {
    let regime = std::sync::Arc::new(regime.clone());
    std::sync::Arc::new(move |hs: &HsField| {
        let codes = hs.codes();
        let mut key = format!("{}:", codes.len());
        let mut named = false;
        for c in &codes {
            let sig = embargo_regime::HsCode::parse(c)
                .map(|code| regime.hs_signature(&code))
                .unwrap_or_default();
            named |= sig.iter().any(|(mi, _, _)| {
                regime.measures().get(*mi).is_some_and(|m| {
                    matches!(
                        m.kind,
                        embargo_regime::MeasureKind::GoodsBan { .. }
                            | embargo_regime::MeasureKind::Cap { .. }
                    )
                })
            });
            key.push('[');
            for (mi, ei, how) in sig {
                key.push_str(&format!("{mi}.{ei}.{how:?},"));
            }
            key.push(']');
        }
        named.then_some(key)
    })
}

/// Value covered by one measure in one group.
#[derive(Debug, Clone, Serialize)]
pub struct MeasureExposure {
    pub period: String,
    pub counterpart: String,
    pub series: String,
    pub measure: String,
    pub citation: String,
    pub title: String,
    pub value_usd: f64,
    pub rows: u64,
    /// All rows matched at the measure's own HS precision.
    pub exact: bool,
    /// Some rows are published categories, not HS-level statistics.
    pub category_level: bool,
    /// Days of the period in which the measure was in force (a measure adopted in August
    /// covers part of an annual figure; annual data cannot say which part).
    pub days_in_force: i64,
    pub days_in_period: i64,
}

/// Totals of one group.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodExposure {
    pub period: String,
    pub year: i32,
    pub month: Option<u8>,
    pub counterpart: String,
    pub series: String,
    /// Value of rows covered by at least one measure (nested categories counted once).
    pub covered_usd: f64,
    /// Total exports in the same period and counterpart, when a total row exists.
    pub total_usd: Option<f64>,
    /// Series of the total; differs from `series` when the same series has no total.
    pub total_series: Option<String>,
    pub share: Option<f64>,
    pub dominant_measure: Option<String>,
    pub category_level: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub direction: Direction,
    pub measures: Vec<MeasureExposure>,
    pub periods: Vec<PeriodExposure>,
    /// Goods rows (not totals) that no measure covers.
    pub uncovered_rows: u64,
    pub goods_rows: u64,
}

type GroupKey = (Period, String, String);

/// Rows one measure covers in one group, while grouping.
struct MeasureAcc<'r> {
    rows: Vec<&'r TradeRecord>,
    exact: bool,
    days_in_force: i64,
    days_in_period: i64,
    citation: String,
    title: String,
}

/// Exposure of the DPRK's trade in `direction` (usually [`Direction::FromDprk`]).
pub fn exposure(regime: &Regime, trade: &DprkTrade, dir: Direction) -> Exposure {
    let mut by_group: BTreeMap<GroupKey, Vec<&TradeRecord>> = BTreeMap::new();
    let mut totals: BTreeMap<(Period, String), Vec<&TradeRecord>> = BTreeMap::new();
    // Rows outside every measure's scope: counted in their group, never covered.
    let mut outside: BTreeMap<GroupKey, u64> = BTreeMap::new();
    for o in &trade.outside {
        let d = if o.is_dprk_export() {
            Some(Direction::FromDprk)
        } else if o.is_dprk_import() {
            Some(Direction::ToDprk)
        } else {
            None
        };
        if d == Some(dir) {
            *outside
                .entry((o.period, o.dprk_counterpart().to_string(), o.series.clone()))
                .or_default() += o.rows;
        }
    }
    for key in outside.keys() {
        by_group.entry(key.clone()).or_default();
    }
    for r in trade.records.iter().filter(|r| direction(r) == Some(dir)) {
        if r.level == Level::Total {
            totals
                .entry((r.period, counterpart(r).to_string()))
                .or_default()
                .push(r);
        } else {
            by_group
                .entry((r.period, counterpart(r).to_string(), r.series.clone()))
                .or_default()
                .push(r);
        }
    }
    // The coverage of a row depends only on its HS field, period and direction; large
    // HS-level datasets repeat those a lot, so it is computed once per combination.
    let mut cache: HashMap<(String, Period, bool), Vec<RowCoverage<'_>>> = HashMap::new();
    let mut measures = Vec::new();
    let mut periods = Vec::new();
    let (mut uncovered_rows, mut goods_rows) = (0, 0);
    for ((period, cp, series), rows) in &by_group {
        let outside_rows = outside
            .get(&(*period, cp.clone(), series.clone()))
            .copied()
            .unwrap_or(0);
        goods_rows += rows.iter().map(|r| r.rows).sum::<u64>() + outside_rows;
        uncovered_rows += outside_rows;
        // measure id -> rows it covers
        let mut per_measure: BTreeMap<String, MeasureAcc> = BTreeMap::new();
        let mut covered: Vec<&TradeRecord> = Vec::new();
        for r in rows {
            let key = (r.hs.as_str().to_string(), r.period, r.is_dprk_export());
            let cov = cache
                .entry(key)
                .or_insert_with(|| row_coverage(regime, r))
                .clone();
            if cov.is_empty() {
                uncovered_rows += r.rows;
                continue;
            }
            covered.push(r);
            for c in cov {
                let e = per_measure
                    .entry(c.measure.id.clone())
                    .or_insert_with(|| MeasureAcc {
                        rows: Vec::new(),
                        exact: true,
                        days_in_force: c.days_in_force,
                        days_in_period: c.days_in_period,
                        citation: c.measure.short_citation(),
                        title: c.measure.title.clone(),
                    });
                e.rows.push(r);
                e.exact &= c.exact;
            }
        }
        let mut dominant: Option<(String, f64)> = None;
        for (id, acc) in per_measure {
            let kept = drop_nested(&acc.rows);
            let value: f64 = kept.iter().map(|r| r.value_usd).sum();
            if dominant.as_ref().is_none_or(|(_, v)| value > *v) {
                dominant = Some((id.clone(), value));
            }
            measures.push(MeasureExposure {
                period: period.to_string(),
                counterpart: cp.clone(),
                series: series.clone(),
                measure: id,
                citation: acc.citation,
                title: acc.title,
                value_usd: value,
                rows: kept.iter().map(|r| r.rows).sum(),
                exact: acc.exact,
                category_level: kept.iter().any(|r| r.level == Level::Category),
                days_in_force: acc.days_in_force,
                days_in_period: acc.days_in_period,
            });
        }
        let kept = drop_nested(&covered);
        let covered_usd: f64 = kept.iter().map(|r| r.value_usd).sum();
        let (total_usd, total_series) = pick_total(totals.get(&(*period, cp.clone())), series);
        periods.push(PeriodExposure {
            period: period.to_string(),
            year: period.year,
            month: period.month,
            counterpart: cp.clone(),
            series: series.clone(),
            covered_usd,
            total_usd,
            total_series,
            share: total_usd.filter(|t| *t > 0.0).map(|t| covered_usd / t),
            dominant_measure: dominant.map(|(id, _)| id),
            category_level: kept.iter().any(|r| r.level == Level::Category),
        });
    }
    Exposure {
        direction: dir,
        measures,
        periods,
        uncovered_rows,
        goods_rows,
    }
}

/// The total to divide by: same series when there is one, else the other series first in
/// alphabetical order (reported in `total_series`, so the mix is visible).
pub fn pick_total(
    totals: Option<&Vec<&TradeRecord>>,
    series: &str,
) -> (Option<f64>, Option<String>) {
    let Some(ts) = totals else {
        return (None, None);
    };
    let chosen = if ts.iter().any(|t| t.series == series) {
        series.to_string()
    } else {
        match ts.iter().map(|t| &t.series).min() {
            Some(s) => s.clone(),
            None => return (None, None),
        }
    };
    let sum: f64 = ts
        .iter()
        .filter(|t| t.series == chosen)
        .map(|t| t.value_usd)
        .sum();
    (Some(sum), Some(chosen))
}
