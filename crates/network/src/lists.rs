//! Adapter from embargo-screen's list entries (its UN XML and OFAC CSV readers) to graph
//! nodes and edges. The only module that knows embargo-screen's types: when its API moves,
//! this is the one place to follow it.
//!
//! Relations taken from the lists:
//! - OFAC remarks `Linked To: NAME` → linked_to, resolved to the entry with that exact
//!   (normalized) name or alias in the same list;
//! - OFAC vessel owner column → vessel_owner;
//! - UN comments that name another UN entry (its primary name, at least two words) →
//!   linked_to ("named in the comments of KPi.xxx");
//! - entries sharing an address with a street, or an identifier (kind and value) →
//!   shared_address / shared_identifier, pairwise. An address shared by more than
//!   [`MAX_SHARED_GROUP`] entries is too generic to link and is reported as skipped.
//!
//! Vessels with a valid IMO number become `imo:NNNNNNN` nodes (so registry and AIS files
//! join them); their listed name and flag and OFAC's former names become vessel records.

use std::collections::HashMap;

use embargo_screen::model::{IdentifierKind, NameKind};
use embargo_screen::{Entity, ListSnapshot, Schema};

use crate::error::RowError;
use crate::graph::normalize_name;
use crate::import::{vessel_csv::linked_to, ImportBatch};
use crate::model::{Designation, Edge, EdgeKind, Node, NodeKind, Period};
use crate::vessel::{EventKind, Imo, VesselEvent};

/// Reads a UN consolidated list XML with embargo-screen's reader.
pub fn read_un_file(path: &std::path::Path) -> crate::error::Result<ImportBatch> {
    let snap =
        embargo_screen::un::read_file(path).map_err(|e| crate::error::NetworkError::List {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
    Ok(batch_from_snapshot(&snap, &path.display().to_string()))
}

/// Reads OFAC's SDN CSV set (sdn.csv, with add/alt/sdn_comments beside it when present)
/// with embargo-screen's reader.
pub fn read_ofac_files(sdn: &std::path::Path) -> crate::error::Result<ImportBatch> {
    let files = embargo_screen::ofac::OfacFiles::beside(sdn);
    let snap =
        embargo_screen::ofac::read_files(&files).map_err(|e| crate::error::NetworkError::List {
            file: sdn.display().to_string(),
            message: e.to_string(),
        })?;
    Ok(batch_from_snapshot(&snap, &sdn.display().to_string()))
}

/// Largest group of entries sharing one address or identifier that is still linked.
pub const MAX_SHARED_GROUP: usize = 8;

fn node_kind(schema: Schema) -> NodeKind {
    match schema {
        Schema::Person => NodeKind::Person,
        Schema::Vessel => NodeKind::Vessel,
        Schema::Organization | Schema::Company | Schema::LegalEntity => NodeKind::Organization,
        Schema::Airplane => NodeKind::Unknown,
    }
}

/// The graph id of a list entry: its IMO node for vessels with a valid number, else
/// `<list>:<reference>`.
pub fn entry_id(e: &Entity) -> String {
    if e.schema == Schema::Vessel {
        if let Some(imo) = e.imo().and_then(|i| Imo::parse(i).ok()) {
            return imo.node_id();
        }
    }
    format!("{}:{}", e.source.as_str(), e.id)
}

/// Nodes, edges and vessel records of one list snapshot. `label` names the file(s).
pub fn batch_from_snapshot(snap: &ListSnapshot, label: &str) -> ImportBatch {
    let list = snap.source.as_str();
    let mut batch = ImportBatch {
        file: label.to_string(),
        rows: snap.entities.len() as u64,
        ..ImportBatch::default()
    };
    for s in &snap.skipped {
        batch.skipped.push(RowError {
            file: label.into(),
            line: 0,
            field: "(list reader)".into(),
            message: s.clone(),
        });
    }
    // Exact-name index of this list, for "Linked To" and UN comments.
    let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
    for e in &snap.entities {
        let id = entry_id(e);
        for n in &e.names {
            let key = normalize_name(&n.value);
            let ids = by_name.entry(key).or_default();
            if !ids.contains(&id) {
                ids.push(id.clone());
            }
        }
    }

    // Names a UN comment can cite: at least two words and 12 characters, of one entry.
    let citable: HashMap<&str, &String> = by_name
        .iter()
        .filter(|(name, ids)| name.split(' ').count() >= 2 && name.len() >= 12 && ids.len() == 1)
        .filter_map(|(name, ids)| Some((name.as_str(), ids.first()?)))
        .collect();
    let citable_words = citable
        .keys()
        .map(|n| n.split(' ').count())
        .max()
        .unwrap_or(0);

    let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
    let mut by_identifier: HashMap<(String, String), Vec<String>> = HashMap::new();
    for e in &snap.entities {
        let id = entry_id(e);
        let origin = format!("{label}: {list} {}", e.id);
        let mut node = Node::new(id.clone(), node_kind(e.schema), e.caption());
        node.origin = origin.clone();
        node.aliases = e.names.iter().skip(1).map(|n| n.value.clone()).collect();
        node.designations.push(Designation {
            list: list.to_string(),
            reference: e.id.clone(),
            programs: e.programs.clone(),
            listed_on: e.listed_on,
        });

        if let (Schema::Vessel, Some(imo)) = (e.schema, e.imo()) {
            match Imo::parse(imo) {
                Ok(imo) => {
                    batch.vessel_events.push(VesselEvent {
                        imo,
                        date: e.listed_on,
                        name: Some(e.caption().to_string()),
                        flag: e.vessel.as_ref().and_then(|v| v.flag.clone()),
                        kind: EventKind::Listing,
                        source: format!("{list} {}", e.id),
                        origin: origin.clone(),
                    });
                    for n in e.names.iter().filter(|n| n.kind == NameKind::FormerName) {
                        batch.vessel_events.push(VesselEvent {
                            imo,
                            date: None,
                            name: Some(n.value.clone()),
                            flag: None,
                            kind: EventKind::FormerName,
                            source: format!("{list} {} (former name)", e.id),
                            origin: origin.clone(),
                        });
                    }
                }
                Err(err) => batch.skipped.push(RowError {
                    file: label.into(),
                    line: 0,
                    field: format!("{list} {} imo", e.id),
                    message: format!("{err}; vessel kept under its list id, without IMO key"),
                }),
            }
        }

        let link = |batch: &mut ImportBatch, from: String, kind: EdgeKind, source: String| {
            batch.edges.push(Edge {
                from,
                to: id.clone(),
                kind,
                share_pct: None,
                period: Period::default(),
                source,
                origin: origin.clone(),
            });
        };
        if let Some(remarks) = &e.remarks {
            if snap.source == embargo_screen::Source::Ofac {
                for name in linked_to(remarks) {
                    match by_name.get(&normalize_name(&name)).map(Vec::as_slice) {
                        Some([one]) if *one != id => link(
                            &mut batch,
                            one.clone(),
                            EdgeKind::LinkedTo,
                            format!("OFAC SDN ent_num {} remarks: Linked To", e.id),
                        ),
                        Some([_]) => {}
                        _ => {
                            let mut party = Node::new(
                                crate::import::user_id(&name),
                                NodeKind::Organization,
                                name.clone(),
                            );
                            party.origin = origin.clone();
                            batch.skipped.push(RowError {
                                file: label.into(),
                                line: 0,
                                field: format!("ofac {} remarks", e.id),
                                message: format!("Linked To `{name}` is not one entry of this list (none or several); linked to a placeholder"),
                            });
                            link(
                                &mut batch,
                                party.id.clone(),
                                EdgeKind::LinkedTo,
                                format!("OFAC SDN ent_num {} remarks: Linked To", e.id),
                            );
                            batch.nodes.push(party);
                        }
                    }
                }
            } else {
                // Every run of whole words of the comment, up to the longest citable name,
                // looked up (a normalized text has single spaces, so a run is a slice).
                let text = normalize_name(remarks);
                let bounds: Vec<(usize, usize)> = text
                    .split(' ')
                    .scan(0usize, |at, w| {
                        let b = (*at, *at + w.len());
                        *at += w.len() + 1;
                        Some(b)
                    })
                    .collect();
                let mut named: Vec<&String> = Vec::new();
                for (i, &(start, _)) in bounds.iter().enumerate() {
                    for &(_, end) in bounds.iter().skip(i + 1).take(citable_words - 1) {
                        let Some(other) = text.get(start..end).and_then(|g| citable.get(g)) else {
                            continue;
                        };
                        if **other != id && !named.contains(other) {
                            named.push(other);
                            link(
                                &mut batch,
                                (*other).clone(),
                                EdgeKind::LinkedTo,
                                format!("UN list comments of {} name this entry", e.id),
                            );
                        }
                    }
                }
            }
        }
        if let Some(owner) = e.vessel.as_ref().and_then(|v| v.owner.clone()) {
            let owner_id = match by_name.get(&normalize_name(&owner)).map(Vec::as_slice) {
                Some([one]) => one.clone(),
                _ => {
                    let mut party = Node::new(
                        crate::import::user_id(&owner),
                        NodeKind::Organization,
                        owner.clone(),
                    );
                    party.origin = origin.clone();
                    let pid = party.id.clone();
                    batch.nodes.push(party);
                    pid
                }
            };
            link(
                &mut batch,
                owner_id,
                EdgeKind::VesselOwner,
                format!("{list} {} vessel owner", e.id),
            );
        }
        for a in &e.addresses {
            if a.street.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                by_address
                    .entry(normalize_name(&a.full()))
                    .or_default()
                    .push(id.clone());
            }
        }
        for i in &e.identifiers {
            if i.kind == IdentifierKind::Imo && e.schema == Schema::Vessel {
                continue;
            }
            by_identifier
                .entry((format!("{:?}", i.kind), normalize_name(&i.value)))
                .or_default()
                .push(id.clone());
        }
        batch.nodes.push(node);
    }

    let shared = |batch: &mut ImportBatch, groups: Vec<(String, Vec<String>)>, kind: EdgeKind| {
        for (what, mut ids) in groups {
            ids.sort();
            ids.dedup();
            if ids.len() < 2 {
                continue;
            }
            if ids.len() > MAX_SHARED_GROUP {
                batch.skipped.push(RowError {
                    file: label.into(),
                    line: 0,
                    field: kind.as_str().into(),
                    message: format!(
                        "`{what}` is shared by {} entries (> {MAX_SHARED_GROUP}); too generic to link",
                        ids.len()
                    ),
                });
                continue;
            }
            for (i, a) in ids.iter().enumerate() {
                for b in ids.iter().skip(i + 1) {
                    batch.edges.push(Edge {
                        from: a.clone(),
                        to: b.clone(),
                        kind,
                        share_pct: None,
                        period: Period::default(),
                        source: format!("{list} list: same {} `{what}`", kind.as_str()),
                        origin: label.to_string(),
                    });
                }
            }
        }
    };
    let mut addr: Vec<_> = by_address.into_iter().collect();
    addr.sort();
    shared(&mut batch, addr, EdgeKind::SharedAddress);
    let mut idents: Vec<_> = by_identifier
        .into_iter()
        .map(|((k, v), ids)| (format!("{k} {v}"), ids))
        .collect();
    idents.sort();
    shared(&mut batch, idents, EdgeKind::SharedIdentifier);
    batch
}
