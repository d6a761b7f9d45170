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
    let by_name = name_index(snap);
    let citable = citable_names(&by_name);
    let citable_words = citable
        .keys()
        .map(|n| n.split(' ').count())
        .max()
        .unwrap_or(0);

    let mut by_address: HashMap<String, Vec<String>> = HashMap::new();
    let mut by_identifier: HashMap<(String, String), Vec<String>> = HashMap::new();
    for e in &snap.entities {
        let cx = EntryCx {
            e,
            id: entry_id(e),
            origin: format!("{label}: {list} {}", e.id),
            list,
            label,
        };
        let node = cx.node();
        if let (Schema::Vessel, Some(imo)) = (e.schema, e.imo()) {
            cx.push_vessel_events(imo, &mut batch);
        }
        if let Some(remarks) = &e.remarks {
            if snap.source == embargo_screen::Source::Ofac {
                cx.link_ofac_remarks(remarks, &by_name, &mut batch);
            } else {
                cx.link_un_comments(remarks, &citable, citable_words, &mut batch);
            }
        }
        if let Some(owner) = e.vessel.as_ref().and_then(|v| v.owner.clone()) {
            cx.link_owner(owner, &by_name, &mut batch);
        }
        cx.index_shared(&mut by_address, &mut by_identifier);
        batch.nodes.push(node);
    }

    let mut addr: Vec<_> = by_address.into_iter().collect();
    addr.sort();
    push_shared_edges(&mut batch, addr, EdgeKind::SharedAddress, list, label);
    let mut idents: Vec<_> = by_identifier
        .into_iter()
        .map(|((k, v), ids)| (format!("{k} {v}"), ids))
        .collect();
    idents.sort();
    push_shared_edges(&mut batch, idents, EdgeKind::SharedIdentifier, list, label);
    batch
}

/// Every normalized name and alias of the list, with the graph ids of the entries that
/// carry it (each once).
fn name_index(snap: &ListSnapshot) -> HashMap<String, Vec<String>> {
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
    by_name
}

/// Names a UN comment can cite: at least two words and 12 characters, of one entry.
fn citable_names(by_name: &HashMap<String, Vec<String>>) -> HashMap<&str, &String> {
    by_name
        .iter()
        .filter(|(name, ids)| name.split(' ').count() >= 2 && name.len() >= 12 && ids.len() == 1)
        .filter_map(|(name, ids)| Some((name.as_str(), ids.first()?)))
        .collect()
}

/// One list entry on its way into the batch: its graph id and the origin its records carry.
struct EntryCx<'a> {
    e: &'a Entity,
    id: String,
    origin: String,
    list: &'a str,
    label: &'a str,
}

impl EntryCx<'_> {
    /// The entry's node: its caption, other names as aliases, and its designation.
    fn node(&self) -> Node {
        let e = self.e;
        let mut node = Node::new(self.id.clone(), node_kind(e.schema), e.caption());
        node.origin = self.origin.clone();
        node.aliases = e.names.iter().skip(1).map(|n| n.value.clone()).collect();
        node.designations.push(Designation {
            list: self.list.to_string(),
            reference: e.id.clone(),
            programs: e.programs.clone(),
            listed_on: e.listed_on,
        });
        node
    }

    /// The vessel records of a listed vessel: its listed name and flag, and its former
    /// names. An IMO number that does not parse is reported; the vessel stays under its
    /// list id.
    fn push_vessel_events(&self, imo: &str, batch: &mut ImportBatch) {
        let (e, list) = (self.e, self.list);
        match Imo::parse(imo) {
            Ok(imo) => {
                batch.vessel_events.push(VesselEvent {
                    imo,
                    date: e.listed_on,
                    name: Some(e.caption().to_string()),
                    flag: e.vessel.as_ref().and_then(|v| v.flag.clone()),
                    kind: EventKind::Listing,
                    source: format!("{list} {}", e.id),
                    origin: self.origin.clone(),
                });
                for n in e.names.iter().filter(|n| n.kind == NameKind::FormerName) {
                    batch.vessel_events.push(VesselEvent {
                        imo,
                        date: None,
                        name: Some(n.value.clone()),
                        flag: None,
                        kind: EventKind::FormerName,
                        source: format!("{list} {} (former name)", e.id),
                        origin: self.origin.clone(),
                    });
                }
            }
            Err(err) => batch.skipped.push(RowError {
                file: self.label.into(),
                line: 0,
                field: format!("{list} {} imo", e.id),
                message: format!("{err}; vessel kept under its list id, without IMO key"),
            }),
        }
    }

    /// An edge of `kind` from `from` to this entry.
    fn link(&self, batch: &mut ImportBatch, from: String, kind: EdgeKind, source: String) {
        batch.edges.push(Edge {
            from,
            to: self.id.clone(),
            kind,
            share_pct: None,
            period: Period::default(),
            source,
            origin: self.origin.clone(),
        });
    }

    /// OFAC remarks `Linked To: NAME`: linked to the one other entry of that name, else (no
    /// entry or several) to a placeholder party, reported.
    fn link_ofac_remarks(
        &self,
        remarks: &str,
        by_name: &HashMap<String, Vec<String>>,
        batch: &mut ImportBatch,
    ) {
        let e = self.e;
        for name in linked_to(remarks) {
            match by_name.get(&normalize_name(&name)).map(Vec::as_slice) {
                Some([one]) if *one != self.id => self.link(
                    batch,
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
                    party.origin = self.origin.clone();
                    batch.skipped.push(RowError {
                        file: self.label.into(),
                        line: 0,
                        field: format!("ofac {} remarks", e.id),
                        message: format!("Linked To `{name}` is not one entry of this list (none or several); linked to a placeholder"),
                    });
                    self.link(
                        batch,
                        party.id.clone(),
                        EdgeKind::LinkedTo,
                        format!("OFAC SDN ent_num {} remarks: Linked To", e.id),
                    );
                    batch.nodes.push(party);
                }
            }
        }
    }

    /// UN comments naming other entries: every run of whole words of the comment, up to
    /// the longest citable name, looked up (a normalized text has single spaces, so a run
    /// is a slice); each other entry named is linked once.
    fn link_un_comments(
        &self,
        remarks: &str,
        citable: &HashMap<&str, &String>,
        citable_words: usize,
        batch: &mut ImportBatch,
    ) {
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
                if **other != self.id && !named.contains(other) {
                    named.push(other);
                    self.link(
                        batch,
                        (*other).clone(),
                        EdgeKind::LinkedTo,
                        format!("UN list comments of {} name this entry", self.e.id),
                    );
                }
            }
        }
    }

    /// The vessel owner column: linked from the one entry of that name, else from a
    /// placeholder party.
    fn link_owner(
        &self,
        owner: String,
        by_name: &HashMap<String, Vec<String>>,
        batch: &mut ImportBatch,
    ) {
        let owner_id = match by_name.get(&normalize_name(&owner)).map(Vec::as_slice) {
            Some([one]) => one.clone(),
            _ => {
                let mut party = Node::new(
                    crate::import::user_id(&owner),
                    NodeKind::Organization,
                    owner.clone(),
                );
                party.origin = self.origin.clone();
                let pid = party.id.clone();
                batch.nodes.push(party);
                pid
            }
        };
        self.link(
            batch,
            owner_id,
            EdgeKind::VesselOwner,
            format!("{} {} vessel owner", self.list, self.e.id),
        );
    }

    /// File the entry under its street addresses and its identifiers (a vessel's IMO
    /// number is its node already), for the shared-address and shared-identifier edges.
    fn index_shared(
        &self,
        by_address: &mut HashMap<String, Vec<String>>,
        by_identifier: &mut HashMap<(String, String), Vec<String>>,
    ) {
        let e = self.e;
        for a in &e.addresses {
            if a.street.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                by_address
                    .entry(normalize_name(&a.full()))
                    .or_default()
                    .push(self.id.clone());
            }
        }
        for i in &e.identifiers {
            if i.kind == IdentifierKind::Imo && e.schema == Schema::Vessel {
                continue;
            }
            by_identifier
                .entry((format!("{:?}", i.kind), normalize_name(&i.value)))
                .or_default()
                .push(self.id.clone());
        }
    }
}

/// Pairwise `kind` edges between the entries sharing each value; a value shared by more
/// than [`MAX_SHARED_GROUP`] entries is too generic to link and is reported instead.
fn push_shared_edges(
    batch: &mut ImportBatch,
    groups: Vec<(String, Vec<String>)>,
    kind: EdgeKind,
    list: &str,
    label: &str,
) {
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
}
