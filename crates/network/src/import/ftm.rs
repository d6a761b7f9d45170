//! FollowTheMoney JSON lines: one entity per line, `{"id", "schema", "properties"}` with
//! every property a list of strings.
//!
//! Read: `Person`, `Company`, `Organization`, `LegalEntity` (nodes), `Vessel` (node keyed by
//! `imoNumber` when it is valid), `Ownership` (`owner` → `asset`, `percentage`),
//! `Directorship` (`director` → `organization`, control without ownership) and
//! `UnknownLink` (`subject` — `object`, linked-to). Dates from `startDate` / `endDate`.
//! The source of an edge is `publisher`, else `sourceUrl`, else the entity's `datasets`;
//! an edge with none of them is an error. Other schemata are counted as skipped, with
//! their line, never silently ignored.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use super::{parse_date, parse_share, ImportBatch};
use crate::error::{NetworkError, Result, RowError};
use crate::model::{Edge, EdgeKind, Node, NodeKind, Period};

#[derive(Debug, Deserialize)]
struct FtmEntity {
    id: String,
    schema: String,
    #[serde(default)]
    properties: HashMap<String, Vec<serde_json::Value>>,
    #[serde(default)]
    datasets: Vec<String>,
}

impl FtmEntity {
    fn strings(&self, prop: &str) -> Vec<String> {
        self.properties
            .get(prop)
            .map(|vals| {
                vals.iter()
                    .filter_map(|v| match v {
                        serde_json::Value::String(s) => Some(s.trim().to_string()),
                        // Nested entities (FtM "embedded" form) carry their id.
                        serde_json::Value::Object(o) => {
                            o.get("id").and_then(|i| i.as_str()).map(|s| s.to_string())
                        }
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn first(&self, prop: &str) -> Option<String> {
        self.strings(prop).into_iter().next()
    }
}

pub fn read_path(path: &Path) -> Result<ImportBatch> {
    let text = std::fs::read_to_string(path).map_err(|source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read(&text, &path.display().to_string())
}

pub fn read(text: &str, label: &str) -> Result<ImportBatch> {
    let mut batch = ImportBatch {
        file: label.to_string(),
        ..ImportBatch::default()
    };
    let mut errors = Vec::new();
    let entities = parse_lines(text, label, &mut batch, &mut errors);

    // First pass: node ids, so relations may refer to entities defined later in the file.
    let mut ids: HashMap<String, String> = HashMap::new();
    for (line, e) in &entities {
        push_node(*line, e, label, &mut ids, &mut errors, &mut batch);
    }
    for (line, e) in &entities {
        push_relation(*line, e, label, &ids, &mut errors, &mut batch);
    }
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(NetworkError::rows(errors))
    }
}

/// The entities of the file, one JSON object a line, each with its line; blank lines are
/// not rows, a line that is not an entity is an error.
fn parse_lines(
    text: &str,
    label: &str,
    batch: &mut ImportBatch,
    errors: &mut Vec<RowError>,
) -> Vec<(u64, FtmEntity)> {
    let mut entities: Vec<(u64, FtmEntity)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i as u64 + 1;
        if raw.trim().is_empty() {
            continue;
        }
        batch.rows += 1;
        match serde_json::from_str::<FtmEntity>(raw) {
            Ok(e) => entities.push((line, e)),
            Err(e) => errors.push(RowError {
                file: label.into(),
                line,
                field: "(json)".into(),
                message: e.to_string(),
            }),
        }
    }
    entities
}

/// A person, organization or vessel entity becomes a node (a vessel under its IMO number
/// when it has a valid one), its id noted in `ids`; other schemas are relations, read later.
fn push_node(
    line: u64,
    e: &FtmEntity,
    label: &str,
    ids: &mut HashMap<String, String>,
    errors: &mut Vec<RowError>,
    batch: &mut ImportBatch,
) {
    let kind = match e.schema.as_str() {
        "Person" => NodeKind::Person,
        "Company" | "Organization" | "LegalEntity" | "PublicBody" => NodeKind::Organization,
        "Vessel" => NodeKind::Vessel,
        _ => return,
    };
    let origin = format!("{label}:{line}");
    let mut id = node_id_for(&e.id);
    if kind == NodeKind::Vessel {
        if let Some(raw_imo) = e.first("imoNumber") {
            match crate::vessel::Imo::parse(&raw_imo) {
                Ok(imo) => id = imo.node_id(),
                Err(err) => errors.push(RowError {
                    file: label.into(),
                    line,
                    field: "properties.imoNumber".into(),
                    message: err.to_string(),
                }),
            }
        }
    }
    let names = e.strings("name");
    let Some(name) = names.first().cloned() else {
        errors.push(RowError {
            file: label.into(),
            line,
            field: "properties.name".into(),
            message: format!("{} `{}` has no name", e.schema, e.id),
        });
        return;
    };
    let mut node = Node::new(id.clone(), kind, name);
    node.aliases = names.into_iter().skip(1).collect();
    node.aliases.extend(e.strings("alias"));
    node.aliases.extend(e.strings("previousName"));
    node.aliases.extend(e.strings("pastNames"));
    node.origin = origin;
    ids.insert(e.id.clone(), id);
    batch.nodes.push(node);
}

/// An Ownership, Directorship or UnknownLink entity becomes an edge between the entities it
/// names (placeholders for those not defined in the file); other schemas without ownership
/// or control are skipped and reported.
fn push_relation(
    line: u64,
    e: &FtmEntity,
    label: &str,
    ids: &HashMap<String, String>,
    errors: &mut Vec<RowError>,
    batch: &mut ImportBatch,
) {
    let (from_prop, to_prop, kind) = match e.schema.as_str() {
        "Ownership" => ("owner", "asset", EdgeKind::Ownership),
        "Directorship" => ("director", "organization", EdgeKind::Control),
        "UnknownLink" => ("subject", "object", EdgeKind::LinkedTo),
        "Person" | "Company" | "Organization" | "LegalEntity" | "PublicBody" | "Vessel" => return,
        other => {
            batch.skipped.push(RowError {
                file: label.into(),
                line,
                field: "schema".into(),
                message: format!("schema `{other}` carries no ownership or control; skipped"),
            });
            return;
        }
    };
    let origin = format!("{label}:{line}");
    let mut err = |field: &str, message: String| {
        errors.push(RowError {
            file: label.into(),
            line,
            field: field.into(),
            message,
        })
    };
    let from = e.first(from_prop);
    let to = e.first(to_prop);
    if from.is_none() {
        err(&format!("properties.{from_prop}"), "empty".into());
    }
    if to.is_none() {
        err(&format!("properties.{to_prop}"), "empty".into());
    }
    let share = match e.first("percentage") {
        Some(p) if kind == EdgeKind::Ownership => parse_share(&p).unwrap_or_else(|m| {
            err("properties.percentage", m);
            None
        }),
        _ => None,
    };
    let period = relation_period(e, &mut err);
    let source = e
        .first("publisher")
        .or_else(|| e.first("sourceUrl"))
        .or_else(|| (!e.datasets.is_empty()).then(|| e.datasets.join(";")));
    if source.is_none() {
        err(
            "properties.publisher",
            "no publisher, sourceUrl or datasets: every relation needs a source".into(),
        );
    }
    let (Some(from), Some(to), Some(source)) = (from, to, source) else {
        return;
    };
    let resolve = |r: &str| -> Node {
        match ids.get(r) {
            Some(id) => Node::new(id.clone(), NodeKind::Unknown, id.clone()),
            None => super::reference_node(&node_id_for(r), &origin),
        }
    };
    let a = resolve(&from);
    let b = resolve(&to);
    batch.edges.push(Edge {
        from: a.id.clone(),
        to: b.id.clone(),
        kind,
        share_pct: share,
        period,
        source,
        origin: origin.clone(),
    });
    // Referenced entities not defined in this file become placeholder nodes, merged
    // with what the store already knows under the same id.
    for n in [a, b] {
        if !ids.values().any(|v| *v == n.id) {
            batch.nodes.push(n);
        }
    }
}

/// A relation's period from its `startDate` and `endDate`; an unreadable date is reported
/// and left open, an end before the start is reported.
fn relation_period(e: &FtmEntity, err: &mut impl FnMut(&str, String)) -> Period {
    let start = parse_date(&e.first("startDate").unwrap_or_default(), false).unwrap_or_else(|m| {
        err("properties.startDate", m);
        None
    });
    let end = parse_date(&e.first("endDate").unwrap_or_default(), true).unwrap_or_else(|m| {
        err("properties.endDate", m);
        None
    });
    let period = Period { start, end };
    if period.is_inverted() {
        err("properties.endDate", "end is before start".into());
    }
    period
}

/// FtM ids already in our scheme are kept; others are namespaced so they cannot collide
/// with list entries.
fn node_id_for(ftm_id: &str) -> String {
    let lower = ftm_id.to_ascii_lowercase();
    if ["ofac:", "un:", "imo:", "user:", "ftm:"]
        .iter()
        .any(|p| lower.starts_with(p))
    {
        ftm_id.to_string()
    } else {
        format!("ftm:{ftm_id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_and_directorship_become_edges() {
        let text = r#"{"id":"c1","schema":"Company","properties":{"name":["Alpha Ltd"],"alias":["Alpha"]}}
{"id":"o1","schema":"Ownership","properties":{"owner":["ofac:9345"],"asset":["c1"],"percentage":["60"],"startDate":["2015"],"publisher":["HK Companies Registry"]}}
{"id":"d1","schema":"Directorship","properties":{"director":["p1"],"organization":["c1"],"sourceUrl":["https://example.org/filing"]}}
{"id":"p1","schema":"Person","properties":{"name":["Kim Chol"]}}
{"id":"s1","schema":"Sanction","properties":{"entity":["c1"]}}"#;
        let b = read(text, "f.jsonl").unwrap();
        assert_eq!(b.rows, 5);
        assert_eq!(b.edges.len(), 2);
        let own = &b.edges[0];
        assert_eq!(
            (own.from.as_str(), own.to.as_str()),
            ("ofac:9345", "ftm:c1")
        );
        assert_eq!(own.share_pct, Some(60.0));
        assert_eq!(
            own.period.start,
            chrono::NaiveDate::from_ymd_opt(2015, 1, 1)
        );
        assert_eq!(b.edges[1].kind, EdgeKind::Control);
        assert_eq!(b.edges[1].from, "ftm:p1");
        assert_eq!(b.skipped.len(), 1);
        assert_eq!(b.skipped[0].line, 5);
    }

    #[test]
    fn bad_lines_name_line_and_field() {
        let text = "{\"id\":\"o\",\"schema\":\"Ownership\",\"properties\":{\"owner\":[\"a\"],\"asset\":[\"b\"],\"percentage\":[\"abc\"]}}\nnot json\n";
        let NetworkError::InvalidRows { rows, .. } = read(text, "g.jsonl").unwrap_err() else {
            panic!()
        };
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(
            got,
            vec![
                (2, "(json)"),
                (1, "properties.percentage"),
                (1, "properties.publisher")
            ]
        );
    }
}
