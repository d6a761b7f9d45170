//! The pipelines give the same answers in every format, and nothing is written when a
//! run fails: the check over the bundled regime, the screening over a small UN list.

use arrow_array::{
    Array, Date32Array, Float64Array, RecordBatch, StringArray, UInt32Array, UInt64Array,
};
use embargo_batch::check::{check_file, CheckBatch, CheckBatchError};
use embargo_batch::screen::{screen_rows, Ledger, NameRows, ScreenBatch, Screened};
use embargo_batch::{Format, Target};
use embargo_screen::matcher::Thresholds;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

fn regime() -> embargo_regime::Regime {
    embargo_regime::Regime::bundled().expect("bundled regime")
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
        .unwrap()
        .build()
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn text(b: &RecordBatch, name: &str, i: usize) -> String {
    let c = b.column_by_name(name).unwrap();
    let a = c.as_any().downcast_ref::<StringArray>().unwrap();
    if a.is_null(i) {
        String::new()
    } else {
        a.value(i).to_string()
    }
}

/// Shipments with every kind of row: bans, a cap, a wind-down, a value threshold, a bad
/// date, an unknown country, a quoted id with a comma.
const SHIPMENTS: &str = "\
id,hs,origin,destination,date,quantity,unit,value_usd
coal,2701,KP,CN,2017-09-15,,,
coal-2016,270112,KP,CN,2016-06-01,,,
iron-wind-down,2601,KP,CN,2017-08-20,,,
rugs,5701,CN,KP,2017-06-01,,,900
bad-date,2701,KP,CN,2017-02-30,,,
\"quoted, id\",0302,KP,CN,2018-01-10,,,
bad-country,2701,XX,CN,2017-09-15,,,
crude,2709,RU,KP,2018-03-01,1000,bbl,
";

fn check_to(dir: &Path, format: Format, name: &str) -> PathBuf {
    let input = dir.join("ships.csv");
    std::fs::write(&input, SHIPMENTS).unwrap();
    let out = dir.join(name);
    let r = regime();
    let batch = CheckBatch {
        regime: &r,
        format,
        threads: 2,
        strict: false,
    };
    let s = check_file(&batch, &input, &Target::File(out.clone()), &|_| {}).unwrap();
    assert_eq!(s.counts.rows, 8);
    assert_eq!(s.counts.errors, 2);
    assert_eq!(s.first_errors[0].line, 6);
    assert_eq!(s.first_errors[0].field, "date");
    out
}

#[test]
fn the_check_answers_alike_in_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let csv_out = check_to(dir.path(), Format::Csv, "v.csv");
    let pq_out = check_to(dir.path(), Format::Parquet, "v.parquet");

    let mut rdr = csv::Reader::from_path(&csv_out).unwrap();
    let csv_rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let batches = read_parquet(&pq_out);
    let mut n = 0;
    for b in &batches {
        let lines = b.column_by_name("line").unwrap();
        let lines = lines.as_any().downcast_ref::<UInt64Array>().unwrap();
        let dates = b.column_by_name("date").unwrap();
        let dates = dates.as_any().downcast_ref::<Date32Array>().unwrap();
        for i in 0..b.num_rows() {
            let c = &csv_rows[n];
            assert_eq!(lines.value(i).to_string(), &c[0]);
            assert_eq!(text(b, "id", i), &c[1]);
            assert_eq!(text(b, "verdict", i), &c[6]);
            if &c[6] == "error" {
                // CSV puts "field: message" in `conditions`; Parquet in `error`.
                assert_eq!(text(b, "error", i), &c[8]);
                assert!(dates.is_null(i));
                n += 1;
                continue;
            }
            assert_eq!(text(b, "hs", i), &c[2]);
            assert_eq!(text(b, "origin", i), &c[3]);
            assert_eq!(text(b, "destination", i), &c[4]);
            let date = dates.value_as_date(i).unwrap().to_string();
            assert_eq!(date, &c[5]);
            assert_eq!(text(b, "citations", i), &c[7]);
            assert_eq!(text(b, "conditions", i), &c[8]);
            assert_eq!(text(b, "confidence", i), &c[9]);
            n += 1;
        }
    }
    assert_eq!(n, csv_rows.len());
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(total, csv_rows.len());
    assert_eq!(csv_rows.len(), 8);
    assert_eq!(&csv_rows[0][6], "prohibited");
    assert_eq!(&csv_rows[5][1], "quoted, id");
}

#[test]
fn a_strict_run_that_stops_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ships.csv");
    std::fs::write(&input, SHIPMENTS).unwrap();
    let out = dir.path().join("v.parquet");
    let r = regime();
    let batch = CheckBatch {
        regime: &r,
        format: Format::Parquet,
        threads: 2,
        strict: true,
    };
    let e = check_file(&batch, &input, &Target::File(out.clone()), &|_| {}).unwrap_err();
    assert!(
        matches!(
            e,
            CheckBatchError::Row {
                line: 6,
                field: "date",
                ..
            }
        ),
        "{e}"
    );
    assert!(
        e.to_string()
            .ends_with("ships.csv:6: date: \"2017-02-30\" is not a valid YYYY-MM-DD date"),
        "{e}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 1, "only the input: {left:?}");
}

#[test]
fn a_strict_stop_early_in_a_long_file_returns_at_once() {
    // A bad row on line 2 of ~40 MB (ten blocks, more than the job queue holds): the
    // run stops there and every thread behind the writer stops too.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ships.csv");
    let mut text = String::from("id,hs,origin,destination,date\nbad,2701,KP,CN,2017-02-30\n");
    for i in 0..1_300_000 {
        text.push_str(&format!("s{i},2701,KP,CN,2017-09-15\n"));
    }
    std::fs::write(&input, text).unwrap();
    let out = dir.path().join("v.csv");
    let (tx, rx) = std::sync::mpsc::channel();
    let (input2, out2) = (input.clone(), out.clone());
    std::thread::spawn(move || {
        let r = regime();
        let batch = CheckBatch {
            regime: &r,
            format: Format::Csv,
            threads: 2,
            strict: true,
        };
        let e = check_file(&batch, &input2, &Target::File(out2), &|_| {}).map(|_| ());
        let _ = tx.send(e.map_err(|e| e.to_string()));
    });
    let e = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("the run returned")
        .unwrap_err();
    assert!(
        e.ends_with("ships.csv:2: date: \"2017-02-30\" is not a valid YYYY-MM-DD date"),
        "{e}"
    );
    assert!(!out.exists());
}

#[test]
fn a_bad_header_is_refused_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ships.csv");
    std::fs::write(&input, "hs,origin,date\n2701,KP,2017-09-15\n").unwrap();
    let out = dir.path().join("v.csv");
    let r = regime();
    let batch = CheckBatch {
        regime: &r,
        format: Format::Csv,
        threads: 1,
        strict: false,
    };
    let e = check_file(&batch, &input, &Target::File(out.clone()), &|_| {}).unwrap_err();
    assert!(e.to_string().ends_with("ships.csv:1: header has no column \"destination\" (need hs, origin, destination, date)"), "{e}");
    assert!(!out.exists());
}

// ---------------------------------------------------------------- screening

fn small_matcher() -> embargo_screen::Matcher {
    let path = embargo_fixtures::workspace_root().join("crates/screen/tests/fixtures/small_un.xml");
    embargo_screen::Matcher::new(embargo_screen::un::read_file(&path).unwrap().entities)
}

/// Records the rows it is shown; fails its commit when told to.
struct Recording {
    rows: Mutex<Vec<usize>>,
    fail: bool,
}

impl Ledger for Recording {
    type Record = usize;
    fn record(&self, r: Screened) -> usize {
        r.row
    }
    fn commit(&self, records: Vec<usize>) -> Result<(), String> {
        if self.fail {
            return Err("the ledger is closed".into());
        }
        self.rows.lock().unwrap().extend(records);
        Ok(())
    }
}

fn names_file(dir: &Path) -> PathBuf {
    let p = dir.join("names.csv");
    let mut s = String::from("id,name,schema\n");
    for i in 0..20_000 {
        match i % 4 {
            0 => s.push_str(&format!("c{i},NEW SHIPPING CO,organization\n")),
            1 => s.push_str(&format!("c{i},Acme Widgets {i} Ltd,\n")),
            2 => s.push_str(&format!("c{i},,\n")),
            _ => s.push_str(&format!("c{i},Jane Doe,planet\n")),
        }
    }
    std::fs::write(&p, s).unwrap();
    p
}

fn screen_to(
    dir: &Path,
    format: Format,
    out: &str,
    ledger: &Recording,
) -> Result<embargo_batch::screen::ScreenSummary, embargo_batch::screen::ScreenBatchError> {
    let m = small_matcher();
    let r = regime();
    let batch = ScreenBatch {
        matcher: &m,
        regime: &r,
        thresholds: Thresholds::default(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        format,
        threads: 2,
    };
    let rows = NameRows::open(&names_file(dir)).unwrap();
    screen_rows(&batch, rows, &Target::File(dir.join(out)), ledger, &|_| {})
}

#[test]
fn the_screening_answers_alike_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = || Recording {
        rows: Mutex::new(Vec::new()),
        fail: false,
    };
    let l = ledger();
    let s = screen_to(dir.path(), Format::Jsonl, "s.jsonl", &l).unwrap();
    assert_eq!(s.counts.rows, 20_000);
    assert_eq!(
        s.counts.bad.len(),
        10_000,
        "blank names and unknown schemas"
    );
    assert!(
        s.counts.bad[0].starts_with("line 4: field name:"),
        "{}",
        s.counts.bad[0]
    );
    // Every screened row was shown to the ledger once, in input order, across blocks.
    let rows = l.rows.into_inner().unwrap();
    assert_eq!(rows.len(), 10_000);
    assert!(rows.windows(2).all(|w| w[0] < w[1]));

    screen_to(dir.path(), Format::Csv, "s.csv", &ledger()).unwrap();
    screen_to(dir.path(), Format::Parquet, "s.parquet", &ledger()).unwrap();

    let jsonl = std::fs::read_to_string(dir.path().join("s.jsonl")).unwrap();
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut rdr = csv::Reader::from_path(dir.path().join("s.csv")).unwrap();
    let csv_rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let batches = read_parquet(&dir.path().join("s.parquet"));
    assert_eq!(lines.len(), 20_000);
    assert_eq!(csv_rows.len(), 20_000);
    let mut i = 0;
    for b in &batches {
        let score = b.column_by_name("score").unwrap();
        let score = score.as_any().downcast_ref::<Float64Array>().unwrap();
        let hits = b.column_by_name("hits").unwrap();
        let hits = hits.as_any().downcast_ref::<UInt32Array>().unwrap();
        for k in 0..b.num_rows() {
            let (j, c) = (&lines[i], &csv_rows[i]);
            assert_eq!(j["row"].as_u64().unwrap().to_string(), &c[0]);
            assert_eq!(j["input_id"].as_str().unwrap(), &c[1]);
            assert_eq!(text(b, "input_id", k), &c[1]);
            if let Some(err) = j["error"].as_str() {
                assert_eq!(&c[3], "error");
                assert_eq!(&c[9], err);
                assert_eq!(text(b, "error", k), err);
            } else {
                let decision = j["decision"].as_str().unwrap();
                assert_eq!(&c[3], decision);
                assert_eq!(text(b, "decision", k), decision);
                let matches = j["matches"].as_array().unwrap();
                assert_eq!(c[8].parse::<usize>().unwrap(), matches.len());
                assert_eq!(hits.value(k) as usize, matches.len());
                if let Some(best) = matches.first() {
                    assert_eq!(&c[4], best["id"].as_str().unwrap());
                    assert_eq!(text(b, "hit_id", k), best["id"].as_str().unwrap());
                    assert_eq!(
                        c[7].parse::<f64>().unwrap(),
                        best["score"].as_f64().unwrap()
                    );
                    assert_eq!(score.value(k), best["score"].as_f64().unwrap());
                    // Parquet's `matches` column holds the JSON line's hits.
                    let pm: serde_json::Value =
                        serde_json::from_str(&text(b, "matches", k)).unwrap();
                    assert_eq!(&pm, &j["matches"]);
                }
            }
            i += 1;
        }
    }
    assert_eq!(i, 20_000);
    let kmdc = &lines[0];
    assert_eq!(kmdc["decision"], "match", "{kmdc}");
}

#[test]
fn a_failed_ledger_commit_stops_the_run_with_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let l = Recording {
        rows: Mutex::new(Vec::new()),
        fail: true,
    };
    let e = screen_to(dir.path(), Format::Jsonl, "s.jsonl", &l).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the audit of a block of rows failed: the ledger is closed"
    );
    assert!(!dir.path().join("s.jsonl").exists());
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(left, 1, "only the input");
}
