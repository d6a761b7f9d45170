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
    /// The similarity each token was paired at (0: unpaired).
    gain_q: Vec<f64>,
    gain_c: Vec<f64>,
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
/// Returns `None` without aligning when an upper bound of the score is below `floor` (see
/// [`bound`]).
pub fn align(
    s: &Sides<'_>,
    sim: impl FnMut(usize, usize) -> (f64, TokenRelation),
    q_joined: impl FnMut(usize, usize) -> f64,
    c_joined: impl FnMut(usize, usize) -> f64,
    p: &CompareParams,
    floor: f64,
    sc: &mut AlignScratch,
) -> Option<Aligned> {
    sc.links.clear();
    token_links(s, sim, q_joined, c_joined, &mut sc.links);
    acronym_links(s, p, &mut sc.links);
    let total_q: f64 = s.query.weights.iter().sum();
    let total_c: f64 = s.candidate.weights.iter().sum();
    if floor > 0.0 && bound(s, sc, (total_q, total_c)) + 1e-9 < floor {
        // The slack covers rounding: the bound sums in another order than the score.
        return None;
    }
    let (gained_q, gained_c) = pair_best_first(s, sc);
    // Coverage of each name by the other. A listed name often carries more parts than the
    // query (middle names, patronymics, legal suffixes), and a query may carry more than a
    // short alias: the better-covered side counts most, the other side still counts.
    let cov = |gained: f64, total: f64| if total > 0.0 { gained / total } else { 0.0 };
    let (cov_q, cov_c) = (cov(gained_q, total_q), cov(gained_c, total_c));
    let mut score = p.coverage_max * cov_q.max(cov_c) + (1.0 - p.coverage_max) * cov_q.min(cov_c);
    let order_penalty = order_penalty(s, sc, p);
    let conflict = |kind: Conflict| {
        unpaired_share(&s.query, &sc.used_q, total_q, kind).min(unpaired_share(
            &s.candidate,
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

/// Add a possible pairing: its order is its position (the sort's last tie-break) and its
/// weight that of the first token of each side.
fn push_link(
    links: &mut Vec<Link>,
    s: &Sides<'_>,
    (sim, rel): (f64, TokenRelation),
    q: (usize, usize),
    c: (usize, usize),
) {
    let weight = s.query.weights.get(q.0).copied().unwrap_or(0.0)
        + s.candidate.weights.get(c.0).copied().unwrap_or(0.0);
    let order = links.len();
    links.push(Link {
        sim,
        rel,
        q,
        c,
        order,
        weight,
    });
}

/// Every pairing of one token with one token, and of one token with two adjacent tokens of
/// the other name written together, that has some similarity.
fn token_links(
    s: &Sides<'_>,
    mut sim: impl FnMut(usize, usize) -> (f64, TokenRelation),
    mut q_joined: impl FnMut(usize, usize) -> f64,
    mut c_joined: impl FnMut(usize, usize) -> f64,
    links: &mut Vec<Link>,
) {
    let (nq, nc) = (s.query.weights.len(), s.candidate.weights.len());
    for i in 0..nq {
        for j in 0..nc {
            let (v, rel) = sim(i, j);
            if v > 0.0 {
                push_link(links, s, (v, rel), (i, i), (j, j));
            }
        }
    }
    for i in 0..nq.saturating_sub(1) {
        for j in 0..nc {
            let v = q_joined(i, j);
            if v > 0.0 {
                push_link(links, s, (v, TokenRelation::Joined), (i, i + 1), (j, j));
            }
        }
    }
    for j in 0..nc.saturating_sub(1) {
        for i in 0..nq {
            let v = c_joined(j, i);
            if v > 0.0 {
                push_link(links, s, (v, TokenRelation::Joined), (i, i), (j, j + 1));
            }
        }
    }
}

/// Acronyms: one token against the run of the other name's tokens it spells. The sets of
/// codes settle almost every pair without reading the codes (a cache miss per candidate).
/// The acronym must be its name's only name token (PLA, KOMID CO LTD): a word inside a
/// longer name (TORGOVYI DOM ..., BLUE WAY) is that name's word, not an acronym.
fn acronym_links(s: &Sides<'_>, p: &CompareParams, links: &mut Vec<Link>) {
    let (query, cand) = (&s.query, &s.candidate);
    let only_name = |k: &[Conflict]| k.iter().filter(|k| **k == Conflict::Name).count() == 1;
    let spells = |a: &AlignName, other: &AlignName| {
        p.acronyms && a.acronym_tokens & other.acronym_set != 0 && only_name(a.conflicts)
    };
    let q_acronyms = if spells(query, cand) {
        query.acronyms
    } else {
        &[]
    };
    let c_acronyms = if spells(cand, query) {
        cand.acronyms
    } else {
        &[]
    };
    let acronym = (ACRONYM_SIM, TokenRelation::Acronym);
    for (i, &code) in q_acronyms.iter().enumerate() {
        if let Some(run) = acronym::span(code, cand.initials, cand.conflicts) {
            push_link(links, s, acronym, (i, i), run);
        }
    }
    for (j, &code) in c_acronyms.iter().enumerate() {
        if let Some(run) = acronym::span(code, query.initials, query.conflicts) {
            push_link(links, s, acronym, run, (j, j));
        }
    }
}

/// An upper bound of the coverage score: each token gains at most its highest similarity
/// with any partner, so each side's coverage is at most the weighted mean of those maxima.
fn bound(s: &Sides<'_>, sc: &mut AlignScratch, (total_q, total_c): (f64, f64)) -> f64 {
    sc.best_q.clear();
    sc.best_q.resize(s.query.weights.len(), 0.0);
    sc.best_c.clear();
    sc.best_c.resize(s.candidate.weights.len(), 0.0);
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
    let side = |w: &[f64], best: &[f64], total: f64| {
        if total > 0.0 {
            w.iter().zip(best).map(|(w, b)| w * b).sum::<f64>() / total
        } else {
            0.0
        }
    };
    side(s.query.weights, &sc.best_q, total_q).max(side(s.candidate.weights, &sc.best_c, total_c))
}

/// Choose pairings best first, each token used once: among equals heavier tokens, then
/// in-order pairs, then the order the pairs were found. Returns each side's weight gained
/// (similarity times the weight of the tokens paired); the choice is left in `sc`.
fn pair_best_first(s: &Sides<'_>, sc: &mut AlignScratch) -> (f64, f64) {
    sc.links.sort_unstable_by(|x, y| {
        y.sim
            .total_cmp(&x.sim)
            .then(y.weight.total_cmp(&x.weight))
            .then(x.q.0.abs_diff(x.c.0).cmp(&y.q.0.abs_diff(y.c.0)))
            .then(x.order.cmp(&y.order))
    });
    sc.used_q.clear();
    sc.used_q.resize(s.query.weights.len(), false);
    sc.used_c.clear();
    sc.used_c.resize(s.candidate.weights.len(), false);
    sc.gain_q.clear();
    sc.gain_q.resize(s.query.weights.len(), 0.0);
    sc.gain_c.clear();
    sc.gain_c.resize(s.candidate.weights.len(), 0.0);
    sc.order.clear();
    sc.chosen.clear();
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
            if let Some(g) = sc.gain_q.get_mut(i) {
                *g = l.sim;
            }
            w_q += s.query.weights.get(i).copied().unwrap_or(0.0);
        }
        for j in l.c.0..=l.c.1 {
            if let Some(u) = sc.used_c.get_mut(j) {
                *u = true;
            }
            if let Some(g) = sc.gain_c.get_mut(j) {
                *g = l.sim;
            }
            w_c += s.candidate.weights.get(j).copied().unwrap_or(0.0);
        }
        sc.order.push((l.q.0, l.c.0));
        let mut chosen = *l;
        chosen.weight = w_q + w_c;
        sc.chosen.push(chosen);
    }
    // Summed token by token in the order the totals are, so that a name whose every token
    // is paired exactly covers exactly all of its weight (a score of exactly 1.0).
    let gained = |weights: &[f64], gain: &[f64]| -> f64 {
        weights.iter().zip(gain).map(|(w, g)| w * g).sum()
    };
    (
        gained(s.query.weights, &sc.gain_q),
        gained(s.candidate.weights, &sc.gain_c),
    )
}

/// Out-of-order alignment of name tokens (HANS FRIEDRICH vs FRIEDRICH HANS) is a weaker
/// signal unless either side was written "LAST, First"; son and father swapped around
/// BIN/BINT weigh more. (A heavier penalty for reorders other than a rotation was tried: it
/// lost two true matches with reordered middle names and fixed one false one, so order
/// stays a mild signal.)
fn order_penalty(s: &Sides<'_>, sc: &mut AlignScratch, p: &CompareParams) -> f64 {
    let (query, cand) = (&s.query, &s.candidate);
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
    if swapped {
        p.lineage_penalty
    } else if inversions && !query.comma && !cand.comma {
        p.order_penalty
    } else {
        0.0
    }
}

/// The share of a side's weight in distinctive tokens of `kind` left unpaired: when both
/// sides have some, a substitution (another father's name, clan, surname or number).
fn unpaired_share(side: &AlignName, used: &[bool], total: f64, kind: Conflict) -> f64 {
    let u: f64 = side
        .weights
        .iter()
        .zip(side.conflicts)
        .zip(used)
        .filter(|((_, k), u)| **k == kind && !**u)
        .map(|((w, _), _)| *w)
        .sum();
    if total > 0.0 {
        u / total
    } else {
        0.0
    }
}
