//! The first half of the condensing plan where it runs on a cluster, as an aggregate:
//! `trade_field_sums(year, month, reporter, partner, flow, series, level, hs, source,
//! status, quantity_unit, value_usd, quantity, net_weight_kg)` sums the rows that share
//! every field, with their row counts and how many gave a value, a quantity and a weight.
//! It answers what `SELECT <fields>, sum(...), count(...) ... GROUP BY <fields>` answers,
//! as one value: an Arrow IPC stream of that table ([`sums_table`] reads it back).
//!
//! Why an aggregate and not `GROUP BY`: the engine groups eleven columns by converting
//! every row to a comparable byte string, which costs more than the scan. Here each text
//! value is looked up once per dictionary (the store's columns are dictionaries), a row's
//! key is eleven integers, and consecutive rows with the same key (the store is sorted)
//! skip the lookup. The state is the table of sums itself, so partial sums made on any
//! executor merge wherever the final step runs: what crosses the network is bounded by
//! the distinct fields, not the rows.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BinaryArray, DictionaryArray, Float64Array, Float64Builder, Int32Array,
    Int32Builder, Int64Array, Int64Builder, RecordBatch, StringArray, StringBuilder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int32Type, Schema, SchemaRef};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::common::{DataFusionError, Result as DfResult, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

/// The function's name in SQL.
pub const TRADE_FIELD_SUMS: &str = "trade_field_sums";

/// The text fields, in the function's argument order (after year and month): the
/// condensing plan's text fields.
pub(crate) const TEXT_FIELDS: [&str; TEXTS] = [
    "reporter",
    "partner",
    "flow",
    "series",
    "level",
    "hs",
    "source",
    "status",
    "quantity_unit",
];

/// How many text fields a row's key holds.
const TEXTS: usize = 9;

/// Arguments: year, month, the text fields, value_usd, quantity, net_weight_kg.
const ARGS: usize = 2 + TEXTS + 3;

/// The table of sums: the fields, then `value_usd` (null when no row gave one), `value_rows`,
/// `quantity`, `quantities`, `net_weight_kg`, `weights` and `n` (rows).
pub fn sums_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("year", DataType::Int32, true),
        Field::new("month", DataType::Int32, true),
    ];
    fields.extend(TEXT_FIELDS.map(|n| Field::new(n, DataType::Utf8, true)));
    for (sum, count) in [
        ("value_usd", "value_rows"),
        ("quantity", "quantities"),
        ("net_weight_kg", "weights"),
    ] {
        fields.push(Field::new(sum, DataType::Float64, true));
        fields.push(Field::new(count, DataType::Int64, false));
    }
    fields.push(Field::new("n", DataType::Int64, false));
    Arc::new(Schema::new(fields))
}

/// The table an answer (or a state) of the function holds.
pub fn sums_table(bytes: &[u8]) -> DfResult<Vec<RecordBatch>> {
    StreamReader::try_new(bytes, None)?
        .map(|b| b.map_err(DataFusionError::from))
        .collect()
}

/// The tables of a column of answers (or states), each checked to be a table of sums.
pub(crate) fn sums_tables(column: &ArrayRef) -> DfResult<Vec<RecordBatch>> {
    let answers = column
        .as_any()
        .downcast_ref::<BinaryArray>()
        .ok_or_else(|| internal("its answers are not binary"))?;
    let expected = sums_schema();
    let mut tables = Vec::new();
    for i in (0..answers.len()).filter(|&i| !answers.is_null(i)) {
        for table in sums_table(answers.value(i))? {
            if table.schema().fields() != expected.fields() {
                return Err(internal("an answer is not a table of sums"));
            }
            tables.push(table);
        }
    }
    Ok(tables)
}

/// `trade_field_sums(...)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FieldSumsUdaf {
    signature: Signature,
}

impl FieldSumsUdaf {
    pub fn udaf() -> AggregateUDF {
        AggregateUDF::from(FieldSumsUdaf {
            signature: Signature::any(ARGS, Volatility::Immutable),
        })
    }
}

impl AggregateUDFImpl for FieldSumsUdaf {
    fn name(&self) -> &str {
        TRADE_FIELD_SUMS
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Binary)
    }
    fn accumulator(&self, _: AccumulatorArgs) -> DfResult<Box<dyn Accumulator>> {
        Ok(Box::new(FieldSums::default()))
    }
    fn state_fields(&self, _: StateFieldsArgs) -> DfResult<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("sums", DataType::Binary, true))])
    }
}

/// Texts seen so far, each with a number (0: null).
#[derive(Debug, Default)]
struct Interner {
    ids: HashMap<String, u32, ahash::RandomState>,
    texts: Vec<String>,
}

impl Interner {
    fn id(&mut self, text: Option<&str>) -> u32 {
        let Some(t) = text else { return 0 };
        if let Some(&id) = self.ids.get(t) {
            return id;
        }
        let t = t.to_string();
        self.texts.push(t.clone());
        let id = self.texts.len() as u32;
        self.ids.insert(t, id);
        id
    }

    fn text(&self, id: u32) -> Option<&str> {
        id.checked_sub(1)
            .and_then(|i| self.texts.get(i as usize))
            .map(String::as_str)
    }
}

/// A row's fields: year, month, and the texts' numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    year: Option<i32>,
    month: Option<i32>,
    texts: [u32; TEXTS],
}

#[derive(Debug, Default, Clone, Copy)]
struct Sums {
    value: f64,
    values: i64,
    quantity: f64,
    quantities: i64,
    weight: f64,
    weights: i64,
    n: i64,
}

impl Sums {
    fn add(&mut self, other: &Sums) {
        self.value += other.value;
        self.values += other.values;
        self.quantity += other.quantity;
        self.quantities += other.quantities;
        self.weight += other.weight;
        self.weights += other.weights;
        self.n += other.n;
    }
}

#[derive(Debug, Default)]
struct FieldSums {
    texts: [Interner; TEXTS],
    index: HashMap<Key, usize, ahash::RandomState>,
    keys: Vec<Key>,
    sums: Vec<Sums>,
}

/// A text column read by row: through its dictionary's keys (each value numbered once,
/// when first used) or, for plain text, value by value.
enum TextColumn {
    Dictionary {
        keys: datafusion::arrow::array::Int32Array,
        values: StringArray,
        ids: Vec<u32>,
    },
    Plain(StringArray),
}

/// Not yet numbered (a dictionary value).
const UNSET: u32 = u32::MAX;

impl TextColumn {
    fn of(a: &ArrayRef) -> DfResult<TextColumn> {
        if let Some(d) = a.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
            if let Some(values) = d.values().as_any().downcast_ref::<StringArray>() {
                return Ok(TextColumn::Dictionary {
                    keys: d.keys().clone(),
                    values: values.clone(),
                    ids: vec![UNSET; values.len()],
                });
            }
        }
        let c = cast(a, &DataType::Utf8)?;
        let plain = c
            .as_any()
            .downcast_ref::<StringArray>()
            .cloned()
            .ok_or_else(|| internal("a text field is not text"))?;
        Ok(TextColumn::Plain(plain))
    }

    fn id(&mut self, i: usize, interner: &mut Interner) -> u32 {
        match self {
            TextColumn::Dictionary { keys, values, ids } => {
                if keys.is_null(i) {
                    return 0;
                }
                let k = keys.value(i) as usize;
                match ids.get(k) {
                    Some(&id) if id != UNSET => id,
                    Some(_) => {
                        let text = (!values.is_null(k)).then(|| values.value(k));
                        let id = interner.id(text);
                        ids[k] = id;
                        id
                    }
                    None => 0,
                }
            }
            TextColumn::Plain(a) => interner.id((!a.is_null(i)).then(|| a.value(i))),
        }
    }
}

fn internal(what: &str) -> DataFusionError {
    DataFusionError::Execution(format!("{TRADE_FIELD_SUMS}: {what}"))
}

/// An argument or a state column as `T`, cast to `t`.
fn typed<T: Clone + 'static>(a: &ArrayRef, t: &DataType) -> DfResult<T> {
    crate::functions::argument_as(a, t, TRADE_FIELD_SUMS)
}

fn opt_i32(a: &Int32Array, i: usize) -> Option<i32> {
    (!a.is_null(i)).then(|| a.value(i))
}

fn opt_f64(a: &Float64Array, i: usize) -> (f64, i64) {
    if a.is_null(i) {
        (0.0, 0)
    } else {
        (a.value(i), 1)
    }
}

impl FieldSums {
    fn group(&mut self, key: Key) -> usize {
        let next = self.keys.len();
        let g = *self.index.entry(key).or_insert(next);
        if g == next {
            self.keys.push(key);
            self.sums.push(Sums::default());
        }
        g
    }

    /// Adds rows: `texts` are the text columns, `sums` each row's sums.
    fn fold(
        &mut self,
        year: &Int32Array,
        month: &Int32Array,
        texts: &[ArrayRef],
        mut sums: impl FnMut(usize) -> Sums,
    ) -> DfResult<()> {
        let mut columns = texts
            .iter()
            .map(TextColumn::of)
            .collect::<DfResult<Vec<_>>>()?;
        let mut last: Option<(Key, usize)> = None;
        for i in 0..year.len() {
            let mut key = Key {
                year: opt_i32(year, i),
                month: opt_i32(month, i),
                texts: [0; TEXTS],
            };
            for (j, (c, interner)) in columns.iter_mut().zip(self.texts.iter_mut()).enumerate() {
                key.texts[j] = c.id(i, interner);
            }
            // The store keeps rows sorted: a row often has the key of the one before.
            let g = match last {
                Some((k, g)) if k == key => g,
                _ => self.group(key),
            };
            last = Some((key, g));
            let s = sums(i);
            if let Some(total) = self.sums.get_mut(g) {
                total.add(&s);
            }
        }
        Ok(())
    }

    fn table(&self) -> DfResult<RecordBatch> {
        let n = self.keys.len();
        let mut year = Int32Builder::with_capacity(n);
        let mut month = Int32Builder::with_capacity(n);
        let mut texts: [StringBuilder; TEXTS] = std::array::from_fn(|_| StringBuilder::new());
        // value_usd, quantity, net_weight_kg: each sum beside its count, as in the schema.
        let mut measured: [(Float64Builder, Int64Builder); 3] = Default::default();
        let mut rows = Int64Builder::with_capacity(n);
        for (k, s) in self.keys.iter().zip(&self.sums) {
            year.append_option(k.year);
            month.append_option(k.month);
            for ((b, interner), id) in texts.iter_mut().zip(&self.texts).zip(k.texts) {
                b.append_option(interner.text(id));
            }
            for ((sums, counts), (sum, count)) in measured.iter_mut().zip([
                (s.value, s.values),
                (s.quantity, s.quantities),
                (s.weight, s.weights),
            ]) {
                sums.append_option((count > 0).then_some(sum));
                counts.append_value(count);
            }
            rows.append_value(s.n);
        }
        let mut columns: Vec<ArrayRef> = vec![Arc::new(year.finish()), Arc::new(month.finish())];
        columns.extend(texts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        for (sums, counts) in &mut measured {
            columns.push(Arc::new(sums.finish()));
            columns.push(Arc::new(counts.finish()));
        }
        columns.push(Arc::new(rows.finish()));
        Ok(RecordBatch::try_new(sums_schema(), columns)?)
    }

    fn encoded(&self) -> DfResult<ScalarValue> {
        let table = self.table()?;
        let mut bytes = Vec::new();
        let mut writer = StreamWriter::try_new(&mut bytes, &table.schema())?;
        writer.write(&table)?;
        writer.finish()?;
        drop(writer);
        Ok(ScalarValue::Binary(Some(bytes)))
    }
}

impl Accumulator for FieldSums {
    fn update_batch(&mut self, values: &[ArrayRef]) -> DfResult<()> {
        let [year, month, texts @ .., value, quantity, weight] = values else {
            return Err(internal(&format!("takes {ARGS} arguments")));
        };
        if values.len() != ARGS {
            return Err(internal(&format!("takes {ARGS} arguments")));
        }
        let year: Int32Array = typed(year, &DataType::Int32)?;
        let month: Int32Array = typed(month, &DataType::Int32)?;
        let [value, quantity, weight] =
            [value, quantity, weight].map(|a| typed::<Float64Array>(a, &DataType::Float64));
        let (value, quantity, weight) = (value?, quantity?, weight?);
        self.fold(&year, &month, texts, |i| {
            let (v, vs) = opt_f64(&value, i);
            let (q, qs) = opt_f64(&quantity, i);
            let (w, ws) = opt_f64(&weight, i);
            Sums {
                value: v,
                values: vs,
                quantity: q,
                quantities: qs,
                weight: w,
                weights: ws,
                n: 1,
            }
        })
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> DfResult<()> {
        let [state] = states else {
            return Err(internal("one state column expected"));
        };
        for table in sums_tables(state)? {
            let c = |j: usize| table.column(j).clone();
            let year: Int32Array = typed(&c(0), &DataType::Int32)?;
            let month: Int32Array = typed(&c(1), &DataType::Int32)?;
            let texts: Vec<ArrayRef> = (2..2 + TEXTS).map(c).collect();
            let f = |j: usize| typed::<Float64Array>(&c(j), &DataType::Float64);
            let n = |j: usize| typed::<Int64Array>(&c(j), &DataType::Int64);
            let m = 2 + TEXTS;
            let (value, values, quantity, quantities) = (f(m)?, n(m + 1)?, f(m + 2)?, n(m + 3)?);
            let (weight, weights, rows) = (f(m + 4)?, n(m + 5)?, n(m + 6)?);
            self.fold(&year, &month, &texts, |r| Sums {
                value: opt_f64(&value, r).0,
                values: values.value(r),
                quantity: opt_f64(&quantity, r).0,
                quantities: quantities.value(r),
                weight: opt_f64(&weight, r).0,
                weights: weights.value(r),
                n: rows.value(r),
            })?;
        }
        Ok(())
    }

    fn state(&mut self) -> DfResult<Vec<ScalarValue>> {
        Ok(vec![self.encoded()?])
    }

    fn evaluate(&mut self) -> DfResult<ScalarValue> {
        self.encoded()
    }

    fn size(&self) -> usize {
        let texts: usize = self
            .texts
            .iter()
            .map(|t| t.texts.iter().map(|s| 2 * s.len() + 64).sum::<usize>())
            .sum();
        std::mem::size_of::<Self>()
            + texts
            + self.keys.len() * (2 * std::mem::size_of::<Key>() + std::mem::size_of::<Sums>() + 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::DictionaryArray;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    use crate::condensed::KEYS;

    /// Year, month, reporter, partner, HS, value, quantity.
    type Row = (
        i32,
        Option<i32>,
        &'static str,
        &'static str,
        Option<&'static str>,
        f64,
        Option<f64>,
    );

    /// Rows with repeated and null fields, some texts as dictionaries (two batches with
    /// different dictionaries, as two files give), some plain.
    fn table() -> (SchemaRef, Vec<Vec<RecordBatch>>) {
        let dict = |v: Vec<Option<&str>>| {
            Arc::new(v.into_iter().collect::<DictionaryArray<Int32Type>>()) as ArrayRef
        };
        let plain = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let batch = |rows: &[Row]| {
            let n = rows.len();
            let col = |f: &dyn Fn(usize) -> Option<&'static str>| (0..n).map(f).collect::<Vec<_>>();
            RecordBatch::try_from_iter(vec![
                (
                    "year",
                    Arc::new(Int32Array::from_iter_values(rows.iter().map(|r| r.0))) as ArrayRef,
                ),
                (
                    "month",
                    Arc::new(rows.iter().map(|r| r.1).collect::<Int32Array>()) as ArrayRef,
                ),
                ("reporter", dict(col(&|i| Some(rows[i].2)))),
                ("partner", dict(col(&|i| Some(rows[i].3)))),
                ("flow", plain(col(&|_| Some("import")))),
                ("series", dict(col(&|_| Some("comtrade")))),
                ("level", dict(col(&|_| Some("hs")))),
                ("hs", dict(col(&|i| rows[i].4))),
                ("source", plain(col(&|i| (i % 2 == 0).then_some("a.csv")))),
                ("status", dict(col(&|_| None))),
                ("quantity_unit", plain(col(&|i| rows[i].6.map(|_| "kg")))),
                (
                    "value_usd",
                    Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.5))) as ArrayRef,
                ),
                (
                    "quantity",
                    Arc::new(rows.iter().map(|r| r.6).collect::<Float64Array>()) as ArrayRef,
                ),
                (
                    "net_weight_kg",
                    Arc::new(
                        rows.iter()
                            .map(|r| r.6.map(|q| q * 2.0))
                            .collect::<Float64Array>(),
                    ) as ArrayRef,
                ),
            ])
            .unwrap()
        };
        let a = batch(&[
            (2017, Some(9), "CN", "KP", Some("2701"), 100.0, Some(5.0)),
            (2017, Some(9), "CN", "KP", Some("2701"), 50.0, None),
            (2017, Some(9), "CN", "KP", Some("2701"), 25.0, Some(1.0)),
            (2017, None, "CN", "KP", Some("2701"), 7.0, None),
            (2018, Some(1), "KP", "RU", None, 3.0, None),
        ]);
        let b = batch(&[
            (2018, Some(1), "KP", "RU", None, 4.0, None),
            (2017, Some(9), "CN", "KP", Some("2701"), 1.0, Some(2.0)),
            (2019, Some(2), "IN", "KP", Some("0302"), 9.0, Some(3.0)),
        ]);
        (a.schema(), vec![vec![a], vec![b]])
    }

    /// The table's rows as text, sorted.
    fn rows(batches: &[RecordBatch]) -> Vec<String> {
        let text = datafusion::arrow::util::pretty::pretty_format_batches(batches)
            .unwrap()
            .to_string();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("| ") && !l.contains("year"))
            .map(str::to_string)
            .collect();
        lines.sort();
        lines
    }

    #[test]
    fn the_sums_are_the_group_bys() {
        let (schema, partitions) = table();
        let ctx = SessionContext::new();
        ctx.register_table(
            "trade",
            Arc::new(MemTable::try_new(schema, partitions).unwrap()),
        )
        .unwrap();
        ctx.register_udaf(FieldSumsUdaf::udaf());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (ours, theirs) = rt.block_on(async {
            let answer = ctx
                .sql(&format!(
                    "SELECT {TRADE_FIELD_SUMS}({KEYS}, value_usd, quantity, net_weight_kg) FROM trade"
                ))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            let bytes = answer[0].column(0).as_any().downcast_ref::<BinaryArray>().unwrap().value(0).to_vec();
            let ours = sums_table(&bytes).unwrap();
            let mem = MemTable::try_new(sums_schema(), vec![ours]).unwrap();
            ctx.register_table("ours", Arc::new(mem)).unwrap();
            let select = |from: &str, value: &str, values: &str| {
                format!(
                    "SELECT {KEYS}, {value} AS value_usd, {values} AS value_rows, \
                     q AS quantity, qs AS quantities, w AS net_weight_kg, ws AS weights, n FROM {from}"
                )
            };
            let ours = ctx
                .sql(&select(
                    "(SELECT *, quantity AS q, quantities AS qs, net_weight_kg AS w, weights AS ws FROM ours)",
                    "value_usd",
                    "value_rows",
                ))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            let theirs = ctx
                .sql(&format!(
                    "SELECT {KEYS}, sum(value_usd) AS value_usd, count(value_usd) AS value_rows, \
                     sum(quantity) AS quantity, count(quantity) AS quantities, \
                     sum(net_weight_kg) AS net_weight_kg, count(net_weight_kg) AS weights, \
                     count(*) AS n FROM trade GROUP BY {KEYS}"
                ))
                .await
                .unwrap()
                .collect()
                .await
                .unwrap();
            (ours, theirs)
        });
        let (ours, theirs) = (rows(&ours), rows(&theirs));
        assert_eq!(ours.len(), 6, "{ours:#?}");
        assert_eq!(ours, theirs);
        // Coal in September 2017 from the first file's even rows (source a.csv, unit kg):
        // 100 + 25 USD, 5 + 1 of quantity, twice that of weight, two rows.
        let coal = ours
            .iter()
            .find(|r| r.contains("| 2701 | a.csv  |"))
            .unwrap();
        let cells: Vec<&str> = coal.split('|').map(str::trim).collect();
        assert_eq!(
            &cells[11..19],
            ["kg", "125.0", "2", "6.0", "2", "12.0", "2", "2"]
        );
    }

    #[test]
    fn states_merge_and_a_state_that_is_not_one_is_an_error() {
        let (_, partitions) = table();
        let mut all = FieldSums::default();
        let mut parts = Vec::new();
        for batch in partitions.iter().flatten() {
            all.update_batch(batch.columns()).unwrap();
            let mut one = FieldSums::default();
            one.update_batch(batch.columns()).unwrap();
            parts.push(one.state().unwrap().remove(0));
        }
        let mut merged = FieldSums::default();
        let states = ScalarValue::iter_to_array(parts).unwrap();
        merged.merge_batch(&[states]).unwrap();
        let (a, b) = (all.evaluate().unwrap(), merged.evaluate().unwrap());
        let table = |v: ScalarValue| match v {
            ScalarValue::Binary(Some(b)) => rows(&sums_table(&b).unwrap()),
            other => panic!("{other:?}"),
        };
        assert_eq!(table(a), table(b));

        for bad in [b"not arrow".to_vec(), Vec::new()] {
            let state: ArrayRef = Arc::new(BinaryArray::from_vec(vec![bad.as_slice()]));
            assert!(FieldSums::default().merge_batch(&[state]).is_err());
        }
        // A table of other columns.
        let other = RecordBatch::try_from_iter(vec![(
            "year",
            Arc::new(Int32Array::from(vec![2017])) as ArrayRef,
        )])
        .unwrap();
        let mut bytes = Vec::new();
        let mut w = StreamWriter::try_new(&mut bytes, &other.schema()).unwrap();
        w.write(&other).unwrap();
        w.finish().unwrap();
        drop(w);
        let state: ArrayRef = Arc::new(BinaryArray::from_vec(vec![bytes.as_slice()]));
        let e = FieldSums::default().merge_batch(&[state]).unwrap_err();
        assert!(e.to_string().contains("not a table of sums"), "{e}");
        assert!(FieldSums::default().update_batch(&[]).is_err());
    }
}
