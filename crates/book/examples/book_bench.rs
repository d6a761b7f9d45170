//! The delta re-screen against a full re-screen of the same book, in one run.
//!
//! ```sh
//! cargo run --release -p embargo-book --example book_bench -- \
//!     --records 1000000 --list ../shared/data/un-sc-consolidated/consolidated.xml \
//!     --list ../shared/data/ofac-sdn/sdn.csv
//! ```
//!
//! A synthetic book (Korean and Chinese personal names, trading companies, ships; one
//! record in a thousand a listed name) is screened in full against the lists; then a list
//! update adds 10 entries and changes 10 (`--update listed`: listed entries under new ids,
//! and a new remark and programme; `--update book-names`: names of book records, and a new
//! alias each, the worst case). The update is applied by delta (`Book::follow_lists`)
//! and timed; then the whole book is screened again against the updated lists
//! (`Book::screen_all`, same pinned weights) and timed, and the run asserts that the full
//! re-screen finds exactly the alerts the delta left (nothing new, nothing closed, the
//! same rows).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Instant;

use embargo_book::{Book, BookRecord, MemoryLists};
use embargo_screen::model::{Name, NameKind};
use embargo_screen::{Entity, Source};

const FAMILY: [&str; 24] = [
    "KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "CHO", "YOON", "JANG", "LIM", "HAN", "OH",
    "WANG", "LI", "ZHANG", "LIU", "CHEN", "YANG", "ZHAO", "HUANG", "ZHOU", "WU", "XU", "SUN",
];
const SYLLABLES: [&str; 40] = [
    "MIN", "JUN", "SEO", "YEON", "HYUN", "WOO", "JI", "HO", "SUNG", "YOUNG", "EUN", "SOO", "HEE",
    "JAE", "DONG", "KYU", "TAE", "IN", "CHUL", "HWA", "WEI", "FANG", "LEI", "MING", "JING", "HUI",
    "XIN", "YU", "TAO", "BO", "PENG", "LAN", "QIANG", "HONG", "JIAN", "PING", "NA", "RUI", "KAI",
    "YAN",
];
const WORDS: [&str; 30] = [
    "GOLDEN",
    "PACIFIC",
    "OCEAN",
    "STAR",
    "GREAT",
    "EASTERN",
    "NORTHERN",
    "SUNRISE",
    "JADE",
    "DRAGON",
    "PHOENIX",
    "GLOBAL",
    "UNITED",
    "HARBOR",
    "RIVER",
    "MOUNTAIN",
    "SILK",
    "BRIGHT",
    "FORTUNE",
    "HARMONY",
    "PEARL",
    "EVERGREEN",
    "PROSPER",
    "ORIENT",
    "CONTINENTAL",
    "MERIDIAN",
    "SUMMIT",
    "VICTORY",
    "CRYSTAL",
    "LOTUS",
];
const FORMS: [&str; 6] = [
    "TRADING CO LTD",
    "SHIPPING CO",
    "INTERNATIONAL LIMITED",
    "LOGISTICS CORPORATION",
    "IMPORT EXPORT CO LTD",
    "INDUSTRIAL GROUP",
];

/// xorshift64*: a fixed, dependency-free generator so every run builds the same book.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn synthetic_book(n: usize, listed: &[Entity]) -> Vec<BookRecord> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..n)
        .map(|i| {
            let roll = rng.next() % 1000;
            let (name, schema) = if roll == 0 && !listed.is_empty() {
                let e = &listed[(rng.next() % listed.len() as u64) as usize];
                (e.caption().to_string(), None)
            } else if roll < 700 {
                (
                    format!(
                        "{} {} {}",
                        rng.pick(&FAMILY),
                        rng.pick(&SYLLABLES),
                        rng.pick(&SYLLABLES)
                    ),
                    Some("person".to_string()),
                )
            } else if roll < 950 {
                (
                    format!(
                        "{} {} {}",
                        rng.pick(&WORDS),
                        rng.pick(&WORDS),
                        rng.pick(&FORMS)
                    ),
                    Some("organization".to_string()),
                )
            } else {
                (
                    format!("{} {}", rng.pick(&WORDS), rng.pick(&WORDS)),
                    Some("vessel".to_string()),
                )
            };
            BookRecord {
                id: format!("b{i:07}"),
                name,
                schema,
                dob: None,
                country: None,
                imo: None,
                passport: None,
            }
        })
        .collect()
}

fn name(value: &str, kind: NameKind) -> Name {
    Name {
        value: value.to_string(),
        kind,
        quality: None,
    }
}

type State = BTreeSet<(String, String, String, String, String)>;

fn state(book: &Book) -> State {
    book.alerts(false, None)
        .unwrap_or_default()
        .into_iter()
        .map(|a| {
            (
                a.record_id,
                a.entity_id,
                a.entity_hash,
                a.status.as_str().to_string(),
                format!("{:.6}", a.score),
            )
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut records = 100_000usize;
    let mut lists: Vec<PathBuf> = Vec::new();
    let mut update = "listed".to_string();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--records" => records = args.next().ok_or("--records N")?.parse()?,
            "--list" => lists.push(args.next().ok_or("--list FILE")?.into()),
            "--update" => update = args.next().ok_or("--update listed|book-names")?,
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if lists.is_empty() {
        return Err("give at least one --list FILE (UN consolidated.xml, OFAC sdn.csv)".into());
    }
    let mut entities = Vec::new();
    for l in &lists {
        let source = embargo_screen::store::detect_source(l).ok_or("list: .xml or .csv")?;
        entities.extend(embargo_screen::store::parse_file(l, source)?.0.entities);
    }
    let t = Instant::now();
    let book_records = synthetic_book(records, &entities);
    eprintln!(
        "book: {records} records generated in {:.1}s; lists: {} entries",
        t.elapsed().as_secs_f64(),
        entities.len()
    );

    let dir = tempfile::tempdir()?;
    let mut book = Book::open(dir.path())?;
    book.reweigh_share = f64::INFINITY;
    let t = Instant::now();
    book.import(book_records.clone(), &MemoryLists::default())?;
    let import_s = t.elapsed().as_secs_f64();
    let v1 = MemoryLists {
        entities: entities.clone(),
        versions: [("un".to_string(), "v1".to_string())].into(),
    };
    let t = Instant::now();
    let first = book.follow_lists(&v1)?.ok_or("no follow")?;
    let first_s = t.elapsed().as_secs_f64();
    eprintln!(
        "import {import_s:.1}s; first (full) screening {first_s:.1}s: {} alerts",
        first.new_alerts
    );

    // The update: 10 entries added and 10 changed. `listed` (default): the added entries
    // are listed entries under new ids (as a new designation of a known network reads)
    // and the changed ones get a new remark and programme (what most amendments change).
    // `book-names`: the added entries, and a new alias of each changed one, are names of
    // book records: the worst case for the delta (common Korean and Chinese syllables).
    let mut updated = entities.clone();
    let mut rng = Rng(42);
    for k in 0..10 {
        let mut e = if update == "book-names" {
            let r = &book_records[(rng.next() % book_records.len() as u64) as usize];
            let mut e = Entity::new(String::new(), Source::Un, embargo_screen::Schema::Person);
            e.names.push(name(&r.name, NameKind::Primary));
            e
        } else {
            entities[(rng.next() % entities.len() as u64) as usize].clone()
        };
        e.id = format!("BENCH-ADD-{k}");
        updated.push(e);
    }
    for k in 0..10 {
        let at = (rng.next() % entities.len() as u64) as usize;
        let r = &book_records[(rng.next() % book_records.len() as u64) as usize];
        if let Some(e) = updated.get_mut(at) {
            if update == "book-names" {
                e.names.push(name(&r.name, NameKind::StrongAlias));
            }
            e.remarks = Some(format!("bench change {k}"));
            e.programs.push("BENCH".into());
        }
    }
    let v2 = MemoryLists {
        entities: updated,
        versions: [("un".to_string(), "v2".to_string())].into(),
    };
    let t = Instant::now();
    let delta = book.follow_lists(&v2)?.ok_or("no follow")?;
    let delta_s = t.elapsed().as_secs_f64();
    let after_delta = state(&book);
    let t = Instant::now();
    let full = book.screen_all(&v2, false)?;
    let full_s = t.elapsed().as_secs_f64();
    let after_full = state(&book);
    assert_eq!(delta.mode, "delta");
    assert_eq!(
        (full.new_alerts, full.closed_alerts),
        (0, 0),
        "the full re-screen found what the delta missed"
    );
    assert_eq!(after_delta, after_full);
    println!(
        "update {update}  records {records}  entries {}  delta: {} added {} changed, {} records re-screened, {} new alerts, {} closed in {delta_s:.3}s  full re-screen: {full_s:.2}s  speed-up {:.0}x  same alerts: {} current rows",
        entities.len() + 10,
        delta.entries_added,
        delta.entries_changed,
        delta.records_screened,
        delta.new_alerts,
        delta.closed_alerts,
        full_s / delta_s.max(1e-9),
        after_full.len()
    );
    Ok(())
}
