//! The UN list's XML, walked once: each INDIVIDUAL or ENTITY element becomes a raw record of
//! text fields with its line; the file must be a whole publication.

use std::path::Path;

use chrono::NaiveDate;
use quick_xml::events::{BytesEnd, BytesStart, Event};
use quick_xml::Reader;

use crate::error::ListError;
use crate::model::Address;

#[derive(Default)]
pub(super) struct RawAlias {
    pub(super) quality: Option<String>,
    pub(super) name: Option<String>,
}

#[derive(Default)]
pub(super) struct RawDob {
    pub(super) kind: Option<String>,
    pub(super) date: Option<String>,
    pub(super) year: Option<String>,
    pub(super) from_year: Option<String>,
    pub(super) to_year: Option<String>,
    pub(super) line: usize,
}

#[derive(Default)]
pub(super) struct RawDocument {
    pub(super) kind: Option<String>,
    pub(super) kind2: Option<String>,
    pub(super) number: Option<String>,
    pub(super) issuing_country: Option<String>,
    pub(super) country_of_issue: Option<String>,
    pub(super) note: Option<String>,
    pub(super) date_of_issue: Option<String>,
}

#[derive(Default)]
pub(super) struct RawPlace {
    pub(super) city: Option<String>,
    pub(super) region: Option<String>,
    pub(super) country: Option<String>,
}

/// One INDIVIDUAL or ENTITY element, as text fields.
#[derive(Default)]
pub(super) struct RawRecord {
    pub(super) is_individual: bool,
    pub(super) line: usize,
    pub(super) data_id: Option<String>,
    pub(super) name_parts: [Option<String>; 4],
    pub(super) original_script: Option<String>,
    pub(super) list_type: Option<String>,
    pub(super) reference: Option<String>,
    pub(super) listed_on: Option<(String, usize)>,
    pub(super) comments: Option<String>,
    pub(super) designations: Vec<String>,
    pub(super) titles: Vec<String>,
    pub(super) nationalities: Vec<String>,
    pub(super) last_updated: Vec<(String, usize)>,
    pub(super) gender: Option<String>,
    pub(super) aliases: Vec<RawAlias>,
    pub(super) addresses: Vec<Address>,
    pub(super) dobs: Vec<RawDob>,
    pub(super) pobs: Vec<RawPlace>,
    pub(super) documents: Vec<RawDocument>,
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

/// The records of a consolidated-list XML and the publisher's `dateGenerated`, after checking
/// that the file is a whole publication. `path` only labels errors.
pub(super) fn read_records(
    bytes: &[u8],
    path: &Path,
) -> Result<(Option<String>, Vec<RawRecord>), ListError> {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    let mut walk = Walk::new();
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
            Event::Start(e) => walk.open(&e, lines.at(pos), path)?,
            Event::End(e) => walk.close(&e, lines.at(pos), path)?,
            Event::Text(t) => {
                let s = t.decode().map_err(|e| xml_err(&reader, &e))?;
                walk.text.push_str(&s);
            }
            Event::CData(t) => {
                walk.text.push_str(&String::from_utf8_lossy(t.as_ref()));
            }
            Event::GeneralRef(r) => {
                if let Some(c) = r.resolve_char_ref().map_err(|e| xml_err(&reader, &e))? {
                    walk.text.push(c);
                } else {
                    let name = r.decode().map_err(|e| xml_err(&reader, &e))?;
                    match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => walk.text.push_str(s),
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
            Event::Empty(e)
                if walk.stack.is_empty() && e.name().as_ref() == b"CONSOLIDATED_LIST" =>
            {
                walk.saw_root = true;
                walk.closed_root = true;
                walk.read_generated(&e);
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
    walk.into_publication(bytes, path)
}

/// Where the walk over the XML stands: the open elements, the text of the innermost one,
/// the record being read and those done, and what was seen of the root element.
struct Walk {
    /// Names of the open elements, the root first.
    stack: Vec<String>,
    text: String,
    record: Option<RawRecord>,
    /// The repeated child of `record` that is open.
    child: Child,
    generated: Option<String>,
    saw_root: bool,
    closed_root: bool,
    records: Vec<RawRecord>,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            stack: Vec::new(),
            text: String::new(),
            record: None,
            child: Child::None,
            generated: None,
            saw_root: false,
            closed_root: false,
            records: Vec::new(),
        }
    }

    /// An opening tag on `line`. The first one must be the one root, whose date is read; a
    /// record starts two levels down, and one of its repeated children three levels down.
    fn open(&mut self, e: &BytesStart<'_>, line: usize, path: &Path) -> Result<(), ListError> {
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        if self.stack.is_empty() {
            if self.closed_root {
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
                    message: format!("root element is <{name}>, expected <CONSOLIDATED_LIST>"),
                });
            }
            self.saw_root = true;
            self.read_generated(e);
        }
        match name.as_str() {
            "INDIVIDUAL" | "ENTITY" if self.stack.len() == 2 => {
                self.record = Some(RawRecord {
                    is_individual: name == "INDIVIDUAL",
                    line,
                    ..Default::default()
                });
            }
            _ => {}
        }
        if let Some(rec) = self.record.as_mut() {
            if self.stack.len() == 3 {
                self.child = open_child(rec, &name, line);
            }
        }
        self.stack.push(name);
        self.text.clear();
        Ok(())
    }

    /// The root element's `dateGenerated` attribute, the publisher's date.
    fn read_generated(&mut self, root: &BytesStart<'_>) {
        for attr in root.attributes().flatten() {
            if attr.key.as_ref() == b"dateGenerated" {
                self.generated = Some(String::from_utf8_lossy(&attr.value).into_owned());
            }
        }
    }

    /// A closing tag on `line`: it must close the innermost open element. Closing a record
    /// files it; closing a leaf stores its text in the record or its open child.
    fn close(&mut self, e: &BytesEnd<'_>, line: usize, path: &Path) -> Result<(), ListError> {
        let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
        match self.stack.pop() {
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
        if self.stack.is_empty() {
            self.closed_root = true;
        }
        let value = clean(&self.text);
        self.text.clear();
        if let Some(rec) = self.record.as_mut() {
            match self.stack.len() {
                // Closing the record itself.
                2 if name == "INDIVIDUAL" || name == "ENTITY" => {
                    if let Some(done) = self.record.take() {
                        self.records.push(done);
                    }
                    self.child = Child::None;
                }
                // A direct leaf of the record.
                3 => {
                    assign_leaf(rec, &name, value, line);
                    self.child = Child::None;
                }
                // A leaf inside a repeated child.
                4 => assign_child_leaf(rec, self.child, &name, value, line),
                _ => {}
            }
        }
        Ok(())
    }

    /// The publisher's date and the records, if the walk saw a whole publication: every
    /// element closed, the root closed and dated, at least one record.
    fn into_publication(
        self,
        bytes: &[u8],
        path: &Path,
    ) -> Result<(Option<String>, Vec<RawRecord>), ListError> {
        if !self.stack.is_empty() {
            return Err(ListError::Incomplete {
                file: path.to_path_buf(),
                line: line_at(bytes, bytes.len() as u64),
                message: format!(
                    "the file ends inside <{}>: it is cut",
                    self.stack.join("><")
                ),
            });
        }
        if !self.saw_root {
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
        if !self.closed_root {
            return Err(incomplete(
                "no closing </CONSOLIDATED_LIST>: the file is cut",
            ));
        }
        match self.generated.as_deref().map(str::trim) {
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
        if self.records.is_empty() {
            return Err(incomplete(
                "no INDIVIDUAL or ENTITY record: a published list is never empty",
            ));
        }
        Ok((self.generated, self.records))
    }
}

/// The repeated child of a record that element `name` opens (an empty one is added to the
/// record for its leaves), or the value list it is; `Child::None` for anything else.
fn open_child(rec: &mut RawRecord, name: &str, line: usize) -> Child {
    match name {
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
    }
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
