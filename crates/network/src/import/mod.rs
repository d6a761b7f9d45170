//! User files of ownership and control. Each reader returns an [`ImportBatch`]: the nodes
//! and edges it found, or every invalid row (file, line, field). A batch is all-or-nothing:
//! the store writes it in one transaction, or not at all.

pub mod ftm;
pub mod ownership_csv;
pub mod vessel_csv;

use chrono::NaiveDate;
use serde::Serialize;
use std::collections::HashMap;

use crate::error::{NetworkError, RowError};
use crate::model::{Edge, Node, NodeKind};

/// The header row of a user CSV as lower-case column name -> index (a BOM and blanks
/// around names are ignored), shared by the ownership and vessel readers.
pub(crate) fn header_columns<R: std::io::Read>(
    reader: &mut csv::Reader<R>,
    label: &str,
) -> Result<HashMap<String, usize>, NetworkError> {
    let headers = reader.headers().map_err(|e| NetworkError::InvalidFile {
        file: label.to_string(),
        message: format!("cannot read the header row: {e}"),
    })?;
    Ok(headers
        .iter()
        .enumerate()
        .map(|(i, h)| {
            (
                h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase(),
                i,
            )
        })
        .collect())
}

/// What one input file contributes.
#[derive(Debug, Default, Clone)]
pub struct ImportBatch {
    pub file: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub vessel_events: Vec<crate::vessel::VesselEvent>,
    /// Rows read (data rows, not the header).
    pub rows: u64,
    /// Rows read but deliberately not turned into edges (each with its reason).
    pub skipped: Vec<RowError>,
}

/// What an import did, for the user and the audit table.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    pub file: String,
    pub rows: u64,
    pub nodes_added: u64,
    pub edges_added: u64,
    pub vessel_events_added: u64,
    /// Names equal (after normalization) to a listed organization's or vessel's name or
    /// alias, linked to the first candidate (all candidates listed).
    pub resolved_by_name: Vec<NameResolution>,
    /// Names equal to listed *persons'* names: not linked (a name does not identify a
    /// person); write the list id (e.g. `ofac:23483`) in the file to link.
    pub ambiguous_names: Vec<NameResolution>,
    pub skipped: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize)]
pub struct NameResolution {
    pub name: String,
    pub candidates: Vec<String>,
}

/// A reference to an entity in a user file: an id with a known prefix is taken as is,
/// anything else is a name and becomes (or resolves to) a user entity.
pub(crate) fn reference_node(value: &str, origin: &str) -> Node {
    let v = value.trim();
    let known_prefix = ["ofac:", "un:", "imo:", "user:", "ftm:"]
        .iter()
        .any(|p| v.to_ascii_lowercase().starts_with(p));
    if known_prefix {
        let mut n = Node::new(v, NodeKind::Unknown, v);
        n.origin = origin.to_string();
        if let Some(imo) = v
            .to_ascii_lowercase()
            .strip_prefix("imo:")
            .and_then(|d| crate::vessel::Imo::parse(d).ok())
        {
            n.id = imo.node_id();
            n.kind = NodeKind::Vessel;
            n.name = format!("IMO {imo}");
        }
        return n;
    }
    let mut n = Node::new(user_id(v), NodeKind::Unknown, v);
    n.origin = origin.to_string();
    n
}

/// User entities are keyed by their normalized name, so the same company written twice in
/// different case or punctuation is one node.
pub(crate) fn user_id(name: &str) -> String {
    format!("user:{}", crate::graph::normalize_name(name))
}

/// Dates as ISO `YYYY-MM-DD`; a bare year `YYYY` or `YYYY-MM` is widened to the first or
/// last day depending on which end of a range it is.
pub(crate) fn parse_date(raw: &str, is_end: bool) -> Result<Option<NaiveDate>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(Some(d));
    }
    let parts: Vec<&str> = s.split('-').collect();
    let num = |p: &str| p.parse::<u32>().ok();
    let widened = match parts.as_slice() {
        [y] if y.len() == 4 => num(y).and_then(|y| {
            if is_end {
                NaiveDate::from_ymd_opt(y as i32, 12, 31)
            } else {
                NaiveDate::from_ymd_opt(y as i32, 1, 1)
            }
        }),
        [y, m] if y.len() == 4 => match (num(y), num(m)) {
            (Some(y), Some(m)) => {
                let first = NaiveDate::from_ymd_opt(y as i32, m, 1);
                if is_end {
                    first
                        .and_then(|f| f.checked_add_months(chrono::Months::new(1)))
                        .and_then(|n| n.pred_opt())
                } else {
                    first
                }
            }
            _ => None,
        },
        _ => None,
    };
    widened
        .map(Some)
        .ok_or_else(|| format!("`{s}` is not a date (expected YYYY-MM-DD, YYYY-MM or YYYY)"))
}

/// Percentages as `50`, `50.0`, `50%`. Must lie in 0..=100.
pub(crate) fn parse_share(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim().trim_end_matches('%').trim();
    if s.is_empty() {
        return Ok(None);
    }
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{}` is not a percentage", raw.trim()))?;
    if !v.is_finite() || !(0.0..=100.0).contains(&v) {
        return Err(format!("{v} is outside 0..100 percent"));
    }
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_widen_by_range_end() {
        assert_eq!(
            parse_date("2016", false).unwrap(),
            NaiveDate::from_ymd_opt(2016, 1, 1)
        );
        assert_eq!(
            parse_date("2016", true).unwrap(),
            NaiveDate::from_ymd_opt(2016, 12, 31)
        );
        assert_eq!(
            parse_date("2016-02", true).unwrap(),
            NaiveDate::from_ymd_opt(2016, 2, 29)
        );
        assert!(parse_date("31/12/2016", false).is_err());
        assert_eq!(parse_date(" ", false).unwrap(), None);
    }

    #[test]
    fn shares_accept_percent_sign_and_reject_out_of_range() {
        assert_eq!(parse_share("50%").unwrap(), Some(50.0));
        assert_eq!(parse_share("49.9").unwrap(), Some(49.9));
        assert!(parse_share("100.1").is_err());
        assert!(parse_share("-1").is_err());
        assert!(parse_share("NaN").is_err());
        assert!(parse_share("half").is_err());
    }

    proptest! {
        #[test]
        fn share_parser_never_panics_and_bounds_hold(s in "\\PC{0,12}") {
            if let Ok(Some(v)) = parse_share(&s) {
                prop_assert!((0.0..=100.0).contains(&v));
            }
        }

        #[test]
        fn date_parser_never_panics(s in "\\PC{0,12}", end in any::<bool>()) {
            let _ = parse_date(&s, end);
        }
    }
}
