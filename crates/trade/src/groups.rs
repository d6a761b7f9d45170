//! The condensing key as an engine function. `trade_group(year, month, reporter, partner,
//! flow, series, level, hs, source, status, quantity_unit)` gives every row the 64-bit id
//! of its group, so that the engine sums rows by one integer column instead of eleven
//! text columns, in a single scan.
//!
//! Two rows share a group when they share every field, with the HS code replaced by its
//! class (HS rows; the caller's [`ClassOf`] decides) or kept as it is (totals). HS rows
//! that no measure names share one group per period, reporter, partner, flow and series:
//! they are only counted. The id is a hash of the group's fields with fixed seeds, so it
//! is the same in every process; the table keeps the fields behind each id and refuses a
//! second group under an id it has seen (a hash collision is an error, never a merge).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, Int32Array, Int64Builder, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use crate::dprk::ClassOf;
use crate::hs::HsField;

/// The function's name in SQL.
pub const TRADE_GROUP: &str = "trade_group";

/// The HS part of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GroupHs {
    /// HS rows of one class (an index into the table's classes).
    Class(usize),
    /// Rows of another level (totals), by their field as written.
    Field(String),
    /// HS rows that no measure names.
    Outside,
}

/// The fields every row of a group shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupKey {
    pub year: i32,
    pub month: Option<i32>,
    pub reporter: String,
    pub partner: String,
    pub flow: String,
    pub series: String,
    pub level: String,
    pub hs: GroupHs,
    pub source: Option<String>,
    pub status: Option<String>,
    pub unit: Option<String>,
}

/// One row's fields, borrowed from the batch.
struct RowKey<'a> {
    year: i32,
    month: Option<i32>,
    reporter: &'a str,
    partner: &'a str,
    flow: &'a str,
    series: &'a str,
    level: &'a str,
    hs: HsRef<'a>,
    source: Option<&'a str>,
    status: Option<&'a str>,
    unit: Option<&'a str>,
}

#[derive(Clone, Copy)]
enum HsRef<'a> {
    Class(usize),
    Field(&'a str),
    Outside,
}

impl RowKey<'_> {
    fn id(&self, seeds: &ahash::RandomState) -> u64 {
        let mut h = seeds.build_hasher();
        self.year.hash(&mut h);
        self.month.hash(&mut h);
        for s in [
            self.reporter,
            self.partner,
            self.flow,
            self.series,
            self.level,
        ] {
            s.hash(&mut h);
        }
        match self.hs {
            HsRef::Class(c) => (0u8, c).hash(&mut h),
            HsRef::Field(f) => (1u8, f).hash(&mut h),
            HsRef::Outside => 2u8.hash(&mut h),
        }
        for s in [self.source, self.status, self.unit] {
            s.hash(&mut h);
        }
        h.finish()
    }

    fn is(&self, k: &GroupKey) -> bool {
        let hs = match (&self.hs, &k.hs) {
            (HsRef::Class(a), GroupHs::Class(b)) => a == b,
            (HsRef::Field(a), GroupHs::Field(b)) => a == b,
            (HsRef::Outside, GroupHs::Outside) => true,
            _ => false,
        };
        hs && self.year == k.year
            && self.month == k.month
            && self.reporter == k.reporter
            && self.partner == k.partner
            && self.flow == k.flow
            && self.series == k.series
            && self.level == k.level
            && self.source == k.source.as_deref()
            && self.status == k.status.as_deref()
            && self.unit == k.unit.as_deref()
    }

    fn to_key(&self) -> GroupKey {
        GroupKey {
            year: self.year,
            month: self.month,
            reporter: self.reporter.to_string(),
            partner: self.partner.to_string(),
            flow: self.flow.to_string(),
            series: self.series.to_string(),
            level: self.level.to_string(),
            hs: match self.hs {
                HsRef::Class(c) => GroupHs::Class(c),
                HsRef::Field(f) => GroupHs::Field(f.to_string()),
                HsRef::Outside => GroupHs::Outside,
            },
            source: self.source.map(str::to_string),
            status: self.status.map(str::to_string),
            unit: self.unit.map(str::to_string),
        }
    }
}

/// The groups and classes seen so far.
pub(crate) struct GroupTable {
    class_of: ClassOf,
    /// HS field as written → its class (`None`: no measure names it).
    class_by_field: HashMap<String, Option<usize>>,
    class_by_key: HashMap<String, usize>,
    /// The smallest field seen of each class: the one its rows come back under.
    class_rep: Vec<String>,
    groups: HashMap<u64, GroupKey>,
    seeds: ahash::RandomState,
}

impl std::fmt::Debug for GroupTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupTable")
            .field("classes", &self.class_rep.len())
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl GroupTable {
    pub(crate) fn new(class_of: ClassOf) -> GroupTable {
        GroupTable {
            class_of,
            class_by_field: HashMap::new(),
            class_by_key: HashMap::new(),
            class_rep: Vec::new(),
            groups: HashMap::new(),
            seeds: ahash::RandomState::with_seeds(
                0x243F_6A88_85A3_08D3,
                0x1319_8A2E_0370_7344,
                0xA409_3822_299F_31D0,
                0x082E_FA98_EC4E_6C89,
            ),
        }
    }

    fn class(&mut self, field: &str) -> Option<usize> {
        if let Some(c) = self.class_by_field.get(field) {
            return *c;
        }
        let class = HsField::parse(field)
            .ok()
            .and_then(|f| (self.class_of)(&f))
            .map(|key| {
                let next = self.class_rep.len();
                let c = *self.class_by_key.entry(key).or_insert(next);
                if c == next {
                    self.class_rep.push(field.to_string());
                } else if field < self.class_rep[c].as_str() {
                    self.class_rep[c] = field.to_string();
                }
                c
            });
        self.class_by_field.insert(field.to_string(), class);
        class
    }

    fn group(&mut self, row: RowKey<'_>) -> Result<u64, String> {
        let id = row.id(&self.seeds);
        match self.groups.get(&id) {
            Some(k) if row.is(k) => Ok(id),
            Some(k) => Err(format!(
                "two trade groups share the id {id} ({k:?} and another); nothing was summed"
            )),
            None => {
                self.groups.insert(id, row.to_key());
                Ok(id)
            }
        }
    }

    /// The fields of group `id`.
    pub(crate) fn key(&self, id: i64) -> Option<&GroupKey> {
        self.groups.get(&(id as u64))
    }

    /// The field the rows of class `c` come back under.
    pub(crate) fn class_field(&self, c: usize) -> Option<&str> {
        self.class_rep.get(c).map(String::as_str)
    }
}

/// `trade_group(...)`, reading and filling a shared [`GroupTable`].
#[derive(Debug)]
pub(crate) struct TradeGroupUdf {
    table: Arc<Mutex<GroupTable>>,
    signature: Signature,
}

impl PartialEq for TradeGroupUdf {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.table, &other.table)
    }
}
impl Eq for TradeGroupUdf {}
impl Hash for TradeGroupUdf {
    fn hash<H: Hasher>(&self, state: &mut H) {
        Arc::as_ptr(&self.table).hash(state);
    }
}

impl TradeGroupUdf {
    pub(crate) fn udf(table: Arc<Mutex<GroupTable>>) -> ScalarUDF {
        ScalarUDF::from(TradeGroupUdf {
            table,
            signature: Signature::any(11, Volatility::Immutable),
        })
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

fn text(a: &ArrayRef) -> DfResult<StringArray> {
    let c = cast(a, &DataType::Utf8)?;
    c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{TRADE_GROUP}: text expected")))
}

fn int(a: &ArrayRef) -> DfResult<Int32Array> {
    let c = cast(a, &DataType::Int32)?;
    c.as_any()
        .downcast_ref::<Int32Array>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{TRADE_GROUP}: integer expected")))
}

impl ScalarUDFImpl for TradeGroupUdf {
    fn name(&self) -> &str {
        TRADE_GROUP
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [year, month, rest @ ..] = &arrays[..] else {
            return Err(DataFusionError::Execution(format!(
                "{TRADE_GROUP} takes 11 arguments"
            )));
        };
        let (year, month) = (int(year)?, int(month)?);
        let t = rest.iter().map(text).collect::<DfResult<Vec<_>>>()?;
        let [reporter, partner, flow, series, level, hs, source, status, unit] = &t[..] else {
            return Err(DataFusionError::Execution(format!(
                "{TRADE_GROUP} takes 11 arguments"
            )));
        };
        let mut table = self
            .table
            .lock()
            .map_err(|_| DataFusionError::Execution(format!("{TRADE_GROUP}: table poisoned")))?;
        let mut out = Int64Builder::with_capacity(year.len());
        for i in 0..year.len() {
            let lvl = opt(level, i).unwrap_or("");
            let hs_ref = if lvl.is_empty() || lvl == "hs" {
                match opt(hs, i).and_then(|f| table.class(f)) {
                    Some(c) => HsRef::Class(c),
                    None => HsRef::Outside,
                }
            } else {
                HsRef::Field(opt(hs, i).unwrap_or(""))
            };
            // Rows that are only counted keep only what the count is reported by.
            let outside = matches!(hs_ref, HsRef::Outside);
            let row = RowKey {
                year: year.value(i),
                month: (!month.is_null(i)).then(|| month.value(i)),
                reporter: opt(reporter, i).unwrap_or(""),
                partner: opt(partner, i).unwrap_or(""),
                flow: opt(flow, i).unwrap_or(""),
                series: opt(series, i).unwrap_or(""),
                level: lvl,
                hs: hs_ref,
                source: if outside { None } else { opt(source, i) },
                status: if outside { None } else { opt(status, i) },
                unit: if outside { None } else { opt(unit, i) },
            };
            let id = table.group(row).map_err(DataFusionError::Execution)?;
            out.append_value(id as i64);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chapter_27(f: &HsField) -> Option<String> {
        f.as_str().starts_with("27").then(|| "coal".to_string())
    }

    fn row<'a>(hs: HsRef<'a>, source: Option<&'a str>) -> RowKey<'a> {
        RowKey {
            year: 2017,
            month: None,
            reporter: "CN",
            partner: "KP",
            flow: "import",
            series: "COMTRADE",
            level: "hs",
            hs,
            source,
            status: Some("confirmed"),
            unit: None,
        }
    }

    #[test]
    fn fields_of_one_class_share_a_group_and_come_back_under_the_smallest() {
        let mut t = GroupTable::new(Arc::new(chapter_27));
        let a = t.class("270119");
        let b = t.class("2701");
        assert_eq!(a, b);
        assert_eq!(t.class("0301"), None);
        let c = a.unwrap();
        assert_eq!(t.class_field(c), Some("2701"));
        let g1 = t.group(row(HsRef::Class(c), Some("x"))).unwrap();
        let g2 = t.group(row(HsRef::Class(c), Some("x"))).unwrap();
        let g3 = t.group(row(HsRef::Class(c), Some("y"))).unwrap();
        assert_eq!(g1, g2);
        assert_ne!(g1, g3);
        assert_eq!(t.groups.len(), 2);
    }

    #[test]
    fn a_hash_collision_is_an_error_not_a_merge() {
        let mut t = GroupTable::new(Arc::new(chapter_27));
        let id = t.group(row(HsRef::Outside, None)).unwrap();
        // Put another key under the id this row hashes to.
        let mut other = row(HsRef::Field("TOTAL"), None).to_key();
        other.year = 1999;
        t.groups.insert(id, other);
        let err = t.group(row(HsRef::Outside, None)).unwrap_err();
        assert!(err.contains("share the id"), "{err}");
    }
}
