//! `embargo book` (import, list, show, screen) and `embargo alerts` (list, decide): the
//! book and its alerts, kept by `embargo-book`; this module only reads flags and prints.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args as ClapArgs, Subcommand, ValueEnum};

use embargo_audit::{AuditHit, AuditRecord};
use embargo_book::{Alert, Book, FollowReport, Verdict};
use embargo_screen::ListStore;

use crate::context::Context;

#[derive(ClapArgs)]
pub struct BookArgs {
    #[command(subcommand)]
    command: BookCommand,
}

#[derive(Subcommand)]
enum BookCommand {
    /// Import the book (CSV with header id,name,schema,dob,country,imo,passport, or FtM
    /// JSON lines): the file is the whole book, so known ids are updated, new ones added
    /// and missing ones removed; added and changed records are screened. A bad file
    /// changes nothing.
    Import {
        /// The book file (.csv, or .json/.jsonl/.ftm with one FtM entity a line).
        file: PathBuf,
        #[command(flatten)]
        shrink: crate::screening::ShrinkArgs,
    },
    /// Every record of the book with its open alerts.
    List,
    /// One record: its fields, alerts and decisions.
    Show {
        /// The record's id (as in the imported file).
        id: String,
    },
    /// Screen the whole book against the active lists again (the reference for the delta
    /// re-screens that list imports run), weighing name tokens by the active lists.
    Screen,
}

#[derive(ClapArgs)]
pub struct AlertsArgs {
    /// Only alerts waiting for review (open or escalated).
    #[arg(long)]
    open: bool,
    /// Only the alerts of this book record.
    #[arg(long)]
    record: Option<String>,
    #[command(subcommand)]
    command: Option<AlertsCommand>,
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Record a decision on an open or escalated alert; appended to the audit log.
    Decide {
        /// The alert's id (from `embargo alerts`).
        id: i64,
        /// The verdict: a false positive stays cleared until the record or the entry changes.
        #[arg(long = "as", value_enum)]
        verdict: VerdictArg,
        /// Why (kept with the decision and in the audit log).
        #[arg(long)]
        reason: String,
        /// Who decided (default: $USER).
        #[arg(long)]
        reviewer: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum VerdictArg {
    TrueMatch,
    FalsePositive,
    Escalate,
}

impl From<VerdictArg> for Verdict {
    fn from(v: VerdictArg) -> Verdict {
        match v {
            VerdictArg::TrueMatch => Verdict::TrueMatch,
            VerdictArg::FalsePositive => Verdict::FalsePositive,
            VerdictArg::Escalate => Verdict::Escalate,
        }
    }
}

/// The local user, for decisions and audit records made without an API key.
pub fn local_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "unknown-local-user".into())
}

/// Who the audit log names for a command-line action: `local:<user>`.
pub fn local_caller() -> String {
    format!("local:{}", local_user())
}

/// Append records to the audit log of the data directory (`server.sqlite`, the chain the
/// server writes). Refused with a message naming the file when it cannot be written: the
/// command's answer is withheld rather than given unaudited.
pub fn audit(data: &Path, records: &[AuditRecord]) -> anyhow::Result<Vec<u64>> {
    let path = embargo_server::config::store_path(data);
    embargo_audit::append_now(&path, records).with_context(|| {
        format!(
            "cannot append to the audit log {} (the data directory must be writable: every screening and decision is audited)",
            path.display()
        )
    })
}

/// A request id for a command-line action.
pub fn cli_request_id() -> String {
    format!(
        "cli-{}-{}",
        std::process::id(),
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ")
    )
}

/// The active list versions, as the audit log records them.
pub fn list_versions(data: &Path) -> serde_json::Value {
    embargo_book::ListSource::versions(&ListStore::open(data))
        .ok()
        .and_then(|v| serde_json::to_value(v).ok())
        .unwrap_or(serde_json::Value::Null)
}

fn open_book(data: &Path) -> anyhow::Result<Book> {
    Book::open(data).with_context(|| format!("opening the book in {}", data.display()))
}

/// After a list import: re-screen the book by the list delta, when there is a book.
pub fn follow_after_list_import(ctx: &Context) -> anyhow::Result<()> {
    let data = ctx.data_dir();
    if !data.join("book.sqlite").exists() {
        return Ok(());
    }
    let mut book = open_book(&data)?;
    if let Some(report) = book.follow_lists(&ListStore::open(&data))? {
        let line = follow_line(&report);
        // stdout carries the import's own JSON; the book's line goes to stderr then.
        if ctx.json {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    Ok(())
}

fn follow_line(r: &FollowReport) -> String {
    format!(
        "book: list change {} added, {} changed, {} removed entries; {} records re-screened ({}); {} new alerts, {} closed",
        r.entries_added,
        r.entries_changed,
        r.entries_removed,
        r.records_screened,
        r.mode,
        r.new_alerts,
        r.closed_alerts
    )
}

pub fn run_book(args: BookArgs, ctx: &Context) -> anyhow::Result<()> {
    let data = ctx.data_dir();
    let lists = ListStore::open(&data);
    match args.command {
        BookCommand::Import { file, shrink } => {
            let records = embargo_book::read_book(&file)?;
            let mut book = open_book(&data)?;
            let report = book.import_with(records, &lists, shrink.options()?)?;
            if ctx.json {
                return ctx.print_json(&report);
            }
            if let Some(f) = &report.lists {
                println!("{}", follow_line(f));
            }
            println!(
                "imported {}: {} records ({} added, {} changed, {} removed, {} unchanged)",
                file.display(),
                report.records,
                report.added,
                report.changed,
                report.removed,
                report.unchanged
            );
            println!(
                "screened {} records: {} new alerts, {} closed",
                report.screened, report.new_alerts, report.closed_alerts
            );
            if embargo_book::ListSource::versions(&lists)?.is_empty() {
                println!(
                    "no lists imported yet: records are screened when `embargo lists import` runs"
                );
            }
            Ok(())
        }
        BookCommand::List => {
            let mut book = open_book(&data)?;
            book.follow_lists(&lists)?;
            let records = book.records()?;
            let open = book.alerts(true, None)?;
            if ctx.json {
                let rows: Vec<_> = records
                    .iter()
                    .map(|r| {
                        let n = open.iter().filter(|a| a.record_id == r.id).count();
                        serde_json::json!({"record": r, "open_alerts": n})
                    })
                    .collect();
                return ctx.print_json(&rows);
            }
            println!("{} records, {} open alerts", records.len(), open.len());
            for r in &records {
                let n = open.iter().filter(|a| a.record_id == r.id).count();
                let mark = if n > 0 {
                    format!("  {n} open")
                } else {
                    String::new()
                };
                println!(
                    "{:<12} {:<40} {}{}",
                    r.id,
                    r.name,
                    r.schema.as_deref().unwrap_or(""),
                    mark
                );
            }
            Ok(())
        }
        BookCommand::Show { id } => {
            let mut book = open_book(&data)?;
            book.follow_lists(&lists)?;
            let record = book.record(&id)?;
            let alerts = book.alerts(false, Some(&id))?;
            let decisions = book.decisions(Some(&id))?;
            if ctx.json {
                return ctx.print_json(&serde_json::json!({
                    "record": record, "alerts": alerts, "decisions": decisions
                }));
            }
            println!("{}  {}", record.id, record.name);
            for (k, v) in [
                ("schema", &record.schema),
                ("dob", &record.dob),
                ("country", &record.country),
                ("imo", &record.imo),
                ("passport", &record.passport),
            ] {
                if let Some(v) = v {
                    println!("  {k:<9} {v}");
                }
            }
            println!("  content  {}", record.content_hash());
            if alerts.is_empty() {
                println!("no alerts");
            }
            for a in &alerts {
                print_alert(a);
            }
            for d in &decisions {
                println!(
                    "decision {} on alert {}: {} by {} at {}: {}",
                    d.id,
                    d.alert_id,
                    d.verdict.as_str(),
                    d.reviewer,
                    d.decided_at,
                    d.reason
                );
            }
            Ok(())
        }
        BookCommand::Screen => {
            let mut book = open_book(&data)?;
            let report = book.screen_all(&lists, true)?;
            if ctx.json {
                return ctx.print_json(&report);
            }
            println!(
                "screened {} records against {} entries: {} new alerts, {} closed, {} open",
                report.records_screened,
                report.entries,
                report.new_alerts,
                report.closed_alerts,
                report.open_alerts
            );
            Ok(())
        }
    }
}

fn print_alert(a: &Alert) {
    println!(
        "alert {:>5}  {:<14} {:<10} {} → {} {} {}  score {:.3} ({})",
        a.id,
        a.status.as_str(),
        a.record_id,
        a.hit["explanation"]["query_form"]
            .as_str()
            .filter(|s| !s.is_empty())
            .unwrap_or("-"),
        a.source,
        a.entity_id,
        a.entity_name,
        a.score,
        a.decision
    );
    let e = &a.hit["explanation"];
    println!(
        "             matched {} ({}), list version {}",
        e["matched_name"].as_str().unwrap_or("-"),
        e["name_kind"].as_str().unwrap_or("-"),
        a.list_version
    );
    if let Some(features) = e["features"].as_array() {
        for f in features {
            println!(
                "             {:<12} {:+.2}  {}",
                f["feature"].as_str().unwrap_or(""),
                f["contribution"].as_f64().unwrap_or(0.0),
                f["detail"].as_str().unwrap_or("")
            );
        }
    }
}

/// The audit record of a decision on an alert.
pub fn decision_record(
    alert: &Alert,
    verdict: Verdict,
    reason: &str,
    reviewer: &str,
    caller: String,
) -> AuditRecord {
    AuditRecord {
        time: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        key_id: Some(caller),
        request_id: cli_request_id(),
        kind: "alert_decision".into(),
        query: serde_json::json!({
            "alert": alert.id,
            "record_id": alert.record_id,
            "record_hash": alert.record_hash,
            "entity_hash": alert.entity_hash,
            "reason": reason.trim(),
            "reviewer": reviewer,
        }),
        list_versions: serde_json::json!({ alert.source.clone(): alert.list_version }),
        hits: vec![AuditHit {
            id: alert.entity_id.clone(),
            source: alert.source.clone(),
            name: alert.entity_name.clone(),
            score: alert.score,
        }],
        decision: verdict.as_str().into(),
    }
}

pub fn run_alerts(args: AlertsArgs, ctx: &Context) -> anyhow::Result<()> {
    let data = ctx.data_dir();
    let mut book = open_book(&data)?;
    match args.command {
        None => {
            book.follow_lists(&ListStore::open(&data))?;
            let alerts = book.alerts(args.open, args.record.as_deref())?;
            if ctx.json {
                return ctx.print_json(&alerts);
            }
            println!("{} alerts", alerts.len());
            for a in &alerts {
                print_alert(a);
            }
            Ok(())
        }
        Some(AlertsCommand::Decide {
            id,
            verdict,
            reason,
            reviewer,
        }) => {
            let reviewer = reviewer.unwrap_or_else(local_user);
            let verdict = Verdict::from(verdict);
            // Checked before the audit record is written, so the log holds no decision the
            // book refused; the record is written before the book changes, so no decision
            // exists without its record.
            let alert = book.alert(id)?;
            if !alert.status.is_open() {
                anyhow::bail!(
                    "alert {id} is {}: only an open or escalated alert takes a decision",
                    alert.status.as_str()
                );
            }
            if reason.trim().is_empty() {
                anyhow::bail!("--reason: a decision needs a reason");
            }
            audit(
                &data,
                &[decision_record(
                    &alert,
                    verdict,
                    &reason,
                    &reviewer,
                    local_caller(),
                )],
            )?;
            let decision = book.decide(id, verdict, &reason, &reviewer)?;
            if ctx.json {
                return ctx.print_json(&decision);
            }
            println!(
                "alert {}: {} by {} ({})",
                decision.alert_id,
                decision.verdict.as_str(),
                decision.reviewer,
                decision.reason
            );
            Ok(())
        }
    }
}
