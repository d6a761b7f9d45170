//! `--cluster`: a scheduler and two executors (`embargo cluster ...` child processes on
//! loopback) give the answers of a local run, row for row, for a `trade sql` aggregation
//! over an imported store, `trade query`, the shipment check over a CSV, the analyses
//! (`signals`, `relief`, `trade query --by measure`) and, with the UN list from
//! `../shared`, the screening of names; and what happens when an executor is killed
//! while a query runs (docs/cluster.md).
//!
//! Every wait is bounded, and every node is killed when the test ends, fails or panics.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::embargo;
use embargo_fixtures::{run_ok, shared_file, workspace_root};

use crate::common;

/// How long a node may take to come up, and a query to answer.
const START: Duration = Duration::from_secs(60);
const QUERY: Duration = Duration::from_secs(120);

/// A node: the child process, the lines it wrote to stderr so far (kept for a failure's
/// message), and a channel of them as they come. Killed when dropped.
struct Node {
    name: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    lines: Receiver<String>,
}

impl Node {
    fn start(name: &str, mut cmd: Command) -> Node {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .env("EMBARGO_LOG", "info");
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stderr = child.stderr.take().expect("stderr piped");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, lines) = channel();
        let kept = log.clone();
        // Reads until the node exits, so that its pipe never fills and blocks it.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut l) = kept.lock() {
                    l.push(line.clone());
                }
                let _ = tx.send(line);
            }
        });
        Node {
            name: name.to_string(),
            child,
            log,
            lines,
        }
    }

    /// The first line (from now on) that contains `needle`, waiting at most `limit`.
    fn wait_for(&self, needle: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "{} did not log {needle:?} within {limit:?}; its log:\n{}",
                    self.name,
                    self.log_text()
                ),
            }
        }
    }

    fn log_text(&self) -> String {
        self.log.lock().map(|l| l.join("\n")).unwrap_or_default()
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free loopback port (taken from the system, then let go for the node to bind).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

struct Cluster {
    url: String,
    scheduler: Node,
    executors: Vec<Node>,
}

/// A scheduler and `n` executors on loopback, each registered.
fn cluster(data: &Path, n: usize) -> Cluster {
    let mut cmd = embargo(data);
    cmd.args([
        "cluster",
        "scheduler",
        "--bind",
        "127.0.0.1:0",
        "--executor-timeout",
        "6",
    ]);
    let scheduler = Node::start("scheduler", cmd);
    let line = scheduler.wait_for("listening on", START);
    let addr = line
        .split("listening on ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("scheduler address in {line:?}"))
        .to_string();
    let mut executors = Vec::new();
    for i in 0..n {
        let mut cmd = embargo(data);
        cmd.args(["cluster", "executor", "--scheduler", &addr, "--bind"])
            .arg(format!("127.0.0.1:{}", free_port()))
            .arg("--grpc-port")
            .arg(free_port().to_string())
            .args(["--concurrent-tasks", "2", "--heartbeat", "1", "--work-dir"])
            // Inside the test's directory: a killed executor leaves its shuffle files.
            .arg(data.join(format!("executor-{i}")));
        executors.push(Node::start(&format!("executor {i}"), cmd));
    }
    for e in &executors {
        e.wait_for("registration succeed", START);
    }
    Cluster {
        url: format!("df://{addr}"),
        scheduler,
        executors,
    }
}

/// Runs `cmd`, killing it after `limit`. Its output is read as it comes (a full pipe
/// would stop it).
fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(child.stdout.take().map(|p| Box::new(p) as _));
    let stderr = drain(child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{cmd:?} did not finish within {limit:?}");
            }
        }
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn ok_within(cmd: &mut Command, limit: Duration, cluster: &Cluster) -> Output {
    let out = output_within(cmd, limit);
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\nscheduler log:\n{}\nexecutor logs:\n{}",
        String::from_utf8_lossy(&out.stderr),
        cluster.scheduler.log_text(),
        cluster
            .executors
            .iter()
            .map(Node::log_text)
            .collect::<Vec<_>>()
            .join("\n---\n")
    );
    out
}

/// A store of `files` imported plain CSV files, `rows` rows each: several partners, HS
/// codes, flows and years, with whole-dollar values (sums are exact in any order).
fn import_store(data: &Path, files: usize, rows: usize) {
    let partners = ["KP", "RU", "JP", "KR", "VN"];
    let hs = ["2701", "2601", "0301", "6110", "8703", "2709"];
    let flows = ["import", "export"];
    let mut paths = Vec::new();
    for f in 0..files {
        let path = data.join(format!("trade-{f}.csv"));
        let mut w = std::io::BufWriter::new(std::fs::File::create(&path).expect("csv"));
        writeln!(w, "reporter,partner,flow,year,hs,value_usd,source,series").expect("write");
        for i in 0..rows {
            let n = f * rows + i;
            writeln!(
                w,
                "CN,{},{},{},{},{},test,COMTRADE",
                partners[n % partners.len()],
                flows[(n / 7) % flows.len()],
                2014 + (n % 6),
                hs[(n / 3) % hs.len()],
                1 + (n * 37) % 1000
            )
            .expect("write");
        }
        w.flush().expect("flush");
        paths.push(path);
    }
    // Comtrade rows with quantities and weights, for the analyses' plan.
    paths.push(workspace_root().join("crates/cli/tests/fixtures/comtrade-exposure.csv"));
    for p in paths {
        run_ok(embargo(data).args(["trade", "import"]).arg(p));
    }
}

const AGGREGATION: &str =
    "SELECT partner, flow, year, hs, sum(value_usd) AS value_usd, count(*) AS n \
     FROM trade GROUP BY partner, flow, year, hs ORDER BY partner, flow, year, hs";

fn shipments_sql() -> String {
    format!(
        "SELECT id, get_field(c, 'verdict') AS verdict, get_field(c, 'citations') AS citations, \
           get_field(c, 'conditions') AS conditions, get_field(c, 'confidence') AS confidence \
         FROM (SELECT id, check(hs, origin, destination, date, quantity, unit, value_usd, via) AS c \
               FROM read_csv('{}')) ORDER BY id",
        workspace_root().join("examples/shipments.csv").display()
    )
}

#[test]
fn a_cluster_answers_as_a_local_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    import_store(data, 4, 5_000);
    let c = cluster(data, 2);
    let local = |args: &[&str]| run_ok(embargo(data).args(args)).stdout;
    let remote = |args: &[&str]| {
        ok_within(
            embargo(data).args(args).args(["--cluster", c.url.as_str()]),
            QUERY,
            &c,
        )
        .stdout
    };

    // An aggregation over the imported store: JSON and CSV, the same bytes.
    let sql = ["--json", "trade", "sql", AGGREGATION];
    let here = local(&sql);
    let v: serde_json::Value = serde_json::from_slice(&here).expect("json");
    let groups = v["rows"].as_array().map_or(0, Vec::len);
    assert!(groups > 50, "{groups} groups");
    assert_eq!(
        String::from_utf8_lossy(&remote(&sql)),
        String::from_utf8_lossy(&here)
    );
    let csv = ["trade", "sql", "--csv", AGGREGATION];
    assert_eq!(remote(&csv), local(&csv));

    // A grouped query through the mirror, and one over the bundled figures (an in-memory
    // table sent with the plan).
    let query = [
        "--json",
        "trade",
        "query",
        "--reporter",
        "KP",
        "--flow",
        "export",
        "--by",
        "hs4",
    ];
    assert_eq!(remote(&query), local(&query));
    let bundled = [
        "--json",
        "trade",
        "query",
        "--reporter",
        "CN",
        "--partner",
        "KP",
        "--by",
        "hs2",
        "--bundled",
    ];
    assert_eq!(remote(&bundled), local(&bundled));

    // The shipment check over a CSV (read_csv), and a join with the regime's coverage.
    let check_sql = shipments_sql();
    let check = ["--json", "trade", "sql", &check_sql];
    let here = local(&check);
    let v: serde_json::Value = serde_json::from_slice(&here).expect("json");
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(9));
    assert_eq!(remote(&check), here);
    let coverage = [
        "--json",
        "trade",
        "sql",
        "SELECT t.hs, count(*) AS measures FROM trade t JOIN regime_coverage c \
           ON starts_with(t.hs, c.hs_prefix) GROUP BY t.hs ORDER BY t.hs",
    ];
    assert_eq!(remote(&coverage), local(&coverage));

    // The analyses: their condensing plan sums on the cluster and groups here.
    for args in [
        &["--json", "signals"][..],
        &["--json", "relief", "--baseline", "2016"][..],
        &[
            "--json",
            "trade",
            "query",
            "--reporter",
            "KP",
            "--by",
            "measure",
        ][..],
    ] {
        let here = local(args);
        assert!(
            here.len() > 100,
            "{args:?}: {}",
            String::from_utf8_lossy(&here)
        );
        assert_eq!(
            String::from_utf8_lossy(&remote(args)),
            String::from_utf8_lossy(&here),
            "{args:?}"
        );
    }

    // Screening names over the data directory's lists (read by every executor), when the
    // UN list is at hand.
    if let Some(un) = shared_file("data/un-sc-consolidated/consolidated.xml") {
        run_ok(
            embargo(data)
                .args(["lists", "import", "--source", "un", "--json"])
                .arg(&un),
        );
        let names = data.join("names.csv");
        std::fs::write(
            &names,
            "id,name,schema,dob,country,imo\n\
             n1,Pak Chol Min,person,1980,KP,\n\
             n2,Korea Ryonbong General Corp,organization,,KP,\n\
             n3,Liaoning Sample Logistics Co. Ltd,organization,,CN,\n\
             n4,Jie Shun,vessel,,,8518780\n\
             n5,,person,,,\n",
        )
        .expect("names");
        let sql = format!(
            "SELECT id, get_field(s, 'decision') AS decision, get_field(s, 'hit_id') AS hit, \
               get_field(s, 'score') AS score, get_field(s, 'error') AS error, \
               get_field(s, 'list_versions') AS lists \
             FROM (SELECT id, screen(name, schema, dob, country, imo) AS s \
                   FROM read_csv('{}')) ORDER BY id",
            names.display()
        );
        let screen = ["--json", "trade", "sql", &sql];
        let here = local(&screen);
        let v: serde_json::Value = serde_json::from_slice(&here).expect("json");
        assert_eq!(v["rows"].as_array().map(Vec::len), Some(5));
        assert_eq!(
            String::from_utf8_lossy(&remote(&screen)),
            String::from_utf8_lossy(&here)
        );
        batch_screening_on_the_cluster(data, &c);
    }

    // The batch check: blocks checked by the executors, the same bytes as a local run.
    let ships = data.join("ships.csv");
    write_shipments(&ships, 3 << 20);
    let batch = ships.to_string_lossy().into_owned();
    for format in ["csv", "jsonl"] {
        let args = ["check", "--batch", batch.as_str(), "--format", format];
        let here = local(&args);
        assert!(here.len() > 3 << 20, "{format}: {} bytes", here.len());
        assert!(
            remote(&args) == here,
            "check --batch --format {format} differs"
        );
    }
    // To stdout, the executors left the blocks beside the input; nothing of that is left.
    let left: Vec<_> = std::fs::read_dir(data)
        .expect("data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".parts-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // Parquet: each block's table travels as Arrow IPC; the file is the local one's.
    let (here_file, there_file) = (data.join("local.parquet"), data.join("remote.parquet"));
    for (file, cluster) in [(&here_file, None), (&there_file, Some(c.url.as_str()))] {
        let mut cmd = embargo(data);
        cmd.args([
            "check",
            "--batch",
            batch.as_str(),
            "--format",
            "parquet",
            "--out",
        ])
        .arg(file);
        if let Some(url) = cluster {
            cmd.args(["--cluster", url]);
        }
        ok_within(&mut cmd, QUERY, &c);
    }
    let here = std::fs::read(&here_file).expect("local parquet");
    assert!(
        here.starts_with(b"PAR1") && here.len() > 100_000,
        "{} bytes",
        here.len()
    );
    assert!(
        std::fs::read(&there_file).expect("cluster parquet") == here,
        "check --batch --format parquet differs"
    );

    // EMBARGO_CLUSTER does what --cluster does.
    let out = ok_within(
        embargo(data)
            .env("EMBARGO_CLUSTER", &c.url)
            .args(["--json", "trade", "sql", AGGREGATION]),
        QUERY,
        &c,
    );
    assert_eq!(out.stdout, local(&["--json", "trade", "sql", AGGREGATION]));
}

/// Shipments of every kind (bans, a cap, bad rows, a quoted id over two lines), repeated
/// to `bytes`: several blocks of the batch plans.
fn write_shipments(path: &Path, bytes: usize) {
    let mut s = String::from("id,hs,origin,destination,date,quantity,unit,value_usd\n");
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&format!(
            "c{i},2701,KP,CN,2017-09-15,,,\n\
             r{i},5701,CN,KP,2017-06-01,,,900\n\
             d{i},2701,KP,CN,2017-02-30,,,\n\
             \"q,{i}\nx\",0302,KP,CN,2018-01-10,,,\n\
             o{i},2709,RU,KP,2018-03-01,1000,bbl,\n\
             p{i},8471,CN,JP,2019-05-01,,,\n"
        ));
        i += 1;
    }
    std::fs::write(path, s).expect("shipments");
}

/// `screen --batch` on the cluster: the same lines as a local run, and the same audit
/// records (one per screened row, kept by the client).
fn batch_screening_on_the_cluster(data: &Path, c: &Cluster) {
    let names = data.join("batch-names.csv");
    let mut s = String::from("id,name,schema,country\n");
    for i in 0..400 {
        s.push_str(&format!(
            "a{i},Pak Chol Min,person,KP\n\
             b{i},\"Korea Ryonbong General Corp, Pyongyang\",organization,KP\n\
             c{i},Sample Trading {i} Ltd,organization,CN\n\
             d{i},,person,\n"
        ));
    }
    std::fs::write(&names, s).expect("names");
    // Every audit record so far (none before the first audited screening: no log yet).
    let audited = || {
        let out = embargo(data)
            .args(["audit", "export"])
            .output()
            .expect("audit export");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("audit line"))
            .collect::<Vec<_>>()
    };
    let before = audited().len();
    let args = [
        "screen",
        "--batch",
        names.to_str().expect("path"),
        "--format",
        "jsonl",
    ];
    let here = run_ok(embargo(data).args(args)).stdout;
    let local_audit = audited().len() - before;
    let there = ok_within(
        embargo(data).args(args).args(["--cluster", c.url.as_str()]),
        QUERY,
        c,
    )
    .stdout;
    assert_eq!(here.iter().filter(|b| **b == b'\n').count(), 1600);
    assert!(there == here, "screen --batch differs on the cluster");
    let records = audited();
    let cluster_audit = records.len() - before - local_audit;
    assert_eq!(local_audit, 1200, "one record per screened row");
    assert_eq!(cluster_audit, local_audit);
    let what = |r: &serde_json::Value| {
        let r = &r["record"];
        (r["query"].clone(), r["hits"].clone(), r["decision"].clone())
    };
    let (a, b) = records[before..].split_at(local_audit);
    assert!(a.iter().map(what).eq(b.iter().map(what)));
}

#[test]
fn a_cluster_that_is_not_one_or_not_there_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = output_within(
        embargo(dir.path()).args(["trade", "sql", "SELECT 1", "--cluster", "http://x:1"]),
        QUERY,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("http://x:1") && err.contains("df://HOST:PORT"),
        "{err}"
    );
    // Nothing listens on port 1: the command fails at once and names the scheduler.
    let out = output_within(
        embargo(dir.path()).args([
            "trade",
            "sql",
            "SELECT count(*) FROM trade",
            "--cluster",
            "df://127.0.0.1:1",
        ]),
        QUERY,
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the scheduler at 127.0.0.1:1: "),
        "{err}"
    );
    // A batch sent there prints nothing either (not even its header) and writes no file.
    let ships = workspace_root().join("examples/shipments.csv");
    let to_file = dir.path().join("verdicts.csv");
    for out_arg in ["-", to_file.to_str().expect("path")] {
        let out = output_within(
            embargo(dir.path())
                .args(["check", "--batch"])
                .arg(&ships)
                .args(["--out", out_arg, "--cluster", "df://127.0.0.1:1"]),
            QUERY,
        );
        assert!(!out.status.success());
        assert!(
            out.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert!(!to_file.exists());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("cannot reach the scheduler at 127.0.0.1:1: "),
            "{err}"
        );
    }
}

/// A scheduler without executors: a command waits for one at most EMBARGO_CLUSTER_WAIT
/// seconds, says so, and fails naming the command that starts one, printing nothing.
/// Then an executor given port 0 for both its services registers, and the same command
/// answers as a local run.
#[test]
fn a_scheduler_without_executors_is_waited_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    import_store(data, 1, 500);
    let mut c = cluster(data, 0);
    let sql = ["--json", "trade", "sql", AGGREGATION, "--cluster"];
    let started = Instant::now();
    // Plain (not --json) errors, so the quotes in the messages are the scheduler's own.
    let out = output_within(
        embargo(data)
            .args(&sql[1..])
            .arg(&c.url)
            .env("EMBARGO_CLUSTER_WAIT", "1"),
        QUERY,
    );
    assert!(!out.status.success());
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    let scheduler = c.url.trim_start_matches("df://");
    assert!(
        err.contains(&format!(
            "waiting for an executor: the scheduler at {} says \"not ready: 0/1 executors registered\"",
            c.url
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!(
            "the cluster {} has no executor (waited 1s; the scheduler says \"not ready: 0/1 \
             executors registered\"): start one with `embargo cluster executor --scheduler {scheduler}`",
            c.url
        )),
        "{err}"
    );
    let mut cmd = embargo(data);
    cmd.args(["cluster", "executor", "--scheduler", scheduler])
        .args(["--bind", "127.0.0.1:0", "--grpc-port", "0"])
        .arg("--work-dir")
        .arg(data.join("executor-0"));
    c.executors.push(Node::start("executor 0", cmd));
    let line = c.executors[0].wait_for("embargo executor on", START);
    assert!(!line.contains(":0 ") && !line.contains("port 0)"), "{line}");
    c.executors[0].wait_for("registration succeed", START);
    let local = run_ok(embargo(data).args(&sql[..4])).stdout;
    assert!(local.len() > 100, "{}", String::from_utf8_lossy(&local));
    let on_cluster = ok_within(embargo(data).args(sql).arg(&c.url), QUERY, &c);
    assert_eq!(on_cluster.stdout, local);
}

/// An executor killed while a query runs: the query gives the local answer (Ballista
/// runs the lost tasks again on the other executor) or fails with an error and prints
/// nothing. Which one happened is printed (`--nocapture`) for docs/cluster.md.
#[test]
fn an_executor_killed_mid_query() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    import_store(data, 8, 20_000);
    let mut c = cluster(data, 2);
    let args = ["--json", "trade", "sql", AGGREGATION];
    let here = run_ok(embargo(data).args(args)).stdout;
    let mut query = embargo(data)
        .args(args)
        .args(["--cluster", c.url.as_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("query");
    let started = Instant::now();
    let victim = kill_the_first_busy_executor(&mut c, &mut query);
    let out = query.wait_with_output().expect("query output");
    let elapsed = started.elapsed();
    // What the scheduler made of the loss (lines naming a failure, a lost executor, a
    // rerun), for the record.
    let seen: Vec<String> = c
        .scheduler
        .log_text()
        .lines()
        .filter(|l| {
            let l = l.to_lowercase();
            l.contains("warn") || l.contains("error") || l.contains("lost") || l.contains("fail")
        })
        .map(str::to_string)
        .collect();
    eprintln!(
        "query ended {elapsed:?} after it started; scheduler said:\n{}",
        seen.join("\n")
    );
    if out.status.success() {
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&here),
            "the query survived the kill but answered differently"
        );
        eprintln!("executor {victim} killed mid-query: the query answered as a local run");
    } else {
        assert!(
            out.stdout.is_empty(),
            "a failed query printed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error"), "{err}");
        eprintln!("executor {victim} killed mid-query: the query failed: {err}");
    }
}

/// Kills (SIGKILL) the executor that takes the first task of `query`'s job as soon as it
/// logs it, and waits for `query` to end. Returns which executor it was.
fn kill_the_first_busy_executor(c: &mut Cluster, query: &mut Child) -> usize {
    let started = Instant::now();
    let victim = loop {
        if started.elapsed() > START {
            let _ = query.kill();
            let _ = query.wait();
            panic!("no executor took a task within {START:?}");
        }
        let hit = c.executors.iter().position(|e| {
            e.lines
                .try_recv()
                .map(|l| l.contains("Execute task"))
                .unwrap_or(false)
        });
        if let Some(i) = hit {
            break i;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    c.executors[victim].kill();
    let deadline = Instant::now() + QUERY;
    while query.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = query.kill();
            let _ = query.wait();
            panic!(
                "the command did not end within {QUERY:?} after an executor was killed; scheduler log:\n{}",
                c.scheduler.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    victim
}

/// A batch check whose executor is killed mid-run either writes what a local run writes
/// or fails and writes nothing (no output file, no temporary file beside it).
#[test]
fn an_executor_killed_mid_batch_check() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path();
    let ships = data.join("ships.csv");
    write_shipments(&ships, 12 << 20);
    let out_dir = data.join("out");
    std::fs::create_dir(&out_dir).expect("out dir");
    let local_out = data.join("local.csv");
    run_ok(
        embargo(data)
            .args(["check", "--batch"])
            .arg(&ships)
            .arg("--out")
            .arg(&local_out),
    );
    let mut c = cluster(data, 2);
    let remote_out = out_dir.join("verdicts.csv");
    let mut run = embargo(data)
        .args(["check", "--batch"])
        .arg(&ships)
        .arg("--out")
        .arg(&remote_out)
        .args(["--cluster", c.url.as_str()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("check");
    let victim = kill_the_first_busy_executor(&mut c, &mut run);
    let out = run.wait_with_output().expect("check output");
    let left: Vec<_> = std::fs::read_dir(&out_dir)
        .expect("out dir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    if out.status.success() {
        let (a, b) = (
            std::fs::read(&local_out).expect("local"),
            std::fs::read(&remote_out).expect("remote"),
        );
        assert!(a == b, "the run survived the kill but wrote other verdicts");
        assert_eq!(left.len(), 1, "{left:?}");
        eprintln!("executor {victim} killed mid batch check: the run wrote a local run's output");
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(left.is_empty(), "a failed run left {left:?}");
        assert!(err.contains("running on the cluster"), "{err}");
        eprintln!(
            "executor {victim} killed mid batch check: the run failed and wrote nothing: {err}"
        );
    }
}
