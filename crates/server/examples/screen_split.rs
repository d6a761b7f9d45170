//! Where the time of `POST /api/v1/screen` goes, in process (no sockets, no wrk):
//!
//! 1. the matcher alone (`Matcher::screen` + `regime_link::attach`), the screen crate's part;
//! 2. encoding the answer (serde_json of the explained hits);
//! 3. the audit append alone (hash chain + SQLite commit + fsync), one at a time and with
//!    32 in flight (group commit);
//! 4. the whole request through the router (JSON in, middleware, matcher, audit, JSON
//!    out), one at a time and 32 in flight.
//!
//! Usage (release): `cargo run --release -p embargo-server --example screen_split --
//!   UN.xml sdn.csv [ROUNDS]`. The names are the five of bench/server/mixed.lua.
//! A scratch data directory is created and removed.

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::Request;
use embargo_server::audit::{AuditHit, AuditRecord};
use embargo_server::ServerConfig;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower::ServiceExt;

const NAMES: [(&str, Option<&str>); 5] = [
    ("Yun Ho Jin", Some("person")),
    ("KOREA MINING DEVELOPMENT TRADING CORPORATION", None),
    ("Ri Je Son", None),
    ("Astrid Lindgren", None),
    ("TANCHON COMMERCIAL BANK", Some("organization")),
];

fn report(what: &str, n: usize, total: Duration, mut each: Vec<Duration>) {
    each.sort();
    let pct = |p: f64| {
        each.get(((each.len() as f64 * p) as usize).min(each.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{what:<48} n={n:>6}  mean {:>8.1} µs  p50 {:>8.1} µs  p99 {:>8.1} µs  ({:.0}/s)",
        total.as_secs_f64() * 1e6 / n as f64,
        pct(0.5).as_secs_f64() * 1e6,
        pct(0.99).as_secs_f64() * 1e6,
        n as f64 / total.as_secs_f64(),
    );
}

fn body(name: &str, schema: Option<&str>) -> String {
    match schema {
        Some(s) => serde_json::json!({"name": name, "schema": s}).to_string(),
        None => serde_json::json!({"name": name}).to_string(),
    }
}

/// Import the two list files through the API, as a user would.
async fn import_lists(router: &axum::Router, key: &str, un: &str, sdn: &str) -> anyhow::Result<()> {
    for (source, path) in [("un", un), ("ofac", sdn)] {
        let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
        let resp = router
            .clone()
            .oneshot(
                Request::put(format!("/api/v1/lists/{source}"))
                    .header("x-api-key", key)
                    .body(Body::from(bytes))?,
            )
            .await?;
        if !resp.status().is_success() {
            bail!("importing {path}: {}", resp.status());
        }
    }
    Ok(())
}

/// 1. The matcher and the regime link alone; returns one screening per name.
fn time_matcher(
    matcher: &embargo_screen::Matcher,
    regime: &embargo_regime::Regime,
    thresholds: &embargo_screen::Thresholds,
    rounds: usize,
) -> anyhow::Result<Vec<embargo_screen::Screening>> {
    let today = chrono::Utc::now().date_naive();
    let queries: Vec<embargo_screen::Query> = NAMES
        .iter()
        .map(|(n, s)| embargo_screen::Query {
            name: n.to_string(),
            schema: s.and_then(embargo_screen::Schema::parse),
            ..Default::default()
        })
        .collect();
    let mut each = Vec::new();
    let start = Instant::now();
    let mut last = Vec::new();
    for _ in 0..rounds {
        for q in &queries {
            let t = Instant::now();
            let mut s = matcher.screen(q, thresholds)?;
            embargo_screen::regime_link::attach(&mut s, matcher, regime, today);
            each.push(t.elapsed());
            if last.len() < queries.len() {
                last.push(s);
            }
        }
    }
    report("matcher + regime link", each.len(), start.elapsed(), each);
    Ok(last)
}

/// 2. Encoding the answers as the handler does.
fn time_encoding(
    screenings: &[embargo_screen::Screening],
    thresholds: &embargo_screen::Thresholds,
    rounds: usize,
) -> anyhow::Result<()> {
    let mut each = Vec::new();
    let start = Instant::now();
    let mut bytes = 0usize;
    for _ in 0..rounds {
        for s in screenings {
            let t = Instant::now();
            let v = serde_json::to_vec(&serde_json::json!({
                "decision": s.decision, "matches": s.hits, "thresholds": thresholds,
            }))?;
            bytes += v.len();
            each.push(t.elapsed());
        }
    }
    let n = each.len();
    report("encode answer (JSON)", n, start.elapsed(), each);
    println!("  mean answer size {} bytes", bytes / n.max(1));
    Ok(())
}

/// 3. The audit append alone, one at a time and 32 in flight.
async fn time_audit(
    audit: &Arc<embargo_server::audit::AuditLog>,
    screenings: &[embargo_screen::Screening],
    versions: serde_json::Value,
    rounds: usize,
) -> anyhow::Result<()> {
    let record = |i: usize| AuditRecord {
        time: chrono::Utc::now().to_rfc3339(),
        key_id: None,
        request_id: format!("split-{i}"),
        kind: "screen".into(),
        query: serde_json::json!({"name": NAMES[i % NAMES.len()].0}),
        list_versions: versions.clone(),
        hits: screenings[i % screenings.len()]
            .hits
            .iter()
            .map(AuditHit::from)
            .collect(),
        decision: "match".into(),
    };
    let n = rounds.min(400);
    let mut each = Vec::new();
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        audit.append(&record(i)).await?;
        each.push(t.elapsed());
    }
    report("audit append, 1 in flight", n, start.elapsed(), each);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..32 {
        let audit = audit.clone();
        let recs: Vec<AuditRecord> = (0..n).map(|i| record(w * n + i)).collect();
        tasks.push(tokio::spawn(async move {
            let mut each = Vec::new();
            for r in &recs {
                let t = Instant::now();
                audit.append(r).await?;
                each.push(t.elapsed());
            }
            anyhow::Ok(each)
        }));
    }
    let mut each = Vec::new();
    for t in tasks {
        each.extend(t.await??);
    }
    report(
        "audit append, 32 in flight (group commit)",
        each.len(),
        start.elapsed(),
        each,
    );
    Ok(())
}

/// One `POST /api/v1/screen` through the router; its time.
async fn post_screen(router: axum::Router, body: String) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let resp = router
        .oneshot(
            Request::post("/api/v1/screen")
                .header("content-type", "application/json")
                .body(Body::from(body))?,
        )
        .await?;
    let status = resp.status();
    let _ = axum::body::to_bytes(resp.into_body(), usize::MAX).await?;
    if !status.is_success() {
        bail!("screen answered {status}");
    }
    Ok(t.elapsed())
}

/// 4. The whole request through the router, one at a time and 32 in flight.
async fn time_router(router: &axum::Router, rounds: usize) -> anyhow::Result<()> {
    let bodies: Vec<String> = NAMES.iter().map(|(n, s)| body(n, *s)).collect();
    let mut each = Vec::new();
    let start = Instant::now();
    for _ in 0..rounds {
        for b in &bodies {
            each.push(post_screen(router.clone(), b.clone()).await?);
        }
    }
    report(
        "POST /api/v1/screen, 1 in flight",
        each.len(),
        start.elapsed(),
        each,
    );
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..32 {
        let bodies = bodies.clone();
        let router = router.clone();
        tasks.push(tokio::spawn(async move {
            let mut each = Vec::new();
            for i in 0..(rounds * bodies.len() / 32).max(1) {
                each.push(
                    post_screen(router.clone(), bodies[(w + i) % bodies.len()].clone()).await?,
                );
            }
            anyhow::Ok(each)
        }));
    }
    let mut each = Vec::new();
    for t in tasks {
        each.extend(t.await??);
    }
    report(
        "POST /api/v1/screen, 32 in flight",
        each.len(),
        start.elapsed(),
        each,
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!("usage: screen_split UN.xml sdn.csv [ROUNDS]");
    }
    let rounds: usize = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let config = ServerConfig::new("127.0.0.1:0".parse()?, dir.path().to_path_buf());
    let regime = embargo_regime::Regime::bundled()?;
    let built = embargo_server::build(config, regime)?;
    let router = built.router.clone();
    let state = built.state.clone();
    let key = state.keys.create("split")?.token;
    import_lists(&router, &key, &args[1], &args[2]).await?;
    let lists = state.lists.load_full();
    let matcher = lists.matcher.as_ref().context("no lists")?;
    let entities: usize = lists.lists.iter().map(|l| l.entities).sum();
    println!(
        "lists: {entities} entities; {rounds} rounds of {} names",
        NAMES.len()
    );
    let thresholds = state.config.thresholds;
    let screenings = time_matcher(matcher, &state.regime, &thresholds, rounds)?;
    time_encoding(&screenings, &thresholds, rounds)?;
    let audit = Arc::new(state.audit.clone());
    time_audit(
        &audit,
        &screenings,
        serde_json::json!(lists.versions()),
        rounds,
    )
    .await?;
    time_router(&router, rounds).await?;
    // Every handle on the state (and so on the audit log) goes before the writer is
    // joined, or the join would wait for ever.
    drop((audit, router, state, lists));
    tokio::task::spawn_blocking(move || built.finish()).await?;
    Ok(())
}
