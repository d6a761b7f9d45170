//! Loaders on small format fixtures written for these tests (tests/fixtures): the three
//! files in Comtrade formats hold the same three rows, so they must load identically.

use std::path::PathBuf;

use embargo_trade::store::{Grouping, QuerySpec, TradeStore};
use embargo_trade::{
    load_path, Flow, Format, Level, LoadOptions, Location, Period, TradeError, TradeRecord,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> embargo_trade::LoadReport {
    load_path(&fixture(name), &LoadOptions::default()).unwrap()
}

/// The three rows every Comtrade fixture holds.
fn check_comtrade_rows(rows: &[TradeRecord]) {
    assert_eq!(rows.len(), 3);
    let coal = &rows[0];
    assert_eq!(
        (coal.reporter.as_str(), coal.partner.as_str()),
        ("CN", "KP")
    );
    assert_eq!(coal.flow, Flow::Import);
    assert_eq!(coal.period, Period::year(2016));
    assert_eq!(coal.hs.as_str(), "2701");
    assert_eq!(coal.hs_revision.as_deref(), Some("H4"));
    assert_eq!(coal.value_usd, 100_000_000.0);
    assert_eq!(coal.net_weight_kg, Some(2_000_000_000.0));
    assert_eq!(coal.level, Level::Hs);
    assert_eq!(coal.series, "COMTRADE");
    assert!(
        coal.is_dprk_export(),
        "China's import from KP is a DPRK export (mirror)"
    );
    assert_eq!(rows[1].net_weight_kg, None);
    assert_eq!(rows[1].value_usd, 50_000_000.0);
    let oil = &rows[2];
    assert_eq!(oil.flow, Flow::Export);
    assert_eq!(
        oil.period,
        Period {
            year: 2016,
            month: Some(3)
        }
    );
    assert_eq!(oil.hs.as_str(), "271019");
    assert_eq!(oil.value_usd, 650_000.0);
    assert!(oil.is_dprk_import());
}

#[test]
fn comtrade_legacy_csv() {
    let r = load("comtrade-legacy.csv");
    assert_eq!(r.format, Format::ComtradeLegacyCsv);
    check_comtrade_rows(&r.records);
    assert_eq!(r.records[2].note.as_deref(), Some("Comtrade flag 4"));
}

#[test]
fn comtrade_plus_csv() {
    let r = load("comtrade-plus.csv");
    assert_eq!(r.format, Format::ComtradePlusCsv);
    check_comtrade_rows(&r.records);
}

#[test]
fn comtrade_api_json() {
    let r = load("comtrade-api.json");
    assert_eq!(r.format, Format::ComtradeJson);
    check_comtrade_rows(&r.records);
    assert_eq!(r.rows_read, 3);
}

#[test]
fn plain_csv_with_category_rows() {
    let r = load("plain.csv");
    assert_eq!(r.format, Format::PlainCsv);
    assert_eq!(r.records.len(), 3);
    assert_eq!(r.records[0].level, Level::Category);
    assert_eq!(r.records[0].hs.codes().len(), 14);
    assert_eq!(r.records[1].level, Level::Total);
    assert!(r.records[1].is_dprk_export());
}

#[test]
fn malformed_row_is_an_error_naming_file_line_and_field() {
    let err = load_path(&fixture("malformed.csv"), &LoadOptions::default()).unwrap_err();
    match &err {
        TradeError::Field {
            file, at, field, ..
        } => {
            assert!(file.ends_with("malformed.csv"));
            assert_eq!(*at, Location::Line(3));
            assert_eq!(field, "primaryValue");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(
        err.to_string()
            .contains("malformed.csv: line 3: field `primaryValue`"),
        "{err}"
    );
}

#[test]
fn malformed_rows_can_be_skipped_and_are_reported() {
    let r = load_path(
        &fixture("malformed.csv"),
        &LoadOptions {
            max_bad_rows: 5,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.rows_read, 4);
    assert_eq!(r.records.len(), 2);
    let skipped: Vec<(Location, &str)> =
        r.skipped.iter().map(|s| (s.at, s.field.as_str())).collect();
    assert_eq!(
        skipped,
        [
            (Location::Line(3), "primaryValue"),
            (Location::Line(4), "flowCode")
        ]
    );
    // One allowed, two found: the load fails and says so.
    let err = load_path(
        &fixture("malformed.csv"),
        &LoadOptions {
            max_bad_rows: 1,
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, TradeError::TooManyBadRows { skipped: 2, .. }),
        "{err}"
    );
}

#[test]
fn json_record_errors_name_the_record() {
    let text = r#"{"data":[{"period":"2016","reporterISO":"CHN","partnerISO":"PRK","flowCode":"M","cmdCode":"2701","primaryValue":1},{"period":"2016","reporterISO":"CHN","partnerISO":"PRK","flowCode":"M","cmdCode":"27x1","primaryValue":1}]}"#;
    let err = embargo_trade::load_reader("api.json", text.as_bytes(), &LoadOptions::default())
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("api.json: record 2: field `cmdCode`"),
        "{err}"
    );
}

#[test]
fn unknown_csv_header_is_a_format_error() {
    let err = embargo_trade::load_reader("x.csv", "a,b\n1,2\n".as_bytes(), &LoadOptions::default())
        .unwrap_err();
    assert!(matches!(err, TradeError::Format { .. }), "{err}");
}

#[test]
fn store_import_query_mirror_and_sql() {
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    let rows = load("comtrade-plus.csv").records;
    let path = store.import("plus", &rows).unwrap();
    assert!(path.ends_with("trade/plus.parquet"));
    // Only the Parquet file is left: the temp file was renamed.
    let names: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["plus.parquet"]);

    // China's imports from the DPRK by HS2: 27 -> 100m, 61 -> 50m.
    let spec = QuerySpec {
        reporter: Some("CN".into()),
        partner: Some("KP".into()),
        flow: Some(Flow::Import),
        from: Some(2012),
        to: Some(2019),
        by: Grouping::Hs2,
        series: None,
    };
    let res = store.query(&spec, false).unwrap();
    assert!(!res.side.mirror);
    let got: Vec<(String, f64)> = res
        .rows
        .iter()
        .map(|r| (r.key.clone(), r.value_usd))
        .collect();
    assert_eq!(got, [("27".to_string(), 100e6), ("61".to_string(), 50e6)]);

    // The same flows asked as DPRK exports to China read China's imports (mirror).
    let mirror = QuerySpec {
        reporter: Some("KP".into()),
        partner: Some("CN".into()),
        flow: Some(Flow::Export),
        ..spec.clone()
    };
    let m = store.query(&mirror, false).unwrap();
    assert!(m.side.mirror);
    assert!(m.side.description.contains("mirror"));
    assert_eq!(m.rows.iter().map(|r| r.value_usd).sum::<f64>(), 150e6);

    let sql = store
        .sql("SELECT flow, count(*) AS n, sum(value_usd) AS v FROM trade GROUP BY flow ORDER BY flow", false)
        .unwrap();
    assert_eq!(sql.columns, ["flow", "n", "v"]);
    assert_eq!(sql.rows.len(), 2);
    assert_eq!(sql.rows[0][0], serde_json::json!("export"));
    assert_eq!(sql.rows[1][2], serde_json::json!(150e6));

    // Records read back through DataFusion are the ones written.
    let (back, _) = store.dprk_records(false).unwrap();
    assert_eq!(back, rows);
}

#[test]
fn empty_store_reads_the_bundled_figures() {
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    let spec = QuerySpec {
        reporter: Some("CN".into()),
        partner: Some("KP".into()),
        flow: Some(Flow::Import),
        from: Some(2018),
        to: Some(2018),
        by: Grouping::Total,
        series: Some("GAC".into()),
    };
    let res = store.query(&spec, false).unwrap();
    assert_eq!(res.dataset, embargo_trade::store::Dataset::Bundled);
    assert_eq!(res.rows.len(), 1);
    assert_eq!(res.rows[0].value_usd, 213_150_000.0);
    let bad = embargo_trade::store::build_query(&QuerySpec {
        reporter: Some("CN' OR 1=1 --".into()),
        partner: None,
        flow: None,
        from: None,
        to: None,
        by: Grouping::Hs2,
        series: None,
    });
    assert!(bad.is_err(), "codes are validated before they reach SQL");
}

#[test]
fn streaming_load_hands_out_chunks_and_imports_atomically() {
    let mut chunks = Vec::new();
    let r = embargo_trade::stream_path(
        &fixture("comtrade-legacy.csv"),
        &LoadOptions::default(),
        2,
        &mut |c| {
            chunks.push(c.len());
            Ok(())
        },
    )
    .unwrap();
    assert_eq!(chunks, [2, 1]);
    assert_eq!((r.loaded, r.records.len()), (3, 0));

    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    let mut seen = 0;
    let (report, path) = store
        .import_path(
            "legacy",
            &fixture("comtrade-legacy.csv"),
            &LoadOptions::default(),
            &mut |n| seen = n,
        )
        .unwrap();
    assert_eq!((report.loaded, seen), (3, 3));
    assert!(path.exists());
    // A failed import leaves neither a Parquet file nor a temp file.
    let err = store.import_path(
        "bad",
        &fixture("malformed.csv"),
        &LoadOptions::default(),
        &mut |_| {},
    );
    assert!(err.is_err());
    let names: Vec<String> = std::fs::read_dir(store.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["legacy.parquet"]);
}

#[test]
fn an_import_of_several_files_is_all_or_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    let files: Vec<(String, PathBuf)> = ["comtrade-plus.csv", "plain.csv", "malformed.csv"]
        .iter()
        .map(|f| (f.trim_end_matches(".csv").to_string(), fixture(f)))
        .collect();
    let err = store
        .import_files(&files, &LoadOptions::default(), &mut |_, _| {})
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("malformed.csv: line 3: field `primaryValue`"),
        "{msg}"
    );
    assert!(msg.contains("nothing was added to the store"), "{msg}");
    // The two good files were read completely, yet nothing is in the store, and no
    // temporary file is left behind.
    assert!(store.files().unwrap().is_empty());
    let left: Vec<_> = std::fs::read_dir(store.dir()).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");

    // Without the bad file, both are stored, with their row counts.
    let done = store
        .import_files(&files[..2], &LoadOptions::default(), &mut |_, _| {})
        .unwrap();
    assert_eq!(done.len(), 2);
    let inv = store.inventory().unwrap();
    assert_eq!(
        inv.iter()
            .map(|f| (f.file.as_str(), f.rows))
            .collect::<Vec<_>>(),
        [("comtrade-plus.parquet", 3), ("plain.parquet", 3)]
    );
}

/// A killed import leaves `.<name>.<pid>.tmp`; the next open of the store removes it when
/// its process is gone, and leaves the file of a running import alone.
#[test]
fn temp_files_of_dead_imports_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let trade = dir.path().join("trade");
    std::fs::create_dir_all(&trade).unwrap();
    // Above Linux's highest possible pid (2^22).
    let dead = trade.join(".killed.parquet.4194305.tmp");
    let alive = trade.join(format!(".running.parquet.{}.tmp", std::process::id()));
    let other = trade.join("notes.tmp");
    for p in [&dead, &alive, &other] {
        std::fs::write(p, b"partial").unwrap();
    }
    let _ = TradeStore::open(dir.path());
    if std::path::Path::new("/proc/self").exists() {
        assert!(!dead.exists(), "the dead import's temp file is still there");
    }
    assert!(alive.exists());
    assert!(other.exists());
}
