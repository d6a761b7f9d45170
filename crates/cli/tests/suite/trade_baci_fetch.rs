//! `embargo trade import` of a BACI file (country file found next to it) and `embargo
//! trade fetch` (dry run, and a real run against a local server standing in for the
//! Comtrade API: nothing leaves the machine). Fixtures are the trade crate's hand-made
//! files with fictitious values.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common;

const KEY: &str = "test-key-5f1c9a";

/// `embargo --data DATA` without a Comtrade key from the caller's environment.
fn embargo(data: &Path) -> Command {
    let mut c = common::embargo(data);
    c.env_remove("COMTRADE_API_KEY");
    c
}

fn trade_fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../trade/tests/fixtures")
        .join(rel)
}

#[test]
fn baci_import_finds_its_country_file_and_reads_the_mirror() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir(&release).unwrap();
    for f in ["BACI_HS17_Y2019_V202401b.csv", "country_codes_V202401b.csv"] {
        std::fs::copy(trade_fixture(&format!("baci/{f}")), release.join(f)).unwrap();
    }
    let data = dir.path().join("data");
    let imported = embargo_fixtures::run_json(
        embargo(&data)
            .args(["trade", "import"])
            .arg(release.join("BACI_HS17_Y2019_V202401b.csv"))
            .arg("--json"),
    );
    assert_eq!(imported[0]["format"], "baci-csv");
    assert_eq!(imported[0]["loaded"], 20);

    // DPRK exports to China, read from China's side: the iron-ore row is USD 1,234,500.
    let q = embargo_fixtures::run_json(embargo(&data).args([
        "trade",
        "query",
        "--reporter",
        "CN",
        "--partner",
        "KP",
        "--flow",
        "import",
        "--series",
        "BACI",
        "--by",
        "hs6",
        "--json",
    ]));
    let rows = q["rows"].as_array().unwrap();
    let ore = rows.iter().find(|r| r["key"] == "260111").unwrap();
    assert_eq!(ore["value_usd"], 1_234_500.0);
    assert_eq!(ore["net_weight_kg"], 5_000_000.0);
    assert_eq!(ore["status"], "derived");
    assert_eq!(ore["year"], 2019);
    assert!(rows.iter().any(|r| r["key"] == "030749"));
    assert!(rows.iter().any(|r| r["key"] == "090111"));
}

#[test]
fn fetch_dry_run_prints_requests_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = embargo_fixtures::run_ok(embargo(dir.path()).env("COMTRADE_API_KEY", KEY).args([
        "trade",
        "fetch",
        "--reporter",
        "CN",
        "--partner",
        "KP",
        "--years",
        "2016-2019",
        "--flow",
        "M",
        "--dry-run",
    ]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains(KEY));
    let v: Value = serde_json::from_str(&text).unwrap();
    let reqs = v.as_array().unwrap();
    assert_eq!(reqs.len(), 4);
    let url = reqs[1]["url"].as_str().unwrap();
    assert!(url.starts_with("https://comtradeapi.un.org/data/v1/get/C/A/HS?"));
    assert!(url.contains("reporterCode=156&partnerCode=408"), "{url}");
    assert!(url.contains("period=2017&flowCode=M&"), "{url}");
    assert_eq!(reqs[1]["headers"][0], "Ocp-Apim-Subscription-Key");
}

#[test]
fn fetch_needs_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = embargo(dir.path())
        .args([
            "trade",
            "fetch",
            "--reporter",
            "CN",
            "--partner",
            "KP",
            "--years",
            "2017",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("COMTRADE_API_KEY"));
}

/// Answers `requests` HTTP requests: the 2017 answer for `period=2017` when the key header
/// is right, an empty answer for other years, 401 without the key. Returns what it saw.
fn serve(listener: TcpListener, requests: usize) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                head.push_str(&line);
            }
            let keyed = head
                .lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("Ocp-Apim-Subscription-Key: {KEY}")));
            let (status, body) = if !keyed {
                (
                    "401 Unauthorized",
                    r#"{"statusCode": 401, "message": "Access denied due to missing subscription key."}"#
                        .as_bytes()
                        .to_vec(),
                )
            } else if head.contains("period=2017&") {
                let mut b = Vec::new();
                std::fs::File::open(trade_fixture("comtrade-api-v1-2017.json"))
                    .unwrap()
                    .read_to_end(&mut b)
                    .unwrap();
                ("200 OK", b)
            } else {
                (
                    "200 OK",
                    br#"{"elapsedTime":"0.1 secs","count":0,"data":[],"error":""}"#.to_vec(),
                )
            };
            let mut s = stream;
            write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .unwrap();
            s.write_all(&body).unwrap();
            seen.push(head.lines().next().unwrap_or_default().to_string());
        }
        seen
    })
}

fn have_curl() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn fetch_against_a_local_api_writes_an_importable_file() {
    if !have_curl() {
        eprintln!("skipped: `trade fetch` runs curl, which is not installed");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://{}/data/v1/get/C/A/HS",
        listener.local_addr().unwrap()
    );
    let server = serve(listener, 2);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cn-kp.json");
    let out = embargo_fixtures::run_ok(
        embargo(dir.path())
            .env("COMTRADE_API_KEY", KEY)
            .args([
                "trade",
                "fetch",
                "--reporter",
                "CN",
                "--partner",
                "KP",
                "--years",
                "2016-2017",
                "--api-base",
                &base,
                "--json",
                "--out",
            ])
            .arg(&file),
    );
    let seen = server.join().unwrap();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].starts_with("GET /data/v1/get/C/A/HS?reporterCode=156&partnerCode=408"));
    assert!(
        seen.iter().all(|l| !l.contains(KEY)),
        "key in a URL: {seen:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stdout.contains(KEY) && !stderr.contains(KEY));
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["rows"], 3);
    assert_eq!(v["per_year"], serde_json::json!([[2016, 0], [2017, 3]]));

    let imported = embargo_fixtures::run_json(
        embargo(dir.path())
            .args(["trade", "import"])
            .arg(&file)
            .arg("--json"),
    );
    assert_eq!(imported[0]["format"], "comtrade-json");
    assert_eq!(imported[0]["loaded"], 3);
}

#[test]
fn fetch_reports_the_api_error() {
    if !have_curl() {
        eprintln!("skipped: `trade fetch` runs curl, which is not installed");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://{}/data/v1/get/C/A/HS",
        listener.local_addr().unwrap()
    );
    let server = serve(listener, 1);
    let dir = tempfile::tempdir().unwrap();
    let out = embargo(dir.path())
        .env("COMTRADE_API_KEY", "a-wrong-key")
        .args([
            "trade",
            "fetch",
            "--reporter",
            "CN",
            "--partner",
            "KP",
            "--years",
            "2017",
            "--api-base",
            &base,
        ])
        .output()
        .unwrap();
    server.join().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains("a-wrong-key"), "{stderr}");
}
