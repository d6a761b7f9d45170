//! The batch check as a plan: `check_block(path, file_len, first_line, offset, len,
//! format, parts_dir, run)` checks one block of shipments where the plan runs;
//! [`check_file_on`] cuts the input, runs the plan a wave at a time and writes the blocks
//! in order.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryArray, BinaryBuilder, StringArray, StringBuilder, StructArray, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::prelude::{lit, SessionContext};
use embargo_records::blocks::Block;
use embargo_regime::Regime;

use super::{
    count, field, format_named, read_block, run_waves, text_at, u64_at, BlockAt, Blocks, Input,
    Numbering, Parts, WavePlan, Waves,
};
use crate::check::{
    field_name, process_block, read_header, CheckBatch, CheckBatchError, CheckCounts, CheckSummary,
    Done, Encoder, Output, RowError, CSV_HEADER,
};
use crate::destination::Target;
use crate::sink::{self, SinkError};

/// The function's name in a plan.
pub const CHECK_BLOCK: &str = "embargo_check_block";

/// The fields of a block's result.
fn result_fields() -> Fields {
    let count = |n: &str| Field::new(n, DataType::UInt64, false);
    Fields::from(vec![
        // The block's output, compressed; empty when the node left it in the run's parts
        // directory as `part`, `part_bytes` long.
        Field::new("output", DataType::Binary, false),
        Field::new("part", DataType::Utf8, false),
        count("part_bytes"),
        count("rows"),
        count("prohibited"),
        count("conditional"),
        count("permitted"),
        count("errors"),
        // Every bad row of the block: [[line, id, field, message], ...].
        Field::new("bad_rows", DataType::Utf8, false),
    ])
}

/// `embargo_check_block(...)`: the batch check of one block, over one regime.
pub struct CheckBlockUdf {
    regime: Arc<Regime>,
    signature: Signature,
}

impl std::fmt::Debug for CheckBlockUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{CHECK_BLOCK}(...)")
    }
}

impl PartialEq for CheckBlockUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.regime, &other.regime)
    }
}
impl Eq for CheckBlockUdf {}
impl std::hash::Hash for CheckBlockUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.regime).hash(state);
    }
}

impl CheckBlockUdf {
    pub fn udf(regime: Arc<Regime>) -> ScalarUDF {
        let u64 = DataType::UInt64;
        ScalarUDF::from(CheckBlockUdf {
            regime,
            signature: Signature::exact(
                vec![
                    DataType::Utf8,
                    u64.clone(),
                    u64.clone(),
                    u64.clone(),
                    u64,
                    DataType::Utf8,
                    DataType::Utf8,
                    DataType::Utf8,
                ],
                Volatility::Volatile,
            ),
        })
    }

    /// One block: read, checked, encoded.
    fn block(&self, args: &[ArrayRef], i: usize) -> DfResult<Done> {
        let fail = |m: String| DataFusionError::Execution(format!("{CHECK_BLOCK}: {m}"));
        let path = text_at(&args[0], i, "path")?;
        let format = format_named(&text_at(&args[5], i, "format")?)?;
        let data = read_block(
            &path,
            u64_at(&args[1], i, "file_len")?,
            u64_at(&args[3], i, "offset")?,
            u64_at(&args[4], i, "len")?,
        )
        .map_err(fail)?;
        let mut file = std::fs::File::open(&path).map_err(|e| fail(format!("{path}: {e}")))?;
        let (header, _) = read_header(&mut file, &path).map_err(|e| fail(e.to_string()))?;
        let columns = header.columns;
        let block = Block {
            seq: 0,
            first_line: u64_at(&args[2], i, "first_line")?,
            data,
        };
        let mut index = self.regime.check_index();
        let mut encoder = Encoder::new(format);
        Ok(process_block(&block, &columns, &mut encoder, &mut index))
    }
}

impl ScalarUDFImpl for CheckBlockUdf {
    fn name(&self) -> &str {
        CHECK_BLOCK
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
        if args.len() != 8 {
            return Err(DataFusionError::Execution(format!(
                "{CHECK_BLOCK} takes path, file_len, first_line, offset, len, format, \
                 parts_dir, run"
            )));
        }
        let mut output = BinaryBuilder::new();
        let mut part = StringBuilder::new();
        let mut part_bytes = UInt64Builder::new();
        let mut counts: [UInt64Builder; 5] = Default::default();
        let mut bad_rows = StringBuilder::new();
        for i in 0..n {
            let done = self.block(&args, i)?;
            let encoded = done.block.map_err(DataFusionError::from)?;
            let dir = text_at(&args[6], i, "parts_dir")?;
            if super::sees_parts(&dir, &text_at(&args[7], i, "run")?) {
                // The block's offset in the input names it: one file per block of a run.
                let name = u64_at(&args[3], i, "offset")?.to_string();
                part_bytes.append_value(super::leave_part(&dir, &name, vec![encoded])?);
                part.append_value(name);
                output.append_value(b"");
            } else {
                output.append_value(super::output_bytes(vec![encoded])?);
                part.append_value("");
                part_bytes.append_value(0);
            }
            let c = done.counts;
            for (b, v) in
                counts
                    .iter_mut()
                    .zip([c.rows, c.prohibited, c.conditional, c.permitted, c.errors])
            {
                b.append_value(v);
            }
            let bad: Vec<(u64, &str, &str, &str)> = done
                .errors
                .iter()
                .map(|e| (e.line, e.id.as_str(), e.field, e.message.as_str()))
                .collect();
            bad_rows.append_value(
                serde_json::to_string(&bad).map_err(|e| DataFusionError::External(e.into()))?,
            );
        }
        let [rows, prohibited, conditional, permitted, errors] = counts.map(|mut b| b.finish());
        let columns: Vec<ArrayRef> = vec![
            Arc::new(output.finish()),
            Arc::new(part.finish()),
            Arc::new(part_bytes.finish()),
            Arc::new(rows),
            Arc::new(prohibited),
            Arc::new(conditional),
            Arc::new(permitted),
            Arc::new(errors),
            Arc::new(bad_rows.finish()),
        ];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            result_fields(),
            columns,
            None,
        )?)))
    }
}

/// What a block's result carries, back on the client: counts, bad rows, output.
type BlockResult = (CheckCounts, Vec<RowError>, Vec<crate::Encoded>);

fn block_result(
    out: &StructArray,
    format: crate::Format,
    parts: Option<&Parts>,
) -> DfResult<BlockResult> {
    let part = field::<StringArray>(out, "part")?.value(0);
    let blocks = match (part, parts) {
        ("", _) => super::output_blocks(format, field::<BinaryArray>(out, "output")?.value(0))?,
        (name, Some(parts)) => parts.take(name, count(out, "part_bytes")?, format)?,
        (name, None) => {
            return Err(DataFusionError::Execution(format!(
                "a node left block {name} in a parts directory this run did not make"
            )))
        }
    };
    let bad: Vec<(u64, String, String, String)> =
        serde_json::from_str(field::<StringArray>(out, "bad_rows")?.value(0))
            .map_err(|e| DataFusionError::External(e.into()))?;
    let errors = bad
        .into_iter()
        .map(|(line, id, f, message)| RowError {
            line,
            id,
            field: field_name(&f),
            message,
        })
        .collect();
    let counts = CheckCounts {
        rows: count(out, "rows")?,
        prohibited: count(out, "prohibited")?,
        conditional: count(out, "conditional")?,
        permitted: count(out, "permitted")?,
        errors: count(out, "errors")?,
    };
    Ok((counts, errors, blocks))
}

/// How a batch check runs as plans.
pub struct CheckOn<'a> {
    /// A [`CheckBlockUdf`] over the same regime as the batch's (the client's instance:
    /// the plan names it, each node runs its own).
    pub udf: &'a ScalarUDF,
    pub waves: Waves,
    /// Cancels the jobs of waves still running when the run stops early (a cluster's
    /// [`StopWaves`](super::StopWaves); `None` for a local session).
    pub stop: Option<super::StopWaves>,
    /// Whether nodes that see a directory this process makes for the run (beside the
    /// output file, else beside the input) leave their blocks there for it to copy into
    /// the output, instead of sending them back (see `Parts`).
    pub parts: bool,
}

/// Check every shipment of the CSV at `path` through plans run by `ctx`, and write the
/// results to `target`: the output of [`crate::check::check_file`], byte for byte.
/// `progress` is told the bytes of input whose results are written.
pub async fn check_file_on(
    ctx: &SessionContext,
    on: &CheckOn<'_>,
    batch: &CheckBatch<'_>,
    path: &Path,
    target: &Target,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<CheckSummary, CheckBatchError> {
    let name = path.display().to_string();
    let open = |source| CheckBatchError::Open {
        file: name.clone(),
        source,
    };
    let input = Input::of(path).map_err(open)?;
    let mut file = std::fs::File::open(&input.path).map_err(open)?;
    let (header, _) = read_header(&mut file, &name)?;
    drop(file);
    // The destination opens at the first answered block: a cluster that cannot be
    // reached leaves nothing behind, not even a header on stdout.
    let open_output = || -> Result<Output<'_>, CheckBatchError> {
        let destination = target
            .open(batch.format.media_type())
            .map_err(SinkError::from)?;
        Ok(Output {
            sink: sink::open(
                destination,
                batch.format,
                CSV_HEADER,
                crate::check::schema(),
            )?,
            file: &name,
            strict: batch.strict,
            totals: CheckCounts::default(),
            first_errors: Vec::new(),
        })
    };
    let mut output: Option<Output<'_>> = None;
    let mut blocks =
        Blocks::open(&input.path, header.len, Numbering::Lines, on.waves).map_err(open)?;
    let parts = match target {
        _ if !on.parts => None,
        Target::File(out) => Parts::make(&[out, Path::new(&input.path)]),
        Target::Stdout | Target::Http(_) => Parts::make(&[Path::new(&input.path)]),
    };
    let mut more = vec![lit(batch.format.as_str())];
    more.extend(Parts::args(parts.as_ref()));
    let plan = WavePlan {
        ctx: ctx.clone(),
        udf: on.udf.clone(),
        input,
        more,
        stop: on.stop.clone(),
    };
    let next_wave = || {
        blocks
            .next_wave()
            .map_err(|source| CheckBatchError::Blocks {
                file: name.clone(),
                source,
            })
    };
    let engine = |e: DataFusionError| CheckBatchError::Engine(e.to_string());
    let deliver = |at: &BlockAt, out: &StructArray| {
        let (counts, errors, blocks) =
            block_result(out, batch.format, parts.as_ref()).map_err(engine)?;
        let output = match output.as_mut() {
            Some(o) => o,
            None => output.insert(open_output()?),
        };
        output.deliver_blocks(counts, errors, blocks)?;
        progress(at.len);
        Ok(())
    };
    run_waves(&plan, next_wave, deliver, engine).await?;
    match output {
        Some(output) => output.finish(),
        None => open_output()?.finish(),
    }
}
