//! `embargo lists` (import, status, fetch, export), `embargo screen` (one name or a CSV
//! batch) and `embargo eval` (name-matching evaluation on labelled pairs).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use embargo_names::compare::{compare_names, CompareParams};
use embargo_screen::eval::{best, metrics, read_cases, score_cases, Metrics};
use embargo_screen::matcher::{FoundBy, DEFAULT_MATCH, DEFAULT_REVIEW};
use embargo_screen::{
    regime_link, ListStore, Matcher, Schema, ScreenRequest, Screening, Source, Thresholds,
};
use serde_json::json;

use crate::check::BatchFormat;
use crate::context::Context;

#[derive(Clone, Copy, ValueEnum)]
pub enum SourceArg {
    Un,
    Ofac,
}

impl From<SourceArg> for Source {
    fn from(s: SourceArg) -> Source {
        match s {
            SourceArg::Un => Source::Un,
            SourceArg::Ofac => Source::Ofac,
        }
    }
}

#[derive(ClapArgs)]
pub struct ListsArgs {
    #[command(subcommand)]
    command: ListsCommand,
}

#[derive(Subcommand)]
enum ListsCommand {
    /// Import a list file (UN consolidated XML, or OFAC sdn.csv with add/alt/sdn_comments beside it)
    /// as a new version and make it active. A malformed file changes nothing.
    /// The file must be a whole publication (UN: closing </CONSOLIDATED_LIST> and its
    /// dateGenerated; OFAC: at least one record, every record whole and ended by a line
    /// end), and may not lack more than --max-shrink of the active version's entries.
    Import {
        /// The list file: the UN consolidated XML, or OFAC's sdn.csv.
        file: PathBuf,
        /// Which list the file is (default: .xml = un, .csv = ofac).
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
        #[command(flatten)]
        shrink: ShrinkArgs,
    },
    /// Versions, counts and dates of the imported lists.
    Status,
    /// Download the official files (needs network and curl) and import them.
    Fetch {
        /// Only this list (default: both).
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
        #[command(flatten)]
        shrink: ShrinkArgs,
    },
    /// Write the active list(s), or a file, as FollowTheMoney JSON lines.
    Export {
        /// Read this file instead of the active lists.
        #[arg(long)]
        file: Option<PathBuf>,
        /// Only this list (default: both).
        #[arg(long, value_enum)]
        source: Option<SourceArg>,
        /// Output file (default: stdout); written to a temporary file, then renamed.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The guard against a new file much smaller than what it replaces (a list's active
/// version, or the book).
#[derive(ClapArgs)]
pub(crate) struct ShrinkArgs {
    /// Import even when the new file lacks more than --max-shrink of what it replaces (the
    /// list's active entries, or the book's records): the publisher really removed them,
    /// a filtered list is wanted, or the book really shrank.
    #[arg(long)]
    allow_shrink: bool,
    /// Largest share (0 to 1) of the list's active entries, or of the book's records, that
    /// the new file may lack.
    #[arg(long, default_value_t = embargo_screen::DEFAULT_MAX_SHRINK)]
    max_shrink: f64,
}

impl ShrinkArgs {
    pub(crate) fn options(&self) -> anyhow::Result<embargo_screen::ImportOptions> {
        if !(0.0..=1.0).contains(&self.max_shrink) {
            bail!(
                "--max-shrink {}: a share between 0 and 1 (0.2 = 20%)",
                self.max_shrink
            );
        }
        Ok(embargo_screen::ImportOptions {
            max_shrink: self.max_shrink,
            allow_shrink: self.allow_shrink,
        })
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SchemaArg {
    Person,
    Organization,
    Company,
    Vessel,
}

impl From<SchemaArg> for Schema {
    fn from(s: SchemaArg) -> Schema {
        match s {
            SchemaArg::Person => Schema::Person,
            SchemaArg::Organization => Schema::Organization,
            SchemaArg::Company => Schema::Company,
            SchemaArg::Vessel => Schema::Vessel,
        }
    }
}

#[derive(ClapArgs)]
pub struct ScreenArgs {
    /// Name to screen (any script: Hangul, Han, Cyrillic, Arabic... are transliterated).
    /// A name written as an IMO number (`IMO 8660313`) is screened as --imo.
    #[arg(required_unless_present_any = ["batch", "imo", "passport"])]
    name: Option<String>,
    /// What the name is: only entries of that kind are matched (default: any kind).
    #[arg(long, value_enum)]
    schema: Option<SchemaArg>,
    /// Birth date: YYYY, YYYY-MM or YYYY-MM-DD.
    #[arg(long)]
    dob: Option<String>,
    /// Nationality, citizenship, address country or flag (name or ISO code).
    #[arg(long)]
    country: Option<String>,
    /// IMO ship number (7 digits, check digit verified). Decisive when it equals a listed IMO.
    #[arg(long)]
    imo: Option<String>,
    /// Passport or national ID number. Decisive when it equals a listed document.
    #[arg(long)]
    passport: Option<String>,
    /// CSV of names: columns name, optional schema, dob, country, imo, id.
    #[arg(long, conflicts_with = "name")]
    batch: Option<PathBuf>,
    /// Where --batch writes: a file (written under a temporary name, renamed when the run
    /// succeeds), an http:// or https:// URL (one streamed POST through curl; the
    /// Authorization header from EMBARGO_OUT_AUTHORIZATION), or - for stdout (default).
    #[arg(long, requires = "batch")]
    out: Option<PathBuf>,
    /// Output format for --batch: JSON lines carry every hit with its explanation; CSV the
    /// best hit of each row; Parquet both (every hit in the `matches` column as JSON).
    #[arg(long, value_enum, default_value_t = BatchFormat::Jsonl, requires = "batch")]
    format: BatchFormat,
    /// Score at or above which a hit is a match.
    #[arg(long, default_value_t = DEFAULT_MATCH)]
    match_threshold: f64,
    /// Score at or above which a hit needs review.
    #[arg(long, default_value_t = DEFAULT_REVIEW)]
    review_threshold: f64,
    /// Screen against these list files instead of the imported lists (repeatable).
    #[arg(long = "list")]
    lists: Vec<PathBuf>,
    /// Worker threads for --batch (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Run --batch on the Ballista cluster whose scheduler is at df://HOST:PORT (default:
    /// $EMBARGO_CLUSTER, else this process; there the executors' --concurrent-tasks
    /// replace --threads). Every node must see the --batch file at the
    /// same path and have imported the same list versions as this data directory; the
    /// results come back here, are audited here and written to --out (docs/cluster.md).
    /// A scheduler without executors is waited for $EMBARGO_CLUSTER_WAIT seconds
    /// (default 30).
    #[arg(long, requires = "batch")]
    cluster: Option<String>,
}

#[derive(ClapArgs)]
pub struct EvalArgs {
    #[command(subcommand)]
    command: EvalCommand,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Precision/recall/F1 on labelled name pairs (nomenklatura name_bench cases.csv), beside
    /// the frozen logic-v2 run when `name_bench_logicv2-frozen.csv` sits in the same folder.
    Names {
        /// Labelled pairs file (name_bench cases.csv).
        file: PathBuf,
        /// Threshold to report besides the best one.
        #[arg(long, default_value_t = DEFAULT_MATCH)]
        threshold: f64,
        /// logic-v2 run to compare with (default: name_bench_logicv2-frozen.csv beside FILE).
        #[arg(long)]
        reference: Option<PathBuf>,
    },
    /// Cross-script pairs (watchman cross_script_pairs.csv: Query,Expected Match,Min Score,...).
    CrossScript {
        /// Pairs file (cross_script_pairs.csv).
        file: PathBuf,
    },
    /// Whole screenings against the active lists (or `--list` files): precision and recall
    /// per kind of case (data/screening/eval/korean_institutions.csv).
    Screening {
        /// Cases file: kind,query,schema,country,expect,source.
        file: PathBuf,
        /// List files to screen against instead of the active lists (UN .xml, OFAC sdn.csv).
        #[arg(long = "list")]
        lists: Vec<PathBuf>,
    },
    /// One person's aliases, one per line (nomenklatura putin_names.txt): each against the first Latin one.
    Aliases {
        /// Aliases file, one name per line.
        file: PathBuf,
        /// The reference name (default: "Vladimir Putin" when listed, else the first Latin line).
        #[arg(long)]
        reference: Option<String>,
    },
}

fn thresholds(args: &ScreenArgs) -> anyhow::Result<Thresholds> {
    if !(0.0..=1.0).contains(&args.match_threshold) || !(0.0..=1.0).contains(&args.review_threshold)
    {
        bail!("thresholds must be between 0 and 1");
    }
    if args.review_threshold > args.match_threshold {
        bail!(
            "--review-threshold ({}) is above --match-threshold ({})",
            args.review_threshold,
            args.match_threshold
        );
    }
    Ok(Thresholds {
        match_at: args.match_threshold,
        review_at: args.review_threshold,
    })
}

pub fn run_lists(args: ListsArgs, ctx: &Context) -> anyhow::Result<()> {
    let store = ListStore::open(&ctx.data_dir());
    match args.command {
        ListsCommand::Import {
            file,
            source,
            shrink,
        } => {
            let meta = store.import_with(&file, source.map(Source::from), shrink.options()?)?;
            crate::book::follow_after_list_import(ctx)?;
            if ctx.json {
                return ctx.print_json(&meta);
            }
            println!(
                "imported {} as {} version {}",
                file.display(),
                meta.source,
                meta.version
            );
            println!("  entries: {} ({} DPRK)", meta.entities, meta.dprk_entities);
            for (k, v) in &meta.counts {
                println!("  {k:<13} {v}");
            }
            if let Some(g) = &meta.generated {
                println!("  publisher date: {g}");
            }
            if !meta.skipped.is_empty() {
                println!("  skipped {} rows:", meta.skipped.len());
                for s in &meta.skipped {
                    println!("    {s}");
                }
            }
            Ok(())
        }
        ListsCommand::Status => {
            let status = store.status()?;
            if ctx.json {
                return ctx.print_json(&status);
            }
            println!("list store: {}", store.root().display());
            for s in &status {
                println!(
                    "{}: active {}",
                    s.source,
                    s.active.as_deref().unwrap_or("(none)")
                );
                for v in &s.versions {
                    let mark = if s.active.as_deref() == Some(v.version.as_str()) {
                        "*"
                    } else {
                        " "
                    };
                    let counts: Vec<String> =
                        v.counts.iter().map(|(k, n)| format!("{k} {n}")).collect();
                    println!(
                        "  {mark} {}  imported {}  publisher {}  {} entries ({} DPRK): {}",
                        v.version,
                        v.imported_at.get(..19).unwrap_or(&v.imported_at),
                        v.generated.as_deref().unwrap_or("-"),
                        v.entities,
                        v.dprk_entities,
                        counts.join(", ")
                    );
                }
            }
            Ok(())
        }
        ListsCommand::Fetch { source, shrink } => {
            let options = shrink.options()?;
            let sources = match source {
                Some(s) => vec![Source::from(s)],
                None => vec![Source::Un, Source::Ofac],
            };
            let mut metas = Vec::new();
            for s in sources {
                eprintln!("fetching the {s} list...");
                let meta = store
                    .fetch_with(s, None, options)
                    .with_context(|| format!("fetching the {s} list"))?;
                if !ctx.json {
                    println!(
                        "{s}: version {} active, {} entries",
                        meta.version, meta.entities
                    );
                }
                metas.push(meta);
            }
            crate::book::follow_after_list_import(ctx)?;
            if ctx.json {
                ctx.print_json(&metas)?;
            }
            Ok(())
        }
        ListsCommand::Export { file, source, out } => {
            let snapshots = match file {
                Some(f) => {
                    let s = source
                        .map(Source::from)
                        .or_else(|| embargo_screen::store::detect_source(&f))
                        .context("pass --source un|ofac")?;
                    vec![embargo_screen::store::parse_file(&f, s)?.0]
                }
                None => {
                    let wanted: Vec<Source> = match source {
                        Some(s) => vec![s.into()],
                        None => vec![Source::Un, Source::Ofac],
                    };
                    let mut v = Vec::new();
                    for s in wanted {
                        if let Some(snap) = store.load_active(s)? {
                            v.push(snap);
                        }
                    }
                    if v.is_empty() {
                        bail!(
                            "no active list in {}; run `embargo lists import FILE` first",
                            store.root().display()
                        );
                    }
                    v
                }
            };
            let write = |w: &mut dyn Write| -> anyhow::Result<()> {
                for s in &snapshots {
                    s.write_ftm(&mut *w)?;
                }
                Ok(())
            };
            match out {
                // Written under a temporary name and renamed: nothing half-written is
                // left behind, under either name.
                Some(p) => {
                    let file = embargo_batch::destination::FileDestination::create(&p)?;
                    let mut w = embargo_batch::DestinationWriter::new(Box::new(file));
                    write(&mut w)?;
                    w.commit()?;
                    Ok(())
                }
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = stdout.lock();
                    write(&mut lock)
                }
            }
        }
    }
}

/// Load the matcher from `--list` files or the store's active lists.
fn load_matcher(args: &ScreenArgs, ctx: &Context) -> anyhow::Result<Matcher> {
    matcher_from(&args.lists, ctx)
}

/// The matcher over `lists` files, or over the store's active lists when none is given.
fn matcher_from(lists: &[PathBuf], ctx: &Context) -> anyhow::Result<Matcher> {
    let mut entities = Vec::new();
    if lists.is_empty() {
        let store = ListStore::open(&ctx.data_dir());
        entities = store.active_entities()?;
        if entities.is_empty() {
            bail!(
                "no imported lists in {}; run `embargo lists import FILE` (or pass --list FILE)",
                store.root().display()
            );
        }
    } else {
        for f in lists {
            let s = embargo_screen::store::detect_source(f).with_context(|| {
                format!(
                    "{}: cannot tell the list from the extension (.xml/.csv)",
                    f.display()
                )
            })?;
            entities.extend(embargo_screen::store::parse_file(f, s)?.0.entities);
        }
    }
    Ok(Matcher::new(entities))
}

fn print_screening(s: &Screening) {
    println!("query: {}   decision: {:?}", s.query, s.decision);
    if s.hits.is_empty() {
        println!("  no candidate above the review threshold");
    }
    for h in &s.hits {
        println!(
            "  {:>5.3} {:<9?} {}:{} {} [{}] listed {}",
            h.score,
            h.decision,
            h.source,
            h.id,
            h.name,
            h.programs.join(", "),
            h.listed_on
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into())
        );
        let ex = &h.explanation;
        match ex.found_by {
            FoundBy::Name => println!(
                "        matched {:?} {:?} via {:?}: name score {:.3}",
                ex.matched_name, ex.name_kind, ex.query_form, ex.name_score
            ),
            FoundBy::Identifier if ex.query_form.is_empty() => {
                println!("        found by identifier (no name given)")
            }
            FoundBy::Identifier => println!(
                "        found by identifier; its names are far from {:?}",
                ex.query_form
            ),
        }
        for p in &ex.name.pairs {
            println!(
                "          {} ~ {} ({:?}, similarity {:.2}, weight {:.2})",
                p.query, p.candidate, p.relation, p.similarity, p.weight
            );
        }
        if !ex.name.unmatched_query.is_empty() || !ex.name.unmatched_candidate.is_empty() {
            println!(
                "          unmatched: query {:?}, listed {:?}",
                ex.name.unmatched_query, ex.name.unmatched_candidate
            );
        }
        for f in &ex.features {
            println!(
                "          {:<10} {:+.3}  {}",
                f.feature, f.contribution, f.detail
            );
        }
        if let Some(r) = &h.regime {
            println!("        regime: {} ({}), {}", r.regime, r.target, r.note);
            for m in &r.measures {
                println!(
                    "          res. {} para. {}: {} [{}]{}",
                    m.resolution,
                    m.paragraph,
                    m.title,
                    m.confidence,
                    if m.in_force {
                        ""
                    } else {
                        " (not in force today)"
                    }
                );
            }
        }
    }
}

pub fn run_screen(args: ScreenArgs, ctx: &Context) -> anyhow::Result<()> {
    let th = thresholds(&args)?;
    if let Some(batch) = &args.batch {
        if let Some(url) = crate::cluster::cluster_url(args.cluster.as_deref())? {
            return run_batch_on_cluster(&args, batch, &url, &th, ctx);
        }
    }
    let matcher = load_matcher(&args, ctx)?;
    let regime = ctx.regime()?;
    let today = chrono::Utc::now().date_naive();
    if let Some(batch) = &args.batch {
        return run_batch(&args, batch, &matcher, &regime, &th, ctx);
    }
    let mut q = ScreenRequest {
        name: args.name.as_deref(),
        schema: None,
        dob: args.dob.as_deref(),
        country: args.country.as_deref(),
        imo: args.imo.as_deref(),
        passport: args.passport.as_deref(),
    }
    .to_query()?;
    // clap has read the schema already (one of its values).
    q.schema = args.schema.map(Schema::from);
    let mut s = matcher.screen(&q, &th)?;
    regime_link::attach(&mut s, &matcher, &regime, today);
    // A hit reached through the ownership network (an owner, a vessel's manager) is
    // reported beside the name hits, with its own decision, path and explanation.
    let network = embargo_network::screening_reach(&ctx.data_dir(), &q, today)
        .context("the screened name or IMO in the ownership network")?;
    // Audited before it is answered, as the server does, with the local user.
    let data = ctx.data_dir();
    crate::book::audit(
        &data,
        &[audit_record(
            "screen",
            &crate::book::cli_request_id(),
            json!({
                "name": args.name, "schema": q.schema.map(|s| s.as_str()), "dob": args.dob,
                "country": args.country, "imo": args.imo, "passport": args.passport,
                "lists": args.lists,
            }),
            &crate::book::list_versions(&data),
            &s,
        )],
    )?;
    if ctx.json {
        let mut v = serde_json::to_value(&s)?;
        if let (Some(obj), Some(r)) = (v.as_object_mut(), &network) {
            obj.insert("network".to_string(), serde_json::to_value(r)?);
        }
        ctx.print_json(&v)
    } else {
        print_screening(&s);
        if let Some(r) = &network {
            println!(
                "\nthrough the ownership network: {} ({}) decision {}",
                r.entity.name,
                r.entity.id,
                r.decision.as_str()
            );
            for h in &r.hits {
                println!("  [{}] {}", h.decision.as_str(), h.explanation);
            }
        }
        Ok(())
    }
}

/// The audit record of one command-line screening (key id `local:<user>`).
fn audit_record(
    kind: &str,
    request_id: &str,
    query: serde_json::Value,
    versions: &serde_json::Value,
    s: &Screening,
) -> embargo_audit::AuditRecord {
    embargo_audit::AuditRecord {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        key_id: Some(crate::book::local_caller()),
        request_id: request_id.to_string(),
        kind: kind.to_string(),
        query,
        list_versions: versions.clone(),
        hits: s.hits.iter().map(embargo_audit::AuditHit::from).collect(),
        decision: s.decision.as_str().into(),
    }
}

/// What the command line keeps of each batch row: its audit record (the server's batch
/// rows are audited the same way), committed a block at a time before the block is written.
struct AuditLedger {
    data: PathBuf,
    request_id: String,
    versions: serde_json::Value,
}

impl embargo_batch::screen::Ledger for AuditLedger {
    type Record = embargo_audit::AuditRecord;

    fn record(&self, r: embargo_batch::screen::Screened) -> Self::Record {
        embargo_audit::AuditRecord {
            time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            key_id: Some(crate::book::local_caller()),
            request_id: self.request_id.clone(),
            kind: "screen_batch".into(),
            query: json!({
                "row": r.row, "input_id": r.input_id, "name": r.name,
                "schema": r.schema, "country": r.country,
                "imo": r.imo, "passport": r.passport,
            }),
            list_versions: self.versions.clone(),
            hits: r
                .hits
                .into_iter()
                .map(|h| embargo_audit::AuditHit {
                    id: h.id,
                    source: h.source,
                    name: h.name,
                    score: h.score,
                })
                .collect(),
            decision: r.decision,
        }
    }

    fn commit(&self, records: Vec<Self::Record>) -> Result<(), String> {
        crate::book::audit(&self.data, &records)
            .map(drop)
            .map_err(|e| format!("{e:#}"))
    }
}

fn run_batch(
    args: &ScreenArgs,
    path: &Path,
    matcher: &Matcher,
    regime: &embargo_regime::Regime,
    th: &Thresholds,
    ctx: &Context,
) -> anyhow::Result<()> {
    let format: embargo_batch::Format = args.format.into();
    let target = embargo_batch::Target::from_out(args.out.as_deref());
    crate::check::refuse_parquet_on_terminal(&target, format)?;
    let rows = embargo_batch::screen::NameRows::open(path)?;
    let data = ctx.data_dir();
    let versions = crate::book::list_versions(&data);
    let ledger = AuditLedger {
        data,
        request_id: crate::book::cli_request_id(),
        versions: versions.clone(),
    };
    let job = embargo_batch::screen::ScreenBatch {
        matcher,
        regime,
        thresholds: *th,
        today: chrono::Utc::now().date_naive(),
        format,
        threads: args.threads.unwrap_or_else(embargo_batch::default_threads),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} {pos} rows {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let tick = bar.clone();
    let result =
        embargo_batch::screen::screen_rows(&job, rows, &target, &ledger, &move |n| tick.inc(n));
    bar.finish_and_clear();
    let summary = result?;
    let cut = crate::context::warn_if_cut(path);
    print_batch_summary(&summary, format, &versions, cut, ctx);
    Ok(())
}

/// What a batch screening came to, on stderr (JSON with --json).
fn print_batch_summary(
    summary: &embargo_batch::screen::ScreenSummary,
    format: embargo_batch::Format,
    versions: &serde_json::Value,
    last_line_without_end: bool,
    ctx: &Context,
) {
    let total = &summary.counts;
    for b in &total.bad {
        eprintln!("bad row: {b}");
    }
    if ctx.json {
        let summary = json!({
            "rows": total.rows, "match": total.matched, "review": total.review,
            "no_match": total.no_match, "bad_rows": total.bad.len(),
            "format": format.as_str(), "delivered": summary.delivered, "list_versions": versions,
            "last_line_without_end": last_line_without_end,
        });
        eprintln!("{summary}");
    } else {
        eprintln!(
            "{} rows: {} match, {} review, {} no_match, {} bad rows (reported above, written as error lines)",
            total.rows,
            total.matched,
            total.review,
            total.no_match,
            total.bad.len()
        );
    }
}

/// The batch screening as plans on a cluster: the executors screen the blocks against
/// their imported lists (which must be this data directory's versions), the rows are
/// audited and written here (`embargo_batch::plan`).
fn run_batch_on_cluster(
    args: &ScreenArgs,
    path: &Path,
    url: &embargo_cluster::ClusterUrl,
    th: &Thresholds,
    ctx: &Context,
) -> anyhow::Result<()> {
    if !args.lists.is_empty() {
        bail!(
            "--list cannot be used with --cluster: the executors screen against the lists \
             imported in their data directories"
        );
    }
    let format: embargo_batch::Format = args.format.into();
    let target = embargo_batch::Target::from_out(args.out.as_deref());
    crate::check::refuse_parquet_on_terminal(&target, format)?;
    let data = ctx.data_dir();
    let store = ListStore::open(&data);
    let list_versions =
        embargo_screen::sql::ScreeningLists::active_versions(&store).map_err(anyhow::Error::msg)?;
    if list_versions.is_empty() {
        bail!(
            "no imported lists in {}; run `embargo lists import FILE` here and on every node",
            store.root().display()
        );
    }
    let versions = crate::book::list_versions(&data);
    let ledger = AuditLedger {
        data,
        request_id: crate::book::cli_request_id(),
        versions: versions.clone(),
    };
    let regime = std::sync::Arc::new(ctx.regime()?);
    let udf = embargo_batch::plan::ScreenBlockUdf::over_store(&ctx.data_dir(), regime);
    let on = embargo_batch::plan::ScreenOn {
        udf: &udf,
        thresholds: *th,
        today: chrono::Utc::now().date_naive(),
        format,
        list_versions,
        waves: embargo_batch::plan::Waves::NAMES,
        stop: Some(crate::cluster::stop_waves(url)),
    };
    let session = embargo_cluster::batch_engine(url)(embargo_batch::plan::session_config())?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} {pos} rows {per_sec}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let tick = bar.clone();
    let runtime = crate::cluster::runtime()?;
    let result = runtime.block_on(embargo_batch::plan::screen_file_on(
        &session,
        &on,
        path,
        &target,
        &ledger,
        &move |n| tick.inc(n),
    ));
    bar.finish_and_clear();
    let summary = crate::cluster::failed_on(url, result)?;
    let cut = crate::context::warn_if_cut(path);
    print_batch_summary(&summary, format, &versions, cut, ctx);
    Ok(())
}

fn fmt_metrics(m: &Metrics) -> String {
    format!(
        "t={:.2}  P={:.3} R={:.3} F1={:.3}  (TP {} FP {} FN {} TN {})",
        m.threshold, m.precision, m.recall, m.f1, m.tp, m.fp, m.fn_, m.tn
    )
}

pub fn run_eval(args: EvalArgs, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        EvalCommand::Names {
            file,
            threshold,
            reference,
        } => eval_names(&file, threshold, reference, ctx),
        EvalCommand::CrossScript { file } => eval_cross_script(&file, ctx),
        EvalCommand::Aliases { file, reference } => eval_aliases(&file, reference, ctx),
        EvalCommand::Screening { file, lists } => eval_screening(&file, &lists, ctx),
    }
}

fn eval_names(
    file: &Path,
    threshold: f64,
    reference: Option<PathBuf>,
    ctx: &Context,
) -> anyhow::Result<()> {
    let cases = read_cases(file)?;
    let scored = score_cases(&cases, &CompareParams::default());
    let pairs: Vec<(bool, f64)> = scored.iter().map(|s| (s.case.is_match, s.score)).collect();
    let ours_default = metrics(&pairs, threshold);
    let ours_best = best(&pairs);
    let korean: Vec<(bool, f64)> = scored
        .iter()
        .filter(|s| s.case.is_korean())
        .map(|s| (s.case.is_match, s.score))
        .collect();
    let ref_path = reference.or_else(|| {
        let p = file.with_file_name("name_bench_logicv2-frozen.csv");
        p.exists().then_some(p)
    });
    // The reference run scores the same pairs; join on (name1, name2, schema).
    let reference = match &ref_path {
        Some(p) => Some(read_cases(p)?),
        None => None,
    };
    let ref_score = |c: &embargo_screen::eval::Case| {
        reference.as_ref().and_then(|r| {
            r.iter()
                .find(|x| x.name1 == c.name1 && x.name2 == c.name2 && x.schema == c.schema)
                .and_then(|x| x.reference_score)
        })
    };
    let joined: Vec<(bool, f64, f64)> = scored
        .iter()
        .filter_map(|s| ref_score(&s.case).map(|r| (s.case.is_match, s.score, r)))
        .collect();
    let ref_pairs: Vec<(bool, f64)> = joined.iter().map(|(l, _, r)| (*l, *r)).collect();
    let ours_on_joined: Vec<(bool, f64)> = joined.iter().map(|(l, o, _)| (*l, *o)).collect();
    // Labels both systems contradict with confidence: reported for review, never tuned to.
    let suspicious: Vec<serde_json::Value> = scored
        .iter()
        .filter_map(|s| {
            let r = ref_score(&s.case)?;
            let ours_says = s.score >= threshold;
            let both_disagree = ours_says != s.case.is_match && (r >= 0.7) != s.case.is_match;
            let confident = (s.score - threshold).abs() >= 0.12;
            (both_disagree && confident).then(|| {
                json!({"line": s.case.line, "schema": s.case.schema, "name1": s.case.name1, "name2": s.case.name2,
                       "label": s.case.is_match, "ours": (s.score * 1000.0).round() / 1000.0, "logic_v2": r,
                       "notes": s.case.notes})
            })
        })
        .collect();
    let mut groups: Vec<String> = scored.iter().map(|s| s.case.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let by_group: Vec<serde_json::Value> = groups
        .iter()
        .map(|g| {
            let gp: Vec<(bool, f64)> = scored
                .iter()
                .filter(|s| &s.case.group == g)
                .map(|s| (s.case.is_match, s.score))
                .collect();
            json!({"group": g, "cases": gp.len(), "at_threshold": metrics(&gp, threshold)})
        })
        .collect();
    let report = json!({
        "file": file, "cases": cases.len(),
        "ours": {"at_threshold": ours_default, "best": ours_best},
        "korean_dprk": {"cases": korean.len(), "at_threshold": metrics(&korean, threshold), "best": best(&korean)},
        "reference": ref_path.as_ref().map(|p| json!({
            "file": p, "joined_cases": joined.len(),
            "logic_v2_at_0_70": metrics(&ref_pairs, 0.70), "logic_v2_best": best(&ref_pairs),
            "ours_on_same_cases_at_threshold": metrics(&ours_on_joined, threshold),
            "ours_on_same_cases_best": best(&ours_on_joined),
        })),
        "groups": by_group,
        "suspicious_labels": suspicious,
    });
    if ctx.json {
        return ctx.print_json(&report);
    }
    println!("{}: {} labelled pairs", file.display(), cases.len());
    println!("  embargo  at default  {}", fmt_metrics(&ours_default));
    println!("  embargo  best        {}", fmt_metrics(&ours_best));
    if let Some(p) = &ref_path {
        println!(
            "  on the {} cases also scored by logic-v2 ({}):",
            joined.len(),
            p.display()
        );
        println!(
            "    logic-v2 at 0.70   {}",
            fmt_metrics(&metrics(&ref_pairs, 0.70))
        );
        println!("    logic-v2 best      {}", fmt_metrics(&best(&ref_pairs)));
        println!(
            "    embargo  default   {}",
            fmt_metrics(&metrics(&ours_on_joined, threshold))
        );
        println!(
            "    embargo  best      {}",
            fmt_metrics(&best(&ours_on_joined))
        );
    }
    println!("  Korean/DPRK rows ({}):", korean.len());
    println!(
        "    at default         {}",
        fmt_metrics(&metrics(&korean, threshold))
    );
    println!("    best               {}", fmt_metrics(&best(&korean)));
    println!("  by case group at {threshold:.2}:");
    for g in &groups {
        let gp: Vec<(bool, f64)> = scored
            .iter()
            .filter(|s| &s.case.group == g)
            .map(|s| (s.case.is_match, s.score))
            .collect();
        println!(
            "    {g:<16} n={:<4} {}",
            gp.len(),
            fmt_metrics(&metrics(&gp, threshold))
        );
    }
    println!(
        "  labels both embargo and logic-v2 contradict with confidence ({}), for review:",
        suspicious.len()
    );
    for s in &suspicious {
        println!(
            "    line {:<4} {} | {} | label {} | embargo {} logic-v2 {} | {}",
            s["line"], s["name1"], s["name2"], s["label"], s["ours"], s["logic_v2"], s["notes"]
        );
    }
    Ok(())
}

fn eval_cross_script(file: &Path, ctx: &Context) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = t.splitn(4, ',').collect();
        let (Some(q), Some(e), Some(min)) = (parts.first(), parts.get(1), parts.get(2)) else {
            bail!(
                "{}:{line_no}: expected Query,Expected Match,Min Score,Description",
                file.display()
            );
        };
        let min: f64 = min
            .trim()
            .parse()
            .with_context(|| format!("{}:{line_no}: field Min Score: {min:?}", file.display()))?;
        let score = compare_names(q, e, &CompareParams::default())
            .map(|c| c.score)
            .unwrap_or(0.0);
        rows.push(json!({"line": line_no, "query": q, "expected": e, "watchman_min": min,
                         "score": (score * 1000.0).round() / 1000.0, "at_default_match": score >= DEFAULT_MATCH,
                         "description": parts.get(3)}));
    }
    let passed = rows
        .iter()
        .filter(|r| r["at_default_match"] == true)
        .count();
    if ctx.json {
        return ctx
            .print_json(&json!({"pairs": rows.len(), "matched_at_default": passed, "rows": rows}));
    }
    for r in &rows {
        println!(
            "  {:<5} {:.3}  {} -> {}  ({})",
            if r["at_default_match"] == true {
                "match"
            } else {
                "miss"
            },
            r["score"].as_f64().unwrap_or(0.0),
            r["query"].as_str().unwrap_or(""),
            r["expected"].as_str().unwrap_or(""),
            r["description"].as_str().unwrap_or("")
        );
    }
    println!(
        "{passed}/{} cross-script pairs match at the default threshold {DEFAULT_MATCH}",
        rows.len()
    );
    Ok(())
}

fn eval_aliases(file: &Path, reference: Option<String>, ctx: &Context) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let names: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let reference = reference
        .or_else(|| {
            names
                .iter()
                .find(|n| **n == "Vladimir Putin")
                .map(|s| s.to_string())
        })
        .or_else(|| names.iter().find(|n| n.is_ascii()).map(|s| s.to_string()))
        .context("no Latin-script line to use as the reference; pass --reference")?;
    let rows: Vec<serde_json::Value> = names
        .iter()
        .map(|n| {
            let s = compare_names(n, &reference, &CompareParams::default()).map(|c| c.score).unwrap_or(0.0);
            json!({"alias": n, "score": (s * 1000.0).round() / 1000.0, "match": s >= DEFAULT_MATCH, "review": s >= DEFAULT_REVIEW})
        })
        .collect();
    let m = rows.iter().filter(|r| r["match"] == true).count();
    let rv = rows.iter().filter(|r| r["review"] == true).count();
    if ctx.json {
        return ctx.print_json(&json!({"reference": reference, "aliases": rows.len(), "match": m, "review_or_match": rv, "rows": rows}));
    }
    for r in &rows {
        println!(
            "  {:.3}  {}",
            r["score"].as_f64().unwrap_or(0.0),
            r["alias"].as_str().unwrap_or("")
        );
    }
    println!(
        "{m}/{} aliases match {reference:?} at {DEFAULT_MATCH}; {rv}/{} at the review threshold {DEFAULT_REVIEW}",
        rows.len(),
        rows.len()
    );
    Ok(())
}

fn eval_screening(file: &Path, lists: &[PathBuf], ctx: &Context) -> anyhow::Result<()> {
    use embargo_screen::eval_screening::{
        metrics_by_kind, read_screening_cases, run_screening_cases,
    };
    let cases = read_screening_cases(file)?;
    let matcher = matcher_from(lists, ctx)?;
    let outcomes = run_screening_cases(&matcher, &cases, &Thresholds::default());
    let by_kind = metrics_by_kind(&outcomes);
    if ctx.json {
        return ctx.print_json(
            &json!({"cases": outcomes.len(), "by_kind": by_kind, "outcomes": outcomes}),
        );
    }
    for o in outcomes.iter().filter(|o| !o.correct) {
        let top = o
            .top
            .as_ref()
            .map_or("-".to_string(), |(id, s)| format!("{id} {s:.3}"));
        let want = if o.expect.is_empty() {
            "-".to_string()
        } else {
            o.expect.join("|")
        };
        println!(
            "  wrong  line {:<4} {:<14} {:?}: {:?}, top {top}; expected {want}",
            o.line, o.kind, o.query, o.decision
        );
    }
    let rate = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.3}"));
    println!(
        "{:<14} {:>5} {:>9} {:>7} {:>4} {:>4} {:>4} {:>4}",
        "kind", "cases", "precision", "recall", "tp", "fp", "fn", "tn"
    );
    for (kind, m) in &by_kind {
        println!(
            "{kind:<14} {:>5} {:>9} {:>7} {:>4} {:>4} {:>4} {:>4}",
            m.cases,
            rate(m.precision),
            rate(m.recall),
            m.tp,
            m.fp,
            m.fn_,
            m.tn
        );
    }
    Ok(())
}
