//! The entity graph's vocabulary: nodes (list entries, user entities, vessels), edges
//! (ownership, control, links, vessel roles) and the date ranges and sources they carry.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a node is. List entries keep the list they come from; user entities come from
/// ownership files; vessels are keyed by IMO number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Person,
    Organization,
    Vessel,
    Unknown,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Person => "person",
            NodeKind::Organization => "organization",
            NodeKind::Vessel => "vessel",
            NodeKind::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "person" | "individual" => Some(NodeKind::Person),
            "organization" | "organisation" | "company" | "legalentity" | "entity" => {
                Some(NodeKind::Organization)
            }
            "vessel" => Some(NodeKind::Vessel),
            "unknown" | "" => Some(NodeKind::Unknown),
            _ => None,
        }
    }
}

/// A designation of a node on a sanctions list: which list, which reference, since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Designation {
    /// `un` or `ofac` (or another list name given by the importer).
    pub list: String,
    /// The list's own reference: UN `KPe.001`, OFAC ent_num `9345`.
    pub reference: String,
    /// Programmes or regime, e.g. `DPRK2` or `DPRK` (UN list type).
    pub programs: Vec<String>,
    pub listed_on: Option<NaiveDate>,
}

/// One node of the graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Stable id: `ofac:9345`, `un:KPe.001`, `imo:9020015`, `user:<name or id>`.
    pub id: String,
    pub kind: NodeKind,
    pub name: String,
    pub aliases: Vec<String>,
    /// Non-empty when the node is itself on a list (a "designee", blocked in its own right).
    pub designations: Vec<Designation>,
    /// Where the node was first seen: list file or user file and line.
    pub origin: String,
}

impl Node {
    pub fn new(id: impl Into<String>, kind: NodeKind, name: impl Into<String>) -> Self {
        Node {
            id: id.into(),
            kind,
            name: name.into(),
            aliases: Vec::new(),
            designations: Vec::new(),
            origin: String::new(),
        }
    }

    pub fn is_designated(&self) -> bool {
        !self.designations.is_empty()
    }
}

/// The relation an edge states. Direction is always `from` (owner, controller, manager,
/// the party a list entry is linked to) → `to` (owned, controlled, vessel, the entry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EdgeKind {
    /// Equity ownership; the only relation OFAC's 50% rule counts.
    Ownership,
    /// Control without ownership (director, board seat, "controlled by" without a share).
    Control,
    /// A list's "linked to" (OFAC remarks) or a comment naming another entry (UN).
    LinkedTo,
    SharedAddress,
    SharedIdentifier,
    VesselOwner,
    VesselManager,
    VesselOperator,
}

impl EdgeKind {
    pub const ALL: [EdgeKind; 8] = [
        EdgeKind::Ownership,
        EdgeKind::Control,
        EdgeKind::LinkedTo,
        EdgeKind::SharedAddress,
        EdgeKind::SharedIdentifier,
        EdgeKind::VesselOwner,
        EdgeKind::VesselManager,
        EdgeKind::VesselOperator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Ownership => "ownership",
            EdgeKind::Control => "control",
            EdgeKind::LinkedTo => "linked_to",
            EdgeKind::SharedAddress => "shared_address",
            EdgeKind::SharedIdentifier => "shared_identifier",
            EdgeKind::VesselOwner => "vessel_owner",
            EdgeKind::VesselManager => "vessel_manager",
            EdgeKind::VesselOperator => "vessel_operator",
        }
    }

    /// Accepts the stored names and the words people write in the `relation` column.
    pub fn parse(s: &str) -> Option<Self> {
        let norm = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Some(match norm.as_str() {
            "ownership" | "owner" | "owns" | "shareholder" | "shareholding" | "owned_by" => {
                EdgeKind::Ownership
            }
            "control" | "controls" | "director" | "directorship" | "controlled_by"
            | "board_member" | "officer" => EdgeKind::Control,
            "linked_to" | "linked" | "link" | "associate" => EdgeKind::LinkedTo,
            "shared_address" | "address" => EdgeKind::SharedAddress,
            "shared_identifier" | "identifier" => EdgeKind::SharedIdentifier,
            "vessel_owner" | "registered_owner" | "beneficial_owner" => EdgeKind::VesselOwner,
            "vessel_manager" | "manager" | "ism_manager" | "commercial_manager"
            | "technical_manager" => EdgeKind::VesselManager,
            "vessel_operator" | "operator" => EdgeKind::VesselOperator,
            _ => return None,
        })
    }

    /// Symmetric relations have no owner side; traversals follow them both ways.
    pub fn is_symmetric(self) -> bool {
        matches!(
            self,
            EdgeKind::LinkedTo | EdgeKind::SharedAddress | EdgeKind::SharedIdentifier
        )
    }
}

/// A closed date range; `None` ends are open. Both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Period {
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

impl Period {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start.is_none_or(|s| s <= date) && self.end.is_none_or(|e| date <= e)
    }

    pub fn overlaps(&self, other: &Period) -> bool {
        let starts_before_other_ends = match (self.start, other.end) {
            (Some(s), Some(e)) => s <= e,
            _ => true,
        };
        let other_starts_before_self_ends = match (other.start, self.end) {
            (Some(s), Some(e)) => s <= e,
            _ => true,
        };
        starts_before_other_ends && other_starts_before_self_ends
    }

    /// A range whose start is after its end contains no day at all.
    pub fn is_inverted(&self) -> bool {
        matches!((self.start, self.end), (Some(s), Some(e)) if s > e)
    }
}

/// One stated relation between two nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
    /// Percent of `to` held by `from` (ownership only); `None` when the source gives none.
    pub share_pct: Option<f64>,
    pub period: Period,
    /// Who says so: a register, a list, a report (free text from the input).
    pub source: String,
    /// Where this edge was read: `file:line` or `ofac:sdn.csv ent_num 1234`.
    pub origin: String,
}
