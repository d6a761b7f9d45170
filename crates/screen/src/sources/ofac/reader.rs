//! OFAC's CSV files as records: the file set beside `sdn.csv`, OFAC's null marker and
//! end-of-file byte, whole-file checks and line numbers.

use std::path::{Path, PathBuf};

use crate::error::ListError;

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
pub(super) fn field(raw: &str) -> Option<String> {
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
pub(super) fn records(
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

pub(super) fn ent_num(path: &Path, line: usize, raw: &str) -> Result<u64, ListError> {
    raw.trim()
        .parse::<u64>()
        .map_err(|_| ListError::field(path, line, "ent_num", format!("{raw:?} is not a number")))
}

pub(super) fn read(path: &Path) -> Result<Vec<u8>, ListError> {
    crate::read_bounded(path, crate::MAX_LIST_FILE_BYTES)
}
