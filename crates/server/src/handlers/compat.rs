//! What the peer interfaces share (yente's `/match`, OpenRefine's `/reconcile`): the
//! datasets a peer client may name, the reading of a FollowTheMoney example entity into
//! the screening library's [`ScreenRequest`], and one audited screening of such examples.
//!
//! The screening is `Matcher::screen`, the call `POST /api/v1/screen` makes, with the
//! server's thresholds, so a name scores the same through every door. What differs is
//! only the shape of the question and of the answer (see `yente.rs`, `reconcile.rs`).

use crate::app::Caller;
use crate::audit::{AuditHit, AuditRecord};
use crate::error::ApiError;
use crate::screening::ListSet;
use crate::state::AppState;
use axum::http::StatusCode;
use embargo_screen::{Decision, Entity, Hit, Matcher, Query, ScreenRequest, Source};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A collection of lists under the name OpenSanctions gives it, so a yente client's
/// dataset names work unchanged.
#[derive(Debug)]
pub struct Dataset {
    pub name: &'static str,
    pub title: &'static str,
    pub sources: &'static [Source],
}

pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "default",
        title: "All active lists (UN Security Council consolidated list, OFAC SDN)",
        sources: &[Source::Un, Source::Ofac],
    },
    Dataset {
        name: "sanctions",
        title: "All active sanctions lists (UN Security Council consolidated list, OFAC SDN)",
        sources: &[Source::Un, Source::Ofac],
    },
    Dataset {
        name: "un_sc_sanctions",
        title: "UN Security Council consolidated sanctions list",
        sources: &[Source::Un],
    },
    Dataset {
        name: "us_ofac_sdn",
        title: "US OFAC Specially Designated Nationals (SDN) list",
        sources: &[Source::Ofac],
    },
];

/// The OpenSanctions dataset name of a source (as `embargo lists export` writes it).
pub fn source_dataset(source: Source) -> &'static str {
    match source {
        Source::Un => "un_sc_sanctions",
        Source::Ofac => "us_ofac_sdn",
    }
}

pub fn dataset(name: &str) -> Result<&'static Dataset, ApiError> {
    DATASETS.iter().find(|d| d.name == name).ok_or_else(|| {
        let known: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
        ApiError::not_found(
            "unknown_dataset",
            format!("no dataset {name:?}: this server has {}", known.join(", ")),
        )
    })
}

/// The dataset a route's `{dataset}` names, read before the body: an unknown dataset is
/// 404 whatever the body holds (the body's errors are about a dataset that exists).
pub struct KnownDataset(pub &'static Dataset);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for KnownDataset {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        let crate::extract::ApiPath(name) =
            crate::extract::ApiPath::<String>::from_request_parts(parts, state).await?;
        dataset(&name).map(KnownDataset)
    }
}

/// The matcher of the active lists, when at least one of the dataset's lists is active.
/// A dataset whose lists are all missing is refused rather than answered with no results:
/// an empty answer would read as "not listed".
pub fn matcher_for<'a>(lists: &'a ListSet, ds: &Dataset) -> Result<&'a Matcher, ApiError> {
    let active = lists.lists.iter().any(|l| ds.sources.contains(&l.source));
    match (&lists.matcher, active) {
        (Some(m), true) => Ok(m),
        _ => Err(ApiError::unavailable(
            "no_lists",
            format!(
                "dataset {}: none of its lists ({}) is active: import one (PUT /api/v1/lists/{{source}} or `embargo lists import`)",
                ds.name,
                ds.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// A FollowTheMoney entity given as an example, as yente's `/match` takes it.
#[derive(Debug, Clone, Deserialize)]
pub struct Example {
    #[serde(default)]
    pub id: Option<String>,
    pub schema: String,
    /// Property name → one value or a list of values.
    #[serde(default)]
    pub properties: Map<String, Value>,
}

/// The most names one example may carry: each is screened on its own.
pub const MAX_NAMES: usize = 10;

/// FtM properties read as names, in order; `firstName`… are joined when no name is given.
const NAME_PROPS: &[&str] = &["name", "alias", "weakAlias", "previousName"];
const NAME_PART_PROPS: &[&str] = &[
    "firstName",
    "secondName",
    "middleName",
    "fatherName",
    "lastName",
];
/// Read as the country, the first value of the first property given.
const COUNTRY_PROPS: &[&str] = &[
    "nationality",
    "citizenship",
    "country",
    "jurisdiction",
    "flag",
];
/// Read as the document number (the matcher compares passports and national IDs alike).
const DOCUMENT_PROPS: &[&str] = &["passportNumber", "idNumber"];
/// Properties read without a value being used: they carry nothing the matcher compares.
const SILENT_PROPS: &[&str] = &["topics"];

/// Schemas the matcher knows; `Thing` asks for any of them.
pub const SCHEMAS: &[&str] = &[
    "Person",
    "Organization",
    "Company",
    "LegalEntity",
    "Vessel",
    "Airplane",
];

/// An example read into the fields of a screening request.
#[derive(Debug, Clone, Default)]
pub struct ReadExample {
    pub names: Vec<String>,
    /// `None` for `Thing`: any schema.
    pub schema: Option<String>,
    pub dob: Option<String>,
    pub country: Option<String>,
    pub imo: Option<String>,
    pub passport: Option<String>,
    /// Properties given that embargo does not compare (reported back, not dropped silently).
    pub ignored: Vec<String>,
    /// The FtM property each request field was read from, for error messages.
    pub sources: BTreeMap<&'static str, String>,
}

/// The text values of a property: a string, a number, or a list of them. An object
/// (`{"id": ...}`, as OpenRefine sends for reconciled cells) gives its `id` or `name`.
fn values(at: &str, v: &Value) -> Result<Vec<String>, ApiError> {
    fn one(at: &str, v: &Value) -> Result<Option<String>, ApiError> {
        match v {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Object(o) => Ok(o
                .get("id")
                .or_else(|| o.get("name"))
                .and_then(Value::as_str)
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())),
            Value::Array(_) => Err(ApiError::invalid_field(
                at,
                format!("{at}: a value is a list inside a list"),
            )),
        }
    }
    match v {
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                out.extend(one(at, item)?);
            }
            Ok(out)
        }
        other => Ok(one(at, other)?.into_iter().collect()),
    }
}

/// A FtM date or date-time (`1944-10-13T00:00:00`) as the matcher reads birth dates.
fn date_part(v: &str) -> String {
    match v.split_once('T') {
        Some((day, _)) if day.len() == 10 => day.to_string(),
        _ => v.to_string(),
    }
}

impl ReadExample {
    /// Read `example` (named `at` in errors, e.g. `queries.q1`).
    pub fn read(at: &str, example: &Example) -> Result<ReadExample, ApiError> {
        let schema = example.schema.trim();
        let schema = if schema == "Thing" {
            None
        } else if let Some(s) = SCHEMAS.iter().find(|s| s.eq_ignore_ascii_case(schema)) {
            Some(s.to_string())
        } else {
            return Err(ApiError::invalid_field(
                &format!("{at}.schema"),
                format!(
                    "{at}.schema: embargo screens {} (or Thing for any of them), not {schema:?}",
                    SCHEMAS.join(", ")
                ),
            ));
        };
        let mut read = ReadExample {
            schema,
            ..ReadExample::default()
        };
        let mut given: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for (prop, v) in &example.properties {
            let vals = values(&format!("{at}.properties.{prop}"), v)?;
            let known = NAME_PROPS
                .iter()
                .chain(NAME_PART_PROPS)
                .chain(COUNTRY_PROPS)
                .chain(DOCUMENT_PROPS)
                .chain(["birthDate", "imoNumber"].iter())
                .chain(SILENT_PROPS)
                .find(|p| **p == prop.as_str());
            match known {
                Some(p) if !vals.is_empty() => {
                    given.insert(*p, vals);
                }
                Some(_) => {}
                None if vals.is_empty() => {}
                None => read.ignored.push(prop.clone()),
            }
        }
        for p in NAME_PROPS {
            for n in given.get(p).into_iter().flatten() {
                if !read.names.contains(n) {
                    read.names.push(n.clone());
                }
            }
        }
        if read.names.is_empty() {
            let parts: Vec<&str> = NAME_PART_PROPS
                .iter()
                .filter_map(|p| given.get(p).and_then(|v| v.first()).map(String::as_str))
                .collect();
            if !parts.is_empty() {
                read.names.push(parts.join(" "));
            }
        }
        if read.names.len() > MAX_NAMES {
            return Err(ApiError::invalid_field(
                &format!("{at}.properties.name"),
                format!(
                    "{at}.properties.name: {} names, the limit is {MAX_NAMES} per query",
                    read.names.len()
                ),
            ));
        }
        let first = |props: &[&'static str]| {
            props.iter().find_map(|p| {
                given
                    .get(p)
                    .and_then(|v| v.first())
                    .map(|v| (*p, v.clone()))
            })
        };
        if let Some((p, v)) = first(&["birthDate"]) {
            read.dob = Some(date_part(&v));
            read.sources.insert("dob", p.to_string());
        }
        if let Some((p, v)) = first(COUNTRY_PROPS) {
            read.country = Some(v);
            read.sources.insert("country", p.to_string());
        }
        if let Some((p, v)) = first(&["imoNumber"]) {
            read.imo = Some(v);
            read.sources.insert("imo", p.to_string());
        }
        if let Some((p, v)) = first(DOCUMENT_PROPS) {
            read.passport = Some(v);
            read.sources.insert("passport", p.to_string());
        }
        Ok(read)
    }

    /// The matcher's queries: one per name (or one without a name when only an IMO or a
    /// document number is given), read by the screening library's rules. An error names
    /// the FtM property it comes from (`queries.q1.properties.birthDate`).
    pub fn queries(&self, at: &str) -> Result<Vec<Query>, ApiError> {
        let names: Vec<Option<&str>> = if self.names.is_empty() {
            vec![None]
        } else {
            self.names.iter().map(|n| Some(n.as_str())).collect()
        };
        names
            .into_iter()
            .map(|name| {
                ScreenRequest {
                    name,
                    schema: self.schema.as_deref(),
                    dob: self.dob.as_deref(),
                    country: self.country.as_deref(),
                    imo: self.imo.as_deref(),
                    passport: self.passport.as_deref(),
                }
                .to_query()
                .and_then(|q| {
                    // The matcher's own checks, made here so that an error names the
                    // example's property before any matching starts.
                    embargo_screen::matcher::check_name_size(&q.name)?;
                    if let Some(imo) = &q.imo {
                        embargo_screen::model::imo_checked(imo).map_err(|rule| {
                            embargo_screen::QueryError::BadImo {
                                input: imo.clone(),
                                rule,
                            }
                        })?;
                    }
                    Ok(q)
                })
                .map_err(|e| self.query_error(at, e))
            })
            .collect()
    }

    fn query_error(&self, at: &str, e: embargo_screen::QueryError) -> ApiError {
        let prop = match e.field() {
            "schema" => return ApiError::invalid_field(&format!("{at}.schema"), e.to_string()),
            "name" if self.names.is_empty() && self.imo.is_none() && self.passport.is_none() => {
                return ApiError::invalid_field(
                    &format!("{at}.properties"),
                    format!(
                        "{at}: nothing to screen: give a name (or firstName/lastName), an imoNumber, a passportNumber or an idNumber"
                    ),
                )
            }
            "name" => "name".to_string(),
            other => self
                .sources
                .get(other)
                .cloned()
                .unwrap_or_else(|| other.to_string()),
        };
        let field = format!("{at}.properties.{prop}");
        ApiError::invalid_field(&field, format!("{field}: {e}"))
    }
}

/// One example, ready to screen: its key in the request, its queries, and what the audit
/// log records as the question.
pub struct Prepared {
    pub key: String,
    pub queries: Vec<Query>,
    pub audit_query: Value,
}

/// The screening of one example: its hits from the dataset's lists, best first, each
/// entry once (the best of its names), and the decision by the server's thresholds.
pub struct Answered {
    pub key: String,
    pub hits: Vec<Hit>,
    pub decision: Decision,
    pub audit_seq: u64,
}

/// Sets its flag when dropped: the blocking task stops matching for a request that is
/// gone (deadline passed, client hung up).
struct GoneOnDrop(Arc<AtomicBool>);

impl Drop for GoneOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// Screen every example against one snapshot of the lists, on the blocking pool in one
/// screening slot (as a batch screening does), keep the hits of the dataset's lists that
/// `keep` accepts (the caller's filters), and append one audit record per example, with
/// the hits as answered, before answering.
pub async fn screen_examples(
    state: &AppState,
    caller: &Caller,
    request_id: &str,
    kind: &'static str,
    ds: &'static Dataset,
    examples: Vec<Prepared>,
    keep: impl Fn(&Entity, &Hit) -> bool + Send + 'static,
) -> Result<(Arc<ListSet>, Vec<Answered>), ApiError> {
    let lists: Arc<ListSet> = state.lists.load_full();
    matcher_for(&lists, ds)?;
    let slot = state
        .screen_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| ApiError::internal("waiting for a screening slot", e))?;
    let gone = Arc::new(AtomicBool::new(false));
    let _on_drop = GoneOnDrop(gone.clone());
    let (worker_state, worker_lists) = (state.clone(), lists.clone());
    let screened = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        let m = matcher_for(&worker_lists, ds)?;
        let thresholds = worker_state.config.thresholds;
        let mut out = Vec::with_capacity(examples.len());
        for ex in examples {
            if gone.load(Ordering::Relaxed) {
                return Err(ApiError::unavailable(
                    "timeout",
                    "the request was abandoned before its screenings ended",
                ));
            }
            let mut best: HashMap<(Source, String), Hit> = HashMap::new();
            for q in &ex.queries {
                // The query was checked when prepared; an error here is still the caller's.
                let screening = m.screen(q, &thresholds).map_err(|e| {
                    let field = format!("queries.{}", ex.key);
                    ApiError::invalid_field(&field, format!("{field}: {e}"))
                })?;
                worker_state.metrics.count_screened(1);
                for hit in screening.hits {
                    let kept = ds.sources.contains(&hit.source)
                        && m.entities()
                            .get(hit.entity_index)
                            .is_some_and(|e| keep(e, &hit));
                    if !kept {
                        continue;
                    }
                    let key = (hit.source, hit.id.clone());
                    match best.get(&key) {
                        Some(b) if b.score >= hit.score => {}
                        _ => {
                            best.insert(key, hit);
                        }
                    }
                }
            }
            let mut hits: Vec<Hit> = best.into_values().collect();
            hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
            let decision = hits
                .first()
                .map(|h| thresholds.decide(h.score))
                .unwrap_or(Decision::NoMatch);
            out.push((ex.key, ex.audit_query, hits, decision));
        }
        Ok(out)
    })
    .await
    .map_err(|e| ApiError::internal("screening", e))??;

    let versions = json!(lists.versions());
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let records: Vec<AuditRecord> = screened
        .iter()
        .map(|(_, query, hits, decision)| AuditRecord {
            time: time.clone(),
            key_id: caller.key_id.clone(),
            request_id: request_id.to_string(),
            kind: kind.to_string(),
            query: query.clone(),
            list_versions: versions.clone(),
            hits: hits.iter().map(AuditHit::from).collect(),
            decision: decision_word(*decision),
        })
        .collect();
    let seqs = state.audit.append_all(&records).await.map_err(|e| {
        state.metrics.observe_audit(records.len() as u64, false);
        tracing::error!(error = %e, "audit append failed; decisions withheld");
        ApiError::unavailable(
            "audit_unavailable",
            "the decisions could not be recorded in the audit log, so they are not returned; retry",
        )
    })?;
    state.metrics.observe_audit(records.len() as u64, true);
    let answered = screened
        .into_iter()
        .zip(seqs)
        .map(|((key, _, hits, decision), audit_seq)| {
            state.metrics.observe_decision(&decision_word(decision));
            Answered {
                key,
                hits,
                decision,
                audit_seq,
            }
        })
        .collect();
    Ok((lists, answered))
}

pub fn decision_word(d: Decision) -> String {
    match d {
        Decision::Match => "match",
        Decision::Review => "review",
        Decision::NoMatch => "no_match",
    }
    .to_string()
}

/// The listed entry behind a hit, from the snapshot that produced it.
pub fn entity<'a>(lists: &'a ListSet, hit: &Hit) -> Option<&'a Entity> {
    lists.matcher.as_ref()?.entities().get(hit.entity_index)
}

/// What each feature of the matcher's explanation added to the score, by feature name;
/// `name` is the name score the features started from.
pub fn features(hit: &Hit) -> BTreeMap<&'static str, f64> {
    let mut out = BTreeMap::new();
    // Sums of token weights can land a rounding step above 1; a score is at most 1.
    out.insert("name", hit.explanation.name_score.clamp(0.0, 1.0));
    for f in &hit.explanation.features {
        *out.entry(f.feature).or_insert(0.0) += f.contribution;
    }
    out
}

/// Refuse a request with no example or more than the batch limit.
pub fn check_count(field: &str, n: usize, max: usize) -> Result<(), ApiError> {
    if n == 0 {
        return Err(ApiError::invalid_field(
            field,
            format!("{field}: no query given"),
        ));
    }
    if n > max {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!("{field}: {n} queries, the limit is {max} per request"),
        )
        .with_field(field));
    }
    Ok(())
}

/// The base URL a client reached this server at, for links in answers (the reconciliation
/// manifest's view and suggest URLs): the `Host` header, and the scheme a proxy says.
pub fn base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}
