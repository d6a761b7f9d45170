//! Criterion benches for the check: the full `Regime::check` against the memoized
//! `CheckIndex` on the same generated shipments. The batch CLI throughput (10M rows)
//! is measured by bench/check/run.sh.

use criterion::{criterion_group, criterion_main, Criterion};
use embargo_regime::{Country, HsCode, Regime, Shipment};
use std::hint::black_box;

fn shipments(n: usize) -> Vec<Shipment> {
    let codes = [
        "2701", "270112", "0306", "6109", "8471", "847130", "2710", "2709", "9301", "0101", "7108",
        "2601", "6203", "8703",
    ];
    let countries = ["KP", "CN", "RU", "US", "JP"];
    let base = chrono::NaiveDate::from_ymd_opt(2005, 1, 1).expect("valid date");
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..n)
        .map(|_| {
            let hs =
                HsCode::parse(codes[(next() % codes.len() as u64) as usize]).expect("valid code");
            let o = Country::parse(countries[(next() % 5) as usize]).expect("valid country");
            let d = if o.is_dprk() {
                Country::parse(countries[1 + (next() % 4) as usize]).expect("valid")
            } else {
                Country::DPRK
            };
            let date = base + chrono::Days::new(next() % 5500);
            Shipment {
                hs,
                origin: o,
                destination: d,
                via: None,
                date,
                quantity: None,
                value_usd: None,
            }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let regime = Regime::bundled().expect("bundled regime loads");
    let ships = shipments(10_000);
    c.bench_function("full check, 10k shipments", |b| {
        b.iter(|| {
            for s in &ships {
                black_box(regime.check(s).verdict);
            }
        })
    });
    c.bench_function("indexed check, 10k shipments", |b| {
        let mut index = regime.check_index();
        b.iter(|| {
            for s in &ships {
                black_box(index.verdict(s));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
