//! The DPRK's trade condensed by the engine: the plan every analysis reads.
//!
//! Exposure, relief and signals only ever sum values, quantities and row counts over rows
//! that share a period, counterpart, flow, series and HS field, and only for HS fields that
//! some measure names. So the engine scans the store, keeps the rows that involve the
//! DPRK, and sums rows with the same keys; HS rows outside every measure's scope are
//! summed into one group per period, reporter, partner, flow and series. What comes back
//! is bounded by the number of distinct keys, not by the number of rows: a 50M-row store
//! condenses to a few hundred thousand records at most. Published category rows are read
//! as they are (a category nested in another is dropped by value, not summed).
//!
//! The caller sorts HS fields into classes that every analysis treats alike (the trade
//! crate knows nothing of the regime): fields no measure names are only counted, and the
//! rows of one class are summed under one field of it. The plan is one scan: the engine
//! function `trade_group` (module `groups`) gives each DPRK row the id of its group, and
//! the engine sums by that id.

use std::sync::{Arc, RwLock};

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Array, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use futures::StreamExt;

use crate::country::DPRK;
use crate::dprk::{ClassOf, DprkTrade, OutsideScope};
use crate::error::TradeError;
use crate::groups::{GroupHs, GroupTable, TradeGroupUdf};
use crate::hs::HsField;
use crate::record::{Flow, Level, Period, Status, TradeRecord};
use crate::store::{DataRead, TradeStore};

/// `SELECT ... WHERE` filter of the rows that involve the DPRK on either side, with the
/// store's term that skips the other row groups.
pub(crate) fn dprk_filter() -> String {
    format!(
        "({} AND (partner = '{DPRK}' OR reporter = '{DPRK}'))",
        crate::store::dprk_rows()
    )
}

/// The condensing aggregation (rows other than categories), grouped by
/// [`groups::TRADE_GROUP`](crate::groups::TRADE_GROUP).
pub fn condensed_sql() -> String {
    format!(
        "SELECT g, sum(value_usd) AS value_usd, \
           CASE WHEN count(quantity) = count(*) THEN sum(quantity) END AS quantity, \
           CASE WHEN count(net_weight_kg) = count(*) THEN sum(net_weight_kg) END AS net_weight_kg, \
           count(*) AS n \
         FROM (SELECT {}(year, month, reporter, partner, flow, series, level, hs, source, \
                 status, quantity_unit) AS g, value_usd, quantity, net_weight_kg \
               FROM trade WHERE {} AND level <> 'category') d \
         GROUP BY g",
        crate::groups::TRADE_GROUP,
        dprk_filter()
    )
}

/// The first half of the condensing plan on a cluster: rows with the same fields summed,
/// with the counts the second half needs (how many rows, how many gave a quantity or a
/// weight). `trade_group` keeps its table in the process that runs it, so the cluster
/// cannot run it; it runs the scan and this aggregation, which is bounded by distinct
/// fields, and this process condenses what comes back ([`condensed_from_sums_sql`]).
fn field_sums_sql() -> String {
    format!(
        "SELECT {}({KEYS}, value_usd, quantity, net_weight_kg) AS sums \
         FROM trade WHERE {} AND level <> 'category'",
        crate::field_sums::TRADE_FIELD_SUMS,
        dprk_filter()
    )
}

/// The second half: [`condensed_sql`] over the sums of [`field_sums_sql`], registered as
/// `trade`. A group has every quantity (weight) when its parts gave one on every row.
fn condensed_from_sums_sql() -> String {
    format!(
        "SELECT g, sum(value_usd) AS value_usd, \
           CASE WHEN sum(quantities) = sum(n) THEN sum(quantity) END AS quantity, \
           CASE WHEN sum(weights) = sum(n) THEN sum(net_weight_kg) END AS net_weight_kg, \
           sum(n) AS n \
         FROM (SELECT {}({KEYS}) AS g, value_usd, quantity, quantities, net_weight_kg, \
                 weights, n FROM trade) d \
         GROUP BY g",
        crate::groups::TRADE_GROUP,
    )
}

/// The fields that make a group, in `trade_group`'s order.
pub(crate) const KEYS: &str =
    "year, month, reporter, partner, flow, series, level, hs, source, status, quantity_unit";

/// Published category rows, as they are.
fn category_sql() -> String {
    format!(
        "SELECT year, month, reporter, partner, flow, series, level, hs, source, status, quantity_unit, \
           value_usd, quantity, net_weight_kg, CAST(1 AS BIGINT) AS n, category \
         FROM trade WHERE {} AND level = 'category'",
        dprk_filter()
    )
}

/// Category rows read before the plan refuses: they are published compilations (a few
/// thousand in every source we know); millions of them mean a mislabelled import.
const MAX_CATEGORY_ROWS: usize = 1_000_000;

struct Columns {
    year: Int32Array,
    month: Int32Array,
    text: Vec<StringArray>,
    value: Float64Array,
    quantity: Float64Array,
    weight: Float64Array,
    n: Int64Array,
    category: Option<StringArray>,
}

/// Column `name` of the plan's output as `T` (cast to `t` when the engine chose another type).
fn column<T: Clone + 'static>(b: &RecordBatch, name: &str, t: DataType) -> Result<T, TradeError> {
    let c = b
        .column_by_name(name)
        .ok_or_else(|| TradeError::Query(format!("condensed plan: no column `{name}`")))?;
    let c: ArrayRef = if c.data_type() == &t {
        c.clone()
    } else {
        cast(c, &t)?
    };
    c.as_any()
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| TradeError::Query(format!("condensed plan: column `{name}` type")))
}

fn columns(b: &RecordBatch) -> Result<Columns, TradeError> {
    let text = crate::field_sums::TEXT_FIELDS
        .iter()
        .map(|n| column::<StringArray>(b, n, DataType::Utf8))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Columns {
        year: column(b, "year", DataType::Int32)?,
        month: column(b, "month", DataType::Int32)?,
        text,
        value: column(b, "value_usd", DataType::Float64)?,
        quantity: column(b, "quantity", DataType::Float64)?,
        weight: column(b, "net_weight_kg", DataType::Float64)?,
        n: column(b, "n", DataType::Int64)?,
        category: match b.column_by_name("category") {
            Some(_) => Some(column(b, "category", DataType::Utf8)?),
            None => None,
        },
    })
}

/// Turns one batch of the plan's output into records and outside-scope groups.
fn absorb(b: &RecordBatch, out: &mut DprkTrade) -> Result<(), TradeError> {
    let c = columns(b)?;
    let bad = |i: usize, what: &str| TradeError::Query(format!("condensed row {i}: bad {what}"));
    let opt_s = |a: &StringArray, i: usize| (!a.is_null(i)).then(|| a.value(i).to_string());
    let opt_f = |a: &Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
    let [rep, par, flow, series, level, hs, source, status, unit] = &c.text[..] else {
        return Err(TradeError::Query("condensed plan: column count".into()));
    };
    for i in 0..b.num_rows() {
        let period = Period {
            year: c.year.value(i),
            month: (!c.month.is_null(i))
                .then(|| u8::try_from(c.month.value(i)).ok())
                .flatten(),
        };
        let flow = Flow::parse(flow.value(i)).ok_or_else(|| bad(i, "flow"))?;
        let rows = u64::try_from(c.n.value(i)).unwrap_or(0);
        if hs.is_null(i) {
            out.outside.push(OutsideScope {
                reporter: rep.value(i).to_string(),
                partner: par.value(i).to_string(),
                flow,
                period,
                series: series.value(i).to_string(),
                value_usd: c.value.value(i),
                rows,
            });
            continue;
        }
        out.records.push(TradeRecord {
            reporter: rep.value(i).to_string(),
            partner: par.value(i).to_string(),
            flow,
            period,
            hs: HsField::parse(hs.value(i)).map_err(|_| bad(i, "hs"))?,
            hs_revision: None,
            level: Level::parse(level.value(i)).ok_or_else(|| bad(i, "level"))?,
            category: c.category.as_ref().and_then(|a| opt_s(a, i)),
            value_usd: c.value.value(i),
            quantity: opt_f(&c.quantity, i),
            quantity_unit: opt_s(unit, i),
            net_weight_kg: opt_f(&c.weight, i),
            source: source.value(i).to_string(),
            series: series.value(i).to_string(),
            status: Status::parse(status.value(i)).ok_or_else(|| bad(i, "status"))?,
            note: None,
            rows,
        });
    }
    Ok(())
}

async fn stream_into(
    ctx: &SessionContext,
    sql: &str,
    out: &mut DprkTrade,
    limit: Option<usize>,
) -> Result<(), TradeError> {
    let mut stream = ctx.sql(sql).await?.execute_stream().await?;
    let start = out.records.len();
    while let Some(batch) = stream.next().await {
        absorb(&batch?, out)?;
        if limit.is_some_and(|l| out.records.len() - start > l) {
            return Err(TradeError::Query(format!(
                "more than {} published category rows involve the DPRK; category rows are \
                 published compilations — was an HS-level file imported as `category`?",
                limit.unwrap_or(0)
            )));
        }
    }
    Ok(())
}

type RecordKey<'r> = (
    Period,
    &'r str,
    &'r str,
    Flow,
    &'r str,
    Level,
    &'r str,
    &'r str,
    Status,
    Option<&'r str>,
);

fn record_key(r: &TradeRecord) -> RecordKey<'_> {
    (
        r.period,
        &r.reporter,
        &r.partner,
        r.flow,
        &r.series,
        r.level,
        r.hs.as_str(),
        &r.source,
        r.status,
        r.category.as_deref(),
    )
}

/// Turns one batch of the condensing aggregation (`g`, sums, `n`) into records and
/// outside-scope groups, reading each group's fields from the table.
fn absorb_groups(
    b: &RecordBatch,
    table: &GroupTable,
    out: &mut DprkTrade,
) -> Result<(), TradeError> {
    let g: Int64Array = column(b, "g", DataType::Int64)?;
    let value: Float64Array = column(b, "value_usd", DataType::Float64)?;
    let quantity: Float64Array = column(b, "quantity", DataType::Float64)?;
    let weight: Float64Array = column(b, "net_weight_kg", DataType::Float64)?;
    let n: Int64Array = column(b, "n", DataType::Int64)?;
    let bad = |i: usize, what: &str| TradeError::Query(format!("condensed group {i}: bad {what}"));
    let opt_f = |a: &Float64Array, i: usize| (!a.is_null(i)).then(|| a.value(i));
    for i in 0..b.num_rows() {
        let key = table.key(g.value(i)).ok_or_else(|| bad(i, "group id"))?;
        let period = Period {
            year: key.year,
            month: key.month.and_then(|m| u8::try_from(m).ok()),
        };
        let flow = Flow::parse(&key.flow).ok_or_else(|| bad(i, "flow"))?;
        let rows = u64::try_from(n.value(i)).unwrap_or(0);
        let hs = match &key.hs {
            GroupHs::Outside => {
                out.outside.push(OutsideScope {
                    reporter: key.reporter.clone(),
                    partner: key.partner.clone(),
                    flow,
                    period,
                    series: key.series.clone(),
                    value_usd: value.value(i),
                    rows,
                });
                continue;
            }
            GroupHs::Class(c) => table.class_field(*c).ok_or_else(|| bad(i, "class"))?,
            GroupHs::Field(f) => f.as_str(),
        };
        out.records.push(TradeRecord {
            reporter: key.reporter.clone(),
            partner: key.partner.clone(),
            flow,
            period,
            hs: HsField::parse(hs).map_err(|_| bad(i, "hs"))?,
            hs_revision: None,
            level: Level::parse(&key.level).ok_or_else(|| bad(i, "level"))?,
            category: None,
            value_usd: value.value(i),
            quantity: opt_f(&quantity, i),
            quantity_unit: key.unit.clone(),
            net_weight_kg: opt_f(&weight, i),
            source: key.source.clone().unwrap_or_default(),
            series: key.series.clone(),
            status: Status::parse(key.status.as_deref().unwrap_or(""))
                .ok_or_else(|| bad(i, "status"))?,
            note: None,
            rows,
        });
    }
    Ok(())
}

impl TradeStore {
    /// The DPRK's trade, condensed by the engine in one scan. `class_of` puts HS fields in
    /// classes that every analysis treats alike (`None`: no measure names the goods; such
    /// rows are only counted); rows of one class come back under one field of it, summed.
    pub fn dprk_trade(
        &self,
        bundled: bool,
        class_of: ClassOf,
    ) -> Result<(DprkTrade, DataRead), TradeError> {
        Self::runtime()?.block_on(async {
            let (ctx, read) = self.session_read(bundled).await?;
            let table = Arc::new(RwLock::new(GroupTable::new(class_of)));
            // `trade_group` fills a table that this process reads back, so it runs here:
            // in this session, or on the sums of rows a cluster sends back.
            let (condensing, sql) = if self.runs_elsewhere() {
                let mut batches = Vec::new();
                for answer in ctx.sql(&field_sums_sql()).await?.collect().await? {
                    batches.extend(crate::field_sums::sums_tables(answer.column(0))?);
                }
                let schema = crate::field_sums::sums_schema();
                let here = SessionContext::new_with_config(crate::store::session_config()?);
                here.register_table("trade", Arc::new(MemTable::try_new(schema, vec![batches])?))?;
                (here, condensed_from_sums_sql())
            } else {
                (ctx.clone(), condensed_sql())
            };
            condensing.register_udf(TradeGroupUdf::udf(table.clone()));
            let mut out = DprkTrade::default();
            let mut stream = condensing.sql(&sql).await?.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                let table = table
                    .read()
                    .map_err(|_| TradeError::Query("the group table is poisoned".into()))?;
                absorb_groups(&batch, &table, &mut out)?;
            }
            stream_into(&ctx, &category_sql(), &mut out, Some(MAX_CATEGORY_ROWS)).await?;
            // The engine's groups come back in any order; the analyses' answers must not.
            out.records.sort_by(|a, b| {
                record_key(a)
                    .cmp(&record_key(b))
                    .then(a.value_usd.total_cmp(&b.value_usd))
            });
            out.outside.sort_by(|a, b| {
                (a.period, &a.reporter, &a.partner, a.flow, &a.series).cmp(&(
                    b.period,
                    &b.reporter,
                    &b.partner,
                    b.flow,
                    &b.series,
                ))
            });
            Ok((out, read))
        })
    }
}
