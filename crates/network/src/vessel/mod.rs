//! Vessels: IMO number as the key, name and flag history from list entries (OFAC former
//! names) and user files (registry extracts, AIS observations), and the signals an analyst
//! looks for — flags of convenience, re-flagging of DPRK-linked ships, flag hopping.

mod imo;
pub mod registry;
pub mod signals;

pub use imo::Imo;
pub use registry::{Confidence, FlagRegistry};
pub use signals::{vessel_profile, Signal, SignalKind, SignalRules, VesselProfile};

use chrono::NaiveDate;
use serde::Serialize;

/// Where a vessel record comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A sanctions list entry (name and flag as listed; the list's date when known).
    Listing,
    /// A former name the list gives (OFAC "f.k.a."), undated.
    FormerName,
    /// A ship registry record or extract.
    Registry,
    /// An AIS position/static-data report.
    Ais,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Listing => "listing",
            EventKind::FormerName => "former_name",
            EventKind::Registry => "registry",
            EventKind::Ais => "ais",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "listing" | "list" => EventKind::Listing,
            "former_name" | "fka" => EventKind::FormerName,
            "registry" | "register" | "" => EventKind::Registry,
            "ais" => EventKind::Ais,
            _ => return None,
        })
    }
}

/// One dated (or undated) statement of a vessel's name and/or flag.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VesselEvent {
    pub imo: Imo,
    pub date: Option<NaiveDate>,
    pub name: Option<String>,
    pub flag: Option<String>,
    pub kind: EventKind,
    pub source: String,
    pub origin: String,
}
