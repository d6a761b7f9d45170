//! A screening hit reached through the ownership graph: a company no list names, owned
//! through a chain from a UN designee (KOMID, KPe.001), is blocked under the 50% rule and
//! the screen command says so, with the path and its sources.

use std::process::Command;

fn embargo(data: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_embargo"));
    c.env_remove("EMBARGO_REGIME").arg("--data").arg(data);
    c
}

#[test]
fn screening_reports_a_designee_reached_through_ownership() {
    let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let ownership =
        embargo_fixtures::workspace_root().join("crates/network/tests/fixtures/ownership.csv");
    for args in [vec!["lists", "import"], vec!["network", "import"]] {
        let out = embargo(dir.path())
            .args(&args)
            .arg(&un)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = embargo(dir.path())
        .args(["network", "import"])
        .arg(&ownership)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = embargo(dir.path())
        .args(["screen", "Liaoning Beta Logistics", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
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
    let out = embargo(empty.path())
        .args(["lists", "import"])
        .arg(&un)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let out = embargo(empty.path())
        .args(["screen", "Liaoning Beta Logistics", "--json"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert!(v.get("network").is_none());
}
