//! Reader for the UN Security Council consolidated list XML
//! (<https://scsanctions.un.org/resources/xml/en/consolidated.xml>, schema sc-sanctions.xsd).
//!
//! The reader walks the XML events once and fills raw records; the mapper turns them into
//! [`Entity`] values. Every error names the file, the line and the element.

use std::path::Path;

use chrono::NaiveDate;
use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::ListError;
use crate::model::{
    Address, BirthDate, DateQualifier, DateValue, Entity, Identifier, IdentifierKind, ListSnapshot,
    Name, NameKind, Schema, Source,
};

/// Read a consolidated list file (at most [`MAX_LIST_FILE_BYTES`](crate::MAX_LIST_FILE_BYTES)).
pub fn read_file(path: &Path) -> Result<ListSnapshot, ListError> {
    let bytes = crate::read_bounded(path, crate::MAX_LIST_FILE_BYTES)?;
    parse(&bytes, path)
}

#[derive(Default)]
struct RawAlias {
    quality: Option<String>,
    name: Option<String>,
}

#[derive(Default)]
struct RawDob {
    kind: Option<String>,
    date: Option<String>,
    year: Option<String>,
    from_year: Option<String>,
    to_year: Option<String>,
    line: usize,
}

#[derive(Default)]
struct RawDocument {
    kind: Option<String>,
    kind2: Option<String>,
    number: Option<String>,
    issuing_country: Option<String>,
    country_of_issue: Option<String>,
    note: Option<String>,
    date_of_issue: Option<String>,
}

#[derive(Default)]
struct RawPlace {
    city: Option<String>,
    region: Option<String>,
    country: Option<String>,
}

/// One INDIVIDUAL or ENTITY element, as text fields.
#[derive(Default)]
struct RawRecord {
    is_individual: bool,
    line: usize,
    data_id: Option<String>,
    name_parts: [Option<String>; 4],
    original_script: Option<String>,
    list_type: Option<String>,
    reference: Option<String>,
    listed_on: Option<(String, usize)>,
    comments: Option<String>,
    designations: Vec<String>,
    titles: Vec<String>,
    nationalities: Vec<String>,
    last_updated: Vec<(String, usize)>,
    gender: Option<String>,
    aliases: Vec<RawAlias>,
    addresses: Vec<Address>,
    dobs: Vec<RawDob>,
    pobs: Vec<RawPlace>,
    documents: Vec<RawDocument>,
}

/// Which repeated child element is open, so that leaf text lands in the right struct.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Child {
    None,
    Alias,
    Address,
    Dob,
    Pob,
    Document,
    ValueList(ValueList),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ValueList {
    Designation,
    Title,
    Nationality,
    LastUpdated,
    Other,
}

fn line_at(bytes: &[u8], pos: u64) -> usize {
    let end = usize::try_from(pos).unwrap_or(usize::MAX).min(bytes.len());
    bytes
        .get(..end)
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .unwrap_or(0)
        + 1
}

/// Line numbers for monotonically increasing byte positions, counted incrementally (counting
/// from the start for every event would be quadratic).
struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: usize,
}

impl LineCounter<'_> {
    fn at(&mut self, pos: u64) -> usize {
        let end = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        if end < self.pos {
            return line_at(self.bytes, pos);
        }
        if let Some(chunk) = self.bytes.get(self.pos..end) {
            self.line += chunk.iter().filter(|&&c| c == b'\n').count();
        }
        self.pos = end;
        self.line
    }
}

/// Parse consolidated-list XML from memory. `path` only labels errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<ListSnapshot, ListError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut record: Option<RawRecord> = None;
    let mut child = Child::None;
    let mut generated: Option<String> = None;
    let mut saw_root = false;
    let mut closed_root = false;
    let mut records: Vec<RawRecord> = Vec::new();
    let mut lines = LineCounter {
        bytes,
        pos: 0,
        line: 1,
    };

    let xml_err = |reader: &Reader<&[u8]>, e: &dyn std::fmt::Display| ListError::Xml {
        file: path.to_path_buf(),
        line: line_at(bytes, reader.error_position()),
        message: e.to_string(),
    };

    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| xml_err(&reader, &e))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let line = lines.at(pos);
                if stack.is_empty() {
                    if closed_root {
                        return Err(ListError::Xml {
                            file: path.to_path_buf(),
                            line,
                            message: format!("<{name}> after the closing </CONSOLIDATED_LIST>"),
                        });
                    }
                    if name != "CONSOLIDATED_LIST" {
                        return Err(ListError::Xml {
                            file: path.to_path_buf(),
                            line,
                            message: format!(
                                "root element is <{name}>, expected <CONSOLIDATED_LIST>"
                            ),
                        });
                    }
                    saw_root = true;
                    for attr in e.attributes().flatten() {
                        if attr.key.as_ref() == b"dateGenerated" {
                            generated = Some(String::from_utf8_lossy(&attr.value).into_owned());
                        }
                    }
                }
                match name.as_str() {
                    "INDIVIDUAL" | "ENTITY" if stack.len() == 2 => {
                        record = Some(RawRecord {
                            is_individual: name == "INDIVIDUAL",
                            line,
                            ..Default::default()
                        });
                    }
                    _ => {}
                }
                if let Some(rec) = record.as_mut() {
                    if stack.len() == 3 {
                        child = match name.as_str() {
                            "INDIVIDUAL_ALIAS" | "ENTITY_ALIAS" => {
                                rec.aliases.push(RawAlias::default());
                                Child::Alias
                            }
                            "INDIVIDUAL_ADDRESS" | "ENTITY_ADDRESS" => {
                                rec.addresses.push(Address::default());
                                Child::Address
                            }
                            "INDIVIDUAL_DATE_OF_BIRTH" => {
                                rec.dobs.push(RawDob {
                                    line,
                                    ..Default::default()
                                });
                                Child::Dob
                            }
                            "INDIVIDUAL_PLACE_OF_BIRTH" => {
                                rec.pobs.push(RawPlace::default());
                                Child::Pob
                            }
                            "INDIVIDUAL_DOCUMENT" => {
                                rec.documents.push(RawDocument::default());
                                Child::Document
                            }
                            "DESIGNATION" => Child::ValueList(ValueList::Designation),
                            "TITLE" => Child::ValueList(ValueList::Title),
                            "NATIONALITY" => Child::ValueList(ValueList::Nationality),
                            "LAST_DAY_UPDATED" => Child::ValueList(ValueList::LastUpdated),
                            "LIST_TYPE" => Child::ValueList(ValueList::Other),
                            _ => Child::None,
                        };
                    }
                }
                stack.push(name);
                text.clear();
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let line = lines.at(pos);
                match stack.pop() {
                    Some(open) if open == name => {}
                    Some(open) => {
                        return Err(ListError::Xml {
                            file: path.to_path_buf(),
                            line,
                            message: format!("</{name}> closes <{open}>"),
                        })
                    }
                    None => {
                        return Err(ListError::Xml {
                            file: path.to_path_buf(),
                            line,
                            message: format!("</{name}> without an opening tag"),
                        })
                    }
                }
                if stack.is_empty() {
                    closed_root = true;
                }
                let value = clean(&text);
                text.clear();
                if let Some(rec) = record.as_mut() {
                    match stack.len() {
                        // Closing the record itself.
                        2 if name == "INDIVIDUAL" || name == "ENTITY" => {
                            if let Some(done) = record.take() {
                                records.push(done);
                            }
                            child = Child::None;
                        }
                        // A direct leaf of the record.
                        3 => {
                            assign_leaf(rec, &name, value, line);
                            child = Child::None;
                        }
                        // A leaf inside a repeated child.
                        4 => assign_child_leaf(rec, child, &name, value, line),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| xml_err(&reader, &e))?;
                text.push_str(&s);
            }
            Event::CData(t) => {
                text.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| xml_err(&reader, &e))? {
                    text.push(c);
                } else {
                    let name = r.decode().map_err(|e| xml_err(&reader, &e))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => {
                            return Err(ListError::Xml {
                                file: path.to_path_buf(),
                                line: lines.at(pos),
                                message: format!("unknown entity &{name};"),
                            })
                        }
                    }
                }
            }
            // `<CONSOLIDATED_LIST .../>`: a list without records (refused below).
            Event::Empty(e) if stack.is_empty() && e.name().as_ref() == b"CONSOLIDATED_LIST" => {
                saw_root = true;
                closed_root = true;
                for attr in e.attributes().flatten() {
                    if attr.key.as_ref() == b"dateGenerated" {
                        generated = Some(String::from_utf8_lossy(&attr.value).into_owned());
                    }
                }
            }
            Event::Empty(_)
            | Event::Comment(_)
            | Event::Decl(_)
            | Event::PI(_)
            | Event::DocType(_) => {}
            Event::Eof => break,
        }
        buf.clear();
    }
    if !stack.is_empty() {
        return Err(ListError::Incomplete {
            file: path.to_path_buf(),
            line: line_at(bytes, bytes.len() as u64),
            message: format!("the file ends inside <{}>: it is cut", stack.join("><")),
        });
    }
    if !saw_root {
        return Err(ListError::Format {
            file: path.to_path_buf(),
            message: "no <CONSOLIDATED_LIST> element".into(),
        });
    }
    // A whole publication: the root element closed, the publisher's date on it, records.
    let last_line = line_at(bytes, bytes.len() as u64);
    let incomplete = |message: &str| ListError::Incomplete {
        file: path.to_path_buf(),
        line: last_line,
        message: message.to_string(),
    };
    if !closed_root {
        return Err(incomplete(
            "no closing </CONSOLIDATED_LIST>: the file is cut",
        ));
    }
    match generated.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(incomplete(
                "<CONSOLIDATED_LIST> has no dateGenerated attribute (the publisher's date)",
            ))
        }
        Some(g) => {
            if NaiveDate::parse_from_str(g.get(..10).unwrap_or(g), "%Y-%m-%d").is_err() {
                return Err(incomplete(&format!(
                    "dateGenerated {g:?} does not start with a YYYY-MM-DD date"
                )));
            }
        }
    }
    if records.is_empty() {
        return Err(incomplete(
            "no INDIVIDUAL or ENTITY record: a published list is never empty",
        ));
    }
    let mut entities = Vec::with_capacity(records.len());
    for raw in records {
        entities.push(map_record(raw, path)?);
    }
    Ok(ListSnapshot {
        source: Source::Un,
        generated,
        entities,
        skipped: Vec::new(),
    })
}

/// Collapse whitespace (COMMENTS1 carries hard line breaks) and drop empty values.
fn clean(s: &str) -> Option<String> {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!joined.is_empty()).then_some(joined)
}

fn assign_leaf(rec: &mut RawRecord, name: &str, value: Option<String>, line: usize) {
    let Some(value) = value else { return };
    match name {
        "DATAID" => rec.data_id = Some(value),
        "FIRST_NAME" => rec.name_parts[0] = Some(value),
        "SECOND_NAME" => rec.name_parts[1] = Some(value),
        "THIRD_NAME" => rec.name_parts[2] = Some(value),
        "FOURTH_NAME" => rec.name_parts[3] = Some(value),
        "NAME_ORIGINAL_SCRIPT" => rec.original_script = Some(value),
        "UN_LIST_TYPE" => rec.list_type = Some(value),
        "REFERENCE_NUMBER" => rec.reference = Some(value),
        "LISTED_ON" => rec.listed_on = Some((value, line)),
        "COMMENTS1" => rec.comments = Some(value),
        "GENDER" => rec.gender = Some(value),
        _ => {}
    }
}

fn assign_child_leaf(
    rec: &mut RawRecord,
    child: Child,
    name: &str,
    value: Option<String>,
    line: usize,
) {
    let Some(value) = value else { return };
    match child {
        Child::Alias => {
            if let Some(a) = rec.aliases.last_mut() {
                match name {
                    "QUALITY" => a.quality = Some(value),
                    "ALIAS_NAME" => a.name = Some(value),
                    _ => {}
                }
            }
        }
        Child::Address => {
            if let Some(a) = rec.addresses.last_mut() {
                match name {
                    "STREET" => a.street = Some(value),
                    "CITY" => a.city = Some(value),
                    "STATE_PROVINCE" => a.region = Some(value),
                    "ZIP_CODE" => a.postal_code = Some(value),
                    "COUNTRY" => a.country = Some(value),
                    "NOTE" => a.note = Some(value),
                    _ => {}
                }
            }
        }
        Child::Dob => {
            if let Some(d) = rec.dobs.last_mut() {
                d.line = line;
                match name {
                    "TYPE_OF_DATE" => d.kind = Some(value),
                    "DATE" => d.date = Some(value),
                    "YEAR" => d.year = Some(value),
                    "FROM_YEAR" => d.from_year = Some(value),
                    "TO_YEAR" => d.to_year = Some(value),
                    _ => {}
                }
            }
        }
        Child::Pob => {
            if let Some(p) = rec.pobs.last_mut() {
                match name {
                    "CITY" => p.city = Some(value),
                    "STATE_PROVINCE" => p.region = Some(value),
                    "COUNTRY" => p.country = Some(value),
                    _ => {}
                }
            }
        }
        Child::Document => {
            if let Some(d) = rec.documents.last_mut() {
                match name {
                    "TYPE_OF_DOCUMENT" => d.kind = Some(value),
                    "TYPE_OF_DOCUMENT2" => d.kind2 = Some(value),
                    "NUMBER" => d.number = Some(value),
                    "ISSUING_COUNTRY" => d.issuing_country = Some(value),
                    "COUNTRY_OF_ISSUE" => d.country_of_issue = Some(value),
                    "NOTE" => d.note = Some(value),
                    "DATE_OF_ISSUE" => d.date_of_issue = Some(value),
                    _ => {}
                }
            }
        }
        Child::ValueList(kind) if name == "VALUE" => match kind {
            ValueList::Designation => rec.designations.push(value),
            ValueList::Title => rec.titles.push(value),
            ValueList::Nationality => rec.nationalities.push(value),
            ValueList::LastUpdated => rec.last_updated.push((value, line)),
            ValueList::Other => {}
        },
        Child::ValueList(_) | Child::None => {}
    }
}

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

fn map_record(raw: RawRecord, path: &Path) -> Result<Entity, ListError> {
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
    for a in raw.aliases {
        let Some(value) = a.name else { continue };
        // The UN marks quoted nicknames like "KOMID" with quotes; keep the bare name.
        let value = value.trim_matches('"').trim().to_string();
        if value.is_empty() {
            continue;
        }
        let kind = match a.quality.as_deref() {
            Some("Low") => NameKind::WeakAlias,
            Some("f.k.a.") => NameKind::FormerName,
            _ => NameKind::StrongAlias,
        };
        e.names.push(Name {
            value,
            kind,
            quality: a.quality,
        });
    }
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
    for p in raw.pobs {
        let place = [p.city, p.region, p.country]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        if !place.is_empty() {
            e.birth_places.push(place);
        }
    }
    e.nationalities = raw.nationalities;
    e.addresses = raw
        .addresses
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    for d in raw.documents {
        let Some(number) = d.number else { continue };
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
        let id = Identifier {
            kind,
            value: number,
            label,
            country: d.country_of_issue.or(d.issuing_country),
            note: [d.note, d.date_of_issue.map(|x| format!("issued {x}"))]
                .into_iter()
                .flatten()
                .reduce(|a, b| format!("{a}; {b}")),
        };
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
