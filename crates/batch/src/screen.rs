//! The batch screening: a CSV of names in, one screening per row out, in input order.
//!
//! Rows are read a block at a time ([`BLOCK_ROWS`]), so memory stays one block's worth
//! whatever the length of the file; each block is screened on every worker thread (the
//! output rendered there too), shown to the caller's [`Ledger`] (the command line keeps
//! an audit record of every screened row), and only then written.

use crate::destination::{Delivered, Target};
use crate::sink::{self, csv_field, Encoded, Format, Sink, SinkError};
use arrow_array::builder::{Float64Builder, StringBuilder, UInt32Builder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
use chrono::NaiveDate;
use embargo_records::bounded::{LineBound, MAX_LINE_BYTES};
use embargo_screen::matcher::{Explanation, Query, Screening, Thresholds};
use embargo_screen::regime_context::RegimeContext;
use embargo_screen::{regime_link, Decision, Matcher, ScreenRequest, Source};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

/// Rows screened between two writes: memory stays bounded by one block whatever the
/// length of the file, and each block still keeps every thread busy.
pub const BLOCK_ROWS: usize = 8192;

/// What a batch screening is asked to do.
pub struct ScreenBatch<'a> {
    pub matcher: &'a Matcher,
    pub regime: &'a embargo_regime::Regime,
    pub thresholds: Thresholds,
    /// The date the regime context of each hit is read at.
    pub today: NaiveDate,
    pub format: Format,
    /// Worker threads (at least one).
    pub threads: usize,
}

/// One input row: its position, its `id`, and its fields read into a query (or why not).
#[derive(Debug, Clone)]
pub struct NameRow {
    /// 1 for the first row after the header.
    pub row: usize,
    pub id: Option<String>,
    pub query: Result<Query, String>,
}

/// A screened row as the caller's [`Ledger`] sees it: what was asked and what was
/// found, as an audit keeps it. It travels between processes (a cluster's executors
/// screen, the client keeps the ledger), hence plain fields.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Screened {
    pub row: usize,
    pub input_id: Option<String>,
    pub name: String,
    pub schema: Option<String>,
    pub country: Option<String>,
    pub imo: Option<String>,
    pub passport: Option<String>,
    /// `match`, `review` or `no_match`.
    pub decision: String,
    pub hits: Vec<ScreenedHit>,
}

/// One hit of a [`Screened`] row.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ScreenedHit {
    pub id: String,
    /// `un` or `ofac`.
    pub source: String,
    pub name: String,
    pub score: f64,
}

impl Screened {
    fn of(row: usize, input_id: Option<&str>, q: &Query, s: &Screening) -> Screened {
        Screened {
            row,
            input_id: input_id.map(str::to_string),
            name: q.name.clone(),
            schema: q.schema.map(|s| s.as_str().to_string()),
            country: q.country.clone(),
            imo: q.imo.clone(),
            passport: q.passport.clone(),
            decision: s.decision.as_str().to_string(),
            hits: s
                .hits
                .iter()
                .map(|h| ScreenedHit {
                    id: h.id.clone(),
                    source: h.source.as_str().to_string(),
                    name: h.name.clone(),
                    score: h.score,
                })
                .collect(),
        }
    }
}

/// What the caller keeps of each screened row. `record` runs on the worker threads;
/// `commit` gets a block's records, in input order, before the block is written, and a
/// failed commit stops the run with nothing of that block written.
pub trait Ledger: Sync {
    type Record: Send;
    fn record(&self, row: Screened) -> Self::Record;
    fn commit(&self, records: Vec<Self::Record>) -> Result<(), String>;
}

/// A ledger that keeps nothing.
pub struct NoLedger;

impl Ledger for NoLedger {
    type Record = ();
    fn record(&self, _: Screened) {}
    fn commit(&self, _: Vec<()>) -> Result<(), String> {
        Ok(())
    }
}

/// A ledger that keeps every row as it is, for a caller that commits elsewhere (a
/// cluster's executor hands them to the client).
pub(crate) struct KeepRows;

impl Ledger for KeepRows {
    type Record = Screened;
    fn record(&self, row: Screened) -> Screened {
        row
    }
    fn commit(&self, _: Vec<Screened>) -> Result<(), String> {
        Ok(())
    }
}

/// Rows by decision, and each bad row's message.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct ScreenCounts {
    pub rows: usize,
    #[serde(rename = "match")]
    pub matched: usize,
    pub review: usize,
    pub no_match: usize,
    /// Every bad row's message (`line N: field F: …`); each is also an error line.
    pub bad: Vec<String>,
}

impl ScreenCounts {
    pub(crate) fn absorb(&mut self, other: ScreenCounts) {
        self.rows += other.rows;
        self.matched += other.matched;
        self.review += other.review;
        self.no_match += other.no_match;
        self.bad.extend(other.bad);
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ScreenSummary {
    #[serde(flatten)]
    pub counts: ScreenCounts,
    pub delivered: Delivered,
}

#[derive(Debug, thiserror::Error)]
pub enum ScreenBatchError {
    #[error("cannot read {file}: {source}")]
    Open {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{file}: line 1: cannot read the header: {source}")]
    Header {
        file: String,
        #[source]
        source: csv::Error,
    },
    #[error(
        "{file}: line 1: field name: column missing (columns: name, schema, dob, country, imo, id)"
    )]
    NoNameColumn { file: String },
    /// A read error (an endless line) ends the file.
    #[error("{file}: {source}")]
    Read {
        file: String,
        #[source]
        source: csv::Error,
    },
    /// The input cut into blocks of records (a plan's run): a record without an end.
    #[error("{file}: {source}")]
    Blocks {
        file: String,
        #[source]
        source: embargo_records::blocks::BlockError,
    },
    #[error("the audit of a block of rows failed: {0}")]
    Ledger(String),
    /// The plan that screened the blocks failed (on a cluster: a node, the network, the
    /// input not at the same path everywhere, other list versions on a node).
    #[error("{0}")]
    Engine(String),
    #[error("cannot encode a result line: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("cannot encode a block of results: {0}")]
    Arrow(#[source] ArrowError),
    #[error(transparent)]
    Sink(#[from] SinkError),
    #[error("a screening thread failed")]
    Worker,
}

// ---------------------------------------------------------------- reading

/// The rows of a names CSV, a block at a time.
pub struct NameRows<R: Read = LineBound<std::fs::File>> {
    file: String,
    rdr: csv::Reader<R>,
    columns: NameColumns,
    next_row: usize,
    /// Bytes of the file before its first row (the header and its line end).
    rows_start: u64,
    done: bool,
}

#[derive(Clone, Copy)]
struct NameColumns {
    name: usize,
    schema: Option<usize>,
    dob: Option<usize>,
    country: Option<usize>,
    imo: Option<usize>,
    id: Option<usize>,
}

impl NameRows {
    pub fn open(path: &Path) -> Result<NameRows, ScreenBatchError> {
        let file = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| ScreenBatchError::Open {
            file: file.clone(),
            source,
        })?;
        let mut rdr = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(LineBound::new(f, MAX_LINE_BYTES));
        let headers = rdr
            .headers()
            .map_err(|source| ScreenBatchError::Header {
                file: file.clone(),
                source,
            })?
            .clone();
        let col = |n: &str| {
            headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(n))
        };
        let Some(name) = col("name") else {
            return Err(ScreenBatchError::NoNameColumn { file });
        };
        let columns = NameColumns {
            name,
            schema: col("schema"),
            dob: col("dob"),
            country: col("country"),
            imo: col("imo"),
            id: col("id"),
        };
        let rows_start = rdr.position().byte();
        Ok(NameRows {
            file,
            rdr,
            columns,
            next_row: 1,
            rows_start,
            done: false,
        })
    }

    /// Bytes of the file before its first row.
    pub(crate) fn rows_start(&self) -> u64 {
        self.rows_start
    }

    /// The rows of `input`, a run of whole records of this file whose first is row
    /// `first_row`, read with this file's columns and bounds.
    pub(crate) fn part<S: Read>(&self, input: S, first_row: usize) -> NameRows<LineBound<S>> {
        NameRows {
            file: self.file.clone(),
            rdr: csv::ReaderBuilder::new()
                .flexible(true)
                .has_headers(false)
                .from_reader(LineBound::new(input, MAX_LINE_BYTES)),
            columns: self.columns,
            next_row: first_row,
            rows_start: 0,
            done: false,
        }
    }
}

impl<R: Read> NameRows<R> {
    /// Up to `n` more rows; empty at the end of the file.
    pub fn next_block(&mut self, n: usize) -> Result<Vec<NameRow>, ScreenBatchError> {
        let mut rows = Vec::with_capacity(n.min(BLOCK_ROWS));
        let mut rec = csv::StringRecord::new();
        while rows.len() < n && !self.done {
            let row = self.next_row;
            let line = row + 1;
            match self.rdr.read_record(&mut rec) {
                Ok(false) => self.done = true,
                Ok(true) => {
                    rows.push(self.row(row, line, &rec));
                    self.next_row += 1;
                }
                // A read error (an endless line) ends the file; a record error is that row's.
                Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                    return Err(ScreenBatchError::Read {
                        file: self.file.clone(),
                        source: e,
                    })
                }
                Err(e) => {
                    rows.push(NameRow {
                        row,
                        id: None,
                        query: Err(format!("line {line}: {e}")),
                    });
                    self.next_row += 1;
                }
            }
        }
        Ok(rows)
    }

    fn row(&self, row: usize, line: usize, rec: &csv::StringRecord) -> NameRow {
        let c = self.columns;
        let get = |c: Option<usize>| {
            c.and_then(|c| rec.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let id = get(c.id).map(str::to_string);
        // No listed name has a line break; one inside the field means a quote left open
        // swallowed the rows after it, which must not be screened as one name.
        if get(Some(c.name)).is_some_and(|n| n.contains(['\n', '\r'])) {
            return NameRow {
                row,
                id,
                query: Err(format!(
                    "line {line}: field name: contains a line break (a quote left open swallows the rows after it)"
                )),
            };
        }
        let query = ScreenRequest {
            name: get(Some(c.name)),
            schema: get(c.schema),
            dob: get(c.dob),
            country: get(c.country),
            imo: get(c.imo),
            passport: None,
        }
        .to_query()
        .map_err(|e| format!("line {line}: field {}: {e}", e.field()));
        NameRow { row, id, query }
    }
}

// ---------------------------------------------------------------- encoding

/// One hit of a JSON line.
#[derive(serde::Serialize)]
struct LineMatch<'a> {
    id: &'a str,
    source: Source,
    name: &'a str,
    schema: embargo_screen::Schema,
    score: f64,
    decision: Decision,
    programs: &'a [String],
    // Absent fields are left out as in `embargo_screen::Hit`, so a batch line's matches
    // and the single query's carry the same fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    listed_on: Option<NaiveDate>,
    explanation: &'a Explanation,
    #[serde(skip_serializing_if = "Option::is_none")]
    imo: Option<&'a str>,
    #[serde(skip_serializing_if = "no_regime")]
    regime: &'a Option<RegimeContext>,
}

fn no_regime(r: &&Option<RegimeContext>) -> bool {
    r.is_none()
}

/// Scores are written to three decimals in every format.
fn rounded(score: f64) -> f64 {
    (score * 1000.0).round() / 1000.0
}

fn line_matches(s: &Screening) -> Vec<LineMatch<'_>> {
    s.hits
        .iter()
        .map(|h| LineMatch {
            id: &h.id,
            source: h.source,
            name: &h.name,
            schema: h.schema,
            score: rounded(h.score),
            decision: h.decision,
            programs: &h.programs,
            listed_on: h.listed_on,
            explanation: &h.explanation,
            imo: h.imo.as_deref(),
            regime: &h.regime,
        })
        .collect()
}

/// One JSON line, serialized straight from the screening (no intermediate JSON tree: at
/// a million rows the tree's allocations cost more than writing).
#[derive(serde::Serialize)]
#[serde(untagged)]
enum JsonLine<'a> {
    Screened {
        row: usize,
        input_id: &'a Option<String>,
        query: &'a str,
        decision: Decision,
        matches: Vec<LineMatch<'a>>,
    },
    Failed {
        row: usize,
        input_id: &'a Option<String>,
        error: &'a str,
    },
}

/// The CSV header of the output: the best hit of each row (the one that decides), how
/// many hits there were, or the row's error. The JSON lines and Parquet carry every hit.
pub const CSV_HEADER: &str = "row,input_id,query,decision,hit_id,hit_name,source,score,hits,error";

/// The Parquet schema: the CSV's columns typed, and `matches`, every hit with its
/// explanation as the JSON lines write them.
pub fn schema() -> SchemaRef {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new("row", DataType::UInt64, false),
        text("input_id"),
        text("query"),
        Field::new("decision", DataType::Utf8, false),
        text("hit_id"),
        text("hit_name"),
        text("source"),
        Field::new("score", DataType::Float64, true),
        Field::new("hits", DataType::UInt32, true),
        text("error"),
        text("matches"),
    ]))
}

/// A worker's encoder for one block of results.
enum Encoder {
    Text { format: Format, out: Vec<u8> },
    Parquet(Box<ParquetColumns>),
}

#[derive(Default)]
struct ParquetColumns {
    row: UInt64Builder,
    input_id: StringBuilder,
    query: StringBuilder,
    decision: StringBuilder,
    hit_id: StringBuilder,
    hit_name: StringBuilder,
    source: StringBuilder,
    score: Float64Builder,
    hits: UInt32Builder,
    error: StringBuilder,
    matches: StringBuilder,
}

impl Encoder {
    fn new(format: Format) -> Encoder {
        match format {
            Format::Parquet => Encoder::Parquet(Box::default()),
            _ => Encoder::Text {
                format,
                out: Vec::new(),
            },
        }
    }

    fn row(
        &mut self,
        r: &NameRow,
        result: &Result<Screening, String>,
    ) -> Result<(), serde_json::Error> {
        match self {
            Encoder::Text {
                format: Format::Csv,
                out,
            } => {
                csv_row(out, r, result);
                Ok(())
            }
            Encoder::Text { out, .. } => {
                let line = match result {
                    Ok(s) => JsonLine::Screened {
                        row: r.row,
                        input_id: &r.id,
                        query: &s.query,
                        decision: s.decision,
                        matches: line_matches(s),
                    },
                    Err(e) => JsonLine::Failed {
                        row: r.row,
                        input_id: &r.id,
                        error: e,
                    },
                };
                serde_json::to_writer(&mut *out, &line)?;
                out.push(b'\n');
                Ok(())
            }
            Encoder::Parquet(c) => c.row(r, result),
        }
    }

    fn take(&mut self) -> Result<Encoded, ArrowError> {
        Ok(match self {
            Encoder::Text { out, .. } => Encoded::Text(std::mem::take(out)),
            Encoder::Parquet(c) => Encoded::Table(c.finish()?),
        })
    }
}

/// A CSV field, quoted when it needs it.
fn push_csv_field(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(csv_field(s).as_bytes());
}

fn csv_row(out: &mut Vec<u8>, r: &NameRow, result: &Result<Screening, String>) {
    let _ = write!(out, "{},", r.row);
    push_csv_field(out, r.id.as_deref().unwrap_or(""));
    out.push(b',');
    match result {
        Ok(s) => {
            push_csv_field(out, &s.query);
            let _ = write!(out, ",{},", s.decision.as_str());
            match s.hits.first() {
                Some(h) => {
                    push_csv_field(out, &h.id);
                    out.push(b',');
                    push_csv_field(out, &h.name);
                    let _ = write!(out, ",{},{}", h.source.as_str(), rounded(h.score));
                }
                None => out.extend_from_slice(b",,,"),
            }
            let _ = writeln!(out, ",{},", s.hits.len());
        }
        Err(e) => {
            out.extend_from_slice(b",error,,,,,,");
            push_csv_field(out, e);
            out.push(b'\n');
        }
    }
}

impl ParquetColumns {
    fn row(
        &mut self,
        r: &NameRow,
        result: &Result<Screening, String>,
    ) -> Result<(), serde_json::Error> {
        self.row.append_value(r.row as u64);
        self.input_id.append_option(r.id.as_deref());
        match result {
            Ok(s) => {
                self.query.append_value(&s.query);
                self.decision.append_value(s.decision.as_str());
                let best = s.hits.first();
                self.hit_id.append_option(best.map(|h| h.id.as_str()));
                self.hit_name.append_option(best.map(|h| h.name.as_str()));
                self.source.append_option(best.map(|h| h.source.as_str()));
                self.score.append_option(best.map(|h| rounded(h.score)));
                self.hits.append_value(s.hits.len() as u32);
                self.error.append_null();
                self.matches
                    .append_value(serde_json::to_string(&line_matches(s))?);
            }
            Err(e) => {
                self.query.append_null();
                self.decision.append_value("error");
                self.hit_id.append_null();
                self.hit_name.append_null();
                self.source.append_null();
                self.score.append_null();
                self.hits.append_null();
                self.error.append_value(e);
                self.matches.append_null();
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.row.finish()),
            Arc::new(self.input_id.finish()),
            Arc::new(self.query.finish()),
            Arc::new(self.decision.finish()),
            Arc::new(self.hit_id.finish()),
            Arc::new(self.hit_name.finish()),
            Arc::new(self.source.finish()),
            Arc::new(self.score.finish()),
            Arc::new(self.hits.finish()),
            Arc::new(self.error.finish()),
            Arc::new(self.matches.finish()),
        ];
        RecordBatch::try_new(schema(), columns)
    }
}

// ---------------------------------------------------------------- the pipeline

/// One worker's share of a block: encoded, counted, and the ledger's records.
pub(crate) struct Part<R> {
    pub(crate) block: Encoded,
    pub(crate) counts: ScreenCounts,
    pub(crate) records: Vec<R>,
}

pub(crate) fn screen_part<L: Ledger>(
    batch: &ScreenBatch<'_>,
    ledger: &L,
    rows: &[NameRow],
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Part<L::Record>, ScreenBatchError> {
    let mut enc = Encoder::new(batch.format);
    let mut counts = ScreenCounts::default();
    let mut records = Vec::new();
    for r in rows {
        let result = match &r.query {
            Ok(q) => batch
                .matcher
                .screen(q, &batch.thresholds)
                .map(|mut s| {
                    regime_link::attach(&mut s, batch.matcher, batch.regime, batch.today);
                    s
                })
                .map_err(|e| format!("row {}: {e}", r.row)),
            Err(e) => Err(e.clone()),
        };
        counts.rows += 1;
        match (&result, &r.query) {
            (Ok(s), Ok(q)) => {
                match s.decision {
                    Decision::Match => counts.matched += 1,
                    Decision::Review => counts.review += 1,
                    Decision::NoMatch => counts.no_match += 1,
                }
                records.push(ledger.record(Screened::of(r.row, r.id.as_deref(), q, s)));
            }
            (Err(e), _) => counts.bad.push(e.clone()),
            (Ok(_), Err(_)) => {}
        }
        enc.row(r, &result)?;
        progress(1);
    }
    Ok(Part {
        block: enc.take().map_err(ScreenBatchError::Arrow)?,
        counts,
        records,
    })
}

/// Screen every row of `rows` and write the results to `target`. `progress` is told of
/// each row screened.
pub fn screen_rows<L: Ledger>(
    batch: &ScreenBatch<'_>,
    mut rows: NameRows,
    target: &Target,
    ledger: &L,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScreenSummary, ScreenBatchError> {
    let destination = target
        .open(batch.format.media_type())
        .map_err(SinkError::from)?;
    let mut sink: Box<dyn Sink> = sink::open(destination, batch.format, CSV_HEADER, schema())?;
    let threads = batch.threads.max(1);
    let mut total = ScreenCounts::default();
    loop {
        let block = rows.next_block(BLOCK_ROWS)?;
        if block.is_empty() {
            break;
        }
        let part_len = block.len().div_ceil(threads).max(1);
        let parts: Vec<Result<Part<L::Record>, ScreenBatchError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = block
                .chunks(part_len)
                .map(|rows| scope.spawn(move || screen_part(batch, ledger, rows, progress)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or(Err(ScreenBatchError::Worker)))
                .collect()
        });
        let parts = parts.into_iter().collect::<Result<Vec<_>, _>>()?;
        let mut records = Vec::new();
        let mut blocks = Vec::with_capacity(parts.len());
        for p in parts {
            records.extend(p.records);
            blocks.push(p.block);
            total.absorb(p.counts);
        }
        ledger.commit(records).map_err(ScreenBatchError::Ledger)?;
        for b in blocks {
            sink.write(b)?;
        }
    }
    let delivered = sink.finish()?;
    Ok(ScreenSummary {
        counts: total,
        delivered,
    })
}
