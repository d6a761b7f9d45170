//! OFAC 50% rule on hand-built graphs: OFAC FAQ 401's own examples, chains, diamonds,
//! cycles, the 49.9 / 50 / 50.1 boundary, aggregation over several blocked owners, missing
//! shares, conflicting dates and control without ownership.

use chrono::NaiveDate;
use embargo_network::exposure::Issue;
use embargo_network::{
    blocked_set, exposure, Decision, Designation, Edge, EdgeKind, Exposure, ExposureOptions, Graph,
    Node, NodeKind, Period, Status,
};
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

struct G(Graph);

impl G {
    fn new() -> Self {
        G(Graph::new())
    }
    fn sdn(mut self, id: &str) -> Self {
        let mut n = Node::new(id, NodeKind::Person, id);
        n.designations.push(Designation {
            list: "ofac".into(),
            reference: id.into(),
            programs: vec!["DPRK2".into()],
            listed_on: None,
        });
        self.0.add_node(n);
        self
    }
    fn co(mut self, id: &str) -> Self {
        self.0.add_node(Node::new(id, NodeKind::Organization, id));
        self
    }
    fn rel(
        mut self,
        from: &str,
        to: &str,
        kind: EdgeKind,
        share: Option<f64>,
        period: Period,
    ) -> Self {
        for id in [from, to] {
            if self.0.ix(id).is_none() {
                self.0.add_node(Node::new(id, NodeKind::Organization, id));
            }
        }
        self.0
            .add_edge(Edge {
                from: from.into(),
                to: to.into(),
                kind,
                share_pct: share,
                period,
                source: format!("test register {from}->{to}"),
                origin: "test".into(),
            })
            .unwrap();
        self
    }
    fn own(self, from: &str, to: &str, share: f64) -> Self {
        self.rel(
            from,
            to,
            EdgeKind::Ownership,
            Some(share),
            Period::default(),
        )
    }
    fn exp(&self, id: &str) -> Exposure {
        exposure(
            &self.0,
            self.0.ix(id).unwrap(),
            ExposureOptions::ofac(day(2024, 1, 1)),
        )
        .unwrap()
    }
    fn exp_on(&self, id: &str, on: NaiveDate) -> Exposure {
        exposure(&self.0, self.0.ix(id).unwrap(), ExposureOptions::ofac(on)).unwrap()
    }
}

#[test]
fn faq_401_example_1_chain_of_fifty_percent_holdings() {
    let g = G::new().sdn("X").own("X", "A", 50.0).own("A", "B", 50.0);
    let b = g.exp("B");
    assert_eq!(b.status, Status::Blocked);
    assert_eq!(b.decision, Decision::Match);
    assert_eq!(b.blocked_share_pct, 50.0);
    // The look-through product is 25%: the rule does not multiply.
    assert!((b.look_through_pct.unwrap() - 25.0).abs() < 1e-9);
    assert_eq!(b.paths.len(), 1);
    let ids: Vec<&str> = b.paths[0]
        .steps
        .iter()
        .map(|s| s.from.id.as_str())
        .collect();
    assert_eq!(ids, vec!["X", "A"]);
    assert_eq!(b.paths[0].designee.id, "X");
}

#[test]
fn faq_401_example_2_two_blocked_intermediaries_aggregate() {
    let g = G::new()
        .sdn("X")
        .own("X", "A", 50.0)
        .own("X", "B", 50.0)
        .own("A", "C", 25.0)
        .own("B", "C", 25.0);
    let c = g.exp("C");
    assert_eq!(c.status, Status::Blocked);
    assert_eq!(c.blocked_share_pct, 50.0);
    assert_eq!(c.paths.len(), 2);
}

#[test]
fn faq_401_example_3_direct_and_indirect_add_up() {
    let g = G::new()
        .sdn("X")
        .own("X", "A", 50.0)
        .own("X", "B", 10.0)
        .own("A", "B", 40.0);
    assert_eq!(g.exp("B").status, Status::Blocked);
    assert_eq!(g.exp("B").blocked_share_pct, 50.0);
}

#[test]
fn holdings_through_unblocked_entities_are_disregarded() {
    // FAQ 401 as summarised in the 2014 guidance notes: X owns 25% of A and of B, each owns
    // 50% of C; A and B are not blocked, so C is not.
    let g = G::new()
        .sdn("X")
        .own("X", "A", 25.0)
        .own("X", "B", 25.0)
        .own("A", "C", 50.0)
        .own("B", "C", 50.0);
    let c = g.exp("C");
    assert_eq!(c.status, Status::NotBlocked);
    assert_eq!(c.blocked_share_pct, 0.0);
    assert_eq!(c.decision, Decision::NoMatch);
    // Economically X holds 25% of C; reported for information only.
    assert!((c.look_through_pct.unwrap() - 25.0).abs() < 1e-9);
    assert!(c.paths.is_empty());
}

#[test]
fn boundary_49_9_50_50_1() {
    for (share, status, decision) in [
        (49.9, Status::NotBlocked, Decision::Review),
        (50.0, Status::Blocked, Decision::Match),
        (50.1, Status::Blocked, Decision::Match),
    ] {
        let g = G::new().sdn("X").own("X", "T", share);
        let t = g.exp("T");
        assert_eq!(t.status, status, "share {share}");
        assert_eq!(t.decision, decision, "share {share}");
    }
    // The minority stake is flagged, not ignored.
    let g = G::new().sdn("X").own("X", "T", 49.9);
    assert!(g
        .exp("T")
        .explanation
        .iter()
        .any(|e| e.contains("minority stake of 49.90%")));
}

#[test]
fn aggregation_across_several_blocked_owners() {
    let g = G::new()
        .sdn("X")
        .sdn("Y")
        .sdn("Z")
        .own("X", "T", 20.0)
        .own("Y", "T", 15.0)
        .own("Z", "T", 15.0)
        .own("W", "T", 50.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::Blocked);
    assert_eq!(t.blocked_share_pct, 50.0);
    assert_eq!(t.paths.len(), 3);

    let g = G::new()
        .sdn("X")
        .sdn("Y")
        .sdn("Z")
        .own("X", "T", 20.0)
        .own("Y", "T", 15.0)
        .own("Z", "T", 14.9);
    assert_eq!(g.exp("T").status, Status::NotBlocked);

    // Floating-point sums that are 50 on paper count as 50.
    let g = G::new()
        .sdn("X")
        .sdn("Y")
        .own("X", "T", 49.9)
        .own("Y", "T", 0.1);
    assert_eq!(g.exp("T").status, Status::Blocked);
}

#[test]
fn diamond_counts_each_blocked_intermediary_once() {
    let g = G::new()
        .sdn("X")
        .own("X", "A", 100.0)
        .own("A", "B", 60.0)
        .own("A", "C", 60.0)
        .own("B", "D", 30.0)
        .own("C", "D", 30.0);
    let d = g.exp("D");
    assert_eq!(d.status, Status::Blocked);
    assert_eq!(d.blocked_share_pct, 60.0);
    assert_eq!(d.paths.len(), 2);
    // Look-through: 1.0 * 0.6 * 0.3 twice = 36%.
    assert!((d.look_through_pct.unwrap() - 36.0).abs() < 1e-9);
}

#[test]
fn cycles_are_reported_and_never_self_block() {
    let g = G::new()
        .co("A")
        .co("B")
        .own("A", "B", 60.0)
        .own("B", "A", 60.0)
        .own("B", "T", 100.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::NotBlocked);
    let cycles: Vec<Vec<&str>> = t
        .issues
        .iter()
        .filter_map(|i| match i {
            Issue::Cycle { nodes } => Some(nodes.iter().map(|n| n.id.as_str()).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(cycles, vec![vec!["A", "B"]]);

    // Fed by a designee the ring is blocked, and still reported.
    let g = G::new()
        .sdn("X")
        .own("X", "A", 50.0)
        .own("A", "B", 60.0)
        .own("B", "A", 40.0)
        .own("B", "T", 100.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::Blocked);
    assert!(t.issues.iter().any(|i| matches!(i, Issue::Cycle { .. })));
    // Cyclic look-through converges: A = 0.5 + 0.4 B, B = 0.6 A => A = 0.5/0.76.
    let a = 0.5 / (1.0 - 0.24);
    assert!((t.look_through_pct.unwrap() - 100.0 * 0.6 * a).abs() < 1e-6);

    // A self-loop (treasury shares) is a cycle too.
    let g = G::new().sdn("X").own("X", "T", 30.0).own("T", "T", 10.0);
    assert!(g
        .exp("T")
        .issues
        .iter()
        .any(|i| matches!(i, Issue::Cycle { .. })));
}

#[test]
fn missing_share_gives_review_when_it_could_tip_the_balance() {
    let g = G::new()
        .sdn("X")
        .rel("X", "T", EdgeKind::Ownership, None, Period::default())
        .own("Y", "T", 30.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::PossiblyBlocked);
    assert_eq!(t.decision, Decision::Review);
    assert_eq!(t.blocked_share_pct, 0.0);
    assert_eq!(t.blocked_share_upper_pct, 70.0);
    assert!(t
        .issues
        .iter()
        .any(|i| matches!(i, Issue::MissingShare { owner, .. } if owner.id == "X")));

    // When the known shares leave less than 50% free, the unknown share cannot block.
    let g = G::new()
        .sdn("X")
        .rel("X", "T", EdgeKind::Ownership, None, Period::default())
        .own("Y", "T", 60.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::NotBlocked);
    assert_eq!(t.blocked_share_upper_pct, 40.0);
    assert!(t
        .issues
        .iter()
        .any(|i| matches!(i, Issue::MissingShare { .. })));
}

#[test]
fn conflicting_dated_records_widen_the_range_and_are_reported() {
    let p1 = Period {
        start: Some(day(2015, 1, 1)),
        end: Some(day(2020, 12, 31)),
    };
    let p2 = Period {
        start: Some(day(2018, 1, 1)),
        end: None,
    };
    let g = G::new()
        .sdn("X")
        .rel("X", "T", EdgeKind::Ownership, Some(60.0), p1)
        .rel("X", "T", EdgeKind::Ownership, Some(40.0), p2);
    let in_overlap = g.exp_on("T", day(2019, 6, 1));
    assert_eq!(in_overlap.status, Status::PossiblyBlocked);
    assert_eq!(in_overlap.blocked_share_pct, 40.0);
    assert_eq!(in_overlap.blocked_share_upper_pct, 60.0);
    assert!(in_overlap.issues.iter().any(|i| matches!(
        i,
        Issue::ConflictingRecords { in_force_on_as_of: true, records, .. } if records.len() == 2
    )));

    let later = g.exp_on("T", day(2022, 1, 1));
    assert_eq!(later.status, Status::NotBlocked);
    assert_eq!(later.blocked_share_pct, 40.0);
    assert!(later.issues.iter().any(|i| matches!(
        i,
        Issue::ConflictingRecords {
            in_force_on_as_of: false,
            ..
        }
    )));
    assert!(later
        .issues
        .iter()
        .any(|i| matches!(i, Issue::NotInForce { share_pct: Some(s), .. } if *s == 60.0)));

    let before = g.exp_on("T", day(2016, 1, 1));
    assert_eq!(before.status, Status::Blocked);
}

#[test]
fn control_without_ownership_is_flagged_separately() {
    let g = G::new()
        .sdn("X")
        .rel("X", "T", EdgeKind::Control, None, Period::default())
        .own("Y", "T", 100.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::NotBlocked);
    assert_eq!(t.decision, Decision::Review);
    assert_eq!(t.control.len(), 1);
    assert_eq!(t.control[0].controller.id, "X");
    assert_eq!(t.control[0].position, "the target itself");

    // Control of an upstream owner is flagged too.
    let g = G::new()
        .sdn("X")
        .rel("X", "A", EdgeKind::Control, None, Period::default())
        .own("A", "T", 80.0);
    let t = g.exp("T");
    assert_eq!(t.status, Status::NotBlocked);
    assert_eq!(t.control.len(), 1);
    assert_eq!(t.control[0].controlled.id, "A");
}

#[test]
fn over_allocation_is_reported() {
    let g = G::new().sdn("X").own("X", "T", 70.0).own("Y", "T", 60.0);
    let t = g.exp("T");
    assert!(t.issues.iter().any(
        |i| matches!(i, Issue::OverAllocated { total_pct, .. } if (*total_pct - 130.0).abs() < 1e-9)
    ));
}

#[test]
fn designee_is_designated_and_explained() {
    let g = G::new().sdn("X");
    let x = g.exp("X");
    assert_eq!(x.status, Status::Designated);
    assert_eq!(x.decision, Decision::Match);
    assert!(x.explanation[0].contains("itself listed (ofac X)"));
}

/// Reference implementation: iterate "blocked if designated or blocked owners hold ≥ 50%"
/// over all nodes until nothing changes.
fn naive_blocked(n: usize, designated: &[bool], edges: &[(usize, usize, f64)]) -> Vec<bool> {
    let mut blocked = designated.to_vec();
    loop {
        let mut changed = false;
        for t in 0..n {
            if blocked[t] {
                continue;
            }
            let s: f64 = edges
                .iter()
                .filter(|(o, to, _)| *to == t && blocked[*o])
                .map(|(_, _, s)| s)
                .sum();
            if s + 1e-9 >= 50.0 {
                blocked[t] = true;
                changed = true;
            }
        }
        if !changed {
            return blocked;
        }
    }
}

fn random_graph() -> impl Strategy<Value = (usize, Vec<bool>, Vec<(usize, usize, f64)>)> {
    (3usize..12)
        .prop_flat_map(|n| {
            (
                Just(n),
                proptest::collection::vec(proptest::bool::weighted(0.25), n),
                // Shares in steps of 0.1 between 0.1 and 60; owners and owned drawn freely,
                // so cycles and self-loops happen.
                proptest::collection::vec((0..n, 0..n, 1u32..600), 0..(3 * n)),
            )
        })
        .prop_map(|(n, designated, raw)| {
            // One record per (owner, owned) pair, so the reference needs no grouping.
            let mut seen = std::collections::HashSet::new();
            let edges = raw
                .into_iter()
                .filter(|(o, t, _)| seen.insert((*o, *t)))
                .map(|(o, t, s)| (o, t, f64::from(s) / 10.0))
                .collect();
            (n, designated, edges)
        })
}

fn build(n: usize, designated: &[bool], edges: &[(usize, usize, f64)]) -> G {
    let mut g = G::new();
    for (i, &d) in designated.iter().enumerate().take(n) {
        let id = format!("n{i}");
        g = if d { g.sdn(&id) } else { g.co(&id) };
    }
    for (o, t, s) in edges {
        g = g.own(&format!("n{o}"), &format!("n{t}"), *s);
    }
    g
}

proptest! {
    #[test]
    fn per_entity_and_whole_graph_agree_with_the_reference((n, designated, edges) in random_graph()) {
        let g = build(n, &designated, &edges);
        let expected = naive_blocked(n, &designated, &edges);
        let bulk = blocked_set(&g.0, ExposureOptions::ofac(day(2024, 1, 1)));
        for i in 0..n {
            let e = g.exp(&format!("n{i}"));
            let blocked = matches!(e.status, Status::Blocked | Status::Designated);
            prop_assert_eq!(blocked, expected[i], "node n{}", i);
            prop_assert_eq!(bulk[i], e.status);
        }
    }

    #[test]
    fn adding_a_blocked_holding_never_unblocks((n, designated, edges) in random_graph(), extra in 1u32..600) {
        let before = naive_blocked(n, &designated, &edges);
        let Some(d) = designated.iter().position(|&x| x) else { return Ok(()) };
        let target = (d + 1) % n;
        if edges.iter().any(|(o, t, _)| *o == d && *t == target) {
            return Ok(());
        }
        let mut more = edges.clone();
        more.push((d, target, f64::from(extra) / 10.0));
        let g = build(n, &designated, &more);
        for (i, &was) in before.iter().enumerate() {
            if was {
                let s = g.exp(&format!("n{i}")).status;
                prop_assert!(matches!(s, Status::Blocked | Status::Designated));
            }
        }
    }
}
