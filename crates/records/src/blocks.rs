//! The batch check's CSV reader: the file is cut into blocks of whole records, which
//! worker threads split into fields in parallel.
//!
//! A block ends at a record end, never inside a record: when a block holds a quote
//! character, the cut is found by a scan that follows the `csv` crate's quoting rules
//! exactly (a line end inside a quoted field does not end the record, `""` is a quote
//! inside a quoted field, a quote inside an unquoted field is an ordinary byte); a block
//! without a quote is cut at its last line end. Records in a block without quotes are
//! split on line ends and commas (the hot path); a block with quotes goes through the
//! `csv` crate. Either way the records are exactly those the `csv` crate reads from the
//! whole file (`tests/suite/blocks.rs` holds the two equal on generated files), and each
//! record's line is the line of its first byte.
//!
//! Records are bounded: a record over [`MAX_RECORD_BYTES`] is reported as an error in
//! its place, and a block that holds no record end at all within [`BLOCK_BYTES`] stops
//! the read (an unclosed quote or a file that is not CSV), so memory stays bounded.

use std::io::Read;

/// Bytes per block: big enough that handing a block to a worker costs nothing next to
/// classifying its rows, small enough to keep every core busy.
pub const BLOCK_BYTES: usize = 4 << 20;

/// The longest record the batch check accepts: 1 MiB. A shipment row is tens of bytes;
/// a longer record is a broken file or a quote left open.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// A run of whole records and the line its first byte is on.
#[derive(Debug)]
pub struct Block {
    pub seq: u64,
    pub first_line: u64,
    pub data: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum BlockError {
    #[error("line {line}: cannot read: {source}")]
    Io {
        line: u64,
        #[source]
        source: std::io::Error,
    },
    /// No record end within `bytes` bytes from the start of the record on `line`.
    #[error(
        "line {line}: no record end within {bytes} bytes{}: a record over the {limit}-byte limit",
        if *in_quotes { " (inside a quoted field: is a quote left open?)" } else { "" }
    )]
    Unterminated {
        line: u64,
        bytes: usize,
        limit: usize,
        in_quotes: bool,
    },
}

/// A record longer than the limit, reported in its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("record of {bytes} bytes, over the {limit}-byte limit")]
pub struct RecordTooLong {
    pub bytes: usize,
    pub limit: usize,
}

/// Where the scan is, in the `csv` crate's terms (default dialect: comma, double quote,
/// `""` escapes, CR, LF or CRLF ends a record).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scan {
    RecordStart,
    FieldStart,
    InField,
    InQuoted,
    QuoteInQuoted,
}

/// The offset just past the last record end in `data` (which starts at a record start),
/// and whether the bytes after it end inside a quoted field.
fn last_record_end(data: &[u8]) -> (Option<usize>, bool) {
    if !data.contains(&b'"') {
        let end = data
            .iter()
            .rposition(|b| matches!(b, b'\n' | b'\r'))
            .map(|p| p + 1);
        return (end, false);
    }
    let mut state = Scan::RecordStart;
    let mut end = None;
    for (i, &b) in data.iter().enumerate() {
        let term = b == b'\n' || b == b'\r';
        state = match state {
            Scan::RecordStart | Scan::FieldStart if b == b'"' => Scan::InQuoted,
            Scan::RecordStart | Scan::FieldStart | Scan::InField | Scan::QuoteInQuoted if term => {
                end = Some(i + 1);
                Scan::RecordStart
            }
            Scan::RecordStart | Scan::FieldStart | Scan::InField | Scan::QuoteInQuoted
                if b == b',' =>
            {
                Scan::FieldStart
            }
            Scan::InQuoted if b == b'"' => Scan::QuoteInQuoted,
            Scan::InQuoted => Scan::InQuoted,
            Scan::QuoteInQuoted if b == b'"' => Scan::InQuoted,
            _ => Scan::InField,
        };
    }
    (end, state == Scan::InQuoted)
}

/// Cuts a byte stream (positioned at a record start) into blocks of whole records.
pub struct BlockReader<R> {
    inner: R,
    buf: Vec<u8>,
    line: u64,
    seq: u64,
    eof: bool,
    block_bytes: usize,
    max_record: usize,
}

impl<R: Read> BlockReader<R> {
    /// `pending` holds bytes already read from `inner` (after the header); `first_line`
    /// is the line its first byte is on.
    pub fn new(inner: R, pending: Vec<u8>, first_line: u64) -> Self {
        BlockReader {
            inner,
            buf: pending,
            line: first_line,
            seq: 0,
            eof: false,
            block_bytes: BLOCK_BYTES,
            max_record: MAX_RECORD_BYTES,
        }
    }

    /// Other sizes (tests use tiny blocks so that records straddle them).
    pub fn with_sizes(mut self, block_bytes: usize, max_record: usize) -> Self {
        self.block_bytes = block_bytes.max(1);
        self.max_record = max_record.max(1);
        self
    }

    fn fill(&mut self, want: usize) -> Result<(), BlockError> {
        while self.buf.len() < want && !self.eof {
            // Read straight into the buffer's spare room (no second copy).
            let len = self.buf.len();
            let step = (want - len).clamp(1, 1 << 20);
            self.buf.resize(len + step, 0);
            let n = loop {
                match self.inner.read(&mut self.buf[len..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let n = n.map_err(|source| {
                self.buf.truncate(len);
                BlockError::Io {
                    line: self.line,
                    source,
                }
            })?;
            self.buf.truncate(len + n);
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }

    /// The next block, or `None` at the end of the input.
    pub fn next_block(&mut self) -> Result<Option<Block>, BlockError> {
        let mut want = self.block_bytes;
        let cut = loop {
            self.fill(want)?;
            if self.eof {
                break self.buf.len();
            }
            match last_record_end(&self.buf) {
                (Some(end), _) => break end,
                (None, in_quotes) if self.buf.len() > self.max_record => {
                    return Err(BlockError::Unterminated {
                        line: self.line,
                        bytes: self.buf.len(),
                        limit: self.max_record,
                        in_quotes,
                    })
                }
                // One record so far, under the limit: read on until it ends.
                (None, _) => want = self.buf.len() + self.block_bytes.min(self.max_record),
            }
        };
        if cut == 0 {
            return Ok(None);
        }
        let rest = self.buf.split_off(cut);
        let data = std::mem::replace(&mut self.buf, rest);
        let block = Block {
            seq: self.seq,
            first_line: self.line,
            data,
        };
        self.line += block.data.iter().filter(|b| **b == b'\n').count() as u64;
        self.seq += 1;
        Ok(Some(block))
    }
}

/// [`for_each_record`] of a block without quotes or CRs: lines and fields found in one
/// pass over the bytes, where splitting lines and then each line's fields went over every
/// byte twice.
fn split_plain<'a>(
    block: &'a [u8],
    first_line: u64,
    max_record: usize,
    fields: &mut Vec<&'a [u8]>,
    f: &mut impl FnMut(u64, Result<&[&[u8]], RecordTooLong>),
) {
    let mut line = first_line;
    let (mut record, mut field) = (0, 0);
    fields.clear();
    let mut end_record = |end: usize, record: usize, field: usize, fields: &mut Vec<&'a [u8]>| {
        if end > record {
            if end - record > max_record {
                f(
                    line,
                    Err(RecordTooLong {
                        bytes: end - record,
                        limit: max_record,
                    }),
                );
            } else {
                fields.push(&block[field..end]);
                f(line, Ok(fields.as_slice()));
            }
        }
        fields.clear();
        line += 1;
    };
    for (at, b) in block.iter().enumerate() {
        match *b {
            // A record over the bound keeps none of its fields (its line still ends).
            b',' if at - record <= max_record => {
                fields.push(&block[field..at]);
                field = at + 1;
            }
            b'\n' => {
                end_record(at, record, field, fields);
                record = at + 1;
                field = at + 1;
            }
            _ => {}
        }
    }
    end_record(block.len(), record, field, fields);
}

/// Call `f(line, fields)` for every record of a block, in order; a record over
/// `max_record` bytes comes as `Err` instead of its fields. Blank lines are no records.
pub fn for_each_record(
    block: &[u8],
    first_line: u64,
    max_record: usize,
    mut f: impl FnMut(u64, Result<&[&[u8]], RecordTooLong>),
) {
    let too_long = |bytes: usize| RecordTooLong {
        bytes,
        limit: max_record,
    };
    if !block.contains(&b'"') {
        let mut fields: Vec<&[u8]> = Vec::with_capacity(16);
        fn emit<'a>(
            line: u64,
            raw: &'a [u8],
            fields: &mut Vec<&'a [u8]>,
            max_record: usize,
            f: &mut impl FnMut(u64, Result<&[&[u8]], RecordTooLong>),
        ) {
            if raw.len() > max_record {
                f(
                    line,
                    Err(RecordTooLong {
                        bytes: raw.len(),
                        limit: max_record,
                    }),
                );
                return;
            }
            fields.clear();
            fields.extend(raw.split(|b| *b == b','));
            f(line, Ok(fields.as_slice()));
        }
        // Most files have no CR at all, or only before LF: look inside lines only then.
        let has_cr = block.contains(&b'\r');
        if !has_cr {
            split_plain(block, first_line, max_record, &mut fields, &mut f);
            return;
        }
        for (k, raw) in block.split(|b| *b == b'\n').enumerate() {
            let line = first_line + k as u64;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.is_empty() {
                continue;
            }
            if has_cr && raw.contains(&b'\r') {
                // A lone CR ends a record too (the `csv` crate's rule).
                for part in raw.split(|b| *b == b'\r').filter(|p| !p.is_empty()) {
                    emit(line, part, &mut fields, max_record, &mut f);
                }
            } else {
                emit(line, raw, &mut fields, max_record, &mut f);
            }
        }
        return;
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(block);
    let mut rec = csv::ByteRecord::new();
    let (mut counted_to, mut line) = (0usize, first_line);
    // Reading from a slice cannot fail, and with `flexible` no record is refused.
    while let Ok(true) = rdr.read_byte_record(&mut rec) {
        // The record starts after the line ends the reader skipped before it.
        let mut start = rec
            .position()
            .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX))
            .min(block.len());
        while block.get(start).is_some_and(|b| matches!(b, b'\n' | b'\r')) {
            start += 1;
        }
        if start > counted_to {
            line += block
                .get(counted_to..start)
                .map_or(0, |s| s.iter().filter(|b| **b == b'\n').count())
                as u64;
            counted_to = start;
        }
        let end = usize::try_from(rdr.position().byte()).unwrap_or(usize::MAX);
        let bytes = end.saturating_sub(start);
        if bytes > max_record {
            f(line, Err(too_long(bytes)));
            continue;
        }
        let fields: Vec<&[u8]> = rec.iter().collect();
        f(line, Ok(&fields));
    }
}

/// How many records a block holds (as [`for_each_record`] reads them: blank lines are
/// none, a record over the limit is one).
pub fn count_records(block: &[u8]) -> u64 {
    let mut n = 0u64;
    for_each_record(block, 1, usize::MAX, |_, _| n += 1);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_only_outside_quotes() {
        assert_eq!(last_record_end(b"a,b\nc,d"), (Some(4), false));
        assert_eq!(last_record_end(b"a,\"b\nc\",d\ne"), (Some(10), false));
        assert_eq!(last_record_end(b"a,\"b\nc"), (None, true));
        assert_eq!(last_record_end(b"x\na\"b\nc"), (Some(6), false));
        assert_eq!(last_record_end(b"\"a\"\"\n\"\n"), (Some(7), false));
        assert_eq!(last_record_end(b"\"a\"x\ny"), (Some(5), false));
    }

    #[test]
    fn counts_records_not_lines() {
        assert_eq!(count_records(b"a,b\n\nc,d\r\n"), 2);
        assert_eq!(count_records(b"a,\"b\nc\"\nd"), 2);
        assert_eq!(count_records(b""), 0);
    }
}
