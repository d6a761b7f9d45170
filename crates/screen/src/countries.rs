//! Country names → ISO 3166-1 alpha-2, from `data/screening/countries.tsv`.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::Entity;

fn key(s: &str) -> String {
    any_ascii::any_ascii(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

fn table() -> &'static HashMap<String, &'static str> {
    static T: OnceLock<HashMap<String, &'static str>> = OnceLock::new();
    T.get_or_init(|| {
        let text: &'static str = include_str!("../../../data/screening/countries.tsv");
        let mut m = HashMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        {
            let Some((code, names)) = line.split_once('\t') else {
                continue;
            };
            m.insert(key(code), code);
            for n in names.split('|') {
                m.insert(key(n), code);
            }
        }
        m
    })
}

/// ISO code for a country name or code, when the table knows it.
pub fn code(name: &str) -> Option<String> {
    table().get(&key(name)).map(|c| c.to_string())
}

/// Codes of the countries an entry is tied to: nationality, addresses, birth places, flag,
/// document countries.
pub fn entity_countries(e: &Entity) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |s: &str| {
        // Birth places are "City, Province, Country": try the whole and the last part.
        let c = code(s).or_else(|| s.rsplit(',').next().and_then(code));
        if let Some(c) = c {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    };
    e.nationalities.iter().for_each(|n| add(n));
    e.addresses
        .iter()
        .filter_map(|a| a.country.as_deref())
        .for_each(&mut add);
    e.birth_places.iter().for_each(|p| add(p));
    e.identifiers
        .iter()
        .filter_map(|i| i.country.as_deref())
        .for_each(&mut add);
    if let Some(f) = e.vessel.as_ref().and_then(|v| v.flag.as_deref()) {
        add(f);
    }
    out
}

/// ISO codes of the country programmes an entry is designated under
/// (`data/screening/program_countries.tsv`).
pub fn program_countries(e: &Entity) -> Vec<&'static str> {
    static T: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let table = T.get_or_init(|| {
        include_str!("../../../data/screening/program_countries.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(p, c)| (p.trim(), c.trim()))
            .collect()
    });
    let mut out: Vec<&'static str> = Vec::new();
    for code in e.programs.iter().filter_map(|p| table.get(p.as_str())) {
        if !out.contains(code) {
            out.push(code);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_spellings_map_to_codes() {
        assert_eq!(
            code("Democratic People's Republic of Korea").as_deref(),
            Some("KP")
        );
        assert_eq!(code("Korea, North").as_deref(), Some("KP"));
        assert_eq!(code("kp").as_deref(), Some("KP"));
        assert_eq!(code("Iran (Islamic Republic of)").as_deref(), Some("IR"));
        assert_eq!(code("Atlantis"), None);
    }
}
