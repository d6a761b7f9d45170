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
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use datafusion::arrow::array::{
    Array, ArrayRef, DictionaryArray, Int32Array, Int64Array, StringArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::datatypes::Int32Type;
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
    fn id(&self, stream: &Stream) -> u64 {
        let text = |s: &str| stream.text(Some(s));
        let hs = match self.hs {
            HsRef::Class(c) => HsPart::Class(c),
            HsRef::Field(f) => HsPart::Field(text(f)),
            HsRef::Outside => HsPart::Outside,
        };
        let [tag, hs] = hs.fields();
        stream.fold_all([
            year_field(self.year),
            month_field(self.month),
            text(self.reporter),
            text(self.partner),
            text(self.flow),
            text(self.series),
            text(self.level),
            tag,
            hs,
            stream.text(self.source),
            stream.text(self.status),
            stream.text(self.unit),
        ])
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

/// One of the two hashes a group is known by: its id, and the check that tells apart
/// two groups with one id. Each folds the row's fields, in the order of [`RowKey::id`]
/// (the row-by-row path) and of the engine function's columns alike: year, month,
/// reporter, partner, flow, series, level, HS tag and value ([`HsPart::fields`]), source,
/// status, unit. Seeds and constants are fixed, so ids are the same in every process.
struct Stream {
    /// Hashes a text field once.
    text: ahash::RandomState,
    /// The multiplier of each fold.
    k: u64,
    basis: u64,
}

impl Stream {
    /// The hash of one text field, or of its absence.
    fn text(&self, s: Option<&str>) -> u64 {
        match s {
            Some(s) => self.text.hash_one((1u8, s)),
            None => self.text.hash_one(0u8),
        }
    }

    /// Folds one field's hash into a row's: a 128-bit multiply folded back to 64 bits.
    #[inline]
    fn fold(&self, h: u64, x: u64) -> u64 {
        let p = u128::from(h ^ x).wrapping_mul(u128::from(self.k));
        (p as u64) ^ ((p >> 64) as u64)
    }

    /// A row's hash: its fields' hashes folded in order from the basis.
    #[inline]
    fn fold_all(&self, fields: [u64; FIELDS]) -> u64 {
        fields.into_iter().fold(self.basis, |h, x| self.fold(h, x))
    }
}

/// The fields a group folds: year, month, reporter, partner, flow, series, level, HS tag
/// and value, source, status, unit.
const FIELDS: usize = 12;

const ID: Stream = Stream {
    text: ahash::RandomState::with_seeds(
        0x243F_6A88_85A3_08D3,
        0x1319_8A2E_0370_7344,
        0xA409_3822_299F_31D0,
        0x082E_FA98_EC4E_6C89,
    ),
    k: 0x5851_F42D_4C95_7F2D,
    basis: 0x9E37_79B9_7F4A_7C15,
};
const CHECK: Stream = Stream {
    text: ahash::RandomState::with_seeds(
        0x4528_21E6_38D0_1377,
        0xBE54_66CF_34E9_0C6C,
        0xC0AC_29B7_C97C_50DD,
        0x3F84_D5B5_B547_0917,
    ),
    k: 0xD6E8_FEB8_6659_FD93,
    basis: 0xC2B2_AE3D_27D4_EB4F,
};

fn year_field(year: i32) -> u64 {
    u64::from(year as u32)
}

fn month_field(month: Option<i32>) -> u64 {
    month.map_or(u64::MAX, |m| u64::from(m as u32))
}

/// The HS part of a row's id.
#[derive(Clone, Copy)]
enum HsPart {
    Class(usize),
    /// The hash of the field as written.
    Field(u64),
    Outside,
}

impl HsPart {
    /// Its tag and value, as folded.
    fn fields(self) -> [u64; 2] {
        match self {
            HsPart::Class(c) => [0, c as u64],
            HsPart::Field(f) => [1, f],
            HsPart::Outside => [2, 0],
        }
    }
}

/// Group ids and checks confirmed in the table during one batch, in slots by the id's
/// low bits (ids are well-mixed hashes). A slot starts with an id whose low bits are
/// not the slot's, so an empty slot never holds a row's id.
struct Confirmed(Vec<(u64, u64)>);

const CONFIRMED_SLOTS: usize = 1024;

impl Confirmed {
    fn new() -> Confirmed {
        Confirmed((0..CONFIRMED_SLOTS as u64).map(|j| (j ^ 1, 0)).collect())
    }

    fn slot(id: u64) -> usize {
        (id as usize) & (CONFIRMED_SLOTS - 1)
    }

    fn holds(&self, id: u64, check: u64) -> bool {
        self.0.get(Self::slot(id)) == Some(&(id, check))
    }

    fn note(&mut self, id: u64, check: u64) {
        if let Some(s) = self.0.get_mut(Self::slot(id)) {
            *s = (id, check);
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
    /// id → check: a second hash of the fields with other seeds; a row whose id is known
    /// but whose check differs is a collision. Apart from the fields, so that the lookup
    /// every row makes probes a small table; ids are hashes already, so they are their
    /// own hash.
    checks: HashMap<u64, u64, BuildHasherDefault<IdHasher>>,
    /// id → fields.
    groups: HashMap<u64, GroupKey, BuildHasherDefault<IdHasher>>,
}

/// Hashes a group id (already a well-mixed hash) as itself.
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used (the maps' keys are u64); other input still hashes.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
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
            class_by_code: CodeClasses::default(),
            class_by_field: HashMap::with_hasher(ahash::RandomState::new()),
            class_by_long_field: HashMap::with_hasher(ahash::RandomState::new()),
            class_by_key: HashMap::new(),
            class_rep: Vec::new(),
            checks: HashMap::default(),
            groups: HashMap::default(),
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
        match self.checks.get(&id) {
            None => Ok(false),
            Some(c) if *c == check => Ok(true),
            Some(_) => Err(collision(id, self.groups.get(&id))),
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
        let (id, check) = (row.id(&ID), row.id(&CHECK));
        match (self.checks.get(&id), self.groups.get(&id)) {
            (Some(c), Some(k)) if *c == check && row.is(k) => Ok(id),
            (None, _) => {
                self.checks.insert(id, check);
                self.groups.insert(id, row.to_key());
                Ok(id)
            }
            (_, k) => Err(collision(id, k)),
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

fn collision(id: u64, k: Option<&GroupKey>) -> String {
    format!("two trade groups share the id {id} ({k:?} and another); nothing was summed")
}

/// `trade_group(...)`, reading and filling a shared [`GroupTable`]. Partitions read the
/// table at once; only new classes and new groups take it for writing.
#[derive(Debug)]
pub(crate) struct TradeGroupUdf {
    table: Arc<RwLock<GroupTable>>,
    /// What the values of recent dictionaries hash to: the reader hands every batch of a
    /// column chunk the same dictionary, so its values are hashed once, not once a row.
    memos: Mutex<Vec<(StringArray, Arc<ValueMemo>)>>,
    signature: Signature,
}

/// Dictionaries whose value hashes are kept (a few per column and partition).
const MEMOS_KEPT: usize = 64;

/// Dictionaries of at most this many values are hashed in every batch.
const FRESH_DICTIONARY: usize = 64;

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
            memos: Mutex::new(Vec::new()),
            signature: Signature::any(11, Volatility::Immutable),
        })
    }

    /// The memo of a dictionary's values: the kept one when these very buffers were seen
    /// (the memo holds the array, so its buffers cannot be freed and reused meanwhile).
    fn memo_of(&self, values: &StringArray) -> DfResult<Arc<ValueMemo>> {
        // The engine rebuilds small dictionaries batch by batch when it joins batches
        // (their values are concatenated, not merged): those are hashed afresh, which
        // costs little, and kept out of the memo so that they do not push out the large
        // dictionaries that the reader shares across batches.
        if values.len() <= FRESH_DICTIONARY {
            return Ok(Arc::new(ValueMemo::of(values)));
        }
        let same = |a: &StringArray| {
            a.len() == values.len()
                && a.offsets().inner().inner().as_ptr() == values.offsets().inner().inner().as_ptr()
                && a.values().as_ptr() == values.values().as_ptr()
        };
        let poisoned = || DataFusionError::Execution(format!("{TRADE_GROUP}: memo poisoned"));
        if let Some((_, m)) = self
            .memos
            .lock()
            .map_err(|_| poisoned())?
            .iter()
            .find(|(a, _)| same(a))
        {
            return Ok(m.clone());
        }
        let memo = Arc::new(ValueMemo::of(values));
        let mut memos = self.memos.lock().map_err(|_| poisoned())?;
        if memos.len() >= MEMOS_KEPT {
            memos.remove(0);
        }
        memos.push((values.clone(), memo.clone()));
        Ok(memo)
    }

    /// A text argument: dictionary arrays keep their keys and share a memo across
    /// batches; any other text is cast to plain strings and hashed row by row.
    fn text_arg(&self, a: &ArrayRef) -> DfResult<TextArg> {
        if let Some(d) = a.as_any().downcast_ref::<DictionaryArray<Int32Type>>() {
            if let Some(values) = d.values().as_any().downcast_ref::<StringArray>() {
                return Ok(TextArg {
                    keys: Some(d.keys().clone()),
                    values: values.clone(),
                    memo: self.memo_of(values)?,
                });
            }
        }
        let values: StringArray = typed(a, &DataType::Utf8)?;
        let memo = Arc::new(ValueMemo::of(&values));
        Ok(TextArg {
            keys: None,
            values,
            memo,
        })
    }

    /// Makes sure every HS field that an HS row of the batch uses has its class in the
    /// memo: fields seen before under the table's read lock, new ones under its write lock.
    fn resolve_classes(&self, hs: &TextArg, is_hs: &[bool]) -> DfResult<()> {
        let poisoned = || DataFusionError::Execution(format!("{TRADE_GROUP}: table poisoned"));
        let mut pending: Vec<usize> = (0..is_hs.len())
            .filter(|&i| is_hs[i])
            .filter_map(|i| hs.slot(i))
            .filter(|&s| hs.memo.class(s).is_none())
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        pending.sort_unstable();
        pending.dedup();
        let mut unknown = Vec::new();
        {
            let t = self.table.read().map_err(|_| poisoned())?;
            for s in pending {
                match t.known_class(hs.values.value(s)) {
                    Some(c) => hs.memo.set_class(s, c),
                    None => unknown.push(s),
                }
            }
        }
        if !unknown.is_empty() {
            let mut t = self.table.write().map_err(|_| poisoned())?;
            for s in unknown {
                let c = t.class(hs.values.value(s));
                hs.memo.set_class(s, c);
            }
        }
        Ok(())
    }
}

/// What each value of a text argument hashes to (with the id's and the check's seeds),
/// and, for the HS argument, the class of each field as it is first needed.
#[derive(Debug)]
struct ValueMemo {
    id: Vec<u64>,
    check: Vec<u64>,
    /// 0: not known yet; 1: named by no measure; `c + 2`: class `c`. Atomic because
    /// partitions share a dictionary's memo; a field's class never changes once given.
    class: Vec<AtomicU32>,
}

impl ValueMemo {
    fn of(values: &StringArray) -> ValueMemo {
        let (mut id, mut check) = (
            Vec::with_capacity(values.len()),
            Vec::with_capacity(values.len()),
        );
        for i in 0..values.len() {
            let v = opt(values, i);
            id.push(ID.text(v));
            check.push(CHECK.text(v));
        }
        let class = (0..values.len()).map(|_| AtomicU32::new(0)).collect();
        ValueMemo { id, check, class }
    }

    fn class(&self, slot: usize) -> Option<Option<usize>> {
        match self
            .class
            .get(slot)
            .map_or(0, |c| c.load(Ordering::Relaxed))
        {
            0 => None,
            1 => Some(None),
            c => Some(Some(c as usize - 2)),
        }
    }

    fn set_class(&self, slot: usize, class: Option<usize>) {
        // A class beyond u32 cannot occur (a class is a measure entry); it would only go
        // unremembered and be looked up again.
        let v = match class {
            None => Some(1),
            Some(c) => u32::try_from(c).ok().and_then(|c| c.checked_add(2)),
        };
        if let (Some(v), Some(x)) = (v, self.class.get(slot)) {
            x.store(v, Ordering::Relaxed);
        }
    }
}

/// How a batch's rows read one text column (see [`TextArg::row_keys`]).
#[derive(Clone, Copy)]
enum RowKeys<'a> {
    Dense(&'a [i32]),
    Null,
    Each,
}

/// One text argument of a batch, read through its values.
struct TextArg {
    /// Row → value; `None` when the argument is plain text (row `i` is value `i`).
    keys: Option<Int32Array>,
    values: StringArray,
    memo: Arc<ValueMemo>,
}

impl TextArg {
    /// The value row `i` holds (`None`: null).
    fn slot(&self, i: usize) -> Option<usize> {
        let s = match &self.keys {
            Some(k) if k.is_null(i) => return None,
            Some(k) => usize::try_from(k.value(i)).ok()?,
            None => i,
        };
        (s < self.values.len() && !self.values.is_null(s)).then_some(s)
    }

    fn str(&self, i: usize) -> Option<&str> {
        self.slot(i).map(|s| self.values.value(s))
    }

    /// Row `i`'s (id, check) hashes; `null` when it holds none.
    fn hashes(&self, i: usize, null: (u64, u64)) -> (u64, u64) {
        match self.slot(i) {
            Some(s) => (self.memo.id[s], self.memo.check[s]),
            None => null,
        }
    }

    /// The keys of a dictionary without nulls, keys or values: every row then reads its
    /// hashes straight from the memo (the path of the store's files).
    fn dense_keys(&self) -> Option<&[i32]> {
        let k = self.keys.as_ref()?;
        (k.null_count() == 0 && self.values.null_count() == 0).then(|| k.values().as_ref())
    }

    /// How every row of a batch of `n` rows reads this column: through dictionary keys
    /// without nulls, as null throughout (a column the file leaves empty), or row by row
    /// with a null check.
    fn row_keys(&self, n: usize) -> RowKeys<'_> {
        if let Some(k) = self.dense_keys().filter(|k| k.len() == n) {
            return RowKeys::Dense(k);
        }
        let (nulls, len) = match &self.keys {
            Some(k) => (k.null_count(), k.len()),
            None => (self.values.null_count(), self.values.len()),
        };
        if nulls == len && len == n {
            RowKeys::Null
        } else {
            RowKeys::Each
        }
    }

    /// Row `i`'s hashes read through `keys` (`null` when it holds none).
    #[inline]
    fn hashes_at(&self, keys: RowKeys<'_>, i: usize, null: (u64, u64)) -> (u64, u64) {
        let k = match keys {
            RowKeys::Dense(k) => k,
            RowKeys::Null => return null,
            RowKeys::Each => return self.hashes(i, null),
        };
        let s = k.get(i).map_or(usize::MAX, |&k| k as usize);
        match (self.memo.id.get(s), self.memo.check.get(s)) {
            (Some(x), Some(y)) => (*x, *y),
            _ => null,
        }
    }

    /// `f` of every row's value (`None`: null), computed once per dictionary value.
    fn per_row<T: Copy>(&self, n: usize, f: impl Fn(Option<&str>) -> T) -> Vec<T> {
        match self.dense_keys() {
            Some(keys) => {
                let of_value: Vec<T> = (0..self.values.len())
                    .map(|s| f(Some(self.values.value(s))))
                    .collect();
                let null = f(None);
                keys.iter()
                    .map(|&k| of_value.get(k as usize).copied().unwrap_or(null))
                    .collect()
            }
            None => (0..n).map(|i| f(self.str(i))).collect(),
        }
    }
}

fn opt(a: &StringArray, i: usize) -> Option<&str> {
    (!a.is_null(i)).then(|| a.value(i))
}

/// An argument as `T`, cast to `t`.
fn typed<T: Clone + 'static>(a: &ArrayRef, t: &DataType) -> DfResult<T> {
    crate::functions::argument_as(a, t, TRADE_GROUP)
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
            .map(|a| self.text_arg(a))
            .collect::<DfResult<Vec<_>>>()?;
        let [reporter, partner, flow, series, level, hs, source, status, unit] = &t[..] else {
            return Err(arity());
        };
        let n = year.len();
        let is_hs = level.per_row(n, |l| matches!(l, None | Some("") | Some("hs")));
        self.resolve_classes(hs, &is_hs)?;
        // Text read as written counts a null as empty; source, status and unit keep it.
        let empty = (ID.text(Some("")), CHECK.text(Some("")));
        let none = (ID.text(None), CHECK.text(None));
        let hs_ref = |i: usize| -> HsRef<'_> {
            if !is_hs[i] {
                return HsRef::Field(hs.str(i).unwrap_or(""));
            }
            match hs.slot(i).and_then(|s| hs.memo.class(s)).flatten() {
                Some(c) => HsRef::Class(c),
                None => HsRef::Outside,
            }
        };
        // The HS part of every row, as the id and as the check fold it.
        let part = |is_hs: bool, slot: Option<usize>| -> (HsPart, HsPart) {
            if !is_hs {
                let at = |s: usize| Some((*hs.memo.id.get(s)?, *hs.memo.check.get(s)?));
                let (a, b) = slot.and_then(at).unwrap_or(empty);
                return (HsPart::Field(a), HsPart::Field(b));
            }
            match slot.and_then(|s| hs.memo.class(s)).flatten() {
                Some(c) => (HsPart::Class(c), HsPart::Class(c)),
                None => (HsPart::Outside, HsPart::Outside),
            }
        };
        let hs_parts: Vec<(HsPart, HsPart)> = match hs.dense_keys() {
            Some(keys) => keys
                .iter()
                .zip(&is_hs)
                .map(|(&k, &h)| part(h, Some(k as usize).filter(|&s| s < hs.values.len())))
                .collect(),
            None => (0..n).map(|i| part(is_hs[i], hs.slot(i))).collect(),
        };
        // Rows that are only counted keep only what the count is reported by.
        let outside: Vec<bool> = hs_parts
            .iter()
            .map(|(p, _)| matches!(p, HsPart::Outside))
            .collect();
        // Every row folded in one pass, its fields' hashes in registers; a column read
        // through dictionary keys (the store's files) costs a lookup in its memo.
        let text = [reporter, partner, flow, series, level, source, status, unit];
        let keys = text.map(|a| a.row_keys(n));
        let (mut id, mut check) = (vec![ID.basis; n], vec![CHECK.basis; n]);
        let rows = id.iter_mut().zip(check.iter_mut());
        for (i, ((h, c), (&(hs_id, hs_check), &outside))) in
            rows.zip(hs_parts.iter().zip(&outside)).enumerate()
        {
            let y = year_field(year.value(i));
            let m = month_field((!month.is_null(i)).then(|| month.value(i)));
            let mut fields = [(y, y); FIELDS];
            fields[1] = (m, m);
            for j in 0..5 {
                fields[2 + j] = text[j].hashes_at(keys[j], i, empty);
            }
            let (a, b) = (hs_id.fields(), hs_check.fields());
            fields[7] = (a[0], b[0]);
            fields[8] = (a[1], b[1]);
            for j in 5..8 {
                fields[4 + j] = if outside {
                    none
                } else {
                    text[j].hashes_at(keys[j], i, none)
                };
            }
            // As `Stream::fold_all`, both hashes in one loop.
            for &(x, y) in &fields {
                *h = ID.fold(*h, x);
                *c = CHECK.fold(*c, y);
            }
        }
        let poisoned = || DataFusionError::Execution(format!("{TRADE_GROUP}: table poisoned"));
        // Known groups are confirmed under the read lock; a batch holds few groups, so
        // the pairs confirmed last are remembered in a small table of their own.
        let mut new = Vec::new();
        {
            let t = self.table.read().map_err(|_| poisoned())?;
            let mut confirmed = Confirmed::new();
            for (i, (&id, &check)) in id.iter().zip(&check).enumerate() {
                if confirmed.holds(id, check) {
                    continue;
                }
                if t.lookup(id, check).map_err(DataFusionError::Execution)? {
                    confirmed.note(id, check);
                } else {
                    new.push(i);
                }
            }
        }
        if !new.is_empty() {
            let mut t = self.table.write().map_err(|_| poisoned())?;
            for i in new {
                let h = hs_ref(i);
                let outside = matches!(h, HsRef::Outside);
                let row = RowKey {
                    year: year.value(i),
                    month: (!month.is_null(i)).then(|| month.value(i)),
                    reporter: reporter.str(i).unwrap_or(""),
                    partner: partner.str(i).unwrap_or(""),
                    flow: flow.str(i).unwrap_or(""),
                    series: series.str(i).unwrap_or(""),
                    level: level.str(i).unwrap_or(""),
                    hs: h,
                    source: if outside { None } else { source.str(i) },
                    status: if outside { None } else { status.str(i) },
                    unit: if outside { None } else { unit.str(i) },
                };
                // The row's fields must give the id its hashes gave: one definition.
                if t.group(row).map_err(DataFusionError::Execution)? != id[i] {
                    return Err(DataFusionError::Internal(format!(
                        "{TRADE_GROUP}: a row's id differs between its fields and its hashes"
                    )));
                }
            }
        }
        let out: Vec<i64> = id.into_iter().map(|x| x as i64).collect();
        Ok(ColumnarValue::Array(Arc::new(Int64Array::from(out))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::compute::cast;

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
        t.checks.insert(id, 0);
        t.groups.insert(id, other);
        let err = t.group(row(HsRef::Outside, None)).unwrap_err();
        assert!(err.contains("share the id"), "{err}");
    }

    const TEXT_COLUMNS: [&str; 9] = [
        "reporter", "partner", "flow", "series", "level", "hs", "source", "status", "unit",
    ];

    /// A batch of rows (year, month, text columns), its text dictionary-encoded or plain.
    fn text_batch(
        years: &[i32],
        months: &[Option<i32>],
        rows: &[[Option<&str>; 9]],
        dict: bool,
    ) -> datafusion::arrow::record_batch::RecordBatch {
        use datafusion::arrow::datatypes::{Field, Schema};
        let mut fields = vec![
            Field::new("year", DataType::Int32, false),
            Field::new("month", DataType::Int32, true),
        ];
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(Int32Array::from(years.to_vec())),
            Arc::new(Int32Array::from(months.to_vec())),
        ];
        for (k, name) in TEXT_COLUMNS.iter().enumerate() {
            let plain: StringArray = rows.iter().map(|r| r[k]).collect();
            let col: ArrayRef = if dict {
                cast(&plain, &crate::store::text_type()).unwrap()
            } else {
                Arc::new(plain)
            };
            fields.push(Field::new(*name, col.data_type().clone(), true));
            cols.push(col);
        }
        datafusion::arrow::record_batch::RecordBatch::try_new(Arc::new(Schema::new(fields)), cols)
            .unwrap()
    }

    /// `trade_group` over `batches` (one table), with the table it filled.
    fn group_ids(
        batches: Vec<datafusion::arrow::record_batch::RecordBatch>,
    ) -> (Vec<i64>, Arc<RwLock<GroupTable>>) {
        use datafusion::datasource::MemTable;
        use datafusion::prelude::SessionContext;
        let table = Arc::new(RwLock::new(GroupTable::new(Arc::new(chapter_27))));
        let ctx = SessionContext::new();
        ctx.register_udf(TradeGroupUdf::udf(table.clone()));
        let schema = batches[0].schema();
        ctx.register_table(
            "t",
            Arc::new(MemTable::try_new(schema, vec![batches]).unwrap()),
        )
        .unwrap();
        let sql = format!(
            "SELECT {TRADE_GROUP}(year, month, {}) AS g FROM t",
            TEXT_COLUMNS.join(", ")
        );
        let out = crate::store::TradeStore::runtime()
            .unwrap()
            .block_on(async { ctx.sql(&sql).await?.collect().await })
            .unwrap();
        let ids = out
            .iter()
            .flat_map(|b| {
                let g = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<datafusion::arrow::array::Int64Array>()
                    .unwrap();
                g.values().to_vec()
            })
            .collect();
        (ids, table)
    }

    /// The engine function gives the same id to a row whether its text comes
    /// dictionary-encoded (the store's files) or plain, and the table holds each id under
    /// the row's own fields (so the id folded from value hashes is the id of the fields).
    #[test]
    fn dictionary_and_plain_text_give_the_same_groups() {
        let rows: Vec<[Option<&str>; 9]> = vec![
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("COMTRADE"),
                Some("hs"),
                Some("270119"),
                Some("x"),
                Some("confirmed"),
                Some("kg"),
            ],
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("COMTRADE"),
                Some("hs"),
                Some("2701"),
                Some("x"),
                Some("confirmed"),
                Some("kg"),
            ],
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("COMTRADE"),
                Some("hs"),
                Some("0301"),
                Some("y"),
                None,
                None,
            ],
            [
                Some("KP"),
                Some("CN"),
                Some("export"),
                Some("COMTRADE"),
                Some("total"),
                Some("TOTAL"),
                Some("x"),
                Some("derived"),
                None,
            ],
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("COMTRADE"),
                None,
                None,
                None,
                Some("confirmed"),
                None,
            ],
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("COMTRADE"),
                Some("hs"),
                Some("270119"),
                Some("x"),
                Some("confirmed"),
                None,
            ],
        ];
        let years = [2017, 2017, 2017, 2018, 2017, 2017];
        let months = [None, None, Some(3), None, None, None];
        let (dict_ids, dict_table) = group_ids(vec![text_batch(&years, &months, &rows, true)]);
        let (plain_ids, _) = group_ids(vec![text_batch(&years, &months, &rows, false)]);
        assert_eq!(dict_ids, plain_ids);
        // Rows 0 and 1 share a class; row 5 differs from row 0 by its unit only.
        assert_eq!(dict_ids[0], dict_ids[1]);
        assert_ne!(dict_ids[0], dict_ids[5]);
        let distinct: std::collections::HashSet<_> = dict_ids.iter().collect();
        assert_eq!(distinct.len(), 5);
        let t = dict_table.read().unwrap();
        let k = t.key(dict_ids[2]).unwrap();
        assert_eq!(
            (k.month, k.hs.clone(), k.source.as_deref()),
            (Some(3), GroupHs::Outside, None)
        );
        let k = t.key(dict_ids[3]).unwrap();
        assert_eq!(
            (k.level.as_str(), k.hs.clone()),
            ("total", GroupHs::Field("TOTAL".into()))
        );
        let k = t.key(dict_ids[4]).unwrap();
        assert_eq!((k.level.as_str(), k.hs.clone()), ("", GroupHs::Outside));
    }

    /// Rows named by no measure are counted by period, reporter, partner, flow and
    /// series only: with every column dictionary-encoded and free of nulls (the store's
    /// usual files), two such rows that differ in source, status and unit share a group,
    /// while rows of a class keep them apart; plain text gives the same ids.
    #[test]
    fn rows_outside_every_scope_drop_source_status_and_unit() {
        let row = |hs: &'static str, source: &'static str, status: &'static str, unit| {
            [
                Some("CN"),
                Some("KP"),
                Some("import"),
                Some("BACI"),
                Some("hs"),
                Some(hs),
                Some(source),
                Some(status),
                Some(unit),
            ]
        };
        let rows = vec![
            row("030111", "x", "confirmed", "kg"),
            row("030112", "y", "derived", "t"),
            row("270111", "x", "confirmed", "kg"),
            row("270112", "y", "confirmed", "kg"),
        ];
        let (years, months) = (vec![2019; 4], vec![None; 4]);
        let (dict_ids, table) = group_ids(vec![text_batch(&years, &months, &rows, true)]);
        let (plain_ids, _) = group_ids(vec![text_batch(&years, &months, &rows, false)]);
        assert_eq!(dict_ids, plain_ids);
        assert_eq!(dict_ids[0], dict_ids[1]);
        assert_ne!(dict_ids[2], dict_ids[3]);
        assert_ne!(dict_ids[0], dict_ids[2]);
        let t = table.read().unwrap();
        let k = t.key(dict_ids[0]).unwrap();
        assert_eq!(
            (k.hs.clone(), k.source.clone(), k.unit.clone()),
            (GroupHs::Outside, None, None)
        );
        let k = t.key(dict_ids[3]).unwrap();
        assert_eq!(k.source.as_deref(), Some("y"));
    }

    /// Dictionaries too large to hash in every batch are remembered across batches: two
    /// batches sharing one dictionary give the ids of the same rows as plain text.
    #[test]
    fn a_remembered_dictionary_gives_the_ids_of_plain_text() {
        let codes: Vec<String> = (0..150)
            .map(|k| format!("27{:04}", k * 7))
            .chain((0..150).map(|k| format!("03{:04}", k)))
            .collect();
        let rows: Vec<[Option<&str>; 9]> = codes
            .iter()
            .map(|c| {
                [
                    Some("CN"),
                    Some("KP"),
                    Some("import"),
                    Some("COMTRADE"),
                    Some("hs"),
                    Some(c.as_str()),
                    Some("x"),
                    Some("confirmed"),
                    None,
                ]
            })
            .collect();
        let years = vec![2017; rows.len()];
        let months = vec![None; rows.len()];
        let dict = text_batch(&years, &months, &rows, true);
        let (plain_ids, _) = group_ids(vec![text_batch(&years, &months, &rows, false)]);
        // The second batch is the first again: its dictionary is the memo's.
        let (dict_ids, table) = group_ids(vec![dict.clone(), dict]);
        assert_eq!(dict_ids.len(), 2 * plain_ids.len());
        assert_eq!(&dict_ids[..rows.len()], &plain_ids[..]);
        assert_eq!(&dict_ids[rows.len()..], &plain_ids[..]);
        // Chapter 27 is one class, chapter 03 is named by no measure: two groups.
        let distinct: std::collections::HashSet<_> = dict_ids.iter().collect();
        assert_eq!(distinct.len(), 2);
        assert_eq!(table.read().unwrap().class_field(0), Some("270000"));
    }
}
