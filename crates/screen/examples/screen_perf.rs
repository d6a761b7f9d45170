//! Latency and throughput of screening against the whole UN list plus the whole OFAC SDN,
//! and pairwise comparisons per second on nomenklatura's name_bench pairs.
//! Run by bench/screen/run.sh (release build); prints one JSON object.
//!
//! `screen_perf UN_XML OFAC_SDN_CSV CASES_CSV [BATCH_QUERIES [QUERIES_CSV]]`: with
//! QUERIES_CSV, the batch's queries are also written there (column `name`) for the
//! end-to-end `embargo screen --batch` run of bench/screen/run.sh.

use std::time::Instant;

use embargo_names::compare::{compare_names, CompareParams};
use embargo_screen::{ofac, un, Matcher, Query, Thresholds};

/// CPU time of the calling thread in seconds (Linux `CLOCK_THREAD_CPUTIME_ID`): on a machine
/// shared with other builds, wall-clock latency includes time the thread spent waiting for a
/// core; CPU time is the cost of the query itself.
#[cfg(target_os = "linux")]
fn thread_cpu_s() -> f64 {
    #[repr(C)]
    struct Timespec {
        sec: i64,
        nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer to a local.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc == 0 {
        ts.sec as f64 + ts.nsec as f64 * 1e-9
    } else {
        f64::NAN
    }
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_s() -> f64 {
    f64::NAN
}

/// The batch's `n` queries, cycled from `queries`, as a CSV with a `name` column.
fn write_queries(
    path: &std::path::Path,
    queries: &[String],
    n: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["name"])?;
    for q in queries.iter().cycle().take(n) {
        w.write_record([q])?;
    }
    w.flush()?;
    Ok(())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [un_path, ofac_path, cases_path, ..] = args.as_slice() else {
        return Err(
            "usage: screen_perf UN_XML OFAC_SDN_CSV CASES_CSV [BATCH_QUERIES [QUERIES_CSV]]".into(),
        );
    };
    let batch_n: usize = args
        .get(3)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let t0 = Instant::now();
    let mut entities = un::read_file(un_path.as_ref())?.entities;
    let un_n = entities.len();
    entities.extend(ofac::read_files(&ofac::OfacFiles::beside(ofac_path.as_ref()))?.entities);
    let parse_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let matcher = Matcher::new(entities);
    let index_s = t1.elapsed().as_secs_f64();
    let names_total: usize = matcher.entities().iter().map(|e| e.names.len()).sum();

    // Queries: every listed primary name, with a deterministic perturbation on every other
    // one (drop a letter) so that exact and fuzzy lookups are both measured, plus names
    // that are not listed.
    let mut queries: Vec<String> = Vec::new();
    for (i, e) in matcher.entities().iter().enumerate() {
        let n = e.caption().to_string();
        if i % 2 == 1 && n.len() > 6 {
            let cut = n.len() / 2;
            let mut s = n.clone();
            if s.is_char_boundary(cut) && s.is_char_boundary(cut + 1) {
                s.remove(cut);
            }
            queries.push(s);
        } else {
            queries.push(n);
        }
    }
    for extra in [
        "John Smith",
        "Acme Trading Company Limited",
        "김정은",
        "Ocean Star",
        "Maria Garcia Lopez",
    ] {
        queries.push(extra.to_string());
    }
    if let Some(out) = args.get(4) {
        write_queries(out.as_ref(), &queries, batch_n)?;
    }
    let th = Thresholds::default();
    // Warm-up.
    for q in queries.iter().take(200) {
        let _ = matcher.screen(
            &Query {
                name: q.clone(),
                ..Default::default()
            },
            &th,
        )?;
    }
    let mut lat = Vec::with_capacity(queries.len());
    let mut cpu = Vec::with_capacity(queries.len());
    for q in &queries {
        let query = Query {
            name: q.clone(),
            ..Default::default()
        };
        let c = thread_cpu_s();
        let t = Instant::now();
        let s = matcher.screen(&query, &th)?;
        lat.push(t.elapsed().as_secs_f64() * 1e6);
        cpu.push((thread_cpu_s() - c) * 1e6);
        std::hint::black_box(s);
    }
    lat.sort_by(f64::total_cmp);
    cpu.sort_by(f64::total_cmp);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;

    // Batch throughput on 2 threads over `batch_n` queries cycled from the list above.
    let threads = 2usize;
    let t2 = Instant::now();
    let per = batch_n.div_ceil(threads);
    let decided: usize = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|k| {
                let matcher = &matcher;
                let queries = &queries;
                let th = &th;
                s.spawn(move || {
                    let mut n = 0usize;
                    for i in (k * per)..((k + 1) * per).min(batch_n) {
                        let q = Query {
                            name: queries[i % queries.len()].clone(),
                            ..Default::default()
                        };
                        if matcher.screen(&q, th).is_ok() {
                            n += 1;
                        }
                    }
                    n
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let batch_s = t2.elapsed().as_secs_f64();

    // Pairwise comparisons per second on the labelled pairs (one core).
    let cases = embargo_screen::eval::read_cases(cases_path.as_ref())?;
    let p = CompareParams::default();
    let rounds = 50;
    let t3 = Instant::now();
    for _ in 0..rounds {
        for c in &cases {
            std::hint::black_box(compare_names(&c.name1, &c.name2, &p));
        }
    }
    let pairs_s = t3.elapsed().as_secs_f64();
    let pairs_per_sec = (rounds * cases.len()) as f64 / pairs_s;

    println!(
        "{}",
        serde_json::json!({
            "entities": matcher.entities().len(), "un_entities": un_n, "names_and_aliases": names_total,
            "indexed_name_forms": matcher.name_count(),
            "parse_seconds": parse_s, "index_seconds": index_s,
            "single_query_us": {"queries": lat.len(), "p50": percentile(&lat, 0.5), "p95": percentile(&lat, 0.95),
                                "p99": percentile(&lat, 0.99), "max": lat.last(), "mean": mean(&lat)},
            "single_query_cpu_us": {"p50": percentile(&cpu, 0.5), "p95": percentile(&cpu, 0.95),
                                    "p99": percentile(&cpu, 0.99), "max": cpu.last(), "mean": mean(&cpu)},
            "batch": {"queries": batch_n, "threads": threads, "seconds": batch_s,
                      "queries_per_second": decided as f64 / batch_s},
            "pairs": {"pairs": rounds * cases.len(), "seconds": pairs_s, "pairs_per_second": pairs_per_sec},
        })
    );
    Ok(())
}
