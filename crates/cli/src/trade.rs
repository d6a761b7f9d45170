//! `embargo trade import | query | sql | files | fetch`: the trade store (Parquet under the
//! data directory, queried with DataFusion). Without imported files, queries read the
//! bundled published figures (data/trade) and say so.

mod fetch;

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use embargo_cluster::ClusterUrl;
use embargo_trade::store::{Dataset, Grouping, QuerySpec, TradeStore};
use embargo_trade::{Flow, LoadOptions};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::context::Context;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: TradeCommand,
}

#[derive(Clone, Copy, ValueEnum)]
enum By {
    Hs2,
    Hs4,
    Hs6,
    Category,
    Total,
    /// Value covered by each regime measure (joins the rows with the regime).
    Measure,
}

#[derive(Subcommand)]
enum TradeCommand {
    /// Import trade files into the store: UN Comtrade bulk CSV (legacy or current
    /// columns), Comtrade API JSON, CEPII BACI CSV, or embargo's plain CSV (docs/trade.md).
    Import {
        /// Files to import, all or nothing (the format is detected from each file's header).
        files: Vec<PathBuf>,
        /// Store name (default: the file name). Importing the same name again replaces it.
        #[arg(long)]
        name: Option<String>,
        /// Skip and report up to N malformed rows instead of failing on the first.
        #[arg(long, default_value_t = 0)]
        skip_bad: usize,
        /// Source text written on each row (default: "UN Comtrade (<file>)", for BACI
        /// "CEPII BACI HS17 V202401b (<file>)").
        #[arg(long)]
        source: Option<String>,
        /// BACI country file (country_codes_V*.csv); default: the one next to the data file.
        #[arg(long)]
        baci_countries: Option<PathBuf>,
    },
    /// Grouped totals. `--reporter KP` reads the mirror (partners' declarations).
    Query {
        /// Reporting country, ISO alpha-2 (e.g. CN).
        #[arg(long)]
        reporter: Option<String>,
        /// Partner country, ISO alpha-2 (e.g. KP).
        #[arg(long)]
        partner: Option<String>,
        /// import, export, re-export, re-import (from the reporter's side).
        #[arg(long)]
        flow: Option<String>,
        /// How to group the rows.
        #[arg(long, value_enum, default_value = "hs2")]
        by: By,
        /// First year (inclusive).
        #[arg(long)]
        from: Option<i32>,
        /// Last year (inclusive).
        #[arg(long)]
        to: Option<i32>,
        /// Only one statistical series (GAC, KOTRA, KITA, KIEP, ITC, COMTRADE...).
        #[arg(long)]
        series: Option<String>,
        /// Read the bundled published figures even when the store has files.
        #[arg(long)]
        bundled: bool,
        /// CSV on stdout instead of a table.
        #[arg(long)]
        csv: bool,
        /// Run the query on the Ballista cluster whose scheduler is at df://HOST:PORT
        /// (default: $EMBARGO_CLUSTER, else this process; docs/cluster.md). A scheduler
        /// without executors is waited for $EMBARGO_CLUSTER_WAIT seconds (default 30).
        #[arg(long, value_name = "df://HOST:PORT")]
        cluster: Option<String>,
    },
    /// Run SQL over the table `trade` (columns as in docs/trade.md).
    Sql {
        /// The SQL statement (DataFusion dialect), e.g. "SELECT count(*) FROM trade".
        query: String,
        /// Query the bundled published figures instead of the store.
        #[arg(long)]
        bundled: bool,
        /// CSV on stdout instead of a table.
        #[arg(long)]
        csv: bool,
        /// Run the statement on the Ballista cluster whose scheduler is at df://HOST:PORT
        /// (default: $EMBARGO_CLUSTER, else this process). Files it reads (the store,
        /// read_csv) must be at the same path on every executor. A scheduler without
        /// executors is waited for $EMBARGO_CLUSTER_WAIT seconds (default 30).
        #[arg(long, value_name = "df://HOST:PORT")]
        cluster: Option<String>,
    },
    /// Files in the store.
    Files,
    /// Download rows from the UN Comtrade API (comtradeapi.un.org) into a JSON file that
    /// `trade import` reads. Needs COMTRADE_API_KEY (never printed) and curl.
    Fetch(fetch::FetchArgs),
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let store = TradeStore::open(&ctx.data_dir()).with_functions(store_functions(ctx));
    match args.command {
        TradeCommand::Import {
            files,
            name,
            skip_bad,
            source,
            baci_countries,
        } => {
            let opts = LoadOptions {
                max_bad_rows: skip_bad,
                source,
                baci_countries,
            };
            import(ctx, &store, files, name, &opts)
        }
        TradeCommand::Query {
            reporter,
            partner,
            flow,
            by,
            from,
            to,
            series,
            bundled,
            csv,
            cluster,
        } => {
            let (store, cluster) = on_cluster(store, cluster.as_deref())?;
            let flow = flow
                .map(|f| {
                    Flow::parse(&f).with_context(|| {
                        format!("--flow {f:?}: expected import, export, re-export or re-import")
                    })
                })
                .transpose()?;
            let spec = QuerySpec {
                reporter,
                partner,
                flow,
                from,
                to,
                by: match by {
                    By::Hs2 => Grouping::Hs2,
                    By::Hs4 => Grouping::Hs4,
                    By::Hs6 => Grouping::Hs6,
                    By::Category | By::Measure => Grouping::Category,
                    By::Total => Grouping::Total,
                },
                series,
            };
            if matches!(by, By::Measure) {
                return naming(cluster, by_measure(ctx, &store, &spec, bundled, csv));
            }
            naming(cluster, query(ctx, &store, &spec, bundled, csv))
        }
        TradeCommand::Sql {
            query,
            bundled,
            csv,
            cluster,
        } => {
            let (store, cluster) = on_cluster(store, cluster.as_deref())?;
            naming(cluster, sql(ctx, &store, &query, bundled, csv))
        }
        TradeCommand::Files => files(ctx, &store),
        TradeCommand::Fetch(args) => fetch::run(ctx, args),
    }
}

/// Prints rows as an aligned table.
pub fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:<width$}", c, width = w.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(headers.iter().map(|h| h.to_string()).collect()));
    println!("{}", line(w.iter().map(|n| "-".repeat(*n)).collect()));
    for r in rows {
        println!("{}", line(r.clone()));
    }
}

fn print_csv(headers: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut wtr = csv::Writer::from_writer(std::io::stdout());
    wtr.write_record(headers)?;
    for r in rows {
        wtr.write_record(r)?;
    }
    wtr.flush()?;
    Ok(())
}

pub fn usd(v: f64) -> String {
    let s = format!("{:.0}", v);
    let (neg, digits) = s
        .strip_prefix('-')
        .map_or((false, s.as_str()), |d| (true, d));
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    if neg {
        format!("-{out}")
    } else {
        out
    }
}

/// Functions a trade session has beside the trade crate's own: `screen(...)` over the data
/// directory's active lists, loaded at its first row. The cluster's nodes register the
/// same ones.
pub(crate) fn store_functions(ctx: &Context) -> Vec<embargo_trade::ScalarUDF> {
    vec![embargo_screen::sql::ScreenUdf::over_store(&ctx.data_dir())]
}

/// The store, running its sessions on the cluster `--cluster` or `$EMBARGO_CLUSTER`
/// names, if any.
pub(crate) fn on_cluster(
    store: TradeStore,
    flag: Option<&str>,
) -> anyhow::Result<(TradeStore, Option<ClusterUrl>)> {
    Ok(match crate::cluster::cluster_url(flag)? {
        Some(url) => (store.with_engine(embargo_cluster::engine(&url)), Some(url)),
        None => (store, None),
    })
}

/// A command's result, its error naming the cluster it ran on (the engine's own error
/// does not say where it ran).
pub(crate) fn naming<T>(
    cluster: Option<ClusterUrl>,
    result: anyhow::Result<T>,
) -> anyhow::Result<T> {
    match cluster {
        Some(url) => crate::cluster::failed_on(&url, result),
        None => result,
    }
}

fn dataset_note(d: Dataset, store: &TradeStore) -> String {
    match d {
        Dataset::Store => format!("trade store ({})", store.dir().display()),
        Dataset::Bundled => {
            "bundled published figures (data/trade; docs/regime-facts.md §C) — no files imported"
                .into()
        }
    }
}

fn import(
    ctx: &Context,
    store: &TradeStore,
    files: Vec<PathBuf>,
    name: Option<String>,
    opts: &LoadOptions,
) -> anyhow::Result<()> {
    if files.is_empty() {
        bail!("give at least one file to import");
    }
    if name.is_some() && files.len() > 1 {
        bail!("--name needs exactly one file");
    }
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let named: Vec<(String, PathBuf)> = files
        .iter()
        .map(|f| {
            let stem = name.clone().unwrap_or_else(|| {
                f.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "import".into())
            });
            (stem, f.clone())
        })
        .collect();
    let started = std::time::Instant::now();
    let mut last = (usize::MAX, 0u64);
    let out = store.import_files(&named, opts, &mut |i, n| {
        if last.0 != i {
            last = (i, 0);
        }
        if n - last.1 >= 262_144 {
            last.1 = n;
            let secs = started.elapsed().as_secs_f64().max(1e-3);
            bar.set_message(format!(
                "[{}/{}] {}: {n} rows written ({:.0} rows/s)",
                i + 1,
                named.len(),
                named[i].1.display(),
                n as f64 / secs
            ));
            bar.tick();
        }
    })?;
    bar.finish_and_clear();
    if ctx.json {
        let v: Vec<_> = out
            .iter()
            .map(|(r, p)| json!({"file": r.file, "format": r.format, "rows_read": r.rows_read, "loaded": r.loaded, "skipped": r.skipped, "stored_as": p}))
            .collect();
        return ctx.print_json(&v);
    }
    for (r, p) in &out {
        println!(
            "{}: {}: {} rows read, {} loaded, {} skipped -> {}",
            r.file,
            r.format.as_str(),
            r.rows_read,
            r.loaded,
            r.skipped.len(),
            p.display()
        );
        for s in r.skipped.iter().take(20) {
            println!("  skipped {}: field `{}`: {}", s.at, s.field, s.message);
        }
        if r.skipped.len() > 20 {
            println!(
                "  ... and {} more skipped rows (see --json)",
                r.skipped.len() - 20
            );
        }
    }
    Ok(())
}

fn query(
    ctx: &Context,
    store: &TradeStore,
    spec: &QuerySpec,
    bundled: bool,
    csv: bool,
) -> anyhow::Result<()> {
    let res = store.query(spec, bundled)?;
    if ctx.json {
        return ctx.print_json(&res);
    }
    let headers = [
        "period",
        "reporter",
        "partner",
        "flow",
        "key",
        "series",
        "value_usd",
        "net_weight_kg",
        "rows",
        "status",
    ];
    let rows: Vec<Vec<String>> = res
        .rows
        .iter()
        .map(|r| {
            vec![
                r.month
                    .map_or(r.year.to_string(), |m| format!("{}-{:02}", r.year, m)),
                r.reporter.clone(),
                r.partner.clone(),
                r.flow.clone(),
                r.key.clone(),
                r.series.clone(),
                if csv {
                    format!("{}", r.value_usd)
                } else {
                    usd(r.value_usd)
                },
                r.net_weight_kg.map_or(String::new(), |w| format!("{w}")),
                r.rows.to_string(),
                r.status.clone(),
            ]
        })
        .collect();
    if csv {
        return print_csv(&headers, &rows);
    }
    println!("data: {}", dataset_note(res.dataset, store));
    println!("side: {}", res.side.description);
    print_table(&headers, &rows);
    println!("({} groups; series are never summed together)", rows.len());
    Ok(())
}

fn by_measure(
    ctx: &Context,
    store: &TradeStore,
    spec: &QuerySpec,
    bundled: bool,
    csv: bool,
) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let (mut trade, read) =
        store.dprk_trade(bundled, embargo_analysis::exposure::scope_class(&regime))?;
    spec.restrict(&mut trade);
    let dataset = read.dataset;
    let dir = if spec.reads_supplies_to_dprk() {
        embargo_regime::Direction::ToDprk
    } else {
        embargo_regime::Direction::FromDprk
    };
    let e = embargo_analysis::exposure::exposure(&regime, &trade, dir);
    let ms = &e.measures;
    if ctx.json {
        return ctx.print_json(
            &json!({"dataset": dataset, "read": read, "direction": dir, "measures": ms, "periods": e.periods}),
        );
    }
    let headers = [
        "period",
        "counterpart",
        "series",
        "measure",
        "citation",
        "value_usd",
        "rows",
        "exact",
        "level",
        "days_in_force",
    ];
    let rows: Vec<Vec<String>> = ms
        .iter()
        .map(|m| {
            vec![
                m.period.clone(),
                m.counterpart.clone(),
                m.series.clone(),
                m.measure.clone(),
                m.citation.clone(),
                if csv {
                    format!("{}", m.value_usd)
                } else {
                    usd(m.value_usd)
                },
                m.rows.to_string(),
                m.exact.to_string(),
                if m.category_level {
                    "category".into()
                } else {
                    "hs".into()
                },
                format!("{}/{}", m.days_in_force, m.days_in_period),
            ]
        })
        .collect();
    if csv {
        return print_csv(&headers, &rows);
    }
    println!("data: {}", read.describe());
    println!(
        "side: {} (DPRK exports are read from partners' imports from KP)",
        match dir {
            embargo_regime::Direction::FromDprk => "DPRK exports",
            embargo_regime::Direction::ToDprk => "supplies to the DPRK",
        }
    );
    print_table(&headers, &rows);
    Ok(())
}

fn sql(ctx: &Context, store: &TradeStore, q: &str, bundled: bool, csv: bool) -> anyhow::Result<()> {
    let res = store.sql(q, bundled)?;
    if ctx.json {
        return ctx.print_json(&res);
    }
    let headers: Vec<&str> = res.columns.iter().map(String::as_str).collect();
    let rows: Vec<Vec<String>> = res
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    if csv {
        return print_csv(&headers, &rows);
    }
    println!("data: {}", res.read.describe());
    print_table(&headers, &rows);
    Ok(())
}

fn files(ctx: &Context, store: &TradeStore) -> anyhow::Result<()> {
    let files = store.files()?;
    if ctx.json {
        return ctx.print_json(&json!({"dir": store.dir(), "files": files}));
    }
    if files.is_empty() {
        println!(
            "{}: no files imported; queries read the bundled published figures",
            store.dir().display()
        );
    }
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
}
