//! Book records and the files they come from: CSV with a header (`id,name,schema,dob,
//! country,imo,passport`; `id` required, the others optional) or FollowTheMoney JSON lines
//! (`{"id", "schema", "properties": {"name", "birthDate", "country"|"nationality",
//! "imoNumber", "passportNumber"}}`). A file is read whole before anything is stored: one
//! bad line refuses the file, naming its line and field.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use embargo_screen::{Query, ScreenRequest};

use crate::error::{BookError, Result};

/// The largest book file read: 2 GiB (a million records of CSV weigh ~60 MB).
pub const MAX_BOOK_FILE_BYTES: u64 = 2 << 30;

/// The columns a CSV book may have.
pub const COLUMNS: [&str; 7] = ["id", "name", "schema", "dob", "country", "imo", "passport"];

/// One customer, counterparty or vessel the team screens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookRecord {
    /// The team's own id for the record (stable across re-imports).
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dob: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<String>,
}

impl BookRecord {
    /// The screening question this record asks, read by the same rules as `embargo screen`.
    pub fn to_query(&self) -> std::result::Result<Query, embargo_screen::QueryError> {
        ScreenRequest {
            name: Some(&self.name),
            schema: self.schema.as_deref(),
            dob: self.dob.as_deref(),
            country: self.country.as_deref(),
            imo: self.imo.as_deref(),
            passport: self.passport.as_deref(),
        }
        .to_query()
    }

    /// SHA-256 (hex) of the record's fields: a decision holds for the record as it was.
    pub fn content_hash(&self) -> String {
        let body = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&body))
    }
}

/// SHA-256 (hex) of a list entry as stored: a decision holds for the entry as it was.
pub fn entity_hash(entity: &embargo_screen::Entity) -> String {
    let body = serde_json::to_vec(entity).unwrap_or_default();
    hex::encode(Sha256::digest(&body))
}

fn blank_to_none(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Read a book file: FtM JSON lines when its name ends in `.json`, `.jsonl` or `.ftm`, or
/// its first non-blank byte is `{`; CSV otherwise.
pub fn read_book(path: &Path) -> Result<Vec<BookRecord>> {
    let bytes =
        embargo_screen::read_bounded(path, MAX_BOOK_FILE_BYTES).map_err(|e| BookError::File {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let json = matches!(ext.as_deref(), Some("json" | "jsonl" | "ftm" | "ndjson"))
        || bytes
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| *b == b'{');
    let records = if json {
        read_ftm(path, &bytes)?
    } else {
        read_csv(path, &bytes)?
    };
    check_records(path, &records)?;
    Ok(records.into_iter().map(|(_, r)| r).collect())
}

fn input(path: &Path, line: u64, field: &str, message: impl Into<String>) -> BookError {
    BookError::Input {
        file: path.to_path_buf(),
        line,
        field: field.to_string(),
        message: message.into(),
    }
}

/// Every record screenable and every id once.
fn check_records(path: &Path, records: &[(u64, BookRecord)]) -> Result<()> {
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for (line, r) in records {
        if r.id.is_empty() {
            return Err(input(path, *line, "id", "empty: every record needs its id"));
        }
        if let Some(first) = seen.insert(&r.id, *line) {
            return Err(input(
                path,
                *line,
                "id",
                format!("{:?} is also the id of line {first}", r.id),
            ));
        }
        let q = r
            .to_query()
            .map_err(|e| input(path, *line, e.field(), e.to_string()))?;
        if let Some(imo) = q.imo.as_deref() {
            if let Err(rule) = embargo_screen::model::imo_checked(imo) {
                return Err(input(path, *line, "imo", format!("{imo:?}: {rule}")));
            }
        }
        if let Err(e) = embargo_screen::matcher::check_name_size(&r.name) {
            return Err(input(path, *line, "name", e.to_string()));
        }
    }
    Ok(())
}

fn read_csv(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, BookRecord)>> {
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| input(path, 1, "header", e.to_string()))?
        .clone();
    let mut at: HashMap<&str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        let Some(col) = COLUMNS.iter().find(|c| c.eq_ignore_ascii_case(h)) else {
            return Err(input(
                path,
                1,
                h,
                format!("unknown column (the columns are {})", COLUMNS.join(", ")),
            ));
        };
        if at.insert(col, i).is_some() {
            return Err(input(path, 1, h, "column given twice"));
        }
    }
    if !at.contains_key("id") {
        return Err(input(path, 1, "id", "the header has no id column"));
    }
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            input(path, line, "row", e.to_string())
        })?;
        let line = row.position().map_or(0, |p| p.line());
        // No id, name or code holds a line break; a field that does is a quote left open
        // (a cut file), which would swallow the rows after it.
        if let Some(i) = row.iter().position(|f| f.contains(['\n', '\r'])) {
            let field = headers.get(i).unwrap_or("row").trim();
            return Err(input(
                path,
                line,
                field,
                "a line break inside the field: a quote left open (a cut file?)",
            ));
        }
        let get = |c: &str| at.get(c).and_then(|i| row.get(*i));
        out.push((
            line,
            BookRecord {
                id: get("id").unwrap_or("").trim().to_string(),
                name: get("name").unwrap_or("").trim().to_string(),
                schema: blank_to_none(get("schema")),
                dob: blank_to_none(get("dob")),
                country: blank_to_none(get("country")),
                imo: blank_to_none(get("imo")),
                passport: blank_to_none(get("passport")),
            },
        ));
    }
    Ok(out)
}

#[derive(Deserialize)]
struct FtmLine {
    id: Option<String>,
    schema: Option<String>,
    #[serde(default)]
    properties: HashMap<String, serde_json::Value>,
}

/// The first string of an FtM property (a list of strings, or a string).
fn first(props: &HashMap<String, serde_json::Value>, key: &str) -> Option<String> {
    match props.get(key)? {
        serde_json::Value::String(s) => blank_to_none(Some(s)),
        serde_json::Value::Array(a) => a.iter().find_map(|v| blank_to_none(v.as_str())),
        _ => None,
    }
}

fn read_ftm(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, BookRecord)>> {
    let text = std::str::from_utf8(bytes).map_err(|e| BookError::File {
        file: path.to_path_buf(),
        message: format!("not UTF-8: {e}"),
    })?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let e: FtmLine =
            serde_json::from_str(raw).map_err(|err| input(path, line, "json", err.to_string()))?;
        for (key, value) in &e.properties {
            let ok = value.is_string()
                || value
                    .as_array()
                    .is_some_and(|a| a.iter().all(serde_json::Value::is_string));
            if !ok {
                return Err(input(
                    path,
                    line,
                    &format!("properties.{key}"),
                    "not a string or a list of strings",
                ));
            }
        }
        let p = &e.properties;
        out.push((
            line,
            BookRecord {
                id: e.id.unwrap_or_default().trim().to_string(),
                name: first(p, "name").unwrap_or_default(),
                schema: e.schema.and_then(|s| blank_to_none(Some(&s))),
                dob: first(p, "birthDate"),
                country: first(p, "country")
                    .or_else(|| first(p, "nationality"))
                    .or_else(|| first(p, "jurisdiction"))
                    .or_else(|| first(p, "flag")),
                imo: first(p, "imoNumber"),
                passport: first(p, "passportNumber").or_else(|| first(p, "idNumber")),
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn csv_and_ftm_lines_give_the_same_records() {
        let (_d1, csv) = write(
            "book.csv",
            "id,name,schema,dob,country,imo\nc1,Kim Jong Un,person,1984,KP,\nv1,Chon Ma San,vessel,,,8660313\n",
        );
        let (_d2, ftm) = write(
            "book.jsonl",
            r#"{"id":"c1","schema":"person","properties":{"name":["Kim Jong Un"],"birthDate":["1984"],"nationality":["KP"]}}
{"id":"v1","schema":"vessel","properties":{"name":"Chon Ma San","imoNumber":["8660313"]}}
"#,
        );
        let a = read_book(&csv).unwrap();
        let b = read_book(&ftm).unwrap();
        assert_eq!(a, b);
        assert_eq!(a[1].imo.as_deref(), Some("8660313"));
        assert_eq!(a[0].dob.as_deref(), Some("1984"));
    }

    #[test]
    fn bad_input_names_file_line_and_field() {
        let cases = [
            (
                "id,name,dob\nc1,Kim,1984\nc2,Lee,19x4\n",
                "book.csv:3: field dob",
            ),
            ("id,name\nc1,Kim\nc1,Lee\n", "book.csv:3: field id"),
            (
                "id,name,birthday\nc1,Kim,1984\n",
                "book.csv:1: field birthday",
            ),
            (
                "id,name,schema\nc1,Kim,planet\n",
                "book.csv:2: field schema",
            ),
            ("id,name,imo\nc1,Ship,8660314\n", "book.csv:2: field imo"),
            ("id,name\n,Kim\n", "book.csv:2: field id"),
            ("id,name\nc1,\n", "book.csv:2: field name"),
            // A quote left open swallows the rows after it.
            (
                "id,name\nc1,Kim\nc2,\"Lee\nc3,Pak\n",
                "book.csv:3: field name: a line break inside the field",
            ),
        ];
        for (text, want) in cases {
            let (_d, p) = write("book.csv", text);
            let err = read_book(&p).unwrap_err().to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        let (_d, p) = write("book.jsonl", "{\"id\":\"a\",\"properties\":{\"name\":[\"X\"]}}\n{\"id\":\"b\",\"properties\":{\"name\":[1]}}\n");
        let err = read_book(&p).unwrap_err().to_string();
        assert!(err.contains("book.jsonl:2: field properties.name"), "{err}");
    }

    #[test]
    fn hashes_follow_content() {
        let r = BookRecord {
            id: "c1".into(),
            name: "Kim".into(),
            schema: None,
            dob: None,
            country: None,
            imo: None,
            passport: None,
        };
        let mut s = r.clone();
        assert_eq!(r.content_hash(), s.content_hash());
        s.name = "Kim Il".into();
        assert_ne!(r.content_hash(), s.content_hash());
        assert_eq!(r.content_hash().len(), 64);
    }
}
