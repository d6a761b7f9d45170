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

/// A verdict timeline: segment `i` runs from `starts[i]` to the next start. The starts
/// are kept apart from the (large) segments so the binary search stays in cache.
struct Timeline {
    starts: Vec<NaiveDate>,
    segments: Vec<Segment>,
}

/// One step of a timeline: from `start` until the next step's start.
#[derive(Debug, Clone)]
pub struct Segment {
    pub start: NaiveDate,
    pub assessment: Assessment,
    /// "2270 OP29; 2371 OP8": pre-rendered for batch output.
    pub citations_text: String,
    /// "cap: ...; exception: ...": pre-rendered.
    pub conditions_text: String,
    /// ",verdict,citations,conditions\n", CSV-escaped, for the batch writer.
    pub csv_tail: String,
    pub has_cap: bool,
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

/// Quote a CSV field when it needs it.
pub fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// What a verdict can depend on. Codes that no goods measure touches share one key
/// (`hs == 0`); origins and transit countries that no exception names collapse to `None`.
#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct Key {
    hs: u32,
    origin: Option<Country>,
    destination_is_dprk: bool,
    via: Option<Country>,
}

#[derive(Hash, PartialEq, Eq, Clone, Copy)]
struct RawKey {
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
    cache: FastMap<Key, usize>,
    /// The row's own (code, route) -> timeline, so a row costs one lookup.
    by_raw: FastMap<RawKey, usize>,
    timelines: Vec<Timeline>,
    /// HS key -> key used for the timeline (0 when no goods measure touches the code).
    hs_class: FastMap<u32, u32>,
    /// Countries some exception names (`origin_not`, `requires_via`), plus the DPRK.
    named_countries: Vec<Country>,
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
        CheckIndex {
            regime,
            common_breakpoints,
            cache: FastMap::default(),
            by_raw: FastMap::default(),
            timelines: Vec::new(),
            hs_class: FastMap::default(),
            named_countries,
        }
    }

    fn key(&mut self, s: &Shipment) -> Key {
        let regime = self.regime;
        let hs = *self.hs_class.entry(s.hs.key()).or_insert_with(|| {
            let touched = [Direction::FromDprk, Direction::ToDprk]
                .iter()
                .any(|d| !regime.relevant_measures(&s.hs, *d).is_empty());
            if touched {
                s.hs.key()
            } else {
                0
            }
        });
        let named = |c: Country| self.named_countries.binary_search(&c).is_ok().then_some(c);
        Key {
            hs,
            origin: named(s.origin),
            destination_is_dprk: s.destination.is_dprk(),
            via: s.via.and_then(named),
        }
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

    fn timeline(&mut self, s: &Shipment) -> usize {
        // Fast path: one hash lookup on the row's own key.
        let raw = RawKey {
            hs: s.hs.key(),
            origin: s.origin,
            destination_is_dprk: s.destination.is_dprk(),
            via: s.via,
        };
        if let Some(&t) = self.by_raw.get(&raw) {
            return t;
        }
        let t = self.timeline_slow(s);
        self.by_raw.insert(raw, t);
        t
    }

    fn timeline_slow(&mut self, s: &Shipment) -> usize {
        let key = self.key(s);
        if let Some(&t) = self.cache.get(&key) {
            return t;
        }
        let mut segments: Vec<Segment> = Vec::new();
        for start in self.breakpoints(s) {
            let probe = Shipment {
                date: start,
                quantity: None,
                value_usd: None,
                ..s.clone()
            };
            let a = self.regime.check(&probe);
            if segments.last().is_some_and(|last| last.assessment == a) {
                continue;
            }
            let citations_text = citations_text(&a);
            let conditions_text = a
                .conditions
                .iter()
                .map(|c| format!("{}: {}", c.citation, c.text))
                .collect::<Vec<_>>()
                .join(" | ");
            let has_cap = a.conditions.iter().any(|c| c.kind == ConditionKind::Cap);
            let csv_tail = format!(
                ",{},{},{}\n",
                a.verdict.as_str(),
                csv_field(&citations_text),
                csv_field(&conditions_text)
            );
            segments.push(Segment {
                start,
                assessment: a,
                citations_text,
                conditions_text,
                csv_tail,
                has_cap,
            });
        }
        let starts = segments.iter().map(|s| s.start).collect();
        self.timelines.push(Timeline { starts, segments });
        let t = self.timelines.len() - 1;
        self.cache.insert(key, t);
        t
    }

    /// The segment in force for this shipment's date, ignoring quantity and value.
    pub fn segment(&mut self, s: &Shipment) -> &Segment {
        let ti = self.timeline(s);
        let t = &self.timelines[ti];
        // The first breakpoint is NaiveDate::MIN, so every date has a segment.
        let i = t.starts.partition_point(|d| *d <= s.date).saturating_sub(1);
        &t.segments[i]
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

/// HS parse from bytes (same rules as [`HsCode::parse`]; plain digits take a fast path).
pub fn parse_hs_fast(s: &[u8]) -> Option<HsCode> {
    if matches!(s.len(), 2 | 4 | 6) && s.iter().all(u8::is_ascii_digit) {
        return HsCode::from_digits(s);
    }
    std::str::from_utf8(s)
        .ok()
        .and_then(|t| HsCode::parse(t).ok())
}
