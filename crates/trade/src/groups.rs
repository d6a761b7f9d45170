//! The condensing key as an engine function. `trade_group(year, month, reporter, partner,
//! flow, series, level, hs, source, status, quantity_unit)` gives every row the 64-bit id
//! of its group, so that the engine sums rows by one integer column instead of eleven
//! text columns, in a single scan.
//!
//! Two rows share a group when they share every field, with the HS code replaced by its
//! class (HS rows; the caller's [`ClassOf`] decides) or kept as it is (totals). HS rows
//! that no measure names share one group per period, reporter, partner, flow and series:
//! they are only counted. The id is a hash of the group's fields with fixed seeds, so it
//! is the same in every process; the table keeps the fields behind each id and a second
//! hash of them with other seeds, and a row whose id is known under another second hash
//! stops the plan (a collision is an error, never a merge; a row that matched both 64-bit
//! hashes of another group unnoticed would need a 128-bit collision).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::{Arc, RwLock};

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
    /// HS field as written → its class (`None`: no measure names it), keyed by the
    /// field's bytes packed in an integer ([`packed`]) so that a lookup compares no text.
    /// Classes of 2-, 4- and 6-digit codes (nearly every row), indexed by the code.
    class_by_code: CodeClasses,
    class_by_field: HashMap<u128, Option<usize>, ahash::RandomState>,
    /// Fields too long to pack (lists of codes).
    class_by_long_field: HashMap<String, Option<usize>, ahash::RandomState>,
    class_by_key: HashMap<String, usize>,
    /// The smallest field seen of each class: the one its rows come back under.
    class_rep: Vec<String>,
    /// id → (check, fields). The check is a second hash of the fields with other seeds:
    /// a row whose id is known but whose check differs is a collision.
    groups: HashMap<u64, (u64, GroupKey), ahash::RandomState>,
}

/// The seeds of a group's id, and of its check: fixed, so that ids are the same in every
/// process.
const ID_SEEDS: ahash::RandomState = ahash::RandomState::with_seeds(
    0x243F_6A88_85A3_08D3,
    0x1319_8A2E_0370_7344,
    0xA409_3822_299F_31D0,
    0x082E_FA98_EC4E_6C89,
);
const CHECK_SEEDS: ahash::RandomState = ahash::RandomState::with_seeds(
    0x4528_21E6_38D0_1377,
    0xBE54_66CF_34E9_0C6C,
    0xC0AC_29B7_C97C_50DD,
    0x3F84_D5B5_B547_0917,
);

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
            class_by_code: CodeClasses::default(),
            class_by_field: HashMap::with_hasher(ahash::RandomState::new()),
            class_by_long_field: HashMap::with_hasher(ahash::RandomState::new()),
            class_by_key: HashMap::new(),
            class_rep: Vec::new(),
            groups: HashMap::with_hasher(ahash::RandomState::new()),
        }
    }

    /// The class of a field seen before (`Some(None)`: seen, named by no measure).
    fn known_class(&self, field: &str) -> Option<Option<usize>> {
        if let Some(i) = code_index(field) {
            return self.class_by_code.get(i);
        }
        match packed(field) {
            Some(k) => self.class_by_field.get(&k).copied(),
            None => self.class_by_long_field.get(field).copied(),
        }
    }

    /// Whether group `id` is known with this check, unknown, or known with another.
    fn lookup(&self, id: u64, check: u64) -> Result<bool, String> {
        match self.groups.get(&id) {
            None => Ok(false),
            Some((c, _)) if *c == check => Ok(true),
            Some((_, k)) => Err(collision(id, k)),
        }
    }

    fn class(&mut self, field: &str) -> Option<usize> {
        if let Some(c) = self.known_class(field) {
            return c;
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
        if let Some(i) = code_index(field) {
            self.class_by_code.set(i, class);
            return class;
        }
        match packed(field) {
            Some(k) => self.class_by_field.insert(k, class),
            None => self.class_by_long_field.insert(field.to_string(), class),
        };
        class
    }

    /// Registers the group of `row` (or finds it) and returns its id.
    fn group(&mut self, row: RowKey<'_>) -> Result<u64, String> {
        let (id, check) = (row.id(&ID_SEEDS), row.id(&CHECK_SEEDS));
        match self.groups.get(&id) {
            Some((c, k)) if *c == check && row.is(k) => Ok(id),
            Some((_, k)) => Err(collision(id, k)),
            None => {
                self.groups.insert(id, (check, row.to_key()));
                Ok(id)
            }
        }
    }

    /// The fields of group `id`.
    pub(crate) fn key(&self, id: i64) -> Option<&GroupKey> {
        self.groups.get(&(id as u64)).map(|(_, k)| k)
    }

    /// The field the rows of class `c` come back under.
    pub(crate) fn class_field(&self, c: usize) -> Option<&str> {
        self.class_rep.get(c).map(String::as_str)
    }
}

/// Slots for every 2-, 4- and 6-digit code: 100 + 10,000 + 1,000,000.
const CODE_SLOTS: usize = 1_010_100;

/// The slot of a 2-, 4- or 6-digit code; `None` for any other field.
fn code_index(field: &str) -> Option<usize> {
    let b = field.as_bytes();
    let base = match b.len() {
        2 => 0,
        4 => 100,
        6 => 10_100,
        _ => return None,
    };
    let mut n = 0usize;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(c - b'0');
    }
    Some(base + n)
}

/// Classes of codes by slot, looked up without hashing: 0 is "not seen", 1 "seen, named
/// by no measure", `c + 2` class `c`. Allocated (4 MB) at the first code.
#[derive(Default)]
struct CodeClasses(Vec<u32>);

impl CodeClasses {
    fn get(&self, slot: usize) -> Option<Option<usize>> {
        match self.0.get(slot).copied().unwrap_or(0) {
            0 => None,
            1 => Some(None),
            c => Some(Some(c as usize - 2)),
        }
    }

    fn set(&mut self, slot: usize, class: Option<usize>) {
        if self.0.is_empty() {
            self.0 = vec![0; CODE_SLOTS];
        }
        // More classes than fit in a slot cannot occur (a class is a measure entry), but
        // such a class would only go unremembered, never be confused with another.
        let v = match class {
            None => Some(1),
            Some(c) => u32::try_from(c).ok().and_then(|c| c.checked_add(2)),
        };
        if let (Some(v), Some(x)) = (v, self.0.get_mut(slot)) {
            *x = v;
        }
    }
}

/// A field of up to 15 bytes as one integer: its bytes, then its length in the last
/// byte (so that two different fields never pack alike).
fn packed(field: &str) -> Option<u128> {
    let b = field.as_bytes();
    if b.len() > 15 {
        return None;
    }
    let mut k = [0u8; 16];
    k[..b.len()].copy_from_slice(b);
    k[15] = b.len() as u8;
    Some(u128::from_le_bytes(k))
}

fn collision(id: u64, k: &GroupKey) -> String {
    format!("two trade groups share the id {id} ({k:?} and another); nothing was summed")
}

/// `trade_group(...)`, reading and filling a shared [`GroupTable`]. Partitions read the
/// table at once; only new classes and new groups take it for writing.
#[derive(Debug)]
pub(crate) struct TradeGroupUdf {
    table: Arc<RwLock<GroupTable>>,
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
    pub(crate) fn udf(table: Arc<RwLock<GroupTable>>) -> ScalarUDF {
        ScalarUDF::from(TradeGroupUdf {
            table,
            signature: Signature::any(11, Volatility::Immutable),
        })
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// An argument as `T`, cast to `t` (the store's columns may come as other types).
fn typed<T: Clone + 'static>(a: &ArrayRef, t: &DataType) -> DfResult<T> {
    cast(a, t)?
        .as_any()
        .downcast_ref::<T>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{TRADE_GROUP}: {t} expected")))
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
        let arity = || DataFusionError::Execution(format!("{TRADE_GROUP} takes 11 arguments"));
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let [year, month, rest @ ..] = &arrays[..] else {
            return Err(arity());
        };
        let year: Int32Array = typed(year, &DataType::Int32)?;
        let month: Int32Array = typed(month, &DataType::Int32)?;
        let t = rest
            .iter()
            .map(|a| typed::<StringArray>(a, &DataType::Utf8))
            .collect::<DfResult<Vec<_>>>()?;
        let [reporter, partner, flow, series, level, hs, source, status, unit] = &t[..] else {
            return Err(arity());
        };
        let poisoned = || DataFusionError::Execution(format!("{TRADE_GROUP}: table poisoned"));
        let n = year.len();
        let hs_level: Vec<bool> = (0..n)
            .map(|i| matches!(opt(level, i), None | Some("") | Some("hs")))
            .collect();
        let is_hs = |i: usize| hs_level[i];
        // Classes: fields seen before under the read lock, new ones under the write lock.
        let mut class: Vec<Option<Option<usize>>> = vec![None; n];
        {
            let t = self.table.read().map_err(|_| poisoned())?;
            for (i, c) in class.iter_mut().enumerate() {
                if is_hs(i) {
                    *c = match opt(hs, i) {
                        Some(f) => t.known_class(f),
                        None => Some(None),
                    };
                }
            }
        }
        if (0..n).any(|i| is_hs(i) && class[i].is_none()) {
            let mut t = self.table.write().map_err(|_| poisoned())?;
            for (i, c) in class.iter_mut().enumerate() {
                if is_hs(i) && c.is_none() {
                    *c = Some(opt(hs, i).and_then(|f| t.class(f)));
                }
            }
        }
        let row = |i: usize| -> RowKey<'_> {
            let lvl = opt(level, i).unwrap_or("");
            let hs_ref = match class[i] {
                Some(Some(c)) => HsRef::Class(c),
                Some(None) => HsRef::Outside,
                None => HsRef::Field(opt(hs, i).unwrap_or("")),
            };
            // Rows that are only counted keep only what the count is reported by.
            let outside = matches!(hs_ref, HsRef::Outside);
            RowKey {
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
            }
        };
        // Ids need no lock; known groups are confirmed under the read lock.
        let ids: Vec<(u64, u64)> = (0..n)
            .map(|i| {
                let r = row(i);
                (r.id(&ID_SEEDS), r.id(&CHECK_SEEDS))
            })
            .collect();
        let mut new = Vec::new();
        {
            let t = self.table.read().map_err(|_| poisoned())?;
            for (i, (id, check)) in ids.iter().enumerate() {
                if !t.lookup(*id, *check).map_err(DataFusionError::Execution)? {
                    new.push(i);
                }
            }
        }
        if !new.is_empty() {
            let mut t = self.table.write().map_err(|_| poisoned())?;
            for i in new {
                t.group(row(i)).map_err(DataFusionError::Execution)?;
            }
        }
        let mut out = Int64Builder::with_capacity(n);
        for (id, _) in ids {
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
    fn packed_fields_differ_when_the_fields_do() {
        assert_ne!(packed("27"), packed("27\0"));
        assert_ne!(packed("2701"), packed("270"));
        assert_eq!(
            packed("0123456789abcde").map(|k| (k >> 120) as u8),
            Some(15)
        );
        assert_eq!(packed("0123456789abcdef"), None);
        let mut t = GroupTable::new(Arc::new(chapter_27));
        let long = "2701;2702;2703;2704";
        assert_eq!(t.class(long), t.class("2701"));
        assert_eq!(t.known_class(long), Some(Some(0)));
    }

    #[test]
    fn codes_take_slots_by_length_and_digits() {
        assert_eq!(code_index("27"), Some(27));
        assert_eq!(code_index("0027"), Some(127));
        assert_eq!(code_index("000027"), Some(10_127));
        assert_eq!(code_index("999999"), Some(CODE_SLOTS - 1));
        assert_eq!(code_index("270"), None);
        assert_eq!(code_index("27a1"), None);
        assert_eq!(code_index("TOTAL"), None);
        let mut t = GroupTable::new(Arc::new(chapter_27));
        assert_eq!(t.known_class("2701"), None);
        let c = t.class("2701");
        assert!(c.is_some());
        assert_eq!(t.known_class("2701"), Some(c));
        assert_eq!(t.class("9401"), None);
        assert_eq!(t.known_class("9401"), Some(None));
        assert_eq!(t.known_class("940100"), None);
    }

    #[test]
    fn a_hash_collision_is_an_error_not_a_merge() {
        let mut t = GroupTable::new(Arc::new(chapter_27));
        let id = t.group(row(HsRef::Outside, None)).unwrap();
        // Put another key under the id this row hashes to.
        let mut other = row(HsRef::Field("TOTAL"), None).to_key();
        other.year = 1999;
        t.groups.insert(id, (0, other));
        let err = t.group(row(HsRef::Outside, None)).unwrap_err();
        assert!(err.contains("share the id"), "{err}");
    }
}
