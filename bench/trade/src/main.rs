//! embargo trade benchmarks (SYNTHETIC data, for speed only).
//!
//! generate ROWS FILE      write a synthetic Comtrade-Plus-shaped CSV (reporterDesc = SYNTHETIC)
//! generate-baci ROWS FILE the same in CEPII BACI's layout (numeric countries, k, v in
//!                         thousands of USD), with country_codes_V202401b.csv beside it
//! import FILE DATA_DIR    stream it into the Parquet store; prints rows/s
//! exposure DATA_DIR       embargo's exposure of DPRK exports (the engine plan
//!                         `TradeStore::dprk_trade` + `embargo_analysis::exposure`), summed by
//!                         year and measure;
//!                         writes DATA_DIR/embargo-exposure.csv (the reference for the peers)
//!                         and DATA_DIR/exposure.sql (the same aggregation as SQL)
//! relief DATA_DIR         embargo's relief of the bundled China–Russia draft on the store
//! signals DATA_DIR        embargo's signals on the store
//! sql DATA_DIR            that SQL run directly by DataFusion over the same Parquet files;
//!                         fails unless every (year, measure) value and row count equals
//!                         embargo's
//!
//! Each step is its own process, so `/usr/bin/time -v` gives each one's peak RSS.
//! Timings are wall-clock, single run each, printed as `name value`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use embargo_regime::{Direction, HsSpec, MeasureKind, Regime};
use embargo_analysis::exposure::scope_class;
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
const PARTNERS: &[&str] = &[
    "PRK", "PRK", "CHN", "RUS", "USA", "JPN", "KOR", "DEU", "IND", "BRA",
];

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

/// Numeric codes (BACI's) and ISO codes of the synthetic BACI countries; the DPRK (408)
/// twice, so that about one row in five involves it, as in the Comtrade-shaped data.
const BACI_COUNTRIES: &[(u32, &str, &str)] = &[
    (156, "CN", "CHN"),
    (643, "RU", "RUS"),
    (699, "IN", "IND"),
    (764, "TH", "THA"),
    (702, "SG", "SGP"),
    (458, "MY", "MYS"),
    (704, "VN", "VNM"),
    (360, "ID", "IDN"),
    (76, "BR", "BRA"),
    (484, "MX", "MEX"),
    (276, "DE", "DEU"),
    (251, "FR", "FRA"),
    (842, "US", "USA"),
    (392, "JP", "JPN"),
    (410, "KR", "KOR"),
    (408, "KP", "PRK"),
    (408, "KP", "PRK"),
];

/// A synthetic file in CEPII BACI's layout (`t,i,j,k,v,q`, value in thousands of USD,
/// quantity in tonnes), with its `country_codes_V*.csv` written beside it. One year's
/// file in real BACI holds one year; this one spreads 2010–2019 over its rows.
fn generate_baci(rows: u64, path: &str) -> std::io::Result<()> {
    let dir = Path::new(path).parent().unwrap_or(Path::new("."));
    let mut cc = String::from("country_code,country_name,country_iso2,country_iso3\n");
    for (code, iso2, iso3) in BACI_COUNTRIES.iter().take(BACI_COUNTRIES.len() - 1) {
        cc.push_str(&format!("{code},SYNTHETIC {iso3},{iso2},{iso3}\n"));
    }
    std::fs::write(dir.join("country_codes_V202401b.csv"), cc)?;
    let f = std::fs::File::create(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    writeln!(w, "t,i,j,k,v,q")?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = BACI_COUNTRIES.len() as u64;
    for _ in 0..rows {
        let i = BACI_COUNTRIES[rng.below(n) as usize].0;
        let mut j = BACI_COUNTRIES[rng.below(n) as usize].0;
        if j == i {
            j = 842;
        }
        let year = 2010 + rng.below(10);
        let ch = 1 + rng.below(97);
        let k = format!("{:02}{:02}{:02}", ch, 1 + rng.below(30), 10 * rng.below(10));
        let v = rng.below(50_000_000) as f64 / 1000.0;
        let q = rng.below(10_000_000) as f64 / 1000.0;
        writeln!(w, "{year},{i},{j},{k},{v:.3},{q:.3}")?;
    }
    w.flush()
}

/// (measure, prefix, first year, last year) for goods measures on DPRK exports.
fn prefixes(regime: &Regime) -> Vec<(String, String, i32, i32)> {
    use chrono::Datelike;
    let mut out = Vec::new();
    for m in regime.measures() {
        if !matches!(
            m.kind,
            MeasureKind::GoodsBan { .. } | MeasureKind::Cap { .. }
        ) {
            continue;
        }
        if !m.directions().contains(&Direction::FromDprk) {
            continue;
        }
        let y0 = m.effective_from.year();
        let y1 = m.effective_until.map_or(9999, |d| d.year());
        for e in m.hs_scope() {
            match &e.spec {
                HsSpec::Code { code } => {
                    out.push((m.id.clone(), code.as_str().to_string(), y0, y1))
                }
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
/// for years in which the measure was in force, summed by year and measure. With
/// `layout`, the filter also names the store's `dprk` column, as a user who knows the
/// layout would write it, so the engine skips the row groups of other countries' trade.
fn exposure_sql(regime: &Regime, table: &str, layout: bool) -> String {
    let skip = if layout { " AND dprk" } else { "" };
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
        "WITH {cov}, dprk AS (SELECT year, hs, value_usd FROM {table} WHERE partner = 'KP' AND flow = 'import' AND level = 'hs'{skip}) \
         SELECT year, measure, sum(value_usd) AS value_usd, count(*) AS n FROM ({} UNION ALL {} UNION ALL {}) x \
         GROUP BY year, measure ORDER BY year, measure",
        arm(2),
        arm(4),
        arm(6)
    )
}

type Failure = Box<dyn std::error::Error>;

/// Per (year, measure): summed value in USD and number of trade rows.
type Groups = BTreeMap<(i32, String), (f64, u64)>;

/// The reference result embargo writes for the peers to compare against.
const REFERENCE: &str = "embargo-exposure.csv";

/// Largest relative difference allowed between two sums of the same rows (summation
/// order differs between engines; the row counts must match exactly).
const TOLERANCE: f64 = 1e-9;

fn read_reference(data_dir: &Path) -> Result<Groups, Failure> {
    let text = std::fs::read_to_string(data_dir.join(REFERENCE))?;
    let mut out = Groups::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let [year, measure, value, rows] = f.as_slice() else {
            return Err(format!("{REFERENCE}: line {}: expected 4 fields", i + 1).into());
        };
        out.insert(
            (year.parse()?, measure.to_string()),
            (value.parse()?, rows.parse()?),
        );
    }
    Ok(out)
}

/// Compares a peer's groups with embargo's; an error names the first difference.
fn compare(ours: &Groups, theirs: &Groups, peer: &str) -> Result<f64, Failure> {
    if ours.len() != theirs.len() {
        return Err(format!(
            "{peer}: {} groups, embargo {} groups",
            theirs.len(),
            ours.len()
        )
        .into());
    }
    let mut max_rel = 0.0f64;
    for (key, (v, n)) in ours {
        let Some((tv, tn)) = theirs.get(key) else {
            return Err(format!("{peer}: no group {key:?}").into());
        };
        let rel = (v - tv).abs() / v.abs().max(1.0);
        if n != tn || rel > TOLERANCE {
            return Err(format!(
                "{peer}: {key:?}: {tv} USD in {tn} rows, embargo {v} USD in {n} rows"
            )
            .into());
        }
        max_rel = max_rel.max(rel);
    }
    Ok(max_rel)
}

fn run(args: &[String]) -> Result<(), Failure> {
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    match arg(1).as_str() {
        "generate" => {
            let rows: u64 = arg(2).parse()?;
            let t = Instant::now();
            generate(rows, &arg(3))?;
            println!("generate_rows {rows}");
            println!("generate_seconds {:.2}", t.elapsed().as_secs_f64());
        }
        "generate-baci" => {
            let rows: u64 = arg(2).parse()?;
            let t = Instant::now();
            generate_baci(rows, &arg(3))?;
            println!("generate_rows {rows}");
            println!("generate_seconds {:.2}", t.elapsed().as_secs_f64());
        }
        "import" => {
            let store = TradeStore::open(Path::new(&arg(3)));
            let t = Instant::now();
            let opts = LoadOptions {
                max_bad_rows: 0,
                source: Some("SYNTHETIC benchmark data (not real trade)".into()),
                ..Default::default()
            };
            let (report, path) =
                store.import_path("synthetic", Path::new(&arg(2)), &opts, &mut |_| {})?;
            let s = t.elapsed().as_secs_f64();
            let csv_bytes = std::fs::metadata(arg(2))?.len();
            println!("import_rows {}", report.loaded);
            println!("import_skipped {}", report.skipped.len());
            println!("import_seconds {s:.2}");
            println!("import_rows_per_second {:.0}", report.loaded as f64 / s);
            println!("import_csv_mb_per_second {:.1}", csv_bytes as f64 / 1e6 / s);
            println!("parquet_bytes {}", std::fs::metadata(path)?.len());
        }
        "exposure" => {
            let dir = Path::new(&arg(2)).to_path_buf();
            let regime = Regime::bundled()?;
            let store = TradeStore::open(&dir).with_regime(&regime)?;
            let t = Instant::now();
            let (trade, _) = store.dprk_trade(false, scope_class(&regime))?;
            let scan = t.elapsed().as_secs_f64();
            let e = embargo_analysis::exposure::exposure(&regime, &trade, Direction::FromDprk);
            let total = t.elapsed().as_secs_f64();
            // Summed over counterparts and series (the synthetic data has one series).
            let mut ours = Groups::new();
            for m in &e.measures {
                let year: i32 = m.period.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
                let g = ours.entry((year, m.measure.clone())).or_default();
                g.0 += m.value_usd;
                g.1 += m.rows;
            }
            println!("embargo_dprk_rows {}", trade.source_rows());
            println!("embargo_condensed_records {}", trade.records.len());
            println!("embargo_outside_scope_groups {}", trade.outside.len());
            println!("embargo_goods_rows {}", e.goods_rows);
            println!("embargo_uncovered_rows {}", e.uncovered_rows);
            println!("embargo_plan_seconds {scan:.2}");
            println!("embargo_exposure_seconds {:.2}", total - scan);
            println!("embargo_total_seconds {total:.2}");
            println!("embargo_groups {}", ours.len());
            println!(
                "embargo_covered_rows {}",
                ours.values().map(|g| g.1).sum::<u64>()
            );
            println!(
                "embargo_total_value {:.6e}",
                ours.values().map(|g| g.0).sum::<f64>()
            );
            let mut csv = String::from("year,measure,value_usd,rows\n");
            for ((y, m), (v, n)) in &ours {
                csv.push_str(&format!("{y},{m},{v:?},{n}\n"));
            }
            std::fs::write(dir.join(REFERENCE), csv)?;
            std::fs::write(dir.join("exposure.sql"), exposure_sql(&regime, "trade", false))?;
            std::fs::write(
                dir.join("exposure-layout.sql"),
                exposure_sql(&regime, "trade", true),
            )?;
            println!("reference_written {}", dir.join(REFERENCE).display());
        }
        "relief" | "signals" => {
            let dir = Path::new(&arg(2)).to_path_buf();
            let regime = Regime::bundled()?;
            let store = TradeStore::open(&dir).with_regime(&regime)?;
            let t = Instant::now();
            let (trade, _) = store.dprk_trade(false, scope_class(&regime))?;
            if arg(1) == "relief" {
                let p = embargo_analysis::relief::Proposal::load("china-russia-2019")?;
                let w = embargo_analysis::estimates::Workers::bundled()?;
                let opts = embargo_analysis::relief::ReliefOptions {
                    baseline: (2014, 2016),
                    include_disputed: false,
                };
                let r = embargo_analysis::relief::relief(&regime, &trade.records, &p, &w, &opts);
                println!("embargo_relief_seconds {:.2}", t.elapsed().as_secs_f64());
                println!("embargo_relief_goods_central {:.6e}", r.goods_restored.central);
            } else {
                let s = embargo_analysis::signals::signals(&regime, &trade);
                println!("embargo_signals_seconds {:.2}", t.elapsed().as_secs_f64());
                println!("embargo_signals_post_ban {}", s.post_ban.len());
            }
        }
        "sql" | "sql-layout" => {
            let dir = Path::new(&arg(2)).to_path_buf();
            let regime = Regime::bundled()?;
            let ours = read_reference(&dir)?;
            let layout = arg(1) == "sql-layout";
            let sql = exposure_sql(&regime, "trade", layout);
            let store = TradeStore::open(&dir);
            let t = Instant::now();
            let res = store.sql(&sql, false)?;
            let name = if layout { "datafusion_sql_layout" } else { "datafusion_sql" };
            println!("{name}_seconds {:.2}", t.elapsed().as_secs_f64());
            let mut theirs = Groups::new();
            for row in &res.rows {
                let year = row.first().and_then(|v| v.as_i64()).unwrap_or(0) as i32;
                let measure = row
                    .get(1)
                    .and_then(|v| v.as_str())
                    .unwrap_or("")
                    .to_string();
                let v = row.get(2).and_then(|v| v.as_f64()).unwrap_or(f64::NAN);
                let n = row.get(3).and_then(|v| v.as_u64()).unwrap_or(0);
                theirs.insert((year, measure), (v, n));
            }
            let max_rel = compare(&ours, &theirs, "DataFusion SQL")?;
            println!("datafusion_groups {} (equal to embargo's)", theirs.len());
            println!("datafusion_max_relative_difference {max_rel:.2e}");
        }
        "time-sql" => {
            // Any statement against the store's session (EXPLAIN ANALYZE included): for
            // finding where a plan spends its time.
            let dir = Path::new(&arg(2)).to_path_buf();
            let regime = Regime::bundled()?;
            let store = TradeStore::open(&dir).with_regime(&regime)?;
            let t = Instant::now();
            let res = store.sql(&arg(3), false)?;
            println!("sql_seconds {:.2}", t.elapsed().as_secs_f64());
            for row in res.rows.iter().take(200) {
                for v in row {
                    match v.as_str() {
                        Some(s) => println!("{s}"),
                        None => println!("{v}"),
                    }
                }
            }
        }
        _ => {
            return Err("usage: embargo-bench-trade generate ROWS FILE | generate-baci ROWS FILE | import FILE DATA_DIR | exposure DATA_DIR | relief DATA_DIR | signals DATA_DIR | sql DATA_DIR | sql-layout DATA_DIR | time-sql DATA_DIR SQL".into());
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    match run(&args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
