//! embargo's plain CSV, the format of the bundled data (data/trade/*.csv) and the easy way
//! in for figures from other publications. Columns are documented in docs/trade.md.

use std::borrow::Cow;

use super::cells::upper;
use super::{Cells, Ctx, FieldErr, Row};
use crate::country::normalise_borrowed;
use crate::hs::{HsField, HsShape};
use crate::record::{Flow, Level, Period, Status};

/// All columns, in the order the bundled files use.
pub const PLAIN_COLUMNS: &[&str] = &[
    "reporter",
    "partner",
    "flow",
    "year",
    "month",
    "hs",
    "hs_revision",
    "level",
    "category",
    "value_usd",
    "quantity",
    "quantity_unit",
    "net_weight_kg",
    "source",
    "series",
    "status",
    "note",
];

/// Columns a plain CSV must have; the others may be absent.
pub const PLAIN_REQUIRED: &[&str] = &[
    "reporter",
    "partner",
    "flow",
    "year",
    "hs",
    "value_usd",
    "source",
    "series",
];

pub(crate) fn row<'a>(row: &Row<'a>, _ctx: &'a Ctx) -> Result<Cells<'a>, FieldErr> {
    let year_raw = row.req("year")?;
    let year: i32 = year_raw
        .parse()
        .ok()
        .filter(|y| (1900..=2100).contains(y))
        .ok_or_else(|| ("year".to_string(), format!("`{year_raw}` is not a year")))?;
    let month = match row.get("month") {
        None => None,
        Some(m) => Some(
            m.parse::<u8>()
                .ok()
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| ("month".to_string(), format!("`{m}` is not a month 1..12")))?,
        ),
    };
    let hs_raw = row.req("hs")?;
    let (hs, shape) = HsField::canonical(hs_raw).map_err(|m| ("hs".to_string(), m))?;
    let level = match row.get("level") {
        None if shape == HsShape::Total => Level::Total,
        None if shape == HsShape::Single => Level::Hs,
        None => Level::Category,
        Some(l) => Level::parse(l).ok_or_else(|| {
            (
                "level".to_string(),
                format!("`{l}`: expected hs, category or total"),
            )
        })?,
    };
    if level == Level::Hs && shape != HsShape::Single {
        return Err((
            "level".into(),
            format!("`hs` level needs one HS code, got `{hs_raw}`"),
        ));
    }
    let flow_raw = row.req("flow")?;
    let status = match row.get("status") {
        None => Status::Confirmed,
        Some(s) => Status::parse(s).ok_or_else(|| {
            (
                "status".to_string(),
                format!("`{s}`: expected confirmed, derived or unconfirmed"),
            )
        })?,
    };
    Ok(Cells {
        reporter: normalise_borrowed(row.req("reporter")?),
        partner: normalise_borrowed(row.req("partner")?),
        flow: Flow::parse(flow_raw).ok_or_else(|| {
            (
                "flow".to_string(),
                format!("unknown trade flow `{flow_raw}`"),
            )
        })?,
        period: Period { year, month },
        hs,
        hs_revision: row.get("hs_revision"),
        level,
        category: row.get("category"),
        value_usd: row.req_num("value_usd")?,
        quantity: row.num("quantity")?,
        quantity_unit: row.get("quantity_unit"),
        net_weight_kg: row.num("net_weight_kg")?,
        source: row.req("source")?,
        series: upper(row.req("series")?),
        status,
        note: row.get("note").map(Cow::Borrowed),
    })
}
