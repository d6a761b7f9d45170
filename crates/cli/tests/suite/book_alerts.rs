//! The book as a user meets it: a real UN list, the example book, a changed list, a
//! decision, and the cleared alert staying cleared; every step with `--json`, the
//! decisions and screenings in the audit log.

use std::process::Command;

use embargo_fixtures::{run_json, shared_file, workspace_root};

use crate::common;

/// `embargo --data DATA` run by the local user `ana` (the audit log's key id).
fn embargo(data: &std::path::Path) -> Command {
    let mut c = common::embargo(data);
    c.env("USER", "ana");
    c
}

#[test]
fn book_alerts_decisions_and_the_audit_log() {
    let Some(un) = shared_file("data/un-sc-consolidated/consolidated.xml") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let book = workspace_root().join("examples/book.csv");
    run_json(
        embargo(&data)
            .args(["lists", "import", "--source", "un", "--json"])
            .arg(&un),
    );
    // A bad file names its line and field and adds nothing.
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "id,name,dob\nc1,Kim Chol,1984\nc2,Lee,19x4\n").unwrap();
    let out = embargo(&data)
        .args(["book", "import"])
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.csv:3: field dob"), "{err}");
    let listed = run_json(embargo(&data).args(["book", "list", "--json"]));
    assert_eq!(listed.as_array().map(Vec::len), Some(0));

    let report = run_json(embargo(&data).args(["book", "import", "--json"]).arg(&book));
    assert_eq!(report["added"], 6);
    assert_eq!(report["new_alerts"], 1);
    let alerts = run_json(embargo(&data).args(["alerts", "--open", "--json"]));
    let alert = &alerts[0];
    assert_eq!(alert["record_id"], "c-002");
    assert_eq!(alert["entity_id"], "KPe.002");
    assert_eq!(
        alert["hit"]["explanation"]["matched_name"],
        "KOREA RYONBONG GENERAL CORPORATION"
    );
    let id = alert["id"].as_i64().unwrap().to_string();

    let decided = run_json(embargo(&data).args([
        "alerts",
        "decide",
        &id,
        "--as",
        "false-positive",
        "--reason",
        "the Seoul namesake",
        "--json",
    ]));
    assert_eq!(decided["verdict"], "false_positive");
    assert_eq!(decided["reviewer"], "ana");

    // A new version of the list in which another entry changed: still cleared.
    let text = std::fs::read_to_string(&un).unwrap();
    let changed = text.replacen("<FIRST_NAME>YUN", "<FIRST_NAME>YOON", 1);
    assert_ne!(text, changed);
    let new_list = dir.path().join("consolidated-2.xml");
    std::fs::write(&new_list, changed).unwrap();
    run_json(
        embargo(&data)
            .args(["lists", "import", "--source", "un", "--json"])
            .arg(&new_list),
    );
    let open = run_json(embargo(&data).args(["alerts", "--open", "--json"]));
    assert_eq!(open.as_array().unwrap().len(), 0, "{open}");
    // The same book again: nothing changes.
    let again = run_json(embargo(&data).args(["book", "import", "--json"]).arg(&book));
    assert_eq!(
        (again["unchanged"].as_u64(), again["new_alerts"].as_u64()),
        (Some(6), Some(0))
    );
    let shown = run_json(embargo(&data).args(["book", "show", "c-002", "--json"]));
    assert_eq!(shown["decisions"][0]["reason"], "the Seoul namesake");

    // A screening is audited too; the chain verifies and holds the decision.
    run_json(embargo(&data).args(["screen", "Jang Song Ho", "--json"]));
    let out = embargo(&data).args(["audit", "verify"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("records verified: 2"), "{text}");

    // Deciding a closed alert is refused, and adds nothing to the log.
    let out = embargo(&data)
        .args([
            "alerts",
            "decide",
            &id,
            "--as",
            "true-match",
            "--reason",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("false_positive"));
}
