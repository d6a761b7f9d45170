//! Reader for OFAC's legacy SDN CSV set (format per OFAC's `dat_spec.txt`):
//! `sdn.csv` (12 columns), `add.csv` (6), `alt.csv` (5), `sdn_comments.csv` (2).
//! No header row; `-0-` (often with a trailing space) means empty; CRLF line ends; the
//! files may end with a DOS end-of-file byte 0x1A. Remarks carry birth dates, passports,
//! IMO numbers and quoted nicknames, which [`remarks`](crate::remarks) parses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::ListError;
use crate::model::{Address, Entity, ListSnapshot, Name, NameKind, Schema, Source, VesselInfo};
use crate::remarks;

/// The four files of one publication. Only `sdn` is required.
#[derive(Debug, Clone, Default)]
pub struct OfacFiles {
    pub sdn: PathBuf,
    pub add: Option<PathBuf>,
    pub alt: Option<PathBuf>,
    pub comments: Option<PathBuf>,
}

impl OfacFiles {
    /// The set beside `sdn` (same directory, OFAC's file names; a `_dprk` suffix is carried over).
    pub fn beside(sdn: &Path) -> OfacFiles {
        let dir = sdn.parent().unwrap_or(Path::new("."));
        let stem = sdn.file_stem().and_then(|s| s.to_str()).unwrap_or("sdn");
        let suffix = stem.strip_prefix("sdn").unwrap_or("");
        let find = |base: &str| {
            let p = dir.join(format!("{base}{suffix}.csv"));
            p.exists().then_some(p)
        };
        OfacFiles {
            sdn: sdn.to_path_buf(),
            add: find("add"),
            alt: find("alt"),
            comments: find("sdn_comments"),
        }
    }

    pub fn paths(&self) -> Vec<&Path> {
        let mut v = vec![self.sdn.as_path()];
        v.extend(
            [&self.add, &self.alt, &self.comments]
                .into_iter()
                .flatten()
                .map(PathBuf::as_path),
        );
        v
    }
}

/// A field after OFAC's null marker is removed.
fn field(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty() && t != "-0-").then(|| t.to_string())
}

/// Strip the DOS EOF byte OFAC appends after the last CRLF.
fn strip_eof(bytes: &[u8]) -> &[u8] {
    let mut b = bytes;
    while let Some((&last, rest)) = b.split_last() {
        if last == 0x1A {
            b = rest;
        } else {
            break;
        }
    }
    b
}

/// The longest record accepted: 64 KiB. OFAC caps a remarks field at 1,000 characters
/// (the rest goes to `sdn_comments.csv`); the longest line of the 2024 `sdn.csv` is 1,132
/// bytes. A longer record is a broken file, reported at once.
pub const MAX_RECORD_BYTES: u64 = 64 << 10;

/// Records of one CSV file with their line numbers; column count is checked, and the file
/// must be whole: at least one record, every record closed by a line end (OFAC ends
/// every line, the last one too, with CRLF), no field running over a line end (OFAC's
/// fields never hold one; a quote left open by a cut swallows the lines after it).
fn records(
    bytes: &[u8],
    path: &Path,
    columns: usize,
) -> Result<Vec<(usize, Vec<String>)>, ListError> {
    let body = strip_eof(bytes);
    let incomplete = |line: usize, message: String| ListError::Incomplete {
        file: path.to_path_buf(),
        line,
        message,
    };
    // Checked first: a record cut short usually lacks columns too, and "cut" is the news.
    if !body.is_empty() && !body.ends_with(b"\n") {
        let line = body.iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(incomplete(
            line,
            format!("the last record (line {line}) has no line end: the file is cut"),
        ));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut out = Vec::new();
    let mut rec = csv::StringRecord::new();
    // Lines are counted from byte offsets (the csv crate's line counter is not reliable
    // across CRLF records), incrementally so the cost stays linear.
    let mut counted_to = 0usize;
    let mut line_no = 1usize;
    let mut line_of = |byte: u64| {
        // The reader ends a record at CR, so a record's start offset may point at the LF of
        // the previous line: count through the start byte itself.
        let b = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .saturating_add(1)
            .min(body.len());
        if b >= counted_to {
            line_no += body
                .get(counted_to..b)
                .map(|s| s.iter().filter(|&&c| c == b'\n').count())
                .unwrap_or(0);
            counted_to = b;
        }
        line_no
    };
    loop {
        let start = rdr.position().byte();
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = line_of(rec.position().map(|p| p.byte()).unwrap_or(start));
                // A blank line is not a record.
                if rec.len() == 1 && rec.get(0).is_some_and(|f| f.trim().is_empty()) {
                    continue;
                }
                let end = rdr.position().byte();
                if end.saturating_sub(start) > MAX_RECORD_BYTES {
                    return Err(ListError::Csv {
                        file: path.to_path_buf(),
                        line,
                        message: format!(
                            "record of {} bytes, over the {MAX_RECORD_BYTES}-byte limit",
                            end.saturating_sub(start)
                        ),
                    });
                }
                if let Some(i) = rec.iter().position(|f| f.contains(['\n', '\r'])) {
                    return Err(incomplete(
                        line,
                        format!(
                            "field {} runs over a line end: a quote is left open (is the file cut?)",
                            i + 1
                        ),
                    ));
                }
                if rec.len() != columns {
                    return Err(ListError::Csv {
                        file: path.to_path_buf(),
                        line,
                        message: format!("{} columns, expected {columns}", rec.len()),
                    });
                }
                out.push((line, rec.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                let line = line_of(e.position().map(|p| p.byte()).unwrap_or(start));
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { err, .. } => {
                        format!("invalid UTF-8 in field {}", err.field() + 1)
                    }
                    _ => e.to_string(),
                };
                return Err(ListError::Csv {
                    file: path.to_path_buf(),
                    line,
                    message,
                });
            }
        }
    }
    if out.is_empty() {
        return Err(incomplete(
            line_of(body.len() as u64),
            "no records: a published OFAC file is never empty".into(),
        ));
    }
    Ok(out)
}

fn ent_num(path: &Path, line: usize, raw: &str) -> Result<u64, ListError> {
    raw.trim()
        .parse::<u64>()
        .map_err(|_| ListError::field(path, line, "ent_num", format!("{raw:?} is not a number")))
}

fn read(path: &Path) -> Result<Vec<u8>, ListError> {
    crate::read_bounded(path, crate::MAX_LIST_FILE_BYTES)
}

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
        let Some(name) = field(&r[1]) else {
            return Err(ListError::field(sdn_path, line, "SDN_Name", "empty"));
        };
        let schema = match field(&r[2]).map(|s| s.to_ascii_lowercase()).as_deref() {
            None => Schema::Organization,
            Some("individual") => Schema::Person,
            Some("vessel") => Schema::Vessel,
            Some("aircraft") => Schema::Airplane,
            Some(other) => {
                return Err(ListError::field(
                    sdn_path,
                    line,
                    "SDN_Type",
                    format!("unknown type {other:?}"),
                ))
            }
        };
        let mut e = Entity::new(num.to_string(), Source::Ofac, schema);
        e.names.push(Name {
            value: name,
            kind: NameKind::Primary,
            quality: None,
        });
        if let Some(p) = field(&r[3]) {
            // Multi-program fields are written `NPWMD] [DPRK2` (brackets of the outer pair dropped).
            e.programs = p
                .split("] [")
                .map(|s| {
                    s.trim_matches(|c| c == '[' || c == ']' || c == ' ')
                        .to_string()
                })
                .filter(|s| !s.is_empty())
                .collect();
        }
        if let Some(t) = field(&r[4]) {
            e.positions.push(t);
        }
        let mut remarks_text = field(&r[11]).unwrap_or_default();
        if let Some(more) = continuation.get(&num) {
            remarks_text.push_str(more);
        }
        if schema == Schema::Vessel || [5, 6, 7, 8, 9, 10].iter().any(|&i| field(&r[i]).is_some()) {
            e.vessel = Some(VesselInfo {
                call_sign: field(&r[5]),
                vessel_type: field(&r[6]),
                tonnage: field(&r[7]),
                gross_registered_tonnage: field(&r[8]),
                flag: field(&r[9]),
                owner: field(&r[10]),
                ..Default::default()
            });
        }
        if !remarks_text.is_empty() {
            remarks::apply(&mut e, &remarks_text);
            e.remarks = Some(remarks_text);
        }
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
            let Some(value) = field(&r[3]) else {
                return Err(ListError::field(p, line, "alt_name", "empty"));
            };
            let quality = field(&r[2]);
            let kind = match quality.as_deref().map(str::to_ascii_lowercase).as_deref() {
                Some("fka") => NameKind::FormerName,
                // OFAC marks low-quality aliases with "weak" in alt_remarks (dat_spec.txt).
                _ if field(&r[4]).is_some_and(|s| s.to_ascii_lowercase().contains("weak")) => {
                    NameKind::WeakAlias
                }
                _ => NameKind::StrongAlias,
            };
            if let Some(e) = entities.get_mut(idx) {
                if !e.names.iter().any(|n| n.value == value) {
                    e.names.push(Name {
                        value,
                        kind,
                        quality,
                    });
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
            let a = Address {
                street: field(&r[2]),
                city: field(&r[3]),
                region: None,
                postal_code: None,
                country: field(&r[4]),
                note: field(&r[5]),
            };
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
