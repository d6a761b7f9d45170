//! The batch check: a CSV of shipments in, one verdict row per shipment out, in input
//! order.
//!
//! The file is cut into blocks of whole records ([`embargo_records::blocks`]); workers
//! split each block into fields, read each row into a [`Shipment`], classify it through
//! the regime's [`CheckIndex`] (one verdict timeline per HS class and route, then two
//! array reads per row) and encode the block's results in the output format; one thread
//! hands the encoded blocks to the [`Sink`] in input order. Bad rows are reported with
//! line and field, written to the output as `error` rows, and counted; nothing is
//! dropped.

use crate::destination::{Delivered, Target};
use crate::sink::{self, csv_field, Encoded, Format, Sink, SinkError};
use arrow_array::builder::{Date32Builder, StringBuilder, UInt64Builder};
use arrow_array::types::Date32Type;
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use embargo_records::blocks::{self, BlockError, BlockReader, RecordTooLong};
use embargo_regime::{
    Assessment, CheckIndex, Country, HsCode, Quantity, QuantityUnit, Regime, Segment, Shipment,
    Verdict,
};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};

/// What a batch check is asked to do.
pub struct CheckBatch<'a> {
    pub regime: &'a Regime,
    pub format: Format,
    /// Worker threads (at least one).
    pub threads: usize,
    /// Stop at the first bad row instead of reporting it and going on.
    pub strict: bool,
}

/// A bad row: its line, its `id` as written, the field and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    pub line: u64,
    /// The row's `id` column, as written (empty when there is none).
    pub id: String,
    pub field: &'static str,
    pub message: String,
}

/// Rows by verdict.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CheckCounts {
    pub rows: u64,
    pub prohibited: u64,
    pub conditional: u64,
    pub permitted: u64,
    pub errors: u64,
}

impl CheckCounts {
    pub(crate) fn add(&mut self, o: &CheckCounts) {
        self.rows += o.rows;
        self.prohibited += o.prohibited;
        self.conditional += o.conditional;
        self.permitted += o.permitted;
        self.errors += o.errors;
    }
}

/// What a finished batch check came to.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckSummary {
    pub counts: CheckCounts,
    /// The first bad rows (at most [`FIRST_ERRORS`]); every one is in the output.
    pub first_errors: Vec<RowError>,
    pub delivered: Delivered,
}

/// How many bad rows a summary names.
pub const FIRST_ERRORS: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum CheckBatchError {
    #[error("{file}: cannot open: {source}")]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: read: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: {source}")]
    Blocks {
        file: String,
        #[source]
        source: BlockError,
    },
    /// The header is not a shipment header; `message` starts with `FILE:1:`.
    #[error("{0}")]
    Header(String),
    /// A bad row stopped the run (`strict`, or a record too long to be a shipment row).
    #[error("{file}:{line}: {field}: {message}")]
    Row {
        file: String,
        line: u64,
        field: &'static str,
        message: String,
    },
    #[error("cannot encode a block of results: {0}")]
    Encode(#[source] ArrowError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("a batch worker thread failed")]
    Worker,
    /// The plan that ran the blocks failed (on a cluster: a node, the network, the input
    /// not at the same path everywhere).
    #[error("{0}")]
    Engine(String),
}

/// The CSV header of the output, matching [`csv_tail`].
pub const CSV_HEADER: &str =
    "line,id,hs,origin,destination,date,verdict,citations,conditions,confidence";

/// The Parquet schema of the output: the CSV's columns typed, and a bad row's field and
/// message in `error` (its verdict is `error`).
pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("line", DataType::UInt64, false),
        text("id"),
        text("hs"),
        text("origin"),
        text("destination"),
        Field::new("date", DataType::Date32, true),
        Field::new("verdict", DataType::Utf8, false),
        text("citations"),
        text("conditions"),
        text("confidence"),
        text("error"),
    ]))
}

/// Column positions found in the header.
#[derive(Clone, Copy)]
pub(crate) struct Columns {
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

fn columns(header: &[&[u8]], file: &str) -> Result<Columns, CheckBatchError> {
    let find = |name: &str| {
        header.iter().position(|h| {
            std::str::from_utf8(h)
                .map(|s| s.trim().eq_ignore_ascii_case(name))
                .unwrap_or(false)
        })
    };
    let need = |name: &str| {
        find(name).ok_or_else(|| {
            CheckBatchError::Header(format!(
                "{file}:1: header has no column {name:?} (need hs, origin, destination, date)"
            ))
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

/// One row's fields read into a shipment, or the field that is wrong and why.
fn parse_row(f: &[&[u8]], c: &Columns) -> Result<Shipment, (&'static str, String)> {
    let get = |i: usize| f.get(i).copied().unwrap_or(b"");
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let hs_raw = get(c.hs);
    let hs = HsCode::parse_bytes(hs_raw).ok_or_else(|| {
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
    let date = embargo_records::fields::date_ymd(get(c.date)).ok_or_else(|| {
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

// ---------------------------------------------------------------- encoding

/// ",verdict,citations,conditions,confidence\n": the part of a CSV row the assessment
/// decides. Memoized segments and rows that need the full check both render through
/// here, so the two paths cannot drift apart. `confidence` is
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

/// One classified row, as the encoders see it.
struct Verdicted<'a> {
    line: u64,
    id: &'a [u8],
    shipment: &'a Shipment,
    assessment: &'a Assessment,
    /// The memoized segment the assessment is, when it is one (not a full check).
    segment: Option<u32>,
}

/// A worker's encoder for one block of results, in the output format.
pub(crate) enum Encoder {
    /// Rows as CSV. Each segment's tail is rendered the first time a row lands on it:
    /// most rows of a batch share a few segments, so a row costs a lookup and a copy.
    Csv {
        out: Vec<u8>,
        tails: Vec<Option<String>>,
    },
    Jsonl {
        out: Vec<u8>,
    },
    Parquet(Box<ParquetColumns>),
}

/// Arrow builders for [`schema`]'s columns, and each segment's text columns memoized.
#[derive(Default)]
pub(crate) struct ParquetColumns {
    line: UInt64Builder,
    id: StringBuilder,
    hs: StringBuilder,
    origin: StringBuilder,
    destination: StringBuilder,
    date: Date32Builder,
    verdict: StringBuilder,
    citations: StringBuilder,
    conditions: StringBuilder,
    confidence: StringBuilder,
    error: StringBuilder,
    texts: Vec<Option<[String; 2]>>,
}

impl Encoder {
    pub(crate) fn new(format: Format) -> Encoder {
        match format {
            Format::Csv => Encoder::Csv {
                out: Vec::new(),
                tails: Vec::new(),
            },
            Format::Jsonl => Encoder::Jsonl { out: Vec::new() },
            Format::Parquet => Encoder::Parquet(Box::default()),
        }
    }

    fn reserve(&mut self, bytes: usize) {
        match self {
            Encoder::Csv { out, .. } | Encoder::Jsonl { out } => out.reserve(bytes),
            Encoder::Parquet(_) => {}
        }
    }

    fn verdict(&mut self, v: &Verdicted<'_>) {
        match self {
            Encoder::Csv { out, tails } => {
                push_key_columns(out, v.line, v.id, v.shipment);
                match v.segment {
                    Some(seg) => {
                        let i = seg as usize;
                        if tails.len() <= i {
                            tails.resize(i + 1, None);
                        }
                        let tail = tails[i].get_or_insert_with(|| csv_tail(v.assessment));
                        out.extend_from_slice(tail.as_bytes());
                    }
                    None => out.extend_from_slice(csv_tail(v.assessment).as_bytes()),
                }
            }
            Encoder::Jsonl { out } => {
                let (s, a) = (v.shipment, v.assessment);
                let row = serde_json::json!({"line": v.line, "id": String::from_utf8_lossy(v.id), "hs": s.hs, "origin": s.origin, "destination": s.destination, "date": s.date, "verdict": a.verdict,
                    "confidence": a.confidence, "rests_on_unconfirmed": a.rests_on_unconfirmed,
                    "citations": &a.citations, "conditions": &a.conditions, "notes": &a.notes});
                let _ = serde_json::to_writer(&mut *out, &row);
                out.push(b'\n');
            }
            Encoder::Parquet(c) => c.verdict(v),
        }
    }

    fn error(&mut self, e: &RowError) {
        match self {
            Encoder::Csv { out, .. } => {
                let _ = writeln!(
                    out,
                    "{},{},,,,,error,,{},",
                    e.line,
                    csv_field(&e.id),
                    csv_field(&format!("{}: {}", e.field, e.message))
                );
            }
            Encoder::Jsonl { out } => {
                let _ = serde_json::to_writer(
                    &mut *out,
                    &serde_json::json!({"line": e.line, "id": e.id, "verdict": "error", "field": e.field, "error": e.message}),
                );
                out.push(b'\n');
            }
            Encoder::Parquet(c) => c.error(e),
        }
    }

    /// The block encoded so far; the encoder starts a new one.
    fn take(&mut self) -> Result<Encoded, ArrowError> {
        Ok(match self {
            Encoder::Csv { out, .. } | Encoder::Jsonl { out } => Encoded::Text(std::mem::take(out)),
            Encoder::Parquet(c) => Encoded::Table(c.finish()?),
        })
    }
}

impl ParquetColumns {
    fn verdict(&mut self, v: &Verdicted<'_>) {
        let (s, a) = (v.shipment, v.assessment);
        self.line.append_value(v.line);
        self.id.append_value(String::from_utf8_lossy(v.id));
        self.hs.append_value(s.hs.as_str());
        self.origin.append_value(s.origin.code());
        self.destination.append_value(s.destination.code());
        self.date.append_value(Date32Type::from_naive_date(s.date));
        self.verdict.append_value(a.verdict.as_str());
        let texts = |a: &Assessment| {
            [
                embargo_regime::citations_text(a),
                embargo_regime::conditions_text(a),
            ]
        };
        match v.segment {
            Some(seg) => {
                let i = seg as usize;
                if self.texts.len() <= i {
                    self.texts.resize(i + 1, None);
                }
                let [c, k] = self.texts[i].get_or_insert_with(|| texts(a));
                self.citations.append_value(&*c);
                self.conditions.append_value(&*k);
            }
            None => {
                let [c, k] = texts(a);
                self.citations.append_value(c);
                self.conditions.append_value(k);
            }
        }
        match a.confidence {
            Some(c) => self.confidence.append_value(c.to_string()),
            None => self.confidence.append_null(),
        }
        self.error.append_null();
    }

    fn error(&mut self, e: &RowError) {
        self.line.append_value(e.line);
        self.id.append_value(&e.id);
        self.hs.append_null();
        self.origin.append_null();
        self.destination.append_null();
        self.date.append_null();
        self.verdict.append_value("error");
        self.citations.append_null();
        self.conditions.append_null();
        self.confidence.append_null();
        self.error
            .append_value(format!("{}: {}", e.field, e.message));
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.line.finish()),
            Arc::new(self.id.finish()),
            Arc::new(self.hs.finish()),
            Arc::new(self.origin.finish()),
            Arc::new(self.destination.finish()),
            Arc::new(self.date.finish()),
            Arc::new(self.verdict.finish()),
            Arc::new(self.citations.finish()),
            Arc::new(self.conditions.finish()),
            Arc::new(self.confidence.finish()),
            Arc::new(self.error.finish()),
        ];
        RecordBatch::try_new(schema(), columns)
    }
}

/// "line,id,hs,origin,destination,date" of a CSV row: the input's own bytes for `id`
/// (quoted when it needs it), the rest written without a formatter.
fn push_key_columns(out: &mut Vec<u8>, line: u64, id: &[u8], s: &Shipment) {
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
}

/// YYYY-MM-DD without going through a formatter (hot path).
fn push_date(out: &mut Vec<u8>, d: NaiveDate) {
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

// ---------------------------------------------------------------- the pipeline

/// Classify one row and encode it. A row is answered by its memoized segment unless its
/// quantity or value can change the answer, in which case the full check runs.
fn classify(
    enc: &mut Encoder,
    line: u64,
    id: &[u8],
    index: &mut CheckIndex,
    s: &Shipment,
) -> Verdict {
    let regime = index.regime();
    let seg: &Segment = index.segment(s);
    if embargo_regime::needs_full_check(seg, s) {
        let a = regime.check(s);
        enc.verdict(&Verdicted {
            line,
            id,
            shipment: s,
            assessment: &a,
            segment: None,
        });
        return a.verdict;
    }
    enc.verdict(&Verdicted {
        line,
        id,
        shipment: s,
        assessment: &seg.assessment,
        segment: Some(seg.id),
    });
    seg.assessment.verdict
}

/// A block's results: encoded, counted, and its bad rows.
pub(crate) struct Done {
    pub(crate) seq: u64,
    pub(crate) block: Result<Encoded, ArrowError>,
    pub(crate) counts: CheckCounts,
    pub(crate) errors: Vec<RowError>,
}

/// The field name of errors about a whole record (too long to be a shipment row).
pub(crate) const RECORD: &str = "(record)";

/// A field name as [`RowError::field`] holds it, from its text (a bad row's error that
/// crossed a process boundary).
pub(crate) fn field_name(name: &str) -> &'static str {
    [
        "hs",
        "origin",
        "destination",
        "date",
        "via",
        "quantity",
        "unit",
        "value_usd",
        RECORD,
    ]
    .into_iter()
    .find(|f| *f == name)
    .unwrap_or("(field)")
}

pub(crate) fn process_block(
    job: &blocks::Block,
    cols: &Columns,
    enc: &mut Encoder,
    index: &mut CheckIndex,
) -> Done {
    enc.reserve(job.data.len() * 3);
    let mut counts = CheckCounts::default();
    let mut errors = Vec::new();
    let mut handle = |line: u64, record: Result<&[&[u8]], RecordTooLong>| {
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
            Ok(s) => match classify(enc, line, id, index, &s) {
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
                enc.error(&e);
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
        block: enc.take(),
        counts,
        errors,
    }
}

/// The longest header line accepted.
const MAX_HEADER: usize = 64 << 10;

/// What the first line of a batch file says.
pub(crate) struct Header {
    pub(crate) columns: Columns,
    /// Bytes of the file up to and including its line end: where the rows start.
    pub(crate) len: u64,
}

/// The columns a header line names.
fn header_columns(line: &str, name: &str) -> Result<Columns, CheckBatchError> {
    let header_fields: Vec<&[u8]> = line.as_bytes().split(|b| *b == b',').collect();
    columns(&header_fields, name)
}

/// The header, and the bytes read past it.
pub(crate) fn read_header(
    file: &mut impl Read,
    name: &str,
) -> Result<(Header, Vec<u8>), CheckBatchError> {
    let mut buf = Vec::with_capacity(blocks::BLOCK_BYTES + 4096);
    let mut chunk = vec![0u8; 64 * 1024];
    let header_end = loop {
        if let Some(p) = buf.iter().position(|b| *b == b'\n') {
            break p;
        }
        if buf.len() > MAX_HEADER {
            return Err(CheckBatchError::Header(format!(
                "{name}:1: no line end within the first {MAX_HEADER} bytes: not a CSV \
                 header (expected hs,origin,destination,date)"
            )));
        }
        let n = file
            .read(&mut chunk)
            .map_err(|source| CheckBatchError::Read {
                file: name.to_string(),
                source,
            })?;
        if n == 0 {
            if buf.is_empty() {
                return Err(CheckBatchError::Header(format!(
                    "{name}:1: empty file (expected a header: hs,origin,destination,date)"
                )));
            }
            break buf.len();
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let header_line = String::from_utf8_lossy(&buf[..header_end])
        .trim_start_matches('\u{feff}')
        .trim_end_matches('\r')
        .to_string();
    let columns = header_columns(&header_line, name)?;
    let rest = buf
        .get(header_end + 1..)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    let header = Header {
        columns,
        len: (header_end + 1).min(buf.len()) as u64,
    };
    Ok((header, rest))
}

/// Check every shipment of the CSV at `path` and write the results to `target`.
/// `progress` is told the bytes of input read as the run goes.
pub fn check_file(
    batch: &CheckBatch<'_>,
    path: &Path,
    target: &Target,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CheckSummary, CheckBatchError> {
    let name = path.display().to_string();
    let mut file = std::fs::File::open(path).map_err(|source| CheckBatchError::Open {
        file: name.clone(),
        source,
    })?;
    let (header, rest) = read_header(&mut file, &name)?;
    let cols = header.columns;
    let destination = target
        .open(batch.format.media_type())
        .map_err(SinkError::from)?;
    let sink = sink::open(destination, batch.format, CSV_HEADER, schema())?;
    run(batch, &name, file, rest, cols, sink, progress)
}

/// The pipeline: a reader thread cuts blocks, workers classify and encode them, this
/// thread hands them to the sink in input order. On any error the sink is dropped
/// unfinished (nothing delivered).
fn run(
    batch: &CheckBatch<'_>,
    name: &str,
    file: std::fs::File,
    rest: Vec<u8>,
    cols: Columns,
    sink: Box<dyn Sink>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CheckSummary, CheckBatchError> {
    let threads = batch.threads.max(1);
    let (job_tx, job_rx) = mpsc::sync_channel::<blocks::Block>(threads * 2);
    let job_rx = Arc::new(Mutex::new(job_rx));
    // Bounded too: when the destination is slower than the workers (a disk, a pipe, an
    // upload), they wait for it instead of piling up encoded blocks in memory.
    let (done_tx, done_rx) = mpsc::sync_channel::<Done>(threads * 2);
    let mut output = Output {
        sink,
        file: name,
        strict: batch.strict,
        totals: CheckCounts::default(),
        first_errors: Vec::new(),
    };
    let regime = batch.regime;
    let format = batch.format;

    std::thread::scope(|scope| -> Result<(), CheckBatchError> {
        for _ in 0..threads {
            let rx = Arc::clone(&job_rx);
            let tx = done_tx.clone();
            scope.spawn(move || {
                let mut index = regime.check_index();
                let mut enc = Encoder::new(format);
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    let Ok(job) = job else { return };
                    if tx
                        .send(process_block(&job, &cols, &mut enc, &mut index))
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
        // The workers hold the only handles on the job queue and on the result channel:
        // when the writer stops early (a bad row under `strict`, a closed pipe), its
        // receiver goes, the workers' sends fail, they drop the queue, and the reader's
        // next send fails too. Nothing waits for ever.
        drop(done_tx);
        drop(job_rx);
        // Reader: blocks of whole records (cut outside quoted fields), lines counted
        // for error positions.
        let reader = scope.spawn(move || -> Result<(), CheckBatchError> {
            let mut blocks = BlockReader::new(file, rest, 2);
            while let Some(block) =
                blocks
                    .next_block()
                    .map_err(|source| CheckBatchError::Blocks {
                        file: name.to_string(),
                        source,
                    })?
            {
                progress(block.data.len() as u64);
                if job_tx.send(block).is_err() {
                    break;
                }
            }
            Ok(())
        });
        // Writer (this thread): results back in input order.
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        // The receiver lives in this closure: when a bad row stops the run, the workers'
        // sends fail and the reader stops at its next block.
        for done in done_rx {
            pending.insert(done.seq, done);
            while let Some(d) = pending.remove(&next) {
                output.deliver(d)?;
                next += 1;
            }
        }
        reader.join().map_err(|_| CheckBatchError::Worker)??;
        Ok(())
    })?;
    output.finish()
}

/// The in-order end of a batch check: each block's results, in input order, to the sink;
/// counts summed; the first bad rows kept; a bad row under `strict` (or a record too long
/// to be a row) stops the run before its block is written.
pub(crate) struct Output<'a> {
    pub(crate) sink: Box<dyn Sink>,
    pub(crate) file: &'a str,
    pub(crate) strict: bool,
    pub(crate) totals: CheckCounts,
    pub(crate) first_errors: Vec<RowError>,
}

impl Output<'_> {
    pub(crate) fn deliver(&mut self, d: Done) -> Result<(), CheckBatchError> {
        let block = d.block.map_err(CheckBatchError::Encode)?;
        self.deliver_blocks(d.counts, d.errors, vec![block])
    }

    /// A block's results (its output in one or more parts).
    pub(crate) fn deliver_blocks(
        &mut self,
        counts: CheckCounts,
        errors: Vec<RowError>,
        blocks: Vec<Encoded>,
    ) -> Result<(), CheckBatchError> {
        for e in &errors {
            // A record over the length limit is a broken file, not a bad row.
            if self.strict || e.field == RECORD {
                return Err(CheckBatchError::Row {
                    file: self.file.to_string(),
                    line: e.line,
                    field: e.field,
                    message: e.message.clone(),
                });
            }
        }
        for block in blocks {
            self.sink.write(block)?;
        }
        self.totals.add(&counts);
        let room = FIRST_ERRORS.saturating_sub(self.first_errors.len());
        self.first_errors.extend(errors.into_iter().take(room));
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<CheckSummary, CheckBatchError> {
        let delivered = self.sink.finish()?;
        Ok(CheckSummary {
            counts: self.totals,
            first_errors: self.first_errors,
            delivered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_days_since_1970() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(Date32Type::from_naive_date(d("1970-01-01")), 0);
        assert_eq!(Date32Type::from_naive_date(d("2017-09-15")), 17_424);
    }
}
