//! embargo trade benchmarks (SYNTHETIC data, for speed only).
//!
//! generate ROWS FILE      write a synthetic Comtrade-Plus-shaped CSV (reporterDesc = SYNTHETIC)
//! import FILE DATA_DIR    stream it into the Parquet store; prints rows/s
//! exposure DATA_DIR       exposure of DPRK exports by measure and year, three ways:
//!                         embargo (DataFusion scan + analysis crate), DataFusion SQL,
//!                         and the SQL text for the Python peers (written to DATA_DIR/exposure.sql)
//!
//! Timings are wall-clock, single run each, printed as `name seconds`.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use embargo_regime::{Direction, HsSpec, MeasureKind, Regime};
use embargo_trade::store::TradeStore;
use embargo_trade::LoadOptions;

/// A small deterministic generator (xorshift64*), so runs are reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const REPORTERS: &[&str] = &[
    "CHN", "RUS", "IND", "THA", "SGP", "MYS", "VNM", "IDN", "PHL", "BRA", "MEX", "ZAF", "NGA",
    "PAK", "BGD", "LKA", "TUR", "SAU", "ARE", "EGY", "DEU", "FRA", "ITA", "ESP", "NLD", "POL",
];
const PARTNERS: &[&str] = &["PRK", "PRK", "CHN", "RUS", "USA", "JPN", "KOR", "DEU", "IND", "BRA"];

fn generate(rows: u64, path: &str) -> std::io::Result<()> {
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "typeCode,freqCode,refYear,refMonth,period,reporterISO,reporterDesc,flowCode,partnerISO,classificationCode,cmdCode,qtyUnitAbbr,qty,netWgt,primaryValue")?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for _ in 0..rows {
        let rep = REPORTERS[rng.below(REPORTERS.len() as u64) as usize];
        let mut par = PARTNERS[rng.below(PARTNERS.len() as u64) as usize];
        if par == rep {
            par = "WLD";
        }
        let flow = if rng.below(2) == 0 { "M" } else { "X" };
        let year = 2010 + rng.below(10);
        // HS6: chapter 01..97, heading and subheading digits.
        let ch = 1 + rng.below(97);
        let hs = format!("{:02}{:02}{:02}", ch, 1 + rng.below(30), 10 * rng.below(10));
        let kg = rng.below(10_000_000);
        let value = rng.below(50_000_000) as f64 / 10.0;
        writeln!(
            w,
            "C,A,{year},52,{year},{rep},SYNTHETIC,{flow},{par},H4,{hs},kg,{kg},{kg},{value}"
        )?;
    }
    w.flush()
}

/// (measure, prefix, first year, last year) for goods measures on DPRK exports.
fn prefixes(regime: &Regime) -> Vec<(String, String, i32, i32)> {
    use chrono::Datelike;
    let mut out = Vec::new();
    for m in regime.measures() {
        if !matches!(m.kind, MeasureKind::GoodsBan { .. } | MeasureKind::Cap { .. }) {
            continue;
        }
        if !m.directions().contains(&Direction::FromDprk) {
            continue;
        }
        let y0 = m.effective_from.year();
        let y1 = m.effective_until.map_or(9999, |d| d.year());
        for e in m.hs_scope() {
            match &e.spec {
                HsSpec::Code { code } => out.push((m.id.clone(), code.as_str().to_string(), y0, y1)),
                HsSpec::ChapterRange { .. } => {
                    for c in e.spec.codes() {
                        out.push((m.id.clone(), c.as_str().to_string(), y0, y1));
                    }
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The exposure aggregation in SQL: DPRK exports (partners' imports from KP) joined to
/// measure HS prefixes by equality on the 2-, 4- and 6-digit truncations of the code,
/// for years in which the measure was in force, summed by year and measure.
fn exposure_sql(regime: &Regime, table: &str) -> String {
    let values: Vec<String> = prefixes(regime)
        .iter()
        .map(|(m, p, a, b)| format!("('{m}', '{p}', {}, {a}, {b})", p.len()))
        .collect();
    let cov = format!(
        "cov(measure, prefix, plen, y0, y1) AS (VALUES {})",
        values.join(", ")
    );
    let arm = |n: usize| {
        format!(
            "SELECT t.year, c.measure, t.value_usd FROM dprk t JOIN cov c ON c.plen = {n} AND substr(t.hs, 1, {n}) = c.prefix WHERE t.year BETWEEN c.y0 AND c.y1"
        )
    };
    format!(
        "WITH {cov}, dprk AS (SELECT year, hs, value_usd FROM {table} WHERE partner = 'KP' AND flow = 'import' AND level = 'hs') \
         SELECT year, measure, sum(value_usd) AS value_usd, count(*) AS n FROM ({} UNION ALL {} UNION ALL {}) x \
         GROUP BY year, measure ORDER BY year, measure",
        arm(2),
        arm(4),
        arm(6)
    )
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        "generate" => {
            let rows: u64 = arg(2).parse().expect("ROWS");
            let t = Instant::now();
            generate(rows, &arg(3)).expect("write");
            println!("generate_rows {rows}");
            println!("generate_seconds {:.2}", t.elapsed().as_secs_f64());
        }
        "import" => {
            let store = TradeStore::open(std::path::Path::new(&arg(3)));
            let t = Instant::now();
            let opts = LoadOptions {
                max_bad_rows: 0,
                source: Some("SYNTHETIC benchmark data (not real trade)".into()),
            };
            let (report, path) = store
                .import_path("synthetic", std::path::Path::new(&arg(2)), &opts, &mut |_| {})
                .expect("import");
            let s = t.elapsed().as_secs_f64();
            println!("import_rows {}", report.loaded);
            println!("import_seconds {s:.2}");
            println!("import_rows_per_second {:.0}", report.loaded as f64 / s);
            println!("parquet_bytes {}", std::fs::metadata(path).map(|m| m.len()).unwrap_or(0));
        }
        "exposure" => {
            let regime = Regime::bundled().expect("regime");
            let store = TradeStore::open(std::path::Path::new(&arg(2)));
            // 1. embargo: DataFusion scan of DPRK rows + analysis crate exposure.
            let t = Instant::now();
            let (recs, _) = store.dprk_records(false).expect("scan");
            let scan = t.elapsed().as_secs_f64();
            let e = embargo_analysis::exposure::exposure(&regime, &recs, Direction::FromDprk);
            let total = t.elapsed().as_secs_f64();
            let mut ours: BTreeMap<(i32, String), f64> = BTreeMap::new();
            for m in &e.measures {
                let year: i32 = m.period.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
                *ours.entry((year, m.measure.clone())).or_default() += m.value_usd;
            }
            println!("embargo_dprk_rows {}", recs.len());
            println!("embargo_scan_seconds {scan:.2}");
            println!("embargo_exposure_seconds {:.2}", total - scan);
            println!("embargo_total_seconds {total:.2}");
            // 2. The same aggregation in DataFusion SQL.
            let sql = exposure_sql(&regime, "trade");
            let t = Instant::now();
            let res = store.sql(&sql, false).expect("sql");
            println!("datafusion_sql_seconds {:.2}", t.elapsed().as_secs_f64());
            let mut max_rel = 0.0f64;
            let mut compared = 0;
            for row in &res.rows {
                let year = row.first().and_then(|v| v.as_i64()).unwrap_or(0) as i32;
                let measure = row.get(1).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let v = row.get(2).and_then(|v| v.as_f64()).unwrap_or(0.0);
                let o = ours.get(&(year, measure)).copied().unwrap_or(0.0);
                max_rel = max_rel.max((o - v).abs() / v.abs().max(1.0));
                compared += 1;
            }
            println!("groups_compared {compared} (embargo {} groups)", ours.len());
            println!("max_relative_difference {max_rel:.2e}");
            // 3. SQL for DuckDB / Polars over the Parquet files.
            let path = std::path::Path::new(&arg(2)).join("exposure.sql");
            std::fs::write(&path, exposure_sql(&regime, "trade")).expect("write sql");
            println!("sql_written {}", path.display());
        }
        _ => {
            eprintln!("usage: embargo-bench-trade generate ROWS FILE | import FILE DATA_DIR | exposure DATA_DIR");
            std::process::exit(2);
        }
    }
}
