//! The matcher's fast path: names stored as ids into a vocabulary of prepared tokens, an
//! inverted index from fold keys to names, and per-thread scratch buffers, so screening one
//! query allocates almost nothing.
//!
//! - Candidates are accumulated in a flat `Vec<f64>` indexed by name with a list of touched
//!   slots (reset after each query), not in a hash map.
//! - Token similarities are memoized per query: many candidate names share tokens (KIM, CO,
//!   TRADING), so each distinct candidate token is compared with the query once.
//! - The alignment is skipped when an upper bound of the score cannot reach the caller's
//!   floor (see [`crate::align::align`]).

use std::cell::RefCell;
use std::collections::HashMap;

/// The index's maps are probed several times per query with short keys: a fast fixed hash
/// (foldhash) rather than SipHash, whose resistance to flooding buys nothing on list data.
type FastMap<K, V> = HashMap<K, V, foldhash::fast::FixedState>;

use crate::acronym;
use crate::align::{align, AlignName, AlignScratch, NameShape, Sides};
use crate::compare::{
    align_pieces, class_weight, explain, CompareParams, NameComparison, TokenRelation,
};
use crate::piece::{joined_similarity, similarity, Piece};
use crate::token::{fold, Conflict, NameForm, Token, TokenClass};
use crate::wade_giles::{self, Side};

/// Where one indexed name's tokens live in the flat arrays.
#[derive(Debug, Clone, Copy, Default)]
pub struct NameSpan {
    start: u32,
    len: u32,
    /// Start of the name's joined pieces (`len - 1` of them) in `joined`.
    jstart: u32,
    comma: bool,
    /// The name's set of acronyms and of acronym-shaped tokens (see `NameShape`).
    acronyms: u32,
    acronym_tokens: u32,
}

/// Token data of every indexed name, flat.
pub struct TokenIndex {
    /// Distinct (text, class) tokens of the lists, prepared.
    vocab: Vec<Piece>,
    /// Distinct joined pieces (adjacent tokens written together).
    joined_vocab: Vec<Piece>,
    /// Spelling → vocabulary id (first class seen) and joined spelling → joined id: a query
    /// token already in the lists reuses its prepared piece instead of preparing it again.
    /// Indexed by whether the name is written in Wade–Giles (`wade_giles::marked`).
    vocab_by_text: [FastMap<String, u32>; 2],
    joined_by_text: [FastMap<String, u32>; 2],
    spans: Vec<NameSpan>,
    /// Vocabulary id of each name token, name after name.
    tokens: Vec<u32>,
    /// Weight of each name token (same positions as `tokens`).
    weights: Vec<f64>,
    /// What each name token means when unpaired (same positions as `tokens`).
    conflicts: Vec<Conflict>,
    /// Each name token's initial and acronym code (same positions as `tokens`).
    initials: Vec<u8>,
    acronyms: Vec<u64>,
    /// Joined-vocabulary id of each adjacent token pair.
    joined: Vec<u32>,
    /// Fold key → key id (token folds and joined folds).
    keys: FastMap<String, u32>,
    /// Key id → names containing it.
    postings: Vec<Vec<u32>>,
    /// Key id → number of names whose tokens fold to it.
    df: Vec<u32>,
    /// Token frequencies the weights come from when they are not this index's own (see
    /// [`TokenFrequencies`]).
    frozen: Option<std::sync::Arc<TokenFrequencies>>,
}

/// How many indexed names each fold key occurs in, and how many names there are: what a
/// token's rarity, and so its weight, is computed from. An index built with a table of its
/// own weighs tokens by its names; an index built [`with_frequencies`](TokenIndex::build_with)
/// of another weighs them by that table, so the score of a query against a name does not
/// depend on which other names are in the index (a small index over a few changed entries
/// scores each pair as the whole list does).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenFrequencies {
    /// Names indexed.
    pub total: usize,
    /// Fold key → names whose tokens fold to it.
    pub df: std::collections::BTreeMap<String, u32>,
}

impl TokenFrequencies {
    /// Document frequency of a fold key (1 for a key the table does not know: a new token
    /// is as rare as can be).
    pub fn df_of(&self, fold: &str) -> u32 {
        self.df.get(fold).copied().unwrap_or(1)
    }
}

/// Token ids, weights, conflict kinds, joined-piece ids, initials and acronym codes of one name.
#[derive(Default)]
struct NameParts<'a> {
    ids: &'a [u32],
    weights: &'a [f64],
    conflicts: &'a [Conflict],
    joined: &'a [u32],
    initials: &'a [u8],
    acronyms: &'a [u64],
}

impl<'a> NameParts<'a> {
    /// The alignment's view of query form `q` against this name.
    fn sides(&self, q: &'a QueryForm, span: NameSpan) -> Sides<'a> {
        Sides {
            query: AlignName::new(&q.weights, &q.shape, q.comma),
            candidate: AlignName {
                weights: self.weights,
                conflicts: self.conflicts,
                initials: self.initials,
                acronyms: self.acronyms,
                acronym_set: span.acronyms,
                acronym_tokens: span.acronym_tokens,
                comma: span.comma,
            },
        }
    }
}

/// All of a name's [`probe_keys_where`], for a reference screening that probes every key.
pub fn probe_keys(tokens: &[Token], side: Side) -> Vec<String> {
    probe_keys_where(tokens, side, wade_giles::marked(tokens), |_| true, |_| true)
}

/// Index keys of a name beyond its tokens' fold keys: adjacent tokens joined (a query JONGUN
/// finds JONG UN), acronym keys (a query PLA finds PEOPLES LIBERATION ARMY, see
/// [`acronym::index_keys`]) and Wade–Giles keys of tokens and joined pairs (HSI CHIN PING finds
/// XI JINPING, see [`wade_giles::index_key`]). The acronym and Wade–Giles keys differ by
/// side, so that two listed-style spellings never meet through them. `marked` is the name's
/// `wade_giles::marked`; Wade–Giles keys are asked only of tokens `reads(k)` and joined pairs
/// `reads_joined(k)` says may have one (a query's prepared pieces know: segmenting every
/// token again is most of the cost of preparing a query).
fn probe_keys_where(
    tokens: &[Token],
    side: Side,
    marked: bool,
    reads: impl Fn(usize) -> bool,
    reads_joined: impl Fn(usize) -> bool,
) -> Vec<String> {
    let mut keys = Vec::new();
    for (k, w) in tokens.windows(2).enumerate() {
        if let [a, b] = w {
            let text = format!("{}{}", a.text, b.text);
            keys.push(fold(&text));
            if reads_joined(k) {
                keys.extend(wade_giles::index_key(&text, side, marked));
            }
        }
    }
    keys.extend(acronym::index_keys(tokens, side));
    keys.extend(
        tokens
            .iter()
            .enumerate()
            .filter(|(k, _)| reads(*k))
            .filter_map(|(_, t)| wade_giles::index_key(&t.text, side, marked)),
    );
    keys
}

/// The key one letter shorter, probed for typos at the end of a rare token (SCHOLZE finds
/// SCHOLZ): for fold keys of five letters or more, not for the acronym (`^`) and Wade–Giles
/// (`~`) keys, which are whole spellings.
pub fn typo_prefix(key: &str) -> Option<&str> {
    if key.len() < 5 || key.starts_with(['^', '~']) {
        return None;
    }
    key.get(..key.len() - 1)
}

/// Fill the memo rows of the pieces `ids` not yet filled in generation `gen`: `fill_row`
/// appends one row of values for a piece to `values`, and `memo` records where it starts.
fn fill_memo<T>(
    ids: &[u32],
    pieces: &[Piece],
    gen: u32,
    memo: &mut [(u32, u32)],
    values: &mut Vec<T>,
    mut fill_row: impl FnMut(&Piece, &mut Vec<T>),
) {
    for &id in ids {
        let i = id as usize;
        if memo.get(i).is_some_and(|m| m.0 == gen) {
            continue;
        }
        let Some(piece) = pieces.get(i) else {
            continue;
        };
        let row = values.len() as u32;
        fill_row(piece, values);
        if let Some(m) = memo.get_mut(i) {
            *m = (gen, row);
        }
    }
}

/// Rarity in 0..=1 from a document frequency: a token in one name is 1, a token in every
/// 50th name or more is ~0.
pub fn rarity(df: u32, n: usize) -> f64 {
    let n = n.max(2) as f64;
    let idf = (n / df.max(1) as f64).ln() / n.ln();
    ((idf - 0.35) / 0.65).clamp(0.0, 1.0)
}

/// One query form, prepared against the index.
pub struct QueryForm {
    pub pieces: Vec<Piece>,
    pub joined: Vec<Piece>,
    pub weights: Vec<f64>,
    pub shape: NameShape,
    pub comma: bool,
    /// Fold keys probed in the inverted index with their weights (tokens, then joined pairs).
    keys: Vec<(String, f64)>,
}

impl QueryForm {
    /// The fold keys this query probes the inverted index with, each followed by its
    /// [`typo_prefix`] when it has one: a name is a candidate for the query only if one of
    /// its [`posting keys`](TokenIndex::posting_keys) is among these.
    pub fn probe_keys(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (key, _) in &self.keys {
            if let Some(prefix) = typo_prefix(key) {
                out.push(prefix.to_string());
            }
            out.push(key.clone());
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Per-thread buffers reused across queries.
#[derive(Default)]
pub struct Scratch {
    acc: Vec<f64>,
    touched: Vec<u32>,
    ranked: Vec<(u32, f64)>,
    /// Memo of candidate-token similarities: (generation stamp, row offset in `sims`) per
    /// vocabulary id, side by side so the check and the row cost one cache line, and the
    /// values.
    memo: Vec<(u32, u32)>,
    sims: Vec<(f64, TokenRelation)>,
    /// Memo of the similarity of query tokens with candidate joined pieces.
    jmemo: Vec<(u32, u32)>,
    jeq: Vec<f64>,
    generation: u32,
    pub align: AlignScratch,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Run `f` with this thread's scratch buffers.
pub fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    SCRATCH.with(|s| match s.try_borrow_mut() {
        Ok(mut s) => f(&mut s),
        // Re-entrant use (not expected): fresh buffers rather than a panic.
        Err(_) => f(&mut Scratch::default()),
    })
}

impl Scratch {
    /// Start a new memo generation (one per query form).
    fn next_generation(&mut self, vocab: usize, joined: usize) {
        if self.memo.len() < vocab {
            self.memo.resize(vocab, (0, 0));
        }
        if self.jmemo.len() < joined {
            self.jmemo.resize(joined, (0, 0));
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.memo.iter_mut().for_each(|m| m.0 = 0);
            self.jmemo.iter_mut().for_each(|m| m.0 = 0);
            self.generation = 1;
        }
        self.sims.clear();
        self.jeq.clear();
    }
}

impl TokenIndex {
    /// Index the forms of all names; `forms[k]` is name k's form.
    pub fn build<'a>(forms: impl Iterator<Item = &'a NameForm> + Clone, p: &CompareParams) -> Self {
        Self::build_with(forms, p, None)
    }

    /// Index the forms of all names, weighing tokens by `frequencies` when given, else by
    /// the names indexed here.
    pub fn build_with<'a>(
        forms: impl Iterator<Item = &'a NameForm> + Clone,
        p: &CompareParams,
        frequencies: Option<std::sync::Arc<TokenFrequencies>>,
    ) -> Self {
        let mut keys: FastMap<String, u32> = FastMap::default();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut df: Vec<u32> = Vec::new();
        let key_id = |k: String, keys: &mut FastMap<String, u32>, postings: &mut Vec<Vec<u32>>| {
            let next = keys.len() as u32;
            let id = *keys.entry(k).or_insert(next);
            if id as usize >= postings.len() {
                postings.push(Vec::new());
            }
            id
        };
        let mut total = 0usize;
        // Whether each name is written in Wade-Giles, for its keys here and its pieces below.
        let mut marks: Vec<bool> = Vec::new();
        for (ni, form) in forms.clone().enumerate() {
            total += 1;
            let marked = wade_giles::marked(&form.tokens);
            marks.push(marked);
            let mut seen: Vec<u32> = Vec::new();
            for t in &form.tokens {
                let id = key_id(t.fold.clone(), &mut keys, &mut postings);
                if seen.contains(&id) {
                    continue;
                }
                seen.push(id);
                if df.len() <= id as usize {
                    df.resize(id as usize + 1, 0);
                }
                if let Some(d) = df.get_mut(id as usize) {
                    *d += 1;
                }
                if t.class.is_distinctive() {
                    if let Some(l) = postings.get_mut(id as usize) {
                        l.push(ni as u32);
                    }
                }
            }
            for k in probe_keys_where(&form.tokens, Side::Listed, marked, |_| true, |_| true) {
                let id = key_id(k, &mut keys, &mut postings);
                if let Some(l) = postings.get_mut(id as usize) {
                    if l.last() != Some(&(ni as u32)) {
                        l.push(ni as u32);
                    }
                }
            }
        }
        df.resize(keys.len(), 0);
        let mut vocab_ids: HashMap<(String, TokenClass, bool), u32> = HashMap::new();
        let mut vocab: Vec<Piece> = Vec::new();
        let mut joined_ids: [FastMap<String, u32>; 2] = Default::default();
        let mut joined_vocab: Vec<Piece> = Vec::new();
        let mut spans = Vec::new();
        let mut tokens = Vec::new();
        let mut weights = Vec::new();
        let mut conflicts = Vec::new();
        let mut initials = Vec::new();
        let mut acronyms = Vec::new();
        let mut joined = Vec::new();
        for (form, &marked) in forms.zip(&marks) {
            let shape = NameShape::of(&form.tokens);
            spans.push(NameSpan {
                start: tokens.len() as u32,
                len: form.tokens.len() as u32,
                jstart: joined.len() as u32,
                comma: form.comma,
                acronyms: shape.acronym_set,
                acronym_tokens: shape.acronym_tokens,
            });
            conflicts.extend(shape.conflicts);
            initials.extend(shape.initials);
            acronyms.extend(shape.acronyms);
            // A token of a Wade-Giles name is prepared apart from the same spelling elsewhere
            // (see `wade_giles::marked`).
            for t in &form.tokens {
                let id = *vocab_ids
                    .entry((t.text.clone(), t.class, marked))
                    .or_insert_with(|| {
                        vocab.push(Piece::from_token(t).in_name(marked));
                        vocab.len() as u32 - 1
                    });
                tokens.push(id);
                let rare = match &frequencies {
                    Some(f) => rarity(f.df_of(&t.fold), f.total),
                    None => rarity(
                        keys.get(&t.fold)
                            .and_then(|k| df.get(*k as usize))
                            .copied()
                            .unwrap_or(1),
                        total,
                    ),
                };
                weights.push(class_weight(t.class, rare, p));
            }
            for w in form.tokens.windows(2) {
                if let [a, b] = w {
                    let text = format!("{}{}", a.text, b.text);
                    let id = *joined_ids[usize::from(marked)]
                        .entry(text)
                        .or_insert_with(|| {
                            joined_vocab.push(Piece::joined(a, b).in_name(marked));
                            joined_vocab.len() as u32 - 1
                        });
                    joined.push(id);
                }
            }
        }
        let mut vocab_by_text: [FastMap<String, u32>; 2] = Default::default();
        for ((text, _, marked), id) in vocab_ids {
            let e = vocab_by_text[usize::from(marked)].entry(text).or_insert(id);
            *e = (*e).min(id);
        }
        TokenIndex {
            vocab,
            joined_vocab,
            vocab_by_text,
            joined_by_text: joined_ids,
            spans,
            tokens,
            weights,
            conflicts,
            initials,
            acronyms,
            joined,
            keys,
            postings,
            df,
            frozen: frequencies,
        }
    }

    /// The token frequencies this index weighs by: the table it was built with, else its
    /// own names'.
    pub fn frequencies(&self) -> TokenFrequencies {
        if let Some(f) = &self.frozen {
            return (**f).clone();
        }
        let mut df = std::collections::BTreeMap::new();
        for (key, id) in &self.keys {
            if let Some(&d) = self.df.get(*id as usize).filter(|d| **d > 0) {
                df.insert(key.clone(), d);
            }
        }
        TokenFrequencies {
            total: self.spans.len(),
            df,
        }
    }

    /// Every key a name of this index can be found by (the keys with postings). A query
    /// reaches a name only through one of these, directly or by [`typo_prefix`].
    pub fn posting_keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().filter_map(|(key, id)| {
            self.postings
                .get(*id as usize)
                .filter(|l| !l.is_empty())
                .map(|_| key.as_str())
        })
    }

    /// Token weights of name `ni` (for explanations).
    #[allow(dead_code)]
    pub fn name_weights(&self, ni: usize) -> &[f64] {
        match self.spans.get(ni) {
            Some(s) => self
                .weights
                .get(s.start as usize..(s.start + s.len) as usize)
                .unwrap_or(&[]),
            None => &[],
        }
    }

    /// Prepare a query form: pieces, weights from the lists' token frequencies, probe keys.
    pub fn query_form(&self, form: &NameForm, p: &CompareParams) -> QueryForm {
        let total = self.spans.len();
        let marked = wade_giles::marked(&form.tokens);
        let weights: Vec<f64> = form
            .tokens
            .iter()
            .map(|t| {
                let rare = match &self.frozen {
                    Some(f) => rarity(f.df_of(&t.fold), f.total),
                    None => rarity(
                        self.keys
                            .get(&t.fold)
                            .and_then(|k| self.df.get(*k as usize))
                            .copied()
                            .unwrap_or(1),
                        total,
                    ),
                };
                class_weight(t.class, rare, p)
            })
            .collect();
        let mut keys: Vec<(String, f64)> = form
            .tokens
            .iter()
            .zip(&weights)
            .map(|(t, w)| (t.fold.clone(), *w))
            .collect();
        let joined: Vec<Piece> = form
            .tokens
            .windows(2)
            .filter_map(|w| match w {
                [a, b] => Some(self.joined_piece(a, b, marked)),
                _ => None,
            })
            .collect();
        let pieces: Vec<Piece> = form.tokens.iter().map(|t| self.piece(t, marked)).collect();
        keys.extend(
            probe_keys_where(
                &form.tokens,
                Side::Query,
                marked,
                |k| pieces.get(k).is_some_and(Piece::reads_as_chinese),
                |k| joined.get(k).is_some_and(Piece::reads_as_chinese),
            )
            .into_iter()
            .map(|k| (k, 1.0)),
        );
        QueryForm {
            shape: NameShape::of(&form.tokens),
            pieces,
            joined,
            weights,
            comma: form.comma,
            keys,
        }
    }

    /// The prepared piece of a query token: the lists' own when they have the token.
    fn piece(&self, t: &Token, marked: bool) -> Piece {
        self.vocab_by_text[usize::from(marked)]
            .get(t.text.as_str())
            .and_then(|id| self.vocab.get(*id as usize))
            .filter(|p| p.class == t.class)
            .cloned()
            .unwrap_or_else(|| Piece::from_token(t).in_name(marked))
    }

    /// The prepared piece of two adjacent query tokens written together.
    fn joined_piece(&self, a: &Token, b: &Token, marked: bool) -> Piece {
        let mut text = String::with_capacity(a.text.len() + b.text.len());
        text.push_str(&a.text);
        text.push_str(&b.text);
        self.joined_by_text[usize::from(marked)]
            .get(&text)
            .and_then(|id| self.joined_vocab.get(*id as usize))
            .cloned()
            .unwrap_or_else(|| Piece::joined(a, b).in_name(marked))
    }

    /// Names sharing a fold key with the query (or a key one letter longer: SCHOLZE finds
    /// SCHOLZ), best `max` by summed weight, ties by name index. `keep` filters names.
    pub fn candidates(
        &self,
        qforms: &[QueryForm],
        max: usize,
        keep: impl Fn(u32) -> bool,
        sc: &mut Scratch,
    ) -> Vec<u32> {
        if sc.acc.len() < self.spans.len() {
            sc.acc.resize(self.spans.len(), 0.0);
        }
        sc.touched.clear();
        let add = |list: &[u32], w: f64, sc: &mut Scratch| {
            for &ni in list {
                if let Some(a) = sc.acc.get_mut(ni as usize) {
                    if *a == 0.0 {
                        sc.touched.push(ni);
                    }
                    *a += w;
                }
            }
        };
        for form in qforms {
            for (key, w) in &form.keys {
                if let Some(list) = self
                    .keys
                    .get(key)
                    .and_then(|k| self.postings.get(*k as usize))
                {
                    add(list, *w, sc);
                }
                if let Some(prefix) = typo_prefix(key) {
                    if let Some(list) = self
                        .keys
                        .get(prefix)
                        .and_then(|k| self.postings.get(*k as usize))
                    {
                        add(list, w * 0.8, sc);
                    }
                }
            }
        }
        sc.ranked.clear();
        for &ni in &sc.touched {
            if let Some(a) = sc.acc.get_mut(ni as usize) {
                if keep(ni) {
                    sc.ranked.push((ni, *a));
                }
                *a = 0.0;
            }
        }
        let order = |a: &(u32, f64), b: &(u32, f64)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if sc.ranked.len() > max && max > 0 {
            sc.ranked.select_nth_unstable_by(max - 1, order);
            sc.ranked.truncate(max);
        }
        if max == 0 {
            sc.ranked.clear();
        }
        sc.ranked.sort_unstable_by(order);
        sc.ranked.iter().map(|(ni, _)| *ni).collect()
    }

    /// The full comparison of query form `q` with name `ni`, with its token pairs, for the
    /// explanation of a returned hit. Same alignment as [`TokenIndex::score`], unmemoized.
    pub fn explain(
        &self,
        q: &QueryForm,
        qform: &NameForm,
        ni: usize,
        cform: &NameForm,
        p: &CompareParams,
    ) -> NameComparison {
        let parts = self.name_parts(ni).unwrap_or_default();
        let pieces: Vec<&Piece> = parts
            .ids
            .iter()
            .filter_map(|id| self.vocab.get(*id as usize))
            .collect();
        let joined: Vec<&Piece> = parts
            .joined
            .iter()
            .filter_map(|id| self.joined_vocab.get(*id as usize))
            .collect();
        let span = self.spans.get(ni).copied().unwrap_or_default();
        let sides = parts.sides(q, span);
        let (aligned, sc) = align_pieces(&sides, (&q.pieces, &q.joined), (&pieces, &joined), p);
        explain(qform, cform, aligned, &q.weights, parts.weights, &sc)
    }

    /// The flat-array slices of name `ni`.
    fn name_parts(&self, ni: usize) -> Option<NameParts<'_>> {
        let span = *self.spans.get(ni)?;
        let range = span.start as usize..(span.start + span.len) as usize;
        let jrange =
            span.jstart as usize..span.jstart as usize + (span.len as usize).saturating_sub(1);
        Some(NameParts {
            ids: self.tokens.get(range.clone())?,
            weights: self.weights.get(range.clone())?,
            conflicts: self.conflicts.get(range.clone())?,
            joined: self.joined.get(jrange).unwrap_or(&[]),
            initials: self.initials.get(range.clone())?,
            acronyms: self.acronyms.get(range)?,
        })
    }

    /// Begin scoring one query form (resets the similarity memo).
    pub fn begin_form(&self, sc: &mut Scratch) {
        sc.next_generation(self.vocab.len(), self.joined_vocab.len());
    }

    /// Name score of query form `q` against name `ni`, or `None` when it is certainly below
    /// `floor`. Call [`TokenIndex::begin_form`] before the first name of each query form.
    pub fn score(
        &self,
        q: &QueryForm,
        ni: usize,
        p: &CompareParams,
        floor: f64,
        sc: &mut Scratch,
    ) -> Option<f64> {
        let span = *self.spans.get(ni)?;
        let parts = self.name_parts(ni)?;
        let (ids, jids) = (parts.ids, parts.joined);
        let nq = q.pieces.len();
        let nqj = q.joined.len();
        // Fill the memo rows for this name's tokens and joined pieces.
        let gen = sc.generation;
        fill_memo(
            ids,
            &self.vocab,
            gen,
            &mut sc.memo,
            &mut sc.sims,
            |piece, row| {
                row.extend(q.pieces.iter().map(|a| similarity(a, piece, p)));
                row.extend(
                    q.joined
                        .iter()
                        .map(|a| (joined_similarity(a, piece, p), TokenRelation::Joined)),
                );
            },
        );
        fill_memo(
            jids,
            &self.joined_vocab,
            gen,
            &mut sc.jmemo,
            &mut sc.jeq,
            |piece, row| {
                row.extend(q.pieces.iter().map(|a| joined_similarity(piece, a, p)));
            },
        );
        let Scratch {
            memo,
            sims,
            jmemo,
            jeq,
            align: ascratch,
            ..
        } = sc;
        let row_of = |j: usize| {
            ids.get(j)
                .and_then(|id| memo.get(*id as usize))
                .map(|m| m.1)
        };
        let sides = parts.sides(q, span);
        align(
            &sides,
            |i, j| {
                row_of(j)
                    .and_then(|r| sims.get(r as usize + i).copied())
                    .unwrap_or((0.0, TokenRelation::Fuzzy))
            },
            |i, j| {
                row_of(j)
                    .and_then(|r| sims.get(r as usize + nq + i))
                    .filter(|_| i < nqj)
                    .map_or(0.0, |s| s.0)
            },
            |j, i| {
                jids.get(j)
                    .and_then(|id| jmemo.get(*id as usize))
                    .and_then(|m| jeq.get(m.1 as usize + i).copied())
                    .unwrap_or(0.0)
            },
            p,
            floor,
            ascratch,
        )
        .map(|a| a.score)
    }
}
