//! The normalized list entry, shaped after FollowTheMoney (FtM) so that it can be exported
//! as FtM JSON lines and compared with other screening tools' data.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which published list an entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// UN Security Council consolidated list.
    Un,
    /// US Treasury OFAC SDN list.
    Ofac,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Un => "un",
            Source::Ofac => "ofac",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// FtM schema of an entry. `Organization` is used for list entities whose legal form is not
/// stated (the UN list does not say whether an ENTITY is a company).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Schema {
    Person,
    Organization,
    Company,
    Vessel,
    Airplane,
    LegalEntity,
}

impl Schema {
    pub fn as_str(self) -> &'static str {
        match self {
            Schema::Person => "Person",
            Schema::Organization => "Organization",
            Schema::Company => "Company",
            Schema::Vessel => "Vessel",
            Schema::Airplane => "Airplane",
            Schema::LegalEntity => "LegalEntity",
        }
    }

    /// Parse a schema name as written on the command line or in FtM data (case-insensitive).
    pub fn parse(s: &str) -> Option<Schema> {
        match s.trim().to_ascii_lowercase().as_str() {
            "person" | "individual" => Some(Schema::Person),
            "organization" | "organisation" | "entity" => Some(Schema::Organization),
            "company" => Some(Schema::Company),
            "vessel" | "ship" => Some(Schema::Vessel),
            "airplane" | "aircraft" => Some(Schema::Airplane),
            "legalentity" | "legal_entity" => Some(Schema::LegalEntity),
            _ => None,
        }
    }

    /// Coarse family used by the matcher: a person never matches a ship.
    pub fn family(self) -> SchemaFamily {
        match self {
            Schema::Person => SchemaFamily::Person,
            Schema::Organization | Schema::Company | Schema::LegalEntity => {
                SchemaFamily::Organization
            }
            Schema::Vessel => SchemaFamily::Vessel,
            Schema::Airplane => SchemaFamily::Airplane,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SchemaFamily {
    Person,
    Organization,
    Vessel,
    Airplane,
}

/// How a name relates to the entry. Strong aliases are full names the list publishes as
/// equivalent (UN "Good" quality, OFAC "aka" in alt.csv); weak aliases are short or
/// low-quality names (UN "Low", OFAC quoted nicknames) that alone do not identify anyone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameKind {
    Primary,
    StrongAlias,
    WeakAlias,
    FormerName,
    OriginalScript,
}

impl NameKind {
    /// The FtM property this name is exported under.
    pub fn ftm_property(self) -> &'static str {
        match self {
            NameKind::Primary => "name",
            NameKind::StrongAlias | NameKind::OriginalScript => "alias",
            NameKind::WeakAlias => "weakAlias",
            NameKind::FormerName => "previousName",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Name {
    pub value: String,
    pub kind: NameKind,
    /// The list's own quality word: UN `Good`/`Low`/`a.k.a.`/`f.k.a.`, OFAC `aka`/`fka`/`nka`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
}

/// How precise a listed birth date is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DateQualifier {
    Exact,
    Approximately,
    Between,
}

/// A birth date as the lists publish it: a day, a year, or a range of years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DateValue {
    Day { date: NaiveDate },
    Year { year: i32 },
    YearRange { from: i32, to: i32 },
    DayRange { from: NaiveDate, to: NaiveDate },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BirthDate {
    pub qualifier: DateQualifier,
    pub value: DateValue,
}

impl BirthDate {
    /// FtM writes dates as ISO prefixes: `1944-10-13` or `1938`. Ranges export both ends.
    pub fn ftm_values(&self) -> Vec<String> {
        match self.value {
            DateValue::Day { date } => vec![date.format("%Y-%m-%d").to_string()],
            DateValue::Year { year } => vec![format!("{year:04}")],
            DateValue::YearRange { from, to } => vec![format!("{from:04}"), format!("{to:04}")],
            DateValue::DayRange { from, to } => {
                vec![
                    from.format("%Y-%m-%d").to_string(),
                    to.format("%Y-%m-%d").to_string(),
                ]
            }
        }
    }

    /// Inclusive year range the date covers, widened by a year when the list says "approximately".
    pub fn year_span(&self) -> (i32, i32) {
        use chrono::Datelike;
        let (a, b) = match self.value {
            DateValue::Day { date } => (date.year(), date.year()),
            DateValue::Year { year } => (year, year),
            DateValue::YearRange { from, to } => (from.min(to), from.max(to)),
            DateValue::DayRange { from, to } => (from.year(), to.year()),
        };
        if self.qualifier == DateQualifier::Approximately {
            (a - 1, b + 1)
        } else {
            (a, b)
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentifierKind {
    /// IMO ship number (7 digits with a check digit).
    Imo,
    /// IMO unique company and registered owner number (no check digit rule is published for these).
    ImoCompany,
    Passport,
    NationalId,
    Mmsi,
    Registration,
    Tax,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    pub kind: IdentifierKind,
    pub value: String,
    /// The list's label, e.g. "Passport", "Numéro de passeport", "National ID No.".
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self.street.is_none()
            && self.city.is_none()
            && self.region.is_none()
            && self.postal_code.is_none()
            && self.country.is_none()
            && self.note.is_none()
    }

    /// One line, comma-separated, the way FtM's `address` property holds it.
    pub fn full(&self) -> String {
        [
            &self.street,
            &self.city,
            &self.region,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .filter_map(|p| p.as_deref())
        .filter(|p| !p.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ")
    }
}

/// Ship particulars (OFAC vessel columns and remarks).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VesselInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mmsi: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_sign: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vessel_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tonnage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gross_registered_tonnage: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// One designated person, entity, vessel or aircraft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// The list's own identifier: UN reference number (`KPi.024`) or OFAC `ent_num`.
    pub id: String,
    pub source: Source,
    pub schema: Schema,
    /// Primary name first, then aliases in list order.
    pub names: Vec<Name>,
    /// UN `UN_LIST_TYPE` (e.g. `DPRK`) or OFAC program tags (`DPRK3`, `NPWMD`).
    pub programs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listed_on: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub last_updated: Vec<NaiveDate>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub birth_dates: Vec<BirthDate>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub birth_places: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub nationalities: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub addresses: Vec<Address>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub identifiers: Vec<Identifier>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub positions: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vessel: Option<VesselInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
    /// UN DATAID (internal record number), kept for audit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_id: Option<String>,
}

impl Entity {
    pub fn new(id: String, source: Source, schema: Schema) -> Entity {
        Entity {
            id,
            source,
            schema,
            names: Vec::new(),
            programs: Vec::new(),
            listed_on: None,
            last_updated: Vec::new(),
            birth_dates: Vec::new(),
            birth_places: Vec::new(),
            nationalities: Vec::new(),
            addresses: Vec::new(),
            identifiers: Vec::new(),
            positions: Vec::new(),
            gender: None,
            vessel: None,
            remarks: None,
            data_id: None,
        }
    }

    /// The primary name (the first one), or the id when a record has no name at all.
    pub fn caption(&self) -> &str {
        self.names
            .first()
            .map(|n| n.value.as_str())
            .unwrap_or(&self.id)
    }

    /// Whether the entry belongs to the DPRK sanctions programmes (UN 1718 list or OFAC DPRK*).
    pub fn is_dprk(&self) -> bool {
        self.programs.iter().any(|p| p.starts_with("DPRK"))
    }

    /// IMO ship number, from the vessel particulars or an identifier.
    pub fn imo(&self) -> Option<&str> {
        self.vessel
            .as_ref()
            .and_then(|v| v.imo.as_deref())
            .or_else(|| {
                self.identifiers
                    .iter()
                    .find(|i| i.kind == IdentifierKind::Imo)
                    .map(|i| i.value.as_str())
            })
    }

    /// Stable FtM id: source prefix plus the list id.
    pub fn ftm_id(&self) -> String {
        format!("{}-{}", self.source, self.id)
    }

    /// The entry as one FollowTheMoney entity (schema + multi-valued string properties).
    pub fn to_ftm(&self) -> serde_json::Value {
        use std::collections::BTreeMap;
        let mut props: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
        let mut push = |k: &'static str, v: String| {
            let list = props.entry(k).or_default();
            if !v.trim().is_empty() && !list.contains(&v) {
                list.push(v);
            }
        };
        for n in &self.names {
            push(n.kind.ftm_property(), n.value.clone());
        }
        for d in &self.birth_dates {
            for v in d.ftm_values() {
                push("birthDate", v);
            }
        }
        for p in &self.birth_places {
            push("birthPlace", p.clone());
        }
        for n in &self.nationalities {
            push("nationality", n.clone());
        }
        for a in &self.addresses {
            let full = a.full();
            push("address", full);
            if let Some(c) = &a.country {
                push("country", c.clone());
            }
        }
        for i in &self.identifiers {
            let prop = match i.kind {
                IdentifierKind::Imo => "imoNumber",
                IdentifierKind::ImoCompany => "imoNumber",
                IdentifierKind::Passport => "passportNumber",
                IdentifierKind::NationalId => "idNumber",
                IdentifierKind::Mmsi => "mmsi",
                IdentifierKind::Registration => "registrationNumber",
                IdentifierKind::Tax => "taxNumber",
                IdentifierKind::Other => "idNumber",
            };
            push(prop, i.value.clone());
        }
        for p in &self.positions {
            push("position", p.clone());
        }
        if let Some(g) = &self.gender {
            push("gender", g.to_ascii_lowercase());
        }
        if let Some(v) = &self.vessel {
            if let Some(x) = &v.flag {
                push("flag", x.clone());
            }
            if let Some(x) = &v.call_sign {
                push("callSign", x.clone());
            }
            if let Some(x) = &v.vessel_type {
                push("type", x.clone());
            }
            if let Some(x) = &v.tonnage {
                push("tonnage", x.clone());
            }
            if let Some(x) = &v.gross_registered_tonnage {
                push("grossRegisteredTonnage", x.clone());
            }
            if let Some(x) = &v.mmsi {
                push("mmsi", x.clone());
            }
        }
        for p in &self.programs {
            push("program", p.clone());
        }
        if let Some(r) = &self.remarks {
            push("notes", r.clone());
        }
        if let Some(d) = self.listed_on {
            push("createdAt", d.format("%Y-%m-%d").to_string());
        }
        if let Some(d) = self.last_updated.iter().max() {
            push("modifiedAt", d.format("%Y-%m-%d").to_string());
        }
        push("topics", "sanction".to_string());
        props.retain(|_, v| !v.is_empty());
        serde_json::json!({
            "id": self.ftm_id(),
            "schema": self.schema.as_str(),
            "caption": self.caption(),
            "properties": props,
            "datasets": [match self.source { Source::Un => "un_sc_sanctions", Source::Ofac => "us_ofac_sdn" }],
        })
    }
}

/// A parsed list file (or OFAC file set) with what the publisher says about it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListSnapshot {
    pub source: Source,
    /// Publisher's generation date (UN `dateGenerated`); OFAC's legacy CSV carries none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generated: Option<String>,
    pub entities: Vec<Entity>,
    /// Records the reader skipped, each with its reason (never silently dropped).
    #[serde(default)]
    pub skipped: Vec<String>,
}

impl ListSnapshot {
    /// Counts by schema, for status displays.
    pub fn counts(&self) -> std::collections::BTreeMap<String, usize> {
        let mut m = std::collections::BTreeMap::new();
        for e in &self.entities {
            *m.entry(e.schema.as_str().to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Write FtM JSON lines (one entity per line).
    pub fn write_ftm<W: std::io::Write>(&self, mut out: W) -> std::io::Result<()> {
        for e in &self.entities {
            serde_json::to_writer(&mut out, &e.to_ftm())?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// The IMO ship number check: the first six digits weighted 7..2, summed, last digit of the
/// sum equals the seventh digit (IMO Resolution A.1117(30), Annex).
pub fn imo_checksum_ok(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 7 || digits.chars().count() != 7 {
        return false;
    }
    let sum: u32 = d
        .iter()
        .take(6)
        .zip((2..=7).rev())
        .map(|(x, w)| x * w)
        .sum();
    d.get(6).is_some_and(|check| sum % 10 == *check)
}

/// Normalize an IMO as users type it (`IMO 9417115`, `imo:9417115`) to its seven digits.
pub fn normalize_imo(raw: &str) -> Option<String> {
    imo_digits(raw).ok()
}

/// The seven digits of an IMO number as typed (spaces, the `IMO` prefix and separators
/// dropped) with a valid check digit, or the rule the number breaks.
pub fn imo_checked(raw: &str) -> Result<String, String> {
    let digits = imo_digits(raw)?;
    if imo_checksum_ok(&digits) {
        Ok(digits)
    } else {
        let sum: u32 = digits
            .chars()
            .filter_map(|c| c.to_digit(10))
            .take(6)
            .zip((2..=7).rev())
            .map(|(x, w)| x * w)
            .sum();
        Err(format!(
            "the check digit (the 7th) is {}, but the first six digits weighted 7, 6, 5, 4, 3, 2 sum to {sum}, which gives {}",
            digits.get(6..).unwrap_or(""),
            sum % 10
        ))
    }
}

fn imo_digits(raw: &str) -> Result<String, String> {
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    if digits.len() == 7 {
        Ok(digits)
    } else {
        Err(format!(
            "an IMO number has exactly 7 digits, this has {}",
            digits.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imo_check_digit() {
        // CHONG CHON GANG, IMO 7937317 (OFAC ent_num 17069): 7*7+9*6+3*5+7*4+3*3+1*2 = 157 -> 7.
        assert!(imo_checksum_ok("7937317"));
        assert!(!imo_checksum_ok("7937318"));
        assert!(!imo_checksum_ok("793731"));
        assert!(!imo_checksum_ok("79373171"));
        assert_eq!(normalize_imo("IMO 7937317"), Some("7937317".into()));
        assert_eq!(normalize_imo("12"), None);
    }

    #[test]
    fn a_bad_imo_names_the_rule_it_breaks() {
        assert_eq!(imo_checked("IMO 7937317").as_deref(), Ok("7937317"));
        let short = imo_checked("793731").unwrap_err();
        assert!(short.contains("exactly 7 digits, this has 6"), "{short}");
        let typo = imo_checked("7937318").unwrap_err();
        assert!(
            typo.contains("is 8") && typo.contains("sum to 157, which gives 7"),
            "{typo}"
        );
    }
}
