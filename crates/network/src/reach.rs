//! Screening through the graph. A screening query resolves to an entity (a user entity, a
//! company from an ownership file, a vessel by IMO); [`reach`] says which listed parties
//! stand behind it — owners, controllers, vessel owners/managers/operators, parties the
//! lists link it to — with the path, a decision and an explanation, so that a hit reached
//! through the graph says so.
//!
//! Decisions: the 50% rule decides ownership (blocked → `match`, possibly blocked or a
//! blocked minority → `review`); a listed registered owner of a vessel → `match` (the
//! vessel is property of a listed person); control, management, operation, list links and
//! shared addresses or identifiers → `review` (they do not block by themselves).

use std::collections::{HashMap, VecDeque};

use chrono::NaiveDate;
use serde::Serialize;

use crate::exposure::{exposure, Decision, Exposure, ExposureOptions, NodeRef, PathStep, Status};
use crate::graph::{EdgeIx, Graph, NodeIx};
use crate::model::{EdgeKind, Node};

#[derive(Debug, Clone, Copy)]
pub struct ReachOptions {
    pub as_of: NaiveDate,
    /// Hops followed over non-ownership relations (ownership chains are followed to the
    /// end by the 50% rule regardless).
    pub max_hops: usize,
}

impl ReachOptions {
    pub fn new(as_of: NaiveDate) -> Self {
        ReachOptions { as_of, max_hops: 3 }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct GraphHit {
    /// The listed party reached.
    pub designee: NodeRef,
    pub designations: Vec<String>,
    pub decision: Decision,
    /// From the designee to the queried entity.
    pub path: Vec<PathStep>,
    pub explanation: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Reach {
    pub entity: NodeRef,
    /// The strongest decision over the hits and the 50% rule.
    pub decision: Decision,
    pub ownership: Option<Exposure>,
    pub hits: Vec<GraphHit>,
}

fn relation_word(kind: EdgeKind) -> &'static str {
    match kind {
        EdgeKind::Ownership => "owns",
        EdgeKind::Control => "controls",
        EdgeKind::LinkedTo => "is linked to",
        EdgeKind::SharedAddress => "shares an address with",
        EdgeKind::SharedIdentifier => "shares an identifier with",
        EdgeKind::VesselOwner => "is the registered owner of",
        EdgeKind::VesselManager => "manages",
        EdgeKind::VesselOperator => "operates",
    }
}

/// Who stands behind `entity` in the graph.
pub fn reach(graph: &Graph, entity: NodeIx, opts: ReachOptions) -> Option<Reach> {
    let node = graph.node(entity)?;
    let own = exposure(graph, entity, ExposureOptions::ofac(opts.as_of));
    let (parent, reached) = search_upward(graph, entity, opts);

    let mut hits = Vec::new();
    for d in reached {
        let Some(designee) = graph.node(d) else {
            continue;
        };
        let path = path_from(graph, &parent, d);
        hits.push(graph_hit(node, designee, path, own.as_ref()));
    }
    hits.sort_by(|a, b| {
        b.decision
            .cmp(&a.decision)
            .then(a.path.len().cmp(&b.path.len()))
    });
    let decision = hits
        .iter()
        .map(|h| h.decision)
        .chain(own.as_ref().map(|x| x.decision))
        .max()
        .unwrap_or(Decision::NoMatch);
    Some(Reach {
        entity: NodeRef {
            id: node.id.clone(),
            name: node.name.clone(),
            designated: node.is_designated(),
        },
        decision,
        ownership: own,
        hits,
    })
}

/// Breadth-first upward from `entity` (and both ways over symmetric links), over edges in
/// force on the date, up to `max_hops`: the listed parties reached, and parent pointers
/// giving the shortest path to each. The walk stops at a listed party.
fn search_upward(
    graph: &Graph,
    entity: NodeIx,
    opts: ReachOptions,
) -> (HashMap<NodeIx, (NodeIx, EdgeIx)>, Vec<NodeIx>) {
    let mut parent: HashMap<NodeIx, (NodeIx, EdgeIx)> = HashMap::new();
    let mut depth: HashMap<NodeIx, usize> = HashMap::from([(entity, 0)]);
    let mut queue = VecDeque::from([entity]);
    let mut reached: Vec<NodeIx> = Vec::new();
    while let Some(v) = queue.pop_front() {
        let d = depth.get(&v).copied().unwrap_or(0);
        if d >= opts.max_hops {
            continue;
        }
        let upward = graph.incoming(v).iter().map(|&e| (e, true));
        let sideways = graph.outgoing(v).iter().map(|&e| (e, false));
        for (e, is_incoming) in upward.chain(sideways) {
            let (Some(edge), Some((from, to))) = (graph.edge(e), graph.ends(e)) else {
                continue;
            };
            if !is_incoming && !edge.kind.is_symmetric() {
                continue;
            }
            if !edge.period.contains(opts.as_of) {
                continue;
            }
            let next = if is_incoming { from } else { to };
            if depth.contains_key(&next) {
                continue;
            }
            depth.insert(next, d + 1);
            parent.insert(next, (v, e));
            if graph.node(next).is_some_and(Node::is_designated) {
                reached.push(next);
                // A listed party's own owners are a separate question; stop here.
                continue;
            }
            queue.push_back(next);
        }
    }
    (parent, reached)
}

/// The steps from listed party `designee` back to the queried entity, following the
/// parent pointers of the search.
fn path_from(
    graph: &Graph,
    parent: &HashMap<NodeIx, (NodeIx, EdgeIx)>,
    designee: NodeIx,
) -> Vec<PathStep> {
    let mut path = Vec::new();
    let mut cur = designee;
    while let Some(&(child, e)) = parent.get(&cur) {
        let (Some(edge), Some((from, to))) = (graph.edge(e), graph.ends(e)) else {
            break;
        };
        let (a, b) = (graph.node(from), graph.node(to));
        if let (Some(a), Some(b)) = (a, b) {
            path.push(PathStep {
                from: NodeRef {
                    id: a.id.clone(),
                    name: a.name.clone(),
                    designated: a.is_designated(),
                },
                to: NodeRef {
                    id: b.id.clone(),
                    name: b.name.clone(),
                    designated: b.is_designated(),
                },
                relation: edge.kind,
                share_pct: edge.share_pct,
                source: edge.source.clone(),
                origin: edge.origin.clone(),
            });
        }
        cur = child;
    }
    path
}

/// The hit of one listed party reached from `node` along `path`. An ownership chain is
/// decided by the 50% rule (`own`), a listed registered owner of the vessel is a match,
/// any other relation is for review.
fn graph_hit(
    node: &Node,
    designee: &Node,
    path: Vec<PathStep>,
    own: Option<&Exposure>,
) -> GraphHit {
    let all_ownership = path.iter().all(|s| s.relation == EdgeKind::Ownership);
    let decision = if all_ownership {
        own.map(|x| match x.status {
            Status::Blocked | Status::Designated => Decision::Match,
            _ => Decision::Review,
        })
        .unwrap_or(Decision::Review)
    } else if path.len() == 1
        && path
            .first()
            .is_some_and(|s| s.relation == EdgeKind::VesselOwner)
    {
        Decision::Match
    } else {
        Decision::Review
    };
    let chain = path
        .iter()
        .map(|s| {
            format!(
                "{} ({}) {}{} {} [source: {}]",
                s.from.name,
                s.from.id,
                relation_word(s.relation),
                s.share_pct.map(|p| format!(" {p}% of")).unwrap_or_default(),
                s.to.name,
                s.source
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let rule = if all_ownership {
        match own.map(|x| x.status) {
            Some(Status::Blocked) => "blocked under OFAC's 50% rule",
            Some(Status::PossiblyBlocked) => {
                "possibly blocked under the 50% rule (missing or conflicting records)"
            }
            _ => "a blocked ownership interest below 50%: not blocked, review",
        }
    } else if decision == Decision::Match {
        "the vessel's registered owner is listed"
    } else {
        "a relation that does not block by itself: review"
    };
    GraphHit {
        designee: NodeRef {
            id: designee.id.clone(),
            name: designee.name.clone(),
            designated: true,
        },
        designations: designee
            .designations
            .iter()
            .map(|x| format!("{} {} ({})", x.list, x.reference, x.programs.join(", ")))
            .collect(),
        decision,
        explanation: format!(
            "{} is reached through the graph from {}: {chain}. {rule}.",
            node.name, designee.name
        ),
        path,
    }
}

/// Entities the given party owns that are blocked (or possibly blocked) through it under
/// the 50% rule, for a screening hit on a designee ("what else is frozen with it").
pub fn blocked_holdings(
    graph: &Graph,
    party: NodeIx,
    as_of: NaiveDate,
    limit: usize,
) -> Vec<Exposure> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::from([party]);
    let mut queue = VecDeque::from([party]);
    while let Some(v) = queue.pop_front() {
        for &e in graph.outgoing(v) {
            let (Some(edge), Some((_, to))) = (graph.edge(e), graph.ends(e)) else {
                continue;
            };
            if edge.kind != EdgeKind::Ownership || !edge.period.contains(as_of) || !seen.insert(to)
            {
                continue;
            }
            if let Some(x) = exposure(graph, to, ExposureOptions::ofac(as_of)) {
                if matches!(x.status, Status::Blocked | Status::PossiblyBlocked) {
                    queue.push_back(to);
                    out.push(x);
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
    }
    out
}
