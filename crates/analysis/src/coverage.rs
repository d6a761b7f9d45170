//! The join between a trade row and the regime: which goods measures cover the row's HS
//! codes, in the row's direction, at some time in the row's period. Everything in this
//! crate (exposure, relief, signals, the report) goes through [`row_coverage`], so they
//! agree with each other and with `embargo check`.

use chrono::NaiveDate;
use embargo_regime::{Confidence, Direction, HsCode, Measure, Regime};
use embargo_trade::TradeRecord;

use crate::period::{bounds, overlap_days};

/// How one measure covers one trade row.
#[derive(Debug, Clone)]
pub struct RowCoverage<'a> {
    pub measure: &'a Measure,
    /// Every covered code of the row matched the measure at least as finely as the
    /// measure's own code (false for chapter 27 against heading 2701).
    pub exact: bool,
    /// Some matching HS entry is broader than the goods the measure names (or bounds them
    /// by a value, which trade rows cannot settle).
    pub partial: bool,
    /// How many of the row's codes the measure covers, out of how many.
    pub codes_covered: usize,
    pub codes_total: usize,
    /// Weakest confidence among the HS entries that matched.
    pub hs_confidence: Confidence,
    /// Days of the row's period on which the measure was in force.
    pub days_in_force: i64,
    pub days_in_period: i64,
}

/// The direction a row reads, relative to the DPRK (None for rows not involving it).
pub fn direction(rec: &TradeRecord) -> Option<Direction> {
    if rec.is_dprk_export() {
        Some(Direction::FromDprk)
    } else if rec.is_dprk_import() {
        Some(Direction::ToDprk)
    } else {
        None
    }
}

/// Goods measures (bans and caps) covering `rec` at any time in its period.
pub fn row_coverage<'a>(regime: &'a Regime, rec: &TradeRecord) -> Vec<RowCoverage<'a>> {
    let Some(dir) = direction(rec) else {
        return Vec::new();
    };
    if rec.hs.is_total() {
        return Vec::new();
    }
    let Some((start, end)) = bounds(rec.period) else {
        return Vec::new();
    };
    // Probe the period's first and last day and every day a measure starts or ends in it:
    // the set of measures in force only changes on those days.
    let mut dates: Vec<NaiveDate> = vec![start, end];
    for m in regime.measures() {
        if m.effective_from > start && m.effective_from <= end {
            dates.push(m.effective_from);
        }
        if let Some(u) = m.effective_until {
            if u >= start && u < end {
                dates.push(u);
            }
        }
    }
    dates.sort();
    dates.dedup();
    let codes = rec.hs.codes();
    let mut out: Vec<RowCoverage<'a>> = Vec::new();
    for code in &codes {
        let Ok(hs) = HsCode::parse(code) else {
            continue;
        };
        // Per code: the best match of each measure over the probe dates.
        let mut seen: Vec<(&'a Measure, bool, bool, Confidence)> = Vec::new();
        for d in &dates {
            for c in regime.goods_coverage(&hs, dir, *d) {
                match seen.iter_mut().find(|s| s.0.id == c.measure.id) {
                    Some(s) => {
                        s.1 |= c.exact;
                        s.2 &= c.entry.narrower_goods();
                        s.3 = s.3.max(c.entry.confidence);
                    }
                    None => seen.push((
                        c.measure,
                        c.exact,
                        c.entry.narrower_goods(),
                        c.entry.confidence,
                    )),
                }
            }
        }
        for (m, exact, partial, conf) in seen {
            match out.iter_mut().find(|o| o.measure.id == m.id) {
                Some(o) => {
                    o.exact &= exact;
                    o.partial |= partial;
                    o.codes_covered += 1;
                    o.hs_confidence = o.hs_confidence.min(conf);
                }
                None => {
                    let until = m.effective_until.unwrap_or(NaiveDate::MAX);
                    out.push(RowCoverage {
                        measure: m,
                        exact,
                        partial,
                        codes_covered: 1,
                        codes_total: codes.len(),
                        hs_confidence: conf,
                        days_in_force: overlap_days(start, end, m.effective_from, until),
                        days_in_period: overlap_days(start, end, start, end),
                    });
                }
            }
        }
    }
    out
}

/// True when every code of `inner` lies within some code of `outer` (`6201` within `62`).
pub fn codes_within(inner: &[String], outer: &[String]) -> bool {
    !inner.is_empty()
        && inner
            .iter()
            .all(|i| outer.iter().any(|o| i.starts_with(o.as_str())))
}

/// Drops published category rows whose goods are a subset of another category row's
/// goods in the same list, so that nested categories (clothing inside textiles) are not
/// added up; among category rows with the same goods the larger value is kept. HS-level
/// rows are customs statistics and always add up (Comtrade splits one code by customs
/// procedure or transport mode), so they are all kept.
pub fn drop_nested<'r>(rows: &[&'r TradeRecord]) -> Vec<&'r TradeRecord> {
    let (mut kept, mut cats): (Vec<&TradeRecord>, Vec<&TradeRecord>) = rows
        .iter()
        .partition(|r| r.level != embargo_trade::Level::Category);
    cats.sort_by(|a, b| {
        b.hs.codes()
            .len()
            .cmp(&a.hs.codes().len())
            .then(b.value_usd.total_cmp(&a.value_usd))
    });
    let mut kept_cats: Vec<&TradeRecord> = Vec::new();
    for r in cats {
        let codes = r.hs.codes();
        if kept_cats
            .iter()
            .any(|k| codes_within(&codes, &k.hs.codes()))
        {
            continue;
        }
        kept_cats.push(r);
    }
    kept.extend(kept_cats);
    kept
}

/// Whether `measure`'s HS scope covers `rec`, whatever the row's date: the question a
/// relief scenario asks ("what would lifting this ban restore?") about years before the
/// ban existed. Probes the regime on the measure's first day in force. Returns
/// (all covered codes exact, codes covered).
pub fn covered_by(regime: &Regime, rec: &TradeRecord, measure: &Measure) -> Option<(bool, usize)> {
    let dir = direction(rec)?;
    if rec.hs.is_total() {
        return None;
    }
    let mut exact = true;
    let mut n = 0;
    for code in rec.hs.codes() {
        let Ok(hs) = HsCode::parse(&code) else {
            continue;
        };
        if let Some(c) = regime
            .goods_coverage(&hs, dir, measure.effective_from)
            .into_iter()
            .find(|c| c.measure.id == measure.id)
        {
            exact &= c.exact;
            n += 1;
        }
    }
    (n > 0).then_some((exact, n))
}
