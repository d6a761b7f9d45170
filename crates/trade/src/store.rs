//! The Parquet store and its query layer (Apache DataFusion).
//!
//! Imports are written as one Parquet file per imported file under `<data dir>/trade/`,
//! atomically (temp file in the same directory, then rename). Queries run as SQL over a
//! table `trade` that is either the store (when it holds files) or the bundled rows, so
//! the same plans run on both, in this process or on a Ballista cluster
//! ([`TradeStore::with_engine`], crate embargo-cluster).
//!
//! Layout: every row carries `dprk` (the reporter or the partner is the DPRK), and the
//! writer puts those rows in row groups of their own. The analyses read only DPRK trade,
//! so their filter on `dprk` lets the engine skip every other row group from its
//! statistics without decoding it: a BACI dump, where the DPRK is a sliver of the rows,
//! costs the analyses little more than the DPRK's rows themselves.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, DictionaryArray, Float64Array, Float64Builder,
    Int32Array, Int32Builder, StringArray, StringBuilder,
};
use datafusion::arrow::compute::kernels::boolean::not;
use datafusion::arrow::compute::{cast, concat_batches, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::ScalarUDF;
use datafusion::parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowRowGroupWriterFactory,
};
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::file::properties::{WriterProperties, WriterPropertiesPtr};
use datafusion::parquet::file::writer::SerializedFileWriter;
use datafusion::parquet::schema::types::{ColumnDescPtr, ColumnPath};
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};
use serde::Serialize;

use crate::country::DPRK;
use crate::error::TradeError;
use crate::hs::HsField;
use crate::record::{Flow, Level, Period, Status, TradeRecord};

/// Rows per Arrow batch when writing.
const BATCH_ROWS: usize = 65_536;

/// The Arrow schema of a trade row; column names match the plain CSV.
pub fn schema() -> SchemaRef {
    let s = |n: &str, null: bool| Field::new(n, text_type(), null);
    Arc::new(Schema::new(vec![
        s("reporter", false),
        s("partner", false),
        s("flow", false),
        Field::new("year", DataType::Int32, false),
        Field::new("month", DataType::Int32, true),
        s("hs", false),
        s("hs_revision", true),
        s("level", false),
        s("category", true),
        Field::new("value_usd", DataType::Float64, false),
        Field::new("quantity", DataType::Float64, true),
        s("quantity_unit", true),
        Field::new("net_weight_kg", DataType::Float64, true),
        s("source", false),
        s("series", false),
        s("status", false),
        Field::new("note", DataType::Utf8, true),
        // Nullable: files written before the column existed read it as null.
        Field::new(DPRK_COLUMN, DataType::Boolean, true),
    ]))
}

/// How the store's files are written: Parquet's defaults, but for the measured columns
/// (values, quantities, weights), which are written plain. Nearly each of their values is
/// distinct, so a dictionary would cost the writer a hash per cell, only to be given up
/// once it reaches its size limit.
fn writer_properties() -> WriterProperties {
    ["value_usd", "quantity", "net_weight_kg"]
        .into_iter()
        .fold(WriterProperties::builder(), |b, c| {
            b.set_column_dictionary_enabled(ColumnPath::from(c), false)
        })
        .build()
}

/// The type of the store's coded text columns (countries, HS fields, flows, series, …):
/// dictionary-encoded in the files and read back as dictionaries, so the engine filters
/// and groups them through a few thousand values instead of every row's text. Free text
/// (`note`) stays plain.
pub fn text_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The column that says whether a row involves the DPRK on either side.
pub const DPRK_COLUMN: &str = "dprk";

/// Rows of DPRK trade held back before they are written as row groups of their own.
const DPRK_GROUP_ROWS: usize = 1 << 20;

/// A text of at most 16 bytes as two machine words and its length: two texts of the
/// same length are equal exactly when their words are (the words are the first and the
/// last bytes, overlapping for short texts). Comparing and hashing it needs no call to
/// `memcmp`, which was the import's largest cost when every cell was compared as text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortText(u64, u64, u8);

impl ShortText {
    fn of(v: &[u8]) -> Option<ShortText> {
        let n = v.len();
        let word8 = |b: &[u8]| b.try_into().ok().map(u64::from_le_bytes);
        let word4 = |b: &[u8]| b.try_into().ok().map(|w| u64::from(u32::from_le_bytes(w)));
        let (a, b) = match n {
            0 => (0, 0),
            1..=3 => (
                u64::from(v[0]) | u64::from(v[n / 2]) << 8 | u64::from(v[n - 1]) << 16,
                0,
            ),
            4..=7 => (word4(v.get(..4)?)?, word4(v.get(n - 4..)?)?),
            8..=16 => (word8(v.get(..8)?)?, word8(v.get(n - 8..)?)?),
            _ => return None,
        };
        Some(ShortText(a, b, n as u8))
    }
}

/// A code (a text of at most 3 bytes, or of 4 to 7 ASCII digits) as 28 bits, exactly one
/// text to each: the bytes and the length of a short text, or the number and the number of
/// digits of a longer one, and which of the two it is in the lowest bit. Country codes,
/// HS codes and levels are codes; a table of them holds a code and its key in one word.
fn code_form(v: &[u8]) -> Option<u32> {
    let n = v.len();
    if n <= 3 {
        let bytes = v.iter().fold(0u32, |b, x| b << 8 | u32::from(*x));
        return Some((bytes << 2 | n as u32) << 1);
    }
    if n <= 7 && v.iter().all(u8::is_ascii_digit) {
        let number = v.iter().fold(0u32, |b, x| b * 10 + u32::from(x - b'0'));
        return Some(((number << 3 | n as u32) << 1) | 1);
    }
    None
}

/// The keys of texts by a fixed-size form of them, with the last one looked up
/// remembered: a run of one value costs a comparison instead of a hash.
struct KeyTable<K> {
    keys: HashMap<K, i32, ahash::RandomState>,
    last: Option<(K, i32)>,
}

impl<K: Copy + Eq + std::hash::Hash> KeyTable<K> {
    fn new() -> KeyTable<K> {
        KeyTable {
            keys: HashMap::with_hasher(ahash::RandomState::new()),
            last: None,
        }
    }

    /// The key of text `t`; `add` gives the key of a text seen for the first time.
    fn key(
        &mut self,
        t: K,
        add: impl FnOnce() -> Result<i32, TradeError>,
    ) -> Result<i32, TradeError> {
        if let Some((last, key)) = self.last {
            if last == t {
                return Ok(key);
            }
        }
        let key = match self.keys.get(&t) {
            Some(k) => *k,
            None => {
                let k = add()?;
                self.keys.insert(t, k);
                k
            }
        };
        self.last = Some((t, key));
        Ok(key)
    }
}

/// The keys of codes by their [`code_form`], laid out for the cache: a slot is one word,
/// the code in its high half and its key in the low, so a lookup reads one place in a table
/// of 8-byte slots (the 30,000 HS codes a block may hold take half a megabyte; a general
/// map took a megabyte, more than a core's cache, and every row's lookup missed it). A run
/// of one value costs a comparison.
struct CodeTable {
    /// Open addressing, linear probing, at most half full: [`CodeTable::EMPTY`] or a slot.
    slots: Vec<u64>,
    len: usize,
    last: Option<(u32, i32)>,
}

impl CodeTable {
    /// Never a slot: a code has at most 28 bits.
    const EMPTY: u64 = u64::MAX;

    fn new() -> CodeTable {
        CodeTable {
            slots: Vec::new(),
            len: 0,
            last: None,
        }
    }

    /// The slot where a probe for `code` starts: the code's bits spread by a multiply, the
    /// top ones taken.
    fn home(&self, code: u32) -> usize {
        let bits = self.slots.len().trailing_zeros();
        (u64::from(code).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
    }

    /// The key of `code`; `add` gives the key of a code seen for the first time.
    fn key(
        &mut self,
        code: u32,
        add: impl FnOnce() -> Result<i32, TradeError>,
    ) -> Result<i32, TradeError> {
        if let Some((last, key)) = self.last {
            if last == code {
                return Ok(key);
            }
        }
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let mask = self.slots.len() - 1;
        let mut at = self.home(code);
        let key = loop {
            let slot = self.slots[at];
            if slot == Self::EMPTY {
                let key = add()?;
                let k = u32::try_from(key)
                    .map_err(|_| TradeError::Query("internal: a negative dictionary key".into()))?;
                self.slots[at] = u64::from(code) << 32 | u64::from(k);
                self.len += 1;
                break key;
            }
            if (slot >> 32) as u32 == code {
                break slot as u32 as i32;
            }
            at = (at + 1) & mask;
        };
        self.last = Some((code, key));
        Ok(key)
    }

    /// Doubles the table (1,024 slots at first) and puts every slot back.
    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Self::EMPTY; size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| *s != Self::EMPTY) {
            let mut at = self.home((slot >> 32) as u32);
            while self.slots[at] != Self::EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = slot;
        }
    }
}

/// The distinct values of a coded text column, in key order.
struct Values {
    text: StringBuilder,
    distinct: usize,
}

impl Values {
    /// The key of a value seen for the first time.
    fn add(&mut self, v: &str) -> Result<i32, TradeError> {
        let k = i32::try_from(self.distinct)
            .map_err(|_| TradeError::Query("more distinct values than a column holds".into()))?;
        self.text.append_value(v);
        self.distinct += 1;
        Ok(k)
    }
}

/// Builds one coded text column as a dictionary. It remembers the value it appended
/// last, so that a run of one value (a file's source, series, status, flow: nearly every
/// row of an import) costs a comparison instead of a hash. Codes (countries, HS codes,
/// levels) are keyed by their [`code_form`] in a table sized for the cache; other texts of
/// up to 16 bytes as [`ShortText`].
struct CodedTextBuilder {
    keys: Int32Builder,
    values: Values,
    codes: CodeTable,
    short: KeyTable<ShortText>,
    long: HashMap<String, i32, ahash::RandomState>,
    last_long: Option<(String, i32)>,
}

impl CodedTextBuilder {
    fn new(rows: usize) -> CodedTextBuilder {
        CodedTextBuilder {
            keys: Int32Builder::with_capacity(rows),
            values: Values {
                text: StringBuilder::new(),
                distinct: 0,
            },
            codes: CodeTable::new(),
            short: KeyTable::new(),
            long: HashMap::with_hasher(ahash::RandomState::new()),
            last_long: None,
        }
    }

    fn append(&mut self, v: Option<&str>) -> Result<(), TradeError> {
        let Some(v) = v else {
            self.keys.append_null();
            return Ok(());
        };
        let values = &mut self.values;
        let key = if let Some(c) = code_form(v.as_bytes()) {
            self.codes.key(c, || values.add(v))?
        } else if let Some(t) = ShortText::of(v.as_bytes()) {
            self.short.key(t, || values.add(v))?
        } else {
            match &mut self.last_long {
                Some((last, key)) if last == v => *key,
                _ => {
                    let key = match self.long.get(v) {
                        Some(k) => *k,
                        None => {
                            let k = values.add(v)?;
                            self.long.insert(v.to_string(), k);
                            k
                        }
                    };
                    match &mut self.last_long {
                        Some((last, k)) => {
                            last.clear();
                            last.push_str(v);
                            *k = key;
                        }
                        None => self.last_long = Some((v.to_string(), key)),
                    }
                    key
                }
            }
        };
        self.keys.append_value(key);
        Ok(())
    }

    fn finish(mut self) -> Result<DictionaryArray<Int32Type>, TradeError> {
        Ok(DictionaryArray::try_new(
            self.keys.finish(),
            Arc::new(self.values.text.finish()),
        )?)
    }
}

/// The store's columns, built a row at a time: what an import's workers fill from the
/// file's rows directly (no record in between), and what [`to_batch`] fills from records.
pub struct BatchBuilder {
    /// reporter, partner, flow, hs, hs_revision, level, category, quantity_unit, source,
    /// series, status.
    text: [CodedTextBuilder; 11],
    year: Int32Builder,
    month: Int32Builder,
    value: Float64Builder,
    qty: Float64Builder,
    wgt: Float64Builder,
    note: StringBuilder,
    dprk: BooleanBuilder,
}

impl BatchBuilder {
    /// Builders with room for about `rows` rows.
    pub fn new(rows: usize) -> BatchBuilder {
        BatchBuilder {
            text: std::array::from_fn(|_| CodedTextBuilder::new(rows)),
            year: Int32Builder::with_capacity(rows),
            month: Int32Builder::with_capacity(rows),
            value: Float64Builder::with_capacity(rows),
            qty: Float64Builder::with_capacity(rows),
            wgt: Float64Builder::with_capacity(rows),
            note: StringBuilder::with_capacity(rows, 0),
            dprk: BooleanBuilder::with_capacity(rows),
        }
    }

    /// Whether no row has been pushed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rows pushed so far.
    pub fn len(&self) -> usize {
        self.year.values_slice().len()
    }
}

impl crate::load::RowSink for BatchBuilder {
    type Out = RecordBatch;

    fn push(&mut self, r: &crate::load::Cells<'_>) -> Result<(), TradeError> {
        self.dprk.append_value(involves_dprk(r));
        let cells: [Option<&str>; 11] = [
            Some(&r.reporter),
            Some(&r.partner),
            Some(r.flow.as_str()),
            Some(&r.hs),
            r.hs_revision,
            Some(r.level.as_str()),
            r.category,
            r.quantity_unit,
            Some(r.source),
            Some(&r.series),
            Some(r.status.as_str()),
        ];
        for (b, c) in self.text.iter_mut().zip(cells) {
            b.append(c)?;
        }
        self.year.append_value(r.period.year);
        self.month.append_option(r.period.month.map(i32::from));
        self.value.append_value(r.value_usd);
        self.qty.append_option(r.quantity);
        self.wgt.append_option(r.net_weight_kg);
        self.note.append_option(r.note.as_deref());
        Ok(())
    }

    fn finish(mut self) -> Result<RecordBatch, TradeError> {
        let [rep, par, flow, hs, rev, lvl, cat, unit, src, ser, stat] = self.text;
        let coded =
            |b: CodedTextBuilder| -> Result<ArrayRef, TradeError> { Ok(Arc::new(b.finish()?)) };
        let columns: Vec<ArrayRef> = vec![
            coded(rep)?,
            coded(par)?,
            coded(flow)?,
            Arc::new(self.year.finish()),
            Arc::new(self.month.finish()),
            coded(hs)?,
            coded(rev)?,
            coded(lvl)?,
            coded(cat)?,
            Arc::new(self.value.finish()),
            Arc::new(self.qty.finish()),
            coded(unit)?,
            Arc::new(self.wgt.finish()),
            coded(src)?,
            coded(ser)?,
            coded(stat)?,
            Arc::new(self.note.finish()),
            Arc::new(self.dprk.finish()),
        ];
        Ok(RecordBatch::try_new(schema(), columns)?)
    }
}

/// Whether a row's reporter or partner is the DPRK (the store's `dprk` column).
fn involves_dprk(r: &crate::load::Cells<'_>) -> bool {
    r.reporter.as_bytes() == DPRK_CODE || r.partner.as_bytes() == DPRK_CODE
}

/// Converts records to one Arrow batch.
pub fn to_batch(records: &[TradeRecord]) -> Result<RecordBatch, TradeError> {
    use crate::load::RowSink;
    let mut b = BatchBuilder::new(records.len());
    for r in records {
        b.push(&crate::load::Cells::of(r))?;
    }
    b.finish()
}

/// Reads records back from batches with the [`schema`] layout.
pub fn from_batches(batches: &[RecordBatch]) -> Result<Vec<TradeRecord>, TradeError> {
    let bad = |m: String| TradeError::Query(m);
    let mut out = Vec::new();
    for b in batches {
        let col = |name: &str| -> Result<ArrayRef, TradeError> {
            let c = b
                .column_by_name(name)
                .ok_or_else(|| bad(format!("column `{name}` missing")))?;
            // Accept any string/number encoding the engine hands back.
            let want = schema()
                .field_with_name(name)
                .map(|f| f.data_type().clone())
                .map_err(|e| bad(e.to_string()))?;
            if c.data_type() == &want {
                Ok(c.clone())
            } else {
                Ok(cast(c, &want)?)
            }
        };
        let st = |name: &str| -> Result<StringArray, TradeError> {
            let c = col(name)?;
            let c = if c.data_type() == &DataType::Utf8 {
                c
            } else {
                cast(&c, &DataType::Utf8)?
            };
            c.as_any()
                .downcast_ref::<StringArray>()
                .cloned()
                .ok_or_else(|| bad(format!("column `{name}` is not text")))
        };
        let f64c = |name: &str| -> Result<Float64Array, TradeError> {
            col(name)?
                .as_any()
                .downcast_ref::<Float64Array>()
                .cloned()
                .ok_or_else(|| bad(format!("column `{name}` is not float")))
        };
        let i32c = |name: &str| -> Result<Int32Array, TradeError> {
            col(name)?
                .as_any()
                .downcast_ref::<Int32Array>()
                .cloned()
                .ok_or_else(|| bad(format!("column `{name}` is not int")))
        };
        let (rep, par, flow, hs, rev, lvl, cat, unit, src, ser, stat, note) = (
            st("reporter")?,
            st("partner")?,
            st("flow")?,
            st("hs")?,
            st("hs_revision")?,
            st("level")?,
            st("category")?,
            st("quantity_unit")?,
            st("source")?,
            st("series")?,
            st("status")?,
            st("note")?,
        );
        let (year, month) = (i32c("year")?, i32c("month")?);
        let (val, qty, wgt) = (
            f64c("value_usd")?,
            f64c("quantity")?,
            f64c("net_weight_kg")?,
        );
        let opt_s = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
        let opt_f = |a: &Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
        for i in 0..b.num_rows() {
            let row_err = |what: &str| bad(format!("stored row {i}: bad {what}"));
            out.push(TradeRecord {
                reporter: rep.value(i).to_string(),
                partner: par.value(i).to_string(),
                flow: Flow::parse(flow.value(i)).ok_or_else(|| row_err("flow"))?,
                period: Period {
                    year: year.value(i),
                    month: (!month.is_null(i))
                        .then(|| u8::try_from(month.value(i)).ok())
                        .flatten(),
                },
                hs: HsField::parse(hs.value(i)).map_err(|_| row_err("hs"))?,
                hs_revision: opt_s(&rev, i),
                level: Level::parse(lvl.value(i)).ok_or_else(|| row_err("level"))?,
                category: opt_s(&cat, i),
                value_usd: val.value(i),
                quantity: opt_f(&qty, i),
                quantity_unit: opt_s(&unit, i),
                net_weight_kg: opt_f(&wgt, i),
                source: src.value(i).to_string(),
                series: ser.value(i).to_string(),
                status: Status::parse(stat.value(i)).ok_or_else(|| row_err("status"))?,
                note: opt_s(&note, i),
                rows: 1,
            });
        }
    }
    Ok(out)
}

/// Rows a row group written from records holds at least (other than the DPRK's own
/// groups; see [`IMPORT_BLOCK_BYTES`] for an import's).
const ROW_GROUP_ROWS: usize = 1 << 18;

/// How much of a CSV file an import worker parses at a time. Each block's rows (other than
/// the DPRK's) become one row group, encoded by the worker that parsed it: 16 MiB is some
/// 200,000 rows of Comtrade and 400,000 of BACI, row groups large enough that their
/// dictionaries and statistics cost little, small enough that two workers and the blocks
/// in flight stay within a few hundred MB.
const IMPORT_BLOCK_BYTES: usize = 16 << 20;

/// The DPRK's code as bytes, compared without a call to `memcmp`.
const DPRK_CODE: &[u8] = DPRK.as_bytes();

/// One column chunk of a row group, encoded (pages and statistics).
enum Chunk {
    /// Encoded by the Parquet writer.
    Arrow(ArrowColumnChunk),
    /// A coded text column encoded from its keys ([`crate::text_chunk`]).
    Text(crate::text_chunk::TextChunk),
}

/// One row group's columns, encoded, ready to be appended to a file.
struct EncodedGroup {
    chunks: Vec<Chunk>,
}

/// What encoding a row group needs of its file: the Parquet writer's column writers, and
/// the columns' descriptions and properties for the chunks encoded here.
struct GroupEncoder {
    writers: ArrowRowGroupWriterFactory,
    columns: Vec<ColumnDescPtr>,
    props: WriterPropertiesPtr,
}

/// Encodes `batch` (the store's schema) as one row group's column chunks. This is most of
/// the cost of writing Parquet, and it needs nothing of the file, so each import worker
/// encodes its own blocks and the file's writer only appends bytes. Coded text columns
/// are written from their dictionary keys where [`crate::text_chunk::encode`] can; the
/// Parquet writer encodes the rest.
fn encode(encoder: &GroupEncoder, batch: &RecordBatch) -> Result<EncodedGroup, TradeError> {
    let writers = encoder.writers.create_column_writers(0)?;
    if writers.len() != batch.num_columns() || encoder.columns.len() != batch.num_columns() {
        return Err(TradeError::Query(
            "internal: the batch's columns are not the file's".into(),
        ));
    }
    let mut chunks = Vec::with_capacity(writers.len());
    let fields = batch.schema().fields().clone();
    for (((field, array), mut writer), descr) in fields
        .iter()
        .zip(batch.columns())
        .zip(writers)
        .zip(&encoder.columns)
    {
        let keys = array.as_any().downcast_ref::<DictionaryArray<Int32Type>>();
        if let Some(keys) = keys {
            if let Some(chunk) = crate::text_chunk::encode(descr, &encoder.props, keys)? {
                chunks.push(Chunk::Text(chunk));
                continue;
            }
        }
        for leaf in compute_leaves(field, array)? {
            writer.write(&leaf)?;
        }
        chunks.push(Chunk::Arrow(writer.close()?));
    }
    Ok(EncodedGroup { chunks })
}

/// A batch split by the `dprk` column: the DPRK's rows and the others.
fn split_dprk(
    batch: &RecordBatch,
) -> Result<(Option<RecordBatch>, Option<RecordBatch>), TradeError> {
    let dprk = batch
        .column_by_name(DPRK_COLUMN)
        .and_then(|c| c.as_any().downcast_ref::<BooleanArray>())
        .ok_or_else(|| TradeError::Query(format!("internal: batch without `{DPRK_COLUMN}`")))?;
    let held = dprk.true_count();
    Ok(if held == 0 {
        (None, Some(batch.clone()))
    } else if held == batch.num_rows() {
        (Some(batch.clone()), None)
    } else {
        (
            Some(filter_record_batch(batch, dprk)?),
            Some(filter_record_batch(batch, &not(dprk)?)?),
        )
    })
}

/// What an import worker makes of one block: the block's rows other than the DPRK's,
/// encoded as a row group, and the DPRK's rows, for the writer to gather into groups of
/// their own.
struct EncodedBlock {
    others: Option<(EncodedGroup, usize)>,
    dprk: Option<RecordBatch>,
}

/// A [`RowSink`](crate::load::RowSink) that builds a block's batches, the DPRK's rows and
/// the others apart (so no batch is split afterwards), and encodes the others.
struct BlockEncoder {
    others: BatchBuilder,
    dprk: BatchBuilder,
    columns: Arc<GroupEncoder>,
    sizes: Arc<BlockSizes>,
}

/// The most rows of each kind a block of the file has held so far: the next block's
/// builders start with room for as many, instead of growing to it by doubling (a copy of
/// every column and fresh pages each time).
#[derive(Default)]
struct BlockSizes {
    others: std::sync::atomic::AtomicUsize,
    dprk: std::sync::atomic::AtomicUsize,
}

impl BlockEncoder {
    fn new(columns: &Arc<GroupEncoder>, sizes: &Arc<BlockSizes>) -> BlockEncoder {
        let room = |seen: &std::sync::atomic::AtomicUsize| {
            BatchBuilder::new(
                seen.load(std::sync::atomic::Ordering::Relaxed)
                    .max(BATCH_ROWS),
            )
        };
        BlockEncoder {
            others: room(&sizes.others),
            dprk: room(&sizes.dprk),
            columns: columns.clone(),
            sizes: sizes.clone(),
        }
    }
}

impl crate::load::RowSink for BlockEncoder {
    type Out = EncodedBlock;

    fn push(&mut self, row: &crate::load::Cells<'_>) -> Result<(), TradeError> {
        if involves_dprk(row) {
            self.dprk.push(row)
        } else {
            self.others.push(row)
        }
    }

    fn finish(self) -> Result<EncodedBlock, TradeError> {
        let relaxed = std::sync::atomic::Ordering::Relaxed;
        self.sizes.others.fetch_max(self.others.len(), relaxed);
        self.sizes.dprk.fetch_max(self.dprk.len(), relaxed);
        let batch = |rows: BatchBuilder| -> Result<Option<RecordBatch>, TradeError> {
            Ok(if rows.is_empty() {
                None
            } else {
                Some(rows.finish()?)
            })
        };
        let others = batch(self.others)?
            .map(|b| encode(&self.columns, &b).map(|group| (group, b.num_rows())))
            .transpose()?;
        Ok(EncodedBlock {
            others,
            dprk: batch(self.dprk)?,
        })
    }
}

/// Writes records to a Parquet file atomically: row groups go to a temp file in the
/// target directory, which is renamed into place by [`ParquetSink::commit`]. Dropping the
/// sink without committing removes the temp file.
///
/// Rows of DPRK trade are held back and written as row groups of their own (see the
/// module's "Layout"), so a row group's `dprk` statistics are all true or all false.
pub struct ParquetSink {
    tmp: PathBuf,
    target: PathBuf,
    file: Option<SerializedFileWriter<std::fs::File>>,
    columns: Arc<GroupEncoder>,
    /// Rows other than the DPRK's given by [`ParquetSink::write_batch`], not yet a group.
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    held: Vec<RecordBatch>,
    held_rows: usize,
    rows: u64,
    committed: bool,
}

impl ParquetSink {
    pub fn create(target: &Path) -> Result<ParquetSink, TradeError> {
        let dir = target.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| TradeError::io(dir, e))?;
        let file_name = target
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "trade.parquet".into());
        // The temp name does not end in `.parquet`, so queries never see half a file.
        let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
        let file = std::fs::File::create(&tmp).map_err(|e| TradeError::io(&tmp, e))?;
        let (file, writers) = ArrowWriter::try_new(file, schema(), Some(writer_properties()))?
            .into_serialized_writer()?;
        let descr = file.schema_descr();
        let columns = GroupEncoder {
            writers,
            columns: (0..descr.num_columns()).map(|i| descr.column(i)).collect(),
            props: file.properties().clone(),
        };
        Ok(ParquetSink {
            tmp,
            target: target.to_path_buf(),
            file: Some(file),
            columns: Arc::new(columns),
            pending: Vec::new(),
            pending_rows: 0,
            held: Vec::new(),
            held_rows: 0,
            rows: 0,
            committed: false,
        })
    }

    pub fn write(&mut self, records: &[TradeRecord]) -> Result<(), TradeError> {
        for chunk in records.chunks(BATCH_ROWS) {
            self.write_batch(&to_batch(chunk)?)?;
        }
        Ok(())
    }

    /// Writes one batch of the store's schema: its DPRK rows are held back for their own
    /// row groups, the others gathered into row groups of [`ROW_GROUP_ROWS`].
    pub fn write_batch(&mut self, batch: &RecordBatch) -> Result<(), TradeError> {
        self.rows += batch.num_rows() as u64;
        let (dprk, others) = split_dprk(batch)?;
        if let Some(b) = others {
            self.pending_rows += b.num_rows();
            self.pending.push(b);
            if self.pending_rows >= ROW_GROUP_ROWS {
                self.write_pending()?;
            }
        }
        if let Some(b) = dprk {
            self.hold(b)?;
        }
        Ok(())
    }

    /// Appends a block encoded by an import worker.
    fn write_block(&mut self, block: EncodedBlock) -> Result<(), TradeError> {
        if let Some((group, rows)) = block.others {
            self.rows += rows as u64;
            self.append(group)?;
        }
        if let Some(b) = block.dprk {
            self.rows += b.num_rows() as u64;
            self.hold(b)?;
        }
        Ok(())
    }

    /// Appends an encoded row group to the file.
    fn append(&mut self, group: EncodedGroup) -> Result<(), TradeError> {
        let Some(file) = self.file.as_mut() else {
            return Err(TradeError::Query(
                "internal: the Parquet file is closed".into(),
            ));
        };
        let mut row_group = file.next_row_group()?;
        for chunk in group.chunks {
            match chunk {
                Chunk::Arrow(chunk) => chunk.append_to_row_group(&mut row_group)?,
                Chunk::Text(chunk) => row_group.append_column(&chunk.bytes, chunk.close)?,
            }
        }
        row_group.close()?;
        Ok(())
    }

    /// Writes the gathered batches as one row group.
    fn write_group(&mut self, batches: Vec<RecordBatch>) -> Result<(), TradeError> {
        if batches.is_empty() {
            return Ok(());
        }
        let batch = concat_batches(&schema(), &batches)?;
        let group = encode(&self.columns, &batch)?;
        self.append(group)
    }

    fn write_pending(&mut self) -> Result<(), TradeError> {
        let batches = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        self.write_group(batches)
    }

    fn hold(&mut self, batch: RecordBatch) -> Result<(), TradeError> {
        self.held_rows += batch.num_rows();
        self.held.push(batch);
        if self.held_rows >= DPRK_GROUP_ROWS {
            self.write_held()?;
        }
        Ok(())
    }

    /// Writes the held DPRK rows as a row group of their own.
    fn write_held(&mut self) -> Result<(), TradeError> {
        let batches = std::mem::take(&mut self.held);
        self.held_rows = 0;
        self.write_group(batches)
    }

    /// Writes the file's footer; the file stays under its temporary name until
    /// [`ParquetSink::commit`].
    pub fn finish(&mut self) -> Result<(), TradeError> {
        self.write_pending()?;
        self.write_held()?;
        if let Some(f) = self.file.take() {
            f.close()?;
        }
        Ok(())
    }

    /// Finishes the file and moves it into place. Returns the number of rows written.
    pub fn commit(mut self) -> Result<u64, TradeError> {
        self.finish()?;
        std::fs::rename(&self.tmp, &self.target).map_err(|e| TradeError::io(&self.target, e))?;
        self.committed = true;
        Ok(self.rows)
    }
}

impl Drop for ParquetSink {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Parses `path` on worker threads (one per core), which also encode their blocks as row
/// groups; another thread appends them to the file. The sink comes back finished (footer
/// written) but not committed.
fn stream_into_sink(
    path: &Path,
    opts: &crate::load::LoadOptions,
    mut sink: ParquetSink,
    progress: &mut dyn FnMut(u64),
) -> Result<(crate::load::LoadReport, ParquetSink), TradeError> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Two blocks in flight at most: the parsers run ahead of the writer by one block.
    let (tx, rx) = std::sync::mpsc::sync_channel::<EncodedBlock>(2);
    let columns = sink.columns.clone();
    std::thread::scope(|scope| {
        let writer = scope.spawn(move || -> Result<ParquetSink, TradeError> {
            for block in rx {
                sink.write_block(block)?;
            }
            sink.finish()?;
            Ok(sink)
        });
        let mut written = 0u64;
        let sizes = Arc::new(BlockSizes::default());
        let rows = || BlockEncoder::new(&columns, &sizes);
        let parsed = crate::load::stream_path_parallel(
            path,
            opts,
            workers,
            IMPORT_BLOCK_BYTES,
            &rows,
            &mut |block, n| {
                written += n;
                // A closed channel means the writer failed; its error is returned below.
                if tx.send(block).is_err() {
                    return Err(TradeError::Query("the Parquet writer stopped".into()));
                }
                progress(written);
                Ok(())
            },
        );
        drop(tx);
        let written = writer
            .join()
            .map_err(|_| TradeError::Query("the Parquet writer thread panicked".into()))?;
        match (parsed, written) {
            (Ok(report), Ok(sink)) => Ok((report, sink)),
            // The writer's error is the cause when both failed.
            (_, Err(e)) => Err(e),
            (Err(e), Ok(_)) => Err(e),
        }
    })
}

/// Which rows a query read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dataset {
    /// Files imported with `embargo trade import`.
    Store,
    /// The published figures bundled with embargo (data/trade/*.csv).
    Bundled,
}

/// How query rows are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    Hs2,
    Hs4,
    Hs6,
    /// Category rows by their category name, HS rows by their code, totals as TOTAL.
    Category,
    /// One line per period.
    Total,
}

/// A query over trade rows. Countries are ISO alpha-2 (`CN`, `KP`).
#[derive(Debug, Clone)]
pub struct QuerySpec {
    pub reporter: Option<String>,
    pub partner: Option<String>,
    pub flow: Option<Flow>,
    pub from: Option<i32>,
    pub to: Option<i32>,
    pub by: Grouping,
    pub series: Option<String>,
}

impl QuerySpec {
    /// The DPRK's counterpart the query asks about: the partner when the DPRK is asked
    /// for as reporter, else the reporter (a partner's declarations are the mirror).
    pub fn dprk_counterpart(&self) -> Option<&str> {
        if self.reporter.as_deref() == Some(DPRK) {
            self.partner.as_deref()
        } else {
            self.reporter.as_deref()
        }
    }

    /// True when the query reads supplies to the DPRK (a partner's exports, or the
    /// DPRK's imports as reporter); false for the DPRK's exports, the default side.
    pub fn reads_supplies_to_dprk(&self) -> bool {
        let reporter_is_dprk = self.reporter.as_deref() == Some(DPRK);
        match self.flow {
            Some(Flow::Export | Flow::ReExport) => !reporter_is_dprk,
            Some(Flow::Import | Flow::ReImport) => reporter_is_dprk,
            None => false,
        }
    }

    /// Whether a DPRK-side row is one the query's per-measure view reads: its years, its
    /// series and its counterpart. The CLI and the server filter through this one rule, so
    /// the measures and the period totals they print come from the same rows.
    pub fn keeps_dprk_record(&self, r: &TradeRecord) -> bool {
        self.keeps(r.period.year, &r.series, r.dprk_counterpart())
    }

    /// [`QuerySpec::keeps_dprk_record`] for HS rows outside every measure's scope.
    pub fn keeps_dprk_outside(&self, o: &crate::dprk::OutsideScope) -> bool {
        self.keeps(o.period.year, &o.series, o.dprk_counterpart())
    }

    /// Restricts the DPRK's trade to the rows this query reads.
    pub fn restrict(&self, trade: &mut crate::dprk::DprkTrade) {
        trade.records.retain(|r| self.keeps_dprk_record(r));
        trade.outside.retain(|o| self.keeps_dprk_outside(o));
    }

    fn keeps(&self, year: i32, series: &str, counterpart: &str) -> bool {
        self.from.is_none_or(|y| year >= y)
            && self.to.is_none_or(|y| year <= y)
            && self
                .series
                .as_deref()
                .is_none_or(|s| series.eq_ignore_ascii_case(s))
            && self
                .dprk_counterpart()
                .is_none_or(|c| counterpart.eq_ignore_ascii_case(c))
    }
}

/// Which side of the trade a query reads. The DPRK reports nothing, so a question about
/// the DPRK's own flows is answered from its partners' declarations.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    /// True when the DPRK was asked for as reporter and the answer reads partners' data.
    pub mirror: bool,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryRow {
    pub year: i32,
    pub month: Option<i32>,
    pub reporter: String,
    pub partner: String,
    pub flow: String,
    pub key: String,
    pub series: String,
    pub value_usd: f64,
    pub net_weight_kg: Option<f64>,
    pub rows: i64,
    /// Lowest status among the grouped rows (confirmed < derived < unconfirmed).
    pub status: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub dataset: Dataset,
    pub side: Side,
    pub sql: String,
    pub rows: Vec<QueryRow>,
}

/// A tabular SQL answer, cells already formatted as text (numbers stay numbers in JSON).
#[derive(Debug, Clone, Serialize)]
pub struct SqlResult {
    pub dataset: Dataset,
    /// The files the `trade` table held, with their row counts.
    pub read: DataRead,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<serde_json::Value>>,
}

fn code_ok(s: &str) -> Result<String, TradeError> {
    let up = s.trim().to_ascii_uppercase();
    if (2..=16).contains(&up.len())
        && up
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'/')
    {
        Ok(up)
    } else {
        Err(TradeError::Query(format!(
            "`{s}` is not a country or series code"
        )))
    }
}

/// The trade store under a data directory.
pub struct TradeStore {
    dir: PathBuf,
    /// The regime of `regime_coverage` and of `check(...)`, registered in every session
    /// (the bundled regime unless [`TradeStore::with_regime`] gave another).
    regime: Option<Arc<embargo_regime::Regime>>,
    /// Functions registered in every session beside `check` and `read_csv` (the binary
    /// hands in what the trade crate cannot know, such as `screen`).
    functions: Vec<ScalarUDF>,
    /// Where the sessions' plans run: this process unless [`TradeStore::with_engine`] gave
    /// another (a cluster).
    engine: Option<ContextMaker>,
}

/// Makes the context a session's plans run in, from the store's session configuration.
/// The store registers its tables and functions on what comes back, so a context whose
/// query planner sends plans elsewhere (a cluster's scheduler) runs the same plans there.
pub type ContextMaker =
    Arc<dyn Fn(SessionConfig) -> Result<SessionContext, TradeError> + Send + Sync>;

/// The configuration of every trade session, local or on a cluster: plain Utf8 columns
/// (not the Utf8View that newer DataFusion reads from Parquet by default), so that stored
/// and bundled tables have one schema; `DATAFUSION_*` environment variables tune the
/// engine (docs/trade.md).
pub fn session_config() -> Result<SessionConfig, TradeError> {
    Ok(SessionConfig::from_env()?.set_bool(
        "datafusion.execution.parquet.schema_force_view_types",
        false,
    ))
}

/// One Parquet file a result read.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRead {
    /// File name in the store (or the bundled file's path).
    pub file: String,
    pub rows: u64,
}

/// Which data a result read: every result carries one, so that a figure is never shown
/// without the data behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataRead {
    pub dataset: Dataset,
    pub files: Vec<FileRead>,
    /// Rows in those files (all rows, not only those involving the DPRK).
    pub rows: u64,
}

impl DataRead {
    /// "store: comtrade-2017.parquet (1,204 rows), … — 2 files, 3,911 rows".
    pub fn describe(&self) -> String {
        let files: Vec<String> = self
            .files
            .iter()
            .map(|f| format!("{} ({} rows)", f.file, f.rows))
            .collect();
        match self.dataset {
            Dataset::Store => format!(
                "imported trade files in the store: {} — {} rows in all",
                files.join(", "),
                self.rows
            ),
            Dataset::Bundled => format!(
                "the published figures bundled with embargo: {} — {} rows",
                files.join(", "),
                self.rows
            ),
        }
    }
}

/// The writer's process id of a temp file named by [`ParquetSink::create`].
fn temp_file_pid(name: &str) -> Option<u32> {
    let rest = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, pid) = rest.rsplit_once('.')?;
    pid.parse().ok()
}

impl TradeStore {
    /// The store in `<data_dir>/trade`. Temp files that a killed import left behind
    /// (their process is gone) are removed.
    pub fn open(data_dir: &Path) -> TradeStore {
        let store = TradeStore {
            dir: data_dir.join("trade"),
            regime: None,
            functions: Vec::new(),
            engine: None,
        };
        store.remove_orphan_temp_files();
        store
    }

    /// Removes `.<name>.<pid>.tmp` files whose writer is no longer running. A file of a
    /// running import (this process or another) is left alone. Where processes cannot be
    /// looked up (no `/proc`), nothing is removed.
    fn remove_orphan_temp_files(&self) {
        let proc = Path::new("/proc");
        if !proc.join("self").exists() {
            return;
        }
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in rd.filter_map(Result::ok) {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(pid) = temp_file_pid(name) else {
                continue;
            };
            if !proc.join(pid.to_string()).exists() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }

    /// Registers `regime` in this store's sessions: its goods coverage as
    /// `regime_coverage`, and the `check(...)` function.
    pub fn with_regime(
        mut self,
        regime: &embargo_regime::Regime,
    ) -> Result<TradeStore, TradeError> {
        self.regime = Some(Arc::new(regime.clone()));
        Ok(self)
    }

    /// Registers `functions` in this store's sessions as well (a function of the same name
    /// as a built-in one replaces it).
    pub fn with_functions(mut self, functions: impl IntoIterator<Item = ScalarUDF>) -> TradeStore {
        self.functions.extend(functions);
        self
    }

    /// Runs this store's sessions in the contexts `engine` makes (a cluster's) instead of
    /// local ones. The condensing plan of the analyses ([`TradeStore::dprk_trade`]) runs
    /// in two halves then: the engine sums rows with the same fields, and this process
    /// condenses the sums (its `trade_group` function fills a table here).
    pub fn with_engine(mut self, engine: ContextMaker) -> TradeStore {
        self.engine = Some(engine);
        self
    }

    fn regime(&self) -> Result<Arc<embargo_regime::Regime>, TradeError> {
        match &self.regime {
            Some(r) => Ok(r.clone()),
            None => embargo_regime::Regime::bundled()
                .map(Arc::new)
                .map_err(|e| TradeError::Query(format!("bundled regime: {e}"))),
        }
    }

    /// Files in the store with their row counts (from the Parquet footers).
    pub fn inventory(&self) -> Result<Vec<FileRead>, TradeError> {
        use datafusion::parquet::file::reader::{FileReader, SerializedFileReader};
        let mut out = Vec::new();
        for path in self.files()? {
            let f = std::fs::File::open(&path).map_err(|e| TradeError::io(&path, e))?;
            let rows = SerializedFileReader::new(f)?
                .metadata()
                .file_metadata()
                .num_rows();
            out.push(FileRead {
                file: path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                rows: u64::try_from(rows).unwrap_or(0),
            });
        }
        Ok(out)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Parquet files in the store, sorted.
    pub fn files(&self) -> Result<Vec<PathBuf>, TradeError> {
        let rd = match std::fs::read_dir(&self.dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TradeError::io(&self.dir, e)),
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Where an import named `name` is stored (re-importing the same name replaces it).
    pub fn path_for(&self, name: &str) -> PathBuf {
        let clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        self.dir.join(format!("{clean}.parquet"))
    }

    /// Writes records as `<name>.parquet`, atomically.
    pub fn import(&self, name: &str, records: &[TradeRecord]) -> Result<PathBuf, TradeError> {
        let path = self.path_for(name);
        let mut sink = ParquetSink::create(&path)?;
        sink.write(records)?;
        sink.commit()?;
        Ok(path)
    }

    /// Streams a file into `<name>.parquet` in chunks (constant memory), atomically.
    /// `progress` is called with the number of rows written so far.
    pub fn import_path(
        &self,
        name: &str,
        path: &Path,
        opts: &crate::load::LoadOptions,
        progress: &mut dyn FnMut(u64),
    ) -> Result<(crate::load::LoadReport, PathBuf), TradeError> {
        let mut done = self.import_files(
            &[(name.to_string(), path.to_path_buf())],
            opts,
            &mut |_, n| progress(n),
        )?;
        done.pop()
            .ok_or_else(|| TradeError::Query("internal: import of one file returned none".into()))
    }

    /// Imports several files all or nothing: each is parsed and written to a temporary
    /// Parquet file beside the store; only when every file has been read completely are
    /// they moved into place (one rename each). If any file fails, the temporary files
    /// are removed, the store is as it was, and the error names the file. `progress` gets
    /// the file's index and its rows written so far.
    ///
    /// Each file is read on two threads: one parses CSV or JSON into records (with every
    /// field validated), the other encodes them as Arrow batches and Parquet pages.
    pub fn import_files(
        &self,
        files: &[(String, PathBuf)],
        opts: &crate::load::LoadOptions,
        progress: &mut dyn FnMut(usize, u64),
    ) -> Result<Vec<(crate::load::LoadReport, PathBuf)>, TradeError> {
        let mut staged: Vec<(crate::load::LoadReport, ParquetSink)> = Vec::new();
        for (i, (name, path)) in files.iter().enumerate() {
            let target = self.path_for(name);
            if staged.iter().any(|(_, s)| s.target == target) {
                return Err(TradeError::Query(format!(
                    "two files would be stored as {}; give them different names",
                    target.display()
                )));
            }
            let sink = ParquetSink::create(&target)?;
            let outcome = stream_into_sink(path, opts, sink, &mut |n| progress(i, n));
            match outcome {
                Ok(done) => staged.push(done),
                Err(e) => {
                    // Dropping the staged sinks removes their temporary files.
                    drop(staged);
                    return Err(TradeError::ImportFailed {
                        file: path.display().to_string(),
                        files: files.len(),
                        error: Box::new(e),
                    });
                }
            }
        }
        let mut out = Vec::new();
        for (report, sink) in staged {
            let target = sink.target.clone();
            sink.commit()?;
            out.push((report, target));
        }
        Ok(out)
    }

    pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, TradeError> {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| TradeError::io("tokio runtime", e))
    }

    /// A DataFusion session with the table `trade` registered: the store when it has
    /// files (or when `bundled` is false), else the bundled rows.
    pub async fn session(&self, bundled: bool) -> Result<(SessionContext, Dataset), TradeError> {
        let (ctx, read) = self.session_read(bundled).await?;
        Ok((ctx, read.dataset))
    }

    /// [`TradeStore::session`], and which data its `trade` table holds.
    pub async fn session_read(
        &self,
        bundled: bool,
    ) -> Result<(SessionContext, DataRead), TradeError> {
        let config = session_config()?;
        let ctx = match &self.engine {
            Some(make) => make(config)?,
            None => SessionContext::new_with_config(config),
        };
        self.register_session(ctx, bundled).await
    }

    /// Whether this store's sessions run their plans elsewhere (a cluster).
    pub(crate) fn runs_elsewhere(&self) -> bool {
        self.engine.is_some()
    }

    /// Registers a trade session's functions and tables in `ctx`.
    async fn register_session(
        &self,
        ctx: SessionContext,
        bundled: bool,
    ) -> Result<(SessionContext, DataRead), TradeError> {
        let regime = self.regime()?;
        let coverage = embargo_regime::coverage_batch(&regime.coverage_relation())?;
        for f in crate::functions::session_functions(regime) {
            ctx.register_udf(f.as_ref().clone());
        }
        for f in crate::functions::session_aggregates() {
            ctx.register_udaf(f.as_ref().clone());
        }
        ctx.register_udtf(
            crate::functions::READ_CSV,
            Arc::new(crate::functions::ReadCsv),
        );
        for f in &self.functions {
            ctx.register_udf(f.clone());
        }
        ctx.register_table(
            "regime_coverage",
            Arc::new(MemTable::try_new(coverage.schema(), vec![vec![coverage]])?),
        )?;
        let files = self.inventory()?;
        if bundled || files.is_empty() {
            let by_file = crate::bundled::records_by_file()?;
            let files: Vec<FileRead> = by_file
                .iter()
                .map(|(name, rows)| FileRead {
                    file: name.to_string(),
                    rows: rows.len() as u64,
                })
                .collect();
            let records: Vec<TradeRecord> = by_file.into_iter().flat_map(|(_, r)| r).collect();
            let read = DataRead {
                dataset: Dataset::Bundled,
                files,
                rows: records.len() as u64,
            };
            let batch = to_batch(&records)?;
            let table = MemTable::try_new(schema(), vec![vec![batch]])?;
            ctx.register_table("trade", Arc::new(table))?;
            Ok((ctx, read))
        } else {
            let dir = format!("{}/", self.dir.display());
            // The store's schema, not the files' (files written before a column existed
            // read it as null).
            let schema = schema();
            ctx.register_parquet("trade", &dir, ParquetReadOptions::default().schema(&schema))
                .await?;
            let rows = files.iter().map(|f| f.rows).sum();
            Ok((
                ctx,
                DataRead {
                    dataset: Dataset::Store,
                    files,
                    rows,
                },
            ))
        }
    }

    /// Runs SQL against `trade`.
    pub fn sql(&self, sql: &str, bundled: bool) -> Result<SqlResult, TradeError> {
        Self::runtime()?.block_on(async {
            let (ctx, read) = self.session_read(bundled).await?;
            let dataset = read.dataset;
            let batches = ctx.sql(sql).await?.collect().await?;
            let mut columns = Vec::new();
            if let Some(b) = batches.first() {
                columns = b
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect();
            }
            let mut rows = Vec::new();
            let opts = FormatOptions::default().with_null("");
            for b in &batches {
                let fmts: Vec<(ArrayFormatter, bool)> = b
                    .columns()
                    .iter()
                    .map(|c| {
                        let numeric = c.data_type().is_numeric();
                        Ok((ArrayFormatter::try_new(c.as_ref(), &opts)?, numeric))
                    })
                    .collect::<Result<_, TradeError>>()?;
                for i in 0..b.num_rows() {
                    let row = fmts
                        .iter()
                        .zip(b.columns())
                        .map(|((f, numeric), c)| {
                            if c.is_null(i) {
                                return serde_json::Value::Null;
                            }
                            let text = f.value(i).to_string();
                            if *numeric {
                                if let Ok(n) = text.parse::<i64>() {
                                    return serde_json::Value::from(n);
                                }
                                if let Ok(x) = text.parse::<f64>() {
                                    return serde_json::Value::from(x);
                                }
                            }
                            serde_json::Value::String(text)
                        })
                        .collect();
                    rows.push(row);
                }
            }
            Ok(SqlResult {
                dataset,
                read,
                columns,
                rows,
            })
        })
    }

    /// All rows that involve the DPRK on either side (the input of exposure, relief and
    /// signals), from the store or the bundled data.
    pub fn dprk_records(&self, bundled: bool) -> Result<(Vec<TradeRecord>, Dataset), TradeError> {
        Self::runtime()?.block_on(async {
            let (ctx, dataset) = self.session(bundled).await?;
            let sql = format!(
                "SELECT * FROM trade WHERE {}",
                crate::condensed::dprk_filter()
            );
            let batches = ctx.sql(&sql).await?.collect().await?;
            Ok((from_batches(&batches)?, dataset))
        })
    }

    /// Grouped totals for `spec`. Rows are grouped by period, reporter, partner, flow and
    /// series as well as the key, so different series are never summed together.
    pub fn query(&self, spec: &QuerySpec, bundled: bool) -> Result<QueryResult, TradeError> {
        let (sql, side) = build_query(spec)?;
        Self::runtime()?.block_on(async {
            let (ctx, dataset) = self.session(bundled).await?;
            let batches = ctx.sql(&sql).await?.collect().await?;
            let mut rows = Vec::new();
            for b in &batches {
                let casted = |i: usize, t: DataType| -> Option<ArrayRef> {
                    let c = b.columns().get(i)?;
                    if c.data_type() == &t {
                        Some(c.clone())
                    } else {
                        cast(c, &t).ok()
                    }
                };
                let st = |i: usize| {
                    casted(i, DataType::Utf8)
                        .and_then(|c| c.as_any().downcast_ref::<StringArray>().cloned())
                };
                let (Some(rep), Some(par), Some(flow), Some(key), Some(ser), Some(stat)) =
                    (st(2), st(3), st(4), st(5), st(6), st(10))
                else {
                    return Err(TradeError::Query("unexpected result columns".into()));
                };
                let i32at = |i: usize| {
                    casted(i, DataType::Int32)
                        .and_then(|c| c.as_any().downcast_ref::<Int32Array>().cloned())
                };
                let f64at = |i: usize| {
                    casted(i, DataType::Float64)
                        .and_then(|c| c.as_any().downcast_ref::<Float64Array>().cloned())
                };
                let (Some(year), Some(month), Some(val), Some(wgt)) =
                    (i32at(0), i32at(1), f64at(7), f64at(8))
                else {
                    return Err(TradeError::Query("unexpected result columns".into()));
                };
                let n = casted(9, DataType::Int64)
                    .and_then(|c| {
                        c.as_any()
                            .downcast_ref::<datafusion::arrow::array::Int64Array>()
                            .cloned()
                    })
                    .ok_or_else(|| TradeError::Query("unexpected count column".into()))?;
                for i in 0..b.num_rows() {
                    rows.push(QueryRow {
                        year: year.value(i),
                        month: (!month.is_null(i)).then(|| month.value(i)),
                        reporter: rep.value(i).to_string(),
                        partner: par.value(i).to_string(),
                        flow: flow.value(i).to_string(),
                        key: key.value(i).to_string(),
                        series: ser.value(i).to_string(),
                        value_usd: val.value(i),
                        net_weight_kg: (!wgt.is_null(i)).then(|| wgt.value(i)),
                        rows: n.value(i),
                        status: stat.value(i).to_string(),
                    });
                }
            }
            Ok(QueryResult {
                dataset,
                side,
                sql: sql.clone(),
                rows,
            })
        })
    }
}

/// The term that lets a query about the DPRK skip the store's other row groups (files
/// written before the column existed read it as null and are filtered row by row).
pub(crate) fn dprk_rows() -> String {
    format!("({DPRK_COLUMN} OR {DPRK_COLUMN} IS NULL)")
}

/// Builds the SQL for a query, rewriting questions about the DPRK as reporter into the
/// mirror (partners reporting the DPRK as partner, with the flow reversed).
pub fn build_query(spec: &QuerySpec) -> Result<(String, Side), TradeError> {
    let mut conds: Vec<String> = Vec::new();
    let reporter = spec.reporter.as_deref().map(code_ok).transpose()?;
    let partner = spec.partner.as_deref().map(code_ok).transpose()?;
    let side = if reporter.as_deref() == Some(DPRK) {
        // Mirror: DPRK exports to X = X's imports from the DPRK. Rows that a compiler
        // (KOTRA, KITA) published as DPRK totals are kept as they are.
        let mut mirror = vec![format!("partner = '{DPRK}'")];
        let mut direct = vec![format!("reporter = '{DPRK}'")];
        if let Some(p) = &partner {
            mirror.push(format!("reporter = '{p}'"));
            direct.push(format!("partner = '{p}'"));
        }
        if let Some(f) = spec.flow {
            mirror.push(format!("flow = '{}'", f.mirror().as_str()));
            direct.push(format!("flow = '{}'", f.as_str()));
        }
        conds.push(format!(
            "(({}) OR ({}))",
            mirror.join(" AND "),
            direct.join(" AND ")
        ));
        conds.push(dprk_rows());
        Side {
            mirror: true,
            description: format!(
                "mirror: the DPRK reports nothing, so its {} are read from {} {} from KP; \
                 rows with reporter KP are compilers' estimates built from partners' data",
                spec.flow.map_or("trade", |f| match f {
                    Flow::Export | Flow::ReExport => "exports",
                    Flow::Import | Flow::ReImport => "imports",
                }),
                partner
                    .as_deref()
                    .map_or("the partners'".to_string(), |p| format!("{p}'s")),
                spec.flow.map_or("declarations", |f| match f.mirror() {
                    Flow::Import | Flow::ReImport => "imports",
                    Flow::Export | Flow::ReExport => "exports",
                }),
            ),
        }
    } else {
        if let Some(r) = &reporter {
            conds.push(format!("reporter = '{r}'"));
        }
        if let Some(p) = &partner {
            conds.push(format!("partner = '{p}'"));
        }
        if let Some(f) = spec.flow {
            conds.push(format!("flow = '{}'", f.as_str()));
        }
        let reads_dprk = partner.as_deref() == Some(DPRK);
        if reads_dprk || reporter.as_deref() == Some(DPRK) {
            conds.push(dprk_rows());
        }
        Side {
            mirror: false,
            description: format!(
                "as reported by {}{}",
                reporter.as_deref().unwrap_or("each reporter"),
                if reads_dprk {
                    " (these are the mirror of the DPRK's own flows: its exports are the reporter's imports)"
                } else {
                    ""
                }
            ),
        }
    };
    if let Some(y) = spec.from {
        conds.push(format!("year >= {y}"));
    }
    if let Some(y) = spec.to {
        conds.push(format!("year <= {y}"));
    }
    if let Some(s) = spec.series.as_deref().map(code_ok).transpose()? {
        conds.push(format!("series = '{s}'"));
    }
    let key = match spec.by {
        Grouping::Hs2 => "CASE WHEN level = 'hs' THEN substr(hs, 1, 2) ELSE hs END",
        Grouping::Hs4 => "CASE WHEN level = 'hs' THEN substr(hs, 1, 4) ELSE hs END",
        Grouping::Hs6 => "hs",
        Grouping::Category => "CASE WHEN category IS NOT NULL THEN category ELSE hs END",
        Grouping::Total => "'ALL'",
    };
    // For `total`, only TOTAL rows (summing categories and totals would double count).
    if spec.by == Grouping::Total {
        conds.push("level = 'total'".into());
    }
    let filter = if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    };
    let sql = format!(
        "SELECT year, month, reporter, partner, flow, {key} AS key, series, \
         sum(value_usd) AS value_usd, sum(net_weight_kg) AS net_weight_kg, count(*) AS n, \
         max(status) AS status \
         FROM trade {filter} \
         GROUP BY year, month, reporter, partner, flow, {key}, series \
         ORDER BY year, month NULLS FIRST, reporter, partner, flow, key, series"
    );
    Ok((sql, side))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Texts that share bytes but not length, or digits but not their count, get different
    /// code forms; eight bytes, or four that are not all digits, are not codes.
    #[test]
    fn code_forms_tell_lengths_and_digits_apart() {
        let pairs: [(&[u8], &[u8]); 7] = [
            (b"12", b"012"),
            (b"", b"\0"),
            (b"0012", b"012"),
            (b"030749", b"30749"),
            (b"030749", b"030794"),
            (b"9999999", b"999"),
            (b"KP", b"PK"),
        ];
        for (a, b) in pairs {
            assert_ne!(code_form(a), code_form(b), "{a:?} {b:?}");
            assert!(
                code_form(a).is_some() && code_form(b).is_some(),
                "{a:?} {b:?}"
            );
        }
        assert_eq!(code_form(b"12345678"), None);
        assert_eq!(code_form(b"2709a"), None);
        assert_eq!(code_form(b"import"), None);
        assert!(code_form(&[0xff; 3]).is_some_and(|c| c < 1 << 28));
        assert!(code_form(b"9999999").is_some_and(|c| c < 1 << 28));
    }

    proptest! {
        /// Two texts have the same short key exactly when they are the same text.
        #[test]
        fn short_keys_are_equal_exactly_for_equal_texts(a in "[A-C0-2]{0,18}", b in "[A-C0-2]{0,18}") {
            match (ShortText::of(a.as_bytes()), ShortText::of(b.as_bytes())) {
                (Some(x), Some(y)) => prop_assert_eq!(x == y, a == b),
                (x, y) => {
                    prop_assert_eq!(x.is_none(), a.len() > 16);
                    prop_assert_eq!(y.is_none(), b.len() > 16);
                }
            }
        }

        /// Two texts have the same code form exactly when they are the same text.
        #[test]
        fn code_forms_are_equal_exactly_for_equal_texts(a in "[A-C0-2\u{e9}]{0,9}|[0-9]{0,8}", b in "[A-C0-2\u{e9}]{0,9}|[0-9]{0,8}") {
            match (code_form(a.as_bytes()), code_form(b.as_bytes())) {
                (Some(x), Some(y)) => prop_assert_eq!(x == y, a == b),
                (x, y) => {
                    let code = |t: &str| t.len() <= 3 || (t.len() <= 7 && t.bytes().all(|c| c.is_ascii_digit()));
                    prop_assert_eq!(x.is_some(), code(&a));
                    prop_assert_eq!(y.is_some(), code(&b));
                }
            }
        }

        /// Thousands of codes (the table grows several times), mixed with longer texts,
        /// read back as appended, each value once in the dictionary.
        #[test]
        fn many_codes_read_back(seed in 0u64..1_000, long_every in 2usize..50) {
            let codes: Vec<String> = (0..12_000u64)
                .map(|i| {
                    let n = (i * 7_919 + seed) % 5_000;
                    if (i as usize).is_multiple_of(long_every) { format!("code {n:06} long") } else { format!("{n:06}") }
                })
                .collect();
            let mut b = CodedTextBuilder::new(codes.len());
            for v in &codes {
                b.append(Some(v)).unwrap();
            }
            let a = b.finish().unwrap();
            let texts = a.values().as_any().downcast_ref::<StringArray>().unwrap().clone();
            let distinct: std::collections::HashSet<&String> = codes.iter().collect();
            prop_assert_eq!(texts.len(), distinct.len());
            for (i, k) in a.keys().iter().enumerate() {
                prop_assert_eq!(texts.value(k.unwrap() as usize), codes[i].as_str());
            }
        }

        /// The column reads back as the values appended, short and long, repeated or not.
        #[test]
        fn coded_text_reads_back(values in proptest::collection::vec(proptest::option::of("[AB]{0,3}|[AB]{5,9}|[AB]{15,18}"), 0..60)) {
            let mut b = CodedTextBuilder::new(values.len());
            for v in &values {
                b.append(v.as_deref()).unwrap();
            }
            let a = b.finish().unwrap();
            let texts = a.values().as_any().downcast_ref::<StringArray>().unwrap().clone();
            let back: Vec<Option<String>> = a
                .keys()
                .iter()
                .map(|k| k.map(|k| texts.value(k as usize).to_string()))
                .collect();
            prop_assert_eq!(back, values);
        }
    }
}
