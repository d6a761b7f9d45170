//! The SQLite store with the fixture files: imports (CSV, FtM), name resolution to list
//! entries, all-or-nothing failure, re-import replacing, recursive CTE upstream walks, and
//! the real OFAC DPRK list through embargo-screen's reader.

use std::path::PathBuf;

use chrono::NaiveDate;
use embargo_network::import::{ftm, ownership_csv, ImportBatch};
use embargo_network::{
    exposure, lists, reach, Decision, Designation, EdgeKind, ExposureOptions, NetworkError, Node,
    NodeKind, ReachOptions, Status, Store,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A stand-in list with KOMID under its real OFAC ent_num (9345, from sdn_dprk.csv).
fn komid_list() -> ImportBatch {
    let mut n = Node::new(
        "ofac:9345",
        NodeKind::Organization,
        "KOREA MINING DEVELOPMENT TRADING CORPORATION",
    );
    n.aliases.push("KOMID".into());
    n.designations.push(Designation {
        list: "ofac".into(),
        reference: "9345".into(),
        programs: vec!["NPWMD".into(), "DPRK2".into()],
        listed_on: None,
    });
    ImportBatch {
        file: "test-list".into(),
        nodes: vec![n],
        rows: 1,
        ..ImportBatch::default()
    }
}

#[test]
fn csv_names_resolve_to_list_entries_and_the_rule_applies() {
    let mut store = Store::in_memory().unwrap();
    store.import(komid_list(), "list:test").unwrap();
    let batch = ownership_csv::read_path(&fixture("ownership.csv")).unwrap();
    let report = store.import(batch, "ownership").unwrap();
    assert_eq!(report.rows, 5);
    assert_eq!(report.edges_added, 5);
    assert_eq!(report.resolved_by_name.len(), 1);
    assert_eq!(
        report.resolved_by_name[0].candidates,
        vec!["ofac:9345".to_string()]
    );

    let target = store.resolve("Liaoning Beta Logistics").unwrap();
    assert_eq!(target, "user:LIAONING BETA LOGISTICS");
    // The recursive CTE finds the owners' owners, and the director.
    let up = store
        .upstream_ids(&target, &[EdgeKind::Ownership, EdgeKind::Control])
        .unwrap();
    let mut up: Vec<_> = up.into_iter().collect();
    up.sort();
    assert_eq!(
        up,
        vec![
            "ofac:9345",
            "user:DANDONG ALPHA TRADING CO",
            "user:KIM CHOL",
            "user:LIAONING BETA LOGISTICS",
            "user:ZHANG WEI"
        ]
    );
    let g = store
        .load_upstream(&target, &[EdgeKind::Ownership, EdgeKind::Control])
        .unwrap();
    let e = exposure(
        &g,
        g.ix(&target).unwrap(),
        ExposureOptions::ofac(day(2024, 1, 1)),
    )
    .unwrap();
    // KOMID 60% of Alpha → Alpha blocked; Alpha 50% of Beta → Beta blocked.
    assert_eq!(e.status, Status::Blocked);
    assert_eq!(e.blocked_share_pct, 50.0);
    assert_eq!(e.paths.len(), 1);
    assert_eq!(e.paths[0].designee.id, "ofac:9345");
    assert_eq!(
        e.paths[0].steps[0].source,
        "Test register extract A (fictional)"
    );
    assert_eq!(e.paths[0].steps[0].origin.rsplit(':').next(), Some("2"));
    // Before Beta's shareholding started (2015-06-01), Beta was not blocked.
    let before = exposure(
        &g,
        g.ix(&target).unwrap(),
        ExposureOptions::ofac(day(2015, 1, 1)),
    )
    .unwrap();
    assert_eq!(before.status, Status::NotBlocked);
}

#[test]
fn ftm_file_adds_to_the_same_graph_and_reach_explains_the_vessel() {
    let mut store = Store::in_memory().unwrap();
    store.import(komid_list(), "list:test").unwrap();
    store
        .import(
            ownership_csv::read_path(&fixture("ownership.csv")).unwrap(),
            "ownership",
        )
        .unwrap();
    store
        .import(ftm::read_path(&fixture("ownership.jsonl")).unwrap(), "ftm")
        .unwrap();
    let g = store.load_graph().unwrap();
    let gamma = g.ix("ftm:gamma").unwrap();
    let e = exposure(&g, gamma, ExposureOptions::ofac(day(2024, 1, 1))).unwrap();
    // Alpha (blocked) 30% + Beta (blocked) 25% = 55%.
    assert_eq!(e.status, Status::Blocked);
    assert!((e.blocked_share_pct - 55.0).abs() < 1e-9);
    assert_eq!(e.paths.len(), 2);

    // The vessel managed by Beta: reached through the graph, review (management does not
    // block by itself), with the path back to KOMID.
    let vessel = g.ix("imo:9020015").unwrap();
    let r = reach(&g, vessel, ReachOptions::new(day(2024, 1, 1))).unwrap();
    assert_eq!(r.decision, Decision::Review);
    let hit = r
        .hits
        .iter()
        .find(|h| h.designee.id == "ofac:9345")
        .unwrap();
    let relations: Vec<EdgeKind> = hit.path.iter().map(|s| s.relation).collect();
    assert_eq!(
        relations,
        vec![
            EdgeKind::Ownership,
            EdgeKind::Ownership,
            EdgeKind::VesselManager
        ]
    );
    assert!(hit.explanation.contains("manages"), "{}", hit.explanation);

    // Beta itself: blocked through ownership, so its reach says match.
    let beta = g.ix("user:LIAONING BETA LOGISTICS").unwrap();
    let r = reach(&g, beta, ReachOptions::new(day(2024, 1, 1))).unwrap();
    assert_eq!(r.decision, Decision::Match);
    assert_eq!(r.hits[0].decision, Decision::Match);
}

#[test]
fn a_bad_file_writes_nothing_and_reimport_replaces() {
    let mut store = Store::in_memory().unwrap();
    let good = "owner,owned,share_pct,relation,start,end,source\nA,B,10,ownership,,,s\n";
    let b = ownership_csv::read(good.as_bytes(), "f.csv").unwrap();
    store.import(b, "ownership").unwrap();
    let bad = "owner,owned,share_pct,relation,start,end,source\nA,B,10,ownership,,,s\nA,C,x,ownership,,,s\n";
    let err = ownership_csv::read(bad.as_bytes(), "f.csv").unwrap_err();
    assert!(matches!(err, NetworkError::InvalidRows { count: 1, .. }));
    assert!(err.to_string().contains("f.csv:3: field `share_pct`"));
    assert_eq!(
        store.status().unwrap().edges_by_kind,
        vec![("ownership".to_string(), 1)]
    );

    // Same name again: refused, unless replacing; then the earlier rows are replaced, not
    // duplicated.
    let again = "owner,owned,share_pct,relation,start,end,source\nA,B,20,ownership,,,s\nA,C,5,ownership,,,s\n";
    let refused = store.import(
        ownership_csv::read(again.as_bytes(), "f.csv").unwrap(),
        "ownership",
    );
    assert!(matches!(refused, Err(NetworkError::NameInUse { .. })));
    store
        .import_with(
            ownership_csv::read(again.as_bytes(), "f.csv").unwrap(),
            "ownership",
            embargo_network::OnExisting::Replace,
            None,
        )
        .unwrap();
    let s = store.status().unwrap();
    assert_eq!(s.edges_by_kind, vec![("ownership".to_string(), 2)]);
    assert_eq!(s.batches.len(), 1);
    let g = store.load_graph().unwrap();
    let shares: Vec<Option<f64>> = g.edges().iter().map(|e| e.share_pct).collect();
    assert_eq!(shares, vec![Some(20.0), Some(5.0)]);
}

#[test]
fn store_on_disk_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/network.sqlite");
    {
        let mut s = Store::open(&path).unwrap();
        s.import(komid_list(), "list:test").unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.resolve("komid").unwrap(), "ofac:9345");
    assert_eq!(s.resolve("ofac:9345").unwrap(), "ofac:9345");
    assert!(matches!(
        s.resolve("nobody"),
        Err(NetworkError::UnknownEntity(_))
    ));
}

#[test]
fn real_ofac_dprk_list_through_embargo_screen() {
    let sdn = embargo_fixtures::shared_or_skip!("data/ofac-sdn/sdn_dprk.csv");
    let batch = lists::read_ofac_files(&sdn).unwrap();
    // 484 DPRK records (PROVENANCE.md): every one becomes a node.
    assert_eq!(batch.rows, 484);
    let placeholders_reported = batch
        .skipped
        .iter()
        .filter(|s| s.message.contains("Linked To"))
        .count();
    let mut store = Store::in_memory().unwrap();
    store.import(batch, "list:ofac").unwrap();
    let g = store.load_graph().unwrap();
    assert_eq!(g.nodes().iter().filter(|n| n.is_designated()).count(), 484);
    // CHONG CHON GANG is keyed by its IMO number and answers to its ent_num.
    assert_eq!(store.resolve("ofac:17069").unwrap(), "imo:7937317");
    // OFAC remarks "Linked To": PU HUNG 1 (ent_num 23165) is linked to KOREA RUNGRADO
    // SHIPPING CO, itself an SDN entry.
    let pu_hung = g.ix("imo:8703933").unwrap();
    let linked: Vec<&str> = g
        .incoming(pu_hung)
        .iter()
        .filter_map(|&e| g.edge(e))
        .filter(|e| e.kind == EdgeKind::LinkedTo)
        .map(|e| e.from.as_str())
        .collect();
    assert_eq!(linked.len(), 1);
    let party = g.node_by_id(linked[0]).unwrap();
    assert_eq!(party.name, "KOREA RUNGRADO SHIPPING CO");
    assert!(party.is_designated());
    // 166 "Linked To:" statements in the DPRK file's remarks, each an edge: to the named
    // entry, or to a placeholder that the import reports.
    let linked: Vec<_> = g
        .edges()
        .iter()
        .filter(|e| e.kind == EdgeKind::LinkedTo)
        .collect();
    assert_eq!(linked.len(), 166);
    let to_placeholder = linked
        .iter()
        .filter(|e| !g.node_by_id(&e.from).unwrap().is_designated())
        .count();
    assert!(to_placeholder <= 8, "{to_placeholder}");
    assert_eq!(to_placeholder, placeholders_reported);
}

#[test]
fn reach_decisions_by_relation() {
    let mut store = Store::in_memory().unwrap();
    store.import(komid_list(), "list:test").unwrap();
    let text = "owner,owned,share_pct,relation,start,end,source\n\
                ofac:9345,imo:9020015,,vessel_owner,,,Test registry (fictional)\n\
                ofac:9345,imo:7937317,,vessel_manager,,,Test registry (fictional)\n\
                ofac:9345,Delta Ltd,,linked_to,,,Test report (fictional)\n\
                Nobody Ltd,Epsilon Ltd,100,ownership,,,Test register (fictional)\n";
    store
        .import(
            ownership_csv::read(text.as_bytes(), "r.csv").unwrap(),
            "ownership",
        )
        .unwrap();
    let g = store.load_graph().unwrap();
    let on = ReachOptions::new(day(2024, 1, 1));
    let decision = |id: &str| reach(&g, g.ix(id).unwrap(), on).unwrap().decision;
    // A listed registered owner: the vessel is property of a listed person.
    assert_eq!(decision("imo:9020015"), Decision::Match);
    // Management and list links do not block by themselves.
    assert_eq!(decision("imo:7937317"), Decision::Review);
    assert_eq!(decision("user:DELTA LTD"), Decision::Review);
    // Nothing listed behind it.
    let r = reach(&g, g.ix("user:EPSILON LTD").unwrap(), on).unwrap();
    assert_eq!(r.decision, Decision::NoMatch);
    assert!(r.hits.is_empty());
    // From the designee's side: nothing it owns is blocked here (vessel roles are not
    // ownership).
    let komid = g.ix("ofac:9345").unwrap();
    assert!(embargo_network::blocked_holdings(&g, komid, day(2024, 1, 1), 10).is_empty());
}

/// UN comments naming another entry: the word-run lookup links exactly the pairs a plain
/// search of every citable name in every comment finds (on the real consolidated list).
#[test]
fn un_comment_links_match_a_plain_search() {
    use std::collections::{BTreeSet, HashMap};
    let xml = embargo_fixtures::shared_or_skip!("data/un-sc-consolidated/consolidated.xml");
    let snap = embargo_screen::un::read_file(&xml).unwrap();
    let mut by_name: HashMap<String, BTreeSet<String>> = HashMap::new();
    for e in &snap.entities {
        for n in &e.names {
            by_name
                .entry(embargo_network::graph::normalize_name(&n.value))
                .or_default()
                .insert(lists::entry_id(e));
        }
    }
    let mut expected = BTreeSet::new();
    for e in &snap.entities {
        let Some(remarks) = &e.remarks else { continue };
        let id = lists::entry_id(e);
        let text = format!(" {} ", embargo_network::graph::normalize_name(remarks));
        for (name, ids) in &by_name {
            if name.split(' ').count() < 2 || name.len() < 12 || ids.len() != 1 {
                continue;
            }
            let other = ids.iter().next().unwrap();
            if *other != id && text.contains(&format!(" {name} ")) {
                expected.insert((other.clone(), id.clone()));
            }
        }
    }
    let batch = lists::batch_from_snapshot(&snap, "list:un");
    let found: BTreeSet<(String, String)> = batch
        .edges
        .iter()
        .filter(|e| e.kind == EdgeKind::LinkedTo && e.source.starts_with("UN list comments"))
        .map(|e| (e.from.clone(), e.to.clone()))
        .collect();
    let edges = batch
        .edges
        .iter()
        .filter(|e| e.source.starts_with("UN list comments"))
        .count();
    assert!(!expected.is_empty());
    assert_eq!(found, expected);
    // One edge per pair.
    assert_eq!(edges, found.len());
}
