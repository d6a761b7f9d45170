//! One query, one answer: `embargo screen NAME --json` and a `screen --batch` line carry the
//! same decision, the same top entry and the same fields for each match.

use std::collections::BTreeSet;

use common::embargo;
use embargo_fixtures::{run_json, run_ok};

use crate::common;

/// (name, schema, country) screened both ways.
const QUERIES: [(&str, &str, &str); 6] = [
    ("조선광선은행", "organization", ""),
    ("Kwangson Bank", "organization", ""),
    ("Foreign Trade Bank", "organization", "KP"),
    ("리병철", "person", ""),
    (
        "KOREA\u{200B}MINING\u{200B}DEVELOPMENT\u{200B}TRADING\u{200B}CORPORATION",
        "",
        "",
    ),
    ("Korea Zinc Company", "organization", "KR"),
];

fn keys(v: &serde_json::Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn single_and_batch_answers_agree() {
    let (Some(un), Some(sdn)) = (
        embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml"),
        embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    run_ok(embargo(dir.path()).args(["lists", "import"]).arg(&un));
    run_ok(embargo(dir.path()).args(["lists", "import"]).arg(&sdn));
    let mut csv = String::from("id,name,schema,country\n");
    for (k, (name, schema, country)) in QUERIES.iter().enumerate() {
        csv.push_str(&format!("q{k},{name},{schema},{country}\n"));
    }
    let input = dir.path().join("queries.csv");
    let output = dir.path().join("out.jsonl");
    std::fs::write(&input, csv).unwrap_or_else(|e| panic!("{e}"));
    run_ok(
        embargo(dir.path())
            .args(["screen", "--batch"])
            .arg(&input)
            .arg("--out")
            .arg(&output),
    );
    let text = std::fs::read_to_string(&output).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), QUERIES.len());
    for ((name, schema, country), line) in QUERIES.iter().zip(&lines) {
        let mut cmd = embargo(dir.path());
        cmd.args(["screen", name, "--json"]);
        if !schema.is_empty() {
            cmd.args(["--schema", schema]);
        }
        if !country.is_empty() {
            cmd.args(["--country", country]);
        }
        let single = run_json(&mut cmd);
        assert_eq!(single["decision"], line["decision"], "{name}");
        let (one, batch) = (&single["matches"][0], &line["matches"][0]);
        assert_eq!(one["id"], batch["id"], "{name}");
        assert_eq!(keys(one), keys(batch), "{name}");
        let rounded = |v: &serde_json::Value| (v.as_f64().unwrap_or(-1.0) * 1000.0).round();
        assert_eq!(rounded(&one["score"]), rounded(&batch["score"]), "{name}");
    }
    // The answers themselves: the Hangul bank, its short form and the DPRK's Foreign Trade
    // Bank are matches; the South Korean zinc company is not.
    let decisions: Vec<&str> = lines
        .iter()
        .map(|l| l["decision"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        decisions,
        ["match", "match", "match", "match", "match", "no_match"]
    );
    assert_eq!(lines[0]["matches"][0]["id"], "KPe.025");
    let ftb = &lines[2]["matches"][0]["id"];
    assert!(ftb == "KPe.047" || ftb == "15603", "{ftb}");
}

#[test]
fn eval_screening_reports_each_kind() {
    let (Some(un), Some(sdn)) = (
        embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated.xml"),
        embargo_fixtures::shared_file("data/ofac-sdn/sdn.csv"),
    ) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cases =
        embargo_fixtures::workspace_root().join("data/screening/eval/korean_institutions.csv");
    let v = run_json(
        embargo(dir.path())
            .args(["eval", "screening", "--json"])
            .arg(&cases)
            .arg("--list")
            .arg(&un)
            .arg("--list")
            .arg(&sdn),
    );
    let kinds: Vec<&String> = v["by_kind"]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        kinds,
        [
            "all",
            "han_org",
            "hangul_org",
            "invisible",
            "korean_person",
            "look_alike",
            "short_form"
        ]
    );
    assert_eq!(v["cases"], 90);
    assert_eq!(v["by_kind"]["korean_person"]["recall"], 1.0);
    assert_eq!(v["by_kind"]["short_form"]["tp"], 16);
}
