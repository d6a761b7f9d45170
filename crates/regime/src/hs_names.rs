//! What an HS code names: the descriptions of the chapters and headings, bundled from
//! `data/hs/headings.csv` (HS 2022, plus the HS 2017 headings that 2022 dropped, such as
//! 8803, which 2397 names). A six-digit code is described by its heading, a heading by
//! itself, a chapter by itself.

use std::sync::OnceLock;

use serde::Serialize;

const HEADINGS_CSV: &str = include_str!("../../../data/hs/headings.csv");

/// One chapter or heading and the edition its description is taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HsName {
    pub code: String,
    pub edition: String,
    pub description: String,
}

/// Every bundled chapter and heading, sorted by code.
pub fn hs_names() -> &'static [HsName] {
    static NAMES: OnceLock<Vec<HsName>> = OnceLock::new();
    NAMES.get_or_init(|| {
        // The file is part of the build and held to its shape by a test; a row that
        // does not read is left out rather than stopping the caller.
        let mut names: Vec<HsName> = csv::Reader::from_reader(HEADINGS_CSV.as_bytes())
            .records()
            .filter_map(Result::ok)
            .filter_map(|r| {
                Some(HsName {
                    code: r.get(0)?.to_string(),
                    edition: r.get(1)?.to_string(),
                    description: r.get(2)?.to_string(),
                })
            })
            .collect();
        names.sort_by(|a, b| a.code.cmp(&b.code));
        names
    })
}

/// The description of an HS code (digits only): its heading's for six digits, else its
/// own; `None` when the code names nothing in the bundled editions.
pub fn describe_hs(code: &str) -> Option<&'static HsName> {
    let key = match code.len() {
        2 | 4 => code,
        6 => &code[..4],
        _ => return None,
    };
    let names = hs_names();
    names
        .binary_search_by(|n| n.code.as_str().cmp(key))
        .ok()
        .and_then(|i| names.get(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_chapters_and_headings_read_whole() {
        let names = hs_names();
        // HS 2022: 97 chapters and 1,229 headings; HS 2017 adds 8803 and one more.
        assert_eq!(names.len(), 1328);
        assert_eq!(
            describe_hs("270112").map(|n| n.description.as_str()),
            Some("Coal; briquettes, ovoids and similar solid fuels manufactured from coal")
        );
        let aircraft = describe_hs("8803").expect("8803");
        assert_eq!(aircraft.edition, "2017");
        assert_eq!(
            describe_hs("03").map(|n| n.description.as_str()),
            Some("Fish and crustaceans, molluscs and other aquatic invertebrates")
        );
        // Chapter 77 is reserved in the HS: no chapter, no heading.
        assert_eq!(describe_hs("7701"), None);
        assert_eq!(describe_hs("27011"), None);
    }
}
