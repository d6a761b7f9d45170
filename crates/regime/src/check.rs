//! The shipment check: which measures in force on a date cover goods with this HS code
//! moving this way, and what relaxes them (exceptions, caps, wind-downs).
//!
//! Verdicts:
//! - `prohibited`: a ban covers the goods and nothing relaxes it for this shipment;
//! - `conditional`: allowed only under a condition that the data cannot settle — an
//!   exception (livelihood, transit, civil aviation), a cap, a wind-down of prior contracts,
//!   Committee approval — or the HS code is broader/narrower than the ban's goods;
//! - `permitted`: no measure with an HS scope covers the goods.

use crate::hs::{HsCode, HsMatch};
use crate::model::*;
use crate::{Country, Regime};
use chrono::{Datelike, NaiveDate};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    pub hs: HsCode,
    pub origin: Country,
    pub destination: Country,
    /// A country the goods pass through (transshipment), e.g. KP for coal through Rajin.
    pub via: Option<Country>,
    pub date: NaiveDate,
    pub quantity: Option<Quantity>,
    pub value_usd: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Permitted,
    Conditional,
    Prohibited,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Permitted => "permitted",
            Verdict::Conditional => "conditional",
            Verdict::Prohibited => "prohibited",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    Exception,
    Cap,
    WindDown,
    /// The HS code and the measure's goods do not line up exactly.
    HsScope,
}

/// What must hold for a `conditional` shipment to be lawful.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    pub kind: ConditionKind,
    /// The measure that imposes the condition (the exception, cap or wind-down; for
    /// `hs_scope`, the ban).
    pub measure: String,
    pub citation: String,
    pub text: String,
    pub confidence: Confidence,
}

/// One ban or cap that covers the shipment, and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub measure: String,
    pub citation: String,
    pub direction: Direction,
    pub hs_match: HsMatch,
    pub partial: bool,
    pub outcome: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    pub verdict: Verdict,
    pub directions: Vec<Direction>,
    pub citations: Vec<Citation>,
    pub conditions: Vec<Condition>,
    pub findings: Vec<Finding>,
    /// Goods measures in force for these directions whose goods are not defined by HS codes
    /// (national luxury lists, WMD item lists): the check cannot match them, so it names them.
    pub unscoped: Vec<Citation>,
    pub notes: Vec<String>,
}

impl Finding {
    fn new(cov: &crate::Coverage<'_>, direction: Direction, outcome: Verdict) -> Finding {
        Finding {
            measure: cov.measure.id.clone(),
            citation: cov.measure.short_citation(),
            direction,
            hs_match: if cov.exact {
                HsMatch::Covered
            } else {
                HsMatch::Coarser
            },
            partial: cov.entry.partial,
            outcome,
        }
    }
}

/// Is a limit's period running on `date`?
fn limit_active(l: &CapLimit, date: NaiveDate) -> bool {
    date >= l.from && l.until.is_none_or(|u| date <= u)
}

/// The period of a limit that contains `date`, for messages.
pub fn limit_period(l: &CapLimit, date: NaiveDate) -> (NaiveDate, NaiveDate) {
    match l.period {
        CapPeriod::Window => (l.from, l.until.unwrap_or(l.from)),
        CapPeriod::CalendarYear => {
            let y = date.year();
            (
                NaiveDate::from_ymd_opt(y, 1, 1).unwrap_or(l.from),
                NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or(l.from),
            )
        }
        CapPeriod::TwelveMonths => {
            let mut start = l.from;
            while let Some(next) = start.checked_add_months(chrono::Months::new(12)) {
                if next > date {
                    break;
                }
                start = next;
            }
            let end = start
                .checked_add_months(chrono::Months::new(12))
                .and_then(|d| d.pred_opt())
                .unwrap_or(start);
            (start, end)
        }
    }
}

fn fmt_amount(a: f64) -> String {
    let s = format!("{:.0}", a);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Text of a cap's limits on `date`, and whether this one shipment alone exceeds one of them.
fn cap_status(limits: &[CapLimit], combine: CapCombine, s: &Shipment) -> (String, Option<String>) {
    let mut parts = Vec::new();
    let mut exceeded = None;
    for l in limits.iter().filter(|l| limit_active(l, s.date)) {
        let (a, b) = limit_period(l, s.date);
        match l.amount {
            Some(amount) => {
                parts.push(format!("{} {} for {a}..{b}", fmt_amount(amount), l.unit));
                let shipped = match l.unit {
                    Unit::Usd => s.value_usd,
                    u => s.quantity.and_then(|q| q.in_unit(u)),
                };
                if let Some(x) = shipped {
                    if x > amount && exceeded.is_none() {
                        exceeded = Some(format!(
                            "this shipment alone ({} {}) exceeds the limit of {} {} for {a}..{b}",
                            fmt_amount(x),
                            l.unit,
                            fmt_amount(amount),
                            l.unit
                        ));
                    }
                }
            }
            None => parts.push(format!(
                "an unquantified limit in {} for {a}..{b}{}",
                l.unit,
                l.note
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default()
            )),
        }
    }
    if parts.is_empty() {
        return ("no limit period is running on this date".into(), None);
    }
    let joined = parts.join(" or ");
    let text = match combine {
        CapCombine::FirstReached if parts.len() > 1 => {
            format!("within the cap of {joined}, whichever is reached first")
        }
        _ => format!("within the cap of {joined}"),
    };
    (text, exceeded)
}

fn exception_applies(e: &Measure, ban: &Measure, s: &Shipment) -> bool {
    let MeasureKind::Exception {
        applies_to,
        hs,
        origin_not,
        requires_via,
        ..
    } = &e.kind
    else {
        return false;
    };
    if !applies_to.iter().any(|a| a == &ban.id) || !e.in_force_on(s.date) {
        return false;
    }
    if origin_not.iter().any(|c| c == s.origin.code()) {
        return false;
    }
    if let Some(via) = requires_via {
        if s.via.map(|v| v.code().to_string()).as_deref() != Some(via.as_str()) {
            return false;
        }
    }
    hs.is_empty()
        || hs
            .iter()
            .any(|h| h.spec.matches(&s.hs) == Some(HsMatch::Covered))
}

impl Regime {
    /// Classify one shipment.
    pub fn check(&self, s: &Shipment) -> Assessment {
        let mut directions = Vec::new();
        let mut notes = Vec::new();
        if s.origin.is_dprk() && s.destination.is_dprk() {
            notes.push("origin and destination are both the DPRK: not an international transfer; UN measures on trade with the DPRK do not apply as such".into());
        } else {
            if s.origin.is_dprk() {
                directions.push(Direction::FromDprk);
            }
            if s.destination.is_dprk() {
                directions.push(Direction::ToDprk);
            }
            if s.via.is_some_and(|v| v.is_dprk()) && !s.origin.is_dprk() && !s.destination.is_dprk()
            {
                directions.push(Direction::FromDprk);
                directions.push(Direction::ToDprk);
                notes.push("goods pass through the DPRK: measures on supplies to and exports from the DPRK are both considered".into());
            }
        }
        if directions.is_empty() && notes.is_empty() {
            notes.push("neither origin, destination nor transit is the DPRK: the UN goods measures do not apply; screen the parties and vessels".into());
        }

        let mut findings = Vec::new();
        let mut conditions: Vec<Condition> = Vec::new();
        let mut cited: Vec<&Measure> = Vec::new();
        let mut unscoped: Vec<Citation> = Vec::new();
        let mut verdict = Verdict::Permitted;

        for &dir in &directions {
            for cov in self.goods_coverage(&s.hs, dir, s.date) {
                let m = cov.measure;
                let exact = cov.exact && !cov.entry.partial;
                match &m.kind {
                    MeasureKind::GoodsBan { .. } => {
                        let mut outcome = if exact {
                            Verdict::Prohibited
                        } else {
                            Verdict::Conditional
                        };
                        cited.push(m);
                        if !exact {
                            conditions.push(scope_condition(m, &cov, s));
                        }
                        // What relaxes this ban for this shipment.
                        let mut relief: Vec<Condition> = Vec::new();
                        let mut exceeded: Option<String> = None;
                        for r in self.relaxing(&m.id) {
                            if !r.in_force_on(s.date) {
                                continue;
                            }
                            match &r.kind {
                                MeasureKind::Exception {
                                    exception,
                                    condition,
                                    ..
                                } if exception_applies(r, m, s) => {
                                    relief.push(Condition {
                                        kind: ConditionKind::Exception,
                                        measure: r.id.clone(),
                                        citation: r.short_citation(),
                                        text: format!("{exception} exception: {condition}"),
                                        confidence: r.citation_confidence(),
                                    });
                                    cited.push(r);
                                }
                                MeasureKind::WindDown { days, scope, .. } => {
                                    relief.push(Condition {
                                        kind: ConditionKind::WindDown,
                                        measure: r.id.clone(),
                                        citation: r.short_citation(),
                                        text: format!(
                                            "{scope}: wind-down of {days} days, through {}",
                                            r.effective_until
                                                .map(|d| d.to_string())
                                                .unwrap_or_default()
                                        ),
                                        confidence: r.citation_confidence(),
                                    });
                                    cited.push(r);
                                }
                                MeasureKind::Cap {
                                    limits,
                                    combine,
                                    hs,
                                    ..
                                } => {
                                    if !hs.is_empty()
                                        && !hs.iter().any(|h| h.spec.matches(&s.hs).is_some())
                                    {
                                        continue;
                                    }
                                    let (text, over) = cap_status(limits, *combine, s);
                                    if let Some(why) = over {
                                        exceeded = Some(format!("{}: {why}", r.short_citation()));
                                    }
                                    relief.push(Condition {
                                        kind: ConditionKind::Cap,
                                        measure: r.id.clone(),
                                        citation: r.short_citation(),
                                        text,
                                        confidence: r.citation_confidence(),
                                    });
                                    cited.push(r);
                                }
                                _ => {}
                            }
                        }
                        if !relief.is_empty() {
                            outcome = Verdict::Conditional;
                        }
                        if let Some(why) = exceeded {
                            outcome = Verdict::Prohibited;
                            notes.push(why);
                        }
                        conditions.extend(relief);
                        verdict = verdict.max(outcome);
                        findings.push(Finding::new(&cov, dir, outcome));
                    }
                    MeasureKind::Cap {
                        limits,
                        combine,
                        applies_to,
                        ..
                    } if applies_to.is_empty() => {
                        // A free-standing cap (2397 OP5 refined petroleum): allowed within it.
                        let (text, over) = cap_status(limits, *combine, s);
                        let outcome = if over.is_some() {
                            Verdict::Prohibited
                        } else {
                            Verdict::Conditional
                        };
                        if let Some(why) = over {
                            notes.push(format!("{}: {why}", m.short_citation()));
                        }
                        if !exact {
                            conditions.push(scope_condition(m, &cov, s));
                        }
                        conditions.push(Condition {
                            kind: ConditionKind::Cap,
                            measure: m.id.clone(),
                            citation: m.short_citation(),
                            text,
                            confidence: m.citation_confidence(),
                        });
                        cited.push(m);
                        verdict = verdict.max(outcome);
                        findings.push(Finding::new(&cov, dir, outcome));
                    }
                    _ => {}
                }
            }
            for m in self.measures().iter().filter(|m| m.in_force_on(s.date)) {
                if let MeasureKind::GoodsBan { directions: ds, hs } = &m.kind {
                    if hs.is_empty()
                        && ds.contains(&dir)
                        && !unscoped.iter().any(|c| c.measure == m.id)
                    {
                        unscoped.push(m.citation());
                    }
                }
            }
        }

        let mut citations: Vec<Citation> = Vec::new();
        for m in cited {
            if !citations.iter().any(|c| c.measure == m.id) {
                citations.push(m.citation());
            }
        }
        let mut seen = std::collections::HashSet::new();
        conditions.retain(|c| seen.insert((c.measure.clone(), c.kind as u8, c.text.clone())));
        Assessment {
            verdict,
            directions,
            citations,
            conditions,
            findings,
            unscoped,
            notes,
        }
    }
}

fn scope_condition(m: &Measure, cov: &crate::Coverage<'_>, s: &Shipment) -> Condition {
    let text = if !cov.exact {
        format!(
            "HS {} is broader than HS {} covered by {}: prohibited if the goods fall under {} ({})",
            s.hs,
            cov.entry.spec,
            m.short_citation(),
            cov.entry.spec,
            m.title
        )
    } else {
        format!(
            "HS {} is broader than the goods of {}: prohibited if the goods are: {}{}",
            cov.entry.spec,
            m.short_citation(),
            m.title,
            cov.entry
                .note
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        )
    };
    Condition {
        kind: ConditionKind::HsScope,
        measure: m.id.clone(),
        citation: m.short_citation(),
        text,
        confidence: cov.entry.confidence.min(m.citation_confidence()),
    }
}
