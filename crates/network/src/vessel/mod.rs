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

use crate::error::{NetworkError, Result};
use crate::graph::Graph;
use crate::store::Store;

/// The profile of the vessel with this IMO number, from the store's list part (the
/// vessels of the followed UN and OFAC lists) and its named imports (registry extracts,
/// AIS histories). A number that none of them knows is [`NetworkError::VesselNotFound`]:
/// an empty profile would read as a vessel with no signals. `graph` is `store`'s graph,
/// loaded once by a caller that looks up many vessels.
pub fn find_vessel(
    store: &Store,
    graph: &Graph,
    imo: Imo,
    registry: &FlagRegistry,
    rules: SignalRules,
) -> Result<VesselProfile> {
    let events = store.vessel_events(imo)?;
    let profile = vessel_profile(imo, graph, &events, registry, rules);
    if profile.known {
        Ok(profile)
    } else {
        Err(NetworkError::VesselNotFound {
            imo,
            lists: store.followed_lists()?,
        })
    }
}

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
