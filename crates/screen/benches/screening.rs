//! Criterion benchmarks: one query against the whole UN list plus the whole OFAC SDN, and
//! one name pair. Needs ../shared (prints a notice and measures nothing without it).
//! `cargo bench -p embargo-screen --bench screening`

use criterion::{criterion_group, criterion_main, Criterion};
use embargo_names::compare::{compare_names, CompareParams};
use embargo_screen::{ofac, un, Matcher, Query, Thresholds};

fn shared(rel: &str) -> Option<std::path::PathBuf> {
    let p = embargo_fixtures::shared_dir().0.join(rel);
    p.exists().then_some(p)
}

fn bench(c: &mut Criterion) {
    let (Some(un_path), Some(sdn)) = (
        shared("data/un-sc-consolidated/consolidated.xml"),
        shared("data/ofac-sdn/sdn.csv"),
    ) else {
        eprintln!("notice: ../shared not found; nothing to benchmark");
        return;
    };
    let mut entities = match un::read_file(&un_path) {
        Ok(s) => s.entities,
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    };
    match ofac::read_files(&ofac::OfacFiles::beside(&sdn)) {
        Ok(s) => entities.extend(s.entities),
        Err(e) => {
            eprintln!("{e}");
            return;
        }
    }
    let matcher = Matcher::new(entities);
    let th = Thresholds::default();
    let mut g = c.benchmark_group("screen_full_lists");
    for name in [
        "KIM YONG CHOL",
        "Korea Mining Development Trading Corp",
        "김정은",
        "John Smith",
    ] {
        let q = Query {
            name: name.to_string(),
            ..Default::default()
        };
        g.bench_function(name, |b| b.iter(|| matcher.screen(&q, &th)));
    }
    g.finish();
    let p = CompareParams::default();
    c.bench_function("compare_pair_latin", |b| {
        b.iter(|| compare_names("Kim Jong-un", "KIM JONG UN", &p))
    });
    c.bench_function("compare_pair_hangul", |b| {
        b.iter(|| compare_names("김정은", "Kim Jong Un", &p))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
