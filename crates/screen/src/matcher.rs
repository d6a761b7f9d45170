//! The screening index: every name and alias of every loaded entry, pre-normalized, with an
//! inverted index from token keys to names for fast candidate retrieval, and token rarity
//! statistics for weighting. [`Matcher::screen`] returns explained hits.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::compare::{compare, token_weight, CompareParams, NameComparison};
use crate::countries;
use crate::error::QueryError;
use crate::model::{
    imo_checksum_ok, normalize_imo, Entity, IdentifierKind, NameKind, Schema, SchemaFamily, Source,
};
use crate::normalize::{forms, NameForm, TokenClass};

/// Decision for a query, from the best hit's score and the thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Match,
    Review,
    NoMatch,
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

/// Why an entry was hit.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
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
    /// The measures that make this hit matter (filled by [`crate::regime_link::attach`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regime: Option<crate::regime_link::RegimeContext>,
    /// Position of the entry in the matcher, for looking it up again.
    #[serde(skip)]
    pub entity_index: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Screening {
    pub query: String,
    pub decision: Decision,
    pub hits: Vec<Hit>,
}

struct IndexedName {
    entity: u32,
    kind: NameKind,
    form: NameForm,
    weights: Vec<f64>,
}

/// The in-memory screening index over one or more list snapshots.
pub struct Matcher {
    entities: Vec<Entity>,
    names: Vec<IndexedName>,
    /// Token key (fold) → indexes into `names`.
    postings: HashMap<String, Vec<u32>>,
    /// Document frequency of each fold key over all names.
    df: HashMap<String, u32>,
    by_imo: HashMap<String, Vec<u32>>,
    by_document: HashMap<String, Vec<u32>>,
    params: CompareParams,
    /// How many candidates (by shared rare tokens) get the full comparison.
    pub max_candidates: usize,
    /// How many hits a query returns at most.
    pub max_hits: usize,
}

fn rarity(df: u32, n: usize) -> f64 {
    // Inverse document frequency scaled to 0..1: a token in one name is 1, a token in every
    // 50th name or more is ~0.
    let n = n.max(2) as f64;
    let idf = (n / df.max(1) as f64).ln() / n.ln();
    ((idf - 0.35) / 0.65).clamp(0.0, 1.0)
}

fn document_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

impl Matcher {
    pub fn new(entities: Vec<Entity>) -> Matcher {
        Matcher::with_params(entities, CompareParams::default())
    }

    pub fn with_params(entities: Vec<Entity>, params: CompareParams) -> Matcher {
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
                        weights: Vec::new(),
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
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut postings: HashMap<String, Vec<u32>> = HashMap::new();
        for (ni, n) in names.iter().enumerate() {
            let mut seen: Vec<&str> = Vec::new();
            for t in &n.form.tokens {
                if seen.contains(&t.fold.as_str()) {
                    continue;
                }
                seen.push(&t.fold);
                *df.entry(t.fold.clone()).or_insert(0) += 1;
                if t.class == TokenClass::Name || t.class == TokenClass::Number {
                    postings.entry(t.fold.clone()).or_default().push(ni as u32);
                }
            }
            // Joined adjacent tokens, so a query JONGUN finds JONG UN.
            for w in n.form.tokens.windows(2) {
                if let [a, b] = w {
                    let k = crate::normalize::fold(&format!("{}{}", a.text, b.text));
                    postings.entry(k).or_default().push(ni as u32);
                }
            }
        }
        let total = names.len();
        for n in &mut names {
            n.weights = n
                .form
                .tokens
                .iter()
                .map(|t| {
                    token_weight(
                        t,
                        rarity(df.get(&t.fold).copied().unwrap_or(1), total),
                        &params,
                    )
                })
                .collect();
        }
        Matcher {
            entities,
            names,
            postings,
            df,
            by_imo,
            by_document,
            params,
            max_candidates: 48,
            max_hits: 10,
        }
    }

    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// Number of indexed name forms (names and aliases, with transliterations).
    pub fn name_count(&self) -> usize {
        self.names.len()
    }

    fn query_weights(&self, form: &NameForm) -> Vec<f64> {
        let total = self.names.len();
        form.tokens
            .iter()
            .map(|t| {
                token_weight(
                    t,
                    rarity(self.df.get(&t.fold).copied().unwrap_or(1), total),
                    &self.params,
                )
            })
            .collect()
    }

    /// Names sharing a token key with the query, best `max_candidates` by summed rarity.
    fn candidates(
        &self,
        qforms: &[NameForm],
        qweights: &[Vec<f64>],
        family: Option<SchemaFamily>,
    ) -> Vec<u32> {
        let mut acc: HashMap<u32, f64> = HashMap::new();
        for (form, weights) in qforms.iter().zip(qweights) {
            let mut keys: Vec<(String, f64)> = form
                .tokens
                .iter()
                .zip(weights)
                .map(|(t, w)| (t.fold.clone(), *w))
                .collect();
            for w in form.tokens.windows(2) {
                if let [a, b] = w {
                    keys.push((
                        crate::normalize::fold(&format!("{}{}", a.text, b.text)),
                        1.0,
                    ));
                }
            }
            for (key, w) in keys {
                if let Some(list) = self.postings.get(&key) {
                    for &ni in list {
                        *acc.entry(ni).or_insert(0.0) += w;
                    }
                }
                // Prefix probe for typos at the end of a rare token (SCHOLZE ~ SCHOLZ).
                if key.len() >= 5 {
                    if let Some(prefix) = key.get(..key.len() - 1) {
                        if let Some(list) = self.postings.get(prefix) {
                            for &ni in list {
                                *acc.entry(ni).or_insert(0.0) += w * 0.8;
                            }
                        }
                    }
                }
            }
        }
        let mut ranked: Vec<(u32, f64)> = acc
            .into_iter()
            .filter(|(ni, _)| {
                family.is_none_or(|f| {
                    self.names
                        .get(*ni as usize)
                        .and_then(|n| self.entities.get(n.entity as usize))
                        .is_some_and(|e| e.schema.family() == f)
                })
            })
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(self.max_candidates);
        ranked.into_iter().map(|(ni, _)| ni).collect()
    }

    /// Screen one query against the index.
    pub fn screen(&self, query: &Query, thresholds: &Thresholds) -> Result<Screening, QueryError> {
        let qforms = forms(&query.name);
        let imo = match &query.imo {
            Some(raw) => {
                let d = normalize_imo(raw).filter(|d| imo_checksum_ok(d));
                Some(d.ok_or_else(|| QueryError::BadImo(raw.clone()))?)
            }
            None => None,
        };
        if qforms.is_empty() && imo.is_none() && query.passport.is_none() {
            return Err(QueryError::EmptyName);
        }
        let family = query.schema.map(Schema::family);
        let qweights: Vec<Vec<f64>> = qforms.iter().map(|f| self.query_weights(f)).collect();
        let mut best: HashMap<u32, (f64, usize, NameComparison)> = HashMap::new();
        for ni in self.candidates(&qforms, &qweights, family) {
            let Some(n) = self.names.get(ni as usize) else {
                continue;
            };
            for (qi, (qf, qw)) in qforms.iter().zip(&qweights).enumerate() {
                let mut cmp = compare(qf, qw, &n.form, &n.weights, &self.params);
                // Weak aliases (UN "Low" quality, quoted nicknames) identify less.
                let factor = match n.kind {
                    NameKind::WeakAlias => 0.92,
                    _ => 1.0,
                };
                cmp.score *= factor;
                let entry = best.get(&n.entity);
                if entry.is_none_or(|(s, _, _)| cmp.score > *s) {
                    best.insert(n.entity, (cmp.score, ni as usize * 8 + qi.min(7), cmp));
                }
            }
        }
        // Identifier hits are found even when the name differs (renamed ships).
        let mut id_entities: Vec<u32> = Vec::new();
        if let Some(imo) = &imo {
            id_entities.extend(self.by_imo.get(imo).into_iter().flatten());
        }
        if let Some(pp) = &query.passport {
            id_entities.extend(
                self.by_document
                    .get(&document_key(pp))
                    .into_iter()
                    .flatten(),
            );
        }
        let mut hits = Vec::new();
        let mut ids: Vec<u32> = best.keys().copied().collect();
        for e in id_entities {
            if !ids.contains(&e) {
                ids.push(e);
            }
        }
        for ei in ids {
            let Some(entity) = self.entities.get(ei as usize) else {
                continue;
            };
            if family.is_some_and(|f| entity.schema.family() != f) {
                continue;
            }
            let (name_score, slot, cmp) = match best.remove(&ei) {
                Some(b) => b,
                None => (
                    0.0,
                    usize::MAX,
                    NameComparison {
                        score: 0.0,
                        pairs: Vec::new(),
                        unmatched_query: Vec::new(),
                        unmatched_candidate: Vec::new(),
                        order_penalty: 0.0,
                    },
                ),
            };
            let (matched, kind, qform) = if slot == usize::MAX {
                (
                    entity.caption().to_string(),
                    NameKind::Primary,
                    String::new(),
                )
            } else {
                let n = self.names.get(slot / 8);
                let qf = qforms
                    .get(slot % 8)
                    .map(|f| f.latin.clone())
                    .unwrap_or_default();
                let original = n
                    .and_then(|n| self.entities.get(n.entity as usize).map(|e| (e, n)))
                    .map(|(_, n)| n.form.latin.clone())
                    .unwrap_or_default();
                (original, n.map(|n| n.kind).unwrap_or(NameKind::Primary), qf)
            };
            let (score, features) = self.adjust(entity, name_score, query, imo.as_deref());
            if score < thresholds.review_at * 0.75 && slot != usize::MAX {
                continue;
            }
            hits.push(Hit {
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
                entity_index: ei as usize,
                explanation: Explanation {
                    matched_name: matched,
                    name_kind: kind,
                    query_form: qform,
                    name_score,
                    name: cmp,
                    features,
                },
            });
        }
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.source.cmp(&b.source))
                .then(a.id.cmp(&b.id))
        });
        hits.truncate(self.max_hits);
        let decision = hits
            .first()
            .map(|h| h.decision)
            .unwrap_or(Decision::NoMatch);
        Ok(Screening {
            query: query.name.clone(),
            decision,
            hits,
        })
    }

    /// Move the name score by identifiers, birth date and country; returns the final score
    /// (0..=1) and the features with their contributions.
    fn adjust(
        &self,
        e: &Entity,
        name_score: f64,
        q: &Query,
        imo: Option<&str>,
    ) -> (f64, Vec<Feature>) {
        let mut features = Vec::new();
        let mut score = name_score;
        if let Some(imo) = imo {
            let listed: Vec<String> = e
                .identifiers
                .iter()
                .filter(|i| matches!(i.kind, IdentifierKind::Imo | IdentifierKind::ImoCompany))
                .filter_map(|i| normalize_imo(&i.value))
                .chain(e.imo().and_then(normalize_imo))
                .collect();
            if listed.iter().any(|l| l == imo) {
                let c = 1.0 - score;
                score = 1.0;
                features.push(Feature {
                    feature: "imo",
                    contribution: c,
                    detail: format!("IMO {imo} equals the listed IMO"),
                });
                return (score, features);
            } else if !listed.is_empty() {
                // A different, valid IMO: a namesake ship. Cap below the review threshold.
                let capped = score.min(0.5);
                features.push(Feature {
                    feature: "imo",
                    contribution: capped - score,
                    detail: format!("IMO {imo} differs from the listed {}", listed.join(", ")),
                });
                score = capped;
            }
        }
        if let Some(pp) = &q.passport {
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
                let c = 1.0 - score;
                features.push(Feature {
                    feature: "document",
                    contribution: c,
                    detail: format!("document {pp} is listed"),
                });
                return (1.0, features);
            } else if !docs.is_empty() {
                features.push(Feature {
                    feature: "document",
                    contribution: -0.05,
                    detail: "listed documents differ (documents are renewed: mild signal)".into(),
                });
                score -= 0.05;
            }
        }
        if let Some(qd) = q.birth_date {
            if !e.birth_dates.is_empty() {
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
                let (c, detail) = if day_match {
                    (0.08, "birth date equals a listed date".to_string())
                } else if year_match {
                    (0.04, format!("birth year {y} within a listed date"))
                } else if near {
                    (0.0, format!("birth year {y} one year off a listed date"))
                } else {
                    (
                        -0.20,
                        format!("birth year {y} differs from every listed date"),
                    )
                };
                score += c;
                features.push(Feature {
                    feature: "birth_date",
                    contribution: c,
                    detail,
                });
            }
        }
        if let Some(country) = &q.country {
            let listed = countries::entity_countries(e);
            if !listed.is_empty() {
                let qc = countries::code(country);
                let hit = qc
                    .as_deref()
                    .is_some_and(|qc| listed.iter().any(|l| l == qc));
                let (c, detail) = if hit {
                    (0.03, format!("country {country} matches"))
                } else {
                    (
                        -0.08,
                        format!("country {country} not among {}", listed.join(", ")),
                    )
                };
                score += c;
                features.push(Feature {
                    feature: "country",
                    contribution: c,
                    detail,
                });
            }
        }
        // Query schema narrower than the entry's (company vs organization) changes nothing;
        // different families were filtered out before.
        (score.clamp(0.0, 1.0), features)
    }
}
