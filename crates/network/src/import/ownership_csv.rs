//! Ownership and control CSV: a header row with the columns
//! `owner, owned, share_pct, relation, start, end, source` (any order, case-insensitive;
//! optional `owner_kind`, `owned_kind`: person / organization / vessel).
//!
//! `owner` and `owned` are ids (`ofac:9345`, `un:KPe.001`, `imo:9020015`, `user:...`) or
//! names. `relation` is one of the edge kinds (ownership, control/director, linked_to,
//! vessel_owner/manager/operator, ...); when empty, a row with a share is ownership and a
//! row without one is an error. `source` is required: every edge says who says so.

use std::collections::HashMap;
use std::path::Path;

use super::{parse_date, parse_share, reference_node, ImportBatch};
use crate::error::{NetworkError, Result, RowError};
use crate::model::{Edge, EdgeKind, NodeKind, Period};

const REQUIRED: [&str; 7] = [
    "owner",
    "owned",
    "share_pct",
    "relation",
    "start",
    "end",
    "source",
];

pub fn read_path(path: &Path) -> Result<ImportBatch> {
    let file = std::fs::File::open(path).map_err(|source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read(file, &path.display().to_string())
}

pub fn read<R: std::io::Read>(input: R, label: &str) -> Result<ImportBatch> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let col = super::header_columns(&mut reader, label)?;
    check_columns(&col, label)?;

    let mut batch = ImportBatch {
        file: label.to_string(),
        ..ImportBatch::default()
    };
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        batch.rows += 1;
        // Header is line 1; the csv crate knows the real line when quoted fields span lines.
        let fallback_line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(fallback_line, |p| p.line());
                errors.push(RowError {
                    file: label.to_string(),
                    line,
                    field: "(row)".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(fallback_line, |p| p.line());
        read_row(&record, &col, label, line, &mut errors, &mut batch);
    }
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(NetworkError::rows(errors))
    }
}

/// The file is refused when the header lacks one of the [`REQUIRED`] columns.
fn check_columns(col: &HashMap<String, usize>, label: &str) -> Result<()> {
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !col.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(NetworkError::InvalidFile {
            file: label.to_string(),
            message: format!(
                "line 1: missing column(s) {}; expected {}",
                missing.join(", "),
                REQUIRED.join(",")
            ),
        });
    }
    Ok(())
}

/// One data row on `line`: its edge and the two end nodes go to `batch` when the row
/// names both ends and a relation; every problem of the row goes to `errors`.
fn read_row(
    record: &csv::StringRecord,
    col: &HashMap<String, usize>,
    label: &str,
    line: u64,
    errors: &mut Vec<RowError>,
    batch: &mut ImportBatch,
) {
    let get = |name: &str| -> &str { col.get(name).and_then(|&ix| record.get(ix)).unwrap_or("") };
    let mut row_err = |field: &str, message: String| {
        errors.push(RowError {
            file: label.to_string(),
            line,
            field: field.to_string(),
            message,
        });
    };
    let origin = format!("{label}:{line}");

    let owner = get("owner");
    let owned = get("owned");
    if owner.is_empty() {
        row_err("owner", "empty".into());
    }
    if owned.is_empty() {
        row_err("owned", "empty".into());
    }
    let share = match parse_share(get("share_pct")) {
        Ok(s) => s,
        Err(m) => {
            row_err("share_pct", m);
            None
        }
    };
    let kind = relation_kind(get("relation"), share, &mut row_err);
    let period = row_period(get("start"), get("end"), &mut row_err);
    let source = get("source");
    if source.is_empty() {
        row_err(
            "source",
            "empty; every relation needs a source (register, filing, report)".into(),
        );
    }
    let owner_kind = kind_column(get("owner_kind"));
    let owned_kind = kind_column(get("owned_kind"));
    if owner_kind.is_err() {
        row_err(
            "owner_kind",
            format!("`{}` is not a kind", get("owner_kind")),
        );
    }
    if owned_kind.is_err() {
        row_err(
            "owned_kind",
            format!("`{}` is not a kind", get("owned_kind")),
        );
    }
    let (Some(kind), false, false) = (kind, owner.is_empty(), owned.is_empty()) else {
        return;
    };
    let mut from = reference_node(owner, &origin);
    let mut to = reference_node(owned, &origin);
    if let Ok(Some(k)) = owner_kind {
        from.kind = k;
    }
    if let Ok(Some(k)) = owned_kind {
        to.kind = k;
    }
    if matches!(
        kind,
        EdgeKind::VesselOwner | EdgeKind::VesselManager | EdgeKind::VesselOperator
    ) && to.kind == NodeKind::Unknown
    {
        to.kind = NodeKind::Vessel;
    }
    batch.edges.push(Edge {
        from: from.id.clone(),
        to: to.id.clone(),
        kind,
        share_pct: share,
        period,
        source: source.to_string(),
        origin,
    });
    batch.nodes.push(from);
    batch.nodes.push(to);
}

/// The row's relation: as written, or ownership when left empty on a row with a share.
/// `None` (reported) when it is unknown, or empty without a share.
fn relation_kind(
    relation_raw: &str,
    share: Option<f64>,
    row_err: &mut impl FnMut(&str, String),
) -> Option<EdgeKind> {
    if relation_raw.is_empty() {
        if share.is_some() {
            Some(EdgeKind::Ownership)
        } else {
            row_err(
                "relation",
                "empty, and no share_pct to imply ownership".into(),
            );
            None
        }
    } else {
        let k = EdgeKind::parse(relation_raw);
        if k.is_none() {
            row_err(
                "relation",
                format!(
                    "`{relation_raw}` is not a relation; use one of {}",
                    EdgeKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            );
        }
        k
    }
}

/// The row's period from its `start` and `end` columns; an unreadable date is reported
/// and left open, an end before the start is reported.
fn row_period(start: &str, end: &str, row_err: &mut impl FnMut(&str, String)) -> Period {
    let start = parse_date(start, false).unwrap_or_else(|m| {
        row_err("start", m);
        None
    });
    let end = parse_date(end, true).unwrap_or_else(|m| {
        row_err("end", m);
        None
    });
    let period = Period { start, end };
    if period.is_inverted() {
        row_err(
            "end",
            format!(
                "end {} is before start {}",
                end.map(|d| d.to_string()).unwrap_or_default(),
                start.map(|d| d.to_string()).unwrap_or_default()
            ),
        );
    }
    period
}

fn kind_column(raw: &str) -> std::result::Result<Option<NodeKind>, ()> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    NodeKind::parse(raw).map(Some).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "owner,owned,share_pct,relation,start,end,source\n";

    #[test]
    fn reads_rows_with_names_and_ids() {
        let text = format!(
            "{HEADER}ofac:9345,Alpha Trading,50,ownership,2015-01-01,,Registry A\n\
             Kim Chol,Alpha Trading,,director,2016,,Annual return 2016\n"
        );
        let b = read(text.as_bytes(), "t.csv").unwrap();
        assert_eq!(b.rows, 2);
        assert_eq!(b.edges.len(), 2);
        assert_eq!(b.edges[0].from, "ofac:9345");
        assert_eq!(b.edges[0].to, "user:ALPHA TRADING");
        assert_eq!(b.edges[0].share_pct, Some(50.0));
        assert_eq!(b.edges[1].kind, EdgeKind::Control);
        assert_eq!(b.edges[1].share_pct, None);
        assert_eq!(b.edges[1].origin, "t.csv:3");
    }

    #[test]
    fn every_bad_field_is_reported_with_line_and_nothing_is_returned() {
        let text = format!(
            "{HEADER}A,B,150,ownership,,,src\n\
             A,,10,ownership,,,src\n\
             A,B,10,owns-ish,,,src\n\
             A,B,10,ownership,2020-01-01,2019-01-01,src\n\
             A,B,10,ownership,,,\n\
             A,B,,,,,src\n"
        );
        let err = read(text.as_bytes(), "bad.csv").unwrap_err();
        let NetworkError::InvalidRows { rows, count } = err else {
            panic!("expected row errors")
        };
        assert_eq!(count, 6);
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "share_pct"),
                (3, "owned"),
                (4, "relation"),
                (5, "end"),
                (6, "source"),
                (7, "relation")
            ]
        );
        assert!(rows[0]
            .to_string()
            .starts_with("bad.csv:2: field `share_pct`"));
    }

    #[test]
    fn missing_column_is_a_file_error() {
        let err = read("owner,owned,share_pct\nA,B,1\n".as_bytes(), "x.csv").unwrap_err();
        assert!(err
            .to_string()
            .contains("missing column(s) relation, start, end, source"));
    }
}
