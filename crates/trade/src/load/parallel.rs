//! CSV files read by several threads. The file is cut into blocks of whole records (the
//! batch check's reader, `embargo_records::blocks`, which honours CSV quoting across block
//! ends); workers split and map the records of a block into a [`RowSink`] of their own
//! (records, or the store's Arrow builders); the caller's thread takes the blocks back in file order, so that rows keep
//! their order, a malformed row is reported and counted exactly as the one-thread loader
//! does (file, line, field; the same allowance), and the sink sees rows in order.
//!
//! With one thread this is also the loader of every CSV read from a stream
//! (`load::load_stream` tells JSON, which has a loader of its own, from CSV).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};

use embargo_records::blocks::{for_each_record, Block, BlockReader, BLOCK_BYTES, MAX_RECORD_BYTES};

use super::cells::RowSink;
use super::{csv_headers, csv_layout, Accumulator, CsvLayout, LoadOptions, LoadReport, Row};
use crate::error::{Location, TradeError};

/// One block, parsed and converted.
struct Parsed<T> {
    rows_read: u64,
    loaded: u64,
    out: Option<T>,
    bad: Vec<(Location, String, String)>,
}

/// Loads `path` with `threads` workers in blocks of about `block_bytes` (at least
/// [`BLOCK_BYTES`]). Each worker maps a block's records into a sink made by `rows`; `sink`
/// receives what each block came to, in file order, with its row count. The report has no
/// `records`; `loaded` counts them.
pub fn stream_path_parallel<S: RowSink>(
    path: &Path,
    opts: &LoadOptions,
    threads: usize,
    block_bytes: usize,
    rows: &(dyn Fn() -> S + Sync),
    sink: &mut dyn FnMut(S::Out, u64) -> Result<(), TradeError>,
) -> Result<LoadReport, TradeError> {
    stream_blocks(
        path,
        opts,
        threads,
        block_bytes.max(BLOCK_BYTES),
        rows,
        sink,
    )
}

/// [`stream_path_parallel`] with blocks of any size (tests cut tiny blocks so that
/// records straddle them).
fn stream_blocks<S: RowSink>(
    path: &Path,
    opts: &LoadOptions,
    threads: usize,
    block_bytes: usize,
    rows: &(dyn Fn() -> S + Sync),
    sink: &mut dyn FnMut(S::Out, u64) -> Result<(), TradeError>,
) -> Result<LoadReport, TradeError> {
    let file = std::fs::File::open(path).map_err(|e| TradeError::io(path, e))?;
    let name = path.display().to_string();
    super::load_stream(&name, file, opts, threads, block_bytes, rows, sink)
}

/// Reads CSV from `reader`, whose first bytes (`head`) were already read, in blocks.
#[allow(clippy::too_many_arguments)]
pub(crate) fn csv_blocks<R: Read + Send, S: RowSink>(
    name: &str,
    reader: R,
    head: Vec<u8>,
    opts: &LoadOptions,
    threads: usize,
    block_bytes: usize,
    rows: &(dyn Fn() -> S + Sync),
    sink: &mut dyn FnMut(S::Out, u64) -> Result<(), TradeError>,
) -> Result<LoadReport, TradeError> {
    let name = name.to_string();
    let mut blocks = BlockReader::new(reader, head, 1).with_sizes(block_bytes, MAX_RECORD_BYTES);
    let Some(first) = blocks.next_block().map_err(|e| block_error(&name, e))? else {
        return Err(TradeError::Format {
            file: name,
            message: "the file is empty (no header, no rows)".into(),
        });
    };
    // The header is the first record of the first block.
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(first.data.as_slice());
    let headers = csv_headers(&name, &mut rdr)?;
    let header_end = usize::try_from(rdr.position().byte()).unwrap_or(first.data.len());
    let first_line = rdr.position().line();
    let layout = csv_layout(&name, &headers, opts)?;
    let rest = Block {
        seq: first.seq,
        first_line,
        data: first.data.get(header_end..).unwrap_or_default().to_vec(),
    };
    let queue = Mutex::new((Some(rest), blocks));
    let stop = AtomicBool::new(false);
    let mut acc = Accumulator::new(&name, layout.format, opts, None);
    std::thread::scope(|scope| -> Result<(), TradeError> {
        let (tx, rx) = mpsc::sync_channel::<Sequenced<S::Out>>(threads.max(1) * 2);
        for _ in 0..threads.max(1) {
            let tx = tx.clone();
            let (queue, stop, layout, name) = (&queue, &stop, &layout, &name);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let next = match queue.lock() {
                        Ok(mut q) => match q.0.take() {
                            Some(b) => Ok(Some(b)),
                            None => q.1.next_block().map_err(|e| block_error(name, e)),
                        },
                        Err(_) => Err(TradeError::Query("the block reader is poisoned".into())),
                    };
                    // A reader error comes after every block handed out before it.
                    let parsed = match next {
                        Ok(Some(block)) => (block.seq, parse_block(name, &block, layout, rows())),
                        Ok(None) => break,
                        Err(e) => (u64::MAX, Err(e)),
                    };
                    let failed = parsed.1.is_err();
                    if tx.send(parsed).is_err() || failed {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let collected = collect(rx, &mut acc, sink);
        // Workers stop at their next block once the collector has returned.
        stop.store(true, Ordering::Relaxed);
        collected
    })?;
    acc.finish()
}

/// A block's place in the file, and what became of it.
type Sequenced<T> = (u64, Result<Parsed<T>, TradeError>);

/// Takes parsed blocks back in file order and hands them on; the first failure in file
/// order is the one reported, as with one thread.
fn collect<T>(
    rx: mpsc::Receiver<Sequenced<T>>,
    acc: &mut Accumulator<'_>,
    sink: &mut dyn FnMut(T, u64) -> Result<(), TradeError>,
) -> Result<(), TradeError> {
    let mut waiting: BTreeMap<u64, Result<Parsed<T>, TradeError>> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, parsed) in rx {
        waiting.insert(seq, parsed);
        while let Some(p) = waiting.remove(&next) {
            let p = p?;
            acc.report.rows_read += p.rows_read;
            for (at, field, message) in p.bad {
                acc.bad(at, field, message)?;
            }
            acc.report.loaded += p.loaded;
            if let Some(out) = p.out {
                sink(out, p.loaded)?;
            }
            next += 1;
        }
    }
    // Left over: a reader error after the last block, or a block that never came back.
    match waiting.pop_first() {
        None => Ok(()),
        Some((_, Err(e))) => Err(e),
        Some((seq, Ok(_))) => Err(TradeError::Query(format!(
            "block {next} of the file was not read (block {seq} was); nothing was imported"
        ))),
    }
}

fn parse_block<S: RowSink>(
    name: &str,
    block: &Block,
    layout: &CsvLayout,
    mut out: S,
) -> Result<Parsed<S::Out>, TradeError> {
    let mut loaded = 0u64;
    let mut bad = Vec::new();
    let mut rows_read = 0u64;
    let mut too_long = None;
    let mut failed = None;
    // A block that is UTF-8 throughout (nearly every one) is checked once; the fields
    // sliced from it need a check of their ends only. Fields not in it (unquoted into a
    // buffer of their own) or in a block that is not are checked one by one.
    let whole = std::str::from_utf8(&block.data).ok();
    let base = block.data.as_ptr() as usize;
    let in_block = |f: &[u8]| -> Option<&str> {
        let start = (f.as_ptr() as usize).checked_sub(base)?;
        let text = whole?.get(start..start.checked_add(f.len())?)?;
        (text.as_ptr() == f.as_ptr()).then_some(text)
    };
    let mut in_text: Vec<&str> = Vec::with_capacity(64);
    for_each_record(
        &block.data,
        block.first_line,
        MAX_RECORD_BYTES,
        |line, fields| {
            rows_read += 1;
            let at = Location::Line(line);
            let fields = match fields {
                Ok(f) => f,
                Err(e) => {
                    // Not a row to skip: a file with such a record is not a trade file.
                    too_long.get_or_insert((line, e));
                    return;
                }
            };
            // The fields of a row in a UTF-8 block go in one vector kept from row to row;
            // others are checked one by one into a vector of their own.
            in_text.clear();
            for f in fields {
                match in_block(f) {
                    Some(t) => in_text.push(t),
                    None => break,
                }
            }
            let own: Vec<&str>;
            let text: &[&str] = if in_text.len() == fields.len() {
                &in_text
            } else {
                match fields.iter().map(|f| std::str::from_utf8(f)).collect() {
                    Ok(t) => {
                        own = t;
                        &own
                    }
                    Err(_) => {
                        bad.push((at, "(row)".to_string(), "the row is not valid UTF-8".into()));
                        return;
                    }
                }
            };
            let row = Row::Fields {
                fields: text,
                cols: &layout.cols,
            };
            match (layout.mapper)(&row, &layout.ctx) {
                Ok(cells) if failed.is_none() => match out.push(&cells) {
                    Ok(()) => loaded += 1,
                    Err(e) => failed = Some(e),
                },
                Ok(_) => {}
                Err((field, message)) => bad.push((at, field, message)),
            }
        },
    );
    if let Some((line, e)) = too_long {
        return Err(TradeError::Format {
            file: name.to_string(),
            message: format!("line {line}: {e}"),
        });
    }
    if let Some(e) = failed {
        return Err(e);
    }
    let out = if loaded == 0 {
        None
    } else {
        Some(out.finish()?)
    };
    Ok(Parsed {
        rows_read,
        loaded,
        out,
        bad,
    })
}

fn block_error(name: &str, e: embargo_records::blocks::BlockError) -> TradeError {
    use embargo_records::blocks::BlockError;
    match e {
        BlockError::Io { source, .. } => TradeError::io(name, source),
        BlockError::Unterminated { .. } => TradeError::Format {
            file: name.to_string(),
            message: e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::record::TradeRecord;

    type Outcome = Result<(Vec<TradeRecord>, u64, Vec<String>), String>;

    fn one_thread(path: &Path, opts: &LoadOptions) -> Outcome {
        let mut got = Vec::new();
        let report = super::super::stream_path(path, opts, 7, &mut |chunk| {
            got.extend(chunk);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        let skipped = report.skipped.iter().map(|s| format!("{s:?}")).collect();
        Ok((got, report.rows_read, skipped))
    }

    fn parallel(path: &Path, opts: &LoadOptions, threads: usize, block: usize) -> Outcome {
        let mut got = Vec::new();
        let report = stream_blocks(path, opts, threads, block, &Vec::new, &mut |r, n| {
            assert_eq!(r.len() as u64, n);
            got.extend(r);
            Ok(())
        })
        .map_err(|e| e.to_string())?;
        assert_eq!(report.loaded, got.len() as u64);
        let skipped = report.skipped.iter().map(|s| format!("{s:?}")).collect();
        Ok((got, report.rows_read, skipped))
    }

    /// A row of embargo's plain CSV: good, quoted (commas, quotes, line ends inside the
    /// source), bad (negative value, unknown flow), or a blank line.
    fn row() -> impl Strategy<Value = String> {
        (0u8..6, 1990i32..2030, "[0-9]{2,6}", 0u32..100_000).prop_map(|(kind, year, hs, v)| {
            match kind {
                0 => format!("CN,KP,import,{year},{hs},{v},GAC,GAC,confirmed"),
                1 => format!(
                    "RU,KP,export,{year},{hs},{v},\"a, \"\"quoted\"\"\nsource\",X,confirmed"
                ),
                2 => format!("CN,KP,import,{year},{hs},-{v},GAC,GAC,confirmed"),
                3 => format!("CN,KP,sideways,{year},{hs},{v},GAC,GAC,confirmed"),
                4 => String::new(),
                _ => format!("CN,KP,import,{year}"),
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The parallel reader gives what the one-thread reader gives: the same records
        /// in the same order, the same rows read, the same skipped rows (line and field),
        /// or the same error.
        #[test]
        fn parallel_equals_one_thread(
            rows in proptest::collection::vec(row(), 0..80),
            threads in 1usize..4,
            block in 16usize..400,
            allowance in prop_oneof![Just(0usize), Just(2), Just(1000)],
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("t.csv");
            let body = format!(
                "reporter,partner,flow,year,hs,value_usd,source,series,status\n{}\n",
                rows.join("\n")
            );
            std::fs::write(&path, body).unwrap();
            let opts = LoadOptions { max_bad_rows: allowance, ..Default::default() };
            prop_assert_eq!(parallel(&path, &opts, threads, block), one_thread(&path, &opts));
        }
    }

    #[test]
    fn a_line_number_names_the_bad_row_after_a_quoted_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(
            &path,
            "reporter,partner,flow,year,hs,value_usd,source,series,status\n\
             CN,KP,import,2017,2701,5,\"two\nlines\",GAC,confirmed\n\
             CN,KP,import,2017,2701,-5,GAC,GAC,confirmed\n",
        )
        .unwrap();
        let err = parallel(&path, &LoadOptions::default(), 2, 16).unwrap_err();
        assert!(err.contains("line 4"), "{err}");
        assert!(err.contains("`-5` is negative"), "{err}");
    }
}
