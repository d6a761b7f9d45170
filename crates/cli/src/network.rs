//! `embargo network import | status | exposure | reach` and `embargo vessel IMO | --batch FILE`.
//!
//! State lives in `<data dir>/network.sqlite` (embargo-network's store).

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};
use embargo_network::exposure::Issue;
use embargo_network::import::{ftm, ownership_csv, vessel_csv, ImportBatch};
use embargo_network::vessel::{find_vessel, FlagRegistry, Imo, SignalRules, VesselProfile};
use embargo_network::{EdgeKind, Exposure, NetworkError, OnExisting, ReachOptions, Status, Store};

use crate::context::Context;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: NetworkCommand,
}

#[derive(Clone, Copy, ValueEnum)]
enum FileKind {
    /// CSV: owner, owned, share_pct, relation, start, end, source.
    Ownership,
    /// FollowTheMoney JSON lines (Ownership, Directorship, UnknownLink and entities).
    Ftm,
    /// Vessel CSV: the OFAC vessel extract, or registry/AIS history (imo, date, name, flag, source).
    Vessels,
    /// UN consolidated list XML: refused here, lists go through `embargo lists import`.
    Un,
    /// OFAC SDN CSV set: refused here, lists go through `embargo lists import`.
    Ofac,
}

#[derive(Subcommand)]
enum NetworkCommand {
    /// Import a file into the network store (one transaction: all rows or none) under a
    /// name. A name in use is refused unless --replace. Designees come from the active
    /// screening lists (`embargo lists import`), which the store follows by itself.
    Import {
        /// Ownership/control CSV, FtM JSON lines, or vessel CSV.
        file: PathBuf,
        /// File kind; guessed from the name and header when omitted.
        #[arg(long)]
        kind: Option<FileKind>,
        /// Name of the import in the store (default: the file's path as given).
        #[arg(long)]
        name: Option<String>,
        /// Replace the rows an earlier import under the same name brought.
        #[arg(long)]
        replace: bool,
    },
    /// Counts of nodes, edges by kind, vessel records, the named imports and the list
    /// versions the graph follows.
    Status,
    /// OFAC 50% rule for one entity: blocked share, paths to designees, control, data issues.
    Exposure {
        /// An id (ofac:9345, un:KPe.001, imo:9020015, user:NAME), an IMO number, or an exact name.
        entity: String,
        /// Date the ownership records must be in force on (default: today, UTC).
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Listed parties behind an entity (owners, controllers, vessel managers, list links).
    Reach {
        /// An id (ofac:9345, un:KPe.001, imo:9020015, user:NAME), an IMO number, or an exact name.
        entity: String,
        /// Date the records must be in force on (default: today, UTC).
        #[arg(long)]
        as_of: Option<String>,
        /// Hops followed over non-ownership relations.
        #[arg(long, default_value_t = 3)]
        max_hops: usize,
    },
}

#[derive(ClapArgs)]
pub struct VesselArgs {
    /// IMO number (7 digits, checksum validated), with or without the "IMO" prefix. A number
    /// that no imported list or vessel file knows is an error (exit 1).
    imo: Option<String>,
    /// A file of IMO numbers (one per line, or a CSV with an `imo` column); writes JSON lines.
    #[arg(long, conflicts_with = "imo")]
    batch: Option<PathBuf>,
    /// Output file for --batch (default: stdout); written atomically.
    #[arg(long, requires = "batch")]
    out: Option<PathBuf>,
    /// Flag registry data file instead of the bundled data/vessels/flag_registries.toml.
    #[arg(long)]
    registry: Option<PathBuf>,
    /// Flag hopping: this many distinct flags ...
    #[arg(long, default_value_t = SignalRules::default().hop_min_flags)]
    hop_flags: usize,
    /// ... within this many days.
    #[arg(long, default_value_t = SignalRules::default().hop_window_days)]
    hop_days: i64,
}

/// The network store, its list part brought to the active list versions first (a list
/// import or refresh since the last call is reflected before anything is read).
fn store(ctx: &Context) -> anyhow::Result<Store> {
    let (store, _) = embargo_network::open_following(&ctx.data_dir()).with_context(|| {
        format!(
            "opening the network store {} at the active lists",
            embargo_network::store_path(&ctx.data_dir()).display()
        )
    })?;
    Ok(store)
}

fn as_of(raw: Option<&str>) -> anyhow::Result<NaiveDate> {
    match raw {
        Some(s) => NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
            .with_context(|| format!("--as-of: {s:?} is not a date (YYYY-MM-DD)")),
        None => Ok(chrono::Utc::now().date_naive()),
    }
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        NetworkCommand::Import {
            file,
            kind,
            name,
            replace,
        } => import(ctx, &file, kind, name, replace),
        NetworkCommand::Status => status(ctx),
        NetworkCommand::Exposure {
            entity,
            as_of: date,
        } => {
            let date = as_of(date.as_deref())?;
            let store = store(ctx)?;
            let id = store.resolve(&entity)?;
            let graph = store.load_upstream(&id, &[EdgeKind::Ownership, EdgeKind::Control])?;
            let ix = graph
                .ix(&id)
                .with_context(|| format!("{id} vanished from the store"))?;
            let exp =
                embargo_network::exposure(&graph, ix, embargo_network::ExposureOptions::ofac(date))
                    .context("no exposure computed")?;
            if ctx.json {
                ctx.print_json(&exp)
            } else {
                print_exposure(&exp);
                Ok(())
            }
        }
        NetworkCommand::Reach {
            entity,
            as_of: date,
            max_hops,
        } => {
            let date = as_of(date.as_deref())?;
            let store = store(ctx)?;
            let id = store.resolve(&entity)?;
            let graph = store.load_graph()?;
            let ix = graph
                .ix(&id)
                .with_context(|| format!("{id} not in graph"))?;
            let mut opts = ReachOptions::new(date);
            opts.max_hops = max_hops;
            let r = embargo_network::reach(&graph, ix, opts).context("no reach computed")?;
            if ctx.json {
                return ctx.print_json(&r);
            }
            println!(
                "{} ({}): decision {}",
                r.entity.name,
                r.entity.id,
                r.decision.as_str()
            );
            if r.hits.is_empty() {
                println!("  no listed party reached within {max_hops} hop(s)");
            }
            for h in &r.hits {
                println!("  [{}] {}", h.decision.as_str(), h.explanation);
            }
            Ok(())
        }
    }
}

fn guess_kind(file: &Path) -> anyhow::Result<FileKind> {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if name.ends_with(".xml") {
        return Ok(FileKind::Un);
    }
    if name.ends_with(".jsonl") || name.ends_with(".json") || name.ends_with(".ndjson") {
        return Ok(FileKind::Ftm);
    }
    let f = std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
    let mut first = String::new();
    std::io::BufReader::new(f)
        .read_line(&mut first)
        .with_context(|| format!("reading {}", file.display()))?;
    let header = first.to_ascii_lowercase();
    let cols: Vec<&str> = header.trim().split(',').map(str::trim).collect();
    if cols.contains(&"owner") && cols.contains(&"owned") {
        Ok(FileKind::Ownership)
    } else if cols.contains(&"imo") {
        Ok(FileKind::Vessels)
    } else if first.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        // OFAC's legacy CSV has no header and starts with an ent_num.
        Ok(FileKind::Ofac)
    } else {
        bail!(
            "{}: cannot tell the file kind from its name or header; pass --kind",
            file.display()
        )
    }
}

fn import(
    ctx: &Context,
    file: &Path,
    kind: Option<FileKind>,
    name: Option<String>,
    replace: bool,
) -> anyhow::Result<()> {
    let kind = match kind {
        Some(k) => k,
        None => guess_kind(file)?,
    };
    // User files are read through a line-length bound: an endless line fails at 1 MiB.
    let label = name.unwrap_or_else(|| file.display().to_string());
    let bounded = || -> anyhow::Result<_> {
        let f = std::fs::File::open(file).with_context(|| format!("{label}: cannot open"))?;
        Ok(embargo_records::bounded::LineBound::new(
            f,
            embargo_records::bounded::MAX_LINE_BYTES,
        ))
    };
    if matches!(kind, FileKind::Ownership | FileKind::Vessels) {
        crate::context::warn_if_cut(file);
    }
    let (batch, kind_name): (ImportBatch, &str) = match kind {
        FileKind::Ownership => (ownership_csv::read(bounded()?, &label)?, "ownership"),
        FileKind::Ftm => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut bounded()?, &mut text)
                .with_context(|| format!("{label}: cannot read"))?;
            (ftm::read(&text, &label)?, "ftm")
        }
        FileKind::Vessels => (vessel_csv::read(bounded()?, &label)?, "vessels"),
        // A list file imported by hand would put designations in the graph that no
        // active list backs; the store follows the active lists instead.
        FileKind::Un | FileKind::Ofac => bail!(
            "{}: a list file; import it with `embargo lists import` (the network store follows the active lists)",
            file.display()
        ),
    };
    let mut store = store(ctx)?;
    let on_existing = if replace {
        OnExisting::Replace
    } else {
        OnExisting::Refuse
    };
    let report = match store.import_with(batch, kind_name, on_existing, None) {
        Err(e @ embargo_network::NetworkError::NameInUse { .. }) => {
            bail!("{e} (pass --replace to replace it, or --name to import under another name)")
        }
        other => other?,
    };
    if ctx.json {
        return ctx.print_json(&report);
    }
    println!(
        "imported {} ({kind_name}): {} rows, {} new nodes, {} edges, {} vessel records",
        report.file,
        report.rows,
        report.nodes_added,
        report.edges_added,
        report.vessel_events_added
    );
    for r in &report.resolved_by_name {
        match r.candidates.as_slice() {
            [one] => println!("  name `{}` linked to list entry {one}", r.name),
            [first, rest @ ..] => println!(
                "  name `{}` linked to list entry {first} (same name also listed as {})",
                r.name,
                rest.join(", ")
            ),
            [] => {}
        }
    }
    for r in &report.ambiguous_names {
        println!(
            "  name `{}` equals listed person(s) {}: NOT linked (a name does not identify a person); write the list id in the file to link",
            r.name,
            r.candidates.join(", ")
        );
    }
    if !report.skipped.is_empty() {
        println!("  {} row(s) skipped:", report.skipped.len());
        for s in &report.skipped {
            println!("    {s}");
        }
    }
    Ok(())
}

fn status(ctx: &Context) -> anyhow::Result<()> {
    let s = store(ctx)?.status()?;
    if ctx.json {
        return ctx.print_json(&s);
    }
    println!("nodes: {} ({} listed)", s.nodes, s.designated_nodes);
    for (k, n) in &s.edges_by_kind {
        println!("edges {k}: {n}");
    }
    println!("vessel records: {}", s.vessel_events);
    for (source, version) in &s.lists {
        println!("follows list {source} version {version}");
    }
    println!("imports:");
    for b in &s.batches {
        println!(
            "  #{} {} [{}] {} rows, {} edges, {} skipped, imported {}{}",
            b.id,
            b.file,
            b.kind,
            b.rows,
            b.edges,
            b.skipped,
            b.imported_at,
            b.added_by
                .as_deref()
                .map(|k| format!(" by key {k}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

fn share(s: Option<f64>) -> String {
    s.map(|v| format!("{v}%")).unwrap_or_else(|| "?%".into())
}

fn print_exposure(e: &Exposure) {
    let status = match e.status {
        Status::Designated => "DESIGNATED",
        Status::Blocked => "BLOCKED (50% rule)",
        Status::PossiblyBlocked => "POSSIBLY BLOCKED (review)",
        Status::NotBlocked => "not blocked",
    };
    println!("{} ({})  as of {}", e.target.name, e.target.id, e.as_of);
    println!("status: {status}   decision: {}", e.decision.as_str());
    println!(
        "blocked ownership: {:.2}% (up to {:.2}% with unknown shares)   look-through: {}",
        e.blocked_share_pct,
        e.blocked_share_upper_pct,
        e.look_through_pct
            .map(|v| format!("{v:.2}%"))
            .unwrap_or_else(|| "n/a (unknown or conflicting shares)".into())
    );
    for line in &e.explanation {
        println!("  {line}");
    }
    if !e.direct_owners.is_empty() {
        println!("direct owners:");
        for h in &e.direct_owners {
            println!(
                "  {:>7}  {} ({}) [{:?}]  source: {}  ({})",
                share(h.share_pct),
                h.owner.name,
                h.owner.id,
                h.owner_status,
                h.source,
                h.origin
            );
        }
    }
    if !e.paths.is_empty() {
        println!("paths to designees:");
        for p in &e.paths {
            let chain: Vec<String> = p
                .steps
                .iter()
                .map(|s| format!("{} --{}--> {}", s.from.name, share(s.share_pct), s.to.name))
                .collect();
            println!("  {}", chain.join(" ; "));
            for s in &p.steps {
                println!(
                    "      {} -> {}: {} ({})",
                    s.from.id, s.to.id, s.source, s.origin
                );
            }
        }
        if e.paths_not_listed > 0 {
            println!("  ... {} more path(s) not listed", e.paths_not_listed);
        }
    }
    if !e.control.is_empty() {
        println!("control without ownership (not blocking; review):");
        for c in &e.control {
            println!(
                "  {} ({}, {:?}) controls {} ({}) — {}; source: {}",
                c.controller.name,
                c.controller.id,
                c.controller_status,
                c.controlled.name,
                c.controlled.id,
                c.position,
                c.source
            );
        }
    }
    if !e.issues.is_empty() {
        println!("data issues:");
        for i in &e.issues {
            match i {
                Issue::Cycle { nodes } => println!(
                    "  cycle: {}",
                    nodes
                        .iter()
                        .map(|n| n.id.as_str())
                        .collect::<Vec<_>>()
                        .join(" <-> ")
                ),
                Issue::MissingShare {
                    owner,
                    owned,
                    origin,
                    ..
                } => {
                    println!("  missing share: {} -> {} ({origin})", owner.id, owned.id)
                }
                Issue::ConflictingRecords {
                    owner,
                    owned,
                    records,
                    in_force_on_as_of,
                } => println!(
                    "  conflicting records {} -> {}: {}{}",
                    owner.id,
                    owned.id,
                    records
                        .iter()
                        .map(|r| format!(
                            "{} {}..{} ({})",
                            share(r.share_pct),
                            r.period.start.map(|d| d.to_string()).unwrap_or_default(),
                            r.period.end.map(|d| d.to_string()).unwrap_or_default(),
                            r.origin
                        ))
                        .collect::<Vec<_>>()
                        .join(" vs "),
                    if *in_force_on_as_of {
                        " [both in force: range widened]"
                    } else {
                        ""
                    }
                ),
                Issue::OverAllocated { owned, total_pct } => {
                    println!(
                        "  over-allocated: shares in {} add up to {total_pct:.2}%",
                        owned.id
                    )
                }
                Issue::NotInForce {
                    owner,
                    owned,
                    share_pct,
                    period,
                    origin,
                } => println!(
                    "  not in force on the date: {} -> {} {} {}..{} ({origin})",
                    owner.id,
                    owned.id,
                    share(*share_pct),
                    period.start.map(|d| d.to_string()).unwrap_or_default(),
                    period.end.map(|d| d.to_string()).unwrap_or_default()
                ),
            }
        }
    }
}

pub fn run_vessel(args: VesselArgs, ctx: &Context) -> anyhow::Result<()> {
    let registry = match &args.registry {
        Some(p) => FlagRegistry::load(p)?,
        None => FlagRegistry::bundled()?,
    };
    let rules = SignalRules {
        hop_min_flags: args.hop_flags,
        hop_window_days: args.hop_days,
    };
    let store = store(ctx)?;
    let graph = store.load_graph()?;
    let profile = |imo: Imo| find_vessel(&store, &graph, imo, &registry, rules);
    if let Some(raw) = &args.imo {
        let imo = Imo::parse(raw)?;
        let p = profile(imo)?;
        if ctx.json {
            return ctx.print_json(&p);
        }
        print_vessel(&p);
        return Ok(());
    }
    let Some(batch) = &args.batch else {
        bail!("give an IMO number or --batch FILE");
    };
    let lines = read_imo_column(batch)?;
    let bar = indicatif::ProgressBar::new(lines.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} vessels")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    // JSON lines through the batch sinks: a file appears only when every line is written.
    let target = embargo_batch::Target::from_out(args.out.as_deref());
    let format = embargo_batch::Format::Jsonl;
    let mut sink =
        embargo_batch::sink::TextSink::new(target.open(format.media_type())?, format, b"")?;
    let (mut invalid, mut not_found) = (0usize, 0usize);
    for (n, cell) in &lines {
        let value = match Imo::parse(cell) {
            Ok(imo) => match profile(imo) {
                Ok(p) => serde_json::json!({"row": n, "imo": imo.to_string(), "profile": p}),
                Err(e @ NetworkError::VesselNotFound { .. }) => {
                    not_found += 1;
                    serde_json::json!({"row": n, "imo": imo.to_string(), "error": e.to_string()})
                }
                Err(e) => return Err(e.into()),
            },
            Err(e) => {
                invalid += 1;
                serde_json::json!({"row": n, "input": cell, "error": format!("{}:{}: field `imo`: {e}", batch.display(), n)})
            }
        };
        let mut line = serde_json::to_vec(&value)?;
        line.push(b'\n');
        embargo_batch::Sink::write(&mut sink, embargo_batch::Encoded::Text(line))?;
        bar.inc(1);
    }
    bar.finish_and_clear();
    embargo_batch::Sink::finish(Box::new(sink))?;
    eprintln!(
        "{} vessel(s), {invalid} invalid IMO number(s), {not_found} not found (reported in the output, not dropped)",
        lines.len()
    );
    Ok(())
}

/// The IMO cells of a batch file, with their line numbers: the `imo` column when the
/// first line is a header naming it, else each whole line. Blank lines are skipped; the
/// file is read through the line bound (an endless line stops the read).
fn read_imo_column(path: &Path) -> anyhow::Result<Vec<(u64, String)>> {
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let reader = std::io::BufReader::new(embargo_records::bounded::LineBound::new(
        file,
        embargo_records::bounded::MAX_LINE_BYTES,
    ));
    let mut lines: Vec<(u64, String)> = Vec::new();
    let mut column: Option<usize> = None;
    for (i, line) in reader.lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let n = i as u64 + 1;
        if n == 1 {
            let cols: Vec<String> = line
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .collect();
            if let Some(c) = cols.iter().position(|c| c == "imo") {
                column = Some(c);
                continue;
            }
        }
        if line.trim().is_empty() {
            continue;
        }
        let cell = match column {
            Some(c) => line.split(',').nth(c).unwrap_or("").trim().to_string(),
            None => line.trim().to_string(),
        };
        lines.push((n, cell));
    }
    Ok(lines)
}

fn print_vessel(p: &VesselProfile) {
    println!(
        "IMO {}  {}  flag: {}",
        p.imo,
        p.name.as_deref().unwrap_or("(name unknown)"),
        p.current_flag.as_deref().unwrap_or("(none recorded)")
    );
    for d in &p.designations {
        println!(
            "  listed: {} {} ({}){}",
            d.list,
            d.reference,
            d.programs.join(", "),
            d.listed_on
                .map(|date| format!(" since {date}"))
                .unwrap_or_default()
        );
    }
    if p.dprk_linked {
        println!("  DPRK-linked: {}", p.dprk_linked_because.join("; "));
    }
    if !p.names.is_empty() {
        println!("  names:");
        for n in &p.names {
            println!(
                "    {:<12} {:<30} {:?}  {}",
                n.date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "undated".into()),
                n.name,
                n.kind,
                n.source
            );
        }
    }
    if !p.flags.is_empty() {
        println!("  flags:");
        for f in &p.flags {
            println!(
                "    {:<12} {:<30} {:?}  {}",
                f.date
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "undated".into()),
                f.flag,
                f.kind,
                f.source
            );
        }
    }
    if !p.links.is_empty() {
        println!("  parties:");
        for l in &p.links {
            println!(
                "    {} {} ({}){}  source: {}",
                l.relation.as_str().replace('_', " "),
                l.name,
                l.id,
                if l.designated { " [listed]" } else { "" },
                l.source
            );
        }
    }
    if p.signals.is_empty() {
        println!("  signals: none");
    } else {
        println!("  signals:");
        for s in &p.signals {
            println!(
                "    [{:?}] {:?}: {}{}",
                s.severity,
                s.kind,
                s.reason,
                s.confidence
                    .map(|c| format!(" (confidence: {c:?})"))
                    .unwrap_or_default()
            );
        }
    }
}
