//! `embargo check`: one shipment from flags, or a CSV of shipments (`--batch`).
//!
//! The batch path is `embargo_batch::check`: blocks of the file classified on all cores
//! through the regime's `CheckIndex`, results written in input order to a file, stdout or
//! an HTTP endpoint, as CSV, JSON lines or Parquet. Bad rows are reported with line and
//! field, written to the output as `error` rows, and counted; nothing is dropped.

use crate::context::Context;
use anyhow::bail;
use clap::{Args as ClapArgs, ValueEnum};
use embargo_batch::check::CheckBatch;
use embargo_batch::{Format, Target};
use embargo_regime::{Assessment, Regime, Shipment, ShipmentInput};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(ClapArgs)]
pub struct Args {
    /// HS code: 2, 4 or 6 digits (dots allowed: 2701.12).
    #[arg(long, required_unless_present = "batch")]
    hs: Option<String>,
    /// ISO 3166-1 alpha-2 origin (KP is the DPRK).
    #[arg(long, required_unless_present = "batch")]
    origin: Option<String>,
    /// ISO 3166-1 alpha-2 destination.
    #[arg(long, required_unless_present = "batch")]
    destination: Option<String>,
    /// Country the goods pass through (e.g. KP for coal shipped via Rajin).
    #[arg(long)]
    via: Option<String>,
    /// Shipment date, YYYY-MM-DD.
    #[arg(long, required_unless_present = "batch")]
    date: Option<String>,
    /// Quantity (with --unit): compared with caps.
    #[arg(long, requires = "unit")]
    quantity: Option<f64>,
    /// Unit of --quantity: kg, t, bbl.
    #[arg(long)]
    unit: Option<String>,
    /// Value in USD: compared with value caps, and with the value thresholds of luxury
    /// items (2321: rugs and tapestries over USD 500; give the value of one item).
    #[arg(long)]
    value_usd: Option<f64>,
    /// CSV of shipments: columns hs, origin, destination, date; optional id, via, quantity, unit, value_usd.
    #[arg(long, conflicts_with_all = ["hs", "origin", "destination", "date"])]
    batch: Option<PathBuf>,
    /// Where --batch writes: a file (written under a temporary name, renamed when the run
    /// succeeds), an http:// or https:// URL (one streamed POST through curl; the
    /// Authorization header from EMBARGO_OUT_AUTHORIZATION), or - for stdout (default).
    #[arg(long, requires = "batch")]
    out: Option<PathBuf>,
    /// Output format for --batch.
    #[arg(long, value_enum, default_value_t = BatchFormat::Csv)]
    format: BatchFormat,
    /// Stop at the first bad row instead of reporting it and going on.
    #[arg(long)]
    strict: bool,
    /// Worker threads for --batch (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Run --batch on the Ballista cluster whose scheduler is at df://HOST:PORT (default:
    /// $EMBARGO_CLUSTER, else this process; there the executors' --concurrent-tasks
    /// replace --threads). Every node must see the --batch file at the same path; the
    /// results are written to --out from here: nodes that see a directory this process
    /// makes beside --out (else beside the input) leave them there to be copied in,
    /// others send them back (docs/cluster.md). A scheduler without executors is waited
    /// for $EMBARGO_CLUSTER_WAIT seconds (default 30).
    #[arg(long, requires = "batch")]
    cluster: Option<String>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub(crate) enum BatchFormat {
    /// One row per input row, with a header line.
    Csv,
    /// One JSON object per line.
    Jsonl,
    /// Apache Parquet, typed columns (needs --out: not for a terminal).
    Parquet,
}

impl From<BatchFormat> for Format {
    fn from(f: BatchFormat) -> Format {
        match f {
            BatchFormat::Csv => Format::Csv,
            BatchFormat::Jsonl => Format::Jsonl,
            BatchFormat::Parquet => Format::Parquet,
        }
    }
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    if let Some(path) = args.batch.clone() {
        return batch(&regime, &path, &args, ctx);
    }
    let shipment = shipment_from_args(&args)?;
    let a = regime.check(&shipment);
    if ctx.json {
        return ctx.print_json(&json!({
            "hs_description": embargo_regime::describe_hs(shipment.hs.as_str()),
            "shipment": {"hs": shipment.hs, "origin": shipment.origin, "destination": shipment.destination, "via": shipment.via, "date": shipment.date, "quantity": shipment.quantity, "value_usd": shipment.value_usd},
            "verdict": a.verdict, "confidence": a.confidence, "rests_on_unconfirmed": a.rests_on_unconfirmed,
            "directions": a.directions, "citations": a.citations, "conditions": a.conditions,
            "findings": a.findings, "unscoped": a.unscoped, "notes": a.notes,
            "date_convention": "New York adoption dates; measures in force from the adoption day",
        }));
    }
    print_assessment(&shipment, &a);
    Ok(())
}

fn shipment_from_args(args: &Args) -> anyhow::Result<Shipment> {
    let (Some(hs), Some(origin), Some(destination), Some(date)) =
        (&args.hs, &args.origin, &args.destination, &args.date)
    else {
        bail!("give --hs, --origin, --destination and --date, or --batch FILE");
    };
    let input = ShipmentInput {
        hs,
        origin,
        destination,
        via: args.via.as_deref(),
        date,
        quantity: args.quantity,
        unit: args.unit.as_deref(),
        value_usd: args.value_usd,
    };
    // The flag of a field is its name with dashes (value_usd: --value-usd).
    input
        .to_shipment()
        .map_err(|e| anyhow::anyhow!("--{}: {}", e.field.replace('_', "-"), e.message))
}

fn print_assessment(s: &Shipment, a: &Assessment) {
    let via = s.via.map(|v| format!(" via {v}")).unwrap_or_default();
    println!(
        "HS {} {} -> {}{} on {}",
        s.hs, s.origin, s.destination, via, s.date
    );
    if let Some(name) = embargo_regime::describe_hs(s.hs.as_str()) {
        let level = if name.code.len() == 2 {
            "chapter"
        } else {
            "heading"
        };
        println!(
            "goods (HS {} {level} {}): {}",
            name.edition, name.code, name.description
        );
    }
    println!("verdict: {}", a.verdict.as_str().to_uppercase());
    if let Some(confidence) = a.confidence {
        let mut basis: Vec<&str> = Vec::new();
        for f in a.findings.iter().filter(|f| f.outcome == a.verdict) {
            if !basis.contains(&f.citation.as_str()) {
                basis.push(&f.citation);
            }
        }
        println!("rests on: {} ({confidence})", basis.join(", "));
        if a.rests_on_unconfirmed {
            let open: Vec<String> = a
                .citations
                .iter()
                .filter(|c| basis.contains(&c.short().as_str()))
                .filter(|c| c.confidence == embargo_regime::Confidence::Unconfirmed)
                .map(|c| {
                    format!(
                        "{}: content {}, paragraph {}",
                        c.short(),
                        c.content_confidence,
                        c.paragraph_confidence
                    )
                })
                .collect();
            println!(
                "doubt: this verdict rests only on unconfirmed measures ({}); check them against the resolution text",
                open.join("; ")
            );
        }
    }
    if !a.citations.is_empty() {
        println!("\nmeasures:");
        // Columns as wide as their longest cell: "1718 OP8(a)(iii)" does not push the
        // rest of its line out of line.
        let rows: Vec<[String; 3]> = a
            .citations
            .iter()
            .map(|c| [c.short(), c.confidence.to_string(), c.measure.clone()])
            .collect();
        let width = |k: usize| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0);
        let (w0, w1, w2) = (width(0), width(1), width(2));
        for (r, c) in rows.iter().zip(&a.citations) {
            println!("  {:<w0$}  {:<w1$}  {:<w2$}  {}", r[0], r[1], r[2], c.title);
        }
    }
    if !a.conditions.is_empty() {
        println!("\nconditions:");
        for c in &a.conditions {
            println!(
                "  [{}] {}: {}",
                serde_json::to_value(c.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                c.citation,
                c.text
            );
        }
    }
    if !a.unscoped.is_empty() {
        println!("\nalso in force, not defined by HS code (check the goods against these lists):");
        for c in &a.unscoped {
            println!("  {}: {}", c.short(), c.title);
        }
    }
    for n in &a.notes {
        println!("\nnote: {n}");
    }
}

// ---------------------------------------------------------------- batch

/// Parquet is bytes for a program, not a person: a terminal is refused before any work.
pub(crate) fn refuse_parquet_on_terminal(target: &Target, format: Format) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if format == Format::Parquet && *target == Target::Stdout && std::io::stdout().is_terminal() {
        bail!("--format parquet writes binary data: give --out FILE (or pipe standard output)");
    }
    Ok(())
}

fn batch(regime: &Regime, path: &Path, args: &Args, ctx: &Context) -> anyhow::Result<()> {
    // Before the progress bar: waiting for a cluster's executor is said on stderr.
    let cluster = crate::cluster::cluster_url(args.cluster.as_deref())?;
    let total = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let started = std::time::Instant::now();
    let progress = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    progress.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {bytes}/{total_bytes} {bar:30} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let job = CheckBatch {
        regime,
        format: args.format.into(),
        threads: args.threads.unwrap_or_else(embargo_batch::default_threads),
        strict: args.strict,
    };
    let target = Target::from_out(args.out.as_deref());
    refuse_parquet_on_terminal(&target, job.format)?;
    let bar = progress.clone();
    let tick = move |n| bar.inc(n);
    let result = match cluster {
        None => embargo_batch::check::check_file(&job, path, &target, &tick).map_err(Into::into),
        Some(url) => batch_on_cluster(&url, &job, path, &target, &tick),
    };
    progress.finish_and_clear();
    let summary = result?;
    let cut = crate::context::warn_if_cut(path);
    let secs = started.elapsed().as_secs_f64();
    let file_name = path.display().to_string();
    let totals = summary.counts;
    let to_file = !matches!(target, Target::Stdout);
    if ctx.json && to_file {
        return ctx.print_json(&json!({
            "file": file_name, "rows": totals.rows, "prohibited": totals.prohibited, "conditional": totals.conditional,
            "permitted": totals.permitted, "errors": totals.errors, "seconds": secs, "rows_per_second": totals.rows as f64 / secs.max(1e-9),
            "first_errors": summary.first_errors, "last_line_without_end": cut,
            "output": target.describe(), "format": job.format.as_str(), "delivered": summary.delivered,
        }));
    }
    for e in &summary.first_errors {
        eprintln!("{file_name}:{}: {}: {}", e.line, e.field, e.message);
    }
    let named = summary.first_errors.len() as u64;
    if totals.errors > named {
        eprintln!("... and {} more bad rows", totals.errors - named);
    }
    eprintln!(
        "{} rows: {} prohibited, {} conditional, {} permitted, {} skipped as errors (reported in the output) in {:.2}s ({:.0} rows/s)",
        totals.rows, totals.prohibited, totals.conditional, totals.permitted, totals.errors, secs, totals.rows as f64 / secs.max(1e-9)
    );
    Ok(())
}

/// The batch check as plans on a cluster: the blocks are checked by its executors, the
/// results written here (`embargo_batch::plan`).
fn batch_on_cluster(
    url: &embargo_cluster::ClusterUrl,
    job: &CheckBatch<'_>,
    path: &Path,
    target: &Target,
    progress: &(dyn Fn(u64) + Sync),
) -> anyhow::Result<embargo_batch::check::CheckSummary> {
    let session = embargo_cluster::batch_engine(url)(embargo_batch::plan::session_config())?;
    let udf = embargo_batch::plan::CheckBlockUdf::udf(std::sync::Arc::new(job.regime.clone()));
    let runtime = crate::cluster::runtime()?;
    let on = embargo_batch::plan::CheckOn {
        udf: &udf,
        waves: embargo_batch::plan::Waves::SHIPMENTS,
        stop: Some(crate::cluster::stop_waves(url)),
        // Executors that see the output's directory write their blocks there.
        parts: true,
    };
    crate::cluster::failed_on(
        url,
        runtime.block_on(embargo_batch::plan::check_file_on(
            &session, &on, job, path, target, progress,
        )),
    )
}
