//! `embargo regime list | show | diff | validate`.

use crate::context::Context;
use crate::trade::print_table;
use anyhow::{bail, Context as _};
use chrono::NaiveDate;
use clap::{Args as ClapArgs, Subcommand};
use embargo_regime::{Measure, MeasureKind, Nomenclature, Regime, Severity};
use serde_json::json;
use std::path::PathBuf;

#[derive(ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    command: RegimeCommand,
}

#[derive(Subcommand)]
enum RegimeCommand {
    /// Resolutions with adoption dates (New York), triggers and measure counts.
    List,
    /// Measures in force on a date (default: every measure), or one measure whole.
    Show {
        /// One measure's id (e.g. 2371-8-coal-iron): every field of it, sources in full.
        #[arg(conflicts_with_all = ["as_of", "resolution", "kind"])]
        measure: Option<String>,
        /// YYYY-MM-DD (a New York date: measures take effect on the day of adoption).
        #[arg(long)]
        as_of: Option<String>,
        /// Only measures of this resolution.
        #[arg(long)]
        resolution: Option<String>,
        /// Only measures of this kind (goods_ban, cap, exception, wind_down, labour, ...).
        #[arg(long)]
        kind: Option<String>,
    },
    /// What changed between two dates: measures added and removed.
    Diff {
        /// The earlier date, YYYY-MM-DD (New York).
        from: String,
        /// The later date, YYYY-MM-DD (New York).
        to: String,
    },
    /// Check the regime files (schema, dates, overlaps, supersession links, HS codes) and
    /// count, per resolution, the measures whose content and paragraph are confirmed,
    /// partly confirmed or unconfirmed.
    Validate {
        /// Directory of regime files (default: --regime, else data/regimes/dprk, else the bundled files).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// HS nomenclature CSV (hscode, description, level); repeat for several editions.
        #[arg(long = "hs")]
        hs: Vec<PathBuf>,
    },
}

pub fn parse_date(s: &str, what: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("{what}: {s:?} is not a date (YYYY-MM-DD)"))
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<()> {
    match args.command {
        RegimeCommand::List => list(ctx),
        RegimeCommand::Show {
            measure: Some(id), ..
        } => show_one(ctx, &id),
        RegimeCommand::Show {
            measure: None,
            as_of,
            resolution,
            kind,
        } => show(ctx, as_of, resolution, kind),
        RegimeCommand::Diff { from, to } => diff(ctx, &from, &to),
        RegimeCommand::Validate { dir, hs } => validate(ctx, dir, hs),
    }
}

fn list(ctx: &Context) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let rows: Vec<_> = regime
        .resolutions()
        .iter()
        .map(|r| {
            let n = regime
                .measures()
                .iter()
                .filter(|m| m.resolution == r.number)
                .count();
            (r, n)
        })
        .collect();
    if ctx.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(r, n)| json!({"number": r.number, "year": r.year, "adopted": r.adopted, "symbol": r.symbol, "title": r.title, "triggers": r.triggers, "measures": n, "sources": r.sources}))
            .collect();
        return ctx.print_json(&v);
    }
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(r, n)| {
            let trig = r
                .triggers
                .iter()
                .map(|t| format!("{} {}", t.date, t.event))
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                r.number.clone(),
                r.adopted.to_string(),
                n.to_string(),
                trig,
                r.title.clone(),
            ]
        })
        .collect();
    print_table(
        &["RES", "ADOPTED", "MEASURES", "TRIGGER (KST)", "TITLE"],
        &table,
    );
    println!("\nAdoption dates are New York dates; a measure is in force from its adoption day.");
    Ok(())
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

fn hs_summary(m: &Measure) -> String {
    m.hs_scope()
        .iter()
        .map(|e| {
            let over = e
                .value_over_usd
                .map(|v| format!(">${v}"))
                .unwrap_or_default();
            format!("{}{}{over}", e.spec, if e.partial { "*" } else { "" })
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Measures as a table whose columns fit their longest cell; the title comes last and
/// whole (`regime show ID` prints every field of one measure).
fn print_measures(ms: &[&Measure]) {
    let rows: Vec<Vec<String>> = ms
        .iter()
        .map(|m| {
            vec![
                m.id.clone(),
                m.short_citation(),
                m.kind.name().to_string(),
                m.effective_from.to_string(),
                m.effective_until
                    .map_or_else(|| "-".into(), |d| d.to_string()),
                m.citation_confidence().to_string(),
                truncate(&hs_summary(m), 30),
                m.title.clone(),
            ]
        })
        .collect();
    print_table(
        &[
            "MEASURE",
            "CITATION",
            "KIND",
            "FROM",
            "UNTIL",
            "CONFIDENCE",
            "HS",
            "TITLE",
        ],
        &rows,
    );
}

/// Fields every measure has, printed by `show_one` in its own order; the rest of the
/// measure's JSON (the fields of its kind) follows under their own names.
const COMMON_FIELDS: &[&str] = &[
    "id",
    "resolution",
    "paragraph",
    "title",
    "kind",
    "effective_from",
    "effective_until",
    "supersedes",
    "superseded_by",
    "confidence",
    "paragraph_confidence",
    "sources",
    "notes",
    "origin",
    "hs",
];

/// A JSON value on one line for people: strings bare, lists joined, objects as k=v,
/// nulls left out.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(a) => a.iter().map(plain).collect::<Vec<_>>().join("; "),
        serde_json::Value::Object(o) => o
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{k}={}", plain(v)))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn show_one(ctx: &Context, id: &str) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let Some(m) = regime.measures().iter().find(|m| m.id == id) else {
        let near: Vec<&str> = regime
            .measures()
            .iter()
            .filter(|m| m.id.starts_with(id.split('-').next().unwrap_or(id)))
            .map(|m| m.id.as_str())
            .collect();
        if near.is_empty() {
            bail!("no measure {id:?} (`embargo regime show` lists every id)");
        }
        bail!(
            "no measure {id:?}; measures of that resolution: {}",
            near.join(", ")
        );
    };
    if ctx.json {
        return ctx.print_json(m);
    }
    println!("{} — {}", m.short_citation(), m.title);
    let row = |k: &str, v: String| println!("  {k:<22} {v}");
    row("id", m.id.clone());
    row("kind", m.kind.name().to_string());
    row(
        "in force",
        match m.effective_until {
            Some(u) => format!("{} to {u} (New York dates, inclusive)", m.effective_from),
            None => format!("from {} (New York date)", m.effective_from),
        },
    );
    row(
        "confidence",
        format!(
            "content {}, paragraph {}",
            m.confidence, m.paragraph_confidence
        ),
    );
    if !m.supersedes.is_empty() {
        row("supersedes", m.supersedes.join(", "));
    }
    if let Some(s) = &m.superseded_by {
        row("superseded by", s.clone());
    }
    for (i, e) in m.hs_scope().iter().enumerate() {
        let mut v = format!(
            "{}{} ({}, {})",
            e.spec,
            if e.partial { "*" } else { "" },
            plain(&serde_json::to_value(e.provenance)?),
            e.confidence
        );
        if let Some(over) = e.value_over_usd {
            v.push_str(&format!(", only over USD {over}"));
        }
        if let Some(n) = &e.note {
            v.push_str(&format!(" — {n}"));
        }
        if let Some(name) = embargo_regime::describe_hs(&e.spec.to_string()) {
            v.push_str(&format!(
                " [HS {} {}: {}]",
                name.edition, name.code, name.description
            ));
        }
        row(if i == 0 { "HS" } else { "" }, v);
    }
    if let serde_json::Value::Object(fields) = serde_json::to_value(m)? {
        for (k, v) in fields.iter().filter(|(k, v)| {
            !COMMON_FIELDS.contains(&k.as_str())
                && !v.is_null()
                && v.as_array().is_none_or(|a| !a.is_empty())
        }) {
            match v.as_array() {
                Some(items) if items.iter().any(|i| i.is_object()) => {
                    for (i, item) in items.iter().enumerate() {
                        row(if i == 0 { k } else { "" }, plain(item));
                    }
                }
                _ => row(k, plain(v)),
            }
        }
    }
    for (i, s) in m.sources.iter().enumerate() {
        row(if i == 0 { "sources" } else { "" }, s.clone());
    }
    if let Some(n) = &m.notes {
        row("notes", n.clone());
    }
    row("file", m.origin.to_string());
    Ok(())
}

fn show(
    ctx: &Context,
    as_of: Option<String>,
    resolution: Option<String>,
    kind: Option<String>,
) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let date = as_of
        .as_deref()
        .map(|d| parse_date(d, "--as-of"))
        .transpose()?;
    if let Some(r) = &resolution {
        if regime.resolution(r).is_none() {
            bail!(
                "--resolution {r}: no such resolution in the regime ({})",
                regime
                    .resolutions()
                    .iter()
                    .map(|r| r.number.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let ms: Vec<&Measure> = regime
        .measures()
        .iter()
        .filter(|m| date.is_none_or(|d| m.in_force_on(d)))
        .filter(|m| resolution.as_ref().is_none_or(|r| &m.resolution == r))
        .filter(|m| kind.as_ref().is_none_or(|k| m.kind.name() == k))
        .collect();
    if ctx.json {
        return ctx.print_json(&json!({"as_of": date, "date_convention": "New York adoption dates; in force from the adoption day", "count": ms.len(), "measures": ms}));
    }
    match date {
        Some(d) => println!("{} measures in force on {d} (New York date)\n", ms.len()),
        None => println!("{} measures\n", ms.len()),
    }
    print_measures(&ms);
    println!("\nHS marked * is broader than the measure's goods (a match is conditional); >$N: only goods valued over N US dollars.");
    Ok(())
}

fn diff(ctx: &Context, from: &str, to: &str) -> anyhow::Result<()> {
    let regime = ctx.regime()?;
    let a = parse_date(from, "FROM")?;
    let b = parse_date(to, "TO")?;
    let d = regime.diff(a, b);
    if ctx.json {
        return ctx.print_json(&d);
    }
    println!(
        "Regime diff {a} -> {b}: {} added, {} removed, {} unchanged\n",
        d.added.len(),
        d.removed.len(),
        d.unchanged
    );
    if !d.added.is_empty() {
        println!("ADDED");
        print_measures(&d.added.iter().map(|c| c.measure).collect::<Vec<_>>());
        println!();
    }
    if !d.removed.is_empty() {
        println!("REMOVED");
        let mut removed = Vec::new();
        for c in &d.removed {
            let why = match &c.superseded_by {
                Some(s) => format!("superseded by {s}"),
                None => match &c.measure.kind {
                    MeasureKind::WindDown { .. } => "wind-down ended".to_string(),
                    _ => "ended".to_string(),
                },
            };
            removed.push(vec![
                c.measure.id.clone(),
                c.measure.short_citation(),
                why,
                c.measure.title.clone(),
            ]);
        }
        print_table(&["MEASURE", "CITATION", "WHY", "TITLE"], &removed);
    }
    Ok(())
}

/// Measures per resolution by confidence (confirmed / partly / unconfirmed), content and
/// paragraph number, and the paragraphs still open.
fn print_confidence(rows: &[embargo_regime::ResolutionConfidence]) {
    if rows.is_empty() {
        return;
    }
    let ratio = |c: &embargo_regime::ConfidenceCounts| {
        format!("{}/{}/{}", c.confirmed, c.partly, c.unconfirmed)
    };
    println!("Confidence per resolution (confirmed/partly/unconfirmed):");
    println!(
        "{:<6} {:>8}  {:<9} {:<9}  PARAGRAPHS NOT CONFIRMED",
        "RES", "MEASURES", "CONTENT", "PARAGRAPH"
    );
    for r in rows {
        let open = if r.open_paragraphs.is_empty() {
            "-".to_string()
        } else {
            r.open_paragraphs
                .iter()
                .map(|c| c.strip_prefix(&format!("{} ", r.resolution)).unwrap_or(c))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "{:<6} {:>8}  {:<9} {:<9}  {}",
            r.resolution,
            r.measures,
            ratio(&r.content),
            ratio(&r.paragraph),
            open
        );
    }
    let total = |f: fn(&embargo_regime::ResolutionConfidence) -> usize| -> usize {
        rows.iter().map(f).sum()
    };
    println!(
        "{:<6} {:>8}  {:<9} {:<9}",
        "all",
        total(|r| r.measures),
        format!(
            "{}/{}/{}",
            total(|r| r.content.confirmed),
            total(|r| r.content.partly),
            total(|r| r.content.unconfirmed)
        ),
        format!(
            "{}/{}/{}",
            total(|r| r.paragraph.confirmed),
            total(|r| r.paragraph.partly),
            total(|r| r.paragraph.unconfirmed)
        )
    );
    println!();
}

fn validate(ctx: &Context, dir: Option<PathBuf>, hs: Vec<PathBuf>) -> anyhow::Result<()> {
    let sources = match dir.or_else(|| ctx.regime_dir().cloned()) {
        Some(d) => embargo_regime::read_dir_sources(&d)?,
        None => {
            let local = PathBuf::from("data/regimes/dprk");
            if local.is_dir() {
                embargo_regime::read_dir_sources(&local)?
            } else {
                Regime::bundled()?.sources().to_vec()
            }
        }
    };
    let files = sources.len();
    let mut nomenclature = None;
    if !hs.is_empty() {
        let mut n = Nomenclature::new();
        for p in &hs {
            n.add_file(p)?;
        }
        nomenclature = Some(n);
    }
    // When the files load: the confidence per resolution (what is confirmed and what is
    // open) and which HS edition each resolution's codes are checked against.
    let loaded = Regime::from_sources(sources.clone()).ok();
    let summary = loaded
        .as_ref()
        .map(|r| r.confidence_summary())
        .unwrap_or_default();
    let editions: Vec<serde_json::Value> = match (&nomenclature, &loaded) {
        (Some(n), Some(r)) => r
            .hs_editions_used(n)
            .into_iter()
            .map(|(resolution, adopted, c)| {
                json!({"resolution": resolution, "adopted": adopted, "edition_in_force": c.in_force, "checked_against": c.used})
            })
            .collect(),
        _ => Vec::new(),
    };
    let issues = Regime::validate_sources(sources, nomenclature.as_ref());
    let errors = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .count();
    let warnings = issues.len() - errors;
    if ctx.json {
        ctx.print_json(&json!({"files": files, "errors": errors, "warnings": warnings, "nomenclature": nomenclature.as_ref().map(|n| n.files.clone()), "hs_editions": editions, "issues": issues, "confidence": summary}))?;
    } else {
        for i in &issues {
            println!("{i}");
        }
        print_confidence(&summary);
        if !editions.is_empty() {
            println!(
                "HS codes checked against the edition in force on each resolution's adoption:"
            );
            for e in &editions {
                let in_force = &e["edition_in_force"];
                let used = match e["checked_against"].as_i64() {
                    Some(u) if Some(u) == in_force.as_i64() => format!("HS {u}"),
                    Some(u) => format!("HS {u} (HS {in_force} is not loaded)"),
                    None => "every loaded file (none names its edition)".to_string(),
                };
                println!(
                    "  {} ({}): {used}",
                    e["resolution"].as_str().unwrap_or_default(),
                    e["adopted"].as_str().unwrap_or_default()
                );
            }
        }
        let checked = match &nomenclature {
            Some(n) => format!(
                "; HS codes checked against {} codes from {}",
                n.len(),
                n.files.join(", ")
            ),
            None => String::new(),
        };
        println!("{files} files: {errors} error(s), {warnings} warning(s){checked}");
    }
    if errors > 0 {
        bail!("regime validation failed with {errors} error(s)");
    }
    Ok(())
}
