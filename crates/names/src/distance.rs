//! String distances on upper-case ASCII tokens: Jaro, Jaro–Winkler, Levenshtein.

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
/// Levenshtein distance on bytes. Tokens up to 64 ASCII bytes use Myers' bit-parallel
/// algorithm (one machine word per column: the matcher computes this for thousands of token
/// pairs per query); anything else the textbook dynamic programme.
pub fn levenshtein(a: &[u8], b: &[u8]) -> usize {
    if a.is_empty() || a.len() > 64 || !a.is_ascii() || !b.is_ascii() {
        return levenshtein_heap(a, b);
    }
    // Positions of each byte in `a` (bit i set: a[i] is that byte).
    let mut peq = [0u64; 128];
    for (i, &c) in a.iter().enumerate() {
        if let Some(m) = peq.get_mut(usize::from(c)) {
            *m |= 1u64 << i;
        }
    }
    let last = 1u64 << (a.len() - 1);
    let (mut pv, mut mv) = (!0u64, 0u64);
    let mut dist = a.len();
    for &c in b {
        let eq = peq.get(usize::from(c)).copied().unwrap_or(0);
        let xv = eq | mv;
        let xh = ((eq & pv).wrapping_add(pv) ^ pv) | eq;
        let mut ph = mv | !(xh | pv);
        let mut mh = pv & xh;
        if ph & last != 0 {
            dist += 1;
        } else if mh & last != 0 {
            dist -= 1;
        }
        ph = (ph << 1) | 1;
        mh <<= 1;
        pv = mh | !(xv | ph);
        mv = ph & xv;
    }
    dist
}

fn levenshtein_heap(a: &[u8], b: &[u8]) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_parallel_levenshtein_equals_the_textbook_one() {
        let words: [&[u8]; 9] = [
            b"",
            b"A",
            b"KITTEN",
            b"SITTING",
            b"PEZESHKIAN",
            b"PEZESHFAR",
            b"JONGUN",
            b"CHONGUN",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKL",
        ];
        for a in words {
            for b in words {
                assert_eq!(levenshtein(a, b), levenshtein_heap(a, b), "{a:?} {b:?}");
            }
        }
        assert_eq!(levenshtein(b"KITTEN", b"SITTING"), 3);
    }
}
