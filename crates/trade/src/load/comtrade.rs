//! UN Comtrade rows. Two generations of column names exist: the legacy site
//! (comtrade.un.org: `Reporter ISO`, `Trade Flow`, `Commodity Code`, `Trade Value (US$)`)
//! and Comtrade Plus / the current API (`reporterISO`, `flowCode`, `cmdCode`,
//! `primaryValue`). Both map onto the same [`Cells`].

use std::borrow::Cow;

use super::{Cells, Ctx, FieldErr, Row};
use crate::country::normalise_borrowed;
use crate::hs::{HsField, HsShape};
use crate::record::{Flow, Level, Period, Status};

pub(crate) const LEGACY_REQUIRED: &[&str] = &[
    "Period",
    "Trade Flow",
    "Reporter ISO",
    "Partner ISO",
    "Commodity Code",
    "Trade Value (US$)",
];

pub(crate) const PLUS_REQUIRED: &[&str] = &[
    "reporterISO",
    "partnerISO",
    "flowCode",
    "cmdCode",
    "primaryValue",
];

fn hs<'a>(row: &Row<'a>, col: &str) -> Result<(Cow<'a, str>, Level), FieldErr> {
    let raw = row.req(col)?;
    let (text, shape) = HsField::canonical(raw).map_err(|m| (col.to_string(), m))?;
    let level = match shape {
        HsShape::Total => Level::Total,
        HsShape::Single => Level::Hs,
        HsShape::Group => {
            return Err((col.to_string(), format!("`{raw}` is not a single HS code")));
        }
    };
    Ok((text, level))
}

fn flow(row: &Row, col: &str) -> Result<Flow, FieldErr> {
    let raw = row.req(col)?;
    Flow::parse(raw).ok_or_else(|| (col.to_string(), format!("unknown trade flow `{raw}`")))
}

fn country<'a>(row: &Row<'a>, col: &str) -> Result<Cow<'a, str>, FieldErr> {
    let raw = row.req(col)?;
    if raw.len() > 3 {
        return Err((col.to_string(), format!("`{raw}` is not an ISO code")));
    }
    Ok(normalise_borrowed(raw))
}

/// Where one generation of Comtrade files keeps each field. The two generations differ
/// in names (and in how the period is written), not in meaning, so one builder serves both.
struct Columns {
    reporter: &'static str,
    partner: &'static str,
    flow: &'static str,
    hs: &'static str,
    classification: &'static str,
    value_usd: &'static str,
    quantity: &'static str,
    quantity_unit: &'static str,
    net_weight_kg: &'static str,
}

const LEGACY: Columns = Columns {
    reporter: "Reporter ISO",
    partner: "Partner ISO",
    flow: "Trade Flow",
    hs: "Commodity Code",
    classification: "Classification",
    value_usd: "Trade Value (US$)",
    quantity: "Qty",
    quantity_unit: "Qty Unit",
    net_weight_kg: "Netweight (kg)",
};

const PLUS: Columns = Columns {
    reporter: "reporterISO",
    partner: "partnerISO",
    flow: "flowCode",
    hs: "cmdCode",
    classification: "classificationCode",
    value_usd: "primaryValue",
    quantity: "qty",
    quantity_unit: "qtyUnitAbbr",
    net_weight_kg: "netWgt",
};

fn record<'a>(
    row: &Row<'a>,
    ctx: &'a Ctx,
    cols: &Columns,
    period: Period,
    note: Option<Cow<'a, str>>,
) -> Result<Cells<'a>, FieldErr> {
    let (hs, level) = hs(row, cols.hs)?;
    Ok(Cells {
        reporter: country(row, cols.reporter)?,
        partner: country(row, cols.partner)?,
        flow: flow(row, cols.flow)?,
        period,
        hs,
        hs_revision: row.get(cols.classification),
        level,
        category: None,
        value_usd: row.req_num(cols.value_usd)?,
        quantity: row.num(cols.quantity)?,
        quantity_unit: row.get(cols.quantity_unit),
        net_weight_kg: row.num(cols.net_weight_kg)?,
        source: &ctx.source,
        series: Cow::Borrowed("COMTRADE"),
        status: Status::Confirmed,
        note,
    })
}

pub(crate) fn legacy_row<'a>(row: &Row<'a>, ctx: &'a Ctx) -> Result<Cells<'a>, FieldErr> {
    let period_raw = row.req("Period")?;
    let period = Period::parse(period_raw).ok_or_else(|| {
        (
            "Period".to_string(),
            format!("`{period_raw}` is not YYYY or YYYYMM"),
        )
    })?;
    let note = row
        .get("Flag")
        .filter(|f| *f != "0")
        .map(|f| Cow::Owned(format!("Comtrade flag {f}")));
    record(row, ctx, &LEGACY, period, note)
}

pub(crate) fn plus_row<'a>(row: &Row<'a>, ctx: &'a Ctx) -> Result<Cells<'a>, FieldErr> {
    // `period` is YYYY or YYYYMM; older extracts only have refYear/refMonth (52 = annual).
    let period = match row.get("period") {
        Some(p) => Period::parse(p)
            .ok_or_else(|| ("period".to_string(), format!("`{p}` is not YYYY or YYYYMM")))?,
        None => {
            let y = row.req("refYear")?;
            let year: i32 = y
                .parse()
                .map_err(|_| ("refYear".to_string(), format!("`{y}` is not a year")))?;
            let month = match row.get("refMonth").map(str::parse::<u8>) {
                None | Some(Ok(52)) => None,
                Some(Ok(m)) if (1..=12).contains(&m) => Some(m),
                Some(_) => {
                    return Err(("refMonth".into(), "expected 1..12 or 52 (annual)".into()));
                }
            };
            Period { year, month }
        }
    };
    record(row, ctx, &PLUS, period, None)
}
