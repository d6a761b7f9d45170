//! How embargo's plans travel between the nodes of a cluster.
//!
//! Ballista sends the client's logical plan to the scheduler through a
//! [`LogicalExtensionCodec`]; its default one writes file listings (the store's Parquet,
//! `read_csv`'s CSV) but no in-memory table. A trade session has two: `regime_coverage`
//! (the regime's goods coverage) and, when nothing is imported, the bundled trade rows.
//! [`PlanCodec`] writes those into the plan as Arrow IPC, so the executors read the
//! client's rows rather than their own copy (they could hold another regime). Everything
//! else goes to Ballista's codec. The physical plans the scheduler sends to executors
//! need nothing more: DataFusion's own codec writes in-memory scans, and the functions
//! are found by name in each node's registry ([`crate::function_registry`]).

use std::sync::Arc;

use ballista_core::serde::BallistaLogicalExtensionCodec;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::TableProvider;
use datafusion::common::{DataFusionError, Result as DfResult, TableReference};
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::datasource::MemTable;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion_proto::logical_plan::LogicalExtensionCodec;

/// The first byte of a table this codec wrote: an in-memory table, then its partitions,
/// each as a little-endian u64 length and an Arrow IPC stream. Partitions are kept: a
/// table cut into partitions on purpose (the batch pipelines' blocks) is one task each.
const IN_MEMORY_TABLE: u8 = 1;

/// The logical codec of every embargo node and client: in-memory tables as Arrow IPC,
/// the rest as Ballista writes it.
#[derive(Debug, Default)]
pub struct PlanCodec {
    ballista: BallistaLogicalExtensionCodec,
}

impl PlanCodec {
    pub fn new() -> PlanCodec {
        PlanCodec::default()
    }
}

fn encode_partition(
    table: &TableReference,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    buf: &mut Vec<u8>,
) -> DfResult<()> {
    let mut ipc = Vec::new();
    let mut writer = StreamWriter::try_new(&mut ipc, schema).map_err(|e| {
        DataFusionError::Internal(format!("table `{table}`: cannot write its rows: {e}"))
    })?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    buf.extend_from_slice(&(ipc.len() as u64).to_le_bytes());
    buf.extend_from_slice(&ipc);
    Ok(())
}

/// The partitions written by [`encode_partition`], one after the other.
fn decode_partitions(table: &TableReference, mut ipc: &[u8]) -> DfResult<Vec<Vec<RecordBatch>>> {
    let broken = |what: &str| {
        DataFusionError::Internal(format!(
            "table `{table}`: its rows in the plan cannot be read: {what}"
        ))
    };
    let mut partitions = Vec::new();
    while !ipc.is_empty() {
        let (len, rest) = ipc
            .split_first_chunk::<8>()
            .ok_or_else(|| broken("a partition length is cut"))?;
        let len = usize::try_from(u64::from_le_bytes(*len))
            .map_err(|_| broken("a partition length is out of range"))?;
        if rest.len() < len {
            return Err(broken("a partition is cut"));
        }
        let (part, rest) = rest.split_at(len);
        let reader = StreamReader::try_new(part, None).map_err(|e| broken(&e.to_string()))?;
        partitions.push(reader.collect::<Result<Vec<_>, _>>()?);
        ipc = rest;
    }
    Ok(partitions)
}

impl LogicalExtensionCodec for PlanCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> DfResult<Extension> {
        self.ballista.try_decode(buf, inputs, ctx)
    }

    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> DfResult<()> {
        self.ballista.try_encode(node, buf)
    }

    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn TableProvider>> {
        match buf.split_first() {
            Some((&IN_MEMORY_TABLE, ipc)) => {
                let mut partitions = decode_partitions(table_ref, ipc)?;
                if partitions.is_empty() {
                    partitions.push(Vec::new());
                }
                Ok(Arc::new(MemTable::try_new(schema, partitions)?))
            }
            _ => self
                .ballista
                .try_decode_table_provider(buf, table_ref, schema, ctx),
        }
    }

    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> DfResult<()> {
        if let Some(mem) = node.downcast_ref::<MemTable>() {
            buf.push(IN_MEMORY_TABLE);
            for partition in &mem.batches {
                let rows = partition.try_read().map_err(|_| {
                    DataFusionError::Internal(format!(
                        "table `{table_ref}` is being written; it cannot be sent to the cluster"
                    ))
                })?;
                encode_partition(table_ref, &mem.schema(), &rows, buf)?;
            }
            return Ok(());
        }
        self.ballista
            .try_encode_table_provider(table_ref, node, buf)
            .map_err(|e| {
                DataFusionError::NotImplemented(format!(
                    "table `{table_ref}` cannot be sent to the cluster (only file listings \
                     and in-memory tables can): {e}"
                ))
            })
    }

    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> DfResult<Arc<dyn FileFormatFactory>> {
        self.ballista.try_decode_file_format(buf, ctx)
    }

    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> DfResult<()> {
        self.ballista.try_encode_file_format(buf, node)
    }

    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<ScalarUDF>> {
        self.ballista.try_decode_udf(name, buf)
    }

    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.ballista.try_encode_udf(node, buf)
    }

    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<AggregateUDF>> {
        self.ballista.try_decode_udaf(name, buf)
    }

    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.ballista.try_encode_udaf(node, buf)
    }

    fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> DfResult<Arc<WindowUDF>> {
        self.ballista.try_decode_udwf(name, buf)
    }

    fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> DfResult<()> {
        self.ballista.try_encode_udwf(node, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int32Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};

    /// An in-memory table comes back with the same rows, in the same order and the same
    /// partitions; a cut plan is an error, not fewer rows.
    #[test]
    fn in_memory_tables_travel_whole() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int32, false),
            Field::new("b", DataType::Utf8, true),
        ]));
        let batch = |a: Vec<i32>, b: Vec<Option<&str>>| {
            RecordBatch::try_new(
                schema.clone(),
                vec![
                    Arc::new(Int32Array::from(a)),
                    Arc::new(StringArray::from(b)),
                ],
            )
            .unwrap()
        };
        let batches = vec![
            batch(vec![1, 2], vec![Some("x"), None]),
            batch(vec![3], vec![Some("z")]),
        ];
        let partitions = vec![batches.clone(), vec![], vec![batches[1].clone()]];
        let table = MemTable::try_new(schema.clone(), partitions.clone()).unwrap();
        let codec = PlanCodec::new();
        let name = TableReference::bare("t");
        let mut buf = Vec::new();
        codec
            .try_encode_table_provider(&name, Arc::new(table), &mut buf)
            .unwrap();
        let ctx = TaskContext::default();
        let back = codec
            .try_decode_table_provider(&buf, &name, schema.clone(), &ctx)
            .unwrap();
        let mem = back.downcast_ref::<MemTable>().unwrap();
        let got: Vec<Vec<RecordBatch>> = mem
            .batches
            .iter()
            .map(|p| p.try_read().unwrap().clone())
            .collect();
        assert_eq!(got, partitions);
        let cut = &buf[..buf.len() - 3];
        let err = codec
            .try_decode_table_provider(cut, &name, schema.clone(), &ctx)
            .unwrap_err();
        assert!(err.to_string().contains("cut"), "{err}");
    }
}
