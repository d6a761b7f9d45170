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

/// The first byte of a table this codec wrote: an in-memory table as an Arrow IPC stream.
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

fn encode_batches(
    table: &TableReference,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    buf: &mut Vec<u8>,
) -> DfResult<()> {
    buf.push(IN_MEMORY_TABLE);
    let mut writer = StreamWriter::try_new(&mut *buf, schema).map_err(|e| {
        DataFusionError::Internal(format!("table `{table}`: cannot write its rows: {e}"))
    })?;
    for b in batches {
        writer.write(b)?;
    }
    writer.finish()?;
    Ok(())
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
                let reader = StreamReader::try_new(ipc, None).map_err(|e| {
                    DataFusionError::Internal(format!(
                        "table `{table_ref}`: its rows in the plan cannot be read: {e}"
                    ))
                })?;
                let batches = reader.collect::<Result<Vec<_>, _>>()?;
                Ok(Arc::new(MemTable::try_new(schema, vec![batches])?))
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
            let mut batches = Vec::new();
            for partition in &mem.batches {
                let rows = partition.try_read().map_err(|_| {
                    DataFusionError::Internal(format!(
                        "table `{table_ref}` is being written; it cannot be sent to the cluster"
                    ))
                })?;
                batches.extend(rows.iter().cloned());
            }
            return encode_batches(table_ref, &mem.schema(), &batches, buf);
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

    /// An in-memory table comes back with the same rows, in the same order.
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
        let table = MemTable::try_new(schema.clone(), vec![batches.clone()]).unwrap();
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
        let got: Vec<RecordBatch> = mem.batches[0].try_read().unwrap().clone();
        assert_eq!(got, batches);
    }
}
