//! `screen(name[, schema, dob, country, imo])`: "who is this?" for every row of a query,
//! as `embargo screen` answers it, through the prepared matcher over the active lists.
//! It returns a struct:
//!
//! | field | meaning |
//! |---|---|
//! | `decision` | `match`, `review` or `no_match`; null when the row cannot be read |
//! | `hit_id` | the best hit's list id (null when nothing reached the review threshold) |
//! | `hit_name` | the best hit's listed name |
//! | `source` | `un` or `ofac`: the list of the best hit |
//! | `score` | the best hit's score, 0–1 |
//! | `hits` | how many entries reached the review threshold |
//! | `list_versions` | the list versions the answer rests on, `un:2026-11-30; ofac:…` |
//! | `error` | why the row could not be screened (`name: ...`), else null |
//!
//! The lists are loaded at the first row screened, not when the function is registered: a
//! session that never screens never pays for the matcher.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::array::{
    Array, ArrayRef, Float64Builder, StringArray, StringBuilder, StructArray, UInt32Builder,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

use crate::matcher::{Matcher, Thresholds};
use crate::request::ScreenRequest;
use crate::store::ListStore;

/// The function's name in SQL.
pub const SCREEN: &str = "screen";

/// The fields of `screen`'s result, in order.
fn screen_fields() -> Fields {
    Fields::from(vec![
        Field::new("decision", DataType::Utf8, true),
        Field::new("hit_id", DataType::Utf8, true),
        Field::new("hit_name", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new("hits", DataType::UInt32, true),
        Field::new("list_versions", DataType::Utf8, true),
        Field::new("error", DataType::Utf8, true),
    ])
}

/// The matcher the function screens with, and the versions it was built from.
pub struct ScreeningLists {
    pub matcher: Matcher,
    /// `un:VERSION; ofac:VERSION`, the active versions (empty for lists given as files).
    pub versions: String,
}

impl ScreeningLists {
    /// The active lists of a list store. No active list is an error: a screening against
    /// nothing would answer `no_match` for every name.
    pub fn active(store: &ListStore) -> Result<ScreeningLists, String> {
        let versions = ScreeningLists::active_versions(store)?;
        let entities = store.active_entities().map_err(|e| e.to_string())?;
        if entities.is_empty() {
            return Err(format!(
                "no imported lists in {}; run `embargo lists import FILE`",
                store.root().display()
            ));
        }
        Ok(ScreeningLists {
            matcher: Matcher::new(entities),
            versions,
        })
    }

    /// The active versions of a list store as [`ScreeningLists::versions`] writes them,
    /// without building a matcher.
    pub fn active_versions(store: &ListStore) -> Result<String, String> {
        let versions: Vec<String> = store
            .active_versions()
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(s, v)| format!("{}:{v}", s.as_str()))
            .collect();
        Ok(versions.join("; "))
    }
}

type Loader = dyn Fn() -> Result<ScreeningLists, String> + Send + Sync;

/// `screen(...)` over lists loaded on first use.
pub struct ScreenUdf {
    load: Box<Loader>,
    lists: OnceLock<Result<Arc<ScreeningLists>, String>>,
    thresholds: Thresholds,
    signature: Signature,
}

// Not derived: the matcher is not for printing.
impl std::fmt::Debug for ScreenUdf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{SCREEN}(...)")
    }
}

// One function a session: two instances are the same function only if they are one.
impl PartialEq for ScreenUdf {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other)
    }
}
impl Eq for ScreenUdf {}
impl std::hash::Hash for ScreenUdf {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self as *const ScreenUdf).hash(state);
    }
}

impl ScreenUdf {
    /// The function over what `load` gives, at the default thresholds (those of
    /// `embargo screen`).
    pub fn udf(
        load: impl Fn() -> Result<ScreeningLists, String> + Send + Sync + 'static,
    ) -> ScalarUDF {
        ScalarUDF::from(ScreenUdf {
            load: Box::new(load),
            lists: OnceLock::new(),
            thresholds: Thresholds::default(),
            signature: Signature::one_of(
                (1..=5).map(TypeSignature::Any).collect(),
                Volatility::Immutable,
            ),
        })
    }

    /// The function over the active lists of the data directory `data_dir`.
    pub fn over_store(data_dir: &std::path::Path) -> ScalarUDF {
        let store = ListStore::open(data_dir);
        ScreenUdf::udf(move || ScreeningLists::active(&store))
    }

    fn lists(&self) -> DfResult<Arc<ScreeningLists>> {
        self.lists
            .get_or_init(|| (self.load)().map(Arc::new))
            .clone()
            .map_err(|e| DataFusionError::Execution(format!("{SCREEN}: {e}")))
    }
}

/// An argument as text (dictionaries and numbers as they print).
fn text(a: &ArrayRef) -> DfResult<StringArray> {
    let c = cast(a, &DataType::Utf8)?;
    c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| DataFusionError::Execution(format!("{SCREEN}: text expected")))
}

fn at(a: Option<&StringArray>, i: usize) -> Option<&str> {
    a.filter(|a| !a.is_null(i)).map(|a| a.value(i))
}

impl ScalarUDFImpl for ScreenUdf {
    fn name(&self) -> &str {
        SCREEN
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Struct(screen_fields()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = arrays.iter().map(text).collect::<DfResult<Vec<_>>>()?;
        let Some(name) = texts.first() else {
            return Err(DataFusionError::Execution(format!(
                "{SCREEN} takes name[, schema, dob, country, imo]"
            )));
        };
        let lists = self.lists()?;
        let n = name.len();
        let mut decision = StringBuilder::with_capacity(n, n * 8);
        let mut hit_id = StringBuilder::with_capacity(n, n * 8);
        let mut hit_name = StringBuilder::with_capacity(n, n * 16);
        let mut source = StringBuilder::with_capacity(n, n * 3);
        let mut score = Float64Builder::with_capacity(n);
        let mut hits = UInt32Builder::with_capacity(n);
        let mut versions = StringBuilder::with_capacity(n, n * lists.versions.len());
        let mut error = StringBuilder::with_capacity(n, n);
        for i in 0..n {
            let request = ScreenRequest {
                name: at(Some(name), i),
                schema: at(texts.get(1), i),
                dob: at(texts.get(2), i),
                country: at(texts.get(3), i),
                imo: at(texts.get(4), i),
                passport: None,
            };
            let screening = request
                .to_query()
                .map_err(|e| format!("{}: {e}", e.field()))
                .and_then(|q| {
                    lists
                        .matcher
                        .screen(&q, &self.thresholds)
                        .map_err(|e| format!("{}: {e}", e.field()))
                });
            match screening {
                Ok(s) => {
                    let best = s.hits.first();
                    decision.append_value(s.decision.as_str());
                    hit_id.append_option(best.map(|h| h.id.as_str()));
                    hit_name.append_option(best.map(|h| h.name.as_str()));
                    source.append_option(best.map(|h| h.source.as_str()));
                    score.append_option(best.map(|h| h.score));
                    hits.append_value(s.hits.len() as u32);
                    versions.append_value(&lists.versions);
                    error.append_null();
                }
                Err(e) => {
                    decision.append_null();
                    hit_id.append_null();
                    hit_name.append_null();
                    source.append_null();
                    score.append_null();
                    hits.append_null();
                    versions.append_value(&lists.versions);
                    error.append_value(e);
                }
            }
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(decision.finish()),
            Arc::new(hit_id.finish()),
            Arc::new(hit_name.finish()),
            Arc::new(source.finish()),
            Arc::new(score.finish()),
            Arc::new(hits.finish()),
            Arc::new(versions.finish()),
            Arc::new(error.finish()),
        ];
        Ok(ColumnarValue::Array(Arc::new(StructArray::try_new(
            screen_fields(),
            columns,
            None,
        )?)))
    }
}
