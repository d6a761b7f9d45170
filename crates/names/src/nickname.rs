//! English given names and their nicknames (BEN = BENJAMIN, TED = THEODORE = EDWARD), from
//! `data/screening/nicknames.tsv`. A listed person is often known by the short form and
//! listed under the long one; no spelling rule links the two.
//!
//! A nickname may stand for several names (BEN: BENJAMIN, BENEDICT), so each token carries
//! the set of formal names it can stand for, and two tokens are the same given name when
//! their sets meet. Left out: nicknames of one or two letters (AL, ED, JO: initials and
//! Korean and Chinese syllables far more often) and those that are spellings of a Korean
//! surname (KIM for KIMBERLY, LEE for LEROY), which in this regime's lists are surnames.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Similarity of a nickname with its formal name: good evidence, below a romanization
/// variant, because a nickname stands for more than one name.
pub const NICKNAME_SIM: f64 = 0.85;

fn table() -> &'static HashMap<String, Vec<u32>> {
    static T: OnceLock<HashMap<String, Vec<u32>>> = OnceLock::new();
    T.get_or_init(|| {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut sets: HashMap<String, Vec<u32>> = HashMap::new();
        for line in include_str!("../../../data/screening/nicknames.tsv").lines() {
            if line.starts_with('#') {
                continue;
            }
            let Some((formal, nick)) = line.split_once('\t') else {
                continue;
            };
            let (formal, nick) = (formal.trim(), nick.trim());
            let usable = |s: &str| {
                s.len() >= 3
                    && s.bytes().all(|b| b.is_ascii_uppercase())
                    && crate::korean::surname_mask(s) == 0
            };
            if !usable(formal) || !usable(nick) {
                continue;
            }
            let next = ids.len() as u32;
            let id = *ids.entry(formal).or_insert(next);
            for name in [formal, nick] {
                let set = sets.entry(name.to_string()).or_default();
                if !set.contains(&id) {
                    set.push(id);
                }
            }
        }
        for set in sets.values_mut() {
            set.sort_unstable();
        }
        sets
    })
}

/// The formal names a token can stand for (empty for most tokens), sorted.
pub fn formal_names(text: &str) -> &'static [u32] {
    table().get(text).map_or(&[], Vec::as_slice)
}

/// Whether two sorted sets of formal names meet.
pub fn meet(a: &[u32], b: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        match x.cmp(y) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) -> bool {
        meet(formal_names(a), formal_names(b))
    }

    #[test]
    fn nicknames_meet_their_names() {
        assert!(table().len() > 1000, "{}", table().len());
        assert!(same("BEN", "BENJAMIN"));
        assert!(same("TED", "THEODORE"));
        assert!(same("TEDDY", "TED"));
        assert!(same("BOB", "ROBERT"));
        assert!(!same("BEN", "THEODORE"));
        // Korean surnames and two-letter syllables are not read as nicknames.
        assert!(!same("KIM", "KIMBERLY"));
        assert!(formal_names("JO").is_empty());
        assert!(formal_names("NETANYAHU").is_empty());
    }
}
