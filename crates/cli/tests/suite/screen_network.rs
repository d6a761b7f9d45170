//! A screening hit reached through the ownership graph: a company no list names, owned
//! through a chain from a UN designee (KOMID, KPe.001), is blocked under the 50% rule and
//! the screen command says so, with the path and its sources.

use common::embargo;
use embargo_fixtures::{run_json, run_ok};

use crate::common;

#[test]
fn screening_reports_a_designee_reached_through_ownership() {
    let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ownership =
        embargo_fixtures::workspace_root().join("crates/network/tests/fixtures/ownership.csv");
    // The network store takes its designees from the active lists.
    run_ok(embargo(dir.path()).args(["lists", "import"]).arg(&un));
    run_ok(
        embargo(dir.path())
            .args(["network", "import"])
            .arg(&ownership),
    );

    let v = run_json(embargo(dir.path()).args(["screen", "Liaoning Beta Logistics", "--json"]));
    // No list names the company itself...
    assert_eq!(v["decision"], "no_match");
    // ...but KOMID owns 60% of Dandong Alpha, which owns 50% of it.
    assert_eq!(v["network"]["decision"], "match");
    let hit = &v["network"]["hits"][0];
    assert_eq!(hit["designee"]["id"], "un:KPe.001");
    let path = hit["path"].as_array().expect("path");
    assert_eq!(path.len(), 2);
    assert_eq!(path[0]["share_pct"], 60.0);
    assert_eq!(path[1]["share_pct"], 50.0);
    assert!(path
        .iter()
        .all(|s| s["source"].as_str().is_some_and(|x| !x.is_empty())));

    // Without a network store the output has no `network` field.
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    run_ok(embargo(empty.path()).args(["lists", "import"]).arg(&un));
    let v = run_json(embargo(empty.path()).args(["screen", "Liaoning Beta Logistics", "--json"]));
    assert!(v.get("network").is_none());
}

/// `embargo eval names` on nomenklatura's 826 labelled pairs: the figures docs/bench-screening.md
/// quotes, beside the frozen logic-v2 run read from the same folder.
#[test]
fn eval_names_reports_the_documented_figures() {
    let cases =
        embargo_fixtures::shared_or_skip!("data/peer-cases/nomenklatura/name_bench_cases.csv");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let r = run_json(
        embargo(dir.path())
            .args(["--json", "eval", "names"])
            .arg(&cases),
    );
    assert_eq!(r["cases"], 826);
    let at = &r["ours"]["at_threshold"];
    let counts = ["tp", "fp", "fn_", "tn"].map(|k| at[k].as_u64().unwrap_or(0));
    assert_eq!(counts, [321, 33, 104, 368], "{at}");
    let f1 = |v: &serde_json::Value| v["f1"].as_f64().unwrap_or(0.0);
    assert!((f1(at) - 0.8241).abs() < 1e-3, "{at}");
    assert!((f1(&r["ours"]["best"]) - 0.8388).abs() < 1e-3);
    // Beside logic-v2 on the pairs its frozen run scored.
    let reference = &r["reference"];
    assert_eq!(reference["joined_cases"], 815);
    assert!(f1(&reference["ours_on_same_cases_at_threshold"]) > f1(&reference["logic_v2_best"]));
    assert_eq!(r["korean_dprk"]["cases"], 31);
}

/// `screen --batch`: one JSON line per input row, in input order across threads, a bad row as
/// an error line that names its line and field, and the output file written whole.
#[test]
fn screen_batch_writes_one_line_per_row_in_order() {
    let un = embargo_fixtures::shared_or_skip!("data/un-sc-consolidated/consolidated_dprk.xml");
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    run_ok(embargo(dir.path()).args(["lists", "import"]).arg(&un));
    let input = dir.path().join("counterparties.csv");
    std::fs::write(
        &input,
        "name,schema,dob,country,imo,id\n\
         YUN HO-JIN,person,1944-10-13,,,c1\n\
         Korea Mining Development Trading Corp,organization,,,,c2\n\
         Ocean Breeze Bakery,,,,,c3\n\
         YUN HO JIN,person,not-a-date,,,c4\n\
         KOMID,organization,,,,c5\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let jsonl = dir.path().join("hits.jsonl");
    let out = run_ok(
        embargo(dir.path())
            .args(["screen", "--threads", "3", "--batch"])
            .arg(&input)
            .arg("--out")
            .arg(&jsonl),
    );
    let text = std::fs::read_to_string(&jsonl).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 5);
    let ids: Vec<&str> = lines
        .iter()
        .map(|l| l["input_id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4", "c5"]);
    assert_eq!(lines[0]["decision"], "match");
    assert_eq!(lines[0]["matches"][0]["id"], "KPi.001");
    assert_eq!(lines[1]["decision"], "match");
    assert_eq!(lines[1]["matches"][0]["id"], "KPe.001");
    assert_eq!(lines[2]["decision"], "no_match");
    let err = lines[3]["error"].as_str().unwrap_or("");
    assert!(err.contains("birth date \"not-a-date\""), "{err}");
    // The list carries KOMID as an alias of KPe.001.
    assert_eq!(lines[4]["matches"][0]["id"], "KPe.001");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("1 bad rows"), "{stderr}");
    // No temporary file is left beside the output.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}
