//! The graph's designees follow the active screening lists: a list version swapped in by
//! anyone (another process, the CLI, the server) shows at the next read, a delisted entry
//! stops blocking what it owns, a newly listed one resolves; named imports are never
//! replaced without being asked to.

use std::path::Path;

use chrono::NaiveDate;
use embargo_network::import::ownership_csv;
use embargo_network::{exposure, ExposureOptions, NetworkError, OnExisting, Status, Store};
use embargo_screen::{ImportOptions, ListStore, Source};

const SMALL_UN: &str = include_str!("../../../screen/tests/fixtures/small_un.xml");

/// The fixture list with `KPe.901` renamed to `reference`/`name`.
fn un_list(dir: &Path, file: &str, reference: &str, name: &str) -> std::path::PathBuf {
    let text = SMALL_UN
        .replace("KPe.901", reference)
        .replace("NEW SHIPPING CO", name);
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

fn exposure_status(store: &Store, entity: &str) -> Status {
    let id = store.resolve(entity).unwrap();
    let g = store
        .load_upstream(&id, &[embargo_network::EdgeKind::Ownership])
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    exposure(&g, g.ix(&id).unwrap(), ExposureOptions::ofac(day))
        .unwrap()
        .status
}

#[test]
fn designations_follow_the_active_list_version() {
    let dir = tempfile::tempdir().unwrap();
    let lists = ListStore::open(dir.path());
    let v1 = un_list(dir.path(), "v1.xml", "KPe.901", "NEW SHIPPING CO");
    let first = lists.import(&v1, Some(Source::Un)).unwrap().version;

    let mut store = Store::open(&dir.path().join("network.sqlite")).unwrap();
    let follow = store.follow_lists(&lists).unwrap();
    assert_eq!(follow.len(), 1, "{follow:?}");
    // Nothing changed: a version check, no work.
    assert!(store.follow_lists(&lists).unwrap().is_empty());

    let csv = "owner,owned,share_pct,relation,start,end,source\nun:KPe.901,Child Co,60,ownership,2015-01-01,,Test register (fictional)\n";
    store
        .import(
            ownership_csv::read(csv.as_bytes(), "own.csv").unwrap(),
            "ownership",
        )
        .unwrap();
    assert_eq!(exposure_status(&store, "Child Co"), Status::Blocked);

    // A new version drops KPe.901 and lists KPe.902.
    let v2 = un_list(dir.path(), "v2.xml", "KPe.902", "OTHER TRADING CO");
    let force = ImportOptions {
        allow_shrink: true,
        ..ImportOptions::default()
    };
    lists.import_with(&v2, Some(Source::Un), force).unwrap();

    // Another handle on the same file (another process) sees the change at its first read.
    let mut other = Store::open(&dir.path().join("network.sqlite")).unwrap();
    other.follow_lists(&lists).unwrap();
    assert_eq!(exposure_status(&other, "Child Co"), Status::NotBlocked);
    assert_eq!(exposure_status(&other, "un:KPe.901"), Status::NotBlocked);
    assert_eq!(exposure_status(&other, "un:KPe.902"), Status::Designated);
    assert_eq!(other.resolve("OTHER TRADING CO").unwrap(), "un:KPe.902");
    let status = other.status().unwrap();
    let active = lists.active_version(Source::Un).unwrap().unwrap();
    assert_eq!(status.lists, vec![("un".to_string(), active)]);
    // The list part is one batch in force, whatever the number of versions seen.
    let list_batches = status
        .batches
        .iter()
        .filter(|b| b.kind == "list:un")
        .count();
    assert_eq!(list_batches, 1, "{:?}", status.batches);

    // Back to v1 (the store keeps versions): the designee blocks again.
    lists.set_active(Source::Un, &first).unwrap();
    store.follow_lists(&lists).unwrap();
    assert_eq!(exposure_status(&store, "Child Co"), Status::Blocked);
}

#[test]
fn a_user_files_copy_of_a_designation_does_not_outlive_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let lists = ListStore::open(dir.path());
    let v1 = un_list(dir.path(), "v1.xml", "KPe.901", "NEW SHIPPING CO");
    lists.import(&v1, Some(Source::Un)).unwrap();
    let mut store = Store::open(&dir.path().join("network.sqlite")).unwrap();
    store.follow_lists(&lists).unwrap();
    // A hand-made batch that claims the same UN designation.
    let mut node = embargo_network::Node::new(
        "un:KPe.901",
        embargo_network::NodeKind::Organization,
        "NEW SHIPPING CO",
    );
    node.designations.push(embargo_network::Designation {
        list: "un".into(),
        reference: "KPe.901".into(),
        programs: vec![],
        listed_on: None,
    });
    let batch = embargo_network::import::ImportBatch {
        file: "copy.csv".into(),
        nodes: vec![node],
        rows: 1,
        ..Default::default()
    };
    store.import(batch, "vessels").unwrap();
    let v2 = un_list(dir.path(), "v2.xml", "KPe.902", "OTHER TRADING CO");
    let force = ImportOptions {
        allow_shrink: true,
        ..ImportOptions::default()
    };
    lists.import_with(&v2, Some(Source::Un), force).unwrap();
    store.follow_lists(&lists).unwrap();
    assert_eq!(exposure_status(&store, "un:KPe.901"), Status::NotBlocked);
}

#[test]
fn a_name_in_use_is_refused_unless_replacing() {
    let mut store = Store::in_memory().unwrap();
    let a = "owner,owned,share_pct,relation,start,end,source\nA,B,10,ownership,,,s\n";
    let b = "owner,owned,share_pct,relation,start,end,source\nC,D,20,ownership,,,s\n";
    store
        .import(
            ownership_csv::read(a.as_bytes(), "upload:x").unwrap(),
            "ownership",
        )
        .unwrap();
    let err = store
        .import(
            ownership_csv::read(b.as_bytes(), "upload:x").unwrap(),
            "ownership",
        )
        .unwrap_err();
    assert!(matches!(err, NetworkError::NameInUse { .. }), "{err}");
    // Nothing of the refused file was written.
    assert_eq!(store.load_graph().unwrap().edges().len(), 1);
    store
        .import_with(
            ownership_csv::read(b.as_bytes(), "upload:x").unwrap(),
            "ownership",
            OnExisting::Replace,
            Some("k1"),
        )
        .unwrap();
    let g = store.load_graph().unwrap();
    assert_eq!(g.edges().len(), 1);
    assert_eq!(g.edges()[0].share_pct, Some(20.0));
    let s = store.status().unwrap();
    assert_eq!(s.batches.len(), 1);
    assert_eq!(s.batches[0].added_by.as_deref(), Some("k1"));
    // The lists' names are not for user imports.
    let err = store
        .import(
            ownership_csv::read(a.as_bytes(), "list:un").unwrap(),
            "ownership",
        )
        .unwrap_err();
    assert!(matches!(err, NetworkError::NameInUse { .. }), "{err}");
}

/// A listed vessel is read from the followed OFAC list, not copied at import: when a new
/// version no longer lists it, it is not found, and the error names the version read.
#[test]
fn vessels_come_from_the_followed_list_version() {
    let Some(sdn) = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv") else {
        return;
    };
    use embargo_network::vessel::{find_vessel, FlagRegistry, Imo, SignalRules};
    let dir = tempfile::tempdir().unwrap();
    let lists = ListStore::open(dir.path());
    lists.import(&sdn, Some(Source::Ofac)).unwrap();
    let mut store = Store::open(&dir.path().join("network.sqlite")).unwrap();
    store.follow_lists(&lists).unwrap();
    let registry = FlagRegistry::bundled().unwrap();
    let rules = SignalRules::default();
    // CHON MA SAN, SDN ent_num 23729, "Vessel Registration Identification IMO 8660313".
    let imo = Imo::parse("8660313").unwrap();
    let graph = store.load_graph().unwrap();
    let p = find_vessel(&store, &graph, imo, &registry, rules).unwrap();
    assert_eq!(p.name.as_deref(), Some("CHON MA SAN"));
    assert_eq!(p.designations[0].reference, "23729");

    // The same file without entry 23729 (its record is one line) as the next version.
    let text = std::fs::read_to_string(&sdn).unwrap();
    let without: String = text
        .lines()
        .filter(|l| !l.starts_with("23729,"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(without.len() < text.len());
    let next_dir = dir.path().join("next");
    std::fs::create_dir(&next_dir).unwrap();
    let next = next_dir.join("sdn.csv");
    std::fs::write(&next, without).unwrap();
    let version = lists.import(&next, Some(Source::Ofac)).unwrap().version;
    store.follow_lists(&lists).unwrap();
    let graph = store.load_graph().unwrap();
    match find_vessel(&store, &graph, imo, &registry, rules) {
        Err(e @ NetworkError::VesselNotFound { .. }) => {
            let message = e.to_string();
            assert!(
                message.contains(&format!("lists read: ofac version {version}")),
                "{message}"
            );
        }
        other => panic!("expected not found, got {other:?}"),
    }
}

/// A name that two entities of the network share (one company on the UN list and on
/// OFAC's) names no one entity: the screening's reach is empty, not an
/// error that would lose the screening.
#[test]
fn a_name_two_entities_share_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let lists = ListStore::open(dir.path());
    let v1 = un_list(dir.path(), "v1.xml", "KPe.901", "NEW SHIPPING CO");
    lists.import(&v1, Some(Source::Un)).unwrap();
    // The same company on OFAC's list (a one-entry SDN file in OFAC's legacy layout).
    let sdn = dir.path().join("sdn.csv");
    std::fs::write(
        &sdn,
        "9901,\"NEW SHIPPING CO\",-0- ,\"DPRK3\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n",
    )
    .unwrap();
    lists.import(&sdn, Some(Source::Ofac)).unwrap();
    let mut store = Store::open(&dir.path().join("network.sqlite")).unwrap();
    store.follow_lists(&lists).unwrap();
    assert!(matches!(
        store.resolve("NEW SHIPPING CO"),
        Err(NetworkError::AmbiguousEntity { .. })
    ));
    drop(store);
    let query = embargo_screen::Query {
        name: "NEW SHIPPING CO".into(),
        schema: None,
        birth_date: None,
        country: None,
        imo: None,
        passport: None,
    };
    let day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let reach = embargo_network::screening_reach(dir.path(), &query, day).unwrap();
    assert!(reach.is_none());
    // The listed company, asked by its id, is still followed.
    let by_id = embargo_network::screening_reach(
        dir.path(),
        &embargo_screen::Query {
            name: "un:KPe.901".into(),
            ..query
        },
        day,
    )
    .unwrap();
    assert!(by_id.is_some());
}
