//! The typed regime: resolutions, their operative paragraphs, and the measures those
//! paragraphs impose. Everything here is built from the data files by `load`; nothing in
//! this module knows any particular resolution.

use crate::hs::{HsCode, HsSpec};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How sure the fact base is (tags of ../shared/docs/regime-facts.md: [C], [P], [U]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Unconfirmed,
    Partly,
    Confirmed,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Confirmed => "confirmed",
            Confidence::Partly => "partly",
            Confidence::Unconfirmed => "unconfirmed",
        })
    }
}

/// Which way goods or services move relative to the DPRK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// DPRK exports: the DPRK "shall not supply, sell or transfer"; states prohibit procurement.
    FromDprk,
    /// Supplies, sales or transfers to the DPRK.
    ToDprk,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::FromDprk => "from_dprk",
            Direction::ToDprk => "to_dprk",
        })
    }
}

/// Where an HS mapping comes from. The resolutions name goods in words; only a few
/// (2397 OP6 and OP7) give HS chapters. Everything else is a mapping someone made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HsProvenance {
    /// The code is written in the resolution text.
    ResolutionText,
    /// Published by the 1718 Committee.
    Committee,
    /// EU Council Regulation (EU) 2017/1509 annexes (CN codes).
    Eu2017_1509,
    /// India DGFT Trade Notice 16/2019-20 (HS annex "for reference").
    IndiaDgft16_2019,
    /// China MOFCOM announcement annex.
    ChinaMofcom,
    /// An analyst's mapping from the resolution's words; see the entry's note.
    Analyst,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HsEntry {
    pub spec: HsSpec,
    pub provenance: HsProvenance,
    pub confidence: Confidence,
    /// The code is broader than the goods the measure names (e.g. 8703 for "luxury
    /// automobiles"): a match means "prohibited if the goods are of that kind".
    pub partial: bool,
    /// The goods are covered only when valued over this many US dollars (2321's luxury
    /// items: rugs and tapestries over USD 500). The check compares the shipment's
    /// `value_usd` and answers `conditional`, naming the threshold, when it is missing.
    pub value_over_usd: Option<f64>,
    pub note: Option<String>,
}

impl HsEntry {
    /// Only some goods under the code are covered: the code is broader than the goods, or
    /// a value threshold leaves the cheaper ones out.
    pub fn narrower_goods(&self) -> bool {
        self.partial || self.value_over_usd.is_some()
    }
}

/// Kinds of designated targets, for asset-freeze, travel-ban and vessel measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Individual,
    Entity,
    Vessel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Usd,
    Tonnes,
    Barrels,
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unit::Usd => "USD",
            Unit::Tonnes => "t",
            Unit::Barrels => "bbl",
        })
    }
}

/// How a cap's period runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapPeriod {
    /// One window, from `from` to `until` (e.g. the rest of 2016).
    Window,
    /// Each calendar year from `from`.
    CalendarYear,
    /// Successive 12-month periods starting on `from` (2397 OP4: from 22 Dec 2017).
    TwelveMonths,
}

/// One limit of a cap. `amount` is `None` where the resolution fixes a limit that no
/// source quantifies (2375 OP15: crude frozen at the previous 12 months' amount).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CapLimit {
    pub amount: Option<f64>,
    pub unit: Unit,
    pub period: CapPeriod,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub note: Option<String>,
}

/// How several limits combine. The DPRK caps are all "whichever is reached first binds"
/// (2321 OP26 says "whichever is lower": the two limits are in different units).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CapCombine {
    FirstReached,
    Single,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExceptionKind {
    /// 2270 OP29(b): transactions exclusively for livelihood purposes.
    Livelihood,
    /// Transit of non-DPRK-origin goods through the DPRK (coal through Rajin).
    Transit,
    /// Civil passenger aircraft: fuel for the flight, spare parts.
    CivilAviation,
    /// Verified humanitarian needs.
    Humanitarian,
    /// Allowed only with the 1718 Committee's approval, case by case.
    CommitteeApproval,
    /// Allowed after notifying the 1718 Committee.
    CommitteeNotification,
    /// A named project (Rajin–Khasan, China–DPRK hydroelectric infrastructure).
    Project,
}

impl fmt::Display for ExceptionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ExceptionKind::Livelihood => "livelihood",
            ExceptionKind::Transit => "transit",
            ExceptionKind::CivilAviation => "civil_aviation",
            ExceptionKind::Humanitarian => "humanitarian",
            ExceptionKind::CommitteeApproval => "committee_approval",
            ExceptionKind::CommitteeNotification => "committee_notification",
            ExceptionKind::Project => "project",
        };
        f.write_str(s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabourRule {
    /// 2371 OP11: no increase in the number of work authorizations.
    NoIncrease,
    /// 2375 OP17: no new work authorizations.
    NoNew,
    /// 2397 OP8: repatriate DPRK nationals earning income abroad by a deadline.
    Repatriate,
}

/// What a measure does. The variants carry only what differs between kinds; what all
/// measures share (dates, citation, confidence, sources) lives on [`Measure`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MeasureKind {
    /// A prohibition on goods. An empty `hs` means the goods are defined outside the HS
    /// (national luxury lists, the WMD item lists): the check reports such measures as
    /// unscoped notes, never as a match.
    GoodsBan {
        directions: Vec<Direction>,
        hs: Vec<HsEntry>,
    },
    /// A quantitative limit; trade under it is allowed until a limit is reached.
    /// `applies_to` names the bans it relaxes (2321's coal cap relaxes 2270's coal ban);
    /// a cap with no `applies_to` limits goods that are otherwise free (2397 OP5 petroleum).
    Cap {
        directions: Vec<Direction>,
        hs: Vec<HsEntry>,
        limits: Vec<CapLimit>,
        combine: CapCombine,
        applies_to: Vec<String>,
    },
    /// An exception to other measures. `hs` narrows it to some goods (2397 OP7's aircraft
    /// spare parts); empty means all goods of the measures it applies to.
    /// `origin_not`: does not apply to goods originating in these countries (Rajin transit
    /// is for non-DPRK coal). `requires_via`: goods must pass through this country.
    Exception {
        exception: ExceptionKind,
        applies_to: Vec<String>,
        hs: Vec<HsEntry>,
        origin_not: Vec<String>,
        requires_via: Option<String>,
        condition: String,
    },
    /// Contracts concluded before the measure may be performed for `days` after it takes
    /// effect (through effective_from + days, inclusive). `hs` narrows it to some goods of
    /// the bans it applies to (2371 OP8: iron and iron ore, not coal); empty means all.
    /// `disputed_until`: a source that counts the days differently ends the wind-down on
    /// that day instead (`dispute` says who); the check names it on the days in between.
    WindDown {
        applies_to: Vec<String>,
        days: u32,
        scope: String,
        hs: Vec<HsEntry>,
        disputed_until: Option<NaiveDate>,
        dispute: Option<String>,
    },
    Labour {
        rule: LabourRule,
        deadline: Option<NaiveDate>,
    },
    JointVenture {
        rule: String,
    },
    Services {
        directions: Vec<Direction>,
        services: String,
    },
    Shipping {
        rule: String,
    },
    Financial {
        rule: String,
    },
    Travel {
        rule: String,
    },
    /// Measures that apply to designated persons, entities or vessels.
    Designation {
        targets: Vec<TargetKind>,
        effects: Vec<String>,
    },
    /// Additions to the list of designated persons, entities or vessels.
    Listing {
        individuals: Option<u32>,
        entities: Option<u32>,
        vessels: Option<u32>,
    },
    /// Institutional or political provisions (Committee, Panel, future-trigger commitments).
    Other {
        rule: String,
    },
}

impl MeasureKind {
    pub fn name(&self) -> &'static str {
        match self {
            MeasureKind::GoodsBan { .. } => "goods_ban",
            MeasureKind::Cap { .. } => "cap",
            MeasureKind::Exception { .. } => "exception",
            MeasureKind::WindDown { .. } => "wind_down",
            MeasureKind::Labour { .. } => "labour",
            MeasureKind::JointVenture { .. } => "joint_venture",
            MeasureKind::Services { .. } => "services",
            MeasureKind::Shipping { .. } => "shipping",
            MeasureKind::Financial { .. } => "financial",
            MeasureKind::Travel { .. } => "travel",
            MeasureKind::Designation { .. } => "designation",
            MeasureKind::Listing { .. } => "listing",
            MeasureKind::Other { .. } => "other",
        }
    }
}

/// One measure, as imposed by one operative paragraph (or annex) of one resolution.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    /// Stable id, "<resolution>-<paragraph>-<slug>", e.g. "2371-8-coal-iron".
    pub id: String,
    pub resolution: String,
    /// "8", "29(b)", "8(a)(iii)", "11-17", "Annex IV".
    pub paragraph: String,
    pub title: String,
    #[serde(flatten)]
    pub kind: MeasureKind,
    pub effective_from: NaiveDate,
    /// Last day in force (inclusive), from the file or from a superseding measure.
    pub effective_until: Option<NaiveDate>,
    pub supersedes: Vec<String>,
    pub superseded_by: Option<String>,
    /// Confidence in the content of the measure.
    pub confidence: Confidence,
    /// Confidence in the paragraph number.
    pub paragraph_confidence: Confidence,
    pub sources: Vec<String>,
    pub notes: Option<String>,
    /// Data file and line the measure was read from.
    pub origin: SourceLocation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

impl Measure {
    pub fn in_force_on(&self, d: NaiveDate) -> bool {
        d >= self.effective_from && self.effective_until.is_none_or(|u| d <= u)
    }

    /// The weaker of the content and paragraph confidences: what a citation can claim.
    pub fn citation_confidence(&self) -> Confidence {
        self.confidence.min(self.paragraph_confidence)
    }

    pub fn citation(&self) -> Citation {
        Citation {
            resolution: self.resolution.clone(),
            paragraph: self.paragraph.clone(),
            measure: self.id.clone(),
            title: self.title.clone(),
            kind: self.kind.name().to_string(),
            confidence: self.citation_confidence(),
            content_confidence: self.confidence,
            paragraph_confidence: self.paragraph_confidence,
        }
    }

    /// HS scope of goods measures (bans, caps, scoped exceptions and wind-downs); empty
    /// otherwise.
    pub fn hs_scope(&self) -> &[HsEntry] {
        match &self.kind {
            MeasureKind::GoodsBan { hs, .. }
            | MeasureKind::Cap { hs, .. }
            | MeasureKind::Exception { hs, .. }
            | MeasureKind::WindDown { hs, .. } => hs,
            _ => &[],
        }
    }

    pub fn directions(&self) -> &[Direction] {
        match &self.kind {
            MeasureKind::GoodsBan { directions, .. }
            | MeasureKind::Cap { directions, .. }
            | MeasureKind::Services { directions, .. } => directions,
            _ => &[],
        }
    }

    /// Ids of the measures this one qualifies (exceptions, caps, wind-downs).
    pub fn applies_to(&self) -> &[String] {
        match &self.kind {
            MeasureKind::Cap { applies_to, .. }
            | MeasureKind::Exception { applies_to, .. }
            | MeasureKind::WindDown { applies_to, .. } => applies_to,
            _ => &[],
        }
    }

    /// "2371 OP8" (or "2094 Annex IV").
    pub fn short_citation(&self) -> String {
        if self.paragraph.starts_with(|c: char| c.is_ascii_digit()) {
            format!("{} OP{}", self.resolution, self.paragraph)
        } else {
            format!("{} {}", self.resolution, self.paragraph)
        }
    }
}

/// A reference to a measure, as printed in verdicts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citation {
    pub resolution: String,
    pub paragraph: String,
    pub measure: String,
    pub title: String,
    pub kind: String,
    pub confidence: Confidence,
    pub content_confidence: Confidence,
    pub paragraph_confidence: Confidence,
}

impl Citation {
    /// "2371 OP8", "2094 Annex IV".
    pub fn short(&self) -> String {
        if self.paragraph.starts_with(|c: char| c.is_ascii_digit()) {
            format!("{} OP{}", self.resolution, self.paragraph)
        } else {
            format!("{} {}", self.resolution, self.paragraph)
        }
    }
}

/// A DPRK event that led the Council to act.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trigger {
    /// Local (KST) date of the event, as in the fact base's A.0 table.
    pub date: NaiveDate,
    pub event: String,
    pub kind: String,
    pub confidence: Confidence,
    pub source: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolution {
    pub number: String,
    pub year: i32,
    /// Adoption date in New York.
    pub adopted: NaiveDate,
    pub symbol: String,
    pub title: String,
    pub triggers: Vec<Trigger>,
    pub sources: Vec<String>,
    pub notes: Option<String>,
    pub origin: SourceLocation,
}

/// A quantity in a shipment; units convert to the cap units where they can.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Quantity {
    pub amount: f64,
    pub unit: QuantityUnit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuantityUnit {
    Kg,
    Tonnes,
    Barrels,
}

impl QuantityUnit {
    pub fn parse(s: &str) -> Option<QuantityUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "kg" | "kilogram" | "kilograms" => Some(QuantityUnit::Kg),
            "t" | "mt" | "tonne" | "tonnes" | "ton" | "tons" | "metric_ton" => {
                Some(QuantityUnit::Tonnes)
            }
            "bbl" | "barrel" | "barrels" => Some(QuantityUnit::Barrels),
            _ => None,
        }
    }
}

impl Quantity {
    /// The quantity in a cap's unit, when the units are commensurable.
    pub fn in_unit(&self, unit: Unit) -> Option<f64> {
        match (self.unit, unit) {
            (QuantityUnit::Kg, Unit::Tonnes) => Some(self.amount / 1000.0),
            (QuantityUnit::Tonnes, Unit::Tonnes) => Some(self.amount),
            (QuantityUnit::Barrels, Unit::Barrels) => Some(self.amount),
            _ => None,
        }
    }
}

/// Parsing helper shared by the loader and the CLI: "KP" etc. are validated by [`crate::Country`].
pub fn hs_spec_from_code(code: HsCode) -> HsSpec {
    HsSpec::Code { code }
}
