//! The batch check at speed.
//!
//! A verdict depends on the date only through the days on which some measure starts or
//! ends, so for one (HS code, origin, destination, transit) the verdict is a step function
//! of the date. The index computes that step function once per key, by running the full
//! [`Regime::check`] at each breakpoint, and then answers each row with a table lookup.
//!
//! Layout, because the batch is bound by memory latency rather than arithmetic: every
//! measure's breakpoints together form one small calendar (a few hundred days, always in
//! L1), so a row's date becomes an epoch number with one binary search shared by all
//! keys; each timeline is then a row of a flat `epoch -> segment` table, and segments live
//! in one arena. A row costs one hash probe and two array reads instead of three pointer
//! chases per row (the profile showed the per-timeline binary search and the probe at
//! 40% of the batch).
//! Rows that carry a quantity or value and meet a cap fall back to the full check, since
//! a single shipment can exceed a cap by itself. The property tests hold the index to the
//! full check.

use crate::check::{Assessment, ConditionKind, Shipment, Verdict};
use crate::{CapPeriod, Country, Direction, Measure, MeasureKind, Regime};
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small multiplicative hasher for the per-row lookups (keys are a few integers; the
/// default SipHash showed up in profiles and DoS resistance is not needed here).
#[derive(Default, Clone, Copy)]
struct RowHasher(u64);

impl Hasher for RowHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<RowHasher>>;

/// One step of a timeline: an assessment. Equal steps of different timelines are one
/// segment (interned), so the arena stays small and hot; `id` lets a printer keep what
/// it renders for a segment without rendering it per row.
#[derive(Debug, Clone)]
pub struct Segment {
    /// The segment's index in its [`CheckIndex`]'s arena (stable for the index's life).
    pub id: u32,
    pub assessment: Assessment,
    pub has_cap: bool,
    /// The goods are covered only above a value, and the segment was computed without one.
    pub has_value_threshold: bool,
}

/// "2270 OP29; 2371 OP8": each paragraph once, in citation order.
pub fn citations_text(a: &Assessment) -> String {
    let mut seen: Vec<String> = Vec::new();
    for c in &a.citations {
        let s = c.short();
        if !seen.contains(&s) {
            seen.push(s);
        }
    }
    seen.join("; ")
}

/// "2321 OP26: cap ... | note ...": the conditions, then the notes (why a cap verdict
/// came out as it did, or why the goods measures do not apply), on one line.
pub fn conditions_text(a: &Assessment) -> String {
    a.conditions
        .iter()
        .map(|c| format!("{}: {}", c.citation, c.text))
        .chain(a.notes.iter().cloned())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// What equal assessments share, to find a segment without comparing every one: the
/// verdict, both texts and the confidence (equal assessments give equal keys).
fn segment_key(a: &Assessment) -> String {
    format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{:?}",
        a.verdict.as_str(),
        citations_text(a),
        conditions_text(a),
        a.confidence
    )
}

/// A per-thread memo of verdict timelines. Cheap to create; fills as rows arrive.
pub struct CheckIndex<'r> {
    regime: &'r Regime,
    /// Start and end days of the goods measures without HS scope: they change the
    /// `unscoped` list of every assessment.
    common_breakpoints: Vec<NaiveDate>,
    /// What a verdict can depend on, as dense numbers: the HS class (every code a goods
    /// measure touches has its own; all other codes share class 0) and the route (the
    /// origin and transit country if an exception names them, and whether the goods go
    /// to the DPRK). `timeline_of[class * route_slots + route]` is the timeline, or
    /// `UNBUILT`. Two small arrays and one small map replace a hash probe into a
    /// per-row-key map that missed the cache on every row.
    hs_class: FastMap<u32, u32>,
    class_count: u32,
    route_slots: usize,
    timeline_of: Vec<u32>,
    /// Every day on which some measure's verdict can change, sorted; starts with
    /// `NaiveDate::MIN`. Epoch `e` runs from `calendar[e]` to the next entry.
    calendar: Vec<NaiveDate>,
    /// Timeline `t` is `epoch_segment[t * calendar.len()..][..calendar.len()]`: the
    /// segment (index into `segments`) in force during each epoch.
    epoch_segment: Vec<u32>,
    /// Timelines are interned by their epoch row: most keys share a few shapes (always
    /// permitted, banned from one date, ...), which keeps the table a few kilobytes.
    timeline_ids: HashMap<Vec<u32>, u32>,
    segments: Vec<Segment>,
    /// [`segment_key`] -> segments with that key (equal assessments are one segment).
    segment_ids: HashMap<String, Vec<u32>>,
    /// Countries some exception names (`origin_not`, `requires_via`), plus the DPRK.
    named_countries: Vec<Country>,
}

const UNBUILT: u32 = u32::MAX;

/// Cap periods are enumerated up to this year; later dates fall in the last segment,
/// whose cap text would name the wrong period, so they take the full check.
const HORIZON_YEAR: i32 = 2060;

fn measure_breakpoints(m: &Measure, out: &mut Vec<NaiveDate>) {
    out.push(m.effective_from);
    if let Some(next) = m.effective_until.and_then(|u| u.succ_opt()) {
        out.push(next);
    }
    // The days between a wind-down's encoded and disputed ends carry the other reading.
    if let (
        MeasureKind::WindDown {
            disputed_until: Some(alt),
            ..
        },
        Some(until),
    ) = (&m.kind, m.effective_until)
    {
        out.push(until.min(*alt));
        if let Some(next) = until.max(*alt).succ_opt() {
            out.push(next);
        }
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
                CapPeriod::CalendarYear => {
                    NaiveDate::from_ymd_opt(l.from.year(), 1, 1).unwrap_or(l.from)
                }
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
        let mut named_countries = vec![Country::DPRK];
        for m in regime.measures() {
            if let MeasureKind::Exception {
                origin_not,
                requires_via,
                ..
            } = &m.kind
            {
                for c in origin_not.iter().chain(requires_via.iter()) {
                    if let Ok(c) = Country::parse(c) {
                        named_countries.push(c);
                    }
                }
            }
        }
        named_countries.sort();
        named_countries.dedup();
        // A superset of every timeline's breakpoints: between two calendar days no
        // timeline changes, so one epoch number serves every key.
        let mut calendar = common_breakpoints.clone();
        for m in regime.measures() {
            measure_breakpoints(m, &mut calendar);
        }
        calendar.sort_unstable();
        calendar.dedup();
        let named = named_countries.len() + 1;
        let route_slots = named * named * 2;
        CheckIndex {
            regime,
            common_breakpoints,
            hs_class: FastMap::default(),
            class_count: 1,
            route_slots,
            timeline_of: vec![UNBUILT; route_slots],
            calendar,
            epoch_segment: Vec::new(),
            timeline_ids: HashMap::new(),
            segments: Vec::new(),
            segment_ids: HashMap::new(),
            named_countries,
        }
    }

    /// The shipment's HS class, assigning one on first sight of a code.
    fn class(&mut self, s: &Shipment) -> u32 {
        let code = s.hs.key();
        if let Some(&c) = self.hs_class.get(&code) {
            return c;
        }
        let touched = [Direction::FromDprk, Direction::ToDprk]
            .iter()
            .any(|d| !self.regime.relevant_measures(&s.hs, *d).is_empty());
        let c = if touched {
            let c = self.class_count;
            self.class_count += 1;
            self.timeline_of
                .extend(std::iter::repeat_n(UNBUILT, self.route_slots));
            c
        } else {
            0
        };
        self.hs_class.insert(code, c);
        c
    }

    /// The shipment's route slot: named origin, named transit country, DPRK-bound.
    fn route(&self, s: &Shipment) -> usize {
        // 0 for a country no exception names; the DPRK is always named.
        let named = |c: Country| {
            self.named_countries
                .iter()
                .position(|n| *n == c)
                .map_or(0, |i| i + 1)
        };
        let width = self.named_countries.len() + 1;
        let origin = named(s.origin);
        let via = s.via.map_or(0, named);
        (origin * width + via) * 2 + usize::from(s.destination.is_dprk())
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

    fn timeline(&mut self, s: &Shipment) -> u32 {
        let slot = self.class(s) as usize * self.route_slots + self.route(s);
        match self.timeline_of.get(slot) {
            Some(&t) if t != UNBUILT => t,
            _ => {
                let t = self.build_timeline(s);
                if let Some(entry) = self.timeline_of.get_mut(slot) {
                    *entry = t;
                }
                t
            }
        }
    }

    /// The arena index of a segment equal to this assessment, adding it if new.
    fn intern_segment(&mut self, a: Assessment) -> u32 {
        let same_key = self.segment_ids.entry(segment_key(&a)).or_default();
        if let Some(&id) = same_key
            .iter()
            .find(|&&id| self.segments[id as usize].assessment == a)
        {
            return id;
        }
        let id = self.segments.len() as u32;
        same_key.push(id);
        let has_cap = a.conditions.iter().any(|c| c.kind == ConditionKind::Cap);
        let has_value_threshold = a
            .conditions
            .iter()
            .any(|c| c.kind == ConditionKind::ValueThreshold);
        self.segments.push(Segment {
            id,
            assessment: a,
            has_cap,
            has_value_threshold,
        });
        id
    }

    /// Run the full check at each of this shipment's breakpoints and intern the result.
    fn build_timeline(&mut self, s: &Shipment) -> u32 {
        // (start, segment) for each day on which this key's verdict changes.
        let mut steps: Vec<(NaiveDate, u32)> = Vec::new();
        for start in self.breakpoints(s) {
            let probe = Shipment {
                date: start,
                quantity: None,
                value_usd: None,
                ..s.clone()
            };
            let id = self.intern_segment(self.regime.check(&probe));
            if steps.last().is_none_or(|(_, last)| *last != id) {
                steps.push((start, id));
            }
        }
        // This key's row of the epoch table: walk the calendar and the steps together
        // (both sorted; every step starts on a calendar day).
        let mut row = Vec::with_capacity(self.calendar.len());
        let mut current = 0usize;
        for day in &self.calendar {
            while current + 1 < steps.len() && steps[current + 1].0 <= *day {
                current += 1;
            }
            row.push(steps.get(current).map_or(0, |(_, id)| *id));
        }
        let next = self.timeline_ids.len() as u32;
        *self.timeline_ids.entry(row).or_insert_with_key(|row| {
            self.epoch_segment.extend_from_slice(row);
            next
        })
    }

    /// The segment in force for this shipment's date, ignoring quantity and value.
    pub fn segment(&mut self, s: &Shipment) -> &Segment {
        let t = self.timeline(s) as usize;
        // The calendar starts with NaiveDate::MIN, so every date has an epoch.
        let epoch = self
            .calendar
            .partition_point(|d| *d <= s.date)
            .saturating_sub(1);
        let seg = self.epoch_segment[t * self.calendar.len() + epoch];
        &self.segments[seg as usize]
    }

    /// The verdict for a shipment: the memoized segment, or the full check when a
    /// quantity or value meets a cap.
    pub fn verdict(&mut self, s: &Shipment) -> Verdict {
        let regime = self.regime;
        let seg = self.segment(s);
        if needs_full_check(seg, s) {
            regime.check(s).verdict
        } else {
            seg.assessment.verdict
        }
    }

    /// Full assessment (cloned from the memo, or computed when quantities matter).
    pub fn assess(&mut self, s: &Shipment) -> Assessment {
        let regime = self.regime;
        let seg = self.segment(s);
        if needs_full_check(seg, s) {
            regime.check(s)
        } else {
            seg.assessment.clone()
        }
    }

    /// How many (HS class, route) timelines have been built so far.
    pub fn cached_keys(&self) -> usize {
        self.timeline_of.iter().filter(|t| **t != UNBUILT).count()
    }

    pub fn regime(&self) -> &'r Regime {
        self.regime
    }
}

/// A segment answers a row unless the row's quantity or value meets a cap (a single
/// shipment can exceed a cap), its date lies past the horizon of enumerated cap periods,
/// or its value settles a value threshold the segment left open.
pub fn needs_full_check(seg: &Segment, s: &Shipment) -> bool {
    (seg.has_cap && (s.quantity.is_some() || s.value_usd.is_some() || s.date.year() > HORIZON_YEAR))
        || (seg.has_value_threshold && s.value_usd.is_some())
}
