//! Name-against-name comparison: token similarity, alignment and the weighted name score.
//!
//! Both names are token lists. The aligner pairs tokens greedily, best similarity first,
//! and may pair one token with two adjacent tokens of the other name written together
//! (JONGUN ~ JONG UN, SIEMENSAG ~ SIEMENS AG). The name score is the weight-averaged
//! similarity over both names' tokens, so a token left unpaired on either side costs its
//! weight. Legal forms, generic words and titles weigh little: they neither make nor break
//! a match.

use serde::Serialize;

use crate::korean::SurnameTable;
use crate::normalize::{NameForm, Token, TokenClass};

/// How two tokens were found equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenRelation {
    Exact,
    /// Equal after folding romanization differences (JEONG/CHONG, PARK/PAK, RI/LI).
    Romanization,
    /// Similar spelling (typo, transliteration noise), scored by Jaro–Winkler.
    Fuzzy,
    /// One token equals two adjacent tokens written together (JONGUN = JONG UN).
    Joined,
    /// Initial letter against a full token (J. = JOHN).
    Initial,
}

#[derive(Debug, Clone, Serialize)]
pub struct TokenPair {
    pub query: String,
    pub candidate: String,
    pub relation: TokenRelation,
    pub similarity: f64,
    /// Share of the name score this pair carries (weights of both tokens over total weight).
    pub weight: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameComparison {
    pub score: f64,
    pub pairs: Vec<TokenPair>,
    pub unmatched_query: Vec<String>,
    pub unmatched_candidate: Vec<String>,
    /// Penalty applied because the tokens were aligned out of order (0 when in order).
    pub order_penalty: f64,
}

/// Tunable parameters of the name score. Defaults are the ones evaluated in docs/screening.md.
#[derive(Debug, Clone, Copy)]
pub struct CompareParams {
    /// Similarity of a romanization variant (below an exact token).
    pub romanization_sim: f64,
    /// Jaro–Winkler below this counts as no similarity at all.
    pub fuzzy_floor: f64,
    /// Tokens shorter than this use `short_floor`.
    pub min_fuzzy_len: usize,
    /// Floor for short tokens.
    pub short_floor: f64,
    /// Similarity at the floor.
    pub fuzzy_base: f64,
    /// Weight of legal forms and generic words relative to a name token.
    pub form_weight: f64,
    /// Weight of titles and honorifics.
    pub title_weight: f64,
    /// Compare spellings only (no romanization folding): set when both names are Hangul.
    pub strict_spelling: bool,
    /// Weight of the better-covered side in the name score (0.5 = symmetric).
    pub coverage_max: f64,
    /// Score subtracted when person-name tokens align out of order (no comma in either name).
    pub order_penalty: f64,
}

impl Default for CompareParams {
    fn default() -> Self {
        CompareParams {
            romanization_sim: 0.93,
            fuzzy_floor: 0.70,
            min_fuzzy_len: 5,
            short_floor: 0.82,
            fuzzy_base: 0.6,
            form_weight: 0.15,
            title_weight: 0.05,
            order_penalty: 0.08,
            coverage_max: 0.6,
            strict_spelling: false,
        }
    }
}

/// Jaro similarity on ASCII bytes (tokens are upper-case ASCII).
pub fn jaro(a: &[u8], b: &[u8]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let window = (a.len().max(b.len()) / 2).saturating_sub(1);
    let mut b_used = [false; 64];
    let mut a_match = [0u8; 64];
    if a.len() > 64 || b.len() > 64 {
        // Long tokens are rare (joined company names); compare them as equal-or-not.
        return if a == b { 1.0 } else { 0.0 };
    }
    let mut m = 0usize;
    for (i, &ca) in a.iter().enumerate() {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(b.len());
        for j in lo..hi {
            if !b_used.get(j).copied().unwrap_or(true) && b.get(j) == Some(&ca) {
                if let Some(u) = b_used.get_mut(j) {
                    *u = true;
                }
                if let Some(slot) = a_match.get_mut(m) {
                    *slot = ca;
                }
                m += 1;
                break;
            }
        }
    }
    if m == 0 {
        return 0.0;
    }
    let mut t = 0usize;
    let mut k = 0usize;
    for (j, &cb) in b.iter().enumerate() {
        if b_used.get(j).copied().unwrap_or(false) {
            if a_match.get(k) != Some(&cb) {
                t += 1;
            }
            k += 1;
        }
    }
    let m = m as f64;
    (m / a.len() as f64 + m / b.len() as f64 + (m - (t / 2) as f64) / m) / 3.0
}

/// Levenshtein distance on ASCII bytes (two-row dynamic programme).
pub fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        if let Some(c0) = cur.get_mut(0) {
            *c0 = i + 1;
        }
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev.get(j).copied().unwrap_or(0) + usize::from(ca != cb);
            let del = prev.get(j + 1).copied().unwrap_or(0) + 1;
            let ins = cur.get(j).copied().unwrap_or(0) + 1;
            if let Some(slot) = cur.get_mut(j + 1) {
                *slot = sub.min(del).min(ins);
            }
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev.get(b.len()).copied().unwrap_or(0)
}

/// Jaro–Winkler with the standard prefix scale 0.1 over at most 4 characters.
pub fn jaro_winkler(a: &[u8], b: &[u8]) -> f64 {
    let j = jaro(a, b);
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count() as f64;
    j + prefix * 0.1 * (1.0 - j)
}

fn surname_variant(a: &str, b: &str) -> bool {
    SurnameTable::bundled()
        .classes()
        .any(|c| c.iter().any(|s| s == a) && c.iter().any(|s| s == b))
}

/// Consonant skeleton: the fold key without vowels.
fn skeleton(token: &str) -> String {
    crate::normalize::fold(token)
        .chars()
        .filter(|c| !matches!(c, 'A' | 'E' | 'I' | 'O' | 'U' | 'Y'))
        .collect()
}

/// Arabic and Hebrew are written without short vowels, so their transliteration has none
/// (MHMD for محمد). A vowel-less token equals a vocalized one when the consonants agree.
pub fn abjad_equal(a: &str, b: &str) -> bool {
    let vowelless =
        |t: &str| t.len() >= 2 && !t.chars().any(|c| matches!(c, 'A' | 'E' | 'I' | 'O' | 'U'));
    if !(vowelless(a) || vowelless(b)) {
        return false;
    }
    let (x, y) = (skeleton(a), skeleton(b));
    x.len() >= 2 && x == y
}

/// Similarity of two single tokens with the relation that produced it.
pub fn token_similarity(a: &Token, b: &Token, p: &CompareParams) -> (f64, TokenRelation) {
    if a.text == b.text {
        return (1.0, TokenRelation::Exact);
    }
    if a.class == TokenClass::Number || b.class == TokenClass::Number {
        // Numbers (SAM 5 / SAM 6, hull numbers) must be equal.
        return (0.0, TokenRelation::Fuzzy);
    }
    if p.strict_spelling {
        // Two Hangul names: a token is a romanized syllable, and a different syllable is a
        // different name element (정 JEONG vs 종 JONG), not a spelling variant.
        return (0.0, TokenRelation::Fuzzy);
    }
    if !p.strict_spelling && (a.fold == b.fold || surname_variant(&a.text, &b.text)) {
        return (p.romanization_sim, TokenRelation::Romanization);
    }
    if abjad_equal(&a.text, &b.text) {
        return (0.88, TokenRelation::Romanization);
    }
    if a.text.len() == 1 || b.text.len() == 1 {
        let (short, long) = if a.text.len() == 1 { (a, b) } else { (b, a) };
        if long.text.len() > 1 && long.text.starts_with(&short.text) {
            return (0.6, TokenRelation::Initial);
        }
        return (0.0, TokenRelation::Fuzzy);
    }
    let short = a.text.len().min(b.text.len()) < p.min_fuzzy_len;
    let (x, y) = (a.text.as_bytes(), b.text.as_bytes());
    let (fx, fy) = if p.strict_spelling {
        (x, y)
    } else {
        (a.fold.as_bytes(), b.fold.as_bytes())
    };
    let jw = jaro_winkler(x, y).max(jaro_winkler(fx, fy));
    // Edit similarity guards against Jaro–Winkler's generosity with shared prefixes
    // (PEZESHFAR/PEZESHKIAN): the blend needs both the shape and the letters to agree.
    let edits = levenshtein(x, y).min(levenshtein(fx, fy)) as f64;
    let lev = 1.0 - edits / x.len().max(y.len()).max(1) as f64;
    let blend = 0.5 * jw + 0.5 * lev;
    // Korean syllables and other short tokens differ meaningfully by one letter (JONG/YONG):
    // they need a higher floor.
    let floor = if short { p.short_floor } else { p.fuzzy_floor };
    if blend < floor {
        return (0.0, TokenRelation::Fuzzy);
    }
    let sim = p.fuzzy_base + (1.0 - p.fuzzy_base) * (blend - floor) / (1.0 - floor);
    (sim.min(0.95), TokenRelation::Fuzzy)
}

/// Weight of a token: stop words little, name tokens by rarity (`rarity` in 0..=1, 1 = unseen).
pub fn token_weight(t: &Token, rarity: f64, p: &CompareParams) -> f64 {
    match t.class {
        TokenClass::Form => p.form_weight,
        TokenClass::Title => p.title_weight,
        TokenClass::Number => 1.0,
        TokenClass::Name => 0.4 + 0.6 * rarity.clamp(0.0, 1.0),
    }
}

struct Candidate {
    sim: f64,
    rel: TokenRelation,
    q: (usize, usize),
    c: (usize, usize),
}

fn joined(tokens: &[Token], i: usize) -> Option<String> {
    let a = tokens.get(i)?;
    let b = tokens.get(i + 1)?;
    Some(format!("{}{}", a.text, b.text))
}

/// Compare a query form with a candidate form. `wq`/`wc` are the token weights.
pub fn compare(
    q: &NameForm,
    wq: &[f64],
    c: &NameForm,
    wc: &[f64],
    p: &CompareParams,
) -> NameComparison {
    let mut cands: Vec<Candidate> = Vec::with_capacity(q.tokens.len() * c.tokens.len() + 4);
    for (i, a) in q.tokens.iter().enumerate() {
        for (j, b) in c.tokens.iter().enumerate() {
            let (sim, rel) = token_similarity(a, b, p);
            if sim > 0.0 {
                cands.push(Candidate {
                    sim,
                    rel,
                    q: (i, i),
                    c: (j, j),
                });
            }
        }
    }
    // Joined forms: one token against two adjacent tokens of the other name.
    for i in 0..q.tokens.len().saturating_sub(1) {
        if let Some(jq) = joined(&q.tokens, i) {
            for (j, b) in c.tokens.iter().enumerate() {
                if b.text == jq
                    || crate::normalize::fold(&jq) == b.fold
                    || abjad_equal(&jq, &b.text)
                {
                    cands.push(Candidate {
                        sim: 0.97,
                        rel: TokenRelation::Joined,
                        q: (i, i + 1),
                        c: (j, j),
                    });
                }
            }
        }
    }
    for j in 0..c.tokens.len().saturating_sub(1) {
        if let Some(jc) = joined(&c.tokens, j) {
            for (i, a) in q.tokens.iter().enumerate() {
                if a.text == jc
                    || crate::normalize::fold(&jc) == a.fold
                    || abjad_equal(&jc, &a.text)
                {
                    cands.push(Candidate {
                        sim: 0.97,
                        rel: TokenRelation::Joined,
                        q: (i, i),
                        c: (j, j + 1),
                    });
                }
            }
        }
    }
    let total_q: f64 = wq.iter().sum();
    let total_c: f64 = wc.iter().sum();
    let total = total_q + total_c;
    // Best first; among equals prefer heavier tokens, then in-order pairs.
    cands.sort_by(|x, y| {
        let wx = wq.get(x.q.0).unwrap_or(&0.0) + wc.get(x.c.0).unwrap_or(&0.0);
        let wy = wq.get(y.q.0).unwrap_or(&0.0) + wc.get(y.c.0).unwrap_or(&0.0);
        y.sim.total_cmp(&x.sim).then(wy.total_cmp(&wx)).then(
            (x.q.0 as i64 - x.c.0 as i64)
                .abs()
                .cmp(&(y.q.0 as i64 - y.c.0 as i64).abs()),
        )
    });
    let mut used_q = vec![false; q.tokens.len()];
    let mut used_c = vec![false; c.tokens.len()];
    let mut pairs = Vec::new();
    let mut order: Vec<(usize, usize)> = Vec::new();
    let mut gained_q = 0.0;
    let mut gained_c = 0.0;
    for cand in cands {
        let free = (cand.q.0..=cand.q.1).all(|i| !used_q.get(i).copied().unwrap_or(true))
            && (cand.c.0..=cand.c.1).all(|j| !used_c.get(j).copied().unwrap_or(true));
        if !free {
            continue;
        }
        let mut w_q = 0.0;
        let mut w_c = 0.0;
        for i in cand.q.0..=cand.q.1 {
            if let Some(u) = used_q.get_mut(i) {
                *u = true;
            }
            w_q += wq.get(i).copied().unwrap_or(0.0);
        }
        for j in cand.c.0..=cand.c.1 {
            if let Some(u) = used_c.get_mut(j) {
                *u = true;
            }
            w_c += wc.get(j).copied().unwrap_or(0.0);
        }
        let w = w_q + w_c;
        gained_q += cand.sim * w_q;
        gained_c += cand.sim * w_c;
        order.push((cand.q.0, cand.c.0));
        let text = |t: &[Token], r: (usize, usize)| {
            (r.0..=r.1)
                .filter_map(|k| t.get(k).map(|x| x.text.as_str()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        pairs.push(TokenPair {
            query: text(&q.tokens, cand.q),
            candidate: text(&c.tokens, cand.c),
            relation: cand.rel,
            similarity: cand.sim,
            weight: if total > 0.0 { w / total } else { 0.0 },
        });
    }
    // Coverage of each name by the other. A listed name often carries more parts than the
    // query (middle names, patronymics, legal suffixes), and a query may carry more than a
    // short alias: the better-covered side counts most, the other side still counts.
    let cov_q = if total_q > 0.0 {
        gained_q / total_q
    } else {
        0.0
    };
    let cov_c = if total_c > 0.0 {
        gained_c / total_c
    } else {
        0.0
    };
    let mut score = p.coverage_max * cov_q.max(cov_c) + (1.0 - p.coverage_max) * cov_q.min(cov_c);
    // Out-of-order alignment of name tokens (HANS FRIEDRICH vs FRIEDRICH HANS) is a weaker
    // signal unless either side was written "LAST, First".
    order.sort();
    let inversions = order
        .windows(2)
        .filter(|w| w.first().map(|x| x.1) > w.get(1).map(|x| x.1))
        .count();
    let order_penalty = if inversions > 0 && !q.comma && !c.comma {
        p.order_penalty
    } else {
        0.0
    };
    score = (score - order_penalty).max(0.0);
    let unmatched = |t: &[Token], used: &[bool]| {
        t.iter()
            .zip(used)
            .filter(|(_, u)| !**u)
            .map(|(x, _)| x.text.clone())
            .collect::<Vec<_>>()
    };
    NameComparison {
        score,
        pairs,
        unmatched_query: unmatched(&q.tokens, &used_q),
        unmatched_candidate: unmatched(&c.tokens, &used_c),
        order_penalty,
    }
}

/// Compare two raw names with flat rarity (no list statistics): the pairwise scorer used by
/// `embargo eval names` and the pairs/s benchmark. Returns the best over all Latin forms.
pub fn compare_names(a: &str, b: &str, p: &CompareParams) -> Option<NameComparison> {
    let mut fa = crate::normalize::forms(a);
    let mut fb = crate::normalize::forms(b);
    // Two Hangul names: compare the Revised Romanization forms only. MR without breves
    // writes 정 and 종 alike (CHONG); RR keeps them apart (JEONG, JONG), as Hangul does.
    let hangul = |s: &str| s.chars().any(crate::korean::is_hangul_syllable);
    if hangul(a) && hangul(b) && fa.len() > 1 && fb.len() > 1 {
        fa.drain(..fa.len() - 1);
        fb.drain(..fb.len() - 1);
    }
    // Hangul spells each syllable one way: no romanization folding between two Hangul names.
    let strict = CompareParams {
        strict_spelling: hangul(a) && hangul(b),
        ..*p
    };
    let p = &strict;
    let mut best: Option<NameComparison> = None;
    for x in &fa {
        let wx: Vec<f64> = x.tokens.iter().map(|t| token_weight(t, 1.0, p)).collect();
        for y in &fb {
            let wy: Vec<f64> = y.tokens.iter().map(|t| token_weight(t, 1.0, p)).collect();
            let r = compare(x, &wx, y, &wy, p);
            if best.as_ref().is_none_or(|b| r.score > b.score) {
                best = Some(r);
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(a: &str, b: &str) -> f64 {
        compare_names(a, b, &CompareParams::default())
            .map(|c| c.score)
            .unwrap_or(0.0)
    }

    #[test]
    fn jaro_winkler_reference_values() {
        // Classic examples from Winkler (1990): MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.840.
        assert!((jaro_winkler(b"MARTHA", b"MARHTA") - 0.9611).abs() < 1e-3);
        assert!((jaro_winkler(b"DWAYNE", b"DUANE") - 0.84).abs() < 1e-3);
        assert_eq!(jaro_winkler(b"ABC", b"ABC"), 1.0);
        assert_eq!(jaro_winkler(b"", b"ABC"), 0.0);
    }

    #[test]
    fn korean_spellings_are_one_name() {
        assert_eq!(score("KIM JONG-UN", "KIM JONG UN"), 1.0);
        assert!(score("KIM JONGUN", "KIM JONG UN") > 0.95);
        assert!(score("KIM CHO'NG-UN", "KIM JONG UN") > 0.9);
        assert!(score("김정은", "Kim Jong Un") > 0.9);
        assert!(score("PARK JI SUNG", "박지성") > 0.8);
        assert!(score("LEE MIN HO", "이민호") > 0.9);
    }

    #[test]
    fn different_names_stay_apart() {
        assert!(score("KIM JONG SIK", "KIM YONG NAM") < 0.5);
        assert!(
            score(
                "Volkswagen Aktiengesellschaft",
                "Siemens Aktiengesellschaft"
            ) < 0.3
        );
        assert!(score("SAM 5", "SAM 6") < 0.6);
    }

    #[test]
    fn company_forms_are_neutral() {
        assert!(score("Siemens Aktiengesellschaft", "Siemens AG") > 0.99);
        assert!(
            score(
                "KOREA MINING DEVELOPMENT TRADING CORPORATION",
                "KOREA MINING DEVELOPMENT"
            ) > 0.85
        );
    }
}
