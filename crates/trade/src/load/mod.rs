//! Loaders: UN Comtrade bulk CSV (legacy and current column sets), Comtrade API JSON, CEPII
//! BACI CSV, and embargo's plain CSV (see docs/trade.md). Every loader goes through [`Row`] so that a bad
//! value is reported the same way everywhere: file, line (or JSON record) and field.

mod baci;
mod cells;
mod comtrade;
mod json;
mod parallel;
mod plain;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Location, TradeError};
use crate::record::TradeRecord;

pub use cells::{Cells, RowSink};
pub use parallel::stream_path_parallel;
pub use plain::{PLAIN_COLUMNS, PLAIN_REQUIRED};

/// The file formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// comtrade.un.org legacy bulk/CSV: `Reporter ISO`, `Trade Value (US$)`, ...
    ComtradeLegacyCsv,
    /// comtradeplus.un.org CSV: `reporterISO`, `primaryValue`, ...
    ComtradePlusCsv,
    /// Comtrade API JSON: `{"data": [ {reporterISO, primaryValue, ...} ]}`.
    ComtradeJson,
    /// embargo's own CSV (docs/trade.md).
    PlainCsv,
    /// CEPII BACI: `t,i,j,k,v,q` with numeric country codes (docs/trade.md).
    BaciCsv,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::ComtradeLegacyCsv => "comtrade-legacy-csv",
            Format::ComtradePlusCsv => "comtrade-plus-csv",
            Format::ComtradeJson => "comtrade-json",
            Format::PlainCsv => "plain-csv",
            Format::BaciCsv => "baci-csv",
        }
    }
}

/// What to do with malformed rows.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// How many malformed rows may be skipped (and reported) before the load fails.
    /// 0, the default, makes the first malformed row an error.
    pub max_bad_rows: usize,
    /// Overrides the `source` written on Comtrade and BACI rows (default: `UN Comtrade
    /// (<file>)`, `CEPII BACI HS17 V202401b (<file>)`).
    pub source: Option<String>,
    /// The BACI country file (`country_codes_V*.csv`) resolving numeric country codes.
    /// Default: the one next to the data file whose version matches, else the only one.
    pub baci_countries: Option<PathBuf>,
}

/// A row that was not loaded, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub at: Location,
    pub field: String,
    pub message: String,
}

/// The outcome of loading one file.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub file: String,
    pub format: Format,
    /// Data rows seen (header excluded).
    pub rows_read: u64,
    /// Rows loaded (in `records`, or handed to the sink when streaming).
    pub loaded: u64,
    #[serde(skip)]
    pub records: Vec<TradeRecord>,
    pub skipped: Vec<Skipped>,
}

/// Loads a file, detecting its format from its first bytes and header.
pub fn load_path(path: &Path, opts: &LoadOptions) -> Result<LoadReport, TradeError> {
    let file = std::fs::File::open(path).map_err(|e| TradeError::io(path, e))?;
    let name = path.display().to_string();
    load_reader(&name, std::io::BufReader::new(file), opts)
}

/// Loads from any reader; `name` is used in messages.
pub fn load_reader<R: Read + Send>(
    name: &str,
    reader: R,
    opts: &LoadOptions,
) -> Result<LoadReport, TradeError> {
    load_impl(name, reader, opts, None)
}

/// A consumer of loaded rows, called with chunks of at most the given size.
pub type Sink<'s> = (
    usize,
    &'s mut dyn FnMut(Vec<TradeRecord>) -> Result<(), TradeError>,
);

/// Loads a file in chunks of `chunk_rows`, handing each chunk to `sink` instead of
/// keeping all rows in memory (for files of millions of rows). The returned report has
/// no `records`; `loaded` counts them.
pub fn stream_path(
    path: &Path,
    opts: &LoadOptions,
    chunk_rows: usize,
    sink: &mut dyn FnMut(Vec<TradeRecord>) -> Result<(), TradeError>,
) -> Result<LoadReport, TradeError> {
    let file = std::fs::File::open(path).map_err(|e| TradeError::io(path, e))?;
    let name = path.display().to_string();
    load_impl(
        &name,
        std::io::BufReader::with_capacity(1 << 20, file),
        opts,
        Some((chunk_rows.max(1), sink)),
    )
}

/// Largest JSON trade file read (a Comtrade API answer of 250,000 rows is ~150 MB); the
/// reader sees the end of the input there and reports a truncated file.
pub const MAX_JSON_BYTES: u64 = 1 << 30;

/// JSON starts with `{` or `[` (after white space and a byte-order mark).
pub(crate) fn looks_like_json(head: &[u8]) -> bool {
    let first = head
        .iter()
        .copied()
        .find(|b| !(b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF));
    matches!(first, Some(b'{') | Some(b'['))
}

/// The first bytes of `reader` (64 KiB at most): enough to tell JSON from CSV; the
/// readers go on from there without reading them twice.
fn read_head<R: Read>(name: &str, reader: &mut R) -> Result<Vec<u8>, TradeError> {
    let mut head = vec![0u8; 64 << 10];
    let mut filled = 0;
    while filled < head.len() {
        match reader.read(&mut head[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(TradeError::io(name, e)),
        }
    }
    head.truncate(filled);
    Ok(head)
}

/// Reads a trade file from `reader`, JSON or CSV by its first bytes: CSV through the
/// block reader with `threads` workers, each block's rows into a sink made by `rows`;
/// `sink` receives what each block came to, in file order, with its row count.
#[allow(clippy::too_many_arguments)]
pub(crate) fn load_stream<R: Read + Send, S: RowSink>(
    name: &str,
    mut reader: R,
    opts: &LoadOptions,
    threads: usize,
    block_bytes: usize,
    rows: &(dyn Fn() -> S + Sync),
    sink: &mut dyn FnMut(S::Out, u64) -> Result<(), TradeError>,
) -> Result<LoadReport, TradeError> {
    let head = read_head(name, &mut reader)?;
    if looks_like_json(&head) {
        // A Comtrade API answer is one line: bounded in total instead.
        let body = std::io::Cursor::new(head)
            .chain(reader)
            .take(MAX_JSON_BYTES);
        let mut forward = |chunk: Vec<TradeRecord>| {
            let mut out = rows();
            for r in &chunk {
                out.push(&Cells::of(r))?;
            }
            sink(out.finish()?, chunk.len() as u64)
        };
        return json::load(name, body, opts, Some((1 << 16, &mut forward)));
    }
    parallel::csv_blocks(name, reader, head, opts, threads, block_bytes, rows, sink)
}

/// One thread: records kept in the report, or handed to `sink` in chunks of its size.
fn load_impl<R: Read + Send>(
    name: &str,
    reader: R,
    opts: &LoadOptions,
    mut sink: Option<Sink<'_>>,
) -> Result<LoadReport, TradeError> {
    let mut kept: Vec<TradeRecord> = Vec::new();
    let mut report = load_stream(
        name,
        reader,
        opts,
        1,
        embargo_records::blocks::BLOCK_BYTES,
        &Vec::new,
        &mut |mut records: Vec<TradeRecord>, _| match sink.as_mut() {
            Some((chunk, f)) => {
                while records.len() > *chunk {
                    let rest = records.split_off(*chunk);
                    f(std::mem::replace(&mut records, rest))?;
                }
                f(records)
            }
            None => {
                kept.extend(records);
                Ok(())
            }
        },
    )?;
    report.records = kept;
    Ok(report)
}

/// A short-key hasher (FNV-1a) for the maps a loader reads for every field of every row
/// (column names, BACI country codes): keys are a few bytes and come from the file's own
/// header or country table, so the standard hasher's protection against chosen keys buys
/// nothing here and cost about 7% of a BACI import (`perf`, 5M rows).
#[derive(Default, Clone, Copy)]
pub(crate) struct FieldHasher(u64);

impl std::hash::Hasher for FieldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A map read per field of every row.
pub(crate) type FieldMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FieldHasher>>;

/// What a CSV header says: the format, where each column is, how rows map to records.
pub(crate) struct CsvLayout {
    pub(crate) format: Format,
    pub(crate) cols: FieldMap<String, usize>,
    pub(crate) mapper: RowMapper,
    pub(crate) ctx: Ctx,
}

/// Reads a CSV header: the format it names, and the columns that format needs.
pub(crate) fn csv_layout(
    name: &str,
    headers: &csv::StringRecord,
    opts: &LoadOptions,
) -> Result<CsvLayout, TradeError> {
    let cols: FieldMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim().trim_start_matches('\u{feff}').to_string(), i))
        .collect();
    let format = if cols.contains_key("primaryValue") {
        Format::ComtradePlusCsv
    } else if cols.contains_key("Trade Value (US$)") {
        Format::ComtradeLegacyCsv
    } else if cols.contains_key("value_usd") {
        Format::PlainCsv
    } else if ["t", "k", "v"].iter().all(|c| cols.contains_key(*c)) {
        Format::BaciCsv
    } else {
        return Err(TradeError::Format {
            file: name.to_string(),
            message:
                "unknown CSV: expected a Comtrade header (`Trade Value (US$)` or `primaryValue`), \
                      a CEPII BACI header (`t,i,j,k,v,q`) or embargo's plain header \
                      (`value_usd`, see docs/trade.md)"
                    .into(),
        });
    };
    let mapper: RowMapper = match format {
        Format::ComtradePlusCsv => comtrade::plus_row,
        Format::ComtradeLegacyCsv => comtrade::legacy_row,
        Format::BaciCsv => baci::row,
        _ => plain::row,
    };
    let required: &[&str] = match format {
        Format::ComtradePlusCsv => comtrade::PLUS_REQUIRED,
        Format::ComtradeLegacyCsv => comtrade::LEGACY_REQUIRED,
        Format::BaciCsv => baci::REQUIRED,
        _ => PLAIN_REQUIRED,
    };
    if let Some(missing) = required.iter().find(|c| !cols.contains_key(**c)) {
        return Err(TradeError::Format {
            file: name.to_string(),
            message: format!("{}: missing column `{missing}`", format.as_str()),
        });
    }
    let ctx = match format {
        Format::BaciCsv => baci::ctx(name, opts)?.with_columns(&cols),
        _ => Ctx::new(name, opts),
    };
    Ok(CsvLayout {
        format,
        cols,
        mapper,
        ctx,
    })
}

fn csv_headers<R: Read>(
    name: &str,
    rdr: &mut csv::Reader<R>,
) -> Result<csv::StringRecord, TradeError> {
    rdr.headers().cloned().map_err(|e| TradeError::Format {
        file: name.to_string(),
        message: format!("cannot read the header: {e}"),
    })
}

/// Shared per-file settings the row mappers need.
pub(crate) struct Ctx {
    pub(crate) source: String,
    /// BACI's country table and HS edition (BACI files only).
    pub(crate) baci: Option<baci::Baci>,
}

impl Ctx {
    /// The positions of the columns a BACI mapper reads, from the file's header.
    fn with_columns(mut self, cols: &FieldMap<String, usize>) -> Ctx {
        if let Some(b) = self.baci.as_mut() {
            b.columns = baci::Columns::in_header(cols);
        }
        self
    }

    fn new(name: &str, opts: &LoadOptions) -> Ctx {
        let short = Path::new(name)
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| name.to_string());
        Ctx {
            source: opts
                .source
                .clone()
                .unwrap_or_else(|| format!("UN Comtrade ({short})")),
            baci: None,
        }
    }
}

/// Collects records and malformed rows, failing once the allowance is spent.
pub(crate) struct Accumulator<'s> {
    report: LoadReport,
    limit: usize,
    sink: Option<Sink<'s>>,
}

impl<'s> Accumulator<'s> {
    fn new(
        name: &str,
        format: Format,
        opts: &LoadOptions,
        sink: Option<Sink<'s>>,
    ) -> Accumulator<'s> {
        Accumulator {
            report: LoadReport {
                file: name.to_string(),
                format,
                rows_read: 0,
                loaded: 0,
                records: Vec::new(),
                skipped: Vec::new(),
            },
            limit: opts.max_bad_rows,
            sink,
        }
    }

    fn push(
        &mut self,
        at: Location,
        outcome: Result<TradeRecord, (String, String)>,
    ) -> Result<(), TradeError> {
        self.report.rows_read += 1;
        match outcome {
            Ok(r) => {
                self.report.records.push(r);
                self.report.loaded += 1;
                if let Some((chunk, f)) = self.sink.as_mut() {
                    if self.report.records.len() >= *chunk {
                        f(std::mem::take(&mut self.report.records))?;
                    }
                }
            }
            Err((field, message)) => self.bad(at, field, message)?,
        }
        Ok(())
    }

    /// A malformed row: skipped and reported while the allowance lasts, else the error.
    fn bad(&mut self, at: Location, field: String, message: String) -> Result<(), TradeError> {
        if self.limit == 0 {
            return Err(TradeError::Field {
                file: self.report.file.clone(),
                at,
                field,
                message,
            });
        }
        self.report.skipped.push(Skipped { at, field, message });
        if self.report.skipped.len() > self.limit {
            let first = &self.report.skipped[0];
            return Err(TradeError::TooManyBadRows {
                file: self.report.file.clone(),
                skipped: self.report.skipped.len(),
                limit: self.limit,
                first_at: first.at,
                first_field: first.field.clone(),
                first_message: first.message.clone(),
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<LoadReport, TradeError> {
        if let Some((_, f)) = self.sink.as_mut() {
            if !self.report.records.is_empty() {
                f(std::mem::take(&mut self.report.records))?;
            }
        }
        Ok(self.report)
    }
}

/// A row from CSV or JSON, looked up by column name.
pub(crate) enum Row<'a> {
    Json(&'a HashMap<String, String>),
    /// Fields split by the parallel reader (UTF-8 checked once per record).
    Fields {
        fields: &'a [&'a str],
        cols: &'a FieldMap<String, usize>,
    },
}

type FieldErr = (String, String);

/// A column a row mapper reads, with its position in the file's CSV rows once the
/// header is read (`None`: look it up by name), so that a row's fields are read without
/// hashing the column's name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) at: Option<usize>,
}

impl Column {
    pub(crate) fn named(name: &'static str) -> Column {
        Column { name, at: None }
    }

    /// The column at its place in a header.
    pub(crate) fn in_header(name: &'static str, cols: &FieldMap<String, usize>) -> Column {
        Column {
            name,
            at: cols.get(name).copied(),
        }
    }
}

/// Turns one row into its cells, or names the bad field and why.
type RowMapper = for<'a> fn(&Row<'a>, &'a Ctx) -> Result<Cells<'a>, FieldErr>;

/// `str::trim`, without its scan character by character for the usual cell, which starts
/// and ends with a printable ASCII byte (never white space).
fn trim(v: &str) -> &str {
    match (v.as_bytes().first(), v.as_bytes().last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => v,
        _ => v.trim(),
    }
}

impl<'a> Row<'a> {
    /// The trimmed value, `None` when the column is absent or the cell is empty.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.cell(name, None)
    }

    /// [`Row::get`] of a column whose position in a CSV row is known: no name lookup.
    pub(crate) fn at(&self, col: Column) -> Option<&'a str> {
        self.cell(col.name, col.at)
    }

    /// Column `name` (at position `at` of a CSV row when known), trimmed; `None` when
    /// absent or empty.
    fn cell(&self, name: &str, at: Option<usize>) -> Option<&'a str> {
        let v = match self {
            Row::Json(map) => map.get(name).map(String::as_str),
            Row::Fields { fields, cols } => at
                .or_else(|| cols.get(name).copied())
                .and_then(|i| fields.get(i))
                .copied(),
        }?;
        let v = trim(v);
        (!v.is_empty()).then_some(v)
    }

    pub(crate) fn req_at(&self, col: Column) -> Result<&'a str, FieldErr> {
        self.at(col)
            .ok_or_else(|| (col.name.to_string(), "missing value".to_string()))
    }

    pub(crate) fn req(&self, name: &str) -> Result<&'a str, FieldErr> {
        self.get(name)
            .ok_or_else(|| (name.to_string(), "missing value".to_string()))
    }

    pub(crate) fn num(&self, name: &str) -> Result<Option<f64>, FieldErr> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => parse_number(v).map(Some).ok_or_else(|| {
                let why = match v.replace([',', '_'], "").parse::<f64>() {
                    Ok(n) if n < 0.0 => "is negative (trade values and weights cannot be)",
                    Ok(_) => "is not a finite number",
                    Err(_) => "is not a number",
                };
                (name.to_string(), format!("`{v}` {why}"))
            }),
        }
    }

    pub(crate) fn req_num(&self, name: &str) -> Result<f64, FieldErr> {
        self.num(name)?
            .ok_or_else(|| (name.to_string(), "missing value".to_string()))
    }
}

/// Numbers as they appear in trade files: `1234.5`, `1,234.5`, `1.2e9`. Negative or
/// non-finite values are refused (trade values and weights cannot be negative).
fn parse_number(v: &str) -> Option<f64> {
    // Most cells have no separators: parse them without a copy.
    let n: f64 = if v.contains([',', '_']) {
        let cleaned: String = v.chars().filter(|c| *c != ',' && *c != '_').collect();
        cleaned.parse().ok()?
    } else {
        v.parse().ok()?
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cell trim is `str::trim`, whatever the ends (ASCII, other white space,
        /// non-ASCII text).
        #[test]
        fn cells_trim_as_str_trim(v in "[ \t\u{a0}\u{3000}a-z0-9가\r,.]{0,8}") {
            prop_assert_eq!(trim(&v), v.trim());
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("1,234.5"), Some(1234.5));
        assert_eq!(parse_number("4.0087e8"), Some(400_870_000.0));
        assert_eq!(parse_number("-3"), None);
        assert_eq!(parse_number("NaN"), None);
        assert_eq!(parse_number("12a"), None);
    }

    #[test]
    fn an_endless_line_fails_at_the_bound() {
        let zeros = std::io::repeat(0).take(64 << 20);
        let err = load_reader("zero.csv", zeros, &LoadOptions::default())
            .expect_err("no line end in 64 MiB");
        assert!(err.to_string().contains("1048576-byte limit"), "{err}");
        let mut text = String::from("typeCode,freqCode,refYear,refMonth,period,reporterISO,reporterDesc,flowCode,partnerISO,classificationCode,cmdCode,qtyUnitAbbr,qty,netWgt,primaryValue\n");
        text.push_str("C,A,2016,52,2016,CHN,China,M,PRK,H4,270112,kg,4,4,400\n");
        text.push_str(&"9".repeat(2 << 20));
        let opts = LoadOptions {
            max_bad_rows: 1000,
            ..LoadOptions::default()
        };
        let err = load_reader("long.csv", text.as_bytes(), &opts)
            .expect_err("an endless row is not a skippable bad row");
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn a_negative_value_is_called_negative() {
        let csv = "reporter,partner,flow,year,hs,value_usd,source,series,status\n\
                   CN,KP,import,2017,2701,-100,test,GAC,confirmed\n";
        let err = load_reader("neg.csv", csv.as_bytes(), &LoadOptions::default())
            .map(|l| format!("{:?}", l.skipped))
            .unwrap_or_else(|e| e.to_string());
        assert!(err.contains("`-100` is negative"), "{err}");
        assert!(!err.contains("is not a number"), "{err}");
    }

    proptest! {
        #[test]
        fn loader_never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = load_reader("garbage", bytes.as_slice(), &LoadOptions::default());
        }

        #[test]
        fn loader_never_panics_on_plain_rows(cells in proptest::collection::vec("[A-Za-z0-9.,;-]{0,8}", 8)) {
            let csv = format!("reporter,partner,flow,year,hs,value_usd,source,series\n{}\n", cells.join(","));
            let _ = load_reader("rows", csv.as_bytes(), &LoadOptions { max_bad_rows: 5, ..Default::default() });
        }
    }
}
