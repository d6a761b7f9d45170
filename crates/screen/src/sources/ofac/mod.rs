//! Reader for OFAC's legacy SDN CSV set (format per OFAC's `dat_spec.txt`):
//! `sdn.csv` (12 columns), `add.csv` (6), `alt.csv` (5), `sdn_comments.csv` (2).
//! No header row; `-0-` (often with a trailing space) means empty; CRLF line ends; the
//! files may end with a DOS end-of-file byte 0x1A. Remarks carry birth dates, passports,
//! IMO numbers and quoted nicknames, which [`remarks`] parses.

mod mapper;
mod reader;
pub mod remarks;

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::ListError;
use crate::model::{Entity, ListSnapshot, Source};
use reader::{ent_num, field, read, records};
pub use reader::{OfacFiles, MAX_RECORD_BYTES};

/// Read an OFAC file set.
pub fn read_files(files: &OfacFiles) -> Result<ListSnapshot, ListError> {
    let sdn = read(&files.sdn)?;
    let add = files
        .add
        .as_deref()
        .map(|p| read(p).map(|b| (p, b)))
        .transpose()?;
    let alt = files
        .alt
        .as_deref()
        .map(|p| read(p).map(|b| (p, b)))
        .transpose()?;
    let comments = files
        .comments
        .as_deref()
        .map(|p| read(p).map(|b| (p, b)))
        .transpose()?;
    parse_set(
        (&files.sdn, &sdn),
        add.as_ref().map(|(p, b)| (*p, b.as_slice())),
        alt.as_ref().map(|(p, b)| (*p, b.as_slice())),
        comments.as_ref().map(|(p, b)| (*p, b.as_slice())),
    )
}

/// Parse `sdn.csv` alone from memory.
pub fn parse_sdn(bytes: &[u8], path: &Path) -> Result<ListSnapshot, ListError> {
    parse_set((path, bytes), None, None, None)
}

/// Parse a file set from memory; each part is (label for errors, bytes).
pub fn parse_set(
    sdn: (&Path, &[u8]),
    add: Option<(&Path, &[u8])>,
    alt: Option<(&Path, &[u8])>,
    comments: Option<(&Path, &[u8])>,
) -> Result<ListSnapshot, ListError> {
    let (sdn_path, sdn_bytes) = sdn;
    let mut entities: Vec<Entity> = Vec::new();
    let mut by_num: BTreeMap<u64, usize> = BTreeMap::new();
    let mut skipped = Vec::new();

    // Remarks continue in sdn_comments.csv when OFAC's 1000-character field overflows.
    let mut continuation: BTreeMap<u64, String> = BTreeMap::new();
    if let Some((p, b)) = comments {
        for (line, r) in records(b, p, 2)? {
            let n = ent_num(p, line, &r[0])?;
            if let Some(text) = field(&r[1]) {
                continuation.entry(n).or_default().push_str(&text);
            }
        }
    }

    for (line, r) in records(sdn_bytes, sdn_path, 12)? {
        let num = ent_num(sdn_path, line, &r[0])?;
        let e = mapper::sdn_entity(
            sdn_path,
            line,
            num,
            &r,
            continuation.get(&num).map(String::as_str),
        )?;
        if by_num.insert(num, entities.len()).is_some() {
            return Err(ListError::field(
                sdn_path,
                line,
                "ent_num",
                format!("duplicate ent_num {num}"),
            ));
        }
        entities.push(e);
    }

    if let Some((p, b)) = alt {
        for (line, r) in records(b, p, 5)? {
            let num = ent_num(p, line, &r[0])?;
            let Some(&idx) = by_num.get(&num) else {
                skipped.push(format!(
                    "{}:{line}: alias for unknown ent_num {num}",
                    p.display()
                ));
                continue;
            };
            let name = mapper::alias(p, line, &r)?;
            if let Some(e) = entities.get_mut(idx) {
                if !e.names.iter().any(|n| n.value == name.value) {
                    e.names.push(name);
                }
            }
        }
    }

    if let Some((p, b)) = add {
        for (line, r) in records(b, p, 6)? {
            let num = ent_num(p, line, &r[0])?;
            let Some(&idx) = by_num.get(&num) else {
                skipped.push(format!(
                    "{}:{line}: address for unknown ent_num {num}",
                    p.display()
                ));
                continue;
            };
            let a = mapper::address(&r);
            if let Some(e) = entities.get_mut(idx) {
                if !a.is_empty() {
                    e.addresses.push(a);
                }
            }
        }
    }

    Ok(ListSnapshot {
        source: Source::Ofac,
        generated: None,
        entities,
        skipped,
    })
}
