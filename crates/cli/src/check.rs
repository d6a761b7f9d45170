//! `embargo check`: one shipment from flags, or a CSV of shipments (`--batch`).
//!
//! The batch path reads the file in chunks, classifies them on all cores through the
//! regime's [`CheckIndex`] (one verdict timeline per HS class and route, then two array
//! reads per row), and writes results in input order. Bad rows are reported with line
//! and field, written to the output as `error` rows, and counted; nothing is dropped.

use crate::context::Context;
use anyhow::{bail, Context as _};
use clap::{Args as ClapArgs, ValueEnum};
use embargo_regime::{
    blocks, parse_date_fast, Assessment, CheckIndex, Country, HsCode, Quantity, QuantityUnit,
    Regime, Shipment, ShipmentInput, Verdict,
};
use serde_json::json;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};

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
    /// Output file for --batch (default: stdout). Written to a temporary file, then renamed.
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
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum BatchFormat {
    Csv,
    Jsonl,
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

/// Column positions found in the header.
#[derive(Clone, Copy)]
struct Columns {
    hs: usize,
    origin: usize,
    destination: usize,
    date: usize,
    id: Option<usize>,
    via: Option<usize>,
    quantity: Option<usize>,
    unit: Option<usize>,
    value_usd: Option<usize>,
}

fn columns(header: &[&[u8]], file: &str) -> anyhow::Result<Columns> {
    let find = |name: &str| {
        header.iter().position(|h| {
            std::str::from_utf8(h)
                .map(|s| s.trim().eq_ignore_ascii_case(name))
                .unwrap_or(false)
        })
    };
    let need = |name: &str| {
        find(name).with_context(|| {
            format!("{file}:1: header has no column {name:?} (need hs, origin, destination, date)")
        })
    };
    Ok(Columns {
        hs: need("hs")?,
        origin: need("origin")?,
        destination: need("destination")?,
        date: need("date")?,
        id: find("id"),
        via: find("via"),
        quantity: find("quantity"),
        unit: find("unit"),
        value_usd: find("value_usd"),
    })
}

#[derive(Default, Clone, Copy)]
struct Counts {
    rows: u64,
    prohibited: u64,
    conditional: u64,
    permitted: u64,
    errors: u64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.rows += o.rows;
        self.prohibited += o.prohibited;
        self.conditional += o.conditional;
        self.permitted += o.permitted;
        self.errors += o.errors;
    }
}

struct RowError {
    line: u64,
    /// The row's `id` column, as written (empty when there is none).
    id: String,
    field: &'static str,
    message: String,
}

fn parse_row(f: &[&[u8]], c: &Columns) -> Result<Shipment, (&'static str, String)> {
    let get = |i: usize| f.get(i).copied().unwrap_or(b"");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let hs_raw = get(c.hs);
    let hs = embargo_regime::parse_hs_fast(hs_raw).ok_or_else(|| {
        let e = std::str::from_utf8(hs_raw)
            .map(|s| {
                HsCode::parse(s)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default()
            })
            .unwrap_or_else(|_| "not UTF-8".into());
        ("hs", e)
    })?;
    let country = |field: &'static str, b: &[u8]| {
        Country::from_bytes(b).ok_or_else(|| {
            (
                field,
                format!("{:?} is not an ISO 3166-1 alpha-2 code", text(b)),
            )
        })
    };
    let origin = country("origin", get(c.origin))?;
    let destination = country("destination", get(c.destination))?;
    let date = parse_date_fast(get(c.date)).ok_or_else(|| {
        (
            "date",
            format!("{:?} is not a valid YYYY-MM-DD date", text(get(c.date))),
        )
    })?;
    let via = match c.via.map(get).filter(|v| !v.is_empty()) {
        Some(v) => Some(country("via", v)?),
        None => None,
    };
    let num = |field: &'static str, b: &[u8]| -> Result<f64, (&'static str, String)> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|s| s.trim().parse::<f64>().ok())
            .filter(|v| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| (field, format!("{:?} is not a non-negative number", text(b))))
    };
    let quantity = match c.quantity.map(get).filter(|v| !v.is_empty()) {
        Some(q) => {
            let amount = num("quantity", q)?;
            let u = c.unit.map(get).unwrap_or(b"");
            let unit = std::str::from_utf8(u)
                .ok()
                .and_then(QuantityUnit::parse)
                .ok_or_else(|| ("unit", format!("{:?} is not a unit (kg, t, bbl)", text(u))))?;
            Some(Quantity { amount, unit })
        }
        None => None,
    };
    let value_usd = match c.value_usd.map(get).filter(|v| !v.is_empty()) {
        Some(v) => Some(num("value_usd", v)?),
        None => None,
    };
    Ok(Shipment {
        hs,
        origin,
        destination,
        via,
        date,
        quantity,
        value_usd,
    })
}

/// The batch CSV header, matching [`csv_tail`].
const CSV_HEADER: &str =
    "line,id,hs,origin,destination,date,verdict,citations,conditions,confidence";

/// Quote a CSV field when it needs it.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// ",verdict,citations,conditions,confidence\n": the part of a batch CSV row the
/// assessment decides. Memoized segments and rows that need the full check both render
/// through here, so the two paths cannot drift apart. `confidence` is
/// [`Assessment::confidence`] (empty for `permitted`): `unconfirmed` marks a verdict that
/// rests only on measures whose content or paragraph is unconfirmed.
fn csv_tail(a: &Assessment) -> String {
    format!(
        ",{},{},{},{}\n",
        a.verdict.as_str(),
        csv_field(&embargo_regime::citations_text(a)),
        csv_field(&embargo_regime::conditions_text(a)),
        a.confidence.map(|c| c.to_string()).unwrap_or_default()
    )
}

/// Each segment's CSV tail, rendered the first time a row lands on it: most rows of a
/// batch share a few segments, so a row costs a lookup and a copy.
#[derive(Default)]
struct CsvTails(Vec<Option<String>>);

impl CsvTails {
    fn of(&mut self, seg: &embargo_regime::Segment) -> &str {
        let i = seg.id as usize;
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        self.0[i].get_or_insert_with(|| csv_tail(&seg.assessment))
    }
}

/// Render one classified row. The CSV path writes the input's own bytes for the key
/// columns and the segment's tail.
fn render(
    out: &mut Vec<u8>,
    format: BatchFormat,
    line: u64,
    id: &[u8],
    index: &mut CheckIndex,
    tails: &mut CsvTails,
    s: &Shipment,
) -> Verdict {
    let regime = index.regime();
    let seg = index.segment(s);
    if embargo_regime::needs_full_check(seg, s) {
        let a = regime.check(s);
        write_row(out, format, line, id, s, &csv_tail(&a), &a);
        return a.verdict;
    }
    let tail = match format {
        BatchFormat::Csv => tails.of(seg),
        BatchFormat::Jsonl => "",
    };
    write_row(out, format, line, id, s, tail, &seg.assessment);
    seg.assessment.verdict
}

fn write_row(
    out: &mut Vec<u8>,
    format: BatchFormat,
    line: u64,
    id: &[u8],
    s: &Shipment,
    csv_tail: &str,
    a: &Assessment,
) {
    match format {
        BatchFormat::Csv => {
            push_decimal(out, line);
            out.push(b',');
            if id.iter().any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
                out.extend_from_slice(csv_field(&String::from_utf8_lossy(id)).as_bytes());
            } else {
                out.extend_from_slice(id);
            }
            out.push(b',');
            out.extend_from_slice(s.hs.as_str().as_bytes());
            out.push(b',');
            out.extend_from_slice(s.origin.code_bytes());
            out.push(b',');
            out.extend_from_slice(s.destination.code_bytes());
            out.push(b',');
            push_date(out, s.date);
            out.extend_from_slice(csv_tail.as_bytes());
        }
        BatchFormat::Jsonl => {
            let v = json!({"line": line, "id": String::from_utf8_lossy(id), "hs": s.hs, "origin": s.origin, "destination": s.destination, "date": s.date, "verdict": a.verdict,
                "confidence": a.confidence, "rests_on_unconfirmed": a.rests_on_unconfirmed,
                "citations": &a.citations, "conditions": &a.conditions, "notes": &a.notes});
            let _ = serde_json::to_writer(&mut *out, &v);
            out.push(b'\n');
        }
    }
}

/// YYYY-MM-DD without going through a formatter (hot path).
fn push_date(out: &mut Vec<u8>, d: chrono::NaiveDate) {
    use chrono::Datelike;
    let y = d.year().clamp(0, 9999) as u32;
    let (m, day) = (d.month(), d.day());
    out.extend_from_slice(&[
        b'0' + (y / 1000) as u8,
        b'0' + (y / 100 % 10) as u8,
        b'0' + (y / 10 % 10) as u8,
        b'0' + (y % 10) as u8,
        b'-',
        b'0' + (m / 10) as u8,
        b'0' + (m % 10) as u8,
        b'-',
        b'0' + (day / 10) as u8,
        b'0' + (day % 10) as u8,
    ]);
}

/// A line number in decimal, without a formatter or an allocation (hot path).
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

fn write_error(out: &mut Vec<u8>, format: BatchFormat, e: &RowError) {
    match format {
        BatchFormat::Csv => {
            let _ = writeln!(
                out,
                "{},{},,,,,error,,{},",
                e.line,
                csv_field(&e.id),
                csv_field(&format!("{}: {}", e.field, e.message))
            );
        }
        BatchFormat::Jsonl => {
            let _ = serde_json::to_writer(
                &mut *out,
                &json!({"line": e.line, "id": e.id, "verdict": "error", "field": e.field, "error": e.message}),
            );
            out.push(b'\n');
        }
    }
}

type Job = blocks::Block;

struct Done {
    seq: u64,
    out: Vec<u8>,
    counts: Counts,
    errors: Vec<RowError>,
}

fn process_chunk(
    job: &Job,
    cols: &Columns,
    format: BatchFormat,
    index: &mut CheckIndex,
    tails: &mut CsvTails,
) -> Done {
    let mut out = Vec::with_capacity(job.data.len() * 3);
    let mut counts = Counts::default();
    let mut errors = Vec::new();
    let mut handle = |line: u64, record: Result<&[&[u8]], blocks::RecordTooLong>| {
        let (parsed, id) = match record {
            Ok(fields) if fields.len() == 1 && fields[0].is_empty() => return, // blank line
            Ok(fields) => (
                parse_row(fields, cols),
                cols.id.and_then(|i| fields.get(i).copied()).unwrap_or(b""),
            ),
            Err(too_long) => (Err((RECORD, too_long.to_string())), &b""[..]),
        };
        counts.rows += 1;
        match parsed {
            Ok(s) => match render(&mut out, format, line, id, index, tails, &s) {
                Verdict::Prohibited => counts.prohibited += 1,
                Verdict::Conditional => counts.conditional += 1,
                Verdict::Permitted => counts.permitted += 1,
            },
            Err((field, message)) => {
                counts.errors += 1;
                let e = RowError {
                    line,
                    id: String::from_utf8_lossy(id).into_owned(),
                    field,
                    message,
                };
                write_error(&mut out, format, &e);
                errors.push(e);
            }
        }
    };
    blocks::for_each_record(
        &job.data,
        job.first_line,
        blocks::MAX_RECORD_BYTES,
        &mut handle,
    );
    Done {
        seq: job.seq,
        out,
        counts,
        errors,
    }
}

/// The field name of errors about a whole record (too long to be a shipment row).
const RECORD: &str = "(record)";

/// The longest header line accepted.
const MAX_HEADER: usize = 64 << 10;

fn batch(regime: &Regime, path: &Path, args: &Args, ctx: &Context) -> anyhow::Result<()> {
    let file_name = path.display().to_string();
    let mut file =
        std::fs::File::open(path).with_context(|| format!("{file_name}: cannot open"))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let started = std::time::Instant::now();

    // Header: read up to the first newline (within MAX_HEADER bytes).
    let mut buf = Vec::with_capacity(blocks::BLOCK_BYTES + 4096);
    let mut tmp = vec![0u8; 64 * 1024];
    let header_end = loop {
        if let Some(p) = buf.iter().position(|b| *b == b'\n') {
            break p;
        }
        if buf.len() > MAX_HEADER {
            bail!(
                "{file_name}:1: no line end within the first {MAX_HEADER} bytes: not a CSV \
                 header (expected hs,origin,destination,date)"
            );
        }
        let n = file
            .read(&mut tmp)
            .with_context(|| format!("{file_name}: read"))?;
        if n == 0 {
            if buf.is_empty() {
                bail!("{file_name}:1: empty file (expected a header: hs,origin,destination,date)");
            }
            break buf.len();
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let header_line = String::from_utf8_lossy(&buf[..header_end])
        .trim_start_matches('\u{feff}')
        .trim_end_matches('\r')
        .to_string();
    let header_fields: Vec<&[u8]> = header_line.as_bytes().split(|b| *b == b',').collect();
    let cols = columns(&header_fields, &file_name)?;
    let rest: Vec<u8> = buf
        .get(header_end + 1..)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    buf = rest;

    let threads = args
        .threads
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    let format = args.format;
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

    // Output: a temporary file beside the target, renamed at the end; or stdout.
    let (mut sink, tmp_path): (Box<dyn Write>, Option<PathBuf>) = match &args.out {
        Some(out) => {
            let dir = out
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let tmp = dir.join(format!(
                ".{}.tmp-{}",
                out.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
                std::process::id()
            ));
            let f = std::fs::File::create(&tmp)
                .with_context(|| format!("{}: cannot create", tmp.display()))?;
            (Box::new(BufWriter::with_capacity(1 << 20, f)), Some(tmp))
        }
        None => (
            Box::new(BufWriter::with_capacity(1 << 20, std::io::stdout().lock())),
            None,
        ),
    };
    if format == BatchFormat::Csv {
        writeln!(sink, "{}", CSV_HEADER)?;
    }

    let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    let mut totals = Counts::default();
    let mut first_errors: Vec<RowError> = Vec::new();
    let strict = args.strict;

    let result: anyhow::Result<()> = std::thread::scope(|scope| {
        for _ in 0..threads {
            let rx = Arc::clone(&job_rx);
            let tx = done_tx.clone();
            scope.spawn(move || {
                let mut index = regime.check_index();
                let mut tails = CsvTails::default();
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    if tx
                        .send(process_chunk(&job, &cols, format, &mut index, &mut tails))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        drop(done_tx);
        // Reader: feed blocks of whole records (cut outside quoted fields), counting
        // lines for error positions.
        let read_progress = progress.clone();
        let reader_file = file_name.clone();
        let reader = scope.spawn(move || -> anyhow::Result<u64> {
            let mut blocks = blocks::BlockReader::new(file, buf, 2);
            let mut sent = 0u64;
            while let Some(block) = blocks
                .next_block()
                .map_err(|e| anyhow::anyhow!("{reader_file}: {e}"))?
            {
                read_progress.inc(block.data.len() as u64);
                if job_tx.send(block).is_err() {
                    break;
                }
                sent += 1;
            }
            Ok(sent)
        });
        // Writer (this thread): put results back in order.
        let mut pending: std::collections::BTreeMap<u64, Done> = std::collections::BTreeMap::new();
        let mut next = 0u64;
        for done in done_rx.iter() {
            pending.insert(done.seq, done);
            while let Some(d) = pending.remove(&next) {
                sink.write_all(&d.out)?;
                totals.add(&d.counts);
                for e in d.errors {
                    // A record over the length limit is a broken file, not a bad row.
                    if strict || e.field == RECORD {
                        bail!("{file_name}:{}: {}: {}", e.line, e.field, e.message);
                    }
                    if first_errors.len() < 20 {
                        first_errors.push(e);
                    }
                }
                next += 1;
            }
        }
        reader
            .join()
            .map_err(|_| anyhow::anyhow!("reader thread panicked"))??;
        Ok(())
    });
    progress.finish_and_clear();
    if let Err(e) = result {
        // Nothing half-written is left behind.
        if let Some(tmp) = &tmp_path {
            let _ = std::fs::remove_file(tmp);
        }
        return Err(e);
    }
    sink.flush()?;
    drop(sink);
    if let (Some(tmp), Some(out)) = (tmp_path, &args.out) {
        std::fs::rename(&tmp, out)
            .with_context(|| format!("rename {} -> {}", tmp.display(), out.display()))?;
    }
    let secs = started.elapsed().as_secs_f64();
    let summary = json!({
        "file": file_name, "rows": totals.rows, "prohibited": totals.prohibited, "conditional": totals.conditional,
        "permitted": totals.permitted, "errors": totals.errors, "seconds": secs, "rows_per_second": totals.rows as f64 / secs.max(1e-9),
        "first_errors": first_errors.iter().map(|e| json!({"line": e.line, "id": e.id, "field": e.field, "message": e.message})).collect::<Vec<_>>(),
        "output": args.out.as_ref().map(|p| p.display().to_string()),
    });
    if ctx.json && args.out.is_some() {
        ctx.print_json(&summary)?;
    } else {
        for e in &first_errors {
            eprintln!("{file_name}:{}: {}: {}", e.line, e.field, e.message);
        }
        if totals.errors > first_errors.len() as u64 {
            eprintln!(
                "... and {} more bad rows",
                totals.errors - first_errors.len() as u64
            );
        }
        eprintln!(
            "{} rows: {} prohibited, {} conditional, {} permitted, {} skipped as errors (reported in the output) in {:.2}s ({:.0} rows/s)",
            totals.rows, totals.prohibited, totals.conditional, totals.permitted, totals.errors, secs, totals.rows as f64 / secs.max(1e-9)
        );
    }
    Ok(())
}
