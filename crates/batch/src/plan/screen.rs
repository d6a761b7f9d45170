//! The batch screening as a plan: `embargo_screen_block(path, file_len, first_row,
//! offset, len, format, today, match_at, review_at, list_versions)` screens one block of
//! names where the plan runs, against that node's active lists; [`screen_file_on`] cuts
//! the input, runs the plan a wave at a time, shows every screened row to the caller's
//! ledger and writes the blocks in order.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, BinaryBuilder, Float64Array, StringArray, StringBuilder,
    StructArray, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{lit, SessionContext};
use embargo_regime::Regime;
use embargo_screen::matcher::Thresholds;
use embargo_screen::sql::ScreeningLists;
use embargo_screen::ListStore;

use super::{
    count, field, format_named, read_block, run_waves, text_at, u64_at, BlockAt, Blocks, Input,
    Numbering, WavePlan, Waves,
};
use crate::destination::Target;
use crate::screen::{
    screen_part, KeepRows, Ledger, NameRows, ScreenBatch, ScreenBatchError, ScreenCounts,
    ScreenSummary, Screened, BLOCK_ROWS, CSV_HEADER,
};
use crate::sink::{self, Encoded, Format, Sink, SinkError};

/// The function's name in a plan.
pub const SCREEN_BLOCK: &str = "embargo_screen_block";

fn result_fields() -> Fields {
    let count = |n: &str| Field::new(n, DataType::UInt64, false);
    Fields::from(vec![
        Field::new("output", DataType::Binary, false),
        // Every screened row as the ledger sees it, one JSON line each, in input order.
        Field::new("screened", DataType::Binary, false),
        count("rows"),
        count("match"),
        count("review"),
        count("no_match"),
        // Every bad row's message, as a JSON array.
        Field::new("bad", DataType::Utf8, false),
    ])
}

type Loader = dyn Fn() -> Result<ScreeningLists, String> + Send + Sync;

/// `embargo_screen_block(...)`: the batch screening of one block, against lists loaded
/// at the first block screened.
pub struct ScreenBlockUdf {
    load: Box<Loader>,
    lists: OnceLock<Result<Arc<ScreeningLists>, String>>,
    regime: Arc<Regime>,
    signature: Signature,
}

impl std::fmt::Debug for ScreenBlockUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{SCREEN_BLOCK}(...)")
    }
}

impl PartialEq for ScreenBlockUdf {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for ScreenBlockUdf {}
impl std::hash::Hash for ScreenBlockUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self as *const ScreenBlockUdf).hash(state);
    }
}

impl ScreenBlockUdf {
    /// The function over what `load` gives, with `regime` for each hit's context.
    pub fn udf(
        load: impl Fn() -> Result<ScreeningLists, String> + Send + Sync + 'static,
        regime: Arc<Regime>,
    ) -> ScalarUDF {
        let (text, u64, f64) = (DataType::Utf8, DataType::UInt64, DataType::Float64);
        ScalarUDF::from(ScreenBlockUdf {
            load: Box::new(load),
            lists: OnceLock::new(),
            regime,
            signature: Signature::exact(
                vec![
                    text.clone(),
                    u64.clone(),
                    u64.clone(),
                    u64.clone(),
                    u64,
                    text.clone(),
                    text.clone(),
                    f64.clone(),
                    f64,
                    text,
                ],
                Volatility::Volatile,
            ),
        })
    }

    /// The function over the active lists of the data directory `data_dir`.
    pub fn over_store(data_dir: &Path, regime: Arc<Regime>) -> ScalarUDF {
        let store = ListStore::open(data_dir);
        ScreenBlockUdf::udf(move || ScreeningLists::active(&store), regime)
    }

    fn lists(&self) -> DfResult<Arc<ScreeningLists>> {
        self.lists
            .get_or_init(|| (self.load)().map(Arc::new))
            .clone()
            .map_err(|e| DataFusionError::Execution(format!("{SCREEN_BLOCK}: {e}")))
    }

    /// One block: read, screened, encoded.
    fn block(&self, args: &[ArrayRef], i: usize) -> DfResult<BlockOut> {
        let fail = |m: String| DataFusionError::Execution(format!("{SCREEN_BLOCK}: {m}"));
        let lists = self.lists()?;
        let expected = text_at(&args[9], i, "list_versions")?;
        if lists.versions != expected {
            return Err(fail(format!(
                "this node screens against lists {:?}, the run against {expected:?}: import \
                 the same list versions on every node",
                lists.versions
            )));
        }
        let path = text_at(&args[0], i, "path")?;
        let data = read_block(
            &path,
            u64_at(&args[1], i, "file_len")?,
            u64_at(&args[3], i, "offset")?,
            u64_at(&args[4], i, "len")?,
        )
        .map_err(fail)?;
        let first_row = usize::try_from(u64_at(&args[2], i, "first_row")?)
            .map_err(|_| fail("row number out of range".into()))?;
        let today = text_at(&args[6], i, "today")?;
        let today = NaiveDate::parse_from_str(&today, "%Y-%m-%d")
            .map_err(|e| fail(format!("today {today:?}: {e}")))?;
        let number = |k: usize, what: &str| {
            args[k]
                .as_any()
                .downcast_ref::<Float64Array>()
                .map(|a| a.value(i))
                .ok_or_else(|| fail(format!("{what} is not a number")))
        };
        let batch = ScreenBatch {
            matcher: &lists.matcher,
            regime: &self.regime,
            thresholds: Thresholds {
                match_at: number(7, "match_at")?,
                review_at: number(8, "review_at")?,
            },
            today,
            format: format_named(&text_at(&args[5], i, "format")?)?,
            threads: 1,
        };
        let header = NameRows::open(Path::new(&path)).map_err(|e| fail(e.to_string()))?;
        let mut rows = header.part(std::io::Cursor::new(data), first_row);
        let mut out = BlockOut::default();
        loop {
            let block = rows
                .next_block(BLOCK_ROWS)
                .map_err(|e| fail(e.to_string()))?;
            if block.is_empty() {
                return Ok(out);
            }
            let part =
                screen_part(&batch, &KeepRows, &block, &|_| {}).map_err(|e| fail(e.to_string()))?;
            out.encoded.push(part.block);
            out.counts.absorb(part.counts);
            for r in part.records {
                serde_json::to_writer(&mut out.screened, &r)
                    .map_err(|e| DataFusionError::External(e.into()))?;
                out.screened.push(b'\n');
            }
        }
    }
}

/// One block's results on the node that screened it.
#[derive(Default)]
struct BlockOut {
    encoded: Vec<Encoded>,
    counts: ScreenCounts,
    screened: Vec<u8>,
}

impl ScalarUDFImpl for ScreenBlockUdf {
    fn name(&self) -> &str {
        SCREEN_BLOCK
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(result_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let n = args.number_rows;
        let args = ColumnarValue::values_to_arrays(&args.args)?;
        if args.len() != 10 {
            return Err(DataFusionError::Execution(format!(
                "{SCREEN_BLOCK} takes path, file_len, first_row, offset, len, format, today, \
                 match_at, review_at, list_versions"
            )));
        }
        let mut output = BinaryBuilder::new();
        let mut screened = BinaryBuilder::new();
        let mut counts: [UInt64Builder; 4] = Default::default();
        let mut bad = StringBuilder::new();
        for i in 0..n {
            let out = self.block(&args, i)?;
            output.append_value(super::output_bytes(out.encoded)?);
            screened.append_value(&out.screened);
            let c = &out.counts;
            for (b, v) in counts
                .iter_mut()
                .zip([c.rows, c.matched, c.review, c.no_match])
            {
                b.append_value(v as u64);
            }
            bad.append_value(
                serde_json::to_string(&c.bad).map_err(|e| DataFusionError::External(e.into()))?,
            );
        }
        let [rows, matched, review, no_match] = counts.map(|mut b| b.finish());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(output.finish()),
            Arc::new(screened.finish()),
            Arc::new(rows),
            Arc::new(matched),
            Arc::new(review),
            Arc::new(no_match),
            Arc::new(bad.finish()),
        ];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            result_fields(),
            columns,
            None,
        )?)))
    }
}

/// What a batch screening through a plan is asked to do.
pub struct ScreenOn<'a> {
    /// A [`ScreenBlockUdf`] (the client's instance: the plan names it, each node runs
    /// its own).
    pub udf: &'a ScalarUDF,
    pub thresholds: Thresholds,
    /// The date the regime context of each hit is read at.
    pub today: NaiveDate,
    pub format: Format,
    /// The list versions the run must be screened against (`un:…; ofac:…`, as
    /// [`ScreeningLists::active_versions`] writes them): a node with others fails the run.
    pub list_versions: String,
    pub waves: Waves,
    /// Cancels the jobs of waves still running when the run stops early (a cluster's
    /// [`StopWaves`](super::StopWaves); `None` for a local session).
    pub stop: Option<super::StopWaves>,
}

fn block_result(
    out: &StructArray,
    format: Format,
) -> DfResult<(ScreenCounts, Vec<Screened>, Vec<Encoded>)> {
    let blocks = super::output_blocks(format, field::<BinaryArray>(out, "output")?.value(0))?;
    let screened = field::<BinaryArray>(out, "screened")?
        .value(0)
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(serde_json::from_slice::<Screened>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DataFusionError::External(e.into()))?;
    let bad: Vec<String> = serde_json::from_str(field::<StringArray>(out, "bad")?.value(0))
        .map_err(|e| DataFusionError::External(e.into()))?;
    let as_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
    let counts = ScreenCounts {
        rows: as_usize(count(out, "rows")?),
        matched: as_usize(count(out, "match")?),
        review: as_usize(count(out, "review")?),
        no_match: as_usize(count(out, "no_match")?),
        bad,
    };
    Ok((counts, screened, blocks))
}

/// Screen every row of the names CSV at `path` through plans run by `ctx`, show each
/// screened row to `ledger` (a block's rows committed before the block is written) and
/// write the results to `target`: the output of [`crate::screen::screen_rows`], byte for
/// byte, when every node has the same lists and regime. `progress` is told of the rows
/// written.
pub async fn screen_file_on<L: Ledger>(
    ctx: &SessionContext,
    on: &ScreenOn<'_>,
    path: &Path,
    target: &Target,
    ledger: &L,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScreenSummary, ScreenBatchError> {
    let name = path.display().to_string();
    let open = |source| ScreenBatchError::Open {
        file: name.clone(),
        source,
    };
    let rows = NameRows::open(path)?;
    let input = Input::of(path).map_err(open)?;
    // The destination opens at the first answered block: a cluster that cannot be
    // reached leaves nothing behind, not even a header on stdout.
    let open_sink = || -> Result<Box<dyn Sink>, ScreenBatchError> {
        let destination = target
            .open(on.format.media_type())
            .map_err(SinkError::from)?;
        Ok(sink::open(
            destination,
            on.format,
            CSV_HEADER,
            crate::screen::schema(),
        )?)
    };
    let mut sink: Option<Box<dyn Sink>> = None;
    // The row numbers NameRows gives: the first record after the header is row 1.
    let numbering = Numbering::Rows { next: 1 };
    let mut blocks =
        Blocks::open(&input.path, rows.rows_start(), numbering, on.waves).map_err(open)?;
    let plan = WavePlan {
        ctx: ctx.clone(),
        udf: on.udf.clone(),
        input,
        more: vec![
            lit(on.format.as_str()),
            lit(on.today.format("%Y-%m-%d").to_string()),
            lit(on.thresholds.match_at),
            lit(on.thresholds.review_at),
            lit(on.list_versions.clone()),
        ],
        stop: on.stop.clone(),
    };
    let next_wave = || {
        blocks
            .next_wave()
            .map_err(|source| ScreenBatchError::Blocks {
                file: name.clone(),
                source,
            })
    };
    let engine = |e: DataFusionError| ScreenBatchError::Engine(e.to_string());
    let mut total = ScreenCounts::default();
    let deliver = |_: &BlockAt, out: &StructArray| {
        let (counts, screened, encoded) = block_result(out, on.format).map_err(engine)?;
        let written = counts.rows as u64;
        let records = screened.into_iter().map(|r| ledger.record(r)).collect();
        ledger.commit(records).map_err(ScreenBatchError::Ledger)?;
        let sink = match sink.as_mut() {
            Some(s) => s,
            None => sink.insert(open_sink()?),
        };
        for e in encoded {
            sink.write(e)?;
        }
        total.absorb(counts);
        progress(written);
        Ok(())
    };
    run_waves(&plan, next_wave, deliver, engine).await?;
    let delivered = match sink {
        Some(sink) => sink.finish()?,
        None => open_sink()?.finish()?,
    };
    Ok(ScreenSummary {
        counts: total,
        delivered,
    })
}
