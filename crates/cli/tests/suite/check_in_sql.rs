//! `check(...)` in `embargo trade sql` gives the answers of `embargo check --batch` for the
//! same shipments file: verdict, citations, conditions and confidence, row by row.

use common::embargo;
use embargo_fixtures::{run_json, run_ok, workspace_root};

use crate::common;

#[test]
fn check_in_sql_answers_as_the_batch_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let file = workspace_root().join("examples/shipments.csv");
    let out = run_ok(embargo(d).args(["check", "--batch"]).arg(&file));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut batch: Vec<Vec<String>> = csv::Reader::from_reader(text.as_bytes())
        .deserialize::<std::collections::HashMap<String, String>>()
        .map(|r| {
            let r = r.expect("batch row");
            ["id", "verdict", "citations", "conditions", "confidence"]
                .iter()
                .map(|k| r.get(*k).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    batch.sort();
    let sql = format!(
        "SELECT id, c['verdict'], c['citations'], c['conditions'], get_field(c, 'confidence') \
         FROM (SELECT id, check(hs, origin, destination, date, quantity, unit, value_usd, via) AS c \
               FROM read_csv('{}')) ORDER BY id",
        file.display()
    );
    let v = run_json(embargo(d).args(["--json", "trade", "sql", &sql]));
    let sql_rows: Vec<Vec<String>> = v["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            r.as_array()
                .expect("row")
                .iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .collect();
    assert_eq!(batch.len(), 9);
    assert_eq!(sql_rows, batch);
}
