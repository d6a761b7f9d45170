//! Nothing lost, nothing invented, run as a user would: list imports refuse empty, cut or
//! much smaller files; the batch check never turns text inside a field into a shipment;
//! readers are bounded; a closed pipe is not a crash.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

fn embargo(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_embargo"));
    c.env_remove("EMBARGO_REGIME")
        .env("EMBARGO_DATA", data)
        .env("NO_COLOR", "1");
    c
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn active_ofac(data: &Path) -> serde_json::Value {
    let status = embargo_fixtures::run_json(embargo(data).args(["lists", "status", "--json"]));
    status
        .as_array()
        .expect("sources")
        .iter()
        .find(|s| s["source"] == "ofac")
        .expect("ofac")["active"]
        .clone()
}

#[test]
fn lists_import_refuses_empty_cut_and_shrunken_files() {
    let Some(snapshot) = embargo_fixtures::shared_file("data/ofac-sdn/2021-07-snapshot") else {
        return;
    };
    let Some(sdn_dprk) = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let full = tmp.path().join("full");
    std::fs::create_dir_all(&full).expect("mkdir");
    std::fs::copy(snapshot.join("sdn.csv"), full.join("sdn.csv")).expect("copy");
    let first = embargo_fixtures::run_json(
        embargo(&data)
            .args(["lists", "import", "--json"])
            .arg(full.join("sdn.csv")),
    );
    assert_eq!(first["entities"], 8976);
    let version = first["version"].clone();

    // `: > e.csv; embargo lists import e.csv --source ofac`
    let empty = tmp.path().join("e.csv");
    std::fs::write(&empty, b"").expect("write");
    for extra in [&[][..], &["--allow-shrink"][..]] {
        let out = embargo(&data)
            .args(["lists", "import", "--source", "ofac"])
            .arg(&empty)
            .args(extra)
            .output()
            .expect("run");
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(
            err.contains("e.csv:1: incomplete list file: no records"),
            "{err}"
        );
    }
    assert_eq!(active_ofac(&data), version);

    // `head -c 50000 sdn_dprk.csv`: cut in the middle of record 124.
    let cut = tmp.path().join("cut.csv");
    let bytes = std::fs::read(&sdn_dprk).expect("read");
    std::fs::write(&cut, &bytes[..50_000]).expect("write");
    let out = embargo(&data)
        .args(["lists", "import", "--allow-shrink"])
        .arg(&cut)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains(
            "cut.csv:124: incomplete list file: the last record (line 124) has no line end"
        ),
        "{err}"
    );
    assert_eq!(active_ofac(&data), version);

    // A whole file with a twentieth of the entries: refused, named, counted...
    let out = embargo(&data)
        .args(["lists", "import"])
        .arg(&sdn_dprk)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("refused: the new ofac list has 484 entries and lacks")
            && err.contains("of the 8976 entries of the active version")
            && err.contains("--allow-shrink"),
        "{err}"
    );
    assert!(err.contains("sdn_dprk.csv"), "{err}");
    assert_eq!(active_ofac(&data), version);
    // ...and --json reports the refusal as one object.
    let out = embargo(&data)
        .args(["lists", "import", "--json"])
        .arg(&sdn_dprk)
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stderr).expect("JSON error");
    assert!(
        v["error"].as_str().is_some_and(|e| e.contains("refused")),
        "{v}"
    );
    // ...unless forced.
    let forced = embargo_fixtures::run_json(
        embargo(&data)
            .args(["lists", "import", "--allow-shrink", "--json"])
            .arg(&sdn_dprk),
    );
    assert_eq!(forced["entities"], 484);
    assert_eq!(active_ofac(&data), forced["version"]);
    let out = embargo(&data)
        .args(["lists", "import", "--max-shrink", "1.5"])
        .arg(&sdn_dprk)
        .output()
        .expect("run");
    assert!(stderr(&out).contains("--max-shrink 1.5: a share between 0 and 1"));
}

#[test]
fn lists_import_of_an_endless_file_fails_fast() {
    if !Path::new("/dev/zero").exists() {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let t = std::time::Instant::now();
    let out = embargo(tmp.path())
        .args(["lists", "import", "/dev/zero", "--source", "ofac"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("over the 134217728-byte limit for a list file"),
        "{}",
        stderr(&out)
    );
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

/// Records whose first field holds line ends that look like prohibited shipments; the
/// file is larger than one block, so block boundaries fall inside quoted fields.
#[test]
fn batch_check_never_turns_field_text_into_a_row() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("shipments.csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).expect("create"));
    writeln!(f, "id,hs,origin,destination,date").expect("write");
    let note: String = (0..20)
        .map(|i| format!("PHANTOM{i},2701,KP,CN,2017-09-15\n"))
        .collect();
    let rows = 9_000;
    for i in 0..rows {
        write!(f, "\"r{i} {note}\",0901,BR,CN,2019-01-01\r\n").expect("write");
    }
    drop(f);
    assert!(std::fs::metadata(&input).expect("size").len() > 5 << 20);
    let out_path = tmp.path().join("verdicts.csv");
    let summary = embargo_fixtures::run_json(
        embargo(tmp.path())
            .args(["check", "--json", "--batch"])
            .arg(&input)
            .arg("--out")
            .arg(&out_path),
    );
    assert_eq!(summary["rows"], rows);
    assert_eq!(summary["permitted"], rows);
    assert_eq!(summary["prohibited"], 0);
    assert_eq!(summary["errors"], 0);
    let verdicts = std::fs::read_to_string(&out_path).expect("output");
    let mut rdr = csv::Reader::from_reader(verdicts.as_bytes());
    let records: Vec<csv::StringRecord> = rdr.records().map(|r| r.expect("row")).collect();
    assert_eq!(records.len(), rows);
    // Line numbers are the lines the records start on: 21 lines per record after the header.
    assert_eq!(&records[1][0], "23");
    assert!(records[1][1].starts_with("r1 PHANTOM0,2701"));
    assert!(records.iter().all(|r| &r[6] == "permitted"));
}

/// One field longer than the record limit, with no record end in sight: a clear error,
/// no invented row, no half-written output.
#[test]
fn batch_check_bounds_record_length() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = tmp.path().join("long.csv");
    let mut body = b"id,hs,origin,destination,date\n1,2701,KP,CN,2017-09-15\n\"".to_vec();
    let phantom = b"\nPHANTOM,2701,KP,CN,2017-09-15\n";
    while body.len() < 6 << 20 {
        body.extend_from_slice(phantom);
    }
    body.extend_from_slice(b"\",0901,BR,CN,2019-01-01\n");
    std::fs::write(&input, &body).expect("write");
    let out_path = tmp.path().join("out.csv");
    let out = embargo(tmp.path())
        .args(["check", "--batch"])
        .arg(&input)
        .arg("--out")
        .arg(&out_path)
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("long.csv: line 3: no record end within")
            && err.contains("inside a quoted field"),
        "{err}"
    );
    assert!(!out_path.exists());
    assert!(std::fs::read_dir(tmp.path()).expect("dir").all(|e| !e
        .expect("entry")
        .file_name()
        .to_string_lossy()
        .contains(".tmp")));

    // A header without a line end in the first 64 KiB is not a header.
    let header = tmp.path().join("header.csv");
    std::fs::write(&header, vec![b'h'; 200_000]).expect("write");
    let out = embargo(tmp.path())
        .args(["check", "--batch"])
        .arg(&header)
        .output()
        .expect("run");
    assert!(stderr(&out).contains("header.csv:1: no line end within the first 65536 bytes"));
}

/// `embargo ... | head -1`: the reader went away; exit quietly with status 0.
fn closed_pipe(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // Close the reading end before the command writes anything.
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut cases: Vec<Vec<String>> = vec![
        vec!["regime".into(), "list".into()],
        vec!["lists".into(), "status".into()],
        vec!["regime".into(), "list".into(), "--json".into()],
        vec![
            "trade".into(),
            "sql".into(),
            "SELECT * FROM trade".into(),
            "--bundled".into(),
        ],
    ];
    if let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    {
        cases.push(vec![
            "lists".into(),
            "import".into(),
            un.display().to_string(),
        ]);
    }
    for args in cases {
        let out = closed_pipe(embargo(tmp.path()).args(&args));
        let err = stderr(&out);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// A batch check of many blocks whose reader goes away: the writer stops at the closed
/// pipe, and so do the workers and the reader behind it (none waits for ever on a queue
/// nobody drains); the exit is quiet.
#[test]
fn a_closed_pipe_stops_a_long_batch_check() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("ships.csv");
    let mut text = String::from("id,hs,origin,destination,date\n");
    // ~40 MB: ten 4 MiB blocks, more than the job queue holds.
    for i in 0..1_300_000 {
        text.push_str(&format!("s{i},2701,KP,CN,2017-09-15\n"));
    }
    std::fs::write(&file, text).expect("write");
    let mut child = embargo(tmp.path())
        .args(["check", "--batch"])
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("embargo check --batch kept running after its reader went away");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut err);
    }
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(status.code(), Some(0), "{err}");
}

/// A single endless line (here 3 MB of one field) stops every CSV reader at 1 MiB.
#[test]
fn endless_lines_fail_fast() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let long = tmp.path().join("long.csv");
    std::fs::write(&long, vec![b'A'; 3 << 20]).expect("write");
    let list = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../screen/tests/fixtures/small_un.xml"
    );
    let cases: [&[&str]; 3] = [
        &["network", "import", "--kind", "ownership"],
        &["network", "import", "--kind", "vessels"],
        &["screen", "--list", list, "--batch"],
    ];
    for args in cases {
        let out = embargo(tmp.path())
            .args(args)
            .arg(&long)
            .output()
            .expect("run");
        assert!(!out.status.success(), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("line 1: longer than 1048576 bytes without a line end"),
            "{args:?}: {err}"
        );
    }
}

/// `lists export --out FILE` appears whole or not at all: a written export holds every
/// entry and leaves no temporary file; an export that cannot be written leaves nothing.
#[test]
fn lists_export_to_a_file_is_whole_or_absent() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let data = tmp.path().join("data");
    let un = embargo_fixtures::workspace_root().join("crates/screen/tests/fixtures/small_un.xml");
    let out = embargo(&data)
        .args(["lists", "import", "--source", "un"])
        .arg(&un)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let dir = tmp.path().join("out");
    std::fs::create_dir(&dir).expect("mkdir");
    let file = dir.join("lists.jsonl");
    let out = embargo(&data)
        .args(["lists", "export", "--out"])
        .arg(&file)
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = std::fs::read_to_string(&file).expect("export");
    let ids: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("json")["id"].to_string())
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("lists.jsonl")]);

    let missing = tmp.path().join("no-such-dir").join("lists.jsonl");
    let out = embargo(&data)
        .args(["lists", "export", "--out"])
        .arg(&missing)
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot create"), "{}", stderr(&out));
    assert!(!tmp.path().join("no-such-dir").exists());
}

/// A batch file whose last line has no line end may have been cut in its last row: the
/// row is read as written (CSV has no end marker) and the command says so, on stderr and
/// in its JSON summary. A file that ends with a line end gets no such warning.
#[test]
fn a_last_line_without_an_end_is_named() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let whole = "id,hs,origin,destination,date,quantity,unit,value_usd\n\
                 a,5701,CN,KP,2017-06-01,,,900\n";
    for (text, cut) in [(whole, false), (whole.trim_end(), true)] {
        let input = tmp.path().join("ships.csv");
        std::fs::write(&input, text).expect("write");
        let out = embargo(tmp.path())
            .args(["--json", "check", "--batch"])
            .arg(&input)
            .arg("--out")
            .arg(tmp.path().join("v.csv"))
            .output()
            .expect("run");
        assert!(out.status.success(), "{}", stderr(&out));
        let summary: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(summary["rows"], 1);
        assert_eq!(summary["last_line_without_end"], cut);
        assert_eq!(
            stderr(&out).contains("ships.csv: the last line has no line end"),
            cut,
            "{}",
            stderr(&out)
        );
    }
    // The same for an ownership file imported into the network store.
    let own = tmp.path().join("owners.csv");
    std::fs::write(
        &own,
        "owner,owned,share_pct,relation,start,end,source\n\
         Korea Example Holding,Example Shipping Co,51,,,,test",
    )
    .expect("write");
    let out = embargo(tmp.path())
        .args(["network", "import"])
        .arg(&own)
        .output()
        .expect("run");
    assert!(
        stderr(&out).contains("owners.csv: the last line has no line end"),
        "{}",
        stderr(&out)
    );
}
