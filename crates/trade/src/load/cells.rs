//! A loaded row before it is kept: every field checked and parsed, its text borrowed from
//! the file's row or the loader's settings. A row becomes a [`TradeRecord`] (owned) or a
//! row of the store's Arrow batch, each through a [`RowSink`], so an import writes text
//! from the file straight into the column builders instead of allocating a record's
//! strings for every row and freeing them a moment later.

use std::borrow::Cow;

use crate::error::TradeError;
use crate::hs::HsField;
use crate::record::{Flow, Level, Period, Status, TradeRecord};

/// One row, as [`TradeRecord`] has it, with borrowed text. `hs` is the field's canonical
/// text (trimmed, upper case), already checked by [`HsField::canonical`].
#[derive(Debug, Clone, PartialEq)]
pub struct Cells<'a> {
    pub reporter: Cow<'a, str>,
    pub partner: Cow<'a, str>,
    pub flow: Flow,
    pub period: Period,
    pub hs: Cow<'a, str>,
    pub hs_revision: Option<&'a str>,
    pub level: Level,
    pub category: Option<&'a str>,
    pub value_usd: f64,
    pub quantity: Option<f64>,
    pub quantity_unit: Option<&'a str>,
    pub net_weight_kg: Option<f64>,
    pub source: &'a str,
    pub series: Cow<'a, str>,
    pub status: Status,
    pub note: Option<Cow<'a, str>>,
}

impl<'a> Cells<'a> {
    /// A record's fields, borrowed.
    pub fn of(r: &'a TradeRecord) -> Cells<'a> {
        Cells {
            reporter: Cow::Borrowed(&r.reporter),
            partner: Cow::Borrowed(&r.partner),
            flow: r.flow,
            period: r.period,
            hs: Cow::Borrowed(r.hs.as_str()),
            hs_revision: r.hs_revision.as_deref(),
            level: r.level,
            category: r.category.as_deref(),
            value_usd: r.value_usd,
            quantity: r.quantity,
            quantity_unit: r.quantity_unit.as_deref(),
            net_weight_kg: r.net_weight_kg,
            source: &r.source,
            series: Cow::Borrowed(&r.series),
            status: r.status,
            note: r.note.as_deref().map(Cow::Borrowed),
        }
    }

    /// The row as an owned record.
    pub fn to_record(&self) -> Result<TradeRecord, TradeError> {
        let hs = HsField::parse(&self.hs).map_err(|m| {
            TradeError::Query(format!("internal: a checked HS field did not parse: {m}"))
        })?;
        Ok(TradeRecord {
            reporter: self.reporter.to_string(),
            partner: self.partner.to_string(),
            flow: self.flow,
            period: self.period,
            hs,
            hs_revision: self.hs_revision.map(str::to_string),
            level: self.level,
            category: self.category.map(str::to_string),
            value_usd: self.value_usd,
            quantity: self.quantity,
            quantity_unit: self.quantity_unit.map(str::to_string),
            net_weight_kg: self.net_weight_kg,
            source: self.source.to_string(),
            series: self.series.to_string(),
            status: self.status,
            note: self.note.as_ref().map(|n| n.to_string()),
            rows: 1,
        })
    }
}

/// Where loaded rows go: one sink a block of a file (made by the loader's caller), so
/// workers fill their own and hand back what they made.
pub trait RowSink: Send {
    /// What the rows come to (records, an Arrow batch).
    type Out: Send;
    fn push(&mut self, row: &Cells<'_>) -> Result<(), TradeError>;
    fn finish(self) -> Result<Self::Out, TradeError>;
}

/// Rows kept as records.
impl RowSink for Vec<TradeRecord> {
    type Out = Vec<TradeRecord>;

    fn push(&mut self, row: &Cells<'_>) -> Result<(), TradeError> {
        Vec::push(self, row.to_record()?);
        Ok(())
    }

    fn finish(self) -> Result<Vec<TradeRecord>, TradeError> {
        Ok(self)
    }
}

/// A `to_ascii_uppercase` that borrows when the text has no lower-case letter.
pub(crate) fn upper(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(s.to_ascii_uppercase())
    } else {
        Cow::Borrowed(s)
    }
}
