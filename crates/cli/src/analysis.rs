//! `embargo relief | estimate | signals | timeline | report`: the analysis commands.
//! Trade rows come from the trade store when files were imported, else from the bundled
//! published figures; every command says which.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use clap::Subcommand;
use embargo_analysis::estimates::{
    self, Range, Tourism, TourismOverrides, WorkerOverrides, Workers,
};
use embargo_analysis::exposure::scope_class;
use embargo_analysis::relief::{relief, Proposal, ReliefOptions};
use embargo_analysis::report;
use embargo_analysis::signals::{fmt_amount, fmt_count, fmt_usd, fmt_years, signals};
use embargo_analysis::timeline::{timeline, Events};
use embargo_trade::store::TradeStore;
use embargo_trade::DprkTrade;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::context::Context;
use crate::trade::print_table;

#[derive(Subcommand)]
pub enum Command {
    /// What a relief proposal would restore: exports per lifted paragraph (low / central /
    /// high) and as a share of pre-sanction exports, plus workers' earnings.
    Relief {
        /// A bundled proposal name (china-russia-2019) or a proposal TOML file.
        #[arg(default_value = "china-russia-2019")]
        proposal: String,
        /// Baseline year (pre-sanction exports). Default 2016.
        #[arg(long, conflicts_with = "baseline_years")]
        baseline: Option<i32>,
        /// Baseline years, e.g. 2014-2016.
        #[arg(long)]
        baseline_years: Option<String>,
        /// Also apply lifts that only some sources report (AP: coal, iron).
        #[arg(long)]
        include_disputed: bool,
        #[command(flatten)]
        trade: TradeSource,
    },
    /// Non-trade earnings with sources: workers abroad or tourism.
    Estimate {
        #[command(subcommand)]
        what: EstimateCommand,
    },
    /// Compliance signals: flows after bans, cap use, livelihood leakage.
    Signals {
        #[command(flatten)]
        trade: TradeSource,
    },
    /// Days from each DPRK provocation to the Security Council's resolution, and the
    /// means by US administration.
    Timeline {
        /// Events file (default: the bundled data/events/dprk-events.toml).
        #[arg(long)]
        events: Option<PathBuf>,
    },
    /// Write the HTML report with charts (SVG and PNG) and print a summary.
    Report {
        /// Output directory (replaced atomically).
        #[arg(long, default_value = "embargo-report")]
        out: PathBuf,
        /// Relief proposal for the report's relief section: a bundled name or a TOML file.
        #[arg(long, default_value = "china-russia-2019")]
        proposal: String,
        /// Baseline year for relief (pre-sanction exports). Default 2016.
        #[arg(long, conflicts_with = "baseline_years")]
        baseline: Option<i32>,
        /// Baseline years for relief, e.g. 2014-2016 (their mean).
        #[arg(long)]
        baseline_years: Option<String>,
        /// PNG resolution relative to the SVG size.
        #[arg(long, default_value_t = 2.0)]
        png_scale: f32,
        #[command(flatten)]
        trade: TradeSource,
    },
}

#[derive(Subcommand)]
pub enum EstimateCommand {
    /// DPRK workers abroad (default ≈100,000 earning USD 200–500m a year).
    Workers {
        /// Number of workers.
        #[arg(long)]
        workers: Option<f64>,
        /// Annual earnings per worker, low end (USD).
        #[arg(long)]
        wage_low: Option<f64>,
        /// Annual earnings per worker, high end (USD).
        #[arg(long)]
        wage_high: Option<f64>,
        /// Assumptions file (default: the bundled data/estimates/workers.toml).
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// Chinese tourism (default 2019: 350,000 × ≈USD 500).
    Tourism {
        /// Year to estimate (default: the latest year with a visitor count in the file).
        #[arg(long)]
        year: Option<i32>,
        /// Number of visitors, instead of the file's count for the year.
        #[arg(long)]
        tourists: Option<f64>,
        /// Spend per trip (USD).
        #[arg(long)]
        spend: Option<f64>,
        /// Assumptions file (default: the bundled data/estimates/tourism.toml).
        #[arg(long)]
        file: Option<PathBuf>,
    },
}

fn baseline(year: Option<i32>, years: Option<&str>) -> anyhow::Result<(i32, i32)> {
    if let Some(y) = year {
        return Ok((y, y));
    }
    let Some(s) = years else {
        return Ok(ReliefOptions::default().baseline);
    };
    let (a, b) = s
        .split_once('-')
        .with_context(|| format!("--baseline-years {s:?}: expected A-B, e.g. 2014-2016"))?;
    let (a, b): (i32, i32) = (
        a.trim()
            .parse()
            .with_context(|| format!("--baseline-years: {a:?} is not a year"))?,
        b.trim()
            .parse()
            .with_context(|| format!("--baseline-years: {b:?} is not a year"))?,
    );
    if a > b {
        bail!("--baseline-years {s}: the first year is after the second");
    }
    Ok((a, b))
}

/// The DPRK's trade from the store (or the bundled figures), condensed by the engine to
/// what the analyses read, and a sentence naming the data.
fn trade(
    ctx: &Context,
    regime: &embargo_regime::Regime,
    source: &TradeSource,
) -> anyhow::Result<(DprkTrade, String)> {
    let store = TradeStore::open(&ctx.data_dir()).with_regime(regime)?;
    let (store, cluster) = crate::trade::on_cluster(store, source.cluster.as_deref())?;
    let (trade, read) = crate::trade::naming(
        cluster,
        store
            .dprk_trade(source.bundled, scope_class(regime))
            .map_err(anyhow::Error::from),
    )?;
    Ok((trade, read.describe()))
}

/// Where an analysis reads its trade.
#[derive(clap::Args)]
pub struct TradeSource {
    /// Use the bundled published figures even when the store has files.
    #[arg(long)]
    bundled: bool,
    /// Run the trade plan on the Ballista cluster whose scheduler is at df://HOST:PORT
    /// (default: $EMBARGO_CLUSTER, else this process; docs/cluster.md). A scheduler
    /// without executors is waited for $EMBARGO_CLUSTER_WAIT seconds (default 30).
    #[arg(long, value_name = "df://HOST:PORT")]
    cluster: Option<String>,
}

fn range(r: &Range) -> String {
    if r.low == r.high {
        fmt_usd(r.central)
    } else {
        format!(
            "{} ({} – {})",
            fmt_usd(r.central),
            fmt_usd(r.low),
            fmt_usd(r.high)
        )
    }
}

fn pct(r: &Range) -> String {
    format!(
        "{:.1}% ({:.1}–{:.1}%)",
        r.central * 100.0,
        r.low * 100.0,
        r.high * 100.0
    )
}

pub fn run(cmd: Command, ctx: &Context) -> anyhow::Result<()> {
    match cmd {
        Command::Relief {
            proposal,
            baseline: baseline_year,
            baseline_years,
            include_disputed,
            trade,
        } => relief_report(
            ctx,
            proposal,
            baseline_year,
            baseline_years,
            include_disputed,
            &trade,
        ),
        Command::Estimate { what } => estimate(ctx, what),
        Command::Signals { trade } => signals_report(ctx, &trade),
        Command::Timeline { events } => timeline_report(ctx, events),
        Command::Report {
            out,
            proposal,
            baseline: baseline_year,
            baseline_years,
            png_scale,
            trade,
        } => write_report(
            ctx,
            out,
            proposal,
            baseline_year,
            baseline_years,
            png_scale,
            &trade,
        ),
    }
}

/// `embargo relief`: what a proposal would give back, against a baseline.
fn relief_report(
    ctx: &Context,
    proposal: String,
    baseline_year: Option<i32>,
    baseline_years: Option<String>,
    include_disputed: bool,
    source: &TradeSource,
) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let (recs, label) = trade(ctx, &regime, source)?;
    let p = Proposal::load(&proposal)?;
    let w = Workers::bundled()?;
    let opts = ReliefOptions {
        baseline: baseline(baseline_year, baseline_years.as_deref())?,
        include_disputed,
    };
    let rel = relief(&regime, &recs.records, &p, &w, &opts);
    if ctx.json {
        return ctx.print_json(&json!({"data": label, "relief": rel}));
    }
    println!(
        "{} ({}; circulated {})",
        rel.proposal.title, rel.proposal.status, rel.proposal.circulated
    );
    println!("data: {label}; baseline {}", fmt_years(rel.baseline));
    let rows: Vec<Vec<String>> = rel
        .lifts
        .iter()
        .map(|l| {
            vec![
                format!("{} {}", l.citation, l.label),
                l.kind.clone(),
                match (&l.restored, l.kind.as_str()) {
                    (Some(r), _) => range(r),
                    (None, "labour") => "see workers".into(),
                    _ => "no figure".into(),
                },
                l.share.as_ref().map_or("–".into(), pct),
                l.years_used
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
                if l.applied {
                    "yes".into()
                } else {
                    "no (disputed)".into()
                },
                l.confidence.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "lifted",
            "kind",
            "restored/yr (low–high)",
            "share of pre-sanction",
            "years",
            "applied",
            "confidence",
        ],
        &rows,
    );
    for l in &rel.lifts {
        for n in &l.notes {
            println!("  {}: {n}", l.citation);
        }
    }
    if let Some(p) = &rel.pre_sanction_exports {
        println!(
            "pre-sanction exports: {} ({})",
            range(p),
            rel.pre_sanction_estimates
                .iter()
                .map(|e| format!("{} {} {}", e.year, e.series, e.counterpart))
                .collect::<Vec<_>>()
                .join("; ")
        );
    }
    println!(
        "goods restored: {}{}",
        range(&rel.goods_restored),
        rel.goods_share.as_ref().map_or(String::new(), |s| format!(
            " = {} of pre-sanction exports",
            pct(s)
        ))
    );
    if let Some(lab) = &rel.labour {
        println!(
            "workers ({}): {} — {}",
            lab.lifts.join(" + "),
            range(&lab.earnings),
            lab.sources.join("; ")
        );
    }
    println!("total: {}", range(&rel.total));
    for e in &rel.exemptions {
        println!(
            "exemption {}: {}{} — not quantified; {}",
            e.id,
            e.description,
            if e.hs.is_empty() {
                String::new()
            } else {
                format!(
                    " (HS {}, list complete: {})",
                    e.hs.join(","),
                    e.list_complete
                        .map_or("unknown", |b| if b { "yes" } else { "no" })
                )
            },
            e.note.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// `embargo signals`: compliance signals in the trade data.
fn signals_report(ctx: &Context, source: &TradeSource) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let (recs, label) = trade(ctx, &regime, source)?;
    let s = signals(&regime, &recs);
    if ctx.json {
        return ctx.print_json(&json!({"data": label, "signals": s}));
    }
    println!("data: {label}");
    println!("\nFlows in a banned category after the ban (and wind-down):");
    let rows: Vec<Vec<String>> = s
        .post_ban
        .iter()
        .map(|p| {
            vec![
                p.citation.clone(),
                p.period.clone(),
                p.counterpart.clone(),
                p.series.clone(),
                fmt_usd(p.value_usd),
                format!("{}/{}", p.days_after, p.days_in_period),
                p.relaxed_by.join(","),
            ]
        })
        .collect();
    print_table(
        &[
            "measure",
            "period",
            "to",
            "series",
            "value",
            "days after/in period",
            "relaxed by",
        ],
        &rows,
    );
    println!("\nCap use:");
    let rows: Vec<Vec<String>> = s
        .caps
        .iter()
        .map(|c| {
            vec![
                c.citation.clone(),
                c.window.clone(),
                c.counterpart.clone(),
                c.series.clone(),
                fmt_amount(c.used, &c.unit),
                fmt_amount(c.limit, &c.unit),
                format!("{:.1}%", c.share * 100.0),
                c.note.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print_table(
        &[
            "cap", "window", "to", "series", "used", "limit", "share", "note",
        ],
        &rows,
    );
    println!("\nLivelihood leakage:");
    for l in &s.leakage {
        println!(
            "  {} {} (in force {}): {}",
            l.citation,
            l.exception,
            l.in_force,
            match (&l.ratio, &l.comparison) {
                (Some(x), Some(c)) => format!("{:.0}% of the pre-sanction level — {c}", x * 100.0),
                _ => "no comparable pair of figures (see below)".into(),
            }
        );
    }
    println!("\nCannot be computed from this data:");
    for l in &s.limits {
        println!("  - {l}");
    }
    Ok(())
}

/// `embargo timeline`: provocations, adoptions and Council response times.
fn timeline_report(ctx: &Context, events: Option<PathBuf>) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let ev = match events {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            Events::parse(&p.display().to_string(), &text)?
        }
        None => Events::bundled()?,
    };
    let t = timeline(&regime, &ev);
    if ctx.json {
        return ctx.print_json(&t);
    }
    let rows: Vec<Vec<String>> = t
        .lags
        .iter()
        .map(|l| {
            vec![
                l.resolution.clone(),
                l.adopted.to_string(),
                l.trigger.to_string(),
                l.trigger_event.clone(),
                l.days.to_string(),
                l.days_from_last_trigger
                    .map_or(String::new(), |d| d.to_string()),
                l.administration.clone().unwrap_or_default(),
                l.confidence.to_string(),
            ]
        })
        .collect();
    print_table(
        &[
            "resolution",
            "adopted (NY)",
            "trigger (KST)",
            "event",
            "days",
            "from last",
            "administration",
            "confidence",
        ],
        &rows,
    );
    println!();
    for m in &t.means {
        println!(
            "{:<6} {:<32} {:>5.1} days  [{}]{}",
            m.administration,
            m.label,
            m.mean_days,
            m.resolutions.join(", "),
            m.published.map_or(String::new(), |p| format!(
                "  published: {p} ({})",
                m.published_source.as_deref().unwrap_or("")
            ))
        );
    }
    for x in t.excluded.iter().chain(&t.mismatches) {
        println!("note: {x}");
    }
    Ok(())
}

/// `embargo report`: the HTML report with its charts and tables.
fn write_report(
    ctx: &Context,
    out: PathBuf,
    proposal: String,
    baseline_year: Option<i32>,
    baseline_years: Option<String>,
    png_scale: f32,
    source: &TradeSource,
) -> anyhow::Result<()> {
    if !(0.1..=8.0).contains(&png_scale) {
        bail!("--png-scale must be between 0.1 and 8");
    }
    let bar = ProgressBar::new(11);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("loading regime and trade data");
    let regime = ctx.regime()?;
    let (recs, label) = trade(ctx, &regime, source)?;
    let p = Proposal::load(&proposal)?;
    let (w, t, e) = (Workers::bundled()?, Tourism::bundled()?, Events::bundled()?);
    bar.inc(1);
    bar.set_message("computing exposure, relief, signals, timeline");
    let inputs = report::Inputs {
        regime: &regime,
        trade: &recs,
        dataset: label.clone(),
        proposal: &p,
        workers: &w,
        tourism: &t,
        events: &e,
        relief: ReliefOptions {
            baseline: baseline(baseline_year, baseline_years.as_deref())?,
            include_disputed: false,
        },
    };
    let rep = report::build(&inputs);
    bar.inc(1);
    let written = report::write(&rep, &out, png_scale, &mut |step| {
        bar.set_message(step.to_string());
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    if ctx.json {
        return ctx.print_json(&json!({"written": written, "report": rep}));
    }
    let rel = &rep.relief;
    println!("embargo report — data: {label}");
    println!(
        "relief ({}): goods {}{}; workers {}; total {}",
        rel.proposal.id,
        range(&rel.goods_restored),
        rel.goods_share.as_ref().map_or(String::new(), |s| format!(
            " = {} of pre-sanction exports",
            pct(s)
        )),
        rel.labour
            .as_ref()
            .map_or("none".into(), |l| range(&l.earnings)),
        range(&rel.total)
    );
    for m in &rep.timeline.means {
        println!(
            "lag {} ({}): {:.1} days over {}{}",
            m.administration,
            m.label,
            m.mean_days,
            m.resolutions.join(", "),
            m.published
                .map_or(String::new(), |p| format!(" (published {p})"))
        );
    }
    for l in rep.signals.leakage.iter().filter(|l| l.ratio.is_some()) {
        println!(
            "livelihood leakage {}: {}",
            l.citation,
            l.comparison.as_deref().unwrap_or("")
        );
    }
    println!(
        "category-level rows (published categories, not HS statistics): {}",
        rep.category_rows.len()
    );
    if written.font_faces == 0 {
        println!("warning: no system font found; PNG charts have no text (install fonts-dejavu-core). SVG charts are complete.");
    }
    println!(
        "wrote {} files to {}",
        written.files.len(),
        written.dir.display()
    );
    println!("open {}", written.dir.join("index.html").display());
    Ok(())
}

fn estimate(ctx: &Context, what: EstimateCommand) -> anyhow::Result<()> {
    match what {
        EstimateCommand::Workers {
            workers,
            wage_low,
            wage_high,
            file,
        } => {
            let w = match file {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    Workers::parse(&p.display().to_string(), &text)?
                }
                None => Workers::bundled()?,
            };
            for (name, v) in [
                ("--workers", workers),
                ("--wage-low", wage_low),
                ("--wage-high", wage_high),
            ] {
                if v.is_some_and(|x| !(x.is_finite() && x >= 0.0)) {
                    bail!("{name} must be a non-negative number");
                }
            }
            let e = estimates::workers(
                &w,
                &WorkerOverrides {
                    workers,
                    wage_low,
                    wage_high,
                },
            );
            if ctx.json {
                return ctx.print_json(&e);
            }
            println!("{}: {}", w.title, range(&e.earnings));
            println!("  workers: {} — {}", fmt_count(e.workers), e.workers_source);
            println!(
                "  per worker: USD {:.0}–{:.0} a year ({})",
                e.wage_low, e.wage_high, e.wage_basis
            );
            println!("  central: {}", e.central_basis);
            println!("  sources:");
            for s in &e.sources {
                println!("    - {s}");
            }
            for c in &w.count {
                println!(
                    "  count {}: {:.0} [{}] — {}",
                    c.year, c.value, c.confidence, c.source
                );
            }
            for n in &e.notes {
                println!("  note: {n}");
            }
        }
        EstimateCommand::Tourism {
            year,
            tourists,
            spend,
            file,
        } => {
            let t = match file {
                Some(p) => {
                    let text = std::fs::read_to_string(&p)
                        .with_context(|| format!("reading {}", p.display()))?;
                    Tourism::parse(&p.display().to_string(), &text)?
                }
                None => Tourism::bundled()?,
            };
            for (name, v) in [("--tourists", tourists), ("--spend", spend)] {
                if v.is_some_and(|x| !(x.is_finite() && x >= 0.0)) {
                    bail!("{name} must be a non-negative number");
                }
            }
            let e = estimates::tourism(
                &t,
                &TourismOverrides {
                    year,
                    tourists,
                    spend,
                },
            );
            if ctx.json {
                return ctx.print_json(&e);
            }
            println!(
                "{} in {}: {}",
                t.title,
                e.year,
                e.range.as_ref().map_or("not computable".into(), range)
            );
            println!(
                "  visitors: {} — {}",
                e.tourists.map_or("unknown".into(), |n| format!("{n:.0}")),
                e.tourists_source
            );
            println!(
                "  spend per trip: USD {:.0} — {}",
                e.spend_per_trip_usd, e.spend_source
            );
            if let Some(c) = e.computed_usd {
                println!("  visitors × spend: {}", fmt_usd(c));
            }
            for p in &e.published {
                println!(
                    "  published {}: {} [{}] — {}",
                    p.year,
                    fmt_usd(p.usd),
                    p.confidence,
                    p.source
                );
            }
            for v in &t.visitors {
                println!(
                    "  visitors {}: {:.0} [{}] — {}",
                    v.year, v.value, v.confidence, v.source
                );
            }
            for n in &e.notes {
                println!("  note: {n}");
            }
        }
    }
    Ok(())
}
