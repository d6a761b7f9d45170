//! The batch check at speed.
//!
//! A verdict depends on the date only through the days on which some measure starts or
//! ends, so for one (HS code, origin, destination, transit) the verdict is a step function
//! of the date. The index computes that step function once per key, by running the full
//! [`Regime::check`] at each breakpoint, and then answers each row with a binary search.
//! Rows that carry a quantity or value and meet a cap fall back to the full check, since
//! a single shipment can exceed a cap by itself. The property tests hold the index to the
//! full check.

use crate::check::{Assessment, ConditionKind, Shipment, Verdict};
use crate::{CapPeriod, Country, Direction, HsCode, Measure, MeasureKind, Regime};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::sync::Arc;

/// One step of a timeline: from `start` until the next step's start.
#[derive(Debug, Clone)]
pub struct Segment {
    pub start: NaiveDate,
    pub assessment: Assessment,
    /// "2270 OP29; 2371 OP8": pre-rendered for batch output.
    pub citations_text: String,
    /// "cap: ...; exception: ...": pre-rendered.
    pub conditions_text: String,
    pub has_cap: bool,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct Key {
    hs: u32,
    origin: Country,
    destination_is_dprk: bool,
    via: Option<Country>,
}

/// A per-thread memo of verdict timelines. Cheap to create; fills as rows arrive.
pub struct CheckIndex<'r> {
    regime: &'r Regime,
    /// Start and end days of the goods measures without HS scope: they change the
    /// `unscoped` list of every assessment.
    common_breakpoints: Vec<NaiveDate>,
    cache: HashMap<Key, Arc<Vec<Segment>>>,
}

/// Cap periods are enumerated up to this year; later dates fall in the last segment,
/// whose cap text would name the wrong period, so they take the full check.
const HORIZON_YEAR: i32 = 2060;

fn measure_breakpoints(m: &Measure, out: &mut Vec<NaiveDate>) {
    out.push(m.effective_from);
    if let Some(next) = m.effective_until.and_then(|u| u.succ_opt()) {
        out.push(next);
    }
    if let MeasureKind::Cap { limits, .. } = &m.kind {
        for l in limits {
            out.push(l.from);
            if let Some(next) = l.until.and_then(|u| u.succ_opt()) {
                out.push(next);
            }
            let step = match l.period {
                CapPeriod::Window => continue,
                CapPeriod::CalendarYear | CapPeriod::TwelveMonths => chrono::Months::new(12),
            };
            let mut d = match l.period {
                CapPeriod::CalendarYear => NaiveDate::from_ymd_opt(l.from.year(), 1, 1).unwrap_or(l.from),
                _ => l.from,
            };
            while d.year() <= HORIZON_YEAR {
                out.push(d);
                match d.checked_add_months(step) {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
    }
}

impl<'r> CheckIndex<'r> {
    pub fn new(regime: &'r Regime) -> Self {
        let mut common_breakpoints = vec![NaiveDate::MIN];
        for m in regime.measures() {
            if matches!(&m.kind, MeasureKind::GoodsBan { hs, .. } if hs.is_empty()) {
                measure_breakpoints(m, &mut common_breakpoints);
            }
        }
        CheckIndex { regime, common_breakpoints, cache: HashMap::new() }
    }

    /// The days on which this key's verdict can change.
    fn breakpoints(&self, s: &Shipment) -> Vec<NaiveDate> {
        let mut out = self.common_breakpoints.clone();
        for dir in [Direction::FromDprk, Direction::ToDprk] {
            for m in self.regime.relevant_measures(&s.hs, dir) {
                measure_breakpoints(m, &mut out);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    fn timeline(&mut self, s: &Shipment) -> Arc<Vec<Segment>> {
        // Only whether the destination is the DPRK matters (no measure names another
        // destination), while the origin matters for exceptions such as `origin_not`.
        let key = Key { hs: s.hs.key(), origin: s.origin, destination_is_dprk: s.destination.is_dprk(), via: s.via };
        if let Some(t) = self.cache.get(&key) {
            return Arc::clone(t);
        }
        let mut segments: Vec<Segment> = Vec::new();
        for start in self.breakpoints(s) {
            let probe = Shipment { date: start, quantity: None, value_usd: None, ..s.clone() };
            let a = self.regime.check(&probe);
            if segments.last().is_some_and(|last| last.assessment == a) {
                continue;
            }
            let citations_text = a.citations.iter().map(|c| if c.paragraph.starts_with(|ch: char| ch.is_ascii_digit()) { format!("{} OP{}", c.resolution, c.paragraph) } else { format!("{} {}", c.resolution, c.paragraph) }).collect::<Vec<_>>().join("; ");
            let conditions_text = a.conditions.iter().map(|c| format!("{}: {}", c.citation, c.text)).collect::<Vec<_>>().join(" | ");
            let has_cap = a.conditions.iter().any(|c| c.kind == ConditionKind::Cap);
            segments.push(Segment { start, assessment: a, citations_text, conditions_text, has_cap });
        }
        let t = Arc::new(segments);
        self.cache.insert(key, Arc::clone(&t));
        t
    }

    /// The segment in force for this shipment's date, ignoring quantity and value.
    pub fn segment(&mut self, s: &Shipment) -> (Arc<Vec<Segment>>, usize) {
        let t = self.timeline(s);
        let i = t.partition_point(|seg| seg.start <= s.date).saturating_sub(1);
        (t, i)
    }

    /// The verdict for a shipment: the memoized segment, or the full check when a
    /// quantity or value meets a cap.
    pub fn verdict(&mut self, s: &Shipment) -> Verdict {
        let (t, i) = self.segment(s);
        match t.get(i) {
            Some(seg) if needs_full_check(seg, s) => self.regime.check(s).verdict,
            Some(seg) => seg.assessment.verdict,
            None => self.regime.check(s).verdict,
        }
    }

    /// Full assessment (cloned from the memo, or computed when quantities matter).
    pub fn assess(&mut self, s: &Shipment) -> Assessment {
        let (t, i) = self.segment(s);
        match t.get(i) {
            Some(seg) if !needs_full_check(seg, s) => seg.assessment.clone(),
            _ => self.regime.check(s),
        }
    }

    pub fn cached_keys(&self) -> usize {
        self.cache.len()
    }

    pub fn regime(&self) -> &'r Regime {
        self.regime
    }
}

/// A segment answers a row unless the row's quantity or value meets a cap (a single
/// shipment can exceed a cap) or its date lies past the horizon of enumerated cap periods.
pub fn needs_full_check(seg: &Segment, s: &Shipment) -> bool {
    seg.has_cap && (s.quantity.is_some() || s.value_usd.is_some() || s.date.year() > HORIZON_YEAR)
}

/// Parse helpers for fast batch input (no allocation on the hot path).
pub fn parse_date_fast(s: &[u8]) -> Option<NaiveDate> {
    if s.len() != 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let num = |b: &[u8]| -> Option<u32> {
        let mut v = 0u32;
        for &c in b {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        Some(v)
    };
    let y = num(&s[0..4])?;
    let m = num(&s[5..7])?;
    let d = num(&s[8..10])?;
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// HS parse from bytes (same rules as [`HsCode::parse`]).
pub fn parse_hs_fast(s: &[u8]) -> Option<HsCode> {
    std::str::from_utf8(s).ok().and_then(|t| HsCode::parse(t).ok())
}
