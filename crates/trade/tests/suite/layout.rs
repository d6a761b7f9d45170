//! The store's layout: DPRK rows in row groups of their own, which queries about the
//! DPRK skip from statistics, and files without the `dprk` column read as before.

use std::sync::Arc;

use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
use datafusion::parquet::file::statistics::Statistics;
use embargo_trade::load::PLAIN_REQUIRED;
use embargo_trade::store::{to_batch, QuerySpec, TradeStore, DPRK_COLUMN};
use embargo_trade::{Flow, HsField, Level, Period, Status, TradeRecord};

fn record(i: usize) -> TradeRecord {
    // Every third row involves the DPRK (as partner or as reporter), the rest are China's
    // trade with others; years and codes vary so groups differ.
    let (reporter, partner) = match i % 6 {
        0 => ("CN", "KP"),
        3 => ("KP", "RU"),
        1 | 4 => ("CN", "RU"),
        _ => ("IN", "CN"),
    };
    TradeRecord {
        reporter: reporter.into(),
        partner: partner.into(),
        flow: if i.is_multiple_of(2) {
            Flow::Import
        } else {
            Flow::Export
        },
        period: Period {
            year: 2015 + (i % 5) as i32,
            month: None,
        },
        hs: HsField::parse(["2701", "0307", "6110", "8517"][i % 4]).unwrap(),
        hs_revision: None,
        level: Level::Hs,
        category: None,
        value_usd: (i % 1000) as f64 + 1.0,
        quantity: None,
        quantity_unit: None,
        net_weight_kg: None,
        source: "test".into(),
        series: "S".into(),
        status: Status::Confirmed,
        note: None,
        rows: 1,
    }
}

fn records(n: usize) -> Vec<TradeRecord> {
    (0..n).map(record).collect()
}

fn is_dprk(r: &TradeRecord) -> bool {
    r.reporter == "KP" || r.partner == "KP"
}

/// A CSV of `rows` in embargo's plain layout.
fn write_csv(path: &std::path::Path, rows: &[TradeRecord]) {
    let mut w = csv::Writer::from_path(path).unwrap();
    // The plain layout's required columns, in their order: the fields written below.
    w.write_record(PLAIN_REQUIRED).unwrap();
    for r in rows {
        w.write_record([
            r.reporter.as_str(),
            &r.partner,
            r.flow.as_str(),
            &r.period.year.to_string(),
            r.hs.as_str(),
            &r.value_usd.to_string(),
            &r.source,
            &r.series,
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn dprk_rows_have_row_groups_of_their_own() {
    let rows = records(200_000);
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    let path = store.import("mixed", &rows).unwrap();
    assert_dprk_groups_apart(&path, &rows);
}

/// An imported file (parsed and encoded a block at a time by the import's workers) has
/// the same layout, and reads back as the rows written.
#[test]
fn an_imported_file_keeps_dprk_rows_apart_and_every_row() {
    let rows = records(650_000);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("mixed.csv");
    write_csv(&csv, &rows);
    assert!(
        std::fs::metadata(&csv).unwrap().len() > 16 << 20,
        "more than one block"
    );
    let store = TradeStore::open(&dir.path().join("data"));
    let (report, path) = store
        .import_path("mixed", &csv, &Default::default(), &mut |_| {})
        .unwrap();
    assert_eq!(report.loaded, rows.len() as u64);
    assert_dprk_groups_apart(&path, &rows);
    let sql =
        "SELECT count(*) AS n, sum(value_usd) AS v, sum(CASE WHEN dprk THEN value_usd END) AS d, \
               count(DISTINCT hs) AS hs FROM trade";
    let got = store.sql(sql, false).unwrap();
    let want_v: f64 = rows.iter().map(|r| r.value_usd).sum();
    let want_d: f64 = rows
        .iter()
        .filter(|r| is_dprk(r))
        .map(|r| r.value_usd)
        .sum();
    let row = &got.rows[0];
    assert_eq!(row[0].as_u64(), Some(rows.len() as u64), "{row:?}");
    assert_eq!(row[1].as_f64(), Some(want_v), "{row:?}");
    assert_eq!(row[2].as_f64(), Some(want_d), "{row:?}");
    assert_eq!(row[3].as_u64(), Some(4), "{row:?}");
}

fn assert_dprk_groups_apart(path: &std::path::Path, rows: &[TradeRecord]) {
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let meta = reader.metadata();
    let column = meta
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .position(|c| c.name() == DPRK_COLUMN)
        .unwrap();
    let (mut dprk_rows, mut other_rows) = (0i64, 0i64);
    for group in meta.row_groups() {
        let Some(Statistics::Boolean(s)) = group.column(column).statistics() else {
            panic!("row group without boolean statistics for `dprk`");
        };
        let (min, max) = (*s.min_opt().unwrap(), *s.max_opt().unwrap());
        assert_eq!(min, max, "a row group mixes DPRK rows and others");
        if min {
            dprk_rows += group.num_rows();
        } else {
            other_rows += group.num_rows();
        }
    }
    let want = rows.iter().filter(|r| is_dprk(r)).count() as i64;
    assert_eq!((dprk_rows, other_rows), (want, rows.len() as i64 - want));
    assert!(meta.num_row_groups() >= 2);
}

#[test]
fn queries_about_the_dprk_skip_other_row_groups() {
    let rows = records(30_000);
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    store.import("mixed", &rows).unwrap();
    let plan = store
        .sql(
            "EXPLAIN ANALYZE SELECT count(*) FROM trade \
             WHERE (dprk OR dprk IS NULL) AND (partner = 'KP' OR reporter = 'KP')",
            false,
        )
        .unwrap();
    let text = format!("{:?}", plan.rows);
    // One of the file's two row groups (the other rows) is pruned from its statistics.
    assert!(
        text.contains("row_groups_pruned_statistics=2 total → 1 matched"),
        "no row group pruned: {text}"
    );
    let count = store
        .sql(
            "SELECT count(*) FROM trade WHERE (dprk OR dprk IS NULL) \
             AND (partner = 'KP' OR reporter = 'KP')",
            false,
        )
        .unwrap();
    let want = rows.iter().filter(|r| is_dprk(r)).count();
    assert_eq!(count.rows[0][0], serde_json::json!(want));
}

/// Writes `rows` as a store file without the `dprk` column (as older stores hold).
fn write_without_dprk_column(path: &std::path::Path, rows: &[TradeRecord]) {
    let batch = to_batch(rows).unwrap();
    let keep: Vec<usize> = (0..batch.num_columns())
        .filter(|&i| batch.schema().field(i).name() != DPRK_COLUMN)
        .collect();
    let batch: RecordBatch = batch.project(&keep).unwrap();
    let schema: Arc<Schema> = batch.schema();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn files_without_the_column_read_as_before() {
    let rows = records(6_000);
    let (old, new) = rows.split_at(2_500);
    let dir = tempfile::tempdir().unwrap();
    let store = TradeStore::open(dir.path());
    store.import("new", new).unwrap();
    write_without_dprk_column(&store.path_for("old"), old);
    let (dprk, _) = store.dprk_records(false).unwrap();
    let want = rows.iter().filter(|r| is_dprk(r)).count();
    assert_eq!(dprk.len(), want);
    let q = store
        .query(
            &QuerySpec {
                reporter: Some("CN".into()),
                partner: Some("KP".into()),
                flow: None,
                from: None,
                to: None,
                by: embargo_trade::store::Grouping::Hs4,
                series: None,
            },
            false,
        )
        .unwrap();
    // China's rows with the DPRK as partner, from both files.
    let cn_kp = rows
        .iter()
        .filter(|r| r.reporter == "CN" && r.partner == "KP")
        .count() as i64;
    assert_eq!(q.rows.iter().map(|r| r.rows).sum::<i64>(), cn_kp);
    let all = store
        .sql(
            "SELECT count(*) AS n, count(dprk) AS known FROM trade",
            false,
        )
        .unwrap();
    assert_eq!(
        all.rows[0],
        vec![serde_json::json!(6_000), serde_json::json!(3_500)]
    );
}
