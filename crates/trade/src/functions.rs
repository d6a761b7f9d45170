//! embargo's questions as engine functions, registered in every trade session.
//!
//! `check(hs, origin, destination, date[, quantity, unit, value_usd[, via]])` answers "is this
//! shipment allowed?" for every row of a query, as `embargo check` does: each row is read
//! by `regime::ShipmentInput` (the same rules as the command line's flags and batch rows)
//! and assessed through a `regime::CheckIndex` (the batch check's memo, held to the full
//! check by the regime's property tests). It returns a struct:
//!
//! | field | meaning |
//! |---|---|
//! | `verdict` | `prohibited`, `conditional` or `permitted`; null when the row cannot be read |
//! | `citations` | the paragraphs the verdict rests on, `2270 OP29; 2371 OP8` |
//! | `conditions` | conditions and notes, `|`-separated |
//! | `confidence` | the best citation confidence behind the verdict (null when permitted) |
//! | `rests_on_unconfirmed` | every measure behind the verdict is unconfirmed |
//! | `error` | why the row could not be read (`hs: ...`), else null |
//!
//! A row that cannot be read is never given a verdict: its `verdict` is null and its
//! `error` names the field.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Float64Array, StringArray, StringBuilder, StructArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use embargo_regime::{CheckIndex, Regime, ShipmentInput};

/// The function's name in SQL.
pub const CHECK: &str = "check";

/// The fields of `check`'s result, in order.
fn check_fields() -> Fields {
    Fields::from(vec![
        Field::new("verdict", DataType::Utf8, true),
        Field::new("citations", DataType::Utf8, true),
        Field::new("conditions", DataType::Utf8, true),
        Field::new("confidence", DataType::Utf8, true),
        Field::new("rests_on_unconfirmed", DataType::Boolean, true),
        Field::new("error", DataType::Utf8, true),
    ])
}

/// `check(...)` over one regime.
pub(crate) struct CheckUdf {
    regime: Arc<Regime>,
    signature: Signature,
}

// Not derived: an error that prints the function must not print the whole regime.
impl std::fmt::Debug for CheckUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{CHECK}({} measures)", self.regime.measures().len())
    }
}

impl PartialEq for CheckUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.regime, &other.regime)
    }
}
impl Eq for CheckUdf {}
impl std::hash::Hash for CheckUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.regime).hash(state);
    }
}

impl CheckUdf {
    pub(crate) fn udf(regime: Arc<Regime>) -> ScalarUDF {
        ScalarUDF::from(CheckUdf {
            regime,
            signature: Signature::one_of(
                vec![
                    TypeSignature::Any(4),
                    TypeSignature::Any(7),
                    TypeSignature::Any(8),
                ],
                Volatility::Immutable,
            ),
        })
    }
}

/// The scalar functions every trade session carries, over `regime`: one list, read by the
/// local sessions ([`TradeStore::session_read`](crate::store::TradeStore::session_read)) and
/// by every node of a cluster, so that a plan finds the same functions wherever it runs.
/// `trade_group` is not here: it fills a table in the process that runs the plan, and only
/// the condensing plan registers it, in the calling process (module `condensed`).
pub fn session_functions(regime: Arc<Regime>) -> Vec<Arc<ScalarUDF>> {
    vec![Arc::new(CheckUdf::udf(regime))]
}

/// The aggregate functions every trade session carries, local or on a cluster's nodes:
/// `trade_field_sums`, the condensing plan's first half where a cluster runs it.
pub fn session_aggregates() -> Vec<Arc<datafusion::logical_expr::AggregateUDF>> {
    vec![Arc::new(crate::field_sums::FieldSumsUdaf::udaf())]
}

/// An argument of engine function `function` as `T`, cast to `t` (the store's columns may
/// come as other types, dictionaries among them).
pub(crate) fn argument_as<T: Clone + 'static>(
    a: &ArrayRef,
    t: &DataType,
    function: &str,
) -> DfResult<T> {
    cast(a, t)?
        .as_any()
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{function}: {t} expected")))
}

/// An argument as text (dates, dictionaries and numbers as they print).
fn text(a: &ArrayRef) -> DfResult<StringArray> {
    let c = cast(a, &DataType::Utf8)?;
    c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{CHECK}: text expected")))
}

/// A number argument: numbers as they are, text read row by row (so that a quantity that
/// is not a number is that row's error, never a silent null).
enum NumberArg {
    Numbers(Float64Array),
    Text(StringArray),
}

impl NumberArg {
    fn of(a: &ArrayRef) -> DfResult<NumberArg> {
        if a.data_type().is_numeric() || a.data_type() == &DataType::Null {
            let c = cast(a, &DataType::Float64)?;
            if let Some(n) = c.as_any().downcast_ref::<Float64Array>() {
                return Ok(NumberArg::Numbers(n.clone()));
            }
        }
        Ok(NumberArg::Text(text(a)?))
    }

    fn at(&self, field: &str, i: usize) -> Result<Option<f64>, String> {
        match self {
            NumberArg::Numbers(n) => Ok((!n.is_null(i)).then(|| n.value(i))),
            NumberArg::Text(t) => match opt(t, i).map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => s
                    .parse::<f64>()
                    .map(Some)
                    .map_err(|_| format!("{field}: {s:?} is not a number")),
            },
        }
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

impl ScalarUDFImpl for CheckUdf {
    fn name(&self) -> &str {
        CHECK
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(check_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = arrays[..4].iter().map(text).collect::<DfResult<Vec<_>>>()?;
        let [hs, origin, destination, date] = &texts[..] else {
            return Err(DataFusionError::Execution(format!(
                "{CHECK} takes hs, origin, destination, date[, quantity, unit, value_usd[, via]]"
            )));
        };
        let via = arrays.get(7).map(text).transpose()?;
        let (quantity, unit, value) = match arrays.get(4..7) {
            Some([q, u, v]) => (
                Some(NumberArg::of(q)?),
                Some(text(u)?),
                Some(NumberArg::of(v)?),
            ),
            _ => (None, None, None),
        };
        let n = hs.len();
        let mut index = CheckIndex::new(&self.regime);
        let mut verdict = StringBuilder::with_capacity(n, n * 10);
        let mut citations = StringBuilder::with_capacity(n, n * 16);
        let mut conditions = StringBuilder::with_capacity(n, n * 8);
        let mut confidence = StringBuilder::with_capacity(n, n * 10);
        let mut unconfirmed = BooleanBuilder::with_capacity(n);
        let mut error = StringBuilder::with_capacity(n, n);
        for i in 0..n {
            let missing = [
                ("hs", hs),
                ("origin", origin),
                ("destination", destination),
                ("date", date),
            ]
            .into_iter()
            .find(|(_, a)| a.is_null(i))
            .map(|(f, _)| format!("{f}: missing"));
            let number = |a: &Option<NumberArg>, field: &str| match a {
                Some(a) => a.at(field, i),
                None => Ok(None),
            };
            let shipment = match missing {
                Some(m) => Err(m),
                None => number(&quantity, "quantity").and_then(|q| {
                    let v = number(&value, "value_usd")?;
                    ShipmentInput {
                        hs: hs.value(i),
                        origin: origin.value(i),
                        destination: destination.value(i),
                        via: via
                            .as_ref()
                            .and_then(|v| opt(v, i))
                            .filter(|v| !v.trim().is_empty()),
                        date: date.value(i),
                        quantity: q,
                        unit: unit
                            .as_ref()
                            .and_then(|u| opt(u, i))
                            .filter(|u| !u.trim().is_empty()),
                        value_usd: v,
                    }
                    .to_shipment()
                    .map_err(|e| e.to_string())
                }),
            };
            match shipment {
                Ok(s) => {
                    let a = index.assess(&s);
                    verdict.append_value(a.verdict.as_str());
                    citations.append_value(embargo_regime::citations_text(&a));
                    conditions.append_value(embargo_regime::conditions_text(&a));
                    confidence.append_option(a.confidence.map(|c| c.to_string()));
                    unconfirmed.append_value(a.rests_on_unconfirmed);
                    error.append_null();
                }
                Err(e) => {
                    verdict.append_null();
                    citations.append_null();
                    conditions.append_null();
                    confidence.append_null();
                    unconfirmed.append_null();
                    error.append_value(e);
                }
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(verdict.finish()),
            Arc::new(citations.finish()),
            Arc::new(conditions.finish()),
            Arc::new(confidence.finish()),
            Arc::new(unconfirmed.finish()),
            Arc::new(error.finish()),
        ];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            check_fields(),
            columns,
            None,
        )?)))
    }
}

/// The table function's name in SQL.
pub const READ_CSV: &str = "read_csv";

/// Header bytes read to name a file's columns.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// `read_csv('FILE')`: a CSV file with a header as a table whose columns are all text,
/// named by the header. Text, not inferred types: an HS code read as a number would lose
/// its leading zeros (`0301` → 301), and a check must see the code as written.
#[derive(Debug)]
pub(crate) struct ReadCsv;

impl ReadCsv {
    fn table(path: &str) -> DfResult<Arc<dyn datafusion::catalog::TableProvider>> {
        use datafusion::datasource::file_format::csv::CsvFormat;
        use datafusion::datasource::listing::{
            ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
        };
        use std::io::Read;
        let fail = |m: String| DataFusionError::Plan(format!("{READ_CSV}('{path}'): {m}"));
        let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
        let mut head = Vec::new();
        file.take(MAX_HEADER_BYTES)
            .read_to_end(&mut head)
            .map_err(|e| fail(e.to_string()))?;
        let header = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(head.as_slice())
            .headers()
            .map_err(|e| fail(format!("header: {e}")))?
            .clone();
        let mut names: Vec<String> = Vec::new();
        for h in header.iter() {
            let h = h.trim().trim_start_matches('\u{feff}').to_string();
            if h.is_empty() || names.contains(&h) {
                return Err(fail(format!(
                    "header: column {:?} is empty or given twice",
                    h
                )));
            }
            names.push(h);
        }
        if names.is_empty() {
            return Err(fail("no header line".into()));
        }
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            names
                .iter()
                .map(|n| Field::new(n, DataType::Utf8, true))
                .collect::<Vec<_>>(),
        ));
        let options = ListingOptions::new(Arc::new(CsvFormat::default().with_has_header(true)))
            .with_file_extension("");
        let config = ListingTableConfig::new(ListingTableUrl::parse(path)?)
            .with_listing_options(options)
            .with_schema(schema);
        Ok(Arc::new(ListingTable::try_new(config)?))
    }
}

impl datafusion::catalog::TableFunctionImpl for ReadCsv {
    fn call_with_args(
        &self,
        args: datafusion::catalog::TableFunctionArgs,
    ) -> DfResult<Arc<dyn datafusion::catalog::TableProvider>> {
        use datafusion::common::ScalarValue;
        use datafusion::logical_expr::Expr;
        match args.exprs() {
            [Expr::Literal(ScalarValue::Utf8(Some(path)), _)] => Self::table(path),
            _ => Err(DataFusionError::Plan(format!(
                "{READ_CSV} takes one argument, the file's path in quotes: {READ_CSV}('shipments.csv')"
            ))),
        }
    }
}
