//! The `embargo regime` and `embargo check` commands, run as a user would.

use std::process::Command;

use embargo_fixtures::run_ok;

fn embargo() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_embargo"));
    c.env_remove("EMBARGO_REGIME").env_remove("EMBARGO_DATA");
    c
}

fn run_json(args: &[&str]) -> serde_json::Value {
    embargo_fixtures::run_json(embargo().args(args).arg("--json"))
}

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_json_has_verdict_citations_and_conditions() {
    let v = run_json(&[
        "check",
        "--hs",
        "2701",
        "--origin",
        "KP",
        "--destination",
        "CN",
        "--date",
        "2017-09-15",
    ]);
    assert_eq!(v["verdict"], "prohibited");
    let cites = v["citations"].as_array().expect("citations");
    assert!(
        cites.iter().any(|c| c["resolution"] == "2371"
            && c["paragraph"] == "8"
            && c["measure"] == "2371-8-coal-iron"
            && c["confidence"] == "confirmed"),
        "{cites:?}"
    );
    assert!(v["conditions"].as_array().is_some());

    let v = run_json(&[
        "check",
        "--hs",
        "2701",
        "--origin",
        "KP",
        "--destination",
        "CN",
        "--date",
        "2016-06-01",
    ]);
    assert_eq!(v["verdict"], "conditional");
    assert!(v["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .any(|c| c["citation"] == "2270 OP29(b)"));

    let v = run_json(&[
        "check",
        "--hs",
        "8471",
        "--origin",
        "CN",
        "--destination",
        "KP",
        "--date",
        "2018-06-01",
    ]);
    assert_eq!(v["verdict"], "prohibited");
    assert!(v["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .any(|c| c["resolution"] == "2397"));
}

#[test]
fn check_rejects_bad_input_with_the_field_named() {
    for (args, field) in [
        (
            [
                "--hs",
                "27O1",
                "--origin",
                "KP",
                "--destination",
                "CN",
                "--date",
                "2017-09-15",
            ],
            "--hs",
        ),
        (
            [
                "--hs",
                "2701",
                "--origin",
                "NK",
                "--destination",
                "CN",
                "--date",
                "2017-09-15",
            ],
            "--origin",
        ),
        (
            [
                "--hs",
                "2701",
                "--origin",
                "KP",
                "--destination",
                "CN",
                "--date",
                "2017-02-30",
            ],
            "--date",
        ),
    ] {
        let out = embargo()
            .arg("check")
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(field), "{field} not named in: {err}");
    }
}

#[test]
fn batch_classifies_counts_and_reports_bad_rows() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out_path = dir.path().join("verdicts.csv");
    let summary = embargo_fixtures::run_json(
        embargo()
            .args(["check", "--batch", &fixture("shipments.csv"), "--out"])
            .arg(&out_path)
            .arg("--json"),
    );
    assert_eq!(summary["rows"], 9);
    assert_eq!(summary["errors"], 3);
    assert_eq!(summary["prohibited"], 4, "{summary}");
    assert_eq!(summary["conditional"], 1);
    assert_eq!(summary["permitted"], 1);
    let errs = summary["first_errors"].as_array().expect("errors");
    let fields: Vec<(u64, &str)> = errs
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(fields, vec![(5, "hs"), (6, "origin"), (7, "date")]);

    let text = std::fs::read_to_string(&out_path).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.len(),
        10,
        "header + one line per input row, bad rows included:\n{text}"
    );
    assert_eq!(
        lines[0],
        "line,id,hs,origin,destination,date,verdict,citations,conditions,confidence"
    );
    assert!(lines[1].starts_with("2,coal-2017,2701,KP,CN,2017-09-15,prohibited,"));
    assert!(lines[1].ends_with(",confirmed"), "{}", lines[1]);
    assert!(lines[2].contains(",conditional,"));
    // A bad row keeps its id, so the caller can tell which shipment it was.
    assert!(lines[4].starts_with("5,bad-hs,,,,,error,,"), "{}", lines[4]);
    assert_eq!(errs[0]["id"], "bad-hs");
    assert!(
        lines[7].contains("big-coal")
            && lines[7].contains(",prohibited,")
            && lines[7].contains("exceeds"),
        "one shipment over the 7.5 Mt cap: {}",
        lines[7]
    );
    assert!(
        lines[8].starts_with("9,\"quoted, id\",0306,KP,CN,2018-01-01,prohibited"),
        "{}",
        lines[8]
    );
    assert!(
        lines[9].contains(",permitted,")
            && lines[9].contains("neither origin, destination nor transit is the DPRK"),
        "RU->CN without transit is out of scope, and the row says why: {}",
        lines[9]
    );
    // Nothing half-written: only the result file is left in the directory.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn batch_jsonl_and_strict_mode() {
    let out = run_ok(embargo().args([
        "check",
        "--batch",
        &fixture("shipments.csv"),
        "--format",
        "jsonl",
    ]));
    let rows: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(rows.len(), 9);
    assert_eq!(rows[0]["verdict"], "prohibited");
    assert_eq!(rows[3]["verdict"], "error");
    assert_eq!(rows[3]["field"], "hs");
    assert_eq!(rows[3]["id"], "bad-hs");
    // The same notes as the CSV conditions column (memoized and full-check rows alike).
    assert!(rows[8]["notes"][0]
        .as_str()
        .is_some_and(|n| n.starts_with("neither origin, destination nor transit")));

    let out = embargo()
        .args(["check", "--batch", &fixture("shipments.csv"), "--strict"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("shipments.csv:5: hs:"));
}

#[test]
fn regime_show_diff_and_list() {
    let v = run_json(&["regime", "show", "--as-of", "2016-06-01"]);
    let ids: Vec<&str> = v["measures"]
        .as_array()
        .expect("measures")
        .iter()
        .filter_map(|m| m["id"].as_str())
        .collect();
    assert!(ids.contains(&"2270-29-coal") && ids.contains(&"2270-29b-livelihood-coal"));
    assert!(
        !ids.iter().any(|i| i.starts_with("2321")),
        "2321 was adopted later"
    );

    let v = run_json(&["regime", "diff", "2016-11-29", "2016-11-30"]);
    let removed: Vec<&str> = v["removed"]
        .as_array()
        .expect("removed")
        .iter()
        .filter_map(|c| c["measure"]["id"].as_str())
        .collect();
    assert_eq!(
        removed,
        vec![
            "2270-29b-livelihood-coal",
            "2270-29b-livelihood-iron",
            "2270-31-civil-aircraft",
            "2270-19-livelihood-notified"
        ]
    );

    let v = run_json(&["regime", "list"]);
    assert_eq!(v.as_array().map(Vec::len), Some(10));
}

#[test]
fn regime_validate_against_the_hs_nomenclature() {
    let Some(hs22) = embargo_fixtures::shared_file("data/harmonized-system/harmonized-system.csv")
    else {
        return;
    };
    let Some(hs17) =
        embargo_fixtures::shared_file("data/harmonized-system/harmonized-system-hs2017.csv")
    else {
        return;
    };
    let out = embargo()
        .current_dir(embargo_fixtures::workspace_root())
        .args(["regime", "validate", "--hs"])
        .arg(&hs22)
        .arg("--hs")
        .arg(&hs17)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("10 files: 0 error(s)"), "{text}");
    assert!(
        text.contains("HS 77 is not in the nomenclature"),
        "the reserved chapter in 2397 OP7's 72-83 is a warning: {text}"
    );
}

#[test]
fn regime_validate_names_file_and_line_of_a_broken_file() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        dir.path().join("9999.toml"),
        "[resolution]\nnumber = \"9999\"\nyear = 2020\nadopted = 2020-01-01\nsymbol = \"s\"\ntitle = \"t\"\nsources = [\"s\"]\n\n[[measure]]\nid = \"9999-1-x\"\nparagraph = \"1\"\nkind = \"goods_ban\"\ndirection = \"from_dprk\"\ntitle = \"x\"\nconfidence = \"confirmed\"\nsources = [\"s\"]\n  [[measure.hs]]\n  code = \"123\"\n  provenance = \"analyst\"\n  confidence = \"unconfirmed\"\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = embargo()
        .args(["regime", "validate", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("9999.toml:18: error: hs.code:"), "{text}");
}

fn check_json(hs: &str, origin: &str, dest: &str, date: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "check",
        "--hs",
        hs,
        "--origin",
        origin,
        "--destination",
        dest,
        "--date",
        date,
    ];
    args.extend_from_slice(extra);
    run_json(&args)
}

#[test]
fn coal_on_2017_08_20_is_prohibited_and_iron_ore_is_in_the_wind_down() {
    let coal = check_json("2701", "KP", "CN", "2017-08-20", &[]);
    assert_eq!(coal["verdict"], "prohibited", "{coal}");
    assert!(coal["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .any(|c| c["resolution"] == "2371" && c["paragraph"] == "8"));
    assert_eq!(coal["confidence"], "confirmed");
    assert_eq!(coal["rests_on_unconfirmed"], false);

    let ore = check_json("2601", "KP", "CN", "2017-08-20", &[]);
    assert_eq!(ore["verdict"], "conditional", "{ore}");
    assert!(ore["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .any(|c| c["kind"] == "wind_down"
            && c["citation"] == "2371 OP8"
            && c["text"].as_str().is_some_and(|t| t.contains("2017-09-04"))));
}

#[test]
fn a_rug_needs_its_value() {
    let none = check_json("5701", "CN", "KP", "2017-06-01", &[]);
    assert_eq!(none["verdict"], "conditional");
    assert!(none["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .any(|c| c["kind"] == "value_threshold"
            && c["text"].as_str().is_some_and(|t| t.contains("USD 500"))));
    let cheap = check_json("5701", "CN", "KP", "2017-06-01", &["--value-usd", "400"]);
    assert_eq!(cheap["verdict"], "permitted", "{cheap}");
    assert_eq!(cheap["confidence"], serde_json::Value::Null);
    let dear = check_json("5701", "CN", "KP", "2017-06-01", &["--value-usd", "900"]);
    assert_eq!(dear["verdict"], "prohibited", "{dear}");
    assert_eq!(dear["rests_on_unconfirmed"], true);
    assert_eq!(dear["confidence"], "unconfirmed");

    // The table says the same in words.
    let out = run_ok(embargo().args([
        "check",
        "--hs",
        "5701",
        "--origin",
        "CN",
        "--destination",
        "KP",
        "--date",
        "2017-06-01",
        "--value-usd",
        "900",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rests on: 2321 OP5 (unconfirmed)") && text.contains("doubt:"),
        "{text}"
    );
}

#[test]
fn batch_csv_has_a_confidence_column() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let input = dir.path().join("in.csv");
    std::fs::write(
        &input,
        "id,hs,origin,destination,date,value_usd\n\
         coal,2701,KP,CN,2017-08-20,\n\
         rug,5701,CN,KP,2017-06-01,\n\
         rug-400,5701,CN,KP,2017-06-01,400\n\
         rug-900,5701,CN,KP,2017-06-01,900\n\
         small-arms,9302,RU,KP,2016-03-02,\n\
         bad,27O1,KP,CN,2017-08-20,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = run_ok(embargo().args(["check", "--batch"]).arg(&input));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = rdr
        .headers()
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header.last().map(String::as_str), Some("confidence"));
    let rows: Vec<csv::StringRecord> = rdr
        .records()
        .map(|r| r.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let (verdict, conf, cond) = (col("verdict"), col("confidence"), col("conditions"));
    let got: Vec<(&str, &str)> = rows.iter().map(|r| (&r[verdict], &r[conf])).collect();
    assert_eq!(
        got,
        vec![
            ("prohibited", "confirmed"),
            ("conditional", "unconfirmed"),
            ("permitted", ""),
            ("prohibited", "unconfirmed"),
            ("prohibited", "unconfirmed"),
            ("error", ""),
        ]
    );
    assert!(rows[1][cond].contains("USD 500"), "{:?}", &rows[1]);
    assert!(rows.iter().all(|r| r.len() == header.len()));
}

#[test]
fn fishing_rights_are_cited_as_2397_op6() {
    let v = run_json(&["regime", "show", "--resolution", "2397"]);
    let m = v["measures"]
        .as_array()
        .expect("measures")
        .iter()
        .find(|m| m["services"] == "selling or transferring fishing rights")
        .cloned()
        .expect("fishing rights measure");
    assert_eq!(m["paragraph"], "6");
    assert_eq!(m["paragraph_confidence"], "confirmed");
}

#[test]
fn regime_validate_counts_confidence_per_resolution() {
    let v = run_json(&["regime", "validate"]);
    let rows = v["confidence"].as_array().expect("confidence");
    assert_eq!(rows.len(), 10);
    let r2270 = rows
        .iter()
        .find(|r| r["resolution"] == "2270")
        .expect("2270");
    let open: Vec<&str> = r2270["open_paragraphs"]
        .as_array()
        .expect("open")
        .iter()
        .filter_map(|x| x.as_str())
        .collect();
    assert!(
        open.contains(&"2270 OP30") && !open.contains(&"2270 OP18"),
        "{open:?}"
    );
    let out = run_ok(embargo().args(["regime", "validate"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Confidence per resolution") && text.contains("10 files: 0 error(s)"),
        "{text}"
    );
}

#[test]
fn regime_show_prints_one_measure_whole() {
    let v = run_json(&["regime", "show", "2321-26-coal-cap"]);
    assert_eq!(v["id"], "2321-26-coal-cap");
    assert_eq!(v["paragraph"], "26(b)");
    assert_eq!(v["effective_until"], "2017-08-04");
    assert_eq!(v["limits"][0]["amount"], 400870018.0);
    let out = run_ok(embargo().args(["regime", "show", "2321-26-coal-cap"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("2321 OP26(b) — Coal export cap from 1 January 2017"));
    assert!(text.contains("superseded by          2371-8-coal-iron"));
    assert!(text.contains("38 North (38north.org/2017/04/ysun040517/, verbatim quote)"));
    let missing = embargo()
        .args(["regime", "show", "2321-99-nothing"])
        .output()
        .expect("run embargo");
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("2321-26-coal-cap"));
}

#[test]
fn measure_table_columns_line_up_on_long_citations() {
    let out = run_ok(embargo().args(["regime", "show", "--as-of", "2017-12-31"]));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let header = lines
        .iter()
        .position(|l| l.starts_with("MEASURE"))
        .expect("header");
    let kind_col = lines[header].find("KIND").expect("KIND column");
    let byte_to_char = |l: &str, b: usize| l[..b].chars().count();
    let kind_chars = byte_to_char(lines[header], kind_col);
    for l in lines[header + 2..].iter().take_while(|l| !l.is_empty()) {
        let kind_start: String = l.chars().skip(kind_chars).take(4).collect();
        assert!(
            !kind_start.starts_with(' ') && !kind_start.is_empty(),
            "KIND column misaligned: {l}"
        );
    }
    assert!(text.contains("1718-8a-luxury"));
    assert!(text.contains("1718 OP8(a)(iii)"));
}

#[test]
fn env_data_does_not_make_data_look_required() {
    let out = embargo()
        .env("EMBARGO_DATA", std::env::temp_dir())
        .args(["regime", "diff"])
        .output()
        .expect("run embargo");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Usage: embargo regime diff <FROM> <TO>"),
        "{err}"
    );
}
