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
    /// The goods are covered only above a value and the shipment gives none.
    ValueThreshold,
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
    /// The measure's citation confidence (the weaker of content and paragraph).
    pub confidence: Confidence,
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
    /// For `prohibited` and `conditional`: the best citation confidence among the measures
    /// the verdict rests on (the findings whose outcome is the verdict). None if permitted.
    pub confidence: Option<Confidence>,
    /// The verdict is `prohibited` or `conditional` and every measure it rests on has an
    /// unconfirmed content or paragraph number.
    pub rests_on_unconfirmed: bool,
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
            confidence: cov.measure.citation_confidence(),
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

/// A dollar amount: whole dollars with thousands separators, cents only when present.
fn fmt_usd(a: f64) -> String {
    if a.fract() == 0.0 {
        fmt_amount(a)
    } else {
        format!("{a:.2}")
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

/// An HS narrowing (of an exception or a wind-down) fits the shipment: none is given,
/// or one of its codes covers the shipment's code.
fn hs_fits(hs: &[HsEntry], s: &Shipment) -> bool {
    hs.is_empty()
        || hs
            .iter()
            .any(|h| h.spec.matches(&s.hs) == Some(HsMatch::Covered))
}

/// The wind-down's condition text; on the days between the encoded and the disputed end
/// it names the other reading.
fn wind_down_text(r: &Measure, s: &Shipment) -> Option<String> {
    let MeasureKind::WindDown {
        days,
        scope,
        disputed_until,
        dispute,
        ..
    } = &r.kind
    else {
        return None;
    };
    let until = r.effective_until?;
    let other = disputed_until.filter(|alt| {
        let (lo, hi) = if *alt < until {
            (*alt, until)
        } else {
            (until, *alt)
        };
        s.date >= lo && s.date <= hi
    });
    let dispute = dispute.as_deref().unwrap_or("another reading");
    Some(match other {
        None => format!("{scope}: wind-down of {days} days, through {until}"),
        Some(alt) if r.in_force_on(s.date) => format!(
            "{scope}: wind-down of {days} days, through {until} as counted here; by another reading it ends {alt} ({dispute})"
        ),
        Some(alt) => format!(
            "{scope}: the wind-down of {days} days ended {until} as counted here, so the ban applies; by another reading deliveries under prior contracts were allowed through {alt} ({dispute})"
        ),
    })
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
    hs_fits(hs, s)
}

/// What the check gathers while it walks the bans and caps that cover a shipment.
struct Tally<'r> {
    verdict: Verdict,
    findings: Vec<Finding>,
    conditions: Vec<Condition>,
    /// The measures the assessment cites, in the order met; repeats are dropped at the end.
    cited: Vec<&'r Measure>,
    notes: Vec<String>,
}

impl Regime {
    /// Classify one shipment.
    pub fn check(&self, s: &Shipment) -> Assessment {
        let (directions, notes) = shipment_directions(s);
        let mut tally = Tally {
            verdict: Verdict::Permitted,
            findings: Vec::new(),
            conditions: Vec::new(),
            cited: Vec::new(),
            notes,
        };
        let mut unscoped: Vec<Citation> = Vec::new();
        for &dir in &directions {
            for cov in self.goods_coverage(&s.hs, dir, s.date) {
                match &cov.measure.kind {
                    MeasureKind::GoodsBan { .. } => self.assess_ban(&cov, dir, s, &mut tally),
                    MeasureKind::Cap {
                        limits,
                        combine,
                        applies_to,
                        ..
                    } if applies_to.is_empty() => {
                        assess_free_cap(&cov, limits, *combine, dir, s, &mut tally);
                    }
                    _ => {}
                }
            }
            self.collect_unscoped(dir, s.date, &mut unscoped);
        }
        tally.into_assessment(directions, unscoped)
    }

    /// One goods ban covering the shipment. Its value threshold, the exactness of its HS
    /// match and what relaxes it for this shipment (exceptions, wind-downs, caps) decide
    /// its outcome; a shipment over a relaxing cap is prohibited.
    fn assess_ban<'r>(
        &'r self,
        cov: &crate::Coverage<'r>,
        dir: Direction,
        s: &Shipment,
        tally: &mut Tally<'r>,
    ) {
        let m = cov.measure;
        let exact = cov.exact && !cov.entry.partial;
        let threshold = cov.entry.value_over_usd;
        if !over_value_threshold(m, cov.entry, s, &mut tally.notes) {
            return;
        }
        let value_missing = threshold.is_some() && s.value_usd.is_none();
        let mut outcome = if exact && !value_missing {
            Verdict::Prohibited
        } else {
            Verdict::Conditional
        };
        tally.cited.push(m);
        if !exact {
            tally.conditions.push(scope_condition(m, cov, s));
        }
        if let (Some(t), true) = (threshold, value_missing) {
            tally.conditions.push(Condition {
                kind: ConditionKind::ValueThreshold,
                measure: m.id.clone(),
                citation: m.short_citation(),
                text: format!(
                    "prohibited if valued over USD {} ({}); give the value (value_usd) to settle it",
                    fmt_usd(t),
                    goods_words(m, cov.entry)
                ),
                confidence: cov.entry.confidence.min(m.citation_confidence()),
            });
        }
        let (relief, exceeded) = self.ban_relief(m, s, tally);
        if !relief.is_empty() {
            outcome = Verdict::Conditional;
        }
        // A shipment over a cap on its own is outside every relief that
        // rests on the cap: it is not listed as a condition it could meet.
        if let Some(why) = exceeded {
            outcome = Verdict::Prohibited;
            tally.notes.push(why);
        } else {
            tally.conditions.extend(relief);
        }
        tally.verdict = tally.verdict.max(outcome);
        tally.findings.push(Finding::new(cov, dir, outcome));
    }

    /// What relaxes ban `m` for this shipment: the conditions of the exceptions, wind-downs
    /// and caps in force that reach it (each relaxer so used is cited), and why the
    /// shipment is over one of those caps, if it is. A wind-down over only by a disputed
    /// reading goes straight to the conditions, without relaxing the ban.
    fn ban_relief<'r>(
        &'r self,
        m: &Measure,
        s: &Shipment,
        tally: &mut Tally<'r>,
    ) -> (Vec<Condition>, Option<String>) {
        let mut relief: Vec<Condition> = Vec::new();
        let mut exceeded: Option<String> = None;
        for r in self.relaxing(&m.id) {
            if !r.in_force_on(s.date) {
                if let Some(c) = disputed_wind_down(r, s) {
                    tally.conditions.push(c);
                }
                continue;
            }
            match &r.kind {
                MeasureKind::Exception {
                    exception,
                    condition,
                    ..
                } if exception_applies(r, m, s) => {
                    let text = format!("{exception} exception: {condition}");
                    relief.push(relaxer_condition(r, ConditionKind::Exception, text));
                    tally.cited.push(r);
                }
                MeasureKind::WindDown { hs, .. } if hs_fits(hs, s) => {
                    let text = wind_down_text(r, s).unwrap_or_default();
                    relief.push(relaxer_condition(r, ConditionKind::WindDown, text));
                    tally.cited.push(r);
                }
                MeasureKind::Cap {
                    limits,
                    combine,
                    hs,
                    ..
                } => {
                    if !hs.is_empty() && !hs.iter().any(|h| h.spec.matches(&s.hs).is_some()) {
                        continue;
                    }
                    let (text, over) = cap_status(limits, *combine, s);
                    if let Some(why) = over {
                        exceeded = Some(format!("{}: {why}", r.short_citation()));
                    }
                    relief.push(relaxer_condition(r, ConditionKind::Cap, text));
                    tally.cited.push(r);
                }
                _ => {}
            }
        }
        (relief, exceeded)
    }

    /// Add the goods bans in force for `dir` whose goods are not defined by HS codes, each
    /// once: the check cannot match them, so the assessment names them.
    fn collect_unscoped(&self, dir: Direction, date: NaiveDate, unscoped: &mut Vec<Citation>) {
        for m in self.measures().iter().filter(|m| m.in_force_on(date)) {
            if let MeasureKind::GoodsBan { directions: ds, hs } = &m.kind {
                if hs.is_empty() && ds.contains(&dir) && !unscoped.iter().any(|c| c.measure == m.id)
                {
                    unscoped.push(m.citation());
                }
            }
        }
    }
}

impl Tally<'_> {
    /// The assessment: citations and conditions without repeats, notes without repeats,
    /// and the best confidence among the findings the verdict rests on.
    fn into_assessment(self, directions: Vec<Direction>, unscoped: Vec<Citation>) -> Assessment {
        let Tally {
            verdict,
            findings,
            mut conditions,
            cited,
            mut notes,
        } = self;
        let mut citations: Vec<Citation> = Vec::new();
        for m in cited {
            if !citations.iter().any(|c| c.measure == m.id) {
                citations.push(m.citation());
            }
        }
        let mut seen = std::collections::HashSet::new();
        conditions.retain(|c| seen.insert((c.measure.clone(), c.kind as u8, c.text.clone())));
        let mut seen_notes = std::collections::HashSet::new();
        notes.retain(|n| seen_notes.insert(n.clone()));
        let confidence = if verdict == Verdict::Permitted {
            None
        } else {
            findings
                .iter()
                .filter(|f| f.outcome == verdict)
                .map(|f| f.confidence)
                .max()
        };
        Assessment {
            verdict,
            directions,
            citations,
            conditions,
            findings,
            unscoped,
            notes,
            confidence,
            rests_on_unconfirmed: confidence == Some(Confidence::Unconfirmed),
        }
    }
}

/// The directions of trade with the DPRK the shipment involves (both for transit through
/// it), and the notes that explain when UN goods measures do not apply as such.
fn shipment_directions(s: &Shipment) -> (Vec<Direction>, Vec<String>) {
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
        if s.via.is_some_and(|v| v.is_dprk()) && !s.origin.is_dprk() && !s.destination.is_dprk() {
            directions.push(Direction::FromDprk);
            directions.push(Direction::ToDprk);
            notes.push("goods pass through the DPRK: measures on supplies to and exports from the DPRK are both considered".into());
        }
    }
    if directions.is_empty() && notes.is_empty() {
        notes.push("neither origin, destination nor transit is the DPRK: the UN goods measures do not apply; screen the parties and vessels".into());
    }
    (directions, notes)
}

/// Whether a ban covering goods only above a value covers this shipment: false when the
/// shipment's value is not over the threshold. A given value is compared in a note either
/// way; a missing one leaves the ban covering (the caller makes it a condition).
fn over_value_threshold(
    m: &Measure,
    entry: &HsEntry,
    s: &Shipment,
    notes: &mut Vec<String>,
) -> bool {
    if let (Some(t), Some(v)) = (entry.value_over_usd, s.value_usd) {
        if v <= t {
            notes.push(format!(
                "{} covers {} only when valued over USD {}; this shipment's value, USD {}, is not over it",
                m.short_citation(),
                goods_words(m, entry),
                fmt_usd(t),
                fmt_usd(v)
            ));
            return false;
        }
        notes.push(format!(
            "{}: USD {} is over the threshold of USD {} for {} (the threshold is read as the value of one item: several items each worth less are not covered)",
            m.short_citation(),
            fmt_usd(v),
            fmt_usd(t),
            goods_words(m, entry)
        ));
    }
    true
}

/// A wind-down of a ban that ended before the shipment's date but runs on to it by a
/// disputed reading, named as a condition (it does not relax the ban).
fn disputed_wind_down(r: &Measure, s: &Shipment) -> Option<Condition> {
    if let MeasureKind::WindDown {
        hs,
        disputed_until: Some(alt),
        ..
    } = &r.kind
    {
        let disputed_day = r
            .effective_until
            .is_some_and(|u| s.date > u && s.date <= *alt);
        if disputed_day && hs_fits(hs, s) {
            let text = wind_down_text(r, s).unwrap_or_default();
            return Some(relaxer_condition(r, ConditionKind::WindDown, text));
        }
    }
    None
}

/// The condition a relaxing measure (exception, wind-down, cap) sets, cited by `r`.
#[inline]
fn relaxer_condition(r: &Measure, kind: ConditionKind, text: String) -> Condition {
    Condition {
        kind,
        measure: r.id.clone(),
        citation: r.short_citation(),
        text,
        confidence: r.citation_confidence(),
    }
}

/// A free-standing cap covering the shipment (2397 OP5 refined petroleum): allowed within
/// it, on its terms as a condition; prohibited over it, with the reason as a note.
fn assess_free_cap<'r>(
    cov: &crate::Coverage<'r>,
    limits: &[CapLimit],
    combine: CapCombine,
    dir: Direction,
    s: &Shipment,
    tally: &mut Tally<'r>,
) {
    let m = cov.measure;
    let exact = cov.exact && !cov.entry.partial;
    let (text, over) = cap_status(limits, combine, s);
    let outcome = if over.is_some() {
        Verdict::Prohibited
    } else {
        Verdict::Conditional
    };
    if !exact {
        tally.conditions.push(scope_condition(m, cov, s));
    }
    match over {
        Some(why) => tally.notes.push(format!("{}: {why}", m.short_citation())),
        None => tally.conditions.push(Condition {
            kind: ConditionKind::Cap,
            measure: m.id.clone(),
            citation: m.short_citation(),
            text,
            confidence: m.citation_confidence(),
        }),
    }
    tally.cited.push(m);
    tally.verdict = tally.verdict.max(outcome);
    tally.findings.push(Finding::new(cov, dir, outcome));
}

/// The goods an HS entry stands for: its note, else the measure's title.
fn goods_words<'a>(m: &'a Measure, e: &'a HsEntry) -> &'a str {
    e.note.as_deref().unwrap_or(&m.title)
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
