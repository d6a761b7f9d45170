//! The matcher's fast path held to a straightforward reference: candidates accumulated in a
//! hash map, every candidate compared with [`embargo_names::compare::compare`] on the plain name
//! forms, weights recomputed from the names. Same hits, same order, same scores.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::model::Name;
use embargo_names::compare::{class_weight, compare};
use embargo_names::index::rarity;
use embargo_names::wade_giles::Side;

/// (entity, score, matched name) of the reference screening.
fn reference(m: &Matcher, query: &Query, th: &Thresholds) -> Vec<(String, f64, String)> {
    let qforms = forms(&query.name);
    let mut df: HashMap<String, u32> = HashMap::new();
    for n in &m.names {
        let mut seen: Vec<&str> = Vec::new();
        for t in &n.form.tokens {
            if !seen.contains(&t.fold.as_str()) {
                seen.push(&t.fold);
                *df.entry(t.fold.clone()).or_insert(0) += 1;
            }
        }
    }
    let total = m.names.len();
    let weights = |f: &NameForm| -> Vec<f64> {
        f.tokens
            .iter()
            .map(|t| {
                class_weight(
                    t.class,
                    rarity(df.get(&t.fold).copied().unwrap_or(1), total),
                    &m.params,
                )
            })
            .collect()
    };
    let qw: Vec<Vec<f64>> = qforms.iter().map(weights).collect();
    // Candidates: names sharing a fold key (or a probe key, or a one-letter-longer key).
    let mut postings: HashMap<String, Vec<usize>> = HashMap::new();
    for (ni, n) in m.names.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for t in &n.form.tokens {
            if seen.contains(&t.fold.as_str()) {
                continue;
            }
            seen.push(&t.fold);
            if t.class.is_distinctive() {
                postings.entry(t.fold.clone()).or_default().push(ni);
            }
        }
        for k in embargo_names::index::probe_keys(&n.form.tokens, Side::Listed) {
            let list = postings.entry(k).or_default();
            if list.last() != Some(&ni) {
                list.push(ni);
            }
        }
    }
    let mut acc: HashMap<usize, f64> = HashMap::new();
    for (f, w) in qforms.iter().zip(&qw) {
        let mut keys: Vec<(String, f64)> = f
            .tokens
            .iter()
            .zip(w)
            .map(|(t, w)| (t.fold.clone(), *w))
            .collect();
        // Joined, acronym and Wade-Giles keys: one definition for both paths.
        keys.extend(
            embargo_names::index::probe_keys(&f.tokens, Side::Query)
                .into_iter()
                .map(|k| (k, 1.0)),
        );
        for (k, w) in keys {
            for &ni in postings.get(&k).into_iter().flatten() {
                *acc.entry(ni).or_insert(0.0) += w;
            }
            if let Some(prefix) = embargo_names::index::typo_prefix(&k) {
                for &ni in postings.get(prefix).into_iter().flatten() {
                    *acc.entry(ni).or_insert(0.0) += w * 0.8;
                }
            }
        }
    }
    let family = query.schema.map(Schema::family);
    let mut ranked: Vec<(usize, f64)> = acc
        .into_iter()
        .filter(|(ni, _)| {
            family.is_none_or(|f| m.entities[m.names[*ni].entity as usize].schema.family() == f)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    ranked.truncate(m.max_candidates);
    // (entity, score, matched name, its country mask, the query form's country mask)
    let mut best: Vec<(u32, f64, String, NamedCountries)> = Vec::new();
    for (ni, _) in ranked {
        let n = &m.names[ni];
        for (qf, w) in qforms.iter().zip(&qw) {
            let named = NamedCountries {
                listed: name_mask(&n.form.tokens),
                query: name_mask(&qf.tokens),
            };
            let s = compare(
                qf,
                w,
                &n.form,
                &weights(&n.form),
                &m.pair_params(family, ni),
            )
            .score
                * kind_factor(n.kind);
            match best.iter_mut().find(|b| b.0 == n.entity) {
                Some(b) if s > b.1 => *b = (n.entity, s, n.form.latin.clone(), named),
                Some(_) => {}
                None => best.push((n.entity, s, n.form.latin.clone(), named)),
            }
        }
    }
    let mut hits: Vec<(f64, &Entity, String)> = best
        .into_iter()
        .map(|(e, s, name, named)| {
            let entity = &m.entities[e as usize];
            (m.adjust(entity, s, query, None, named, None), entity, name)
        })
        .filter(|(s, _, _)| *s >= th.review_at * 0.75)
        .collect();
    hits.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then(a.1.source.cmp(&b.1.source))
            .then(a.1.id.cmp(&b.1.id))
    });
    hits.truncate(m.max_hits);
    hits.into_iter()
        .map(|(s, e, n)| (e.id.clone(), s, n))
        .collect()
}

fn entity(id: usize, names: Vec<(String, NameKind)>) -> Entity {
    let source = if id.is_multiple_of(3) {
        Source::Un
    } else {
        Source::Ofac
    };
    let schema = if id.is_multiple_of(2) {
        Schema::Person
    } else {
        Schema::Company
    };
    let mut e = Entity::new(format!("E{id}"), source, schema);
    e.names = names
        .into_iter()
        .map(|(value, kind)| Name {
            value,
            kind,
            quality: None,
        })
        .collect();
    e
}

/// Name parts from a small pool, so names share tokens, spelling variants and typos.
fn part() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "KIM",
        "GIM",
        "JONG",
        "CHONG",
        "UN",
        "EUN",
        "YONG",
        "CHOL",
        "CHEOL",
        "RI",
        "LEE",
        "PAK",
        "PARK",
        "SON",
        "HYOK",
        "KOREA",
        "TRADING",
        "CO",
        "LTD",
        "BANK",
        "OCEAN",
        "STAR",
        "5",
        "6",
        "MOHAMMED",
        "MHMD",
        "ALI",
        "SCHOLZ",
        "SCHOLZE",
        "J",
        "JONGUN",
        "HANS",
        "FRIEDRICH",
    ])
    .prop_map(str::to_string)
}

fn name() -> impl Strategy<Value = String> {
    (prop::collection::vec(part(), 1..4), any::<bool>()).prop_map(|(p, comma)| {
        if comma && p.len() > 1 {
            format!("{}, {}", p[0], p[1..].join(" "))
        } else {
            p.join(" ")
        }
    })
}

fn kind() -> impl Strategy<Value = NameKind> {
    prop::sample::select(vec![
        NameKind::Primary,
        NameKind::StrongAlias,
        NameKind::WeakAlias,
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_equals_reference(
        lists in prop::collection::vec(prop::collection::vec((name(), kind()), 1..3), 1..40),
        queries in prop::collection::vec(name(), 1..6),
        max_candidates in 1usize..60,
    ) {
        let entities: Vec<Entity> = lists.into_iter().enumerate().map(|(i, n)| entity(i, n)).collect();
        let mut m = Matcher::new(entities);
        m.max_candidates = max_candidates;
        m.max_hits = 5;
        let th = Thresholds::default();
        for q in queries {
            for schema in [None, Some(Schema::Person)] {
                let query = Query { name: q.clone(), schema, ..Default::default() };
                let fast: Vec<(String, f64, String)> = m
                    .screen(&query, &th)
                    .map(|s| s.hits.into_iter().map(|h| (h.id, h.score, h.explanation.matched_name)).collect())
                    .unwrap_or_default();
                prop_assert_eq!(fast, reference(&m, &query, &th), "query {:?}", q);
            }
        }
    }
}
