//! What auditing a screening batch costs: `append_now` of N records (three hits each, the
//! shape `embargo screen --batch` writes for a row) in blocks of 8,192, as the command line
//! commits them; then the same rows as one record per block.
//!
//! ```sh
//! cargo run --release -p embargo-audit --example append_cost -- 1000000
//! ```

use std::time::Instant;

use embargo_audit::{append_now, AuditHit, AuditRecord};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(100_000);
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("server.sqlite");
    let record = |i: usize| AuditRecord {
        time: "2026-12-01T23:00:00.000000Z".into(),
        key_id: Some("local:bench".into()),
        request_id: "cli-1-20261201T230000.000000Z".into(),
        kind: "screen_batch".into(),
        query: serde_json::json!({"row": i, "input_id": format!("r{i}"), "name": "KIM CHOL MIN", "schema": "person"}),
        list_versions: serde_json::json!({"un": "20261201T230000.000Z-4788d48c", "ofac": "20261201T230001.000Z-0a1b2c3d"}),
        hits: (0..3)
            .map(|k| AuditHit {
                id: format!("KPi.{k:03}"),
                source: "un".into(),
                name: "KIM CHOL".into(),
                score: 0.71,
            })
            .collect(),
        decision: "review".into(),
    };
    // The share of encoding and hashing alone, without the store.
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut prev = embargo_audit::GENESIS_HASH.to_string();
    for i in 0..n {
        let body = serde_json::to_string(&record(i))?;
        prev = embargo_audit::link_hash(i as u64 + 1, &prev, &body);
        bytes += body.len();
    }
    let encode_s = t.elapsed().as_secs_f64();
    println!(
        "encoding and chaining alone: {:.1} µs a record ({} bytes a record)",
        encode_s * 1e6 / n as f64,
        bytes / n.max(1)
    );
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let block: Vec<AuditRecord> = (done..(done + 8192).min(n)).map(record).collect();
        append_now(&path, &block)?;
        done += block.len();
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "a record a row: {n} records in {s:.2}s: {:.0} records/s ({:.1} µs a row)",
        n as f64 / s,
        s * 1e6 / n as f64
    );
    // The alternative form: one record per block of rows, each row's query, decision and
    // hits inside it (`embargo screen --batch` writes a record a row, as the server does).
    let path = dir.path().join("blocks.sqlite");
    let t = Instant::now();
    let mut done = 0;
    while done < n {
        let rows: Vec<serde_json::Value> = (done..(done + 8192).min(n))
            .map(|i| {
                let r = record(i);
                serde_json::json!({"row": i, "name": "KIM CHOL MIN", "decision": r.decision, "hits": r.hits})
            })
            .collect();
        let mut block = record(done);
        block.query = serde_json::json!({"file": "batch.csv", "rows": rows});
        block.hits = Vec::new();
        done += 8192.min(n - done);
        append_now(&path, &[block])?;
    }
    let s = t.elapsed().as_secs_f64();
    println!(
        "a record a block of 8,192 rows: {n} rows in {s:.2}s ({:.1} µs a row)",
        s * 1e6 / n as f64
    );
    Ok(())
}
