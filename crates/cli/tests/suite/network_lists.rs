//! `embargo network` answers with the lists `embargo lists import` made active: a delisted
//! owner stops blocking, a newly listed entry resolves; named imports are not replaced
//! unless asked.

use common::embargo;
use embargo_fixtures::{run_json, run_ok};

use crate::common;

const SMALL_UN: &str = include_str!("../../../screen/tests/fixtures/small_un.xml");

#[test]
fn exposure_follows_list_imports() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let v1 = d.join("v1.xml");
    std::fs::write(&v1, SMALL_UN).expect("write");
    let v2 = d.join("v2.xml");
    std::fs::write(
        &v2,
        SMALL_UN
            .replace("KPe.901", "KPe.902")
            .replace("NEW SHIPPING CO", "OTHER TRADING CO"),
    )
    .expect("write");
    let own = d.join("own.csv");
    std::fs::write(
        &own,
        "owner,owned,share_pct,relation,start,end,source\nNEW SHIPPING CO,Child Co,60,ownership,2015-01-01,,Test register (fictional)\n",
    )
    .expect("write");

    run_ok(embargo(d).args(["lists", "import"]).arg(&v1));
    run_ok(embargo(d).args(["network", "import"]).arg(&own));
    let x = run_json(embargo(d).args(["network", "exposure", "Child Co", "--json"]));
    assert_eq!(x["status"], "blocked", "{x}");

    run_ok(
        embargo(d)
            .args(["lists", "import", "--allow-shrink"])
            .arg(&v2),
    );
    let x = run_json(embargo(d).args(["network", "exposure", "Child Co", "--json"]));
    assert_eq!(x["status"], "not_blocked", "{x}");
    let x = run_json(embargo(d).args(["network", "exposure", "un:KPe.902", "--json"]));
    assert_eq!(x["status"], "designated", "{x}");

    // A second import under the same name is refused, the first one stands.
    let out = embargo(d)
        .args(["network", "import"])
        .arg(&own)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--replace"), "{err}");
    run_ok(
        embargo(d)
            .args(["network", "import", "--replace"])
            .arg(&own),
    );
    let s = run_json(embargo(d).args(["network", "status", "--json"]));
    let names: Vec<&str> = s["batches"]
        .as_array()
        .expect("batches")
        .iter()
        .filter(|b| b["kind"] == "ownership")
        .filter_map(|b| b["file"].as_str())
        .collect();
    assert_eq!(names.len(), 1, "{s}");
    assert_eq!(s["lists"][0][0], "un", "{s}");

    // A list file is not a network import.
    let out = embargo(d)
        .args(["network", "import"])
        .arg(&v1)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("embargo lists import"));
}

/// A quote left open in a screening batch swallows the rows after it into one field; that
/// field is an error row, never screened as a name.
#[test]
fn screen_batch_refuses_a_name_with_a_line_break() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let list = d.join("un.xml");
    std::fs::write(&list, SMALL_UN).expect("write");
    run_ok(embargo(d).args(["lists", "import"]).arg(&list));
    let input = d.join("names.csv");
    std::fs::write(
        &input,
        "name,id\nPAK CHOL MIN,a\n\"NEW SHIPPING CO,b\nOTHER,c\n",
    )
    .expect("write");
    let out = run_ok(embargo(d).args(["screen", "--batch"]).arg(&input));
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(lines[0]["decision"], "match", "{lines:?}");
    let err = lines[1]["error"].as_str().unwrap_or_default();
    assert!(err.contains("line break"), "{lines:?}");
}
