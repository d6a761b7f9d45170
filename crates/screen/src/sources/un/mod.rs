//! Reader for the UN Security Council consolidated list XML
//! (<https://scsanctions.un.org/resources/xml/en/consolidated.xml>, schema sc-sanctions.xsd).
//!
//! The reader walks the XML events once and fills raw records; the mapper turns them into
//! [`Entity`](crate::model::Entity) values. Every error names the file, the line and the element.

mod mapper;
mod reader;

use std::path::Path;

use crate::error::ListError;
use crate::model::{ListSnapshot, Source};

/// Read a consolidated list file (at most [`MAX_LIST_FILE_BYTES`](crate::MAX_LIST_FILE_BYTES)).
pub fn read_file(path: &Path) -> Result<ListSnapshot, ListError> {
    let bytes = crate::read_bounded(path, crate::MAX_LIST_FILE_BYTES)?;
    parse(&bytes, path)
}

/// Parse consolidated-list XML from memory. `path` only labels errors.
pub fn parse(bytes: &[u8], path: &Path) -> Result<ListSnapshot, ListError> {
    let (generated, records) = reader::read_records(bytes, path)?;
    let mut entities = Vec::with_capacity(records.len());
    for raw in records {
        entities.push(mapper::map_record(raw, path)?);
    }
    Ok(ListSnapshot {
        source: Source::Un,
        generated,
        entities,
        skipped: Vec::new(),
    })
}
