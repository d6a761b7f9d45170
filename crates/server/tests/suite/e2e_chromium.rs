//! The web page end to end in Debian's headless Chromium, against the server listening on
//! a loopback port: the DOM after the page's scripts ran must show the verdict, the hit
//! and the charts, and screenshots of the report and a screening result are written to
//! `$CARGO_TARGET_TMPDIR/e2e/` (a PNG of the requested width). Skips with a notice when
//! /usr/bin/chromium is absent (`apt-get install chromium`); the bench/server/e2e.sh
//! script does the same against the `embargo` binary.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().expect("profile dir");
    let profile_arg = format!("--user-data-dir={}", profile.path().display());
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=10000",
        ])
        .arg(&profile_arg)
        .args(args)
        .arg(url)
        .output()
        .expect("run chromium")
}

fn dom(url: &str) -> String {
    let out = chromium(&["--window-size=1280,1400", "--dump-dom"], url);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn screenshot(url: &str, file: &Path, height: u32) {
    let size = format!("--window-size=1280,{height}");
    let shot = format!("--screenshot={}", file.display());
    let out = chromium(&[&size, &shot], url);
    let png = std::fs::read(file).unwrap_or_else(|_| {
        panic!(
            "no screenshot {}: {}",
            file.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        &png[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is a PNG",
        file.display()
    );
    let width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    assert_eq!(width, 1280, "{} width", file.display());
}

fn assert_rendered(view: &str, html: &str, needles: &[&str]) {
    for n in needles {
        assert!(
            html.contains(n),
            "{view}: {n:?} not in the rendered page:\n{html}"
        );
    }
    // Optional parts left as placeholders would show as the text null/undefined.
    for bad in [">null<", ">undefined<", "nullnull", "(undefined"] {
        assert!(
            !html.contains(bad),
            "{view}: placeholder text {bad:?} rendered"
        );
    }
}

#[test]
fn page_renders_check_screening_and_report_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("notice: skipping the Chromium end-to-end test: {CHROMIUM} not found (apt-get install chromium)");
        return;
    }
    let un = embargo_fixtures::shared_file("data/un-sc-consolidated/consolidated_dprk.xml");
    // The server before the runtime, so that a failed assertion drops the runtime (and the
    // serving task that holds the server's state) first: the server's audit writer then
    // finishes instead of waiting for that task forever.
    let server = common::TestServer::new();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let key = server.create_key("e2e");
    if let Some(un) = &un {
        let (st, r) = runtime.block_on(server.send_raw(
            "PUT",
            "/api/v1/lists/un",
            "application/xml",
            std::fs::read(un).unwrap(),
            Some(&key),
        ));
        assert!(st.is_success(), "{r}");
    }
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = server.router();
    runtime.spawn(async move { axum::serve(listener, router).await });

    let out: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e");
    std::fs::create_dir_all(&out).unwrap();

    let html = dom(&format!(
        "{base}/#check?hs=2701&origin=KP&destination=CN&date=2017-09-15"
    ));
    assert_rendered(
        "check",
        &html,
        &["id=\"verdict\"", "PROHIBITED", "<td>2371</td><td>OP8</td>"],
    );

    let html = dom(&format!("{base}/#regime"));
    assert_rendered(
        "regime",
        &html,
        &[
            "data-measure=\"2371-8-coal-iron\"",
            "measures in force on 2017-09-15",
        ],
    );

    let report = format!("{base}/#report");
    let html = dom(&report);
    let mut needles = vec!["<svg"];
    let ids: Vec<String> = ["a", "b", "c", "d", "e"]
        .iter()
        .map(|c| format!("id=\"chart-{c}\""))
        .collect();
    needles.extend(ids.iter().map(String::as_str));
    assert_rendered("report", &html, &needles);
    screenshot(&report, &out.join("report.png"), 2600);

    if un.is_some() {
        let screen = format!("{base}/#screen?name=Yun%20Ho%20Jin&schema=person");
        let html = dom(&screen);
        assert_rendered(
            "screen",
            &html,
            &[
                "id=\"decision\"",
                ">MATCH<",
                "KPi.001",
                "Matched name",
                "1718 OP8(d)",
            ],
        );
        screenshot(&screen, &out.join("screen.png"), 1300);
    }
    eprintln!("screenshots in {}", out.display());
    // Drop the serving task (it holds the state) before the server flushes its audit log.
    runtime.shutdown_timeout(std::time::Duration::from_secs(10));
}
