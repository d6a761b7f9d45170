//! Exposure benchmark: OFAC's 50% rule on a generated graph (default 1,000,000 companies
//! and 5,000,000 ownership edges), embargo-network in memory against the same computation
//! in SQLite (recursive CTE for the upstream set, then the least fixpoint as iterated SQL),
//! in the same process on the same machine.
//!
//! Run: `bash bench/network/run.sh` (release), or
//! `BENCH_COMPANIES=100000 BENCH_EDGES=500000 cargo bench -p embargo-network --bench exposure`.
//!
//! The graph: companies in groups of 100 (a corporate group), each company owned by up to
//! five earlier companies of its group with shares summing to at most 100%; 1,000
//! designated persons hold stakes in random companies. Acyclic, so both sides agree on
//! every answer, which the benchmark checks before timing anything.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use embargo_network::{
    blocked_set, exposure, Designation, Edge, EdgeKind, ExposureOptions, Graph, Node, NodeKind,
    Period, Status,
};
use rusqlite::{params, Connection};

const GROUP: usize = 100;
const DESIGNEES: usize = 1_000;

/// splitmix64: a small deterministic generator, so every run builds the same graph.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

/// (owner, owned, share) with ids 0..DESIGNEES for designees, then companies.
fn generate(companies: usize, edges: usize, seed: u64) -> Vec<(u32, u32, f64)> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(edges);
    let per_company = (edges as f64 / companies as f64).max(1.0);
    let designee_stakes = DESIGNEES * 20;
    let company_edges = edges.saturating_sub(designee_stakes);
    for c in 0..companies {
        if out.len() >= company_edges {
            break;
        }
        let in_group = c % GROUP;
        // A designee holds a stake in this company with probability stakes/companies.
        let designee = (rng.below(companies as u64) < designee_stakes as u64)
            .then(|| rng.below(DESIGNEES as u64) as u32);
        let k = (per_company.round() as usize).min(in_group);
        let mut owners: Vec<u32> = Vec::with_capacity(k + 1);
        for _ in 0..k {
            let o = (c - 1 - rng.below(in_group as u64) as usize) + DESIGNEES;
            if !owners.contains(&(o as u32)) {
                owners.push(o as u32);
            }
        }
        if let Some(d) = designee {
            owners.push(d);
        }
        if owners.is_empty() {
            continue;
        }
        // Shares: random weights scaled to a total of 60..100%, rounded to 0.1.
        let weights: Vec<u64> = owners.iter().map(|_| 1 + rng.below(100)).collect();
        let total: u64 = weights.iter().sum();
        let pct = 60.0 + rng.below(41) as f64;
        for (o, w) in owners.iter().zip(&weights) {
            let share = ((pct * *w as f64 / total as f64) * 10.0).floor() / 10.0;
            out.push((*o, (c + DESIGNEES) as u32, share));
        }
    }
    // Top up with designee stakes to reach the edge count exactly; one record per
    // (owner, owned) pair, as both sides must read the same holdings.
    let mut pairs: std::collections::HashSet<(u32, u32)> =
        out.iter().map(|&(o, t, _)| (o, t)).collect();
    while out.len() < edges {
        let d = rng.below(DESIGNEES as u64) as u32;
        let c = rng.below(companies as u64) as u32 + DESIGNEES as u32;
        if pairs.insert((d, c)) {
            out.push((d, c, 1.0 + rng.below(30) as f64));
        }
    }
    out
}

fn build_graph(companies: usize, edges: &[(u32, u32, f64)]) -> Graph {
    let mut g = Graph::new();
    for d in 0..DESIGNEES {
        let mut n = Node::new(format!("d{d}"), NodeKind::Person, format!("DESIGNEE {d}"));
        n.designations.push(Designation {
            list: "bench".into(),
            reference: d.to_string(),
            programs: vec!["DPRK".into()],
            listed_on: None,
        });
        g.add_node(n);
    }
    for c in 0..companies {
        g.add_node(Node::new(
            format!("c{c}"),
            NodeKind::Organization,
            format!("COMPANY {c}"),
        ));
    }
    let name = |i: u32| {
        if (i as usize) < DESIGNEES {
            format!("d{i}")
        } else {
            format!("c{}", i as usize - DESIGNEES)
        }
    };
    for &(o, t, s) in edges {
        let _ = g.add_edge(Edge {
            from: name(o),
            to: name(t),
            kind: EdgeKind::Ownership,
            share_pct: Some(s),
            period: Period::default(),
            source: "generated".into(),
            origin: "bench".into(),
        });
    }
    g
}

fn build_sqlite(edges: &[(u32, u32, f64)]) -> Connection {
    let conn = Connection::open_in_memory().expect("sqlite");
    conn.execute_batch(
        "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
         CREATE TABLE edges(src INTEGER NOT NULL, dst INTEGER NOT NULL, share REAL NOT NULL);
         CREATE TABLE designees(id INTEGER PRIMARY KEY);",
    )
    .expect("schema");
    let tx = conn.unchecked_transaction().expect("tx");
    {
        let mut ins = tx
            .prepare("INSERT INTO edges(src, dst, share) VALUES (?1, ?2, ?3)")
            .expect("prep");
        for &(o, t, s) in edges {
            ins.execute(params![o, t, s]).expect("insert");
        }
        let mut d = tx
            .prepare("INSERT INTO designees(id) VALUES (?1)")
            .expect("prep");
        for i in 0..DESIGNEES {
            d.execute([i as i64]).expect("insert");
        }
    }
    tx.commit().expect("commit");
    conn.execute_batch(
        "CREATE INDEX edges_dst ON edges(dst); CREATE INDEX edges_src ON edges(src);",
    )
    .expect("index");
    conn
}

/// The 50% rule for one target in SQL: recursive CTE for the upstream set, then the least
/// fixpoint by repeated INSERT of newly blocked nodes. Returns whether the target is blocked.
fn sqlite_exposure(conn: &Connection, target: u32) -> bool {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.up; DROP TABLE IF EXISTS temp.blocked; DROP TABLE IF EXISTS temp.frontier;",
    )
    .expect("drop");
    conn.execute(
        "CREATE TEMP TABLE up AS WITH RECURSIVE up(id) AS (SELECT ?1 UNION SELECT e.src FROM edges e JOIN up ON e.dst = up.id) SELECT id FROM up",
        [target],
    )
    .expect("cte");
    conn.execute_batch(
        "CREATE TEMP TABLE blocked(id INTEGER PRIMARY KEY);
         CREATE TEMP TABLE frontier(id INTEGER PRIMARY KEY);
         INSERT INTO blocked SELECT id FROM up WHERE id IN (SELECT id FROM designees);
         INSERT INTO frontier SELECT id FROM blocked;",
    )
    .expect("init");
    fixpoint_sql(conn, "AND e.dst IN (SELECT id FROM up)");
    conn.query_row(
        "SELECT count(*) FROM temp.blocked WHERE id = ?1",
        [target],
        |r| r.get::<_, i64>(0),
    )
    .expect("answer")
        > 0
}

/// Worklist fixpoint in SQL: children of the last round's newly blocked nodes are checked
/// against the sum of shares held by blocked owners.
fn fixpoint_sql(conn: &Connection, restrict: &str) {
    loop {
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.cand;
             CREATE TEMP TABLE cand AS SELECT DISTINCT e.dst AS id FROM edges e JOIN temp.frontier f ON e.src = f.id
               WHERE e.dst NOT IN (SELECT id FROM temp.blocked) {restrict};
             DELETE FROM temp.frontier;
             INSERT INTO temp.frontier SELECT c.id FROM temp.cand c
               WHERE (SELECT sum(e.share) FROM edges e JOIN temp.blocked b ON b.id = e.src WHERE e.dst = c.id) >= 50 - 1e-9;
             INSERT INTO temp.blocked SELECT id FROM temp.frontier;"
        ))
        .expect("round");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM temp.frontier", [], |r| r.get(0))
            .expect("count");
        if n == 0 {
            break;
        }
    }
}

fn sqlite_blocked_set(conn: &Connection) -> i64 {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.blocked; DROP TABLE IF EXISTS temp.frontier;
         CREATE TEMP TABLE blocked(id INTEGER PRIMARY KEY);
         CREATE TEMP TABLE frontier(id INTEGER PRIMARY KEY);
         INSERT INTO blocked SELECT id FROM designees;
         INSERT INTO frontier SELECT id FROM designees;",
    )
    .expect("init");
    fixpoint_sql(conn, "");
    conn.query_row("SELECT count(*) FROM temp.blocked", [], |r| r.get(0))
        .expect("count")
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v.get(i).copied().unwrap_or_default()
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo test --benches` runs this with `--bench` absent; keep that a no-op.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let companies = env_usize("BENCH_COMPANIES", 1_000_000);
    let edge_count = env_usize("BENCH_EDGES", 5_000_000);
    let targets = env_usize("BENCH_TARGETS", 200);
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let opts = ExposureOptions::ofac(as_of);

    let t = Instant::now();
    let edges = generate(companies, edge_count, 42);
    println!(
        "generated {} companies, {} ownership edges, {DESIGNEES} designees in {:.2?}",
        companies,
        edges.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let graph = build_graph(companies, &edges);
    let rust_build = t.elapsed();
    let t = Instant::now();
    let conn = build_sqlite(&edges);
    let sqlite_build = t.elapsed();
    println!(
        "build: embargo-network graph {rust_build:.2?}; SQLite table + indexes {sqlite_build:.2?}"
    );

    // Whole graph: every blocked entity.
    let t = Instant::now();
    let statuses = blocked_set(&graph, opts);
    let rust_all = t.elapsed();
    let rust_blocked = statuses
        .iter()
        .filter(|s| matches!(s, Status::Blocked | Status::Designated))
        .count() as i64;
    let t = Instant::now();
    let sql_blocked = sqlite_blocked_set(&conn);
    let sql_all = t.elapsed();
    assert_eq!(rust_blocked, sql_blocked, "whole-graph answers differ");
    println!("whole graph 50% rule: embargo-network {rust_all:.2?}, SQLite {sql_all:.2?} ({rust_blocked} blocked incl. designees); ratio {:.1}x", sql_all.as_secs_f64() / rust_all.as_secs_f64());

    // Single targets: companies near the end of their group (deepest chains).
    let mut rng = Rng(7);
    let picks: Vec<u32> = (0..targets)
        .map(|_| {
            let g = rng.below((companies / GROUP) as u64) as usize;
            (g * GROUP + GROUP - 1 - rng.below(10) as usize).min(companies - 1) as u32
        })
        .collect();
    let mut rust_times = Vec::new();
    let mut sql_times = Vec::new();
    let mut blocked_targets = 0;
    for &c in &picks {
        let ix = graph.ix(&format!("c{c}")).expect("target");
        let t = Instant::now();
        let e = exposure(&graph, ix, opts).expect("exposure");
        rust_times.push(t.elapsed());
        let t = Instant::now();
        let sql = sqlite_exposure(&conn, c + DESIGNEES as u32);
        sql_times.push(t.elapsed());
        let rust = matches!(e.status, Status::Blocked | Status::Designated);
        assert_eq!(rust, sql, "target c{c}: answers differ");
        blocked_targets += usize::from(rust);
    }
    let rust_sum: Duration = rust_times.iter().sum();
    let sql_sum: Duration = sql_times.iter().sum();
    let (r50, r99) = (
        percentile(&mut rust_times, 0.5),
        percentile(&mut rust_times, 0.99),
    );
    let (s50, s99) = (
        percentile(&mut sql_times, 0.5),
        percentile(&mut sql_times, 0.99),
    );
    println!(
        "single target ({targets} targets, {blocked_targets} blocked): embargo-network p50 {r50:.2?} p99 {r99:.2?} mean {:.2?}; SQLite p50 {s50:.2?} p99 {s99:.2?} mean {:.2?}; ratio (mean) {:.1}x",
        rust_sum / targets as u32,
        sql_sum / targets as u32,
        sql_sum.as_secs_f64() / rust_sum.as_secs_f64()
    );
    println!("note: embargo-network's single-target time includes paths, look-through, control flags and data-issue checks; the SQLite side computes the status only");
}
