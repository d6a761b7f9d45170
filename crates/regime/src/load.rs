//! Reading regime files (TOML, one per resolution) into the typed model.
//!
//! Two passes: each file is parsed on its own (syntax, types, per-measure rules), then the
//! links between measures are resolved across files (supersession, `applies_to`). All
//! problems are collected, so `embargo regime validate` can list every one of them.

use crate::error::{Issue, Severity};
use crate::hs::{HsCode, HsSpec};
use crate::model::*;
use chrono::NaiveDate;
use serde::Deserialize;
use std::collections::HashMap;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    resolution: Spanned<RawResolution>,
    #[serde(default)]
    measure: Vec<Spanned<RawMeasure>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResolution {
    number: Spanned<String>,
    year: i32,
    adopted: Spanned<toml::value::Datetime>,
    symbol: String,
    title: String,
    #[serde(default)]
    triggers: Vec<Spanned<RawTrigger>>,
    sources: Vec<String>,
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrigger {
    date: Spanned<toml::value::Datetime>,
    event: String,
    kind: String,
    confidence: Confidence,
    source: String,
    note: Option<String>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum RawDirection {
    FromDprk,
    ToDprk,
    Both,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHs {
    code: Option<Spanned<String>>,
    range: Option<Spanned<String>>,
    provenance: HsProvenance,
    confidence: Confidence,
    #[serde(default)]
    partial: bool,
    value_over_usd: Option<Spanned<f64>>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimit {
    amount: Option<f64>,
    unit: Unit,
    period: CapPeriod,
    from: Spanned<toml::value::Datetime>,
    until: Option<Spanned<toml::value::Datetime>>,
    note: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeasure {
    id: Spanned<String>,
    paragraph: Spanned<String>,
    kind: Spanned<String>,
    title: String,
    direction: Option<Spanned<RawDirection>>,
    effective_from: Option<Spanned<toml::value::Datetime>>,
    effective_until: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    supersedes: Vec<Spanned<String>>,
    #[serde(default)]
    applies_to: Vec<Spanned<String>>,
    confidence: Confidence,
    paragraph_confidence: Option<Confidence>,
    #[serde(default)]
    sources: Vec<String>,
    notes: Option<String>,
    #[serde(default)]
    hs: Vec<Spanned<RawHs>>,
    #[serde(default)]
    limits: Vec<Spanned<RawLimit>>,
    combine: Option<CapCombine>,
    exception: Option<ExceptionKind>,
    #[serde(default)]
    origin_not: Vec<Spanned<String>>,
    requires_via: Option<Spanned<String>>,
    condition: Option<String>,
    days: Option<u32>,
    scope: Option<String>,
    disputed_until: Option<Spanned<toml::value::Datetime>>,
    dispute: Option<String>,
    rule: Option<Spanned<String>>,
    deadline: Option<Spanned<toml::value::Datetime>>,
    services: Option<String>,
    #[serde(default)]
    targets: Vec<TargetKind>,
    #[serde(default)]
    effects: Vec<String>,
    individuals: Option<u32>,
    entities: Option<u32>,
    vessels: Option<u32>,
}

/// A measure before cross-file links are resolved.
pub(crate) struct Loaded {
    pub resolutions: Vec<Resolution>,
    pub measures: Vec<Measure>,
    /// Line of each reference (`supersedes`, `applies_to`), for errors in the second pass.
    pub refs: Vec<RefSite>,
}

pub(crate) struct RefSite {
    pub measure: usize,
    pub target: String,
    pub field: &'static str,
    pub line: usize,
}

struct FileCtx<'a> {
    name: &'a str,
    text: &'a str,
    issues: &'a mut Vec<Issue>,
}

impl FileCtx<'_> {
    fn line(&self, span: std::ops::Range<usize>) -> usize {
        line_of(self.text, span.start)
    }
    fn error(&mut self, span: std::ops::Range<usize>, field: &str, message: impl Into<String>) {
        let line = self.line(span);
        self.issues.push(Issue {
            severity: Severity::Error,
            file: self.name.to_string(),
            line,
            field: field.to_string(),
            message: message.into(),
        });
    }
    fn date(&mut self, v: &Spanned<toml::value::Datetime>, field: &str) -> Option<NaiveDate> {
        let dt = v.get_ref();
        let parsed = match (dt.date, dt.time) {
            (Some(d), None) => {
                NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
            }
            _ => None,
        };
        if parsed.is_none() {
            self.error(
                v.span(),
                field,
                format!("{dt} is not a plain date (write YYYY-MM-DD)"),
            );
        }
        parsed
    }
}

pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Paragraph ids: "8", "29(b)", "8(a)(iii)", "11-17", "Annex IV", "annex".
pub fn paragraph_is_well_formed(p: &str) -> bool {
    if let Some(rest) = p.strip_prefix("Annex ") {
        return !rest.is_empty() && rest.chars().all(|c| matches!(c, 'I' | 'V' | 'X'));
    }
    if p == "annex" || p == "annexes" {
        return true;
    }
    if let Some((a, b)) = p.split_once('-') {
        return match (a.parse::<u32>(), b.parse::<u32>()) {
            (Ok(x), Ok(y)) => x > 0 && x < y,
            _ => false,
        };
    }
    let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() || digits.starts_with('0') {
        return false;
    }
    let mut rest = &p[digits.len()..];
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('(') else {
            return false;
        };
        let Some(close) = inner.find(')') else {
            return false;
        };
        let sub = &inner[..close];
        if sub.is_empty() || !sub.chars().all(|c| c.is_ascii_lowercase()) {
            return false;
        }
        rest = &inner[close + 1..];
    }
    true
}

/// Parse one file. Problems go to `issues`; what could be read is returned.
pub(crate) fn parse_file(name: &str, text: &str, issues: &mut Vec<Issue>, out: &mut Loaded) {
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start)).unwrap_or(0);
            issues.push(Issue {
                severity: Severity::Error,
                file: name.to_string(),
                line,
                field: "(syntax)".into(),
                message: e.message().to_string(),
            });
            return;
        }
    };
    let mut cx = FileCtx { name, text, issues };
    let res_span = raw.resolution.span();
    let r = raw.resolution.into_inner();
    let number = r.number.get_ref().clone();
    if number.is_empty() || !number.chars().all(|c| c.is_ascii_digit()) {
        cx.error(
            r.number.span(),
            "resolution.number",
            format!("{number:?} is not a resolution number"),
        );
    }
    let Some(adopted) = cx.date(&r.adopted, "resolution.adopted") else {
        return;
    };
    if chrono::Datelike::year(&adopted) != r.year {
        cx.error(
            r.adopted.span(),
            "resolution.adopted",
            format!("adopted {adopted} is not in year {}", r.year),
        );
    }
    if r.sources.is_empty() {
        cx.error(
            res_span.clone(),
            "resolution.sources",
            "a resolution needs at least one source",
        );
    }
    let mut triggers = Vec::new();
    for t in r.triggers {
        let span = t.span();
        let t = t.into_inner();
        let Some(date) = cx.date(&t.date, "resolution.triggers.date") else {
            continue;
        };
        if date > adopted {
            cx.error(
                span,
                "resolution.triggers.date",
                format!("trigger {date} is after adoption {adopted}"),
            );
            continue;
        }
        triggers.push(Trigger {
            date,
            event: t.event,
            kind: t.kind,
            confidence: t.confidence,
            source: t.source,
            note: t.note,
        });
    }
    out.resolutions.push(Resolution {
        number: number.clone(),
        year: r.year,
        adopted,
        symbol: r.symbol,
        title: r.title,
        triggers,
        sources: r.sources,
        notes: r.notes,
        origin: SourceLocation {
            file: name.to_string(),
            line: cx.line(res_span),
        },
    });

    for m in raw.measure {
        let span = m.span();
        let line = cx.line(span.clone());
        let m = m.into_inner();
        if let Some(measure) = build_measure(&mut cx, &number, adopted, line, m, out) {
            out.measures.push(measure);
        }
    }
}

fn directions(
    cx: &mut FileCtx,
    m: &RawMeasure,
    line_span: std::ops::Range<usize>,
) -> Option<Vec<Direction>> {
    match &m.direction {
        Some(d) => Some(match d.get_ref() {
            RawDirection::FromDprk => vec![Direction::FromDprk],
            RawDirection::ToDprk => vec![Direction::ToDprk],
            RawDirection::Both => vec![Direction::FromDprk, Direction::ToDprk],
        }),
        None => {
            cx.error(
                line_span,
                "direction",
                format!(
                    "a {} measure needs a direction (from_dprk, to_dprk or both)",
                    m.kind.get_ref()
                ),
            );
            None
        }
    }
}

fn hs_entries(cx: &mut FileCtx, raw: &[Spanned<RawHs>]) -> Vec<HsEntry> {
    let mut out: Vec<HsEntry> = Vec::new();
    for h in raw {
        let span = h.span();
        let h = h.get_ref();
        let spec = match (&h.code, &h.range) {
            (Some(code), None) => match HsCode::parse(code.get_ref()) {
                Ok(c) => HsSpec::Code { code: c },
                Err(e) => {
                    cx.error(code.span(), "hs.code", e.to_string());
                    continue;
                }
            },
            (None, Some(range)) => match HsSpec::parse_range(range.get_ref()) {
                Ok(s) => s,
                Err(e) => {
                    cx.error(range.span(), "hs.range", e.to_string());
                    continue;
                }
            },
            _ => {
                cx.error(span, "hs", "give exactly one of `code` or `range`");
                continue;
            }
        };
        if out.iter().any(|e| e.spec == spec) {
            cx.error(
                span,
                "hs",
                format!("HS {spec} is listed twice in this measure"),
            );
            continue;
        }
        if h.provenance == HsProvenance::Analyst && h.confidence == Confidence::Confirmed {
            cx.error(
                span.clone(),
                "hs.confidence",
                "an analyst mapping cannot be `confirmed`; only a code in a source text can",
            );
        }
        if let Some(v) = &h.value_over_usd {
            let amount = *v.get_ref();
            if !(amount.is_finite() && amount > 0.0) {
                cx.error(
                    v.span(),
                    "hs.value_over_usd",
                    format!("{amount} is not a positive amount"),
                );
            }
        }
        out.push(HsEntry {
            spec,
            provenance: h.provenance,
            confidence: h.confidence,
            partial: h.partial,
            value_over_usd: h.value_over_usd.as_ref().map(|v| *v.get_ref()),
            note: h.note.clone(),
        });
    }
    out
}

fn require<T: Clone>(
    cx: &mut FileCtx,
    v: &Option<T>,
    span: std::ops::Range<usize>,
    field: &str,
    kind: &str,
) -> Option<T> {
    if v.is_none() {
        cx.error(span, field, format!("a {kind} measure needs `{field}`"));
    }
    v.clone()
}

/// Build one measure of a resolution from its raw form, reporting to `cx` every rule it
/// breaks. `None` when something the measure cannot exist without is missing or
/// unreadable; lesser problems are reported and the measure is still built, so that the
/// second pass can check its links too.
fn build_measure(
    cx: &mut FileCtx,
    resolution: &str,
    adopted: NaiveDate,
    line: usize,
    m: RawMeasure,
    out: &mut Loaded,
) -> Option<Measure> {
    let id = measure_id(cx, resolution, &m);
    let paragraph = measure_paragraph(cx, &m);
    if m.sources.is_empty() {
        cx.error(
            m.id.span(),
            "sources",
            format!("measure {id} has no source"),
        );
    }
    let (effective_from, mut effective_until) = effective_window(cx, &m, adopted)?;
    let kind = measure_kind(cx, &m, effective_from, &mut effective_until)?;
    check_fields_fit_kind(cx, &m, &kind);
    record_refs(cx, &m, out);
    Some(Measure {
        id,
        resolution: resolution.to_string(),
        paragraph,
        title: m.title,
        kind,
        effective_from,
        effective_until,
        supersedes: refs(&m.supersedes),
        superseded_by: None,
        confidence: m.confidence,
        paragraph_confidence: m.paragraph_confidence.unwrap_or(m.confidence),
        sources: m.sources,
        notes: m.notes,
        origin: SourceLocation {
            file: cx.name.to_string(),
            line,
        },
    })
}

/// The measure's id, reported when it does not carry its resolution's number as prefix
/// (ids are global, the prefix keeps them unique across files).
fn measure_id(cx: &mut FileCtx, resolution: &str, m: &RawMeasure) -> String {
    let id = m.id.get_ref().clone();
    if !id.starts_with(&format!("{resolution}-")) {
        cx.error(
            m.id.span(),
            "id",
            format!("measure id {id:?} must start with \"{resolution}-\""),
        );
    }
    id
}

/// The measure's paragraph reference, reported when it is not a well-formed paragraph id.
fn measure_paragraph(cx: &mut FileCtx, m: &RawMeasure) -> String {
    let paragraph = m.paragraph.get_ref().clone();
    if !paragraph_is_well_formed(&paragraph) {
        cx.error(
            m.paragraph.span(),
            "paragraph",
            format!(
                "{paragraph:?} is not a paragraph id (e.g. 8, 29(b), 8(a)(iii), 11-17, Annex IV)"
            ),
        );
    }
    paragraph
}

/// The measure's `effective_from` (the adoption date when left out) and `effective_until`.
/// A start before adoption or an end before the start is reported; an unreadable date
/// drops the measure.
fn effective_window(
    cx: &mut FileCtx,
    m: &RawMeasure,
    adopted: NaiveDate,
) -> Option<(NaiveDate, Option<NaiveDate>)> {
    let effective_from = match &m.effective_from {
        Some(d) => {
            let d2 = cx.date(d, "effective_from")?;
            if d2 < adopted {
                cx.error(
                    d.span(),
                    "effective_from",
                    format!("{d2} is before the resolution's adoption ({adopted})"),
                );
            }
            d2
        }
        None => adopted,
    };
    let effective_until = match &m.effective_until {
        Some(d) => {
            let u = cx.date(d, "effective_until")?;
            if u < effective_from {
                cx.error(
                    d.span(),
                    "effective_until",
                    format!("{u} is before effective_from {effective_from}"),
                );
            }
            Some(u)
        }
        None => None,
    };
    Some((effective_from, effective_until))
}

/// The typed measure for the raw `kind`, with the fields that kind requires. A wind-down
/// fixes its own end, so it sets `effective_until`.
fn measure_kind(
    cx: &mut FileCtx,
    m: &RawMeasure,
    effective_from: NaiveDate,
    effective_until: &mut Option<NaiveDate>,
) -> Option<MeasureKind> {
    let kind_span = m.kind.span();
    let kind_name = m.kind.get_ref().as_str();
    let kind = match kind_name {
        "goods_ban" => {
            let directions = directions(cx, m, kind_span)?;
            MeasureKind::GoodsBan {
                directions,
                hs: hs_entries(cx, &m.hs),
            }
        }
        "cap" => cap_kind(cx, m, kind_span)?,
        "exception" => exception_kind(cx, m, kind_span)?,
        "wind_down" => wind_down_kind(cx, m, kind_span, effective_from, effective_until)?,
        "labour" => labour_kind(cx, m, kind_span)?,
        "joint_venture" | "shipping" | "financial" | "travel" | "other" => {
            let rule = require(cx, &m.rule, kind_span.clone(), "rule", kind_name)?.into_inner();
            match kind_name {
                "joint_venture" => MeasureKind::JointVenture { rule },
                "shipping" => MeasureKind::Shipping { rule },
                "financial" => MeasureKind::Financial { rule },
                "travel" => MeasureKind::Travel { rule },
                _ => MeasureKind::Other { rule },
            }
        }
        "services" => {
            let directions = directions(cx, m, kind_span.clone())?;
            let services = require(cx, &m.services, kind_span.clone(), "services", kind_name)?;
            MeasureKind::Services {
                directions,
                services,
            }
        }
        "designation" => {
            if m.targets.is_empty() || m.effects.is_empty() {
                cx.error(
                    kind_span.clone(),
                    "targets",
                    "a designation measure needs `targets` and `effects`",
                );
            }
            MeasureKind::Designation {
                targets: m.targets.clone(),
                effects: m.effects.clone(),
            }
        }
        "listing" => MeasureKind::Listing {
            individuals: m.individuals,
            entities: m.entities,
            vessels: m.vessels,
        },
        other => {
            cx.error(kind_span, "kind", format!("unknown measure kind {other:?}"));
            return None;
        }
    };
    Some(kind)
}

/// A `cap`: directions, HS scope and its limits, combined first-reached when there are
/// several and none is named.
fn cap_kind(
    cx: &mut FileCtx,
    m: &RawMeasure,
    kind_span: std::ops::Range<usize>,
) -> Option<MeasureKind> {
    let directions = directions(cx, m, kind_span.clone())?;
    let limits = cap_limits(cx, &m.limits)?;
    if limits.is_empty() {
        cx.error(
            kind_span.clone(),
            "limits",
            "a cap needs at least one limit",
        );
    }
    let combine = m.combine.unwrap_or(if limits.len() > 1 {
        CapCombine::FirstReached
    } else {
        CapCombine::Single
    });
    Some(MeasureKind::Cap {
        directions,
        hs: hs_entries(cx, &m.hs),
        limits,
        combine,
        applies_to: refs(&m.applies_to),
    })
}

/// The limits of a cap. A `window` limit needs an end and an amount must be positive
/// (both reported); an unreadable date drops the measure.
fn cap_limits(cx: &mut FileCtx, raw: &[Spanned<RawLimit>]) -> Option<Vec<CapLimit>> {
    let mut limits = Vec::new();
    for l in raw {
        let ls = l.span();
        let l = l.get_ref();
        let from = cx.date(&l.from, "limits.from")?;
        let until = match &l.until {
            Some(u) => Some(cx.date(u, "limits.until")?),
            None => None,
        };
        if l.period == CapPeriod::Window && until.is_none() {
            cx.error(ls.clone(), "limits.until", "a `window` limit needs `until`");
        }
        if let Some(a) = l.amount {
            if !(a.is_finite() && a > 0.0) {
                cx.error(
                    ls.clone(),
                    "limits.amount",
                    format!("{a} is not a positive amount"),
                );
            }
        }
        limits.push(CapLimit {
            amount: l.amount,
            unit: l.unit,
            period: l.period,
            from,
            until,
            note: l.note.clone(),
        });
    }
    Some(limits)
}

/// An `exception`: what it exempts, under which condition, from which measures, with the
/// origins it excludes and the country goods must pass through, as ISO codes.
fn exception_kind(
    cx: &mut FileCtx,
    m: &RawMeasure,
    kind_span: std::ops::Range<usize>,
) -> Option<MeasureKind> {
    let kind_name = m.kind.get_ref().as_str();
    let exception = require(cx, &m.exception, kind_span.clone(), "exception", kind_name)?;
    let condition = require(cx, &m.condition, kind_span.clone(), "condition", kind_name)?;
    if m.applies_to.is_empty() {
        cx.error(
            kind_span.clone(),
            "applies_to",
            "an exception must name the measures it applies to",
        );
    }
    let mut origin_not = Vec::new();
    for c in &m.origin_not {
        match crate::Country::parse(c.get_ref()) {
            Ok(k) => origin_not.push(k.code().to_string()),
            Err(e) => cx.error(c.span(), "origin_not", e.to_string()),
        }
    }
    let requires_via = match &m.requires_via {
        Some(v) => match crate::Country::parse(v.get_ref()) {
            Ok(k) => Some(k.code().to_string()),
            Err(e) => {
                cx.error(v.span(), "requires_via", e.to_string());
                None
            }
        },
        None => None,
    };
    Some(MeasureKind::Exception {
        exception,
        applies_to: refs(&m.applies_to),
        hs: hs_entries(cx, &m.hs),
        origin_not,
        requires_via,
        condition,
    })
}

/// A `wind_down`: its end is `days` after `effective_from`, written into
/// `effective_until` (a different explicit end is reported). A disputed reading of the end
/// must differ from it and say who disputes it.
fn wind_down_kind(
    cx: &mut FileCtx,
    m: &RawMeasure,
    kind_span: std::ops::Range<usize>,
    effective_from: NaiveDate,
    effective_until: &mut Option<NaiveDate>,
) -> Option<MeasureKind> {
    let kind_name = m.kind.get_ref().as_str();
    let days = require(cx, &m.days, kind_span.clone(), "days", kind_name)?;
    let scope = require(cx, &m.scope, kind_span.clone(), "scope", kind_name)?;
    let end = effective_from + chrono::Days::new(u64::from(days));
    if effective_until.is_some_and(|u| u != end) {
        cx.error(kind_span.clone(), "effective_until", format!("a wind-down of {days} days from {effective_from} ends on {end}; leave effective_until out"));
    }
    *effective_until = Some(end);
    let disputed_until = match &m.disputed_until {
        Some(d) => {
            let u = cx.date(d, "disputed_until")?;
            if u == end || u < effective_from {
                cx.error(
                    d.span(),
                    "disputed_until",
                    format!("{u} must differ from the encoded last day {end} and not precede {effective_from}"),
                );
            }
            if m.dispute.is_none() {
                cx.error(
                    d.span(),
                    "dispute",
                    "a disputed end needs `dispute`: who reads it so, and why",
                );
            }
            Some(u)
        }
        None => None,
    };
    Some(MeasureKind::WindDown {
        applies_to: refs(&m.applies_to),
        days,
        scope,
        hs: hs_entries(cx, &m.hs),
        disputed_until,
        dispute: m.dispute.clone(),
    })
}

/// A `labour` measure: one of the known rules; a repatriation needs a deadline.
fn labour_kind(
    cx: &mut FileCtx,
    m: &RawMeasure,
    kind_span: std::ops::Range<usize>,
) -> Option<MeasureKind> {
    let kind_name = m.kind.get_ref().as_str();
    let rule = require(cx, &m.rule, kind_span.clone(), "rule", kind_name)?;
    let rule = match rule.get_ref().as_str() {
        "no_increase" => LabourRule::NoIncrease,
        "no_new" => LabourRule::NoNew,
        "repatriate" => LabourRule::Repatriate,
        other => {
            cx.error(
                rule.span(),
                "rule",
                format!("labour rule {other:?} is not one of no_increase, no_new, repatriate"),
            );
            return None;
        }
    };
    let deadline = match &m.deadline {
        Some(d) => Some(cx.date(d, "deadline")?),
        None => None,
    };
    if rule == LabourRule::Repatriate && deadline.is_none() {
        cx.error(
            kind_span.clone(),
            "deadline",
            "a repatriation needs a deadline",
        );
    }
    Some(MeasureKind::Labour { rule, deadline })
}

/// Report the fields that only some kinds may carry when this measure's kind may not:
/// `applies_to`, an HS scope, a value threshold, a disputed end (and a `dispute` without one).
fn check_fields_fit_kind(cx: &mut FileCtx, m: &RawMeasure, kind: &MeasureKind) {
    let applies_allowed = matches!(
        kind,
        MeasureKind::Cap { .. } | MeasureKind::Exception { .. } | MeasureKind::WindDown { .. }
    );
    if !m.applies_to.is_empty() && !applies_allowed {
        cx.error(
            m.applies_to[0].span(),
            "applies_to",
            format!("a {} measure cannot apply to other measures", kind.name()),
        );
    }
    if !m.hs.is_empty() && !matches!(kind.name(), "goods_ban" | "cap" | "exception" | "wind_down") {
        cx.error(
            m.hs[0].span(),
            "hs",
            format!("a {} measure has no HS scope", kind.name()),
        );
    }
    if kind.name() != "goods_ban" {
        if let Some(v) =
            m.hs.iter()
                .find_map(|h| h.get_ref().value_over_usd.as_ref())
        {
            cx.error(
                v.span(),
                "hs.value_over_usd",
                format!(
                    "a value threshold bounds the goods of a ban; a {} measure cannot carry one",
                    kind.name()
                ),
            );
        }
    }
    if let Some(d) = m
        .disputed_until
        .as_ref()
        .filter(|_| kind.name() != "wind_down")
    {
        cx.error(
            d.span(),
            "disputed_until",
            format!("only a wind_down has a disputed end, not a {}", kind.name()),
        );
    }
    if m.dispute.is_some() && m.disputed_until.is_none() {
        cx.error(
            m.id.span(),
            "dispute",
            "`dispute` explains `disputed_until`, which is missing",
        );
    }
}

/// Note where the measure about to be pushed refers to others (`supersedes`,
/// `applies_to`), so the second pass can report a broken link at its line.
fn record_refs(cx: &FileCtx, m: &RawMeasure, out: &mut Loaded) {
    let idx = out.measures.len();
    for (field, list) in [("supersedes", &m.supersedes), ("applies_to", &m.applies_to)] {
        for r in list {
            out.refs.push(RefSite {
                measure: idx,
                target: r.get_ref().clone(),
                field,
                line: cx.line(r.span()),
            });
        }
    }
}

fn refs(v: &[Spanned<String>]) -> Vec<String> {
    v.iter().map(|s| s.get_ref().clone()).collect()
}

/// Second pass: resolve links between measures across files.
pub(crate) fn link(loaded: &mut Loaded, issues: &mut Vec<Issue>) {
    let mut by_id: HashMap<String, usize> = HashMap::new();
    for (i, m) in loaded.measures.iter().enumerate() {
        if let Some(prev) = by_id.insert(m.id.clone(), i) {
            let p = &loaded.measures[prev];
            issues.push(Issue {
                severity: Severity::Error,
                file: m.origin.file.clone(),
                line: m.origin.line,
                field: "id".into(),
                message: format!("duplicate measure id {} (also at {})", m.id, p.origin),
            });
        }
    }
    let mut numbers: HashMap<&str, usize> = HashMap::new();
    for r in &loaded.resolutions {
        if numbers.insert(&r.number, r.origin.line).is_some() {
            issues.push(Issue {
                severity: Severity::Error,
                file: r.origin.file.clone(),
                line: r.origin.line,
                field: "resolution.number".into(),
                message: format!("resolution {} is defined twice", r.number),
            });
        }
    }
    for site in &loaded.refs {
        let src = &loaded.measures[site.measure];
        let err = |message: String| Issue {
            severity: Severity::Error,
            file: src.origin.file.clone(),
            line: site.line,
            field: site.field.to_string(),
            message,
        };
        let Some(&target) = by_id.get(&site.target) else {
            issues.push(err(format!(
                "{} names unknown measure {:?}",
                src.id, site.target
            )));
            continue;
        };
        if target == site.measure {
            issues.push(err(format!("{} names itself", src.id)));
            continue;
        }
        let t = &loaded.measures[target];
        if site.field == "applies_to"
            && !matches!(
                t.kind,
                MeasureKind::GoodsBan { .. }
                    | MeasureKind::Cap { .. }
                    | MeasureKind::JointVenture { .. }
                    | MeasureKind::Labour { .. }
                    | MeasureKind::Shipping { .. }
            )
        {
            issues.push(err(format!(
                "{} applies to {}, a {} measure, which nothing can relax",
                src.id,
                t.id,
                t.kind.name()
            )));
        }
        if site.field == "applies_to" && t.effective_until.is_some_and(|u| u < src.effective_from) {
            issues.push(err(format!(
                "{} starts {} but {} it applies to has ended on {:?}",
                src.id, src.effective_from, t.id, t.effective_until
            )));
        }
    }
    // Supersession: the superseded measure ends the day before its successor starts.
    let mut ends: Vec<(usize, usize)> = Vec::new();
    for site in loaded.refs.iter().filter(|s| s.field == "supersedes") {
        if let Some(&t) = by_id.get(&site.target) {
            if t != site.measure {
                ends.push((t, site.measure));
            }
        }
    }
    for (old, new) in ends {
        let new_from = loaded.measures[new].effective_from;
        let new_id = loaded.measures[new].id.clone();
        let new_origin = loaded.measures[new].origin.clone();
        let o = &mut loaded.measures[old];
        if let Some(prev) = &o.superseded_by {
            issues.push(Issue {
                severity: Severity::Error,
                file: new_origin.file.clone(),
                line: new_origin.line,
                field: "supersedes".into(),
                message: format!("{} is superseded twice (by {prev} and by {new_id})", o.id),
            });
            continue;
        }
        let Some(day_before) = new_from.pred_opt() else {
            continue;
        };
        if day_before < o.effective_from {
            issues.push(Issue {
                severity: Severity::Error,
                file: new_origin.file.clone(),
                line: new_origin.line,
                field: "supersedes".into(),
                message: format!(
                    "{new_id} starts {new_from}, before {} it supersedes has started ({})",
                    o.id, o.effective_from
                ),
            });
            continue;
        }
        o.superseded_by = Some(new_id);
        o.effective_until = Some(o.effective_until.map_or(day_before, |u| u.min(day_before)));
    }
}
