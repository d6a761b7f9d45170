//! A list import never replaces the real list with an empty, cut or much smaller one:
//! the readers refuse files that are not whole publications, and the store refuses a new
//! version that lacks more than the allowed share of the active entries unless told to.

use std::path::{Path, PathBuf};

use embargo_screen::store::Shrinkage;
use embargo_screen::{ofac, un, ImportOptions, ListError, ListStore, Source, StoreError};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write fixture");
    p
}

fn incomplete(err: &ListError) -> (usize, &str) {
    match err {
        ListError::Incomplete { line, message, .. } => (*line, message.as_str()),
        other => panic!("expected an incomplete-file error, got {other}"),
    }
}

#[test]
fn an_empty_ofac_file_is_refused() {
    for body in [&b""[..], b"\r\n", b"\x1a", b"\r\n\r\n\x1a"] {
        let err = ofac::parse_sdn(body, Path::new("e.csv")).expect_err("empty file");
        let (_, message) = incomplete(&err);
        assert!(message.contains("no records"), "{message}");
        assert!(err.to_string().starts_with("e.csv:"), "{err}");
    }
}

#[test]
fn an_ofac_file_cut_mid_record_is_refused() {
    let Some(path) = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv") else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read sdn_dprk.csv");
    // `head -c 50000`: 123 whole records, then the remarks of the 124th, cut (read as a
    // 124th entry before).
    let err = ofac::parse_sdn(&bytes[..50_000], &path).expect_err("cut file");
    let (line, message) = incomplete(&err);
    assert_eq!(line, 124);
    assert!(
        message.contains("no line end: the file is cut"),
        "{message}"
    );
    // Cut just after the opening quote of a field, then a line end: the quote swallows it.
    let cut = bytes[..50_000]
        .iter()
        .rposition(|b| *b == b'"')
        .expect("a quote");
    let mut open = bytes[..=cut].to_vec();
    open.extend_from_slice(b"\r\n");
    let err = ofac::parse_sdn(&open, &path).expect_err("open quote");
    assert!(err.to_string().contains("incomplete list file"), "{err}");
    // Every cut at a line end keeps whole records (and says how many).
    let at_line = bytes[..50_000]
        .iter()
        .rposition(|b| *b == b'\n')
        .expect("a line end");
    let whole = ofac::parse_sdn(&bytes[..=at_line], &path).expect("whole records");
    assert_eq!(whole.entities.len(), 123);
    // The full file still reads, with and without OFAC's 0x1A end byte.
    assert_eq!(
        ofac::parse_sdn(&bytes, &path)
            .expect("whole")
            .entities
            .len(),
        484
    );
    let mut with_eof = bytes.clone();
    with_eof.push(0x1A);
    assert_eq!(
        ofac::parse_sdn(&with_eof, &path)
            .expect("whole")
            .entities
            .len(),
        484
    );
}

#[test]
fn a_cut_companion_file_is_refused() {
    let Some(dir) = embargo_fixtures::shared_file("data/ofac-sdn/2021-07-snapshot") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let sdn = std::fs::read(dir.join("sdn_dprk.csv")).expect("sdn");
    let alt = std::fs::read(dir.join("alt_dprk.csv")).expect("alt");
    let sdn_path = write(tmp.path(), "sdn_dprk.csv", &sdn);
    write(tmp.path(), "alt_dprk.csv", &alt[..alt.len() / 2]);
    let err = ofac::read_files(&ofac::OfacFiles::beside(&sdn_path)).expect_err("cut alt");
    assert!(err.to_string().contains("alt_dprk.csv:"), "{err}");
    incomplete(&err);
}

#[test]
fn an_empty_or_undated_un_list_is_refused() {
    let empty = br#"<?xml version="1.0" encoding="UTF-8"?>
<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z">
  <INDIVIDUALS/>
  <ENTITIES/>
</CONSOLIDATED_LIST>
"#;
    let err = un::parse(empty, Path::new("empty.xml")).expect_err("no records");
    assert!(
        incomplete(&err).1.contains("no INDIVIDUAL or ENTITY"),
        "{err}"
    );
    let selfclosed = br#"<CONSOLIDATED_LIST dateGenerated="2026-02-27T00:00:09.554Z"/>"#;
    let err = un::parse(selfclosed, Path::new("empty.xml")).expect_err("no records");
    incomplete(&err);

    let small = std::fs::read("tests/fixtures/small_un.xml").expect("fixture");
    let text = String::from_utf8(small).expect("utf-8");
    let undated = text.replace(r#" dateGenerated="2026-01-01T00:00:00Z""#, "");
    assert_ne!(undated, text);
    let err = un::parse(undated.as_bytes(), Path::new("undated.xml")).expect_err("no date");
    assert!(incomplete(&err).1.contains("dateGenerated"), "{err}");
}

#[test]
fn a_un_list_cut_anywhere_is_refused() {
    let Some(path) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let bytes = std::fs::read(&path).expect("read");
    assert_eq!(un::parse(&bytes, &path).expect("whole").entities.len(), 155);
    // Cut after a whole record, after the last </ENTITY>, inside the closing tag.
    let last_entity = bytes
        .windows(9)
        .rposition(|w| w == b"</ENTITY>")
        .expect("an entity");
    let root_close = bytes
        .windows(20)
        .rposition(|w| w == b"</CONSOLIDATED_LIST>")
        .expect("the closing tag");
    for cut in [
        bytes.len() / 2,
        last_entity + 9,
        root_close,
        root_close + 5,
        root_close + 19,
    ] {
        let err = un::parse(&bytes[..cut], &path).expect_err("cut list");
        assert!(
            matches!(err, ListError::Incomplete { .. } | ListError::Xml { .. }),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn reads_are_bounded() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let t = std::time::Instant::now();
    let err = embargo_screen::read_bounded(Path::new("/dev/zero"), 1 << 20).expect_err("bound");
    assert!(
        matches!(err, ListError::TooLarge { limit, .. } if limit == 1 << 20),
        "{err}"
    );
    assert!(t.elapsed().as_secs() < 5);
    // A single 100 KB line is not an OFAC record.
    let mut line = b"1,\"".to_vec();
    line.extend(std::iter::repeat_n(b'A', 100_000));
    line.extend_from_slice(b"\",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n");
    let err = ofac::parse_sdn(&line, Path::new("long.csv")).expect_err("long record");
    assert!(
        err.to_string().contains("over the 65536-byte limit"),
        "{err}"
    );
}

fn snapshot_dir() -> Option<PathBuf> {
    embargo_fixtures::shared_file("data/ofac-sdn/2021-07-snapshot")
}

#[test]
fn a_much_smaller_list_is_refused_unless_allowed() {
    let Some(dir) = snapshot_dir() else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let store = ListStore::open(tmp.path());
    // The full 2021 sdn.csv alone (8,976 records).
    let full_dir = tmp.path().join("full");
    std::fs::create_dir_all(&full_dir).expect("mkdir");
    let full = write(
        &full_dir,
        "sdn.csv",
        &std::fs::read(dir.join("sdn.csv")).expect("sdn.csv"),
    );
    let first = store.import(&full, None).expect("first import");
    assert_eq!(first.entities, 8976);

    // `: > e.csv; embargo lists import e.csv --source ofac`: refused as empty.
    let empty = write(tmp.path(), "e.csv", b"");
    let err = store.import(&empty, Some(Source::Ofac)).expect_err("empty");
    assert!(
        matches!(err, StoreError::List(ListError::Incomplete { .. })),
        "{err}"
    );

    // The DPRK extract of the same publication: whole, but 8,562 entries fewer.
    let dprk_dir = tmp.path().join("dprk");
    std::fs::create_dir_all(&dprk_dir).expect("mkdir");
    let dprk = write(
        &dprk_dir,
        "sdn_dprk.csv",
        &std::fs::read(dir.join("sdn_dprk.csv")).expect("sdn_dprk.csv"),
    );
    let err = store.import(&dprk, None).expect_err("shrink");
    match &err {
        StoreError::Shrink {
            file,
            active_version,
            active_entities,
            new_entities,
            dropped,
            max_share,
            ..
        } => {
            assert_eq!(file, &dprk);
            assert_eq!(active_version, &first.version);
            assert_eq!(
                (*active_entities, *new_entities, *dropped),
                (8976, 414, 8562)
            );
            assert_eq!(*max_share, 0.20);
        }
        other => panic!("expected a shrink refusal, got {other}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("lacks 8562 of the 8976 entries"), "{msg}");
    assert!(msg.contains("95.4%"), "{msg}");
    assert!(msg.contains("--allow-shrink"), "{msg}");
    // Nothing changed: same active version, no new version directory.
    assert_eq!(
        store.active_version(Source::Ofac).expect("read").as_deref(),
        Some(first.version.as_str())
    );
    let status = store.status().expect("status");
    let ofac_status = status
        .iter()
        .find(|s| s.source == Source::Ofac)
        .expect("ofac");
    assert_eq!(ofac_status.versions.len(), 1);

    // A looser threshold does not help here; forcing does.
    let loose = ImportOptions {
        max_shrink: 0.5,
        allow_shrink: false,
    };
    assert!(store.import_with(&dprk, None, loose).is_err());
    let forced = ImportOptions {
        allow_shrink: true,
        ..ImportOptions::default()
    };
    let second = store.import_with(&dprk, None, forced).expect("forced");
    assert_eq!(second.entities, 414);
    assert_eq!(
        store.active_version(Source::Ofac).expect("read").as_deref(),
        Some(second.version.as_str())
    );
    // Growing back is never refused.
    let third = store.import(&full, None).expect("grow");
    assert_eq!(third.entities, 8976);
}

#[test]
fn shrinkage_counts_missing_ids_not_sizes() {
    let Some(dir) = snapshot_dir() else { return };
    let full = ofac::parse_sdn(
        &std::fs::read(dir.join("sdn.csv")).expect("sdn"),
        Path::new("sdn.csv"),
    )
    .expect("parse");
    let same = full.clone();
    assert_eq!(Shrinkage::between(&full, &same).dropped, 0);
    // Same size, but the first 2,000 entries replaced by others: 2,000 dropped (22.3%).
    let mut swapped = full.clone();
    for (i, e) in swapped.entities.iter_mut().take(2000).enumerate() {
        e.id = format!("new-{i}");
    }
    let s = Shrinkage::between(&full, &swapped);
    assert_eq!(
        (s.active_entities, s.new_entities, s.dropped),
        (8976, 8976, 2000)
    );
    assert!(s.share() > embargo_screen::DEFAULT_MAX_SHRINK);
}
