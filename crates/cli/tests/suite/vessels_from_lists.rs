//! Vessels come from the lists: after `embargo lists import`, `embargo vessel IMO` shows the
//! listed vessel, and `GET /api/v1/vessels/{imo}` the same profile; an IMO number nothing
//! knows is "not found" with exit 1 (404 in the API), never an empty profile. Screening
//! takes an IMO alone, typed as `--imo` or as a name `IMO 8660313`.

use std::process::{Command, Output};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{api, embargo, get, post_json};
use embargo_fixtures::{run_json, run_ok};
use serde_json::{json, Value};

use crate::common;

fn run_failing(cmd: &mut Command) -> (i32, String) {
    let out: Output = cmd.output().unwrap_or_else(|e| panic!("{e}"));
    let code = out.status.code().unwrap_or(-1);
    (code, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn post_screen(body: &Value) -> Request<Body> {
    post_json("/api/v1/screen", body)
}

#[test]
fn an_unknown_or_invalid_imo_exits_non_zero_naming_why() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    // 1234567 has a valid check digit (1·7+2·6+3·5+4·4+5·3+6·2 = 77 → 7) but no list has it.
    let (code, err) = run_failing(embargo(d).args(["vessel", "1234567"]));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(
            "not found: no list or registry entry for IMO 1234567 (lists read: none imported"
        ),
        "{err}"
    );
    assert!(!err.contains("signals"), "{err}");
    let (code, err) = run_failing(embargo(d).args(["--json", "vessel", "1234567"]));
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_str(err.trim()).unwrap_or_else(|e| panic!("{e}: {err}"));
    assert!(
        v["error"].as_str().is_some_and(|m| m.contains("not found")),
        "{v}"
    );
    let (code, err) = run_failing(embargo(d).args(["vessel", "1234568"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("check digit is 8, expected 7"), "{err}");
    let (code, err) = run_failing(embargo(d).args(["vessel", "123456"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("exactly 7 digits"), "{err}");
}

#[tokio::test]
async fn listed_vessels_show_after_lists_import_in_cli_and_api() {
    let Some(sdn) = embargo_fixtures::shared_file("data/ofac-sdn/sdn_dprk.csv") else {
        return;
    };
    let Some(un) = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let d = dir.path();
    run_ok(
        embargo(d)
            .args(["lists", "import", "--source", "un"])
            .arg(&un),
    );
    // The UN consolidated list names no ships (its IMO numbers are shipping companies'), so
    // an OFAC vessel is not found before OFAC is imported, and the message says what was read.
    let (code, err) = run_failing(embargo(d).args(["vessel", "8660313"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("lists read: un version"), "{err}");

    run_ok(
        embargo(d)
            .args(["lists", "import", "--source", "ofac"])
            .arg(&sdn),
    );
    // CHON MA SAN, OFAC SDN ent_num 23729: "Vessel Registration Identification IMO 8660313;
    // Linked To: KOREA ACHIM SHIPPING CO."
    let v = run_json(embargo(d).args(["vessel", "IMO 8660313", "--json"]));
    assert_eq!(v["imo"], 8660313, "{v}");
    assert_eq!(v["name"], "CHON MA SAN", "{v}");
    assert_eq!(v["designations"][0]["list"], "ofac", "{v}");
    assert_eq!(v["designations"][0]["reference"], "23729", "{v}");
    assert_eq!(v["designations"][0]["programs"], json!(["DPRK4"]), "{v}");
    assert_eq!(
        v["current_flag"], "Democratic People's Republic of Korea",
        "{v}"
    );
    let link = &v["links"][0];
    assert_eq!(link["id"], "ofac:23707", "{v}");
    assert_eq!(link["name"], "KOREA ACHIM SHIPPING CO", "{v}");
    assert_eq!(link["designated"], true, "{v}");
    // STAR 18, ent_num 28716: flag Vietnam, former names SAM 5 and THINH CUONG.
    let star = run_json(embargo(d).args(["vessel", "9020015", "--json"]));
    assert_eq!(star["current_flag"], "Vietnam", "{star}");
    let former: Vec<&str> = star["names"]
        .as_array()
        .map(|names| {
            names
                .iter()
                .filter(|n| n["kind"] == "former_name")
                .filter_map(|n| n["name"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(former, ["SAM 5", "THINH CUONG"], "{star}");

    // Screening by the IMO alone, as a flag or typed as the name: one answer, explained.
    let by_flag = run_json(embargo(d).args(["screen", "--imo", "8660313", "--json"]));
    let by_name = run_json(embargo(d).args(["screen", "IMO8660313", "--json"]));
    for s in [&by_flag, &by_name] {
        assert_eq!(s["query"], "IMO 8660313", "{s}");
        assert_eq!(s["decision"], "match", "{s}");
        let hit = &s["matches"][0];
        assert_eq!(hit["id"], "23729", "{s}");
        assert_eq!(hit["explanation"]["found_by"], "identifier", "{s}");
        let feature = &hit["explanation"]["features"][0];
        assert_eq!(feature["feature"], "imo", "{s}");
        assert_eq!(
            feature["detail"], "IMO 8660313 equals the ship's IMO number listed in ofac 23729",
            "{s}"
        );
        assert_eq!(s["network"]["entity"]["id"], "imo:8660313", "{s}");
    }

    let config = embargo_server::ServerConfig::new(
        "127.0.0.1:0".parse().unwrap_or_else(|e| panic!("{e}")),
        d.to_path_buf(),
    );
    let regime = embargo_regime::Regime::bundled().unwrap_or_else(|e| panic!("{e}"));
    let built = embargo_server::build(config, regime).unwrap_or_else(|e| panic!("{e}"));
    let (status, profile) = api(&built.router, get("/api/v1/vessels/8660313")).await;
    assert_eq!(status, StatusCode::OK, "{profile}");
    assert_eq!(profile, v);
    let (status, body) = api(&built.router, get("/api/v1/vessels/1234567")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "vessel_not_found", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("no list or registry entry for IMO 1234567")),
        "{body}"
    );
    let (status, body) = api(&built.router, get("/api/v1/vessels/1234568")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["field"], "imo", "{body}");
    for request in [
        json!({ "imo": "8660313" }),
        json!({ "name": "IMO 8660313" }),
    ] {
        let (status, s) = api(&built.router, post_screen(&request)).await;
        assert_eq!(status, StatusCode::OK, "{s}");
        assert_eq!(s["matches"], by_flag["matches"], "{request}");
        assert_eq!(s["network"], by_flag["network"], "{request}");
    }
    built.finish();
}
