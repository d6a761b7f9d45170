//! OFAC remarks: `;`-separated statements such as `DOB 13 Oct 1944`, `alt. DOB circa 1947`,
//! `Passport 472310104 (Korea, North) expires 08 Jun 2022`, `a.k.a. 'KOMID'`,
//! `Vessel Registration Identification IMO 7937317`. Unknown statements stay in the remarks text.

use chrono::NaiveDate;

use crate::model::{
    BirthDate, DateQualifier, DateValue, Entity, Identifier, IdentifierKind, Name, NameKind,
    VesselInfo,
};

/// Split remarks on `;` outside single quotes that open a quoted name.
pub fn segments(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let bytes = text.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            // A quote opens a name only after a space (`a.k.a. '`); apostrophes inside words
            // (MR romanization: PYO'NGYANG) do not.
            b'\'' if !in_quote && i > 0 && bytes.get(i - 1) == Some(&b' ') => in_quote = true,
            b'\'' if in_quote => {
                let next = bytes.get(i + 1).copied();
                if matches!(
                    next,
                    None | Some(b';') | Some(b'.') | Some(b',') | Some(b' ')
                ) {
                    in_quote = false;
                }
            }
            b';' if !in_quote => {
                if let Some(s) = text.get(start..i) {
                    out.push(s.trim());
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(s) = text.get(start..) {
        out.push(s.trim());
    }
    out.retain(|s| !s.is_empty());
    out
}

fn quoted(seg: &str) -> Option<String> {
    let a = seg.find('\'')?;
    let b = seg.rfind('\'')?;
    (b > a + 1)
        .then(|| seg.get(a + 1..b).map(|s| s.trim().to_string()))
        .flatten()
        .filter(|s| !s.is_empty())
}

/// `13 Oct 1944`, `Oct 1944`, `1944`, each optionally prefixed by `circa`.
fn parse_day_or_year(s: &str) -> Option<(DateValue, bool)> {
    let s = s.trim().trim_end_matches('.').trim();
    let (s, circa) = match s.strip_prefix("circa ") {
        Some(rest) => (rest.trim(), true),
        None => (s, false),
    };
    if let Ok(d) = NaiveDate::parse_from_str(s, "%d %b %Y") {
        return Some((DateValue::Day { date: d }, circa));
    }
    if let Ok(d) = NaiveDate::parse_from_str(&format!("01 {s}"), "%d %b %Y") {
        // Month precision: keep the year (the lists' matching weight is on the year).
        return Some((
            DateValue::Year {
                year: chrono::Datelike::year(&d),
            },
            circa,
        ));
    }
    if s.len() == 4 {
        if let Ok(y) = s.parse::<i32>() {
            return Some((DateValue::Year { year: y }, circa));
        }
    }
    None
}

pub fn parse_dob(s: &str) -> Option<BirthDate> {
    if let Some((a, b)) = s.split_once(" to ") {
        let (from, c1) = parse_day_or_year(a)?;
        let (to, c2) = parse_day_or_year(b)?;
        let value = match (from, to) {
            (DateValue::Day { date: f }, DateValue::Day { date: t }) => {
                DateValue::DayRange { from: f, to: t }
            }
            (f, t) => {
                let y = |v: DateValue| match v {
                    DateValue::Day { date } => chrono::Datelike::year(&date),
                    DateValue::Year { year } => year,
                    DateValue::YearRange { from, .. } => from,
                    DateValue::DayRange { from, .. } => chrono::Datelike::year(&from),
                };
                DateValue::YearRange {
                    from: y(f),
                    to: y(t),
                }
            }
        };
        let qualifier = if c1 || c2 {
            DateQualifier::Approximately
        } else {
            DateQualifier::Between
        };
        return Some(BirthDate { qualifier, value });
    }
    let (value, circa) = parse_day_or_year(s)?;
    Some(BirthDate {
        qualifier: if circa {
            DateQualifier::Approximately
        } else {
            DateQualifier::Exact
        },
        value,
    })
}

/// `472310104 (Korea, North) expires 08 Jun 2022` → number, country.
fn number_and_country(s: &str) -> (String, Option<String>) {
    let s = s.trim().trim_end_matches('.');
    let (num, rest) = match s.find(' ') {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i..).unwrap_or("")),
        None => (s, ""),
    };
    let country = rest.find('(').and_then(|a| {
        let r = rest.get(a + 1..)?;
        r.find(')').and_then(|b| r.get(..b)).map(str::to_string)
    });
    (num.trim_end_matches(['.', ',']).to_string(), country)
}

fn push_id(e: &mut Entity, kind: IdentifierKind, label: &str, rest: &str) {
    let (value, country) = number_and_country(rest);
    if value.is_empty() {
        return;
    }
    if !e
        .identifiers
        .iter()
        .any(|i| i.kind == kind && i.value == value)
    {
        e.identifiers.push(Identifier {
            kind,
            value,
            label: label.to_string(),
            country,
            note: None,
        });
    }
}

/// A bank's SWIFT/BIC code (`SWIFT/BIC FTBDKPPY`) with the country it names: letters 5–6
/// of a BIC are the ISO 3166-1 code of the bank's country (ISO 9362). The remarks often give
/// no address, and the country keeps a bank of another country apart from a namesake.
fn push_bic(e: &mut Entity, rest: &str) {
    let (value, _) = number_and_country(rest);
    let valid = matches!(value.len(), 8 | 11) && value.bytes().all(|b| b.is_ascii_alphanumeric());
    let country = value
        .get(4..6)
        .filter(|c| c.bytes().all(|b| b.is_ascii_uppercase()));
    let (true, Some(country)) = (valid, country) else {
        return;
    };
    if !e
        .identifiers
        .iter()
        .any(|i| i.label == "SWIFT/BIC" && i.value == value)
    {
        e.identifiers.push(Identifier {
            kind: IdentifierKind::Other,
            country: Some(country.to_string()),
            value,
            label: "SWIFT/BIC".to_string(),
            note: None,
        });
    }
}

/// Parse remarks into the entity's structured fields.
pub fn apply(e: &mut Entity, text: &str) {
    for seg in segments(text) {
        let s = seg.strip_prefix("alt. ").unwrap_or(seg).trim();
        if let Some(rest) = s.strip_prefix("DOB ") {
            if let Some(d) = parse_dob(rest) {
                e.birth_dates.push(d);
            }
        } else if let Some(rest) = s.strip_prefix("POB ") {
            e.birth_places.push(rest.trim_end_matches('.').to_string());
        } else if let Some(rest) = s
            .strip_prefix("nationality ")
            .or_else(|| s.strip_prefix("citizen "))
        {
            let n = rest.trim_end_matches('.').to_string();
            if !e.nationalities.contains(&n) {
                e.nationalities.push(n);
            }
        } else if let Some(rest) = s.strip_prefix("Gender ") {
            e.gender = Some(rest.trim_end_matches('.').to_string());
        } else if s.starts_with("a.k.a.") || s.starts_with("f.k.a.") || s.starts_with("n.k.a.") {
            if let Some(v) = quoted(s) {
                let kind = if s.starts_with("f.k.a.") {
                    NameKind::FormerName
                } else {
                    NameKind::WeakAlias
                };
                if !e.names.iter().any(|n| n.value == v) {
                    let quality = s.get(..6).map(str::to_string);
                    e.names.push(Name {
                        value: v,
                        kind,
                        quality,
                    });
                }
            }
        } else if let Some(rest) = s.strip_prefix("Vessel Registration Identification ") {
            let digits = rest.trim_start_matches("IMO").trim();
            let (imo, _) = number_and_country(digits);
            let v = e.vessel.get_or_insert_with(VesselInfo::default);
            if v.imo.is_none() {
                v.imo = Some(imo.clone());
            }
            push_id(
                e,
                IdentifierKind::Imo,
                "Vessel Registration Identification",
                &imo,
            );
        } else if let Some(rest) = s.strip_prefix("MMSI ") {
            let (m, _) = number_and_country(rest);
            e.vessel.get_or_insert_with(VesselInfo::default).mmsi = Some(m.clone());
            push_id(e, IdentifierKind::Mmsi, "MMSI", &m);
        } else if let Some(rest) = s
            .strip_prefix("Company Number IMO ")
            .or_else(|| s.strip_prefix("Identification Number IMO "))
        {
            push_id(e, IdentifierKind::ImoCompany, "IMO company number", rest);
        } else if let Some(rest) = s.strip_prefix("Passport ") {
            push_id(e, IdentifierKind::Passport, "Passport", rest);
        } else if let Some(rest) = s
            .strip_prefix("National ID No. ")
            .or_else(|| s.strip_prefix("Identification Number "))
        {
            push_id(e, IdentifierKind::NationalId, "National ID No.", rest);
        } else if let Some(rest) = s.strip_prefix("SWIFT/BIC ") {
            push_bic(e, rest);
        } else if let Some(rest) = s.strip_prefix("Tax ID No. ") {
            push_id(e, IdentifierKind::Tax, "Tax ID No.", rest);
        } else if let Some(rest) = s
            .strip_prefix("Registration Number ")
            .or_else(|| s.strip_prefix("Company Number "))
        {
            push_id(e, IdentifierKind::Registration, "Registration Number", rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bic_gives_the_bank_country() {
        let bank = || {
            Entity::new(
                "1".into(),
                crate::model::Source::Ofac,
                crate::model::Schema::Organization,
            )
        };
        let mut e = bank();
        apply(
            &mut e,
            "SWIFT/BIC BRBKKPP1; Secondary sanctions risk: see 510.201.",
        );
        let bic = e
            .identifiers
            .first()
            .map(|i| (i.value.as_str(), i.country.as_deref()));
        assert_eq!(bic, Some(("BRBKKPP1", Some("KP"))));
        let mut odd = bank();
        apply(&mut odd, "SWIFT/BIC 12345.");
        assert!(odd.identifiers.is_empty());
    }

    #[test]
    fn segments_keep_apostrophes_in_names() {
        let s = segments(
            "DOB 1947; POB South Pyo'ngan Province; a.k.a. 'PYO'NGYANG TRADING; LTD'; Gender Male",
        );
        assert_eq!(
            s,
            vec![
                "DOB 1947",
                "POB South Pyo'ngan Province",
                "a.k.a. 'PYO'NGYANG TRADING; LTD'",
                "Gender Male"
            ]
        );
    }

    #[test]
    fn dob_forms() {
        let d = parse_dob("13 Oct 1944").map(|b| b.value);
        assert_eq!(
            d,
            Some(DateValue::Day {
                date: NaiveDate::from_ymd_opt(1944, 10, 13).unwrap_or_default()
            })
        );
        let c = parse_dob("circa 1947");
        assert_eq!(
            c.map(|b| (b.qualifier, b.year_span())),
            Some((DateQualifier::Approximately, (1946, 1948)))
        );
        let r = parse_dob("01 Jan 1953 to 31 Dec 1953").map(|b| b.year_span());
        assert_eq!(r, Some((1953, 1953)));
        assert_eq!(
            parse_dob("1947 to 1949").map(|b| b.year_span()),
            Some((1947, 1949))
        );
        assert!(parse_dob("sometime").is_none());
    }
}
