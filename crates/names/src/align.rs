//! Token alignment and the name score, written once for both callers: the explaining
//! comparison (`compare::compare`) and the matcher's allocation-free fast path. The caller
//! supplies token similarities through closures (computed directly, or memoized per query),
//! so both produce the same score by construction.
//!
//! The aligner pairs tokens greedily, best similarity first, and may pair one token with two
//! adjacent tokens of the other name written together (JONGUN ~ JONG UN). The score is the
//! weight-averaged similarity over both names' tokens, so an unpaired token costs its weight.

use crate::acronym::{self, ACRONYM_SIM};
use crate::params::CompareParams;
use crate::token::{Conflict, Token, TokenRelation};

/// One possible pairing: query tokens `q.0..=q.1` with candidate tokens `c.0..=c.1`.
#[derive(Debug, Clone, Copy)]
pub struct Link {
    pub sim: f64,
    pub rel: TokenRelation,
    pub q: (usize, usize),
    pub c: (usize, usize),
    /// Insertion order, the last tie-break (keeps the sort deterministic without allocating).
    order: usize,
    /// Sum of both sides' token weights over the pair's tokens.
    pub weight: f64,
}

/// Buffers reused from one alignment to the next.
#[derive(Debug, Default)]
pub struct AlignScratch {
    links: Vec<Link>,
    used_q: Vec<bool>,
    used_c: Vec<bool>,
    best_q: Vec<f64>,
    best_c: Vec<f64>,
    order: Vec<(usize, usize)>,
    /// The chosen pairs of the last alignment, in the order chosen.
    pub chosen: Vec<Link>,
    /// Which query / candidate tokens the last alignment paired.
    pub paired_q: Vec<bool>,
    pub paired_c: Vec<bool>,
}

/// One name as the aligner reads it: its token weights, what each token means when left
/// unpaired (for the conflict penalty), each token's initial and acronym code (see
/// [`crate::acronym`]), the name's sets of acronyms and of acronym-shaped tokens (see
/// `NameShape`), and whether it was written "LAST, First".
#[derive(Debug, Clone, Copy)]
pub struct AlignName<'a> {
    pub weights: &'a [f64],
    pub conflicts: &'a [Conflict],
    pub initials: &'a [u8],
    pub acronyms: &'a [u64],
    pub acronym_set: u32,
    pub acronym_tokens: u32,
    pub comma: bool,
}

impl<'a> AlignName<'a> {
    /// A name from its weights, its shape and whether it was written "LAST, First".
    pub fn new(weights: &'a [f64], shape: &'a NameShape, comma: bool) -> AlignName<'a> {
        AlignName {
            weights,
            conflicts: &shape.conflicts,
            initials: &shape.initials,
            acronyms: &shape.acronyms,
            acronym_set: shape.acronym_set,
            acronym_tokens: shape.acronym_tokens,
            comma,
        }
    }
}

/// The two names to align.
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub query: AlignName<'a>,
    pub candidate: AlignName<'a>,
}

/// What the aligner reads of a name besides its pieces and weights, derived from its tokens
/// in one place for a query, a listed name and the explaining comparison: what each token
/// means when unpaired, its initial and acronym code, and the name's sets of acronyms and
/// acronym-shaped tokens (see [`crate::acronym`]).
#[derive(Debug, Clone, Default)]
pub struct NameShape {
    pub conflicts: Vec<Conflict>,
    pub initials: Vec<u8>,
    pub acronyms: Vec<u64>,
    pub acronym_set: u32,
    pub acronym_tokens: u32,
}

impl NameShape {
    pub fn of(tokens: &[Token]) -> NameShape {
        let acronyms: Vec<u64> = tokens.iter().map(acronym::code).collect();
        NameShape {
            conflicts: tokens.iter().map(Token::conflict).collect(),
            initials: tokens.iter().map(acronym::initial).collect(),
            acronym_set: acronym::name_set(tokens),
            acronym_tokens: acronym::set(acronyms.iter().copied()),
            acronyms,
        }
    }
}

impl<'a> Sides<'a> {
    /// Two names, each with its weights, shape and whether it was written "LAST, First".
    pub fn between(
        (wq, q, q_comma): (&'a [f64], &'a NameShape, bool),
        (wc, c, c_comma): (&'a [f64], &'a NameShape, bool),
    ) -> Sides<'a> {
        Sides {
            query: AlignName::new(wq, q, q_comma),
            candidate: AlignName::new(wc, c, c_comma),
        }
    }
}

/// Outcome of an alignment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aligned {
    pub score: f64,
    /// Order and conflict penalties subtracted from the coverage score.
    pub order_penalty: f64,
    pub conflict_penalty: f64,
}

/// Align two names and score them. `sim(i, j)` is the similarity of query token i and
/// candidate token j; `q_joined(i, j)` is the similarity of query tokens i, i+1 written
/// together with candidate token j (0 for none, see `piece::joined_similarity`);
/// `c_joined(j, i)` the same the other way round.
///
/// Returns `None` without aligning when an upper bound of the score is below `floor`: each
/// token can at best gain its highest similarity with any partner, so the coverage of each
/// side is at most the weighted mean of those maxima.
pub fn align(
    s: &Sides<'_>,
    mut sim: impl FnMut(usize, usize) -> (f64, TokenRelation),
    mut q_joined: impl FnMut(usize, usize) -> f64,
    mut c_joined: impl FnMut(usize, usize) -> f64,
    p: &CompareParams,
    floor: f64,
    sc: &mut AlignScratch,
) -> Option<Aligned> {
    let (query, cand) = (&s.query, &s.candidate);
    let (nq, nc) = (query.weights.len(), cand.weights.len());
    let w_of = |q0: usize, c0: usize| {
        query.weights.get(q0).copied().unwrap_or(0.0) + cand.weights.get(c0).copied().unwrap_or(0.0)
    };
    sc.links.clear();
    // Every possible pairing goes through here: its order is its position (the sort's last
    // tie-break) and its weight that of the first token of each side.
    let add = |links: &mut Vec<Link>, sim: f64, rel, q: (usize, usize), c: (usize, usize)| {
        let order = links.len();
        links.push(Link {
            sim,
            rel,
            q,
            c,
            order,
            weight: w_of(q.0, c.0),
        });
    };
    for i in 0..nq {
        for j in 0..nc {
            let (v, rel) = sim(i, j);
            if v > 0.0 {
                add(&mut sc.links, v, rel, (i, i), (j, j));
            }
        }
    }
    // Joined forms: one token against two adjacent tokens of the other name.
    for i in 0..nq.saturating_sub(1) {
        for j in 0..nc {
            let v = q_joined(i, j);
            if v > 0.0 {
                add(&mut sc.links, v, TokenRelation::Joined, (i, i + 1), (j, j));
            }
        }
    }
    for j in 0..nc.saturating_sub(1) {
        for i in 0..nq {
            let v = c_joined(j, i);
            if v > 0.0 {
                add(&mut sc.links, v, TokenRelation::Joined, (i, i), (j, j + 1));
            }
        }
    }
    // Acronyms: one token against the run of the other name's tokens it spells. The sets of
    // codes settle almost every pair without reading the codes (a cache miss per candidate).
    // The acronym must be its name's only name token (PLA, KOMID CO LTD): a word inside a
    // longer name (TORGOVYI DOM ..., BLUE WAY) is that name's word, not an acronym.
    let only_name = |k: &[Conflict]| k.iter().filter(|k| **k == Conflict::Name).count() == 1;
    let q_acronyms =
        if p.acronyms && query.acronym_tokens & cand.acronym_set != 0 && only_name(query.conflicts)
        {
            query.acronyms
        } else {
            &[]
        };
    let c_acronyms = if p.acronyms
        && cand.acronym_tokens & query.acronym_set != 0
        && only_name(cand.conflicts)
    {
        cand.acronyms
    } else {
        &[]
    };
    for (i, &code) in q_acronyms.iter().enumerate() {
        if let Some(run) = acronym::span(code, cand.initials, cand.conflicts) {
            add(
                &mut sc.links,
                ACRONYM_SIM,
                TokenRelation::Acronym,
                (i, i),
                run,
            );
        }
    }
    for (j, &code) in c_acronyms.iter().enumerate() {
        if let Some(run) = acronym::span(code, query.initials, query.conflicts) {
            add(
                &mut sc.links,
                ACRONYM_SIM,
                TokenRelation::Acronym,
                run,
                (j, j),
            );
        }
    }
    let total_q: f64 = query.weights.iter().sum();
    let total_c: f64 = cand.weights.iter().sum();
    if floor > 0.0 {
        sc.best_q.clear();
        sc.best_q.resize(nq, 0.0);
        sc.best_c.clear();
        sc.best_c.resize(nc, 0.0);
        for l in &sc.links {
            for i in l.q.0..=l.q.1 {
                if let Some(b) = sc.best_q.get_mut(i) {
                    *b = b.max(l.sim);
                }
            }
            for j in l.c.0..=l.c.1 {
                if let Some(b) = sc.best_c.get_mut(j) {
                    *b = b.max(l.sim);
                }
            }
        }
        let bound = |w: &[f64], best: &[f64], total: f64| {
            if total > 0.0 {
                w.iter().zip(best).map(|(w, b)| w * b).sum::<f64>() / total
            } else {
                0.0
            }
        };
        let ub =
            bound(query.weights, &sc.best_q, total_q).max(bound(cand.weights, &sc.best_c, total_c));
        // The slack covers rounding: the bound sums in another order than the score.
        if ub + 1e-9 < floor {
            return None;
        }
    }
    // Best first; among equals prefer heavier tokens, then in-order pairs, then the order
    // the pairs were found.
    sc.links.sort_unstable_by(|x, y| {
        y.sim
            .total_cmp(&x.sim)
            .then(y.weight.total_cmp(&x.weight))
            .then(x.q.0.abs_diff(x.c.0).cmp(&y.q.0.abs_diff(y.c.0)))
            .then(x.order.cmp(&y.order))
    });
    sc.used_q.clear();
    sc.used_q.resize(nq, false);
    sc.used_c.clear();
    sc.used_c.resize(nc, false);
    sc.order.clear();
    sc.chosen.clear();
    let mut gained_q = 0.0;
    let mut gained_c = 0.0;
    for l in &sc.links {
        let free = (l.q.0..=l.q.1).all(|i| !sc.used_q.get(i).copied().unwrap_or(true))
            && (l.c.0..=l.c.1).all(|j| !sc.used_c.get(j).copied().unwrap_or(true));
        if !free {
            continue;
        }
        let mut w_q = 0.0;
        let mut w_c = 0.0;
        for i in l.q.0..=l.q.1 {
            if let Some(u) = sc.used_q.get_mut(i) {
                *u = true;
            }
            w_q += query.weights.get(i).copied().unwrap_or(0.0);
        }
        for j in l.c.0..=l.c.1 {
            if let Some(u) = sc.used_c.get_mut(j) {
                *u = true;
            }
            w_c += cand.weights.get(j).copied().unwrap_or(0.0);
        }
        gained_q += l.sim * w_q;
        gained_c += l.sim * w_c;
        sc.order.push((l.q.0, l.c.0));
        let mut chosen = *l;
        chosen.weight = w_q + w_c;
        sc.chosen.push(chosen);
    }
    // Coverage of each name by the other. A listed name often carries more parts than the
    // query (middle names, patronymics, legal suffixes), and a query may carry more than a
    // short alias: the better-covered side counts most, the other side still counts.
    let cov = |gained: f64, total: f64| if total > 0.0 { gained / total } else { 0.0 };
    let (cov_q, cov_c) = (cov(gained_q, total_q), cov(gained_c, total_c));
    let mut score = p.coverage_max * cov_q.max(cov_c) + (1.0 - p.coverage_max) * cov_q.min(cov_c);
    // Out-of-order alignment of name tokens (HANS FRIEDRICH vs FRIEDRICH HANS) is a weaker
    // signal unless either side was written "LAST, First". (A heavier penalty for reorders
    // other than a rotation was tried: it lost two true matches with reordered middle names
    // and fixed one false one, so order stays a mild signal.)
    sc.order.sort_unstable();
    let inversions = sc
        .order
        .windows(2)
        .any(|w| matches!(w, [a, b] if a.1 > b.1));
    // A leading particle (BIN SALMAN MOHAMMED) is a name written family part first, a
    // rotation rather than a swap: only a particle after the person's own name counts.
    let lineage = |k: &[Conflict]| {
        k.iter()
            .position(|k| *k == Conflict::Lineage)
            .filter(|p| *p > 0)
    };
    // A name written "FAMILY, Given bin Father" has moved its family part in front, so
    // positions around the particle say nothing there.
    let swapped = match (lineage(query.conflicts), lineage(cand.conflicts)) {
        (Some(pq), Some(pc)) if !query.comma && !cand.comma => sc
            .chosen
            .iter()
            .any(|l| l.q.0 != pq && l.c.0 != pc && (l.q.0 < pq) != (l.c.0 < pc)),
        _ => false,
    };
    let order_penalty = if swapped {
        p.lineage_penalty
    } else if inversions && !query.comma && !cand.comma {
        p.order_penalty
    } else {
        0.0
    };
    // Substitutions: distinctive tokens left unpaired on both sides.
    let unpaired = |w: &[f64], k: &[Conflict], used: &[bool], total: f64, kind: Conflict| {
        let u: f64 = w
            .iter()
            .zip(k)
            .zip(used)
            .filter(|((_, k), u)| **k == kind && !**u)
            .map(|((w, _), _)| *w)
            .sum();
        if total > 0.0 {
            u / total
        } else {
            0.0
        }
    };
    let conflict = |kind: Conflict| {
        unpaired(query.weights, query.conflicts, &sc.used_q, total_q, kind).min(unpaired(
            cand.weights,
            cand.conflicts,
            &sc.used_c,
            total_c,
            kind,
        ))
    };
    let conflict_penalty = p.conflict_penalty * conflict(Conflict::Name)
        + p.number_conflict_penalty * conflict(Conflict::Number);
    score = (score - order_penalty - conflict_penalty).max(0.0);
    std::mem::swap(&mut sc.paired_q, &mut sc.used_q);
    std::mem::swap(&mut sc.paired_c, &mut sc.used_c);
    Some(Aligned {
        score,
        order_penalty,
        conflict_penalty,
    })
}
