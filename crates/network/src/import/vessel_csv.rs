//! Vessel files, told apart by their header:
//!
//! * **OFAC vessel extract** (`ent_num, vessel_name, ..., vessel_flag, vessel_owner, imo,
//!   former_names, remarks`), the shape of `../shared/data/ofac-sdn/dprk_vessels_from_sdn.csv`:
//!   the vessel as a designated node keyed by IMO, its listed name and flag, its former
//!   names (`|`-separated), "Linked To:" parties from the remarks, the listed owner.
//!   A record without a valid IMO number is skipped and reported (never dropped quietly).
//! * **Registry / AIS history** (`imo, date, name, flag, source` plus optional `kind`
//!   = registry|ais, `owner`, `manager`, `operator`): one record per row; here an invalid
//!   IMO is an error, because the user's own file should be right.

use std::path::Path;

use super::{parse_date, reference_node, ImportBatch};
use crate::error::{NetworkError, Result, RowError};
use crate::model::{Designation, Edge, EdgeKind, Node, NodeKind, Period};
use crate::vessel::{EventKind, Imo, VesselEvent};

pub fn read_path(path: &Path) -> Result<ImportBatch> {
    let file = std::fs::File::open(path).map_err(|source| NetworkError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    read(file, &path.display().to_string())
}

pub fn read<R: std::io::Read>(input: R, label: &str) -> Result<ImportBatch> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let col = super::header_columns(&mut reader, label)?;
    let is_ofac = ["ent_num", "vessel_name", "imo"]
        .iter()
        .all(|c| col.contains_key(*c));
    let is_history = ["imo", "source"].iter().all(|c| col.contains_key(*c));
    if !is_ofac && !is_history {
        return Err(NetworkError::InvalidFile {
            file: label.into(),
            message: "line 1: neither an OFAC vessel extract (ent_num, vessel_name, imo, ...) nor a registry/AIS history (imo, date, name, flag, source)".into(),
        });
    }
    let mut batch = ImportBatch {
        file: label.into(),
        ..ImportBatch::default()
    };
    let mut errors = Vec::new();
    for (i, record) in reader.records().enumerate() {
        batch.rows += 1;
        let fallback_line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    file: label.into(),
                    line: e.position().map_or(fallback_line, |p| p.line()),
                    field: "(row)".into(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let line = record.position().map_or(fallback_line, |p| p.line());
        let get = |name: &str| -> String {
            col.get(name)
                .and_then(|&ix| record.get(ix))
                .unwrap_or("")
                .to_string()
        };
        let row = Row {
            label,
            line,
            get: &get,
        };
        if is_ofac {
            ofac_row(&row, &mut batch);
        } else {
            history_row(&row, &mut batch, &mut errors);
        }
    }
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(NetworkError::rows(errors))
    }
}

struct Row<'a> {
    label: &'a str,
    line: u64,
    get: &'a dyn Fn(&str) -> String,
}

impl Row<'_> {
    fn error(&self, field: &str, message: String) -> RowError {
        RowError {
            file: self.label.into(),
            line: self.line,
            field: field.into(),
            message,
        }
    }

    fn origin(&self) -> String {
        format!("{}:{}", self.label, self.line)
    }
}

fn ofac_row(row: &Row<'_>, batch: &mut ImportBatch) {
    let get = row.get;
    let ent_num = get("ent_num");
    let name = get("vessel_name");
    let imo = match Imo::parse(&get("imo")) {
        Ok(imo) => imo,
        Err(e) => {
            batch.skipped.push(row.error(
                "imo",
                format!("OFAC ent_num {ent_num} ({name}): {e}; not imported"),
            ));
            return;
        }
    };
    let source = format!("OFAC SDN ent_num {ent_num}");
    let mut node = Node::new(imo.node_id(), NodeKind::Vessel, name.clone());
    node.origin = row.origin();
    let former: Vec<String> = get("former_names")
        .split('|')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    node.aliases = former.clone();
    node.designations.push(Designation {
        list: "ofac".into(),
        reference: ent_num.clone(),
        programs: get("programs")
            .split(';')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        listed_on: None,
    });
    let flag = get("vessel_flag");
    batch.vessel_events.push(VesselEvent {
        imo,
        date: None,
        name: (!name.is_empty()).then(|| name.clone()),
        flag: (!flag.is_empty()).then_some(flag),
        kind: EventKind::Listing,
        source: source.clone(),
        origin: row.origin(),
    });
    for f in former {
        batch.vessel_events.push(VesselEvent {
            imo,
            date: None,
            name: Some(f),
            flag: None,
            kind: EventKind::FormerName,
            source: format!("{source} (f.k.a.)"),
            origin: row.origin(),
        });
    }
    // OFAC's "Linked To:" names the designated party a vessel is identified with; the name
    // resolves to that party's list entry when the OFAC list has been imported.
    for linked in linked_to(&get("remarks")) {
        let party = reference_node(&linked, &row.origin());
        batch.edges.push(Edge {
            from: party.id.clone(),
            to: node.id.clone(),
            kind: EdgeKind::LinkedTo,
            share_pct: None,
            period: Period::default(),
            source: format!("{source} remarks: Linked To"),
            origin: row.origin(),
        });
        batch.nodes.push(party);
    }
    let owner = get("vessel_owner");
    if !owner.is_empty() {
        let party = reference_node(&owner, &row.origin());
        batch.edges.push(Edge {
            from: party.id.clone(),
            to: node.id.clone(),
            kind: EdgeKind::VesselOwner,
            share_pct: None,
            period: Period::default(),
            source: format!("{source} Vess_owner"),
            origin: row.origin(),
        });
        batch.nodes.push(party);
    }
    batch.nodes.push(node);
}

/// `...; Linked To: OCEAN MARITIME MANAGEMENT COMPANY LIMITED.` → the names.
pub fn linked_to(remarks: &str) -> Vec<String> {
    remarks
        .split(';')
        .filter_map(|seg| seg.trim().strip_prefix("Linked To:"))
        .map(|s| s.trim().trim_end_matches('.').trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn history_row(row: &Row<'_>, batch: &mut ImportBatch, errors: &mut Vec<RowError>) {
    let get = row.get;
    let imo = match Imo::parse(&get("imo")) {
        Ok(i) => Some(i),
        Err(e) => {
            errors.push(row.error("imo", e.to_string()));
            None
        }
    };
    let date = parse_date(&get("date"), false).unwrap_or_else(|m| {
        errors.push(row.error("date", m));
        None
    });
    let source = get("source");
    if source.is_empty() {
        errors.push(row.error("source", "empty; every record needs a source".into()));
    }
    let kind = EventKind::parse(&get("kind")).unwrap_or_else(|| {
        errors.push(row.error("kind", format!("`{}` is not registry or ais", get("kind"))));
        EventKind::Registry
    });
    let name = get("name");
    let flag = get("flag");
    if name.is_empty()
        && flag.is_empty()
        && ["owner", "manager", "operator"]
            .iter()
            .all(|c| get(c).is_empty())
    {
        errors.push(row.error(
            "name",
            "row has no name, flag, owner, manager or operator".into(),
        ));
    }
    let Some(imo) = imo else { return };
    if source.is_empty() {
        return;
    }
    let mut vessel = Node::new(imo.node_id(), NodeKind::Vessel, format!("IMO {imo}"));
    if !name.is_empty() {
        vessel.name = name.clone();
    }
    vessel.origin = row.origin();
    if !name.is_empty() || !flag.is_empty() {
        batch.vessel_events.push(VesselEvent {
            imo,
            date,
            name: (!name.is_empty()).then_some(name),
            flag: (!flag.is_empty()).then_some(flag),
            kind,
            source: source.clone(),
            origin: row.origin(),
        });
    }
    for (column, relation) in [
        ("owner", EdgeKind::VesselOwner),
        ("manager", EdgeKind::VesselManager),
        ("operator", EdgeKind::VesselOperator),
    ] {
        let party = get(column);
        if party.is_empty() {
            continue;
        }
        let node = reference_node(&party, &row.origin());
        batch.edges.push(Edge {
            from: node.id.clone(),
            to: vessel.id.clone(),
            kind: relation,
            share_pct: None,
            // An observation on a date says the role held from then on, as far as we know.
            period: Period {
                start: date,
                end: None,
            },
            source: source.clone(),
            origin: row.origin(),
        });
        batch.nodes.push(node);
    }
    batch.nodes.push(vessel);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linked_to_segments_are_extracted() {
        let r = "Vessel Registration Identification IMO 9020015; f.k.a. 'SAM 5'; Linked To: THINH CUONG COMPANY LIMITED.";
        assert_eq!(
            linked_to(r),
            vec!["THINH CUONG COMPANY LIMITED".to_string()]
        );
        assert!(linked_to("Transactions Prohibited For Persons Owned or Controlled By U.S. Financial Institutions").is_empty());
    }

    #[test]
    fn history_rows_are_validated() {
        let text = "imo,date,name,flag,source,kind,manager\n\
                    9020015,2017-01-01,SAM 5,Vietnam,Equasis extract,registry,\n\
                    9020016,2017-01-01,X,Y,src,,\n\
                    9020015,2018-13-01,STAR 18,,src,ais,\n\
                    9020015,,,,,,\n";
        let NetworkError::InvalidRows { rows, .. } = read(text.as_bytes(), "h.csv").unwrap_err()
        else {
            panic!()
        };
        let got: Vec<(u64, &str)> = rows.iter().map(|r| (r.line, r.field.as_str())).collect();
        assert_eq!(
            got,
            vec![(3, "imo"), (4, "date"), (5, "source"), (5, "name")]
        );
    }

    #[test]
    fn history_with_manager_creates_edge() {
        let text = "imo,date,name,flag,source,manager\n9020015,2019-05-01,STAR 18,Vietnam,registry extract,ofac:1234\n";
        let b = read(text.as_bytes(), "h.csv").unwrap();
        assert_eq!(b.vessel_events.len(), 1);
        assert_eq!(b.edges.len(), 1);
        assert_eq!(b.edges[0].kind, EdgeKind::VesselManager);
        assert_eq!(b.edges[0].to, "imo:9020015");
    }
}
