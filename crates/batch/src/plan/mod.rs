//! The batch pipelines as DataFusion plans: the same rows, answers and files as
//! [`crate::check::check_file`] and [`crate::screen::screen_rows`], with the work done
//! wherever the plan runs — this process, or the executors of a Ballista cluster.
//!
//! The client reads the input once, cuts it into blocks of whole records (the reader of
//! the local pipeline) and numbers them: the line of a block's first record (the check)
//! or its row (the screening). A plan over a table of block positions (one partition,
//! hence one task, per block) calls an engine function per block — [`CheckBlockUdf`],
//! [`ScreenBlockUdf`] — which opens the input at the client's path (every node must see
//! it there), reads that block, runs the local pipeline's own block step on it and
//! returns the block's output already encoded in the output format, with its counts and
//! bad rows (and, for a screening, what the caller's ledger keeps). The client puts the
//! blocks back in input order, shows each screened block to its ledger, and writes them
//! through the same sinks, so a result is still delivered whole or not at all.
//!
//! The plan runs in waves of blocks ([`Waves`]): a wave's results arrive when its last
//! task ends, in the order tasks end; the next two waves run while the client writes the
//! last, so the client holds at most three waves' output (compressed) whatever the
//! length of the input. A node that reads another
//! file (another length) or screens with other list versions than the client fails the
//! run instead of answering for another input.
//!
//! This module knows DataFusion, not Ballista: the caller gives it a session, local or
//! one whose plans go to a cluster, built with [`session_config`], and, for a cluster, a
//! [`StopWaves`] that cancels the jobs of waves still running when a run stops early (a
//! closed pipe, a bad row under `--strict`, a failed write): dropping a plan stops its
//! work here, not on the cluster's executors.

mod check;
mod screen;

pub use check::{check_file_on, CheckBlockUdf, CheckOn, CHECK_BLOCK};
pub use screen::{screen_file_on, ScreenBlockUdf, ScreenOn, SCREEN_BLOCK};

use std::collections::VecDeque;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StructArray, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::ScalarUDF;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{col, lit, DataFrame, Expr, SessionConfig, SessionContext};
use embargo_records::blocks::{self, BlockError, BlockReader};

use crate::sink::{Encoded, Format};

/// How a run cuts its input: bytes per block (one task's work, one value of output, sent
/// compressed) and blocks per plan (a wave: the client holds at most three waves' output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waves {
    pub block_bytes: usize,
    pub wave_blocks: usize,
}

impl Waves {
    /// Shipments: 4 MiB blocks (the local pipeline's), 16 to a wave. A block's output
    /// (about 7 MiB of CSV, 25 MiB of JSON lines) stays under a cluster's message limit.
    pub const SHIPMENTS: Waves = Waves {
        block_bytes: 4 << 20,
        wave_blocks: 16,
    };
    /// Names: a name is short and its screening long (every hit with its explanation,
    /// and the ledger's copy), so a block holds fewer bytes.
    pub const NAMES: Waves = Waves {
        block_bytes: 256 << 10,
        wave_blocks: 32,
    };
}

/// The largest block output a client takes back (decompressed).
const MAX_BLOCK_OUTPUT: usize = 1 << 30;

/// The settings of a session that runs batch plans: each block stays its own task and its
/// own function call (no round-robin repartition, no coalescing of blocks into one batch).
pub fn session_config() -> SessionConfig {
    let mut config = SessionConfig::new();
    let options = config.options_mut();
    options.optimizer.enable_round_robin_repartition = false;
    options.execution.coalesce_batches = false;
    config
}

/// Where a block is and what it is: its place in the input, its first line or row, its
/// bytes in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BlockAt {
    pub(crate) seq: u64,
    pub(crate) first: u64,
    pub(crate) offset: u64,
    pub(crate) len: u64,
}

/// The input as every node opens it: an absolute path, and its length when the client
/// cut it.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    pub(crate) path: String,
    pub(crate) len: u64,
}

impl Input {
    pub(crate) fn of(path: &Path) -> std::io::Result<Input> {
        let path = std::fs::canonicalize(path)?;
        let len = std::fs::metadata(&path)?.len();
        Ok(Input {
            path: path.to_string_lossy().into_owned(),
            len,
        })
    }
}

/// On a node: the bytes of one block, refused when the file there is not the one the
/// client cut (another length).
pub(crate) fn read_block(
    path: &str,
    file_len: u64,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| {
        format!("{path}: cannot open: {e} (every node must see the input at this path)")
    })?;
    let here = file.metadata().map_err(|e| format!("{path}: {e}"))?.len();
    if here != file_len {
        return Err(format!(
            "{path}: {here} bytes on this node, {file_len} when the run started: the file \
             changed, or this node sees another file at this path"
        ));
    }
    let len = usize::try_from(len).map_err(|_| format!("{path}: block of {len} bytes"))?;
    let mut data = vec![0u8; len];
    file.seek(SeekFrom::Start(offset))
        .and_then(|_| file.read_exact(&mut data))
        .map_err(|e| format!("{path}: cannot read {len} bytes at {offset}: {e}"))?;
    Ok(data)
}

/// How a run numbers its blocks: by the line of their first record (the check's rows
/// carry lines), or by the row of their first record (a screening's rows carry rows: one
/// per record, whatever lines it spans, blank lines none).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Numbering {
    Lines,
    Rows { next: u64 },
}

/// The blocks of a file after its one-line header (from byte `start`, line 2), cut as the
/// local pipelines cut them, with their positions, a wave at a time.
pub(crate) struct Blocks {
    reader: BlockReader<std::fs::File>,
    offset: u64,
    numbering: Numbering,
    waves: Waves,
}

impl Blocks {
    pub(crate) fn open(
        path: &str,
        start: u64,
        numbering: Numbering,
        waves: Waves,
    ) -> std::io::Result<Blocks> {
        let mut file = std::fs::File::open(path)?;
        file.seek(SeekFrom::Start(start))?;
        Ok(Blocks {
            reader: BlockReader::new(file, Vec::new(), 2)
                .with_sizes(waves.block_bytes, blocks::MAX_RECORD_BYTES),
            offset: start,
            numbering,
            waves,
        })
    }

    /// The next wave's blocks (empty at the end of the file).
    pub(crate) fn next_wave(&mut self) -> Result<Vec<BlockAt>, BlockError> {
        let mut wave = Vec::with_capacity(self.waves.wave_blocks);
        while wave.len() < self.waves.wave_blocks {
            let Some(block) = self.reader.next_block()? else {
                break;
            };
            let first = match &mut self.numbering {
                Numbering::Lines => block.first_line,
                Numbering::Rows { next } => {
                    let first = *next;
                    *next += blocks::count_records(&block.data);
                    first
                }
            };
            let len = block.data.len() as u64;
            wave.push(BlockAt {
                seq: block.seq,
                first,
                offset: self.offset,
                len,
            });
            self.offset += len;
        }
        Ok(wave)
    }
}

/// A wave of blocks as a table: one partition (one task) per block.
pub(crate) fn wave_frame(ctx: &SessionContext, wave: &[BlockAt]) -> DfResult<DataFrame> {
    let schema: SchemaRef = Arc::new(Schema::new(
        ["seq", "first", "offset", "len"]
            .map(|n| Field::new(n, DataType::UInt64, false))
            .to_vec(),
    ));
    let partitions = wave
        .iter()
        .map(|b| {
            let column = |v: u64| Arc::new(UInt64Array::from(vec![v])) as ArrayRef;
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    column(b.seq),
                    column(b.first),
                    column(b.offset),
                    column(b.len),
                ],
            )
            .map(|batch| vec![batch])
        })
        .collect::<Result<Vec<_>, _>>()?;
    ctx.read_table(Arc::new(MemTable::try_new(schema, partitions)?))
}

/// Cancels, wherever they run, the physical plans of the waves a run left running when it
/// stopped early. Given by the caller that knows the cluster (`embargo_cluster`); the run
/// waits for it, so it bounds its own wait on a cluster that does not answer.
pub type StopWaves = Arc<
    dyn Fn(Vec<Arc<dyn ExecutionPlan>>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync,
>;

/// The plan's side of a run: the session, the block function and its arguments beyond a
/// block's position, and what stops waves left running.
#[derive(Clone)]
pub(crate) struct WavePlan {
    pub(crate) ctx: SessionContext,
    pub(crate) udf: ScalarUDF,
    pub(crate) input: Input,
    pub(crate) more: Vec<Expr>,
    pub(crate) stop: Option<StopWaves>,
}

/// A wave's physical plan, once made (what [`StopWaves`] is given).
type Planned = Arc<Mutex<Option<Arc<dyn ExecutionPlan>>>>;

/// How many waves a run keeps submitted while it delivers: the next one's submission and
/// scheduling (a job each) overlap the one running, so the nodes do not wait for it.
const WAVES_IN_FLIGHT: usize = 2;

/// Runs the waves `next_wave` gives (until an empty one) and hands every block's result
/// to `deliver`, in input order. While the client delivers a wave, the next
/// [`WAVES_IN_FLIGHT`] run, so the nodes wait neither for the client's writes nor for a
/// job's scheduling.
pub(crate) async fn run_waves<E>(
    plan: &WavePlan,
    mut next_wave: impl FnMut() -> Result<Vec<BlockAt>, E>,
    mut deliver: impl FnMut(&BlockAt, &StructArray) -> Result<(), E>,
    engine: impl Fn(DataFusionError) -> E,
) -> Result<(), E> {
    type Running = (
        Planned,
        tokio::task::JoinHandle<DfResult<Vec<(u64, StructArray)>>>,
    );
    let start = |wave: Vec<BlockAt>| -> (Vec<BlockAt>, Running) {
        let plan = plan.clone();
        let blocks = wave.clone();
        let planned = Planned::default();
        let made = planned.clone();
        (
            wave,
            (
                planned,
                tokio::spawn(async move { run_wave(&plan, &blocks, &made).await }),
            ),
        )
    };
    let mut input_ended = false;
    let mut fill = |running: &mut VecDeque<(Vec<BlockAt>, Running)>| -> Result<(), E> {
        while !input_ended && running.len() < WAVES_IN_FLIGHT {
            let wave = next_wave()?;
            if wave.is_empty() {
                input_ended = true;
            } else {
                running.push_back(start(wave));
            }
        }
        Ok(())
    };
    let mut running = VecDeque::new();
    let result = loop {
        if let Err(e) = fill(&mut running) {
            break Err(e);
        }
        let Some((wave, (_, task))) = running.pop_front() else {
            break Ok(());
        };
        let results = match task.await {
            Ok(Ok(results)) => results,
            Ok(Err(e)) => break Err(engine(e)),
            Err(e) => break Err(engine(internal(&format!("a wave's task failed: {e}")))),
        };
        // The next waves start before this one is written.
        if let Err(e) = fill(&mut running) {
            break Err(e);
        }
        if let Some(e) = wave
            .iter()
            .zip(&results)
            .find_map(|(at, (_, out))| deliver(at, out).err())
        {
            break Err(e);
        }
    };
    // Waves still running: the run stopped early. Their jobs are cancelled where they run
    // (when the caller said how) while their tasks still run, so that a job being
    // submitted gets the id its cancellation needs; then the tasks stop.
    let left: Vec<_> = running
        .iter()
        .filter_map(|(_, (planned, _))| planned.lock().ok().and_then(|p| p.clone()))
        .collect();
    if let (Some(stop), false) = (&plan.stop, left.is_empty()) {
        stop(left).await;
    }
    for (_, (_, task)) in running {
        task.abort();
    }
    result
}

/// `SELECT seq, f(path, file_len, first, offset, len, more...) FROM wave`, run; the
/// results by block, in input order.
async fn run_wave(
    plan: &WavePlan,
    wave: &[BlockAt],
    planned: &Planned,
) -> DfResult<Vec<(u64, StructArray)>> {
    let (ctx, udf, input) = (&plan.ctx, &plan.udf, &plan.input);
    let mut args = vec![
        lit(input.path.clone()),
        lit(input.len),
        col("first"),
        col("offset"),
        col("len"),
    ];
    args.extend(plan.more.iter().cloned());
    let frame = wave_frame(ctx, wave)?.select(vec![col("seq"), udf.call(args).alias("out")])?;
    let task = Arc::new(frame.task_ctx());
    let physical = frame.create_physical_plan().await?;
    if let Ok(mut p) = planned.lock() {
        *p = Some(physical.clone());
    }
    let mut results = Vec::with_capacity(wave.len());
    for batch in datafusion::physical_plan::collect(physical, task).await? {
        let seqs = batch
            .column(0)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| internal("block numbers are not UInt64"))?
            .clone();
        let outs = batch
            .column(1)
            .as_any()
            .downcast_ref::<StructArray>()
            .ok_or_else(|| internal("a block's result is not a struct"))?
            .clone();
        for i in 0..batch.num_rows() {
            results.push((seqs.value(i), outs.slice(i, 1)));
        }
    }
    results.sort_by_key(|(seq, _)| *seq);
    let expected: Vec<u64> = wave.iter().map(|b| b.seq).collect();
    let got: Vec<u64> = results.iter().map(|(s, _)| *s).collect();
    if got != expected {
        return Err(internal(&format!(
            "blocks {expected:?} sent, results for {got:?} received"
        )));
    }
    Ok(results)
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Internal(format!("batch plan: {what}"))
}

/// A block's output as bytes to send: text as it is, a table as an Arrow IPC stream,
/// LZ4-compressed (verdict text repeats itself: the shuffle files and the transfer shrink
/// several times over).
pub(crate) fn output_bytes(blocks: Vec<Encoded>) -> DfResult<Vec<u8>> {
    // One piece of text (a block's CSV or JSON lines) is compressed where it lies.
    if let [Encoded::Text(t)] = blocks.as_slice() {
        return Ok(lz4_flex::compress_prepend_size(t));
    }
    let mut text = Vec::new();
    let mut tables = Vec::new();
    for b in blocks {
        match b {
            Encoded::Text(t) => text.extend_from_slice(&t),
            Encoded::Table(t) => tables.push(t),
        }
    }
    if let Some(first) = tables.first() {
        let mut writer = StreamWriter::try_new(&mut text, &first.schema())?;
        for t in &tables {
            writer.write(t)?;
        }
        writer.finish()?;
    }
    Ok(lz4_flex::compress_prepend_size(&text))
}

/// The output of a block, back from [`output_bytes`].
pub(crate) fn output_blocks(format: Format, sent: &[u8]) -> DfResult<Vec<Encoded>> {
    let size = sent
        .first_chunk::<4>()
        .map(|n| u32::from_le_bytes(*n) as usize)
        .ok_or_else(|| internal("a block's output is cut"))?;
    if size > MAX_BLOCK_OUTPUT {
        return Err(internal(&format!("a block's output claims {size} bytes")));
    }
    let bytes = lz4_flex::decompress_size_prepended(sent)
        .map_err(|e| internal(&format!("a block's output cannot be read: {e}")))?;
    match format {
        Format::Parquet => StreamReader::try_new(bytes.as_slice(), None)?
            .map(|t| t.map(Encoded::Table).map_err(DataFusionError::from))
            .collect(),
        Format::Csv | Format::Jsonl => Ok(vec![Encoded::Text(bytes)]),
    }
}

/// A field of a result struct (one row) by name.
pub(crate) fn field<'a, T: 'static>(out: &'a StructArray, name: &str) -> DfResult<&'a T> {
    out.column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<T>())
        .ok_or_else(|| internal(&format!("result field {name} missing")))
}

/// The one value of a UInt64 field of a one-row result.
pub(crate) fn count(out: &StructArray, name: &str) -> DfResult<u64> {
    let a = field::<UInt64Array>(out, name)?;
    (a.len() == 1 && !a.is_null(0))
        .then(|| a.value(0))
        .ok_or_else(|| internal(&format!("result field {name} empty")))
}

/// An argument of a block function, row `i`, as a number.
pub(crate) fn u64_at(a: &ArrayRef, i: usize, what: &str) -> DfResult<u64> {
    let a = a
        .as_any()
        .downcast_ref::<UInt64Array>()
        .ok_or_else(|| internal(&format!("{what} is not UInt64")))?;
    Ok(a.value(i))
}

/// An argument of a block function, row `i`, as text.
pub(crate) fn text_at(a: &ArrayRef, i: usize, what: &str) -> DfResult<String> {
    use datafusion::arrow::array::StringArray;
    let a = a
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| internal(&format!("{what} is not text")))?;
    Ok(a.value(i).to_string())
}

/// A format by its name (`csv`, `jsonl`, `parquet`), for a function's argument.
pub(crate) fn format_named(name: &str) -> DfResult<Format> {
    [Format::Csv, Format::Jsonl, Format::Parquet]
        .into_iter()
        .find(|f| f.as_str() == name)
        .ok_or_else(|| internal(&format!("no output format {name:?}")))
}
