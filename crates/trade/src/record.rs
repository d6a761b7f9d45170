//! One row of trade: who reported it, with whom, which way, when, what goods, how much,
//! and where the figure comes from.

use serde::{Deserialize, Serialize};

use crate::hs::HsField;

/// Trade flow as the reporter declares it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flow {
    Import,
    Export,
    ReExport,
    ReImport,
}

impl Flow {
    /// Accepts Comtrade's codes (`M`, `X`, `RX`, `RM`, `1`..`4`) and words (`Import`, `Re-Export`).
    pub fn parse(s: &str) -> Option<Flow> {
        let t = s.trim().to_ascii_lowercase().replace(['-', '_', ' '], "");
        match t.as_str() {
            "m" | "import" | "imports" | "1" => Some(Flow::Import),
            "x" | "export" | "exports" | "2" => Some(Flow::Export),
            "rx" | "reexport" | "reexports" | "3" => Some(Flow::ReExport),
            "rm" | "reimport" | "reimports" | "4" => Some(Flow::ReImport),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Flow::Import => "import",
            Flow::Export => "export",
            Flow::ReExport => "re-export",
            Flow::ReImport => "re-import",
        }
    }

    /// The same goods seen from the other side: one country's import is its partner's export.
    pub fn mirror(self) -> Flow {
        match self {
            Flow::Import => Flow::Export,
            Flow::Export => Flow::Import,
            Flow::ReExport => Flow::ReImport,
            Flow::ReImport => Flow::ReExport,
        }
    }
}

/// How sure the figure is. Matches the fact base's tags: [C] confirmed, [P] derived or
/// partly confirmed, [U] unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Confirmed,
    Derived,
    Unconfirmed,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        match s.trim().to_ascii_lowercase().as_str() {
            "confirmed" | "c" | "" => Some(Status::Confirmed),
            "derived" | "partly" | "p" => Some(Status::Derived),
            "unconfirmed" | "u" => Some(Status::Unconfirmed),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Confirmed => "confirmed",
            Status::Derived => "derived",
            Status::Unconfirmed => "unconfirmed",
        }
    }
}

/// What the `hs` field of a row means. Official statistics are `hs` (a real HS code);
/// published figures are often a `category` ("textiles") or a `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Hs,
    Category,
    Total,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hs" | "" => Some(Level::Hs),
            "category" => Some(Level::Category),
            "total" => Some(Level::Total),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Hs => "hs",
            Level::Category => "category",
            Level::Total => "total",
        }
    }
}

/// Reporting period: a year, or a month of a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub year: i32,
    /// 1..=12, or `None` for annual figures.
    pub month: Option<u8>,
}

impl Period {
    pub fn year(year: i32) -> Period {
        Period { year, month: None }
    }

    /// Parses `2016`, `201601`, `2016-01` and `2016M01`.
    pub fn parse(s: &str) -> Option<Period> {
        let t: String = s.trim().chars().filter(|c| c.is_ascii_digit()).collect();
        let year: i32 = t.get(0..4)?.parse().ok()?;
        if !(1900..=2100).contains(&year) {
            return None;
        }
        match t.len() {
            4 => Some(Period::year(year)),
            6 => {
                let m: u8 = t.get(4..6)?.parse().ok()?;
                (1..=12).contains(&m).then_some(Period {
                    year,
                    month: Some(m),
                })
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.month {
            Some(m) => write!(f, "{}-{:02}", self.year, m),
            None => write!(f, "{}", self.year),
        }
    }
}

/// One trade figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeRecord {
    /// ISO alpha-2 of the reporting country (or the compiler's code for estimates, e.g. `KP`
    /// for a KOTRA estimate of DPRK totals built from partners' data).
    pub reporter: String,
    /// ISO alpha-2 of the partner, or `WLD` for all partners.
    pub partner: String,
    pub flow: Flow,
    pub period: Period,
    /// HS code (2/4/6 digits), a list or range of codes for a category, or `TOTAL`.
    pub hs: HsField,
    /// HS edition (Comtrade `H0`..`H6`), when known.
    pub hs_revision: Option<String>,
    pub level: Level,
    /// Name of the category for category-level rows ("textiles", "coal").
    pub category: Option<String>,
    pub value_usd: f64,
    pub quantity: Option<f64>,
    pub quantity_unit: Option<String>,
    pub net_weight_kg: Option<f64>,
    /// Who published the figure (a citation for published figures; `UN Comtrade` for imports).
    pub source: String,
    /// Statistical series (GAC, KOTRA, KITA, KIEP, ITC, COMTRADE...). Series are never
    /// summed together silently.
    pub series: String,
    pub status: Status,
    pub note: Option<String>,
    /// How many source rows this record stands for: 1 for a row as read, more when the
    /// engine summed rows with the same keys (see `DprkTrade`).
    #[serde(default = "one_row", skip_serializing_if = "is_one_row")]
    pub rows: u64,
}

fn one_row() -> u64 {
    1
}

fn is_one_row(n: &u64) -> bool {
    *n == 1
}

/// True when a flow declared by `reporter` with `partner` reads the DPRK's exports: a
/// partner's imports from it, or a DPRK-side estimate of its exports.
pub fn reads_dprk_exports(reporter: &str, partner: &str, flow: Flow) -> bool {
    use crate::country::DPRK;
    let inbound = matches!(flow, Flow::Import | Flow::ReImport);
    (partner == DPRK && inbound) || (reporter == DPRK && !inbound)
}

/// True when such a flow reads supplies to the DPRK.
pub fn reads_dprk_supplies(reporter: &str, partner: &str, flow: Flow) -> bool {
    use crate::country::DPRK;
    let inbound = matches!(flow, Flow::Import | Flow::ReImport);
    (partner == DPRK && !inbound) || (reporter == DPRK && inbound)
}

/// The DPRK's counterpart in a flow: the reporter for mirror rows, the partner for rows a
/// compiler attributes to the DPRK.
pub fn dprk_counterpart<'a>(reporter: &'a str, partner: &'a str) -> &'a str {
    if partner == crate::country::DPRK {
        reporter
    } else {
        partner
    }
}

impl TradeRecord {
    /// True when the row reads the DPRK's exports (its partners' imports from it, or a
    /// DPRK-side estimate of exports).
    pub fn is_dprk_export(&self) -> bool {
        reads_dprk_exports(&self.reporter, &self.partner, self.flow)
    }

    /// True when the row reads supplies to the DPRK.
    pub fn is_dprk_import(&self) -> bool {
        reads_dprk_supplies(&self.reporter, &self.partner, self.flow)
    }

    /// The DPRK's counterpart in the row.
    pub fn dprk_counterpart(&self) -> &str {
        dprk_counterpart(&self.reporter, &self.partner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_codes_from_both_comtrade_generations() {
        assert_eq!(Flow::parse("M"), Some(Flow::Import));
        assert_eq!(Flow::parse("Re-Export"), Some(Flow::ReExport));
        assert_eq!(Flow::parse("RM"), Some(Flow::ReImport));
        assert_eq!(Flow::parse("2"), Some(Flow::Export));
        assert_eq!(Flow::parse("sideways"), None);
    }

    #[test]
    fn periods() {
        assert_eq!(Period::parse("2016"), Some(Period::year(2016)));
        assert_eq!(
            Period::parse("201703"),
            Some(Period {
                year: 2017,
                month: Some(3)
            })
        );
        assert_eq!(Period::parse("201713"), None);
        assert_eq!(Period::parse("16"), None);
        assert_eq!(
            Period::parse("2017-03").map(|p| p.to_string()),
            Some("2017-03".into())
        );
    }
}
