//! A vessel's profile: its names and flags over time, the parties linked to it, and the
//! signals an analyst would look at, each with the reason and the sources behind it.
//!
//! Signals are indicators, not findings: a flag of convenience is legal; what matters is
//! the combination (a DPRK-linked ship under a foreign flag, a ship changing flags often).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;

use super::registry::{Confidence, FlagCategory, FlagRegistry};
use super::{EventKind, Imo, VesselEvent};
use crate::graph::{normalize_name, Graph, NodeIx};
use crate::model::{Designation, EdgeKind};

/// Thresholds of the flag-hopping heuristic. They are analyst settings, not sourced
/// facts; the defaults (3 flags within 3 years) are documented in docs/network.md.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SignalRules {
    pub hop_min_flags: usize,
    pub hop_window_days: i64,
}

impl Default for SignalRules {
    fn default() -> Self {
        SignalRules {
            hop_min_flags: 3,
            hop_window_days: 3 * 365,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// The vessel itself is on a list.
    Designated,
    /// The vessel flies or flew the DPRK flag.
    DprkFlag,
    /// A DPRK-linked vessel under another flag (or re-flagged away from the DPRK).
    ForeignFlagDprkLinked,
    /// Its flag is a reported flag of choice for DPRK-linked vessels.
    DprkFlagOfChoice,
    /// Its flag is on the ITF list of flags of convenience.
    FlagOfConvenience,
    /// Several flags within a short window.
    FlagHopping,
    /// Former names are known.
    Renamed,
    /// The list entry gives no flag.
    FlagUnknown,
    /// An owner, manager, operator or linked party is on a list.
    LinkedToDesignee,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Medium,
    High,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub severity: Severity,
    pub reason: String,
    /// Source ids from the flag registry file, or the sources of the records used.
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameRecord {
    pub name: String,
    pub date: Option<NaiveDate>,
    pub kind: EventKind,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagRecord {
    /// Canonical registry name when the registry knows the flag, else as written.
    pub flag: String,
    pub as_written: String,
    pub date: Option<NaiveDate>,
    pub kind: EventKind,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VesselLink {
    pub id: String,
    pub name: String,
    pub relation: EdgeKind,
    pub designated: bool,
    pub designations: Vec<Designation>,
    pub source: String,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct VesselProfile {
    pub imo: Imo,
    pub name: Option<String>,
    /// Something current is said of the vessel: a list entry, a name or flag record, or a
    /// relation.
    pub known: bool,
    pub designations: Vec<Designation>,
    pub names: Vec<NameRecord>,
    pub flags: Vec<FlagRecord>,
    pub current_flag: Option<String>,
    pub dprk_linked: bool,
    pub dprk_linked_because: Vec<String>,
    pub links: Vec<VesselLink>,
    pub signals: Vec<Signal>,
}

fn is_dprk_designation(d: &Designation) -> bool {
    d.programs
        .iter()
        .any(|p| p.to_ascii_uppercase().starts_with("DPRK"))
}

/// Builds the profile of one vessel from the graph (its node, designations and links) and
/// its name/flag records.
pub fn vessel_profile(
    imo: Imo,
    graph: &Graph,
    events: &[VesselEvent],
    registry: &FlagRegistry,
    rules: SignalRules,
) -> VesselProfile {
    let node_ix = graph.ix(&imo.node_id());
    let node = node_ix.and_then(|ix| graph.node(ix));
    let designations = node.map(|n| n.designations.clone()).unwrap_or_default();

    let names = name_records(events);
    let flags = flag_records(events, registry);
    let current_flag = latest_flag(&flags);
    let name = names
        .iter()
        .filter(|n| n.kind != EventKind::FormerName)
        .max_by_key(|n| n.date)
        .map(|n| n.name.clone())
        .or_else(|| node.map(|n| n.name.clone()));
    let links = node_ix
        .map(|ix| vessel_links(graph, ix))
        .unwrap_or_default();
    let because = dprk_link_reasons(&designations, &flags, &links, registry);
    let dprk_linked = !because.is_empty();

    let mut profile = VesselProfile {
        imo,
        name,
        // A node alone is not knowledge: nodes outlive the list versions and files that
        // named them (user edges may point at them), so a delisted ship's node stays with
        // nothing current said of it.
        known: !events.is_empty() || !designations.is_empty() || !links.is_empty(),
        designations,
        names,
        flags,
        current_flag,
        dprk_linked,
        dprk_linked_because: because,
        links,
        signals: Vec::new(),
    };
    profile.signals = profile_signals(&profile, registry, rules);
    profile
}

/// The name records of the events, by date then name. The same statement from two imports
/// (the list and the vessel extract) is one record with both sources.
fn name_records(events: &[VesselEvent]) -> Vec<NameRecord> {
    let mut names: Vec<NameRecord> = events
        .iter()
        .filter_map(|e| {
            e.name.as_ref().map(|n| NameRecord {
                name: n.clone(),
                date: e.date,
                kind: e.kind,
                source: e.source.clone(),
            })
        })
        .collect();
    names.sort_by(|a, b| a.date.cmp(&b.date).then(a.name.cmp(&b.name)));
    // The same statement from two imports (the list and the vessel extract) is one record
    // with both sources.
    names.dedup_by(|later, kept| {
        let same = later.date == kept.date
            && later.kind == kept.kind
            && normalize_name(&later.name) == normalize_name(&kept.name);
        if same && !kept.source.contains(&later.source) {
            kept.source = format!("{}; {}", kept.source, later.source);
        }
        same
    });
    names
}

/// The flag records of the events under the registry's canonical flag names, by date then
/// flag; the same statement from two imports is one record with both sources.
fn flag_records(events: &[VesselEvent], registry: &FlagRegistry) -> Vec<FlagRecord> {
    let mut flags: Vec<FlagRecord> = events
        .iter()
        .filter_map(|e| {
            e.flag.as_ref().map(|f| FlagRecord {
                flag: registry.canonical(f),
                as_written: f.clone(),
                date: e.date,
                kind: e.kind,
                source: e.source.clone(),
            })
        })
        .collect();
    flags.sort_by(|a, b| a.date.cmp(&b.date).then(a.flag.cmp(&b.flag)));
    flags.dedup_by(|later, kept| {
        let same = later.date == kept.date && later.kind == kept.kind && later.flag == kept.flag;
        if same && !kept.source.contains(&later.source) {
            kept.source = format!("{}; {}", kept.source, later.source);
        }
        same
    });
    flags
}

/// Current flag: the latest dated record; without dates, the list's own statement.
fn latest_flag(flags: &[FlagRecord]) -> Option<String> {
    flags
        .iter()
        .filter(|f| f.date.is_some())
        .max_by_key(|f| f.date)
        .or_else(|| flags.iter().find(|f| f.kind == EventKind::Listing))
        .or_else(|| flags.last())
        .map(|f| f.flag.clone())
}

/// The parties linked to the vessel's node by an edge either way, one per party and
/// relation (the sources of repeated edges joined).
fn vessel_links(graph: &Graph, ix: NodeIx) -> Vec<VesselLink> {
    let mut links = Vec::new();
    for &e in graph.incoming(ix).iter().chain(graph.outgoing(ix)) {
        let (Some(edge), Some((from, to))) = (graph.edge(e), graph.ends(e)) else {
            continue;
        };
        let other = if from == ix { to } else { from };
        if let Some(o) = graph.node(other) {
            if let Some(existing) = links
                .iter_mut()
                .find(|l: &&mut VesselLink| l.id == o.id && l.relation == edge.kind)
            {
                if !existing.source.contains(&edge.source) {
                    existing.source = format!("{}; {}", existing.source, edge.source);
                }
                continue;
            }
            links.push(VesselLink {
                id: o.id.clone(),
                name: o.name.clone(),
                relation: edge.kind,
                designated: o.is_designated(),
                designations: o.designations.clone(),
                source: edge.source.clone(),
                origin: edge.origin.clone(),
            });
        }
    }
    links
}

/// Why the vessel counts as DPRK-linked: its DPRK designations, a DPRK flag, linked
/// parties with DPRK designations. Empty when it is not.
fn dprk_link_reasons(
    designations: &[Designation],
    flags: &[FlagRecord],
    links: &[VesselLink],
    registry: &FlagRegistry,
) -> Vec<String> {
    let mut because = Vec::new();
    for d in designations.iter().filter(|d| is_dprk_designation(d)) {
        because.push(format!(
            "designated {} {} ({})",
            d.list,
            d.reference,
            d.programs.join(", ")
        ));
    }
    if flags.iter().any(|f| registry.is_dprk(&f.as_written)) {
        because.push("flies or flew the DPRK flag".to_string());
    }
    for l in links
        .iter()
        .filter(|l| l.designations.iter().any(is_dprk_designation))
    {
        because.push(format!("{} {} ({})", l.relation.as_str(), l.name, l.id));
    }
    because
}

/// The signals of a profile (everything but its signals filled in), most severe first.
fn profile_signals(p: &VesselProfile, registry: &FlagRegistry, rules: SignalRules) -> Vec<Signal> {
    let mut signals = Vec::new();
    signals.extend(designated_signal(&p.designations));
    signals.extend(dprk_flag_signal(&p.flags, registry));
    signals.extend(foreign_flag_signal(p, registry));
    flag_category_signals(p, registry, &mut signals);
    signals.extend(flag_hopping(&p.flags, rules));
    signals.extend(renamed_signal(p));
    if !p.designations.is_empty() && p.flags.is_empty() {
        signals.push(Signal {
            kind: SignalKind::FlagUnknown,
            severity: Severity::Medium,
            reason: "the list entry gives no flag (stateless, false flag, or not known to the designating authority)".into(),
            sources: p.designations.iter().map(|d| d.list.clone()).collect(),
            confidence: None,
        });
    }
    for l in p.links.iter().filter(|l| l.designated) {
        signals.push(Signal {
            kind: SignalKind::LinkedToDesignee,
            severity: Severity::High,
            reason: format!(
                "{} {} ({}) is listed: {}",
                l.relation.as_str(),
                l.name,
                l.id,
                l.designations
                    .iter()
                    .map(|d| format!("{} {}", d.list, d.reference))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            sources: vec![l.source.clone()],
            confidence: None,
        });
    }
    signals.sort_by_key(|s| std::cmp::Reverse(s.severity));
    signals
}

/// The vessel is on a list: every listing, with its reference and programmes.
fn designated_signal(designations: &[Designation]) -> Option<Signal> {
    if designations.is_empty() {
        return None;
    }
    Some(Signal {
        kind: SignalKind::Designated,
        severity: Severity::High,
        reason: designations
            .iter()
            .map(|d| {
                format!(
                    "listed by {} as {} ({})",
                    d.list,
                    d.reference,
                    d.programs.join(", ")
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        sources: designations.iter().map(|d| d.list.clone()).collect(),
        confidence: Some(Confidence::Confirmed),
    })
}

/// The vessel flies or flew the DPRK flag: the first such record, and the sources of all.
fn dprk_flag_signal(flags: &[FlagRecord], registry: &FlagRegistry) -> Option<Signal> {
    let dprk_flag_records: Vec<&FlagRecord> = flags
        .iter()
        .filter(|f| registry.is_dprk(&f.as_written))
        .collect();
    let first = dprk_flag_records.first()?;
    Some(Signal {
        kind: SignalKind::DprkFlag,
        severity: Severity::High,
        reason: format!(
            "DPRK flag recorded{} ({})",
            first.date.map(|d| format!(" on {d}")).unwrap_or_default(),
            first.source
        ),
        sources: dprk_flag_records.iter().map(|f| f.source.clone()).collect(),
        confidence: None,
    })
}

/// A DPRK-linked vessel whose current flag is not the DPRK's, with why it is linked and
/// any dated re-flagging away from the DPRK.
fn foreign_flag_signal(p: &VesselProfile, registry: &FlagRegistry) -> Option<Signal> {
    let cur = p.current_flag.as_ref()?;
    if !p.dprk_linked || registry.is_dprk(cur) {
        return None;
    }
    let from_dprk = p
        .flags
        .windows(2)
        .filter_map(|w| match w {
            [a, b]
                if a.date.is_some()
                    && b.date.is_some()
                    && registry.is_dprk(&a.as_written)
                    && !registry.is_dprk(&b.as_written) =>
            {
                Some(format!(
                    "re-flagged from DPRK to {} on {}",
                    b.flag,
                    b.date.map(|d| d.to_string()).unwrap_or_default()
                ))
            }
            _ => None,
        })
        .collect::<Vec<_>>();
    let mut reason = format!(
        "DPRK-linked vessel ({}) under the flag of {cur}",
        p.dprk_linked_because.join("; ")
    );
    if !from_dprk.is_empty() {
        reason.push_str(&format!("; {}", from_dprk.join("; ")));
    }
    Some(Signal {
        kind: SignalKind::ForeignFlagDprkLinked,
        severity: Severity::High,
        reason,
        sources: Vec::new(),
        confidence: None,
    })
}

/// The registry's categories of every flag the vessel has flown, current or past: a
/// reported DPRK flag of choice, a flag of convenience on the ITF list.
fn flag_category_signals(p: &VesselProfile, registry: &FlagRegistry, signals: &mut Vec<Signal>) {
    let distinct_flags: BTreeSet<String> = p.flags.iter().map(|f| f.flag.clone()).collect();
    for flag in &distinct_flags {
        let when = if Some(flag) == p.current_flag.as_ref() {
            "current flag"
        } else {
            "past flag"
        };
        if let Some((entry, listing)) = registry.listing(flag, FlagCategory::DprkFlagOfChoice) {
            signals.push(Signal {
                kind: SignalKind::DprkFlagOfChoice,
                severity: if p.dprk_linked {
                    Severity::High
                } else {
                    Severity::Medium
                },
                reason: format!(
                    "{when} {} is reported as a flag used by DPRK-linked vessels ({})",
                    entry.name,
                    source_titles(registry, &listing.sources)
                ),
                sources: listing.sources.clone(),
                confidence: Some(listing.confidence),
            });
        }
        if let Some((entry, listing)) = registry.listing(flag, FlagCategory::ItfFoc) {
            if !registry.is_dprk(flag) {
                signals.push(Signal {
                    kind: SignalKind::FlagOfConvenience,
                    severity: Severity::Medium,
                    reason: format!(
                        "{when} {} is on the ITF list of flags of convenience ({})",
                        entry.name,
                        source_titles(registry, &listing.sources)
                    ),
                    sources: listing.sources.clone(),
                    confidence: Some(listing.confidence),
                });
            }
        }
    }
}

/// Names on record other than the current one (and every former name).
fn renamed_signal(p: &VesselProfile) -> Option<Signal> {
    let former: Vec<&NameRecord> = p
        .names
        .iter()
        .filter(|n| n.kind == EventKind::FormerName || Some(&n.name) != p.name.as_ref())
        .collect();
    if former.is_empty() {
        return None;
    }
    let mut list: Vec<String> = former.iter().map(|n| n.name.clone()).collect();
    list.dedup();
    Some(Signal {
        kind: SignalKind::Renamed,
        severity: if p.dprk_linked {
            Severity::Medium
        } else {
            Severity::Info
        },
        reason: format!("other names on record: {}", list.join(", ")),
        sources: former.iter().map(|n| n.source.clone()).collect(),
        confidence: None,
    })
}

fn source_titles(registry: &FlagRegistry, ids: &[String]) -> String {
    ids.iter()
        .map(|id| {
            registry
                .source(id)
                .map(|s| format!("{}, {}", s.publisher, s.date))
                .unwrap_or_else(|| id.clone())
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Flags seen within any window of `hop_window_days` (dated records only).
fn flag_hopping(flags: &[FlagRecord], rules: SignalRules) -> Option<Signal> {
    let dated: Vec<(NaiveDate, &FlagRecord)> = flags
        .iter()
        .filter_map(|f| f.date.map(|d| (d, f)))
        .collect();
    let mut best: Option<(usize, NaiveDate, NaiveDate, Vec<String>)> = None;
    for (i, (start, _)) in dated.iter().enumerate() {
        let mut seen: Vec<String> = Vec::new();
        let mut last = *start;
        for (d, f) in dated.iter().skip(i) {
            if (*d - *start).num_days() > rules.hop_window_days {
                break;
            }
            if seen.last() != Some(&f.flag) {
                seen.push(f.flag.clone());
            }
            last = *d;
        }
        let distinct: BTreeSet<&String> = seen.iter().collect();
        if distinct.len() >= rules.hop_min_flags
            && best.as_ref().is_none_or(|b| distinct.len() > b.0)
        {
            best = Some((distinct.len(), *start, last, seen.clone()));
        }
    }
    best.map(|(n, from, to, seq)| Signal {
        kind: SignalKind::FlagHopping,
        severity: Severity::High,
        reason: format!(
            "{n} flags between {from} and {to}: {} (threshold: {} flags within {} days)",
            seq.join(" -> "),
            rules.hop_min_flags,
            rules.hop_window_days
        ),
        sources: dated
            .iter()
            .filter(|(d, _)| *d >= from && *d <= to)
            .map(|(_, f)| f.source.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        confidence: None,
    })
}
