//! The pipelines run as DataFusion plans (one engine function call per block, as a
//! cluster runs them) write what the local pipelines write, byte for byte, and show the
//! ledger the same rows; a node that reads another file or screens against other lists
//! fails the run. Here the plans run in this process; `cli/tests/suite/cluster.rs` runs them on
//! a loopback cluster.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow_array::RecordBatch;
use datafusion::prelude::SessionContext;
use embargo_batch::check::{check_file, CheckBatch, CheckBatchError};
use embargo_batch::plan::{self, CheckBlockUdf, CheckOn, ScreenBlockUdf, ScreenOn, Waves};
use embargo_batch::screen::{screen_rows, Ledger, NameRows, ScreenBatch, Screened};
use embargo_batch::{Format, Target};
use embargo_screen::matcher::Thresholds;
use embargo_screen::sql::ScreeningLists;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn regime() -> Arc<embargo_regime::Regime> {
    Arc::new(embargo_regime::Regime::bundled().expect("bundled regime"))
}

fn session() -> SessionContext {
    SessionContext::new_with_config(plan::session_config())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap()
}

/// Rows of every kind (bans, a cap, a value threshold, bad dates and countries, a quoted
/// id with a comma and one with a line break), repeated to `bytes`.
fn shipments(dir: &Path, bytes: usize) -> PathBuf {
    const ROWS: &str = "\
coal,2701,KP,CN,2017-09-15,,,
coal-2016,270112,KP,CN,2016-06-01,,,
iron-wind-down,2601,KP,CN,2017-08-20,,,
rugs,5701,CN,KP,2017-06-01,,,900
bad-date,2701,KP,CN,2017-02-30,,,
\"quoted, id\",0302,KP,CN,2018-01-10,,,
\"two\nlines\",0302,KP,CN,2018-01-10,,,

bad-country,2701,XX,CN,2017-09-15,,,
crude,2709,RU,KP,2018-03-01,1000,bbl,
";
    let mut s = String::from("id,hs,origin,destination,date,quantity,unit,value_usd\n");
    while s.len() < bytes {
        s.push_str(ROWS);
    }
    let p = dir.join("ships.csv");
    std::fs::write(&p, s).unwrap();
    p
}

/// The rows of a Parquet file, whatever its row groups.
fn parquet_rows(path: &Path) -> RecordBatch {
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap()).unwrap();
    let schema = reader.schema().clone();
    let batches: Vec<RecordBatch> = reader.build().unwrap().map(Result::unwrap).collect();
    datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap()
}

/// Small blocks and waves, so that a few megabytes make many of each.
const SMALL: Waves = Waves {
    block_bytes: 64 << 10,
    wave_blocks: 4,
};

/// The local check and the check as plans of the same input, to files `local` and
/// `plan` of a new directory; `parts`: whether the plan's blocks come back through a
/// parts directory beside the output (the nodes here see it) or in the results.
fn check_both(
    input: &Path,
    format: Format,
    strict: bool,
    waves: Waves,
    parts: bool,
) -> (
    Result<embargo_batch::check::CheckSummary, CheckBatchError>,
    Result<embargo_batch::check::CheckSummary, CheckBatchError>,
    tempfile::TempDir,
) {
    let dir = tempfile::tempdir().unwrap();
    let r = regime();
    let batch = CheckBatch {
        regime: &r,
        format,
        threads: 2,
        strict,
    };
    let local = check_file(
        &batch,
        input,
        &Target::File(dir.path().join("local")),
        &|_| {},
    );
    let udf = CheckBlockUdf::udf(r.clone());
    let on = CheckOn {
        udf: &udf,
        waves,
        stop: None,
        parts,
    };
    let planned = runtime().block_on(plan::check_file_on(
        &session(),
        &on,
        &batch,
        input,
        &Target::File(dir.path().join("plan")),
        &|_| {},
    ));
    // However the run ended, its parts directory is gone.
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "local" && n != "plan")
        .collect();
    left.sort();
    assert!(left.is_empty(), "left beside the outputs: {left:?}");
    (local, planned, dir)
}

#[test]
fn the_check_as_plans_writes_what_the_local_check_writes() {
    let dir = tempfile::tempdir().unwrap();
    // Over many waves of blocks, with rows that span two lines and blank lines.
    let big = shipments(dir.path(), 3 << 20);
    for parts in [true, false] {
        let (local, planned, out) = check_both(&big, Format::Csv, false, SMALL, parts);
        let (local, planned) = (local.unwrap(), planned.unwrap());
        assert_eq!(local.counts, planned.counts);
        assert_eq!(local.first_errors, planned.first_errors);
        assert_eq!(local.delivered.bytes, planned.delivered.bytes);
        assert!(local.counts.rows > 80_000 && local.counts.errors > 16_000);
        assert_eq!(planned.first_errors[0].line, 6);
        assert_eq!(planned.first_errors[0].field, "date");
        let a = std::fs::read(out.path().join("local")).unwrap();
        let b = std::fs::read(out.path().join("plan")).unwrap();
        assert!(
            a == b,
            "CSV outputs differ ({} and {} bytes; parts {parts})",
            a.len(),
            b.len()
        );
    }

    // The default sizes: one wave of 4 MiB blocks.
    let (local, planned, out) = check_both(&big, Format::Csv, false, Waves::SHIPMENTS, true);
    assert_eq!(local.unwrap().counts, planned.unwrap().counts);
    let a = std::fs::read(out.path().join("local")).unwrap();
    assert!(a == std::fs::read(out.path().join("plan")).unwrap());

    let small = shipments(dir.path(), 1 << 20);
    for parts in [true, false] {
        let (local, planned, out) = check_both(&small, Format::Jsonl, false, SMALL, parts);
        assert_eq!(local.unwrap().counts, planned.unwrap().counts);
        let a = std::fs::read(out.path().join("local")).unwrap();
        assert!(a == std::fs::read(out.path().join("plan")).unwrap());

        let (local, planned, out) = check_both(&small, Format::Parquet, false, SMALL, parts);
        assert_eq!(local.unwrap().counts, planned.unwrap().counts);
        assert_eq!(
            parquet_rows(&out.path().join("local")),
            parquet_rows(&out.path().join("plan"))
        );
    }
}

#[test]
fn a_file_of_a_header_alone_gives_a_header_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.csv");
    std::fs::write(&input, "id,hs,origin,destination,date\n").unwrap();
    for format in [Format::Csv, Format::Parquet] {
        let (local, planned, out) = check_both(&input, format, false, SMALL, true);
        assert_eq!(planned.unwrap().counts.rows, 0);
        assert_eq!(local.unwrap().counts.rows, 0);
        let a = std::fs::read(out.path().join("local")).unwrap();
        let b = std::fs::read(out.path().join("plan")).unwrap();
        if format == Format::Csv {
            assert_eq!(a, b);
            assert_eq!(String::from_utf8(b).unwrap().lines().count(), 1);
        } else {
            assert_eq!(parquet_rows(&out.path().join("plan")).num_rows(), 0);
        }
    }
}

#[test]
fn a_strict_check_as_plans_stops_at_the_first_bad_row_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let input = shipments(dir.path(), 1 << 20);
    let (local, planned, out) = check_both(&input, Format::Csv, true, SMALL, true);
    let (local, planned) = (local.unwrap_err(), planned.unwrap_err());
    assert_eq!(local.to_string(), planned.to_string());
    assert!(planned.to_string().contains(":6: date:"), "{planned}");
    assert!(!out.path().join("plan").exists());
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
}

/// A run that stops early hands the plans of the waves it left running to its
/// [`plan::StopWaves`] (a cluster cancels their jobs); a run that ends does not call it.
#[test]
fn a_run_stopped_early_hands_over_the_waves_left_running() {
    let dir = tempfile::tempdir().unwrap();
    let input = shipments(dir.path(), 1 << 20);
    let r = regime();
    let udf = CheckBlockUdf::udf(r.clone());
    let calls: Arc<Mutex<Vec<usize>>> = Arc::default();
    let seen = calls.clone();
    let stop: plan::StopWaves = Arc::new(move |plans| {
        if let Ok(mut c) = seen.lock() {
            c.push(plans.len());
        }
        Box::pin(async {})
    });
    let on = CheckOn {
        udf: &udf,
        waves: Waves {
            block_bytes: 64 << 10,
            wave_blocks: 1,
        },
        stop: Some(stop),
        parts: true,
    };
    let run = |strict: bool| {
        let batch = CheckBatch {
            regime: &r,
            format: Format::Csv,
            threads: 2,
            strict,
        };
        let target = Target::File(dir.path().join(format!("out-{strict}")));
        runtime().block_on(plan::check_file_on(
            &session(),
            &on,
            &batch,
            &input,
            &target,
            &|_| {},
        ))
    };
    // Sixteen waves of one block: the bad date in the first stops a strict run while the
    // next waves run.
    let err = run(true).unwrap_err();
    assert!(err.to_string().contains(":6: date:"), "{err}");
    let handed = calls.lock().unwrap().clone();
    assert_eq!(handed.len(), 1, "{handed:?}");
    assert!((1..=2).contains(&handed[0]), "{handed:?}");
    calls.lock().unwrap().clear();
    run(false).unwrap();
    assert!(calls.lock().unwrap().is_empty());
}

#[test]
fn a_node_that_sees_another_file_fails_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = shipments(dir.path(), 10_000);
    let ctx = session();
    ctx.register_udf(CheckBlockUdf::udf(regime()));
    let sql = format!(
        "SELECT {}('{}', arrow_cast(5, 'UInt64'), arrow_cast(2, 'UInt64'), \
         arrow_cast(60, 'UInt64'), arrow_cast(100, 'UInt64'), 'csv', '', '')",
        plan::CHECK_BLOCK,
        input.display()
    );
    let err = runtime()
        .block_on(async { ctx.sql(&sql).await?.collect().await })
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("bytes on this node, 5 when the run started"),
        "{err}"
    );
}

/// One block through the block function, with a parts directory and a run id; the
/// result's `output` (compressed bytes), `part` and `part_bytes`.
fn check_block_with_parts(input: &Path, parts_dir: &Path, run: &str) -> (usize, String, u64) {
    use datafusion::arrow::array::{Array, BinaryArray, StringArray, StructArray, UInt64Array};
    let ctx = session();
    ctx.register_udf(CheckBlockUdf::udf(regime()));
    let len = std::fs::metadata(input).unwrap().len();
    let header = "id,hs,origin,destination,date,quantity,unit,value_usd\n".len() as u64;
    let sql = format!(
        "SELECT {}('{}', arrow_cast({len}, 'UInt64'), arrow_cast(2, 'UInt64'), \
         arrow_cast({header}, 'UInt64'), arrow_cast({}, 'UInt64'), 'csv', '{}', '{run}') AS r",
        plan::CHECK_BLOCK,
        input.display(),
        len - header,
        parts_dir.display()
    );
    let batches = runtime()
        .block_on(async { ctx.sql(&sql).await?.collect().await })
        .unwrap();
    let r = batches[0]
        .column(0)
        .as_any()
        .downcast_ref::<StructArray>()
        .unwrap();
    let output = r.column_by_name("output").unwrap();
    let output = output.as_any().downcast_ref::<BinaryArray>().unwrap();
    let part = r.column_by_name("part").unwrap();
    let part = part.as_any().downcast_ref::<StringArray>().unwrap();
    let bytes = r.column_by_name("part_bytes").unwrap();
    let bytes = bytes.as_any().downcast_ref::<UInt64Array>().unwrap();
    assert_eq!(r.len(), 1);
    (
        output.value(0).len(),
        part.value(0).to_string(),
        bytes.value(0),
    )
}

#[test]
fn a_node_leaves_its_block_only_in_a_parts_directory_of_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let input = shipments(dir.path(), 10_000);
    let parts = dir.path().join("parts");
    std::fs::create_dir(&parts).unwrap();
    std::fs::write(parts.join("run"), "0123abcd").unwrap();
    let header = 54u64;

    // Another run's directory, or none: the block comes back in the result.
    for (at, run) in [
        (parts.clone(), "ffff0000"),
        (dir.path().join("none"), "0123abcd"),
    ] {
        let (sent, part, bytes) = check_block_with_parts(&input, &at, run);
        assert!(sent > 100, "{sent}");
        assert_eq!((part.as_str(), bytes), ("", 0));
    }
    assert_eq!(std::fs::read_dir(&parts).unwrap().count(), 1);

    // Its run's: the block is left there, named by its offset, whole, and nothing else.
    let (sent, part, bytes) = check_block_with_parts(&input, &parts, "0123abcd");
    assert_eq!((sent, part.as_str()), (0, header.to_string().as_str()));
    let left = std::fs::read(parts.join(&part)).unwrap();
    assert_eq!(left.len() as u64, bytes);
    let text = String::from_utf8(left).unwrap();
    assert!(
        text.starts_with("2,coal,2701,KP,CN,2017-09-15,prohibited,"),
        "{text}"
    );
    let crude = |t: &str| t.lines().filter(|l| l.contains("crude,2709,")).count();
    let read = std::fs::read_to_string(&input).unwrap();
    assert!(crude(&read) > 10);
    assert_eq!(crude(&text), crude(&read));
    assert_eq!(std::fs::read_dir(&parts).unwrap().count(), 2);
}

// ---------------------------------------------------------------- screening

fn small_lists(versions: &str) -> ScreeningLists {
    let path = embargo_fixtures::workspace_root().join("crates/screen/tests/fixtures/small_un.xml");
    ScreeningLists {
        matcher: embargo_screen::Matcher::new(
            embargo_screen::un::read_file(&path).unwrap().entities,
        ),
        versions: versions.to_string(),
    }
}

/// Keeps every row it is shown, in commit order.
#[derive(Default)]
struct Keep(Mutex<Vec<Screened>>);

impl Ledger for Keep {
    type Record = Screened;
    fn record(&self, r: Screened) -> Screened {
        r
    }
    fn commit(&self, records: Vec<Screened>) -> Result<(), String> {
        self.0.lock().unwrap().extend(records);
        Ok(())
    }
}

/// Listed, unlisted, blank and unreadable names, quoted names with commas and with line
/// breaks (one row over two lines), blank lines: a little over two blocks.
fn names(dir: &Path) -> PathBuf {
    let mut s = String::from("id,name,schema\n");
    let mut i = 0;
    while s.len() < (1 << 20) {
        match i % 6 {
            0 => s.push_str(&format!("c{i},NEW SHIPPING CO,organization\n")),
            1 => s.push_str(&format!("c{i},\"Acme, Widgets {i} Ltd\",\n")),
            2 => s.push_str(&format!("c{i},,\n")),
            3 => s.push_str(&format!("c{i},\"KIM\nJONG\",person\n")),
            4 => s.push('\n'),
            _ => s.push_str(&format!("c{i},Jane Doe,planet\n")),
        }
        i += 1;
    }
    let p = dir.join("names.csv");
    std::fs::write(&p, s).unwrap();
    p
}

#[test]
fn the_screening_as_plans_writes_and_audits_what_the_local_screening_does() {
    let dir = tempfile::tempdir().unwrap();
    let input = names(dir.path());
    let r = regime();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let lists = small_lists("un:test");
    for format in [Format::Jsonl, Format::Csv, Format::Parquet] {
        let (local_out, plan_out) = (dir.path().join("local"), dir.path().join("plan"));
        let batch = ScreenBatch {
            matcher: &lists.matcher,
            regime: &r,
            thresholds: Thresholds::default(),
            today,
            format,
            threads: 2,
        };
        let local_ledger = Keep::default();
        let local = screen_rows(
            &batch,
            NameRows::open(&input).unwrap(),
            &Target::File(local_out.clone()),
            &local_ledger,
            &|_| {},
        )
        .unwrap();
        let udf = ScreenBlockUdf::udf(|| Ok(small_lists("un:test")), r.clone());
        let on = ScreenOn {
            udf: &udf,
            thresholds: Thresholds::default(),
            today,
            format,
            list_versions: "un:test".into(),
            waves: Waves {
                block_bytes: 128 << 10,
                wave_blocks: 3,
            },
            stop: None,
        };
        let plan_ledger = Keep::default();
        let planned = runtime()
            .block_on(plan::screen_file_on(
                &session(),
                &on,
                &input,
                &Target::File(plan_out.clone()),
                &plan_ledger,
                &|_| {},
            ))
            .unwrap();
        assert_eq!(local.counts, planned.counts);
        assert!(local.counts.rows > 20_000, "{}", local.counts.rows);
        assert!(local.counts.matched > 3_000, "{}", local.counts.matched);
        let (a, b) = (
            local_ledger.0.into_inner().unwrap(),
            plan_ledger.0.into_inner().unwrap(),
        );
        assert_eq!(a.len(), b.len());
        assert!(a == b, "the ledgers differ");
        if format == Format::Parquet {
            assert_eq!(parquet_rows(&local_out), parquet_rows(&plan_out));
        } else {
            let (x, y) = (
                std::fs::read(&local_out).unwrap(),
                std::fs::read(&plan_out).unwrap(),
            );
            assert!(x == y, "{format:?} outputs differ");
        }
    }
}

#[test]
fn a_node_with_other_lists_fails_the_screening() {
    let dir = tempfile::tempdir().unwrap();
    let input = names(dir.path());
    let udf = ScreenBlockUdf::udf(|| Ok(small_lists("un:2026-11-01")), regime());
    let on = ScreenOn {
        udf: &udf,
        thresholds: Thresholds::default(),
        today: chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        format: Format::Jsonl,
        list_versions: "un:2026-11-30".into(),
        waves: Waves::NAMES,
        stop: None,
    };
    let out = dir.path().join("out.jsonl");
    let err = runtime()
        .block_on(plan::screen_file_on(
            &session(),
            &on,
            &input,
            &Target::File(out.clone()),
            &Keep::default(),
            &|_| {},
        ))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("lists \"un:2026-11-01\", the run against \"un:2026-11-30\""),
        "{err}"
    );
    assert!(!out.exists());
}
