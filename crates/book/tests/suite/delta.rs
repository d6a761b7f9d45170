//! The delta re-screen equals a full re-screen: random books, random list edits, random
//! decisions; the current alerts (pair, contents, status, score) must be the same.

use std::collections::BTreeSet;

use embargo_book::{Book, BookRecord, MemoryLists, Verdict, Versions};
use embargo_screen::model::{Name, NameKind};
use embargo_screen::{Entity, Schema, Source};
use proptest::prelude::*;

const GIVEN: [&str; 8] = [
    "CHOL MIN",
    "JONG UN",
    "SONG HO",
    "MYONG CHOL",
    "IL SU",
    "KYONG HUI",
    "YONG NAM",
    "HAK SE",
];
const FAMILY: [&str; 6] = ["KIM", "PAK", "RI", "CHOE", "JANG", "HAN"];
const ORGS: [&str; 6] = [
    "KOREA MINING DEVELOPMENT TRADING CORPORATION",
    "OCEAN MARITIME MANAGEMENT COMPANY",
    "KOREA RYONBONG GENERAL CORPORATION",
    "TANCHON COMMERCIAL BANK",
    "NAMCHONGANG TRADING CORPORATION",
    "KOREA KWANGSON BANKING CORPORATION",
];

fn person(f: usize, g: usize) -> String {
    format!("{} {}", FAMILY[f % FAMILY.len()], GIVEN[g % GIVEN.len()])
}

fn entity(id: usize, f: usize, g: usize, org: Option<usize>, alias: bool) -> Entity {
    let (schema, name) = match org {
        Some(o) => (Schema::Organization, ORGS[o % ORGS.len()].to_string()),
        None => (Schema::Person, person(f, g)),
    };
    let mut e = Entity::new(format!("E{id}"), Source::Un, schema);
    e.names.push(Name {
        value: name,
        kind: NameKind::Primary,
        quality: None,
    });
    if alias {
        e.names.push(Name {
            value: person(f + 1, g + 3),
            kind: NameKind::StrongAlias,
            quality: None,
        });
    }
    e
}

fn record(id: usize, f: usize, g: usize, org: Option<usize>, typo: bool) -> BookRecord {
    let mut name = match org {
        Some(o) => ORGS[o % ORGS.len()].to_string(),
        None => person(f, g),
    };
    if typo {
        name.pop();
    }
    BookRecord {
        id: format!("r{id}"),
        name,
        schema: None,
        dob: None,
        country: None,
        imo: None,
        passport: None,
    }
}

fn versions(n: usize) -> Versions {
    [("un".to_string(), format!("v{n}"))].into_iter().collect()
}

/// The current alerts, as a set of comparable rows.
fn state(book: &Book) -> BTreeSet<(String, String, String, String, String, String)> {
    book.alerts(false, None)
        .unwrap()
        .into_iter()
        .map(|a| {
            (
                a.record_id,
                a.entity_id,
                a.record_hash,
                a.entity_hash,
                a.status.as_str().to_string(),
                format!("{:.6}", a.score),
            )
        })
        .collect()
}

type EntitySpec = (usize, usize, Option<usize>, bool);
type RecordSpec = (usize, usize, Option<usize>, bool);

fn entity_spec() -> impl Strategy<Value = EntitySpec> {
    (
        0..6usize,
        0..8usize,
        prop::option::weighted(0.3, 0..6usize),
        any::<bool>(),
    )
}

fn record_spec() -> impl Strategy<Value = RecordSpec> {
    (
        0..6usize,
        0..8usize,
        prop::option::weighted(0.3, 0..6usize),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn delta_equals_full_rescreen(
        list in prop::collection::vec(entity_spec(), 1..14),
        book in prop::collection::vec(record_spec(), 1..24),
        // Edits: (entity index, new spec or removal); additions.
        edits in prop::collection::vec((0..14usize, prop::option::of(entity_spec())), 0..6),
        added in prop::collection::vec(entity_spec(), 0..4),
        decide in prop::collection::vec((0..40usize, 0..3usize), 0..6),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let before: Vec<Entity> = list.iter().enumerate()
            .map(|(i, (f, g, o, a))| entity(i, *f, *g, *o, *a)).collect();
        let records: Vec<BookRecord> = book.iter().enumerate()
            .map(|(i, (f, g, o, t))| record(i, *f, *g, *o, *t)).collect();
        let lists = MemoryLists { entities: before.clone(), versions: versions(1) };

        let mut delta = Book::open(dir.path()).unwrap();
        delta.reweigh_share = f64::INFINITY;
        delta.import(records.clone(), &lists).unwrap();
        // Some decisions, taken on the first alerts.
        let open = delta.alerts(true, None).unwrap();
        let mut decisions = Vec::new();
        for (k, v) in &decide {
            if let Some(a) = open.get(*k % open.len().max(1)) {
                let verdict = [Verdict::FalsePositive, Verdict::TrueMatch, Verdict::Escalate][*v];
                if delta.decide(a.id, verdict, "test", "tester").is_ok() {
                    decisions.push((a.record_id.clone(), a.entity_id.clone(), verdict));
                }
            }
        }

        let mut after = before.clone();
        for (i, spec) in &edits {
            let i = i % after.len().max(1);
            match spec {
                Some((f, g, o, a)) => if let Some(e) = after.get_mut(i) {
                    let id = e.id.clone();
                    *e = entity(0, *f, *g, *o, *a);
                    e.id = id;
                },
                None => if i < after.len() { after.remove(i); },
            }
        }
        for (k, (f, g, o, a)) in added.iter().enumerate() {
            after.push(entity(100 + k, *f, *g, *o, *a));
        }
        let changed = MemoryLists { entities: after.clone(), versions: versions(2) };
        delta.follow_lists(&changed).unwrap();

        // The reference: the same book, the same decisions, screened in full on the new
        // list with the weights pinned by the first list.
        let mut full = Book::open(other.path()).unwrap();
        full.reweigh_share = f64::INFINITY;
        full.import(records.clone(), &lists).unwrap();
        for (r, e, verdict) in &decisions {
            let id = full.alerts(true, Some(r)).unwrap().into_iter()
                .find(|a| &a.entity_id == e).map(|a| a.id);
            if let Some(id) = id {
                full.decide(id, *verdict, "test", "tester").unwrap();
            }
        }
        full.screen_all(&changed, false).unwrap();
        prop_assert_eq!(state(&delta), state(&full));
    }
}

/// A false positive stays cleared across list updates, and alerts again when the entry's
/// content changes or when the record changes.
#[test]
fn false_positive_stays_cleared_until_entry_or_record_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Book::open(dir.path()).unwrap();
    // Every change here is a delta, however large a share of this two-entry list it is.
    book.reweigh_share = f64::INFINITY;
    let listed = vec![entity(1, 1, 0, None, false), entity(2, 0, 1, None, false)];
    let v1 = MemoryLists {
        entities: listed.clone(),
        versions: versions(1),
    };
    let records = vec![record(1, 1, 0, None, false), record(2, 3, 2, None, false)];
    let report = book.import(records.clone(), &v1).unwrap();
    assert_eq!((report.added, report.new_alerts), (2, 1));
    let alert = book.alerts(true, None).unwrap().remove(0);
    assert_eq!(
        (alert.record_id.as_str(), alert.entity_id.as_str()),
        ("r1", "E1")
    );
    assert!(alert.score >= 0.99, "{}", alert.score);
    assert!(alert.hit["explanation"]["matched_name"].is_string());
    book.decide(
        alert.id,
        Verdict::FalsePositive,
        "born 1950, ours 1990",
        "ana",
    )
    .unwrap();
    assert!(book.alerts(true, None).unwrap().is_empty());

    // An unrelated entry changes: still cleared.
    let mut unrelated = listed.clone();
    unrelated[1].names[0].value = "CHOE IL SU".into();
    let v2 = MemoryLists {
        entities: unrelated.clone(),
        versions: versions(2),
    };
    book.follow_lists(&v2).unwrap();
    assert!(book.alerts(true, None).unwrap().is_empty());
    // The same book again: nothing changes.
    let again = book.import(records.clone(), &v2).unwrap();
    assert_eq!((again.unchanged, again.new_alerts), (2, 0));

    // The cleared entry changes: a new alert for the same pair.
    let mut entry_changed = unrelated.clone();
    entry_changed[0].programs.push("DPRK3".into());
    let v3 = MemoryLists {
        entities: entry_changed.clone(),
        versions: versions(3),
    };
    let follow = book.follow_lists(&v3).unwrap().unwrap();
    assert_eq!((follow.mode.as_str(), follow.entries_changed), ("delta", 1));
    let open = book.alerts(true, None).unwrap();
    assert_eq!(open.len(), 1);
    assert_ne!(open[0].entity_hash, alert.entity_hash);
    book.decide(open[0].id, Verdict::FalsePositive, "still not him", "ana")
        .unwrap();

    // The record changes: alerts again.
    let mut changed_records = records.clone();
    changed_records[0].dob = Some("1990".into());
    let report = book.import(changed_records, &v3).unwrap();
    assert_eq!((report.changed, report.new_alerts), (1, 1));
    assert_eq!(book.alerts(true, None).unwrap()[0].record_id, "r1");

    // The entry is removed: the alert closes.
    let v4 = MemoryLists {
        entities: entry_changed[1..].to_vec(),
        versions: versions(4),
    };
    let follow = book.follow_lists(&v4).unwrap().unwrap();
    assert_eq!((follow.entries_removed, follow.closed_alerts), (1, 1));
    assert!(book.alerts(true, None).unwrap().is_empty());
    assert_eq!(book.decisions(Some("r1")).unwrap().len(), 2);
}

#[test]
fn reimport_counts_added_changed_removed() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Book::open(dir.path()).unwrap();
    let lists = MemoryLists::default();
    let first: Vec<BookRecord> = (0..5).map(|i| record(i, i, i, None, false)).collect();
    let r = book.import(first.clone(), &lists).unwrap();
    assert_eq!((r.added, r.changed, r.removed), (5, 0, 0));
    let mut second = first[1..].to_vec();
    second[0].country = Some("KP".into());
    second.push(record(9, 2, 2, None, false));
    let r = book.import(second, &lists).unwrap();
    assert_eq!((r.added, r.changed, r.removed, r.unchanged), (1, 1, 1, 3));
    assert_eq!(book.records().unwrap().len(), 5);
    assert_eq!(book.record("r1").unwrap().country.as_deref(), Some("KP"));
    assert!(book.record("r0").is_err());
}

/// A file that would remove more than the guard's share of the book is refused and
/// changes nothing; allowed, it replaces the book.
#[test]
fn a_file_that_would_empty_the_book_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let mut book = Book::open(dir.path()).unwrap();
    let lists = MemoryLists::default();
    let all: Vec<BookRecord> = (0..10).map(|i| record(i, i, i, None, false)).collect();
    book.import(all.clone(), &lists).unwrap();
    let guard = embargo_screen::ImportOptions {
        max_shrink: 0.2,
        allow_shrink: false,
    };
    // Two of ten removed: within the guard.
    let r = book.import_with(all[..8].to_vec(), &lists, guard).unwrap();
    assert_eq!(r.removed, 2);
    let err = book
        .import_with(all[..3].to_vec(), &lists, guard)
        .unwrap_err()
        .to_string();
    assert!(err.contains("remove 5 of the book's 8 records"), "{err}");
    assert_eq!(book.records().unwrap().len(), 8);
    let allowed = embargo_screen::ImportOptions {
        allow_shrink: true,
        ..guard
    };
    let r = book
        .import_with(all[..3].to_vec(), &lists, allowed)
        .unwrap();
    assert_eq!((r.removed, book.records().unwrap().len()), (5, 3));
}
