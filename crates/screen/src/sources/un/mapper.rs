//! Raw UN records to FtM-shaped entities: names and aliases by quality, birth dates by their
//! qualifier, documents, places, and the IMO numbers the comments carry.

use std::path::Path;

use chrono::NaiveDate;

use super::reader::{RawAlias, RawDob, RawDocument, RawPlace, RawRecord};
use crate::error::ListError;
use crate::model::{
    BirthDate, DateQualifier, DateValue, Entity, Identifier, IdentifierKind, Name, NameKind,
    Schema, Source,
};

fn parse_date(path: &Path, line: usize, field: &str, value: &str) -> Result<NaiveDate, ListError> {
    // Some exports carry a time part (`2009-07-16T00:00:00`); the date is the first 10 characters.
    let day = value.get(..10).unwrap_or(value);
    NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| {
        ListError::field(
            path,
            line,
            field,
            format!("{value:?} is not a YYYY-MM-DD date"),
        )
    })
}

fn parse_year(path: &Path, line: usize, field: &str, value: &str) -> Result<i32, ListError> {
    value
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1000..=9999).contains(y))
        .ok_or_else(|| ListError::field(path, line, field, format!("{value:?} is not a year")))
}

fn map_dob(raw: &RawDob, path: &Path) -> Result<Option<BirthDate>, ListError> {
    let qualifier = match raw.kind.as_deref().map(str::to_ascii_uppercase).as_deref() {
        Some("APPROXIMATELY") => DateQualifier::Approximately,
        Some("BETWEEN") => DateQualifier::Between,
        Some("EXACT") | None => DateQualifier::Exact,
        Some(other) => {
            return Err(ListError::field(
                path,
                raw.line,
                "INDIVIDUAL_DATE_OF_BIRTH/TYPE_OF_DATE",
                format!("unknown kind {other:?} (expected EXACT, APPROXIMATELY or BETWEEN)"),
            ))
        }
    };
    let value = if let Some(d) = &raw.date {
        DateValue::Day {
            date: parse_date(path, raw.line, "INDIVIDUAL_DATE_OF_BIRTH/DATE", d)?,
        }
    } else if let Some(y) = &raw.year {
        DateValue::Year {
            year: parse_year(path, raw.line, "INDIVIDUAL_DATE_OF_BIRTH/YEAR", y)?,
        }
    } else if let (Some(f), Some(t)) = (&raw.from_year, &raw.to_year) {
        DateValue::YearRange {
            from: parse_year(path, raw.line, "INDIVIDUAL_DATE_OF_BIRTH/FROM_YEAR", f)?,
            to: parse_year(path, raw.line, "INDIVIDUAL_DATE_OF_BIRTH/TO_YEAR", t)?,
        }
    } else {
        // An element with only a TYPE_OF_DATE (or nothing) carries no date.
        return Ok(None);
    };
    Ok(Some(BirthDate { qualifier, value }))
}

pub(super) fn map_record(raw: RawRecord, path: &Path) -> Result<Entity, ListError> {
    let kind = if raw.is_individual {
        "INDIVIDUAL"
    } else {
        "ENTITY"
    };
    let reference = raw.reference.clone().ok_or_else(|| {
        ListError::field(
            path,
            raw.line,
            &format!("{kind}/REFERENCE_NUMBER"),
            "missing",
        )
    })?;
    let primary = raw
        .name_parts
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ");
    if primary.is_empty() {
        return Err(ListError::field(
            path,
            raw.line,
            &format!("{kind}/FIRST_NAME"),
            "record has no name",
        ));
    }
    let schema = if raw.is_individual {
        Schema::Person
    } else {
        Schema::Organization
    };
    let mut e = Entity::new(reference, Source::Un, schema);
    e.data_id = raw.data_id;
    e.names.push(Name {
        value: primary,
        kind: NameKind::Primary,
        quality: None,
    });
    if let Some(s) = raw.original_script {
        e.names.push(Name {
            value: s,
            kind: NameKind::OriginalScript,
            quality: None,
        });
    }
    e.names
        .extend(raw.aliases.into_iter().filter_map(alias_name));
    if let Some(list) = raw.list_type {
        e.programs.push(list);
    }
    if let Some((d, line)) = raw.listed_on {
        e.listed_on = Some(parse_date(path, line, &format!("{kind}/LISTED_ON"), &d)?);
    }
    for (d, line) in raw.last_updated {
        e.last_updated.push(parse_date(
            path,
            line,
            &format!("{kind}/LAST_DAY_UPDATED/VALUE"),
            &d,
        )?);
    }
    for d in &raw.dobs {
        if let Some(b) = map_dob(d, path)? {
            e.birth_dates.push(b);
        }
    }
    e.birth_places = raw.pobs.into_iter().filter_map(place_name).collect();
    e.nationalities = raw.nationalities;
    e.addresses = raw
        .addresses
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    for id in raw.documents.into_iter().filter_map(document) {
        // The UN repeats each document in its English, French and Spanish labels; keep one.
        if !e
            .identifiers
            .iter()
            .any(|x| x.kind == id.kind && x.value == id.value)
        {
            e.identifiers.push(id);
        }
    }
    e.positions = raw.designations.into_iter().chain(raw.titles).collect();
    e.gender = raw.gender;
    if let Some(c) = &raw.comments {
        for imo in imo_numbers_in(c) {
            e.identifiers.push(Identifier {
                kind: IdentifierKind::ImoCompany,
                value: imo,
                label: "IMO number (in COMMENTS1)".into(),
                country: None,
                note: None,
            });
        }
    }
    e.remarks = raw.comments;
    Ok(e)
}

/// Seven-digit numbers following the word IMO in free text ("IMO number: 5342883",
/// "(IMO) Number: 1790183", "IMO 5434358"). The UN writes shipping companies' IMO company
/// numbers this way in entity comments.
fn imo_numbers_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("IMO") {
        let after = rest.get(i + 3..).unwrap_or("");
        let window: String = after.chars().take(24).collect();
        let digits: String = window
            .chars()
            .skip_while(|c| !c.is_ascii_digit())
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if digits.len() == 7 && !out.contains(&digits) {
            out.push(digits);
        }
        rest = after;
    }
    out
}

/// An alias with its kind by the UN's quality (`Low`: weak, `f.k.a.`: former name).
fn alias_name(a: RawAlias) -> Option<Name> {
    // The UN marks quoted nicknames like "KOMID" with quotes; keep the bare name.
    let value = a.name?.trim_matches('"').trim().to_string();
    if value.is_empty() {
        return None;
    }
    let kind = match a.quality.as_deref() {
        Some("Low") => NameKind::WeakAlias,
        Some("f.k.a.") => NameKind::FormerName,
        _ => NameKind::StrongAlias,
    };
    Some(Name {
        value,
        kind,
        quality: a.quality,
    })
}

/// A place of birth as one line: city, region, country.
fn place_name(p: RawPlace) -> Option<String> {
    let place = [p.city, p.region, p.country]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    (!place.is_empty()).then_some(place)
}

/// A document with a number, its kind read from its label (passport, national ID, other).
fn document(d: RawDocument) -> Option<Identifier> {
    let number = d.number?;
    let label = d
        .kind
        .clone()
        .or(d.kind2.clone())
        .unwrap_or_default()
        .trim()
        .to_string();
    let lower = label.to_lowercase();
    let kind = if lower.contains("pass") {
        IdentifierKind::Passport
    } else if lower.contains("national") || lower.contains("identi") {
        IdentifierKind::NationalId
    } else {
        IdentifierKind::Other
    };
    Some(Identifier {
        kind,
        value: number,
        label,
        country: d.country_of_issue.or(d.issuing_country),
        note: [d.note, d.date_of_issue.map(|x| format!("issued {x}"))]
            .into_iter()
            .flatten()
            .reduce(|a, b| format!("{a}; {b}")),
    })
}
