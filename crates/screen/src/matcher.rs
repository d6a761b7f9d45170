//! The screening index: every name and alias of every loaded entry, pre-normalized, with an
//! inverted index from token keys to names for fast candidate retrieval, and token rarity
//! statistics for weighting. [`Matcher::screen`] returns explained hits.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use embargo_names::compare::{CompareParams, NameComparison};
pub use embargo_names::index::TokenFrequencies;
use embargo_names::index::{with_scratch, QueryForm, TokenIndex};
use embargo_names::name_countries::{name_mask, CountryMask, NameCountries};
use embargo_names::normalize::{forms, NameForm};

use crate::countries;
use crate::error::QueryError;
use crate::model::{
    imo_checked, normalize_imo, Entity, IdentifierKind, NameKind, Schema, SchemaFamily, Source,
};
use crate::scoring;

/// What a query can be found by: see [`Matcher::query_keys`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryKeys {
    /// Index keys (token folds, probe keys and their typo prefixes).
    pub names: Vec<String>,
    /// The checked, normalized IMO number.
    pub imo: Option<String>,
    /// The passport or national ID as the document index keys it.
    pub document: Option<String>,
}

/// Decision for a query, from the best hit's score and the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Match,
    Review,
    NoMatch,
}

impl Decision {
    /// The decision as written in answers: `match`, `review`, `no_match`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Match => "match",
            Decision::Review => "review",
            Decision::NoMatch => "no_match",
        }
    }
}

/// Whether an acronym may pair with a long form between a query and a listed name of these
/// schema families: only when both are known not to be persons. A person's initials often
/// spell a company's acronym (RA KYONG SU and an RKS LLC), so a query of unknown schema does
/// not pair acronyms.
pub(crate) fn acronyms_between(query: Option<SchemaFamily>, listed: Option<SchemaFamily>) -> bool {
    let organization_like = |f: Option<SchemaFamily>| f.is_some_and(|f| f != SchemaFamily::Person);
    organization_like(query) && organization_like(listed)
}

/// Score thresholds. Defaults come from `embargo eval names` (docs/screening.md).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Thresholds {
    /// At or above: `match`.
    pub match_at: f64,
    /// At or above (and below `match_at`): `review`.
    pub review_at: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            match_at: DEFAULT_MATCH,
            review_at: DEFAULT_REVIEW,
        }
    }
}

/// Default match threshold (see docs/screening.md for the evaluation behind it).
pub const DEFAULT_MATCH: f64 = 0.80;
/// Default review threshold: catches more true matches at lower precision.
pub const DEFAULT_REVIEW: f64 = 0.70;

/// The longest query name screened, in bytes. The longest name or alias on either list
/// (a UN alias of Hay'at Tahrir al-Sham with its Arabic script) has 346 bytes; matching
/// cost grows with the words of the query, so a 100,000-word "name" would hold a core for
/// seconds.
pub const MAX_NAME_BYTES: usize = 1024;

/// The most words (runs between spaces, hyphens, commas and dots) in a query name; the
/// longest listed name has 52.
pub const MAX_NAME_TOKENS: usize = 80;

/// Refuse a query name over [`MAX_NAME_BYTES`] or [`MAX_NAME_TOKENS`], before any
/// normalization work.
pub fn check_name_size(name: &str) -> Result<(), QueryError> {
    let bytes = name.len();
    let tokens = name
        .split(|c: char| c.is_whitespace() || matches!(c, '-' | ',' | '.'))
        .filter(|t| !t.is_empty())
        .count();
    if bytes > MAX_NAME_BYTES || tokens > MAX_NAME_TOKENS {
        return Err(QueryError::NameTooLong {
            bytes,
            tokens,
            max_bytes: MAX_NAME_BYTES,
            max_tokens: MAX_NAME_TOKENS,
        });
    }
    Ok(())
}

impl Thresholds {
    pub fn decide(&self, score: f64) -> Decision {
        if score >= self.match_at {
            Decision::Match
        } else if score >= self.review_at {
            Decision::Review
        } else {
            Decision::NoMatch
        }
    }
}

/// What the user screens.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub name: String,
    pub schema: Option<Schema>,
    pub birth_date: Option<QueryDate>,
    /// Country name or ISO code (nationality, citizenship, address or flag).
    pub country: Option<String>,
    pub imo: Option<String>,
    pub passport: Option<String>,
}

impl Query {
    /// What was screened, as a line says it: the name, else the IMO, else the passport.
    pub fn label(&self) -> String {
        if !self.name.is_empty() {
            return self.name.clone();
        }
        match (&self.imo, &self.passport) {
            (Some(imo), _) => format!("IMO {imo}"),
            (None, Some(pp)) => format!("passport {pp}"),
            (None, None) => String::new(),
        }
    }
}

/// A birth date as typed: a year, a month or a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum QueryDate {
    Year(i32),
    Month(i32, u32),
    Day(NaiveDate),
}

impl QueryDate {
    pub fn parse(s: &str) -> Result<QueryDate, QueryError> {
        let t = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            return Ok(QueryDate::Day(d));
        }
        if let Ok(d) = NaiveDate::parse_from_str(&format!("{t}-01"), "%Y-%m-%d") {
            return Ok(QueryDate::Month(d.year(), d.month()));
        }
        match t.parse::<i32>() {
            Ok(y) if (1000..=9999).contains(&y) && t.len() == 4 => Ok(QueryDate::Year(y)),
            _ => Err(QueryError::BadDate(s.to_string())),
        }
    }

    fn year(&self) -> i32 {
        match self {
            QueryDate::Year(y) | QueryDate::Month(y, _) => *y,
            QueryDate::Day(d) => d.year(),
        }
    }
}

/// A feature that moved the score, and by how much.
#[derive(Debug, Clone, Serialize)]
pub struct Feature {
    pub feature: &'static str,
    pub contribution: f64,
    pub detail: String,
}

/// What found a hit: its name, or an identifier alone (the query's IMO or passport
/// equals the listed one; the names were not compared or did not reach the floor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FoundBy {
    Name,
    Identifier,
}

/// Why an entry was hit.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub found_by: FoundBy,
    pub matched_name: String,
    pub name_kind: NameKind,
    /// The query as compared (after transliteration), e.g. `KIM CHONG UN` for `김정은`.
    pub query_form: String,
    pub name_score: f64,
    pub name: NameComparison,
    pub features: Vec<Feature>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub source: Source,
    pub schema: Schema,
    pub name: String,
    pub score: f64,
    pub decision: Decision,
    pub programs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<NaiveDate>,
    pub explanation: Explanation,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    /// The measures that make this hit matter (filled by `regime_link::attach`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regime: Option<crate::regime_context::RegimeContext>,
    /// Position of the entry in the matcher, for looking it up again.
    #[serde(skip)]
    pub entity_index: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Screening {
    pub query: String,
    pub decision: Decision,
    /// Written `matches`, as in the batch lines and the HTTP answers.
    #[serde(rename = "matches")]
    pub hits: Vec<Hit>,
}

struct IndexedName {
    entity: u32,
    kind: NameKind,
    form: NameForm,
}

/// The in-memory screening index over one or more list snapshots.
pub struct Matcher {
    entities: Vec<Entity>,
    names: Vec<IndexedName>,
    /// Token ids, weights and the inverted index of `names` (same positions).
    index: TokenIndex,
    /// Schema family of each name's entity (same positions as `names`), for the candidate
    /// filter: looking it up in the entity would touch a cold cache line per candidate.
    families: Vec<SchemaFamily>,
    by_imo: HashMap<String, Vec<u32>>,
    by_document: HashMap<String, Vec<u32>>,
    params: CompareParams,
    /// How many candidates (by shared rare tokens) get the full comparison.
    pub max_candidates: usize,
    /// How many hits a query returns at most.
    pub max_hits: usize,
}

fn document_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Weak aliases (UN "Low" quality, quoted nicknames) identify less.
fn kind_factor(kind: NameKind) -> f64 {
    match kind {
        NameKind::WeakAlias => scoring::WEAK_ALIAS.value(),
        _ => 1.0,
    }
}

/// Record a feature when the caller wants the explanation (details are only formatted then).
fn note(
    out: &mut Option<&mut Vec<Feature>>,
    feature: &'static str,
    contribution: f64,
    detail: impl FnOnce() -> String,
) {
    if let Some(out) = out {
        out.push(Feature {
            feature,
            contribution,
            detail: detail(),
        });
    }
}

/// Countries named inside the listed name and the query name (`name_countries`).
#[derive(Debug, Clone, Copy)]
struct NamedCountries {
    listed: CountryMask,
    query: CountryMask,
}

impl NamedCountries {
    /// The query's countries and the listed ones when they exclude each other and one of
    /// them comes from a name. The query's country is `--country` when given, else the one its
    /// name names. The listed one is the one its name names (narrowed by the entry's countries
    /// when the word is ambiguous), else (when the query's name names one) the entry's
    /// countries. An entry's countries are its own (addresses, nationality, flag), else its
    /// country programme (`countries::program_countries`).
    fn conflict(&self, q: &Query, e: &Entity) -> Option<(CountryMask, CountryMask)> {
        let table = NameCountries::bundled();
        // A country the tables do not know (`countries::code`) decides nothing; a known one
        // that no name word names (FR) excludes every country a listed name names.
        let asked = match q.country.as_deref() {
            Some(c) => table.code_mask(&countries::code(c)?),
            None if self.query != 0 => self.query,
            None => return None,
        };
        let own = countries::entity_countries(e);
        let codes: Vec<&str> = if own.is_empty() {
            countries::program_countries(e)
        } else {
            own.iter().map(String::as_str).collect()
        };
        let entry = codes.iter().fold(0, |m, c| m | table.code_mask(c));
        // An ambiguous word (KOREA: either Korea) is narrowed by the entry's own countries.
        let listed = match (self.listed, entry) {
            (0, _) if self.query == 0 => 0,
            (0, entry) => entry,
            (name, entry) if name & entry != 0 => name & entry,
            (name, _) => name,
        };
        (listed != 0 && asked & listed == 0).then_some((asked, listed))
    }
}

/// The best name of one entity for the query so far.
struct Best {
    entity: u32,
    score: f64,
    name: usize,
    form: usize,
    /// Position among the candidates and query form, for ties.
    rank: (usize, usize),
}

/// Keep `found` as its entity's best name (the entity's entry in `best` is at `slot`, if it
/// has one) when it scores higher, or as high from an earlier candidate and query form.
fn keep_better(best: &mut Vec<Best>, slot: Option<usize>, found: Best) {
    match slot.and_then(|k| best.get_mut(k)) {
        Some(b) if found.score > b.score || (found.score == b.score && found.rank < b.rank) => {
            *b = found;
        }
        Some(_) => {}
        None => best.push(found),
    }
}

/// The `k`-th highest score (0-based) among `best`; `top` is a reused buffer.
fn kth_score(best: &[Best], k: usize, top: &mut Vec<f64>) -> f64 {
    top.clear();
    top.extend(best.iter().map(|b| b.score));
    if k < top.len() {
        top.select_nth_unstable_by(k, |a, b| b.total_cmp(a));
    }
    top.get(k).copied().unwrap_or(0.0)
}

/// A query made ready for the index: its name forms (and their prepared index forms, same
/// positions), its schema family and its checked IMO.
struct PreparedQuery<'q> {
    query: &'q Query,
    family: Option<SchemaFamily>,
    forms: Vec<NameForm>,
    prepared: Vec<QueryForm>,
    imo: Option<String>,
}

impl Matcher {
    pub fn new(entities: Vec<Entity>) -> Matcher {
        Matcher::with_params(entities, CompareParams::default())
    }

    pub fn with_params(entities: Vec<Entity>, params: CompareParams) -> Matcher {
        Matcher::build(entities, params, None)
    }

    /// A matcher over `entities` that weighs name tokens by `frequencies` (another
    /// matcher's [`frequencies`](Matcher::frequencies)) instead of by these entities' names,
    /// and returns every hit (no candidate or hit limit). Each (query, entry) score is then
    /// a property of the pair and the table alone: screening against a matcher over a few
    /// entries gives those entries the scores a matcher over the whole list with the same
    /// table gives them. Continuous screening of a book by list deltas rests on this.
    pub fn pairwise(entities: Vec<Entity>, frequencies: Arc<TokenFrequencies>) -> Matcher {
        let mut m = Matcher::build(entities, CompareParams::default(), Some(frequencies));
        m.max_candidates = usize::MAX;
        m.max_hits = usize::MAX;
        m
    }

    /// The token frequencies this matcher weighs names by.
    pub fn frequencies(&self) -> TokenFrequencies {
        self.index.frequencies()
    }

    /// Every index key a listed name of this matcher can be found by.
    pub fn posting_keys(&self) -> impl Iterator<Item = &str> {
        self.index.posting_keys()
    }

    /// The listed IMO numbers and document keys of this matcher's entries: a query with
    /// one of them is a candidate whatever its name.
    pub fn identifier_keys(&self) -> (Vec<&str>, Vec<&str>) {
        (
            self.by_imo.keys().map(String::as_str).collect(),
            self.by_document.keys().map(String::as_str).collect(),
        )
    }

    /// The keys by which `query` can find a name in any matcher (see
    /// [`QueryForm::probe_keys`]), with its normalized IMO and document key: a query
    /// sharing none of them with a matcher's [`posting_keys`](Matcher::posting_keys) and
    /// [`identifier_keys`](Matcher::identifier_keys) has no hit there.
    pub fn query_keys(&self, query: &Query) -> Result<QueryKeys, QueryError> {
        let q = self.prepare(query)?;
        let mut names: Vec<String> = q.prepared.iter().flat_map(|f| f.probe_keys()).collect();
        names.sort();
        names.dedup();
        Ok(QueryKeys {
            names,
            imo: q.imo.clone(),
            document: query
                .passport
                .as_deref()
                .map(document_key)
                .filter(|k| k.len() >= 5),
        })
    }

    fn build(
        entities: Vec<Entity>,
        params: CompareParams,
        frequencies: Option<Arc<TokenFrequencies>>,
    ) -> Matcher {
        let mut names = Vec::new();
        let mut by_imo: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_document: HashMap<String, Vec<u32>> = HashMap::new();
        for (ei, e) in entities.iter().enumerate() {
            let ei = ei as u32;
            for n in &e.names {
                for form in forms(&n.value) {
                    names.push(IndexedName {
                        entity: ei,
                        kind: n.kind,
                        form,
                    });
                }
            }
            for id in &e.identifiers {
                match id.kind {
                    IdentifierKind::Imo | IdentifierKind::ImoCompany => {
                        if let Some(imo) = normalize_imo(&id.value) {
                            by_imo.entry(imo).or_default().push(ei);
                        }
                    }
                    IdentifierKind::Passport | IdentifierKind::NationalId => {
                        let k = document_key(&id.value);
                        if k.len() >= 5 {
                            by_document.entry(k).or_default().push(ei);
                        }
                    }
                    _ => {}
                }
            }
            if let Some(imo) = e.imo().and_then(normalize_imo) {
                let list = by_imo.entry(imo).or_default();
                if !list.contains(&ei) {
                    list.push(ei);
                }
            }
        }
        let index = TokenIndex::build_with(names.iter().map(|n| &n.form), &params, frequencies);
        let families = names
            .iter()
            .map(|n| {
                entities
                    .get(n.entity as usize)
                    .map_or(SchemaFamily::Organization, |e| e.schema.family())
            })
            .collect();
        Matcher {
            entities,
            names,
            index,
            families,
            by_imo,
            by_document,
            params,
            max_candidates: scoring::CANDIDATES.value(),
            max_hits: scoring::MAX_HITS.value(),
        }
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// Number of indexed name forms (names and aliases, with transliterations).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    /// Screen one query against the index.
    pub fn screen(&self, query: &Query, thresholds: &Thresholds) -> Result<Screening, QueryError> {
        let q = self.prepare(query)?;
        let hit_floor = thresholds.review_at * scoring::HIT_FLOOR.value();
        let mut best = self.best_names(&q, hit_floor);
        self.add_identifier_hits(&q, &mut best);
        let hits: Vec<Hit> = self
            .ranked(&q, &best, hit_floor)
            .into_iter()
            .map(|(score, b, entity)| self.hit(entity, b, score, &q, thresholds))
            .collect();
        let decision = hits
            .first()
            .map(|h| h.decision)
            .unwrap_or(Decision::NoMatch);
        Ok(Screening {
            query: query.label(),
            decision,
            hits,
        })
    }

    /// The seven digits of a queried IMO number. A ship's number carries a check digit and
    /// one that breaks it is a typo; but IMO company and registered-owner numbers have no
    /// published check digit rule (the UN list gives them for shipping companies), so a
    /// number that breaks the ship rule is still taken when a listed entry carries it.
    fn listed_or_checked_imo(&self, raw: &str) -> Result<String, QueryError> {
        match imo_checked(raw) {
            Ok(digits) => Ok(digits),
            Err(rule) => match normalize_imo(raw) {
                Some(digits) if self.by_imo.contains_key(&digits) => Ok(digits),
                Some(_) => Err(QueryError::BadImo {
                    input: raw.to_string(),
                    rule: format!(
                        "{rule}; and no listed entry carries it as a company or registered-owner number"
                    ),
                }),
                None => Err(QueryError::BadImo {
                    input: raw.to_string(),
                    rule,
                }),
            },
        }
    }

    /// The query made ready: its size checked, its name forms prepared for the index, its
    /// IMO checked. A query with no name form, IMO or passport is refused.
    fn prepare<'q>(&self, query: &'q Query) -> Result<PreparedQuery<'q>, QueryError> {
        check_name_size(&query.name)?;
        let forms = forms(&query.name);
        let imo = match &query.imo {
            Some(raw) => Some(self.listed_or_checked_imo(raw)?),
            None => None,
        };
        if forms.is_empty() && imo.is_none() && query.passport.is_none() {
            return Err(QueryError::EmptyName);
        }
        let prepared = forms
            .iter()
            .map(|f| self.index.query_form(f, &self.params))
            .collect();
        Ok(PreparedQuery {
            query,
            family: query.schema.map(Schema::family),
            forms,
            prepared,
            imo,
        })
    }

    /// The best-scoring name of each entity among the candidates, over every query form.
    fn best_names(&self, q: &PreparedQuery, hit_floor: f64) -> Vec<Best> {
        let query = q.query;
        // Hits below the hit floor are dropped (`ranked`), so names that cannot reach it
        // even with every positive feature need no alignment. Identifiers can lift any
        // score to 1, so with an identifier nothing is pruned.
        let floor = if q.imo.is_some() || query.passport.is_some() {
            0.0
        } else {
            hit_floor - scoring::most_lift(query.birth_date.is_some(), query.country.is_some())
        };
        // Without features that move scores, a name whose bound is below the score of the
        // `max_hits`-th entity found so far cannot be returned either.
        let plain = query.birth_date.is_none() && query.country.is_none() && floor > 0.0;
        let mut kth = 0.0f64;
        let mut top: Vec<f64> = Vec::new();
        let mut best: Vec<Best> = Vec::new();
        with_scratch(|sc| {
            let keep = |ni: u32| {
                q.family
                    .is_none_or(|f| self.families.get(ni as usize) == Some(&f))
            };
            let cands = self
                .index
                .candidates(&q.prepared, self.max_candidates, keep, sc);
            for (qi, qf) in q.prepared.iter().enumerate() {
                self.index.begin_form(sc);
                for (pos, &ni) in cands.iter().enumerate() {
                    let Some(n) = self.names.get(ni as usize) else {
                        continue;
                    };
                    let factor = kind_factor(n.kind);
                    let slot = best.iter().position(|b| b.entity == n.entity);
                    let known = slot.and_then(|k| best.get(k)).map(|b| b.score);
                    let need = known.unwrap_or(0.0).max(floor).max(kth) / factor;
                    let params = self.pair_params(q.family, ni as usize);
                    let Some(raw) = self.index.score(qf, ni as usize, &params, need, sc) else {
                        continue;
                    };
                    let found = Best {
                        entity: n.entity,
                        score: raw * factor,
                        name: ni as usize,
                        form: qi,
                        rank: (pos, qi),
                    };
                    keep_better(&mut best, slot, found);
                    if plain && self.max_hits > 0 && best.len() >= self.max_hits {
                        kth = kth_score(&best, self.max_hits - 1, &mut top);
                    }
                }
            }
        });
        best
    }

    /// Entities whose listed IMO or document the query gives, found even when the name
    /// differs (renamed ships), with a name score of 0 unless a name already found them.
    fn add_identifier_hits(&self, q: &PreparedQuery, best: &mut Vec<Best>) {
        let mut id_entities: Vec<u32> = Vec::new();
        if let Some(imo) = &q.imo {
            id_entities.extend(self.by_imo.get(imo).into_iter().flatten());
        }
        if let Some(pp) = &q.query.passport {
            id_entities.extend(
                self.by_document
                    .get(&document_key(pp))
                    .into_iter()
                    .flatten(),
            );
        }
        for e in id_entities {
            if !best.iter().any(|b| b.entity == e) {
                best.push(Best {
                    entity: e,
                    score: 0.0,
                    name: usize::MAX,
                    form: 0,
                    rank: (usize::MAX, 0),
                });
            }
        }
    }

    /// The final scores (features applied) of the entities that reach the hit floor or were
    /// found by an identifier, best first, at most `max_hits`; features and explanations
    /// are written only for these.
    fn ranked<'m, 'b>(
        &'m self,
        q: &PreparedQuery,
        best: &'b [Best],
        hit_floor: f64,
    ) -> Vec<(f64, &'b Best, &'m Entity)> {
        let mut scored: Vec<(f64, &Best, &Entity)> = Vec::new();
        for b in best {
            let Some(entity) = self.entities.get(b.entity as usize) else {
                continue;
            };
            if q.family.is_some_and(|f| entity.schema.family() != f) {
                continue;
            }
            let named = self.name_countries(b, &q.forms);
            let score = self.adjust(entity, b.score, q.query, q.imo.as_deref(), named, None);
            if score < hit_floor && b.name != usize::MAX {
                continue;
            }
            scored.push((score, b, entity));
        }
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(a.2.source.cmp(&b.2.source))
                .then(a.2.id.cmp(&b.2.id))
        });
        scored.truncate(self.max_hits);
        scored
    }

    /// A returned hit with its explanation (the alignment is redone with its token pairs).
    /// The comparison parameters for the query against indexed name `ni` (see
    /// [`acronyms_between`]).
    pub(crate) fn pair_params(&self, query: Option<SchemaFamily>, ni: usize) -> CompareParams {
        CompareParams {
            acronyms: self.params.acronyms
                && acronyms_between(query, self.families.get(ni).copied()),
            ..self.params
        }
    }

    fn hit(
        &self,
        entity: &Entity,
        b: &Best,
        score: f64,
        q: &PreparedQuery,
        thresholds: &Thresholds,
    ) -> Hit {
        let named = self
            .names
            .get(b.name)
            .zip(q.forms.get(b.form))
            .zip(q.prepared.get(b.form));
        let (matched, kind, qform, cmp) = match named {
            Some(((n, qf), pq)) => {
                let params = self.pair_params(q.family, b.name);
                let mut cmp = self.index.explain(pq, qf, b.name, &n.form, &params);
                cmp.score *= kind_factor(n.kind);
                (n.form.latin.clone(), n.kind, qf.latin.clone(), cmp)
            }
            None => (
                entity.caption().to_string(),
                NameKind::Primary,
                String::new(),
                NameComparison {
                    score: 0.0,
                    pairs: Vec::new(),
                    unmatched_query: Vec::new(),
                    unmatched_candidate: Vec::new(),
                    order_penalty: 0.0,
                    conflict_penalty: 0.0,
                },
            ),
        };
        let mut features = Vec::new();
        let named = self.name_countries(b, &q.forms);
        let imo = q.imo.as_deref();
        self.adjust(entity, b.score, q.query, imo, named, Some(&mut features));
        Hit {
            id: entity.id.clone(),
            source: entity.source,
            schema: entity.schema,
            name: entity.caption().to_string(),
            score,
            decision: thresholds.decide(score),
            programs: entity.programs.clone(),
            listed_on: entity.listed_on,
            imo: entity.imo().map(str::to_string),
            regime: None,
            entity_index: b.entity as usize,
            explanation: Explanation {
                found_by: if b.name == usize::MAX {
                    FoundBy::Identifier
                } else {
                    FoundBy::Name
                },
                matched_name: matched,
                name_kind: kind,
                query_form: qform,
                name_score: b.score,
                name: cmp,
                features,
            },
        }
    }

    /// The countries named by the listed name of a best hit and by the query form it matched.
    fn name_countries(&self, b: &Best, qforms: &[NameForm]) -> NamedCountries {
        NamedCountries {
            listed: self
                .names
                .get(b.name)
                .map_or(0, |n| name_mask(&n.form.tokens)),
            query: qforms.get(b.form).map_or(0, |f| name_mask(&f.tokens)),
        }
    }

    /// Move the name score by identifiers, birth date and country; returns the final score
    /// (0..=1); the features with their contributions go to `features` when given.
    fn adjust(
        &self,
        e: &Entity,
        name_score: f64,
        q: &Query,
        imo: Option<&str>,
        named: NamedCountries,
        mut features: Option<&mut Vec<Feature>>,
    ) -> f64 {
        let mut score = name_score;
        if let Some(imo) = imo {
            match imo_evidence(e, imo, score, &mut features) {
                ControlFlow::Break(equal) => return equal,
                ControlFlow::Continue(s) => score = s,
            }
        }
        if let Some(pp) = &q.passport {
            match document_evidence(e, pp, score, &mut features) {
                ControlFlow::Break(equal) => return equal,
                ControlFlow::Continue(s) => score = s,
            }
        }
        if let Some(qd) = q.birth_date {
            if let Some(c) = birth_date_evidence(e, qd, &mut features) {
                score += c;
            }
        }
        let mut country_missed = false;
        if let Some(country) = &q.country {
            if let Some((c, hit)) = country_evidence(e, country, &mut features) {
                score += c;
                country_missed = !hit;
            }
        }
        // One penalty for one wrong country: the entry's seat or the name's word.
        let named_conflict = named.conflict(q, e).filter(|_| !country_missed);
        if let Some((asked, listed)) = named_conflict {
            let table = NameCountries::bundled();
            let c = scoring::NAME_COUNTRY.value();
            score += c;
            note(&mut features, "name_country", c, || {
                format!(
                    "the listed name is of {}, the query of {}",
                    table.codes(listed).join("/"),
                    table.codes(asked).join("/")
                )
            });
        }
        // Query schema narrower than the entry's (company vs organization) changes nothing;
        // different families were filtered out before.
        score.clamp(0.0, 1.0)
    }
}

/// The IMO number of the query against the entry's (the ship's, or a company's given in
/// the UN's comments). Equal settles the score (`Break`); different caps it; an entry
/// without one leaves it (`Continue` with the score to go on from).
fn imo_evidence(
    e: &Entity,
    imo: &str,
    score: f64,
    features: &mut Option<&mut Vec<Feature>>,
) -> ControlFlow<f64, f64> {
    let listed: Vec<String> = e
        .identifiers
        .iter()
        .filter(|i| matches!(i.kind, IdentifierKind::Imo | IdentifierKind::ImoCompany))
        .filter_map(|i| normalize_imo(&i.value))
        .chain(e.imo().and_then(normalize_imo))
        .collect();
    if listed.iter().any(|l| l == imo) {
        let equal = scoring::IMO_EQUAL.value();
        // The UN gives shipping companies' IMO company numbers in its comments;
        // the explanation says which of the two numbers matched.
        let what = if e.imo().and_then(normalize_imo).as_deref() == Some(imo) {
            "ship's IMO number"
        } else {
            "IMO company number"
        };
        note(features, "imo", equal - score, || {
            format!(
                "IMO {imo} equals the {what} listed in {} {}",
                e.source, e.id
            )
        });
        return ControlFlow::Break(equal);
    } else if !listed.is_empty() {
        let capped = score.min(scoring::IMO_DIFFERS.value());
        note(features, "imo", capped - score, || {
            format!("IMO {imo} differs from the listed {}", listed.join(", "))
        });
        return ControlFlow::Continue(capped);
    }
    ControlFlow::Continue(score)
}

/// The query's passport against the entry's passports and national ids. Equal settles the
/// score (`Break`); different moves it a little, documents being renewed; an entry without
/// any leaves it (`Continue` with the score to go on from).
fn document_evidence(
    e: &Entity,
    pp: &str,
    score: f64,
    features: &mut Option<&mut Vec<Feature>>,
) -> ControlFlow<f64, f64> {
    let key = document_key(pp);
    let docs: Vec<&str> = e
        .identifiers
        .iter()
        .filter(|i| {
            matches!(
                i.kind,
                IdentifierKind::Passport | IdentifierKind::NationalId
            )
        })
        .map(|i| i.value.as_str())
        .collect();
    if docs.iter().any(|d| document_key(d) == key) {
        let equal = scoring::DOCUMENT_EQUAL.value();
        note(features, "document", equal - score, || {
            format!("document {pp} is listed")
        });
        return ControlFlow::Break(equal);
    } else if !docs.is_empty() {
        let c = scoring::DOCUMENT_DIFFERS.value();
        note(features, "document", c, || {
            "listed documents differ (documents are renewed: mild signal)".into()
        });
        return ControlFlow::Continue(score + c);
    }
    ControlFlow::Continue(score)
}

/// What the query's birth date adds to the score: the same day, a year within a listed
/// date, one year off, or none matching. `None` when the entry lists no birth date.
fn birth_date_evidence(
    e: &Entity,
    qd: QueryDate,
    features: &mut Option<&mut Vec<Feature>>,
) -> Option<f64> {
    if e.birth_dates.is_empty() {
        return None;
    }
    let y = qd.year();
    let day_match = matches!(qd, QueryDate::Day(d) if e.birth_dates.iter().any(|b| matches!(b.value, crate::model::DateValue::Day { date } if date == d)));
    let year_match = e.birth_dates.iter().any(|b| {
        let (lo, hi) = b.year_span();
        (lo..=hi).contains(&y)
    });
    let near = e.birth_dates.iter().any(|b| {
        let (lo, hi) = b.year_span();
        (lo - 1..=hi + 1).contains(&y)
    });
    let (rule, detail) = if day_match {
        (
            scoring::BIRTH_DAY,
            "birth date equals a listed date".to_string(),
        )
    } else if year_match {
        (
            scoring::BIRTH_YEAR,
            format!("birth year {y} within a listed date"),
        )
    } else if near {
        (
            scoring::BIRTH_NEAR,
            format!("birth year {y} one year off a listed date"),
        )
    } else {
        (
            scoring::BIRTH_OFF,
            format!("birth year {y} differs from every listed date"),
        )
    };
    let c = rule.value();
    note(features, "birth_date", c, || detail);
    Some(c)
}

/// What the query's country adds to the score, and whether it is among the entry's
/// countries (a miss weighs more for a person). `None` when the entry has no country.
fn country_evidence(
    e: &Entity,
    country: &str,
    features: &mut Option<&mut Vec<Feature>>,
) -> Option<(f64, bool)> {
    let listed = countries::entity_countries(e);
    if listed.is_empty() {
        return None;
    }
    let qc = countries::code(country);
    let hit = qc
        .as_deref()
        .is_some_and(|qc| listed.iter().any(|l| l == qc));
    let miss = if e.schema.family() == SchemaFamily::Person {
        scoring::COUNTRY_MISS_PERSON.value()
    } else {
        scoring::COUNTRY_MISS_OTHER.value()
    };
    let (c, detail) = if hit {
        (
            scoring::COUNTRY_MATCH.value(),
            format!("country {country} matches"),
        )
    } else {
        (
            miss,
            format!("country {country} not among {}", listed.join(", ")),
        )
    };
    note(features, "country", c, || detail);
    Some((c, hit))
}

#[cfg(test)]
#[path = "matcher_reference.rs"]
mod reference;
