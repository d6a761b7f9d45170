//! `screen(...)` in `embargo trade sql` gives the answers of `embargo screen --batch` for
//! the same names over the same active list: decision, best hit, its list and score, row by
//! row, and a row that cannot be screened is that row's error in both.

use common::embargo;
use embargo_fixtures::{run_json, run_ok, shared_file};

use crate::common;

#[test]
fn screen_in_sql_answers_as_the_batch_screening() {
    let Some(un) = shared_file("data/un-sc-consolidated/consolidated.xml") else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("data");
    run_json(
        embargo(&d)
            .args(["lists", "import", "--source", "un", "--json"])
            .arg(&un),
    );
    let names = dir.path().join("names.csv");
    std::fs::write(
        &names,
        "id,name,schema,dob,country,imo\n\
         n1,Pak Chol Min,person,1980,KP,\n\
         n2,Korea Ryonbong General Corp,organization,,KP,\n\
         n3,Liaoning Sample Logistics Co. Ltd,organization,,CN,\n\
         n4,Jang Song Ho,person,1975,KP,\n\
         n5,KIM JONG SIK,person,,,\n\
         n6,Tanchon Commercial Bank,,,,\n\
         n7,Jie Shun,vessel,,,8518780\n\
         n8,,person,,,\n\
         n9,Ri Su Yong,person,19x4,,\n",
    )
    .expect("names");
    let out = run_ok(embargo(&d).args(["screen", "--batch"]).arg(&names));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut batch: Vec<[String; 5]> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("batch line");
            let best = &v["matches"][0];
            let s = |x: &serde_json::Value| x.as_str().unwrap_or_default().to_string();
            [
                s(&v["input_id"]),
                s(&v["decision"]),
                s(&best["id"]),
                best["score"]
                    .as_f64()
                    .map(|x| format!("{x:.3}"))
                    .unwrap_or_default(),
                v["error"]
                    .as_str()
                    .map(|_| "error".to_string())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    batch.sort();
    let sql = format!(
        "SELECT id, get_field(s, 'decision'), get_field(s, 'hit_id'), \
           round(get_field(s, 'score'), 3), \
           CASE WHEN get_field(s, 'error') IS NULL THEN '' ELSE 'error' END, \
           get_field(s, 'list_versions') \
         FROM (SELECT id, screen(name, schema, dob, country, imo) AS s FROM read_csv('{}')) \
         ORDER BY id",
        names.display()
    );
    let v = run_json(embargo(&d).args(["--json", "trade", "sql", &sql]));
    let rows = v["rows"].as_array().expect("rows");
    let sql_rows: Vec<[String; 5]> = rows
        .iter()
        .map(|r| {
            let c = |i: usize| match &r[i] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => format!("{:.3}", n.as_f64().expect("number")),
                _ => String::new(),
            };
            [c(0), c(1), c(2), c(3), c(4)]
        })
        .collect();
    assert_eq!(batch.len(), 9);
    assert_eq!(sql_rows, batch);
    // The answers say which list version they rest on.
    let versions = rows[0][5].as_str().expect("list_versions");
    assert!(versions.starts_with("un:"), "{versions}");
    // Some names are found, some are not, two rows are errors.
    let decisions: Vec<&str> = batch.iter().map(|r| r[1].as_str()).collect();
    assert!(decisions.contains(&"match"), "{batch:?}");
    assert!(decisions.contains(&"no_match"), "{batch:?}");
    assert_eq!(
        batch.iter().filter(|r| r[4] == "error").count(),
        2,
        "{batch:?}"
    );
}
