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
//! encodes the block's output in the output format. It returns the output (compressed)
//! with the block's counts and bad rows (and, for a screening, what the caller's ledger
//! keeps) — or, for the check, leaves the output as a file in a directory the client
//! made for the run, when the node sees it (`Parts`), and returns its length. The
//! client puts the blocks back in input order, shows each screened block to its ledger,
//! and writes them through the same sinks, so a result is still delivered whole or not
//! at all.
//!
//! The plan runs in waves of blocks ([`Waves`]): a wave's results arrive when its last
//! task ends, in the order tasks end; the next two waves run while the client writes the
//! last, so the client holds at most three waves' output (compressed, or as files) whatever
//! the length of the input. A node that reads another file (another length) or screens
//! with other list versions than the client fails the run instead of answering for
//! another input.
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
use std::path::{Path, PathBuf};
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

/// A block's output as one piece of bytes: text as it is, a table as an Arrow IPC stream.
fn output_plain(blocks: Vec<Encoded>) -> DfResult<Vec<u8>> {
    let mut blocks = blocks;
    if let [Encoded::Text(_)] = blocks.as_slice() {
        if let Some(Encoded::Text(t)) = blocks.pop() {
            return Ok(t);
        }
    }
    let mut text = Vec::new();
    let mut tables = Vec::new();
    for b in blocks {
        match b {
            Encoded::Text(t) => text.extend_from_slice(&t),
            Encoded::TextFile(mut f) => {
                f.read_to_end(&mut text)
                    .map_err(|e| internal(&format!("a block's output: {e}")))?;
            }
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
    Ok(text)
}

/// A block's output as bytes to send back, LZ4-compressed (verdict text repeats itself:
/// the result files and the transfer shrink several times over).
pub(crate) fn output_bytes(blocks: Vec<Encoded>) -> DfResult<Vec<u8>> {
    Ok(lz4_flex::compress_prepend_size(&output_plain(blocks)?))
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
    plain_blocks(format, bytes)
}

/// The output of a block from [`output_plain`]'s bytes.
fn plain_blocks(format: Format, bytes: Vec<u8>) -> DfResult<Vec<Encoded>> {
    match format {
        Format::Parquet => StreamReader::try_new(bytes.as_slice(), None)?
            .map(|t| t.map(Encoded::Table).map_err(DataFusionError::from))
            .collect(),
        Format::Csv | Format::Jsonl => Ok(vec![Encoded::Text(bytes)]),
    }
}

/// The file in a parts directory that says which run it is for.
const PARTS_RUN_FILE: &str = "run";

/// Where the nodes of a run leave each block's output for the client, instead of sending
/// it back: a directory made by the client beside the output file, or, when the output is
/// not a file (standard output, a URL) or its directory cannot be written, beside the
/// input, which every node sees already (`.NAME.parts-ID`). Its file `run` holds the
/// run's random ID. A node that finds that file with that ID sees the client's directory
/// (the same file system at the same path: a shared mount, or the client's own machine)
/// and writes its blocks there, a file per block under a temporary name renamed when
/// whole; the client checks each file's length against the node's count, copies it to
/// the output (in the kernel, where the output is a file or a pipe) and removes it, so
/// the directory holds at most the blocks of the waves in flight. A node that does not
/// see it sends its blocks back, compressed, in its result. The directory goes when the
/// run ends, however it ends (short of the client being killed).
pub(crate) struct Parts {
    dir: PathBuf,
    id: String,
}

impl Parts {
    /// The parts directory of a run, in the first of `near`'s directories where one can
    /// be made, named after that file; `None` when none can (then every block comes back
    /// in the results).
    pub(crate) fn make(near: &[&Path]) -> Option<Parts> {
        near.iter().find_map(|file| Parts::beside(file))
    }

    fn beside(file: &Path) -> Option<Parts> {
        let name = file.file_name()?.to_string_lossy().into_owned();
        let parent = file.parent().filter(|p| !p.as_os_str().is_empty());
        let parent = std::fs::canonicalize(parent.unwrap_or(Path::new("."))).ok()?;
        let id = run_id();
        let dir = parent.join(format!(".{name}.parts-{id}"));
        std::fs::create_dir(&dir).ok()?;
        // From here on, Drop removes the directory if the run file cannot be written.
        let parts = Parts { dir, id };
        std::fs::write(parts.dir.join(PARTS_RUN_FILE), &parts.id).ok()?;
        Some(parts)
    }

    /// The block function's arguments that name the directory and the run (empty texts:
    /// no directory, every block comes back).
    pub(crate) fn args(parts: Option<&Parts>) -> [Expr; 2] {
        match parts {
            Some(p) => [lit(p.dir.to_string_lossy().into_owned()), lit(p.id.clone())],
            None => [lit(""), lit("")],
        }
    }

    /// The output a node left as `name`, `len` bytes long, taken out of the directory.
    pub(crate) fn take(&self, name: &str, len: u64, format: Format) -> DfResult<Vec<Encoded>> {
        let fail = |what: String| internal(&format!("{}: {what}", self.dir.display()));
        if name.is_empty() || name.contains(['/', '\\']) || name == PARTS_RUN_FILE {
            return Err(fail(format!("a node named its block {name:?}")));
        }
        let path = self.dir.join(name);
        let mut file = std::fs::File::open(&path)
            .map_err(|e| fail(format!("the block a node left as {name}: {e}")))?;
        let here = file
            .metadata()
            .map_err(|e| fail(format!("{name}: {e}")))?
            .len();
        if here != len {
            return Err(fail(format!(
                "the block a node left as {name} holds {here} bytes, the node wrote {len}"
            )));
        }
        // Open, the file stays readable after its name is gone.
        std::fs::remove_file(&path).map_err(|e| fail(format!("{name}: {e}")))?;
        match format {
            Format::Csv | Format::Jsonl => Ok(vec![Encoded::TextFile(file)]),
            Format::Parquet => {
                if len > MAX_BLOCK_OUTPUT as u64 {
                    return Err(fail(format!("{name}: a block's output of {len} bytes")));
                }
                let mut bytes = Vec::with_capacity(len as usize);
                file.read_to_end(&mut bytes)
                    .map_err(|e| fail(format!("{name}: {e}")))?;
                plain_blocks(format, bytes)
            }
        }
    }
}

impl Drop for Parts {
    fn drop(&mut self) {
        // A node's block being renamed into place as the run stops can make the first
        // removal find the directory not empty.
        for _ in 0..3 {
            if std::fs::remove_dir_all(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

/// A run's id: 128 bits from the standard library's randomly keyed hasher, in hex.
fn run_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut words = [0u64; 2];
    for (i, word) in words.iter_mut().enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.write_usize(i);
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        *word = h.finish();
    }
    format!("{:016x}{:016x}", words[0], words[1])
}

/// On a node: whether it sees the run's parts directory `dir` (its `run` file holds
/// `id`), so that it can leave its blocks there.
pub(crate) fn sees_parts(dir: &str, id: &str) -> bool {
    !dir.is_empty()
        && !id.is_empty()
        && std::fs::read(Path::new(dir).join(PARTS_RUN_FILE))
            .is_ok_and(|held| held == id.as_bytes())
}

/// On a node: leaves a block's output (as [`output_plain`] puts it) in the parts
/// directory `dir` as `name`; the bytes written.
pub(crate) fn leave_part(dir: &str, name: &str, blocks: Vec<Encoded>) -> DfResult<u64> {
    let dir = Path::new(dir);
    let bytes = output_plain(blocks)?;
    let fail =
        |what: String| DataFusionError::Execution(format!("{}: {what}", dir.join(name).display()));
    let tmp = dir.join(format!("{name}.tmp-{}", run_id()));
    if let Err(e) = std::fs::write(&tmp, &bytes) {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(format!("cannot write a block's output: {e}")));
    }
    std::fs::rename(&tmp, dir.join(name)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(format!("cannot rename a block's output into place: {e}"))
    })?;
    Ok(bytes.len() as u64)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn parts_go_beside_the_first_file_whose_directory_takes_them() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("ships.csv");
        std::fs::write(&input, "id\n").unwrap();
        let nowhere = dir.path().join("no such dir").join("out.csv");
        let parts = Parts::make(&[&nowhere, &input]).unwrap();
        let name = parts
            .dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        assert!(name.starts_with(".ships.csv.parts-"), "{name}");
        assert_eq!(
            parts.dir.parent().unwrap(),
            dir.path().canonicalize().unwrap()
        );
        assert_eq!(parts.id.len(), 32);
        assert_eq!(
            std::fs::read_to_string(parts.dir.join("run")).unwrap(),
            parts.id
        );
        let [d, i] = Parts::args(Some(&parts));
        assert_eq!(d, lit(parts.dir.to_string_lossy().into_owned()));
        assert_eq!(i, lit(parts.id.clone()));
        assert!(sees_parts(&parts.dir.to_string_lossy(), &parts.id));
        assert!(!sees_parts(&parts.dir.to_string_lossy(), "another run"));
        assert!(!sees_parts("", ""));
        // Two runs beside the same file do not share a directory.
        let other = Parts::make(&[&input]).unwrap();
        assert_ne!(other.dir, parts.dir);
        drop(parts);
        drop(other);
        assert_eq!(entries(dir.path()), ["ships.csv"]);
        assert!(Parts::make(&[&nowhere]).is_none());
    }

    #[test]
    fn a_part_is_taken_whole_once_and_the_directory_goes_with_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("verdicts.csv");
        let parts = Parts::make(&[&out]).unwrap();
        let at = parts.dir.to_string_lossy().into_owned();
        let text = b"2,coal,2701,KP,CN,2017-09-15,prohibited\n".to_vec();
        let n = leave_part(&at, "54", vec![Encoded::Text(text.clone())]).unwrap();
        assert_eq!(n, text.len() as u64);
        // Written under a temporary name, renamed whole: only the block and `run`.
        assert_eq!(entries(&parts.dir), ["54", "run"]);

        let short = parts
            .take("54", n + 1, Format::Csv)
            .unwrap_err()
            .to_string();
        assert!(
            short.contains(&format!("holds {n} bytes, the node wrote {}", n + 1)),
            "{short}"
        );
        for bad in ["", "run", "../x", "a/b"] {
            let e = parts.take(bad, 1, Format::Csv).unwrap_err().to_string();
            assert!(e.contains("a node named its block"), "{bad}: {e}");
        }
        let taken = parts.take("54", n, Format::Csv).unwrap();
        let [Encoded::TextFile(mut file)] = <[Encoded; 1]>::try_from(taken).unwrap() else {
            panic!("not a text file");
        };
        let mut back = Vec::new();
        file.read_to_end(&mut back).unwrap();
        assert_eq!(back, text);
        assert_eq!(entries(&parts.dir), ["run"]);
        assert!(parts.take("54", n, Format::Csv).is_err());

        // A table travels as an Arrow stream and comes back as the same table.
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(vec![Field::new(
                "line",
                DataType::UInt64,
                false,
            )])),
            vec![Arc::new(UInt64Array::from(vec![2, 3, 5]))],
        )
        .unwrap();
        let n = leave_part(&at, "7", vec![Encoded::Table(batch.clone())]).unwrap();
        match parts.take("7", n, Format::Parquet).unwrap().as_slice() {
            [Encoded::Table(t)] => assert_eq!(t, &batch),
            other => panic!("{other:?}"),
        }

        // A block left after the client took its blocks (a late task) goes with the rest.
        leave_part(&at, "99", vec![Encoded::Text(b"late\n".to_vec())]).unwrap();
        let kept = parts.dir.clone();
        drop(parts);
        assert!(!kept.exists());
        let e = leave_part(&at, "100", vec![Encoded::Text(b"x\n".to_vec())]).unwrap_err();
        assert!(
            e.to_string().contains("cannot write a block's output"),
            "{e}"
        );
        assert_eq!(entries(dir.path()), Vec::<String>::new());
    }
}
