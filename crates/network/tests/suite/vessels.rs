//! Vessels on the real OFAC DPRK vessel extract (../shared/data/ofac-sdn/
//! dprk_vessels_from_sdn.csv, 105 records) and a hand-written flag history.

use std::collections::BTreeMap;
use std::path::PathBuf;

use embargo_network::import::vessel_csv;
use embargo_network::vessel::signals::Severity;
use embargo_network::vessel::{
    vessel_profile, Confidence, FlagRegistry, Imo, SignalKind, SignalRules, VesselProfile,
};
use embargo_network::Store;

fn profiles(store: &Store) -> Vec<VesselProfile> {
    let g = store.load_graph().unwrap();
    let reg = FlagRegistry::bundled().unwrap();
    store
        .vessel_imos()
        .unwrap()
        .into_iter()
        .map(|imo| {
            let ev = store.vessel_events(imo).unwrap();
            vessel_profile(imo, &g, &ev, &reg, SignalRules::default())
        })
        .collect()
}

fn count(ps: &[VesselProfile], kind: SignalKind) -> usize {
    ps.iter()
        .filter(|p| p.signals.iter().any(|s| s.kind == kind))
        .count()
}

fn real_store() -> Option<Store> {
    let path = embargo_fixtures::shared_file("data/ofac-sdn/dprk_vessels_from_sdn.csv")?;
    let batch = vessel_csv::read_path(&path).unwrap();
    assert_eq!(batch.rows, 105);
    // Every record has an IMO number with a valid check digit: nothing skipped.
    assert!(batch.skipped.is_empty(), "{:?}", batch.skipped);
    let mut store = Store::in_memory().unwrap();
    store.import(batch, "vessels").unwrap();
    Some(store)
}

#[test]
fn the_105_ofac_dprk_vessels_and_their_flags() {
    let Some(store) = real_store() else { return };
    let ps = profiles(&store);
    assert_eq!(ps.len(), 105);
    assert!(ps
        .iter()
        .all(|p| p.designations.len() == 1 && p.dprk_linked));
    let mut flags: BTreeMap<String, usize> = BTreeMap::new();
    for p in &ps {
        *flags
            .entry(p.current_flag.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("Democratic People's Republic of Korea", 73),
        ("", 9),
        ("Russia", 6),
        ("Sierra Leone", 4),
        ("Cambodia", 3),
        ("Panama", 3),
        ("Mongolia", 2),
        ("Palau", 1),
        // Four flags the provenance note's tally leaves out; they are in the file.
        ("Comoros", 1),
        ("Singapore", 1),
        ("Tanzania", 1),
        ("Vietnam", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    assert_eq!(flags, expected);

    assert_eq!(count(&ps, SignalKind::Designated), 105);
    assert_eq!(count(&ps, SignalKind::DprkFlag), 73);
    assert_eq!(count(&ps, SignalKind::FlagUnknown), 9);
    // DPRK-linked ships under any other flag: 105 - 73 DPRK - 9 blank.
    assert_eq!(count(&ps, SignalKind::ForeignFlagDprkLinked), 23);
    // Sierra Leone 4 + Cambodia 3 + Mongolia 2.
    assert_eq!(count(&ps, SignalKind::DprkFlagOfChoice), 9);
    // ITF list: Cambodia 3 + Panama 3 + Mongolia 2 + Comoros 1 (the DPRK flag itself is
    // reported as DprkFlag, not as a flag of convenience).
    assert_eq!(count(&ps, SignalKind::FlagOfConvenience), 9);
    assert_eq!(count(&ps, SignalKind::Renamed), 1);
}

#[test]
fn star_18_former_names_foreign_flag_and_link() {
    let Some(store) = real_store() else { return };
    let imo = Imo::parse("9020015").unwrap();
    let g = store.load_graph().unwrap();
    let p = vessel_profile(
        imo,
        &g,
        &store.vessel_events(imo).unwrap(),
        &FlagRegistry::bundled().unwrap(),
        SignalRules::default(),
    );
    assert_eq!(p.name.as_deref(), Some("STAR 18"));
    assert_eq!(p.current_flag.as_deref(), Some("Vietnam"));
    let former: Vec<&str> = p
        .names
        .iter()
        .filter(|n| n.kind == embargo_network::vessel::EventKind::FormerName)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(former, vec!["SAM 5", "THINH CUONG"]);
    assert_eq!(p.designations[0].reference, "28716");
    assert_eq!(p.designations[0].programs, vec!["DPRK4".to_string()]);
    assert_eq!(p.links.len(), 1);
    assert_eq!(p.links[0].name, "THINH CUONG COMPANY LIMITED");
    let kinds: Vec<SignalKind> = p.signals.iter().map(|s| s.kind).collect();
    assert!(kinds.contains(&SignalKind::ForeignFlagDprkLinked));
    assert!(kinds.contains(&SignalKind::Renamed));
    assert!(!kinds.contains(&SignalKind::FlagOfConvenience));
}

#[test]
fn flag_history_shows_hopping_and_flags_of_choice() {
    let Some(mut store) = real_store() else {
        return;
    };
    let history =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vessel_history.csv");
    let report = store
        .import(vessel_csv::read_path(&history).unwrap(), "vessels")
        .unwrap();
    assert_eq!(report.vessel_events_added, 4);
    let imo = Imo::parse("9020015").unwrap();
    let g = store.load_graph().unwrap();
    let p = vessel_profile(
        imo,
        &g,
        &store.vessel_events(imo).unwrap(),
        &FlagRegistry::bundled().unwrap(),
        SignalRules::default(),
    );
    // Latest dated record wins over the undated list statement.
    assert_eq!(p.current_flag.as_deref(), Some("Togo"));
    assert_eq!(p.name.as_deref(), Some("STAR 18"));
    let hop = p
        .signals
        .iter()
        .find(|s| s.kind == SignalKind::FlagHopping)
        .expect("flag hopping");
    assert_eq!(hop.severity, Severity::High);
    assert!(
        hop.reason.starts_with(
            "3 flags between 2016-02-01 and 2018-01-10: Cambodia -> Sierra Leone -> Togo"
        ),
        "{}",
        hop.reason
    );
    let choice: Vec<(String, Option<Confidence>)> = p
        .signals
        .iter()
        .filter(|s| s.kind == SignalKind::DprkFlagOfChoice)
        .map(|s| (s.reason.clone(), s.confidence))
        .collect();
    // Cambodia and Sierra Leone (past), Togo (current, unconfirmed in the registry data).
    assert_eq!(choice.len(), 3);
    assert!(choice
        .iter()
        .any(|(r, c)| r.starts_with("current flag Togo") && *c == Some(Confidence::Unconfirmed)));

    // A stricter analyst setting (4 flags in 3 years) does not fire.
    let strict = SignalRules {
        hop_min_flags: 4,
        hop_window_days: 3 * 365,
    };
    let p = vessel_profile(
        imo,
        &g,
        &store.vessel_events(imo).unwrap(),
        &FlagRegistry::bundled().unwrap(),
        strict,
    );
    assert!(!p.signals.iter().any(|s| s.kind == SignalKind::FlagHopping));
}
