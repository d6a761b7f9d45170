//! A coded text column written as a Parquet column chunk straight from its dictionary keys.
//!
//! The store's builders already give every coded text column (countries, HS codes, flows,
//! series, …) as keys into a block's few distinct values. Handed such a column, the Parquet
//! writer looks every row's text up again: it interns each cell into a dictionary of its
//! own and compares each cell with the page's minimum and maximum, a hash and three
//! `memcmp`s per cell, a quarter of an import's CPU. Here the chunk is made from the keys:
//! the dictionary page from the values the rows use (in the order of first use, as the
//! Parquet writer orders them), the data pages from the keys renumbered in that order,
//! and the statistics from a number per value that orders as the values do.
//!
//! The chunk is what the Parquet writer would make with the same properties (dictionary
//! and data pages, chunk statistics, column and offset indexes, level histograms), but
//! for where pages end and how runs of keys are packed, both of which readers take as they
//! come. Where the properties ask for something this does not write (compression, format
//! 2.0 pages, bloom filters, truncated statistics, a dictionary over the page limit),
//! [`encode`] declines and the Parquet writer encodes the column. The tests hold both
//! writers to the same values, statistics and indexes.

use std::collections::HashMap;

use bytes::Bytes;
use datafusion::arrow::array::{Array, DictionaryArray, StringArray};
use datafusion::arrow::datatypes::Int32Type;
use datafusion::parquet::basic::{BoundaryOrder, Compression, Encoding, EncodingMask, PageType};
use datafusion::parquet::column::page::{CompressedPage, Page, PageWriter};
use datafusion::parquet::column::writer::ColumnCloseResult;
use datafusion::parquet::data_type::ByteArray;
use datafusion::parquet::file::metadata::{
    ColumnChunkMetaData, ColumnIndexBuilder, LevelHistogram, OffsetIndexBuilder, PageEncodingStats,
};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties, WriterVersion};
use datafusion::parquet::file::statistics::{Statistics, ValueStatistics};
use datafusion::parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use datafusion::parquet::schema::types::ColumnDescPtr;

use crate::error::TradeError;

/// A column chunk's bytes (offsets in its metadata count from their start) and what
/// closing a column writer would have said of it, ready for `append_column`.
pub(crate) struct TextChunk {
    pub bytes: Bytes,
    pub close: ColumnCloseResult,
}

/// The rows' keys renumbered by first use of their text, with the distinct texts in that
/// order.
struct Renumbered<'a> {
    /// Per row: a key into `values`, or [`NULL`] for a null row.
    keys: Vec<u32>,
    /// Whether any row is null.
    has_nulls: bool,
    values: Vec<&'a [u8]>,
    /// Per value: a number that orders as the value does among `values` (Parquet orders
    /// text bytewise), and the value's length.
    order: Vec<(u64, u32)>,
}

/// The key of a null row in [`Renumbered::keys`].
const NULL: u32 = u32::MAX;

/// Renumbers the keys of a column as their texts are first met.
struct Renumbering<'a> {
    new_key: Vec<u32>,
    /// A dictionary may hold a text twice (the engine joins batches' dictionaries without
    /// merging them): the chunk's dictionary holds it once.
    by_text: HashMap<&'a [u8], u32, ahash::RandomState>,
    values: Vec<&'a [u8]>,
    text: &'a StringArray,
}

impl<'a> Renumbering<'a> {
    /// The new key of dictionary key `old`: a lookup, but for the first row of each value.
    #[inline]
    fn key(&mut self, old: i32) -> Option<u32> {
        match self.new_key.get(usize::try_from(old).ok()?) {
            Some(&k) if k != NULL => Some(k),
            Some(_) => self.first(old as usize),
            None => None,
        }
    }

    #[cold]
    fn first(&mut self, old: usize) -> Option<u32> {
        let v = self.text.value(old).as_bytes();
        let next = u32::try_from(self.values.len())
            .ok()
            .filter(|n| *n != NULL)?;
        let values = &mut self.values;
        let k = *self.by_text.entry(v).or_insert_with(|| {
            values.push(v);
            next
        });
        self.new_key[old] = k;
        Some(k)
    }
}

fn renumber<'a>(
    column: &DictionaryArray<Int32Type>,
    text: &'a StringArray,
) -> Option<Renumbered<'a>> {
    let mut to = Renumbering {
        new_key: vec![NULL; text.len()],
        by_text: HashMap::default(),
        values: Vec::new(),
        text,
    };
    let raw = column.keys();
    let has_nulls = raw.null_count() > 0;
    let mut keys = Vec::with_capacity(raw.len());
    if has_nulls {
        for k in raw.iter() {
            keys.push(match k {
                Some(k) => to.key(k)?,
                None => NULL,
            });
        }
    } else {
        for k in raw.values() {
            keys.push(to.key(*k)?);
        }
    }
    let values = to.values;
    let order = order(&values);
    Some(Renumbered {
        keys,
        has_nulls,
        values,
        order,
    })
}

/// Per value, a number that orders as the values do, and the value's length. Codes of up
/// to 7 bytes (every value of a block's HS, country or flow column) are their own number
/// (bytes big-endian, then the length), so the values need no sort; longer values are
/// sorted and numbered by their place.
fn order(values: &[&[u8]]) -> Vec<(u64, u32)> {
    let len = |v: &[u8]| v.len() as u32;
    if values.iter().all(|v| v.len() <= 7) {
        return values.iter().map(|v| (code_order(v), len(v))).collect();
    }
    let mut sorted: Vec<usize> = (0..values.len()).collect();
    sorted.sort_unstable_by(|a, b| values[*a].cmp(values[*b]));
    let mut order = vec![(0, 0); values.len()];
    for (place, v) in sorted.into_iter().enumerate() {
        order[v] = (place as u64, len(values[v]));
    }
    order
}

/// A text of at most 7 bytes as a number that orders as the text does (bytewise, a prefix
/// before what extends it): its bytes big-endian from the top, then its length.
fn code_order(v: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    for (w, b) in word.iter_mut().zip(v) {
        *w = *b;
    }
    word[7] = v.len() as u8;
    u64::from_be_bytes(word)
}

/// Encodes a coded text column as one column chunk, or `None` when the properties ask for
/// something this does not write (the Parquet writer then encodes the column).
pub(crate) fn encode(
    descr: &ColumnDescPtr,
    props: &WriterProperties,
    column: &DictionaryArray<Int32Type>,
) -> Result<Option<TextChunk>, TradeError> {
    let path = descr.path();
    let plain = props.compression(path) == Compression::UNCOMPRESSED
        && props.writer_version() == WriterVersion::PARQUET_1_0
        && props.dictionary_enabled(path)
        && props.dictionary_page_encoding() == Encoding::PLAIN
        && props.statistics_enabled(path) == EnabledStatistics::Page
        && !props.write_page_header_statistics(path)
        && props.bloom_filter_properties(path).is_none()
        && !props.offset_index_disabled()
        && descr.max_rep_level() == 0
        && descr.max_def_level() <= 1;
    let Some(text) = column.values().as_any().downcast_ref::<StringArray>() else {
        return Ok(None);
    };
    if !plain || text.null_count() > 0 || (descr.max_def_level() == 0 && column.null_count() > 0) {
        return Ok(None);
    }
    let Some(rows) = renumber(column, text).filter(|r| !r.keys.is_empty()) else {
        return Ok(None);
    };
    // Statistics longer than the truncation length are cut by the Parquet writer; leave
    // those columns to it.
    let longest = rows.values.iter().map(|v| v.len()).max().unwrap_or(0);
    let cut = [
        props.statistics_truncate_length(),
        props.column_index_truncate_length(),
    ];
    if cut.iter().flatten().any(|n| longest > *n) {
        return Ok(None);
    }
    let dictionary: usize = rows.values.iter().map(|v| 4 + v.len()).sum();
    if dictionary > props.dictionary_page_size_limit() {
        return Ok(None);
    }
    Ok(Some(write_chunk(descr, props, &rows)?))
}

/// What the pages of a chunk add up to, for its metadata.
#[derive(Default)]
struct Totals {
    compressed: i64,
    uncompressed: i64,
    written: u64,
    data_pages: usize,
    data_offset: Option<i64>,
    nulls: u64,
    unencoded: i64,
    /// The order and key of the smallest and largest value the chunk holds.
    min: Option<(u64, u32)>,
    max: Option<(u64, u32)>,
}

fn write_chunk(
    descr: &ColumnDescPtr,
    props: &WriterProperties,
    rows: &Renumbered<'_>,
) -> Result<TextChunk, TradeError> {
    let nullable = descr.max_def_level() == 1;
    let mut sink = TrackedWrite::new(Vec::new());
    let mut pages = SerializedPageWriter::new(&mut sink);
    let mut totals = Totals::default();
    let mut index = ColumnIndexBuilder::new(descr.physical_type());
    let mut offsets = OffsetIndexBuilder::new();
    let mut chunk_levels = LevelHistogram::try_new(descr.max_def_level());

    let mut dict = Vec::with_capacity(rows.values.iter().map(|v| 4 + v.len()).sum());
    for v in &rows.values {
        dict.extend_from_slice(&(v.len() as u32).to_le_bytes());
        dict.extend_from_slice(v);
    }
    let dict_len = dict.len();
    let spec = pages.write_page(CompressedPage::new(
        Page::DictionaryPage {
            buf: Bytes::from(dict),
            num_values: rows.values.len() as u32,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        },
        dict_len,
    ))?;
    totals.compressed += spec.compressed_size as i64;
    totals.uncompressed += spec.uncompressed_size as i64;
    totals.written += spec.bytes_written;
    let dictionary_offset = spec.offset as i64;

    let width = bit_width(rows.values.len());
    let per_page = props.data_page_row_count_limit().max(1);
    // Boundary order as the Parquet writer works it out: over the pages that hold a value.
    let (mut ascending, mut descending) = (true, true);
    // Orders and keys compare as the values do: a value has one order and one key.
    let mut last: Option<((u64, u32), (u64, u32))> = None;
    let mut present = Vec::with_capacity(per_page);
    let mut levels = Vec::with_capacity(per_page);
    for page in rows.keys.chunks(per_page) {
        let keys: &[u32] = if rows.has_nulls {
            present.clear();
            levels.clear();
            for k in page {
                levels.push(u32::from(*k != NULL));
                if *k != NULL {
                    present.push(*k);
                }
            }
            &present
        } else {
            page
        };
        let mut unencoded = 0i64;
        // The order and key of the page's smallest and largest value.
        let (mut lo, mut hi) = ((u64::MAX, NULL), (0, NULL));
        for k in keys {
            let (o, len) = rows.order[*k as usize];
            unencoded += i64::from(len);
            if o < lo.0 {
                lo = (o, *k);
            }
            if o >= hi.0 {
                hi = (o, *k);
            }
        }
        let nulls = (page.len() - keys.len()) as u64;
        let mut buf = Vec::with_capacity(8 + keys.len() * usize::from(width).div_ceil(8));
        if nullable {
            let mut encoded = Vec::new();
            if rows.has_nulls {
                hybrid(&levels, 1, &mut encoded);
            } else {
                hybrid_run(1, page.len(), 1, &mut encoded);
            }
            buf.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
            buf.extend_from_slice(&encoded);
        }
        buf.push(width);
        hybrid(keys, width, &mut buf);
        let size = buf.len();
        let spec = pages.write_page(CompressedPage::new(
            Page::DataPage {
                buf: Bytes::from(buf),
                num_values: page.len() as u32,
                encoding: Encoding::RLE_DICTIONARY,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            },
            size,
        ))?;
        totals.compressed += spec.compressed_size as i64;
        totals.uncompressed += spec.uncompressed_size as i64;
        totals.written += spec.bytes_written;
        totals.data_pages += 1;
        totals.data_offset.get_or_insert(spec.offset as i64);
        totals.nulls += nulls;
        totals.unencoded += unencoded;

        if keys.is_empty() {
            index.append(true, Vec::new(), Vec::new(), nulls as i64);
        } else {
            index.append(
                false,
                rows.values[lo.1 as usize].to_vec(),
                rows.values[hi.1 as usize].to_vec(),
                nulls as i64,
            );
            if let Some((last_lo, last_hi)) = last {
                ascending &= last_lo <= lo && last_hi <= hi;
                descending &= lo <= last_lo && hi <= last_hi;
            }
            last = Some((lo, hi));
            totals.min = Some(totals.min.map_or(lo, |m| m.min(lo)));
            totals.max = Some(totals.max.map_or(hi, |m| m.max(hi)));
        }
        let page_levels = chunk_levels.as_ref().map(|_| {
            LevelHistogram::from(vec![nulls as i64, (page.len() - nulls as usize) as i64])
        });
        if let (Some(all), Some(this)) = (chunk_levels.as_mut(), page_levels.as_ref()) {
            all.add(this);
        }
        index.append_histograms(&None, &page_levels);
        offsets.append_row_count(page.len() as i64);
        offsets.append_unencoded_byte_array_data_bytes(Some(unencoded));
        offsets.append_offset_and_size(spec.offset as i64, spec.compressed_size as i32);
    }
    pages.close()?;
    index.set_boundary_order(match (ascending, descending) {
        (true, _) => BoundaryOrder::ASCENDING,
        (false, true) => BoundaryOrder::DESCENDING,
        (false, false) => BoundaryOrder::UNORDERED,
    });

    let value =
        |m: Option<(u64, u32)>| m.map(|(_, k)| ByteArray::from(rows.values[k as usize].to_vec()));
    let statistics = Statistics::ByteArray(ValueStatistics::new(
        value(totals.min),
        value(totals.max),
        None,
        Some(totals.nulls),
        false,
    ));
    let metadata = ColumnChunkMetaData::builder(descr.clone())
        .set_compression(Compression::UNCOMPRESSED)
        .set_encodings_mask(EncodingMask::new_from_encodings(
            [Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY].iter(),
        ))
        .set_page_encoding_stats(vec![
            PageEncodingStats {
                page_type: PageType::DICTIONARY_PAGE,
                encoding: Encoding::PLAIN,
                count: 1,
            },
            PageEncodingStats {
                page_type: PageType::DATA_PAGE,
                encoding: Encoding::RLE_DICTIONARY,
                count: totals.data_pages as i32,
            },
        ])
        .set_total_compressed_size(totals.compressed)
        .set_total_uncompressed_size(totals.uncompressed)
        .set_num_values(rows.keys.len() as i64)
        .set_data_page_offset(totals.data_offset.unwrap_or(0))
        .set_dictionary_page_offset(Some(dictionary_offset))
        .set_statistics(statistics)
        .set_unencoded_byte_array_data_bytes(Some(totals.unencoded))
        .set_repetition_level_histogram(None)
        .set_definition_level_histogram(chunk_levels)
        .build()?;
    let bytes = Bytes::from(sink.into_inner()?);
    Ok(TextChunk {
        bytes,
        close: ColumnCloseResult {
            bytes_written: totals.written,
            rows_written: rows.keys.len() as u64,
            metadata,
            bloom_filter: None,
            column_index: Some(index.build()?),
            offset_index: Some(offsets.build()),
        },
    })
}

/// Bits a key into `distinct` values needs (none for one value).
fn bit_width(distinct: usize) -> u8 {
    match distinct {
        0 | 1 => 0,
        n => (usize::BITS - (n - 1).leading_zeros()) as u8,
    }
}

/// Appends `values` in Parquet's RLE / bit-packing hybrid at `width` bits each. Values go
/// in groups of eight: a group of one value joins (or starts) a repeated run, any other
/// is bit-packed with its neighbours; the last, short group is a run if its values are
/// one, else it is packed and padded (readers stop at the page's count).
fn hybrid(values: &[u32], width: u8, out: &mut Vec<u8>) {
    let mut packed: Vec<&[u32]> = Vec::new();
    let mut run: Option<(u32, usize)> = None;
    let groups = values.chunks(8);
    for group in groups {
        let first = group[0];
        let same = group.iter().all(|v| *v == first);
        let full = group.len() == 8;
        if same && (full || packed.is_empty() || run.is_some_and(|(v, _)| v == first)) {
            match &mut run {
                Some((v, n)) if *v == first => *n += group.len(),
                _ => {
                    flush_packed(&mut packed, width, out);
                    flush_run(&mut run, width, out);
                    run = Some((first, group.len()));
                }
            }
        } else {
            flush_run(&mut run, width, out);
            // A packed run holds at most 63 groups (its count is 6 bits of a one-byte
            // header, which keeps the header's size fixed).
            if packed.len() == 63 {
                flush_packed(&mut packed, width, out);
            }
            packed.push(group);
        }
    }
    flush_packed(&mut packed, width, out);
    flush_run(&mut run, width, out);
}

fn flush_run(run: &mut Option<(u32, usize)>, width: u8, out: &mut Vec<u8>) {
    if let Some((value, count)) = run.take() {
        hybrid_run(value, count, width, out);
    }
}

/// Appends one repeated run: `count` times `value` at `width` bits.
fn hybrid_run(value: u32, count: usize, width: u8, out: &mut Vec<u8>) {
    varint((count as u64) << 1, out);
    let bytes = usize::from(width).div_ceil(8);
    out.extend_from_slice(&value.to_le_bytes()[..bytes]);
}

fn flush_packed(groups: &mut Vec<&[u32]>, width: u8, out: &mut Vec<u8>) {
    if groups.is_empty() {
        return;
    }
    varint(((groups.len() as u64) << 1) | 1, out);
    for group in groups.drain(..) {
        let (mut acc, mut bits) = (0u64, 0u32);
        for i in 0..8 {
            let v = group.get(i).copied().unwrap_or(0);
            acc |= u64::from(v) << bits;
            bits += u32::from(width);
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Int32Array};
    use datafusion::arrow::compute::cast;
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::record_batch::RecordBatch;
    use datafusion::parquet::arrow::arrow_reader::{
        ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    };
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::file::metadata::ParquetMetaData;
    use proptest::prelude::*;

    use super::*;

    fn text() -> DataType {
        DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
    }

    fn schema() -> Arc<Schema> {
        Arc::new(Schema::new(vec![
            Field::new("required", text(), false),
            Field::new("nullable", text(), true),
        ]))
    }

    /// A dictionary column from `values` (some of them unused, as after a filter) and
    /// runs of keys (`None` for nulls).
    fn column(values: &[String], runs: &[(Option<usize>, usize)]) -> DictionaryArray<Int32Type> {
        let keys: Int32Array = runs
            .iter()
            .flat_map(|(k, n)| std::iter::repeat_n(k.map(|k| (k % values.len()) as i32), *n))
            .collect();
        let values = StringArray::from_iter_values(values);
        DictionaryArray::try_new(keys, Arc::new(values)).unwrap()
    }

    /// The file the Parquet writer makes of `batch`, one row group, pages of 20,000 rows.
    fn reference(batch: &RecordBatch) -> Bytes {
        let props = WriterProperties::builder()
            .set_write_batch_size(20_000)
            .build();
        let mut out = Vec::new();
        let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
        w.write(batch).unwrap();
        w.close().unwrap();
        Bytes::from(out)
    }

    /// The file made with every column's chunk encoded here.
    fn ours(batch: &RecordBatch) -> Bytes {
        let mut out = Vec::new();
        let w = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
        let (mut file, _) = w.into_serialized_writer().unwrap();
        let props = file.properties().clone();
        let columns: Vec<_> = (0..batch.num_columns())
            .map(|i| file.schema_descr().column(i))
            .collect();
        let mut group = file.next_row_group().unwrap();
        for (descr, array) in columns.iter().zip(batch.columns()) {
            let keys = array
                .as_any()
                .downcast_ref::<DictionaryArray<Int32Type>>()
                .unwrap();
            let chunk = encode(descr, &props, keys).unwrap().expect("a chunk");
            group.append_column(&chunk.bytes, chunk.close).unwrap();
        }
        group.close().unwrap();
        file.close().unwrap();
        Bytes::from(out)
    }

    fn read(file: &Bytes) -> (Vec<ArrayRef>, Arc<ParquetMetaData>) {
        let options = ArrowReaderOptions::new()
            .with_page_index_policy(datafusion::parquet::file::metadata::PageIndexPolicy::Required);
        let reader =
            ParquetRecordBatchReaderBuilder::try_new_with_options(file.clone(), options).unwrap();
        let metadata = reader.metadata().clone();
        let batches: Vec<RecordBatch> = reader.build().unwrap().map(|b| b.unwrap()).collect();
        let columns = (0..2)
            .map(|c| {
                let parts: Vec<ArrayRef> = batches
                    .iter()
                    .map(|b| cast(b.column(c), &DataType::Utf8).unwrap())
                    .collect();
                let parts: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                datafusion::arrow::compute::concat(&parts).unwrap()
            })
            .collect();
        (columns, metadata)
    }

    /// Asserts that two files hold the same values, chunk statistics and page indexes
    /// (all but byte sizes and offsets, which depend on how runs are packed).
    fn assert_same(batch: &RecordBatch) {
        let (mine, theirs) = (ours(batch), reference(batch));
        let (my_columns, my_meta) = read(&mine);
        let (their_columns, their_meta) = read(&theirs);
        for (c, column) in batch.columns().iter().enumerate() {
            let expected = cast(column, &DataType::Utf8).unwrap();
            assert_eq!(&my_columns[c], &expected, "column {c}");
            assert_eq!(&their_columns[c], &expected, "column {c}");
        }
        let (me, them) = (my_meta.row_group(0), their_meta.row_group(0));
        assert_eq!(me.num_rows(), them.num_rows());
        for c in 0..2 {
            let (a, b) = (me.column(c), them.column(c));
            assert_eq!(a.statistics(), b.statistics(), "statistics of column {c}");
            assert_eq!(a.num_values(), b.num_values());
            assert_eq!(a.compression(), b.compression());
            assert_eq!(a.encodings_mask(), b.encodings_mask(), "column {c}");
            assert_eq!(
                a.page_encoding_stats(),
                b.page_encoding_stats(),
                "column {c}"
            );
            assert_eq!(
                a.unencoded_byte_array_data_bytes(),
                b.unencoded_byte_array_data_bytes()
            );
            assert_eq!(
                a.definition_level_histogram(),
                b.definition_level_histogram()
            );
            assert_eq!(
                a.repetition_level_histogram(),
                b.repetition_level_histogram()
            );
        }
        let (my_index, their_index) = (
            my_meta.column_index().unwrap(),
            their_meta.column_index().unwrap(),
        );
        assert_eq!(my_index, their_index, "column indexes");
        let (my_pages, their_pages) = (
            my_meta.offset_index().unwrap(),
            their_meta.offset_index().unwrap(),
        );
        for c in 0..2 {
            let rows =
                |o: &datafusion::parquet::file::page_index::offset_index::OffsetIndexMetaData| {
                    o.page_locations()
                        .iter()
                        .map(|p| p.first_row_index)
                        .collect::<Vec<_>>()
                };
            assert_eq!(
                rows(&my_pages[0][c]),
                rows(&their_pages[0][c]),
                "pages of {c}"
            );
            assert_eq!(
                my_pages[0][c].unencoded_byte_array_data_bytes(),
                their_pages[0][c].unencoded_byte_array_data_bytes()
            );
        }
    }

    fn batch(
        values: &[String],
        required: &[usize],
        nullable: &[(Option<usize>, usize)],
    ) -> RecordBatch {
        let rows: usize = nullable.iter().map(|(_, n)| n).sum();
        let required: Vec<(Option<usize>, usize)> = required
            .iter()
            .cycle()
            .take(rows)
            .map(|k| (Some(*k), 1))
            .collect();
        RecordBatch::try_new(
            schema(),
            vec![
                Arc::new(column(values, &required)),
                Arc::new(column(values, nullable)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_block_of_codes_gives_the_parquet_writers_chunk() {
        let values: Vec<String> = ["KP", "CN", "RU", "", "2709", "한국", "z"]
            .map(String::from)
            .to_vec();
        // 45,000 rows: three pages, the middle one without a value in the nullable column.
        let nullable = [
            (Some(1), 19_999),
            (Some(4), 1),
            (None, 20_000),
            (Some(5), 3),
            (Some(0), 4_997),
        ];
        batch(
            &values,
            &[0, 0, 2, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6],
            &nullable,
        );
        assert_same(&batch(
            &values,
            &[0, 0, 2, 1, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6],
            &nullable,
        ));
        // One value throughout, and nulls throughout.
        assert_same(&batch(&values, &[3], &[(None, 30_000)]));
        assert_same(&batch(&values, &[2], &[(Some(2), 41)]));
    }

    #[test]
    fn values_past_the_statistics_length_are_left_to_the_parquet_writer() {
        let long = "x".repeat(65);
        let values = vec!["KP".to_string(), long];
        let b = batch(&values, &[0, 1], &[(Some(0), 4)]);
        let mut out = Vec::new();
        let (file, _) = ArrowWriter::try_new(&mut out, b.schema(), None)
            .unwrap()
            .into_serialized_writer()
            .unwrap();
        let keys = |c: usize| {
            b.column(c)
                .as_any()
                .downcast_ref::<DictionaryArray<Int32Type>>()
                .unwrap()
                .clone()
        };
        let props = file.properties().clone();
        let descr = |c: usize| file.schema_descr().column(c);
        assert!(encode(&descr(0), &props, &keys(0)).unwrap().is_none());
        // The same value unused (filtered away) does not count.
        assert!(encode(&descr(1), &props, &keys(1)).unwrap().is_some());
    }

    #[test]
    fn a_text_held_twice_in_the_dictionary_is_written_once() {
        // Joined batches give 200,000 dictionary entries (2 MB of dictionary page) of
        // ten texts: the chunk's dictionary holds the ten, under the page limit.
        let texts: Vec<String> = (0..200_000).map(|i| format!("{:06}", i % 10)).collect();
        let runs: Vec<(Option<usize>, usize)> = (0..200_000).map(|i| (Some(i), 1)).collect();
        let b = batch(&texts, &[0], &runs);
        let mut out = Vec::new();
        let (file, _) = ArrowWriter::try_new(&mut out, b.schema(), None)
            .unwrap()
            .into_serialized_writer()
            .unwrap();
        let keys = b
            .column(1)
            .as_any()
            .downcast_ref::<DictionaryArray<Int32Type>>()
            .unwrap();
        let chunk = encode(&file.schema_descr().column(1), file.properties(), keys)
            .unwrap()
            .expect("a chunk");
        // Ten values of 4 + 6 bytes and the page's header.
        let dictionary = chunk.close.metadata.data_page_offset()
            - chunk.close.metadata.dictionary_page_offset().unwrap();
        assert!((100..140).contains(&dictionary), "{dictionary}");
        assert_same(&b);
    }

    proptest! {
        #[test]
        fn code_orders_order_as_the_texts(a in proptest::collection::vec(0u8..4, 0..8),
                                          b in proptest::collection::vec(0u8..4, 0..8)) {
            prop_assert_eq!(code_order(&a).cmp(&code_order(&b)), a.cmp(&b));
        }
    }

    #[test]
    fn hybrid_runs_and_packs() {
        // Eight equal values: one run (header 8 << 1, then the value in one byte).
        let mut out = Vec::new();
        hybrid(&[5; 8], 3, &mut out);
        assert_eq!(out, [16, 5]);
        // Eight different values at 3 bits: one packed group of three bytes.
        let mut out = Vec::new();
        hybrid(&[0, 1, 2, 3, 4, 5, 6, 7], 3, &mut out);
        assert_eq!(out, [3, 0b10001000, 0b11000110, 0b11111010]);
        assert_eq!(bit_width(1), 0);
        assert_eq!(bit_width(2), 1);
        assert_eq!(bit_width(256), 8);
        assert_eq!(bit_width(257), 9);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]

        #[test]
        fn chunks_match_the_parquet_writers(
            // Codes (every value at most 7 bytes, ordered without a sort) or longer text.
            values in prop_oneof![
                proptest::collection::vec("[A-Z0-9]{0,7}|가[0-9]{0,4}", 1..300),
                proptest::collection::vec("[A-Z0-9가-힣]{0,12}", 1..300),
            ],
            required in proptest::collection::vec(0usize..300, 1..200),
            nullable in proptest::collection::vec(
                (proptest::option::weighted(0.8, 0usize..300), 1usize..3_000), 1..40),
        ) {
            assert_same(&batch(&values, &required, &nullable));
        }
    }
}
