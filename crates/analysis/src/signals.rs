//! Compliance signals in trade data: flows in a banned category after the ban (and its
//! wind-down), use of quantitative caps, and "livelihood" leakage (trade under a
//! livelihood exception against pre-sanction levels). With coarse published figures many
//! of these cannot be computed; [`Signals::limits`] says which and why.

use chrono::{Datelike, NaiveDate};
use embargo_regime::{CapPeriod, Direction, ExceptionKind, Measure, MeasureKind, Regime, Unit};
use std::collections::BTreeMap;

use embargo_trade::{DprkTrade, Level, TradeRecord};
use serde::Serialize;

use crate::coverage::{covered_by, direction, drop_nested, row_coverage};
use crate::exposure::counterpart;
use crate::period::{bounds, overlap_days};
use crate::relief::{estimates_of, Estimate};

#[derive(Debug, Clone, Serialize)]
pub struct PostBanFlow {
    pub measure: String,
    pub citation: String,
    pub title: String,
    pub ban_from: NaiveDate,
    /// Last day of the wind-down for prior contracts, when the regime has one.
    pub wind_down_until: Option<NaiveDate>,
    pub period: String,
    pub counterpart: String,
    pub series: String,
    pub value_usd: f64,
    /// Trade rows summed (nested published categories counted once).
    pub rows: u64,
    /// Days of the period after the ban and wind-down.
    pub days_after: i64,
    pub days_in_period: i64,
    /// Exceptions or caps in force for this ban in the period (trade may be lawful under them).
    pub relaxed_by: Vec<String>,
    pub category_level: bool,
    /// Weakest status among the rows.
    pub status: String,
    /// Sources of the rows, `; `-separated.
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CapUse {
    pub measure: String,
    pub citation: String,
    pub limit: f64,
    pub unit: String,
    pub window: String,
    pub counterpart: String,
    pub series: String,
    pub used: f64,
    pub share: f64,
    /// The window's data cover days after the cap stopped applying (e.g. replaced by a ban).
    pub note: Option<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Leakage {
    pub exception: String,
    pub citation: String,
    pub bans: Vec<String>,
    pub in_force: String,
    pub during: Vec<Estimate>,
    pub before: Vec<Estimate>,
    /// During / before for the closest comparable pair (same counterpart; same series if any).
    pub ratio: Option<f64>,
    pub comparison: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signals {
    pub post_ban: Vec<PostBanFlow>,
    pub caps: Vec<CapUse>,
    pub leakage: Vec<Leakage>,
    /// What could not be computed from the data, and why.
    pub limits: Vec<String>,
}

/// The last day of the wind-downs of ban `m` that reach some of the row's `codes` (a
/// wind-down with an HS scope covers only those goods: 2371 OP8's iron, not its coal).
fn wind_down_end(regime: &Regime, m: &Measure, codes: &[String]) -> Option<NaiveDate> {
    let reaches = |hs: &[embargo_regime::HsEntry]| {
        hs.is_empty()
            || codes.iter().any(|c| {
                embargo_regime::HsCode::parse(c)
                    .is_ok_and(|code| hs.iter().any(|e| e.spec.matches(&code).is_some()))
            })
    };
    regime
        .relaxing(&m.id)
        .filter_map(|w| match &w.kind {
            MeasureKind::WindDown { days, hs, .. } if reaches(hs) => w
                .effective_from
                .checked_add_days(chrono::Days::new(u64::from(*days))),
            _ => None,
        })
        .max()
}

/// All three kinds of signal on the DPRK's trade.
pub fn signals(regime: &Regime, trade: &DprkTrade) -> Signals {
    let records = &trade.records;
    let mut limits = Vec::new();
    let post_ban = post_ban(regime, records);
    let caps = caps(regime, records, &mut limits);
    let leakage = leakage(regime, records, &mut limits);
    if post_ban.is_empty() {
        limits.push("post-ban flows: no goods row falls after a ban in force; totals (TOTAL rows) cannot be attributed to banned categories".into());
    }
    if trade.outside.is_empty() && records.iter().all(|r| r.level != Level::Hs) {
        limits.push("all rows are published categories or totals, not HS-level statistics: import UN Comtrade files (`embargo trade import`) for HS-level signals by reporter and month".into());
    }
    let monthly_goods = records
        .iter()
        .any(|r| r.period.month.is_some() && r.level != Level::Total)
        || trade.outside.iter().any(|o| o.period.month.is_some());
    if !monthly_goods {
        limits.push("no monthly goods rows: a flow in a ban's year cannot be placed before or after the ban".into());
    }
    Signals {
        post_ban,
        caps,
        leakage,
        limits,
    }
}

/// What one post-ban group shares: the ban, the period's days after it, its relaxers.
struct PostBanGroup<'a> {
    measure: &'a Measure,
    wind: Option<NaiveDate>,
    days_after: i64,
    days_in_period: i64,
    relaxed_by: Vec<String>,
    rows: Vec<&'a TradeRecord>,
}

/// Flows in a banned category after the ban and its wind-down, summed per ban, period,
/// counterpart and series.
fn post_ban<'a>(regime: &'a Regime, records: &'a [TradeRecord]) -> Vec<PostBanFlow> {
    // The wind-down is in the key: it can cover some of a ban's goods and not others
    // (iron ore but not coal under one paragraph).
    type Key = (
        String,
        embargo_trade::Period,
        String,
        String,
        Option<NaiveDate>,
    );
    let mut groups: BTreeMap<Key, PostBanGroup<'a>> = BTreeMap::new();
    for r in records.iter().filter(|r| r.level != Level::Total) {
        let Some((start, end)) = bounds(r.period) else {
            continue;
        };
        for c in row_coverage(regime, r) {
            let m = c.measure;
            if !matches!(m.kind, MeasureKind::GoodsBan { .. }) {
                continue;
            }
            let wind = wind_down_end(regime, m, &r.hs.codes());
            let after_from = match wind {
                Some(w) => w.succ_opt().unwrap_or(w),
                None => m.effective_from,
            };
            let days_after = overlap_days(
                start,
                end,
                after_from,
                m.effective_until.unwrap_or(NaiveDate::MAX),
            );
            if days_after <= 0 || r.value_usd <= 0.0 {
                continue;
            }
            let key = (
                m.id.clone(),
                r.period,
                counterpart(r).to_string(),
                r.series.clone(),
                wind,
            );
            groups
                .entry(key)
                .or_insert_with(|| PostBanGroup {
                    measure: m,
                    wind,
                    days_after,
                    days_in_period: c.days_in_period,
                    relaxed_by: relaxers_in(regime, m, start, end),
                    rows: Vec::new(),
                })
                .rows
                .push(r);
        }
    }
    groups
        .into_iter()
        .map(|((_, period, cp, series, _), g)| {
            let kept = drop_nested(&g.rows);
            let mut sources: Vec<&str> = kept.iter().map(|r| r.source.as_str()).collect();
            sources.sort();
            sources.dedup();
            PostBanFlow {
                measure: g.measure.id.clone(),
                citation: g.measure.short_citation(),
                title: g.measure.title.clone(),
                ban_from: g.measure.effective_from,
                wind_down_until: g.wind,
                period: period.to_string(),
                counterpart: cp,
                series,
                value_usd: kept.iter().map(|r| r.value_usd).sum(),
                rows: kept.iter().map(|r| r.rows).sum(),
                days_after: g.days_after,
                days_in_period: g.days_in_period,
                relaxed_by: g.relaxed_by,
                category_level: kept.iter().any(|r| r.level == Level::Category),
                status: kept
                    .iter()
                    .map(|r| r.status)
                    .max()
                    .map_or("confirmed", |s| s.as_str())
                    .to_string(),
                source: sources.join("; "),
            }
        })
        .collect()
}

/// Exceptions or caps for `m` in force at some time in `[start, end]`.
fn relaxers_in(regime: &Regime, m: &Measure, start: NaiveDate, end: NaiveDate) -> Vec<String> {
    regime
        .relaxing(&m.id)
        .filter(|x| {
            matches!(
                x.kind,
                MeasureKind::Exception { .. } | MeasureKind::Cap { .. }
            )
        })
        .filter(|x| {
            overlap_days(
                start,
                end,
                x.effective_from,
                x.effective_until.unwrap_or(NaiveDate::MAX),
            ) > 0
        })
        .map(|x| x.id.clone())
        .collect()
}

fn caps(regime: &Regime, records: &[TradeRecord], limits_out: &mut Vec<String>) -> Vec<CapUse> {
    let mut out = Vec::new();
    for m in regime.measures() {
        let MeasureKind::Cap {
            limits, directions, ..
        } = &m.kind
        else {
            continue;
        };
        let until = m.effective_until.unwrap_or(NaiveDate::MAX);
        let rows: Vec<&TradeRecord> = records
            .iter()
            .filter(|r| r.level != Level::Total)
            .filter(|r| direction(r).is_some_and(|d| directions.contains(&d)))
            .filter(|r| covered_by(regime, r, m).is_some())
            .collect();
        let mut found = false;
        for lim in limits {
            let Some(amount) = lim.amount else {
                continue;
            };
            // Windows: the explicit window, or each calendar year / 12-month period that
            // has data.
            let mut years: Vec<i32> = rows.iter().map(|r| r.period.year).collect();
            years.sort();
            years.dedup();
            let windows: Vec<(NaiveDate, NaiveDate)> = match lim.period {
                CapPeriod::Window => vec![(lim.from, lim.until.unwrap_or(until))],
                CapPeriod::CalendarYear | CapPeriod::TwelveMonths => years
                    .iter()
                    .filter(|y| **y >= lim.from.year())
                    .filter_map(|y| {
                        let s = if lim.period == CapPeriod::CalendarYear {
                            NaiveDate::from_ymd_opt(*y, 1, 1)?
                        } else {
                            lim.from.with_year(*y)?
                        };
                        let e = s.with_year(y + 1)?.pred_opt()?;
                        Some((s, e))
                    })
                    .collect(),
            };
            for (ws, we) in windows {
                // Rows whose period lies inside the window, by counterpart and series.
                let inside: Vec<(&TradeRecord, bool)> = rows
                    .iter()
                    .filter(|r| bounds(r.period).is_some_and(|(s, e)| s >= ws && e <= we))
                    .map(|r| (*r, true))
                    .collect();
                for est in estimates_of(&inside) {
                    let group: Vec<&TradeRecord> = inside
                        .iter()
                        .map(|(r, _)| *r)
                        .filter(|r| {
                            counterpart(r) == est.counterpart
                                && r.series == est.series
                                && r.period.year == est.year
                        })
                        .collect();
                    let used = match lim.unit {
                        Unit::Usd => Some(est.value_usd),
                        Unit::Tonnes => group
                            .iter()
                            .map(|r| r.net_weight_kg.map(|k| k / 1000.0))
                            .sum::<Option<f64>>(),
                        Unit::Barrels => group
                            .iter()
                            .map(|r| {
                                r.quantity.filter(|_| {
                                    r.quantity_unit
                                        .as_deref()
                                        .is_some_and(|u| u.eq_ignore_ascii_case("bbl"))
                                })
                            })
                            .sum::<Option<f64>>(),
                    };
                    let Some(used) = used else {
                        limits_out.push(format!(
                            "{}: the {} limit ({}) cannot be checked for {}: the rows carry no quantity in that unit",
                            m.short_citation(), lim.unit, fmt_amount(amount, &lim.unit.to_string()), est.year
                        ));
                        continue;
                    };
                    found = true;
                    let note = (we > until).then(|| {
                        format!(
                            "the cap applied only until {until}; the figure covers the whole window, so it mixes capped and later (banned) trade"
                        )
                    });
                    out.push(CapUse {
                        measure: m.id.clone(),
                        citation: m.short_citation(),
                        limit: amount,
                        unit: lim.unit.to_string(),
                        window: format!("{ws}..{we}"),
                        counterpart: est.counterpart.clone(),
                        series: est.series.clone(),
                        used,
                        share: used / amount,
                        note,
                        sources: est.sources.clone(),
                    });
                }
            }
        }
        if !found && limits.iter().any(|l| l.amount.is_some()) {
            limits_out.push(format!(
                "{} ({}): no rows in the data for the capped goods inside the cap's windows",
                m.short_citation(),
                m.title
            ));
        }
    }
    out
}

fn leakage(regime: &Regime, records: &[TradeRecord], limits: &mut Vec<String>) -> Vec<Leakage> {
    let mut out = Vec::new();
    for ex in regime.measures() {
        let MeasureKind::Exception {
            exception: ExceptionKind::Livelihood,
            applies_to,
            ..
        } = &ex.kind
        else {
            continue;
        };
        let bans: Vec<&Measure> = applies_to
            .iter()
            .filter_map(|id| regime.measure(id))
            .collect();
        let Some(ban_from) = bans.iter().map(|b| b.effective_from).min() else {
            continue;
        };
        let ex_until = ex.effective_until.unwrap_or(NaiveDate::MAX);
        let rows: Vec<(&TradeRecord, bool)> = records
            .iter()
            .filter(|r| r.level != Level::Total && direction(r) == Some(Direction::FromDprk))
            .filter_map(|r| {
                bans.iter()
                    .find_map(|b| covered_by(regime, r, b))
                    .map(|(exact, _)| (r, exact))
            })
            .collect();
        let during_rows: Vec<(&TradeRecord, bool)> = rows
            .iter()
            .filter(|(r, _)| {
                bounds(r.period)
                    .is_some_and(|(s, e)| overlap_days(s, e, ex.effective_from, ex_until) > 0)
            })
            .copied()
            .collect();
        let before_rows: Vec<(&TradeRecord, bool)> = rows
            .iter()
            .filter(|(r, _)| bounds(r.period).is_some_and(|(_, e)| e < ban_from))
            .copied()
            .collect();
        let during = estimates_of(&during_rows);
        let before = estimates_of(&before_rows);
        let citation = ex.short_citation();
        if during.is_empty() || before.is_empty() {
            limits.push(format!(
                "livelihood leakage under {citation} ({}): no {} figures in the data",
                ex.title,
                if during.is_empty() {
                    "in-force"
                } else {
                    "pre-sanction"
                }
            ));
        }
        // Closest comparable pair: same counterpart, prefer the same series, then the
        // latest pre-sanction year.
        let mut best: Option<(f64, String, (bool, i32))> = None;
        for d in &during {
            for b in before
                .iter()
                .filter(|b| b.counterpart == d.counterpart && b.value_usd > 0.0)
            {
                let key = (b.series == d.series, b.year);
                if best.as_ref().is_none_or(|(_, _, k)| key > *k) {
                    best = Some((
                        d.value_usd / b.value_usd,
                        format!(
                            "{} {} ({}, {}) against {} {} ({}, {}){}",
                            d.year,
                            fmt_usd(d.value_usd),
                            d.series,
                            d.counterpart,
                            b.year,
                            fmt_usd(b.value_usd),
                            b.series,
                            b.counterpart,
                            if b.series == d.series {
                                ""
                            } else {
                                "; different series"
                            }
                        ),
                        key,
                    ));
                }
            }
        }
        out.push(Leakage {
            exception: ex.id.clone(),
            citation,
            bans: bans.iter().map(|b| b.id.clone()).collect(),
            in_force: format!(
                "{}..{}",
                ex.effective_from,
                ex.effective_until.map_or("".to_string(), |d| d.to_string())
            ),
            during,
            before,
            ratio: best.as_ref().map(|b| b.0),
            comparison: best.map(|b| b.1),
        });
    }
    out
}

/// "USD 1.18bn" / "USD 213.2m".
/// A count with thousands separators: "100,000".
pub fn fmt_count(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// A span of years as people write it: "2016", or "2014–2016".
pub fn fmt_years((first, last): (i32, i32)) -> String {
    if first == last {
        first.to_string()
    } else {
        format!("{first}–{last}")
    }
}

/// An amount in a cap's unit: money as [`fmt_usd`], quantities with separators ("7,500,000 t").
pub fn fmt_amount(v: f64, unit: &str) -> String {
    if unit.eq_ignore_ascii_case("usd") {
        fmt_usd(v)
    } else {
        format!("{} {unit}", fmt_count(v))
    }
}

pub fn fmt_usd(v: f64) -> String {
    if v.abs() >= 1e9 {
        format!("USD {:.2}bn", v / 1e9)
    } else {
        format!("USD {:.1}m", v / 1e6)
    }
}
