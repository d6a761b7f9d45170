//! OFAC's 50 Percent Rule on the ownership graph.
//!
//! The rule (OFAC revised guidance of 13 August 2014; FAQs 398-402): an entity owned 50% or
//! more, directly or indirectly, individually or in the aggregate, by one or more blocked
//! persons is itself blocked. "Indirectly" (FAQ 401) means through entities that are
//! themselves 50%-or-more owned by blocked persons; holdings of entities that are not
//! blocked are disregarded. So the rule is a propagation, not a product of shares:
//!
//! ```text
//! blocked(n)  =  designated(n)  or  Σ { share(o→n) : o an owner of n, blocked(o) } ≥ 50%
//! ```
//!
//! taken as the least fixpoint (start from the designees, add entities until nothing
//! changes). The least fixpoint is what makes cycles safe: a ring of companies owning each
//! other never blocks itself without a designee feeding into it.
//!
//! Missing percentages and conflicting records are never guessed away. Two fixpoints are
//! computed: the *definite* one counts unknown shares as 0 and conflicting shares at their
//! lowest; the *possible* one counts an unknown share as everything not otherwise allocated
//! and conflicting shares at their highest. Definite ⇒ `blocked`; possible only ⇒
//! `review`, with the missing or conflicting records listed as the reason.
//!
//! Control without ownership (directorships, "controlled by") never blocks under the rule
//! (FAQ 398) and is reported separately, as is a blocked minority stake (< 50%), which OFAC
//! asks to treat with caution. The product-of-shares "look-through" interest is reported
//! for information only (it is what beneficial-ownership thresholds use, not the 50% rule).

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::NaiveDate;
use serde::Serialize;

use crate::graph::{EdgeIx, Graph, NodeIx};
use crate::model::{EdgeKind, Node, Period};

/// Shares are percentages; sums compare against the threshold with this tolerance so that
/// 49.9 + 0.1 counts as 50.
const EPS: f64 = 1e-9;
/// Ownership paths listed per query; more are counted, not listed.
const MAX_PATHS: usize = 200;
const MAX_PATH_DEPTH: usize = 64;

#[derive(Debug, Clone, Copy)]
pub struct ExposureOptions {
    pub as_of: NaiveDate,
    /// OFAC: 50.0 (50 percent *or more*).
    pub threshold_pct: f64,
}

impl ExposureOptions {
    pub fn ofac(as_of: NaiveDate) -> Self {
        ExposureOptions {
            as_of,
            threshold_pct: 50.0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// On a list itself.
    Designated,
    /// Blocked by the 50% rule on the data as given.
    Blocked,
    /// Blocked only if missing or conflicting records resolve one way.
    PossiblyBlocked,
    NotBlocked,
}

impl Status {
    /// The screening decision word for this status.
    pub fn decision(self) -> Decision {
        match self {
            Status::Designated | Status::Blocked => Decision::Match,
            Status::PossiblyBlocked => Decision::Review,
            Status::NotBlocked => Decision::NoMatch,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    NoMatch,
    Review,
    Match,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::NoMatch => "no_match",
            Decision::Review => "review",
            Decision::Match => "match",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeRef {
    pub id: String,
    pub name: String,
    pub designated: bool,
}

impl NodeRef {
    fn of(n: &Node) -> Self {
        NodeRef {
            id: n.id.clone(),
            name: n.name.clone(),
            designated: n.is_designated(),
        }
    }
}

/// One ownership link as used in a computation.
#[derive(Debug, Clone, Serialize)]
pub struct Holding {
    pub owner: NodeRef,
    pub owner_status: Status,
    /// `None`: the record gives no percentage.
    pub share_pct: Option<f64>,
    pub period: Period,
    pub source: String,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PathStep {
    pub from: NodeRef,
    pub to: NodeRef,
    pub relation: EdgeKind,
    pub share_pct: Option<f64>,
    pub source: String,
    pub origin: String,
}

/// A chain from a designee down to the target through blocked entities.
#[derive(Debug, Clone, Serialize)]
pub struct OwnershipPath {
    pub designee: NodeRef,
    pub steps: Vec<PathStep>,
    /// Product of the shares along the chain (look-through), when every share is known.
    pub look_through_pct: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ControlFlag {
    pub controller: NodeRef,
    pub controller_status: Status,
    pub controlled: NodeRef,
    /// How the controlled entity relates to the target ("the target itself", or its
    /// blocked-share position).
    pub position: String,
    pub source: String,
    pub origin: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Issue {
    /// Owners that own each other in a ring (strongly connected component).
    Cycle { nodes: Vec<NodeRef> },
    /// An ownership record in force without a percentage.
    MissingShare {
        owner: NodeRef,
        owned: NodeRef,
        source: String,
        origin: String,
    },
    /// Two or more records of the same owner and owned entity whose periods overlap with
    /// different shares.
    ConflictingRecords {
        owner: NodeRef,
        owned: NodeRef,
        records: Vec<Holding>,
        in_force_on_as_of: bool,
    },
    /// Known shares in one entity add up to more than 100%.
    OverAllocated { owned: NodeRef, total_pct: f64 },
    /// Ownership records not in force on the as-of date (listed so nobody wonders where
    /// they went).
    NotInForce {
        owner: NodeRef,
        owned: NodeRef,
        share_pct: Option<f64>,
        period: Period,
        origin: String,
    },
}

#[derive(Debug, Clone, Serialize)]
pub struct Exposure {
    pub target: NodeRef,
    pub as_of: NaiveDate,
    pub threshold_pct: f64,
    pub status: Status,
    pub decision: Decision,
    /// Share held by blocked persons counting unknown shares as 0.
    pub blocked_share_pct: f64,
    /// Share that blocked persons could hold if unknown shares took all that is free.
    pub blocked_share_upper_pct: f64,
    /// Look-through (product along chains, summed over chains ending at the first
    /// designee); for information, not the 50% rule.
    pub look_through_pct: Option<f64>,
    pub direct_owners: Vec<Holding>,
    pub paths: Vec<OwnershipPath>,
    pub paths_not_listed: usize,
    pub control: Vec<ControlFlag>,
    pub issues: Vec<Issue>,
    pub explanation: Vec<String>,
}

/// Ownership between one owner and one owned entity in force on the date: several records
/// collapse into one group with the lowest and highest share stated.
#[derive(Debug, Clone)]
struct Group {
    owner: u32,
    owned: u32,
    min: Option<f64>,
    max: Option<f64>,
    unknown: bool,
    edges: Vec<EdgeIx>,
}

/// The fixpoint state over a scope of nodes.
struct Fixpoint {
    definite: Vec<bool>,
    possible: Vec<bool>,
    lower: Vec<f64>,
    upper: Vec<f64>,
}

/// Scope-local view of the ownership subgraph in force on a date.
struct Scope {
    nodes: Vec<NodeIx>,
    local: HashMap<NodeIx, u32>,
    /// Incoming groups per local node.
    incoming: Vec<Vec<usize>>,
    outgoing: Vec<Vec<usize>>,
    groups: Vec<Group>,
    /// 100 minus the known (lowest) shares of each node, never below 0.
    unallocated: Vec<f64>,
}

fn active_ownership(graph: &Graph, e: EdgeIx, as_of: NaiveDate) -> bool {
    graph
        .edge(e)
        .is_some_and(|x| x.kind == EdgeKind::Ownership && x.period.contains(as_of))
}

impl Scope {
    fn build(graph: &Graph, nodes: Vec<NodeIx>, as_of: NaiveDate) -> Scope {
        let local: HashMap<NodeIx, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, i as u32))
            .collect();
        let mut incoming = vec![Vec::new(); nodes.len()];
        let mut outgoing = vec![Vec::new(); nodes.len()];
        let mut groups: Vec<Group> = Vec::new();
        let mut unallocated = vec![100.0; nodes.len()];
        for (li, &n) in nodes.iter().enumerate() {
            let mut by_owner: HashMap<u32, usize> = HashMap::new();
            for &e in graph.incoming(n) {
                if !active_ownership(graph, e, as_of) {
                    continue;
                }
                let (Some((from, _)), Some(edge)) = (graph.ends(e), graph.edge(e)) else {
                    continue;
                };
                let Some(&lo) = local.get(&from) else {
                    continue;
                };
                let gi = *by_owner.entry(lo).or_insert_with(|| {
                    groups.push(Group {
                        owner: lo,
                        owned: li as u32,
                        min: None,
                        max: None,
                        unknown: false,
                        edges: Vec::new(),
                    });
                    groups.len() - 1
                });
                if let Some(g) = groups.get_mut(gi) {
                    g.edges.push(e);
                    match edge.share_pct {
                        Some(s) => {
                            g.min = Some(g.min.map_or(s, |m: f64| m.min(s)));
                            g.max = Some(g.max.map_or(s, |m: f64| m.max(s)));
                        }
                        None => g.unknown = true,
                    }
                }
            }
            let mut known = 0.0;
            for &gi in by_owner.values() {
                if let Some(g) = groups.get(gi) {
                    known += g.min.unwrap_or(0.0);
                }
                if let Some(v) = incoming.get_mut(li) {
                    v.push(gi);
                }
            }
            if let Some(u) = unallocated.get_mut(li) {
                *u = (100.0 - known).max(0.0);
            }
        }
        for (gi, g) in groups.iter().enumerate() {
            if let Some(v) = outgoing.get_mut(g.owner as usize) {
                v.push(gi);
            }
        }
        Scope {
            nodes,
            local,
            incoming,
            outgoing,
            groups,
            unallocated,
        }
    }

    /// Both fixpoints by worklist: each group is added once when its owner turns blocked.
    fn fixpoint(&self, graph: &Graph, threshold: f64) -> Fixpoint {
        let n = self.nodes.len();
        let mut fp = Fixpoint {
            definite: vec![false; n],
            possible: vec![false; n],
            lower: vec![0.0; n],
            upper: vec![0.0; n],
        };
        let mut queue: VecDeque<(u32, bool)> = VecDeque::new();
        for (li, &g) in self.nodes.iter().enumerate() {
            if graph.node(g).is_some_and(Node::is_designated) {
                fp.definite[li] = true;
                fp.possible[li] = true;
                queue.push_back((li as u32, true));
                queue.push_back((li as u32, false));
            }
        }
        while let Some((o, definite)) = queue.pop_front() {
            for &gi in self
                .outgoing
                .get(o as usize)
                .map_or(&[][..], |v| v.as_slice())
            {
                let Some(g) = self.groups.get(gi) else {
                    continue;
                };
                let c = g.owned as usize;
                if definite {
                    let add = g.min.unwrap_or(0.0);
                    if let Some(l) = fp.lower.get_mut(c) {
                        *l += add;
                        if !fp.definite[c] && *l + EPS >= threshold {
                            fp.definite[c] = true;
                            queue.push_back((c as u32, true));
                        }
                    }
                } else {
                    let add = match (g.max, g.unknown) {
                        (Some(m), false) => m,
                        (Some(m), true) => m.max(self.unallocated.get(c).copied().unwrap_or(0.0)),
                        (None, _) => self.unallocated.get(c).copied().unwrap_or(0.0),
                    };
                    if let Some(u) = fp.upper.get_mut(c) {
                        *u += add;
                        if !fp.possible[c] && u.min(100.0) + EPS >= threshold {
                            fp.possible[c] = true;
                            queue.push_back((c as u32, false));
                        }
                    }
                }
            }
        }
        fp
    }

    fn status(&self, graph: &Graph, fp: &Fixpoint, li: usize) -> Status {
        let designated = self
            .nodes
            .get(li)
            .and_then(|&g| graph.node(g))
            .is_some_and(Node::is_designated);
        if designated {
            Status::Designated
        } else if fp.definite.get(li).copied().unwrap_or(false) {
            Status::Blocked
        } else if fp.possible.get(li).copied().unwrap_or(false) {
            Status::PossiblyBlocked
        } else {
            Status::NotBlocked
        }
    }
}

/// Upstream nodes of `target` over ownership and control edges in force on the date.
fn upstream(graph: &Graph, target: NodeIx, as_of: NaiveDate) -> Vec<NodeIx> {
    let mut seen: HashSet<NodeIx> = HashSet::from([target]);
    let mut order = vec![target];
    let mut queue = VecDeque::from([target]);
    while let Some(n) = queue.pop_front() {
        for &e in graph.incoming(n) {
            let Some(edge) = graph.edge(e) else { continue };
            if !matches!(edge.kind, EdgeKind::Ownership | EdgeKind::Control)
                || !edge.period.contains(as_of)
            {
                continue;
            }
            if let Some((from, _)) = graph.ends(e) {
                if seen.insert(from) {
                    order.push(from);
                    queue.push_back(from);
                }
            }
        }
    }
    order
}

/// The 50% rule for one entity, with paths, control flags and data issues.
pub fn exposure(graph: &Graph, target: NodeIx, opts: ExposureOptions) -> Option<Exposure> {
    let target_node = graph.node(target)?;
    let scope = Scope::build(graph, upstream(graph, target, opts.as_of), opts.as_of);
    let fp = scope.fixpoint(graph, opts.threshold_pct);
    let t = *scope.local.get(&target)? as usize;
    let status_of = |li: usize| scope.status(graph, &fp, li);
    let node_ref = |li: u32| -> NodeRef {
        scope
            .nodes
            .get(li as usize)
            .and_then(|&g| graph.node(g))
            .map(NodeRef::of)
            .unwrap_or(NodeRef {
                id: String::new(),
                name: String::new(),
                designated: false,
            })
    };
    let holding = |owner: u32, e: EdgeIx| -> Option<Holding> {
        let edge = graph.edge(e)?;
        Some(Holding {
            owner: node_ref(owner),
            owner_status: status_of(owner as usize),
            share_pct: edge.share_pct,
            period: edge.period,
            source: edge.source.clone(),
            origin: edge.origin.clone(),
        })
    };

    let mut direct_owners = Vec::new();
    for &gi in scope.incoming.get(t).map_or(&[][..], |v| v.as_slice()) {
        if let Some(g) = scope.groups.get(gi) {
            for &e in &g.edges {
                direct_owners.extend(holding(g.owner, e));
            }
        }
    }
    // Equal shares by owner id: the groups come in the graph's hash order, which differs
    // from one load of the store to the next.
    direct_owners.sort_by(|a, b| {
        b.share_pct
            .unwrap_or(-1.0)
            .total_cmp(&a.share_pct.unwrap_or(-1.0))
            .then_with(|| a.owner.id.cmp(&b.owner.id))
    });

    let issues = collect_issues(graph, &scope, &fp, opts.as_of);
    let (paths, paths_not_listed) = blocking_paths(graph, &scope, &fp, t);
    let look_through_pct = look_through(graph, &scope, t);
    let control = control_flags(graph, &scope, &fp, t, opts.as_of);

    let status = scope.status(graph, &fp, t);
    let lower = fp.lower.get(t).copied().unwrap_or(0.0).min(100.0);
    let upper = fp
        .upper
        .get(t)
        .copied()
        .unwrap_or(0.0)
        .min(100.0)
        .max(lower);
    let mut decision = status.decision();
    let mut explanation = Vec::new();
    match status {
        Status::Designated => explanation.push(format!(
            "{} is itself listed ({}).",
            target_node.name,
            target_node
                .designations
                .iter()
                .map(|d| format!("{} {}", d.list, d.reference))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        Status::Blocked => explanation.push(format!(
            "Blocked under the 50% rule: blocked persons own {lower:.2}% (≥ {}%) on {}.",
            opts.threshold_pct, opts.as_of
        )),
        Status::PossiblyBlocked => explanation.push(format!(
            "Review: blocked persons own at least {lower:.2}% and possibly up to {upper:.2}%; the outcome depends on missing or conflicting records listed under issues."
        )),
        Status::NotBlocked => explanation.push(format!(
            "Not blocked under the 50% rule: blocked persons own {lower:.2}% (< {}%) on {}.",
            opts.threshold_pct, opts.as_of
        )),
    }
    if status == Status::NotBlocked && lower > 0.0 {
        decision = Decision::Review;
        explanation.push(format!(
            "Caution: a blocked minority stake of {lower:.2}% (OFAC FAQ 398 asks for caution with significant blocked ownership below 50%)."
        ));
    }
    if !control.is_empty() && status != Status::Designated {
        decision = decision.max(Decision::Review);
        explanation.push(format!(
            "{} control relation(s) by blocked or designated persons without (enough) ownership: not blocking under the 50% rule (FAQ 398), flagged for review.",
            control.len()
        ));
    }
    if let Some(lt) = look_through_pct {
        explanation.push(format!(
            "Look-through (product of shares along chains to the first designee): {lt:.2}%; for information only."
        ));
    }
    if !issues.is_empty() {
        explanation.push(format!(
            "{} data issue(s) found upstream (cycles, missing shares, conflicting or out-of-date records); see issues.",
            issues.len()
        ));
    }

    Some(Exposure {
        target: NodeRef::of(target_node),
        as_of: opts.as_of,
        threshold_pct: opts.threshold_pct,
        status,
        decision,
        blocked_share_pct: lower,
        blocked_share_upper_pct: upper,
        look_through_pct,
        direct_owners,
        paths,
        paths_not_listed,
        control,
        issues,
        explanation,
    })
}

/// Every entity blocked on the date (definite fixpoint) over the whole graph: the bulk form
/// of the rule, for batch runs and the benchmark.
pub fn blocked_set(graph: &Graph, opts: ExposureOptions) -> Vec<Status> {
    let scope = Scope::build(
        graph,
        (0..graph.node_count() as NodeIx).collect(),
        opts.as_of,
    );
    let fp = scope.fixpoint(graph, opts.threshold_pct);
    (0..scope.nodes.len())
        .map(|li| scope.status(graph, &fp, li))
        .collect()
}

fn collect_issues(graph: &Graph, scope: &Scope, fp: &Fixpoint, as_of: NaiveDate) -> Vec<Issue> {
    let mut issues = Vec::new();
    let node_ref = |g: NodeIx| graph.node(g).map(NodeRef::of);
    for comp in ownership_cycles(scope) {
        let mut nodes: Vec<NodeRef> = comp
            .iter()
            .filter_map(|&li| scope.nodes.get(li as usize).and_then(|&g| node_ref(g)))
            .collect();
        nodes.sort_by(|a, b| a.id.cmp(&b.id));
        issues.push(Issue::Cycle { nodes });
    }
    for (li, &n) in scope.nodes.iter().enumerate() {
        let Some(owned) = node_ref(n) else { continue };
        // All ownership records into this node, in force or not, grouped by owner.
        let mut by_owner: HashMap<NodeIx, Vec<EdgeIx>> = HashMap::new();
        for &e in graph.incoming(n) {
            let Some(edge) = graph.edge(e) else { continue };
            if edge.kind != EdgeKind::Ownership {
                continue;
            }
            if let Some((from, _)) = graph.ends(e) {
                by_owner.entry(from).or_default().push(e);
            }
        }
        let mut owners: Vec<_> = by_owner.into_iter().collect();
        owners.sort_by_key(|(o, _)| *o);
        for (owner_ix, edges) in owners {
            let Some(owner) = node_ref(owner_ix) else {
                continue;
            };
            let records: Vec<(EdgeIx, &crate::model::Edge)> = edges
                .iter()
                .filter_map(|&e| graph.edge(e).map(|x| (e, x)))
                .collect();
            let mut conflicting: Vec<EdgeIx> = Vec::new();
            for (i, (ea, a)) in records.iter().enumerate() {
                for (eb, b) in records.iter().skip(i + 1) {
                    if a.period.overlaps(&b.period) && a.share_pct != b.share_pct {
                        for e in [*ea, *eb] {
                            if !conflicting.contains(&e) {
                                conflicting.push(e);
                            }
                        }
                    }
                }
            }
            if !conflicting.is_empty() {
                let in_force = conflicting
                    .iter()
                    .filter(|&&e| graph.edge(e).is_some_and(|x| x.period.contains(as_of)))
                    .count()
                    > 1;
                let owner_status = scope
                    .local
                    .get(&owner_ix)
                    .map_or(Status::NotBlocked, |&ol| {
                        scope.status(graph, fp, ol as usize)
                    });
                issues.push(Issue::ConflictingRecords {
                    owner: owner.clone(),
                    owned: owned.clone(),
                    records: conflicting
                        .iter()
                        .filter_map(|&e| {
                            let x = graph.edge(e)?;
                            Some(Holding {
                                owner: owner.clone(),
                                owner_status,
                                share_pct: x.share_pct,
                                period: x.period,
                                source: x.source.clone(),
                                origin: x.origin.clone(),
                            })
                        })
                        .collect(),
                    in_force_on_as_of: in_force,
                });
            }
            for (_, x) in &records {
                if !x.period.contains(as_of) {
                    issues.push(Issue::NotInForce {
                        owner: owner.clone(),
                        owned: owned.clone(),
                        share_pct: x.share_pct,
                        period: x.period,
                        origin: x.origin.clone(),
                    });
                } else if x.share_pct.is_none() {
                    issues.push(Issue::MissingShare {
                        owner: owner.clone(),
                        owned: owned.clone(),
                        source: x.source.clone(),
                        origin: x.origin.clone(),
                    });
                }
            }
        }
        let total: f64 = scope
            .incoming
            .get(li)
            .map(|v| {
                v.iter()
                    .filter_map(|&gi| scope.groups.get(gi))
                    .map(|g| g.min.unwrap_or(0.0))
                    .sum()
            })
            .unwrap_or(0.0);
        if total > 100.0 + EPS {
            issues.push(Issue::OverAllocated {
                owned,
                total_pct: total,
            });
        }
    }
    issues
}

/// Strongly connected components with a cycle (size > 1, or a self-loop), by an iterative
/// Tarjan over the scope's ownership groups.
fn ownership_cycles(scope: &Scope) -> Vec<Vec<u32>> {
    let n = scope.nodes.len();
    let succ = |v: usize| -> Vec<u32> {
        scope
            .outgoing
            .get(v)
            .map(|gs| {
                gs.iter()
                    .filter_map(|&gi| scope.groups.get(gi).map(|g| g.owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut index = vec![u32::MAX; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut next = 0u32;
    let mut out = Vec::new();
    for root in 0..n {
        if index[root] != u32::MAX {
            continue;
        }
        // (node, its successors, position in them)
        let mut call: Vec<(usize, Vec<u32>, usize)> = vec![(root, succ(root), 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        while let Some((v, children, pos)) = call.last_mut() {
            let v = *v;
            if let Some(&w) = children.get(*pos) {
                *pos += 1;
                let w = w as usize;
                if index[w] == u32::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    call.push((w, succ(w), 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                call.pop();
                if let Some((parent, _, _)) = call.last() {
                    low[*parent] = low[*parent].min(low[v]);
                }
                if low[v] == index[v] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp.push(w);
                        if w as usize == v {
                            break;
                        }
                    }
                    let self_loop = succ(v).contains(&(v as u32));
                    if comp.len() > 1 || self_loop {
                        comp.sort_unstable();
                        out.push(comp);
                    }
                }
            }
        }
    }
    out
}

/// Chains from designees to the target through entities counted as (possibly) blocked.
fn blocking_paths(
    graph: &Graph,
    scope: &Scope,
    fp: &Fixpoint,
    t: usize,
) -> (Vec<OwnershipPath>, usize) {
    let mut search = PathSearch {
        graph,
        scope,
        fp,
        trail: Vec::new(),
        on_trail: HashSet::from([t as u32]),
        paths: Vec::new(),
        not_listed: 0,
    };
    search.walk(t as u32);
    (search.paths, search.not_listed)
}

/// Depth-first search upward from the target; `trail` holds the groups walked so far.
struct PathSearch<'a> {
    graph: &'a Graph,
    scope: &'a Scope,
    fp: &'a Fixpoint,
    trail: Vec<usize>,
    on_trail: HashSet<u32>,
    paths: Vec<OwnershipPath>,
    not_listed: usize,
}

impl PathSearch<'_> {
    fn walk(&mut self, node: u32) {
        if self.trail.len() >= MAX_PATH_DEPTH {
            return;
        }
        let groups: Vec<usize> = self
            .scope
            .incoming
            .get(node as usize)
            .cloned()
            .unwrap_or_default();
        for gi in groups {
            let Some(g) = self.scope.groups.get(gi) else {
                continue;
            };
            let o = g.owner;
            if !self.fp.possible.get(o as usize).copied().unwrap_or(false)
                || self.on_trail.contains(&o)
            {
                continue;
            }
            self.trail.push(gi);
            let designated = self
                .scope
                .nodes
                .get(o as usize)
                .and_then(|&x| self.graph.node(x))
                .is_some_and(Node::is_designated);
            if designated {
                if self.paths.len() < MAX_PATHS {
                    let p = make_path(self.graph, self.scope, &self.trail);
                    self.paths.push(p);
                } else {
                    self.not_listed += 1;
                }
            } else {
                self.on_trail.insert(o);
                self.walk(o);
                self.on_trail.remove(&o);
            }
            self.trail.pop();
        }
    }
}

fn make_path(graph: &Graph, scope: &Scope, trail: &[usize]) -> OwnershipPath {
    let node_ref = |li: u32| {
        scope
            .nodes
            .get(li as usize)
            .and_then(|&g| graph.node(g))
            .map(NodeRef::of)
            .unwrap_or(NodeRef {
                id: String::new(),
                name: String::new(),
                designated: false,
            })
    };
    let mut steps = Vec::new();
    let mut product = Some(1.0f64);
    // trail runs target-upward; a path reads designee-downward.
    for &gi in trail.iter().rev() {
        let Some(g) = scope.groups.get(gi) else {
            continue;
        };
        let first = g.edges.first().and_then(|&e| graph.edge(e));
        let share = if g.unknown && g.min.is_none() {
            None
        } else if g.min == g.max {
            g.min
        } else {
            None
        };
        product = match (product, share) {
            (Some(p), Some(s)) => Some(p * s / 100.0),
            _ => None,
        };
        steps.push(PathStep {
            from: node_ref(g.owner),
            to: node_ref(g.owned),
            relation: EdgeKind::Ownership,
            share_pct: share,
            source: g
                .edges
                .iter()
                .filter_map(|&e| graph.edge(e).map(|x| x.source.clone()))
                .collect::<Vec<_>>()
                .join(" | "),
            origin: first.map(|x| x.origin.clone()).unwrap_or_default(),
        });
    }
    OwnershipPath {
        designee: steps
            .first()
            .map(|s| s.from.clone())
            .unwrap_or_else(|| node_ref(u32::MAX)),
        steps,
        look_through_pct: product.map(|p| p * 100.0),
    }
}

/// Σ over chains (stopping at the first designee) of the product of shares. Exact on
/// acyclic scopes; with cycles it is the limit of the same sum over walks, computed by
/// iteration. `None` when a share on the way is unknown or conflicting.
fn look_through(graph: &Graph, scope: &Scope, t: usize) -> Option<f64> {
    let n = scope.nodes.len();
    if scope.groups.iter().any(|g| g.unknown || g.min != g.max) {
        return None;
    }
    let designated: Vec<bool> = scope
        .nodes
        .iter()
        .map(|&g| graph.node(g).is_some_and(Node::is_designated))
        .collect();
    let inflow = |value: &[f64], li: usize| -> f64 {
        scope
            .incoming
            .get(li)
            .map(|gs| {
                gs.iter()
                    .filter_map(|&gi| scope.groups.get(gi))
                    .map(|g| {
                        g.min.unwrap_or(0.0) / 100.0
                            * value.get(g.owner as usize).copied().unwrap_or(0.0)
                    })
                    .sum()
            })
            .unwrap_or(0.0)
    };
    let mut value: Vec<f64> = designated
        .iter()
        .map(|&d| if d { 1.0 } else { 0.0 })
        .collect();
    // Acyclic (the usual case): one pass in topological order, owners first. Chains stop
    // at designees, so their own owners are not followed.
    if let Some(order) = topological_order(scope) {
        for li in order {
            if !designated.get(li).copied().unwrap_or(false) {
                let v = inflow(&value, li);
                if let Some(x) = value.get_mut(li) {
                    *x = v;
                }
            }
        }
        // `+ 0.0` turns the -0.0 of an empty f64 sum into 0.0.
        return value.get(t).map(|v| v * 100.0 + 0.0);
    }
    // Cyclic: iterate to the limit of the sum over walks.
    for _ in 0..10_000 {
        let next: Vec<f64> = (0..n)
            .map(|li| {
                if designated.get(li).copied().unwrap_or(false) {
                    1.0
                } else {
                    inflow(&value, li)
                }
            })
            .collect();
        let delta = next
            .iter()
            .zip(&value)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        value = next;
        if delta < 1e-12 {
            break;
        }
    }
    value.get(t).map(|v| v * 100.0 + 0.0)
}

/// Kahn's algorithm over the scope's ownership groups; `None` when there is a cycle.
fn topological_order(scope: &Scope) -> Option<Vec<usize>> {
    let n = scope.nodes.len();
    let mut indegree: Vec<usize> = (0..n)
        .map(|li| scope.incoming.get(li).map_or(0, Vec::len))
        .collect();
    let mut ready: Vec<usize> = (0..n).filter(|&li| indegree[li] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop() {
        order.push(v);
        for &gi in scope.outgoing.get(v).map_or(&[][..], |x| x.as_slice()) {
            if let Some(g) = scope.groups.get(gi) {
                let c = g.owned as usize;
                if let Some(d) = indegree.get_mut(c) {
                    *d -= 1;
                    if *d == 0 {
                        ready.push(c);
                    }
                }
            }
        }
    }
    (order.len() == n).then_some(order)
}

fn control_flags(
    graph: &Graph,
    scope: &Scope,
    fp: &Fixpoint,
    t: usize,
    as_of: NaiveDate,
) -> Vec<ControlFlag> {
    // Entities on an ownership chain to the target: the target and its ownership ancestors.
    let mut chain: HashSet<u32> = HashSet::from([t as u32]);
    let mut queue = VecDeque::from([t as u32]);
    while let Some(v) = queue.pop_front() {
        for &gi in scope
            .incoming
            .get(v as usize)
            .map_or(&[][..], |x| x.as_slice())
        {
            if let Some(g) = scope.groups.get(gi) {
                if chain.insert(g.owner) {
                    queue.push_back(g.owner);
                }
            }
        }
    }
    let mut flags = Vec::new();
    for &li in &chain {
        let Some(&g) = scope.nodes.get(li as usize) else {
            continue;
        };
        for &e in graph.incoming(g) {
            let Some(edge) = graph.edge(e) else { continue };
            if edge.kind != EdgeKind::Control || !edge.period.contains(as_of) {
                continue;
            }
            let Some((from, _)) = graph.ends(e) else {
                continue;
            };
            let Some(&cl) = scope.local.get(&from) else {
                continue;
            };
            let cs = scope.status(graph, fp, cl as usize);
            if cs == Status::NotBlocked {
                continue;
            }
            let (Some(controller), Some(controlled)) = (graph.node(from), graph.node(g)) else {
                continue;
            };
            let position = if li as usize == t {
                "the target itself".to_string()
            } else {
                format!(
                    "an owner upstream of the target (itself {:?}, blocked share {:.2}%)",
                    scope.status(graph, fp, li as usize),
                    fp.lower.get(li as usize).copied().unwrap_or(0.0)
                )
            };
            flags.push(ControlFlag {
                controller: NodeRef::of(controller),
                controller_status: cs,
                controlled: NodeRef::of(controlled),
                position,
                source: edge.source.clone(),
                origin: edge.origin.clone(),
            });
        }
    }
    flags.sort_by(|a, b| a.controller.id.cmp(&b.controller.id));
    flags
}
