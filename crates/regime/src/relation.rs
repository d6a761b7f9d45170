//! The regime's goods coverage as a relation: one row per (measure, direction, HS prefix),
//! for every measure with an HS scope (goods bans, caps and scoped exceptions). It is the
//! table trade queries join on (`regime_coverage` in every trade session), built from the
//! regime files alone: no HS code or date is written anywhere else.
//!
//! A measure's own code appears with `own_precision = true`. Its shorter prefixes appear
//! too, with `own_precision = false`, so that a trade row at a coarser code (chapter 27
//! against heading 2701) joins by equality and is seen as only partly covered — the same
//! rule as [`Regime::goods_coverage`].

use chrono::NaiveDate;
use serde::Serialize;

use crate::hs::HsSpec;
use crate::model::{Confidence, Direction, HsProvenance, Measure, MeasureKind};
use crate::Regime;

/// One row of `regime_coverage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CoverageRow {
    pub measure: String,
    pub resolution: String,
    pub paragraph: String,
    /// "2371 OP8".
    pub citation: String,
    pub title: String,
    /// `goods_ban`, `cap` or `exception`.
    pub kind: &'static str,
    pub direction: Direction,
    /// Digits of an HS code: 2, 4 or 6 of them.
    pub hs_prefix: String,
    pub hs_digits: i64,
    /// True for the measure's own code; false for a shorter prefix of it (a row at that
    /// prefix holds the measure's goods among others).
    pub own_precision: bool,
    /// The entry itself is broader than the goods the measure names.
    pub partial: bool,
    /// The goods are covered only when valued over this many US dollars (one item).
    pub value_over_usd: Option<f64>,
    pub effective_from: NaiveDate,
    /// Last day in force; `None` while in force.
    pub effective_until: Option<NaiveDate>,
    /// Content confidence of the measure.
    pub confidence: Confidence,
    pub paragraph_confidence: Confidence,
    /// Confidence and provenance of the HS mapping.
    pub hs_confidence: Confidence,
    pub hs_provenance: HsProvenance,
}

/// Directions a measure's goods move in: its own, or for an exception those of the
/// measures it relaxes.
fn directions_of(regime: &Regime, m: &Measure) -> Vec<Direction> {
    if let MeasureKind::Exception { applies_to, .. } = &m.kind {
        let mut dirs: Vec<Direction> = applies_to
            .iter()
            .filter_map(|id| regime.measure(id))
            .flat_map(|b| b.directions().iter().copied())
            .collect();
        dirs.sort();
        dirs.dedup();
        dirs
    } else {
        m.directions().to_vec()
    }
}

impl Regime {
    /// The goods coverage relation, in measure order.
    pub fn coverage_relation(&self) -> Vec<CoverageRow> {
        let mut out: Vec<CoverageRow> = Vec::new();
        for m in self.measures() {
            let first = out.len();
            let kind = match m.kind {
                MeasureKind::GoodsBan { .. } => "goods_ban",
                MeasureKind::Cap { .. } => "cap",
                MeasureKind::Exception { .. } => "exception",
                _ => continue,
            };
            for dir in directions_of(self, m) {
                for e in m.hs_scope() {
                    let codes = match &e.spec {
                        HsSpec::Code { code } => vec![*code],
                        HsSpec::ChapterRange { .. } => e.spec.codes(),
                    };
                    for code in codes {
                        for n in [2usize, 4, 6] {
                            if n > code.digits() {
                                break;
                            }
                            let prefix = code.truncate(n);
                            let row = CoverageRow {
                                measure: m.id.clone(),
                                resolution: m.resolution.clone(),
                                paragraph: m.paragraph.clone(),
                                citation: m.short_citation(),
                                title: m.title.clone(),
                                kind,
                                direction: dir,
                                hs_prefix: prefix.as_str().to_string(),
                                hs_digits: n as i64,
                                own_precision: n == code.digits(),
                                partial: e.partial,
                                value_over_usd: e.value_over_usd,
                                effective_from: m.effective_from,
                                effective_until: m.effective_until,
                                confidence: m.confidence,
                                paragraph_confidence: m.paragraph_confidence,
                                hs_confidence: e.confidence,
                                hs_provenance: e.provenance,
                            };
                            // Two codes of a measure share their shorter prefixes.
                            if !out[first..].contains(&row) {
                                out.push(row);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

#[cfg(feature = "arrow")]
mod arrow_table {
    use std::sync::Arc;

    use arrow_array::builder::{
        BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, StringBuilder,
    };
    use arrow_array::{ArrayRef, RecordBatch};
    use arrow_schema::{ArrowError, DataType, Field, Schema, SchemaRef};
    use chrono::NaiveDate;

    use super::CoverageRow;

    /// Days since 1970-01-01, Arrow's Date32.
    fn days(d: NaiveDate) -> i32 {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN);
        (d - epoch).num_days() as i32
    }

    /// The schema of `regime_coverage`.
    pub fn coverage_schema() -> SchemaRef {
        let text = |n: &str| Field::new(n, DataType::Utf8, false);
        Arc::new(Schema::new(vec![
            text("measure"),
            text("resolution"),
            text("paragraph"),
            text("citation"),
            text("title"),
            text("kind"),
            text("direction"),
            text("hs_prefix"),
            Field::new("hs_digits", DataType::Int64, false),
            Field::new("own_precision", DataType::Boolean, false),
            Field::new("partial", DataType::Boolean, false),
            Field::new("value_over_usd", DataType::Float64, true),
            Field::new("effective_from", DataType::Date32, false),
            Field::new("effective_until", DataType::Date32, true),
            text("confidence"),
            text("paragraph_confidence"),
            text("hs_confidence"),
            text("hs_provenance"),
        ]))
    }

    /// The relation as one Arrow batch.
    pub fn coverage_batch(rows: &[CoverageRow]) -> Result<RecordBatch, ArrowError> {
        let mut text: Vec<StringBuilder> = (0..12).map(|_| StringBuilder::new()).collect();
        let mut digits = Int64Builder::new();
        let (mut own, mut partial) = (BooleanBuilder::new(), BooleanBuilder::new());
        let (mut from, mut until) = (Date32Builder::new(), Date32Builder::new());
        let mut over = Float64Builder::new();
        for r in rows {
            let provenance = serde_plain(&r.hs_provenance);
            let cells = [
                r.measure.as_str(),
                &r.resolution,
                &r.paragraph,
                &r.citation,
                &r.title,
                r.kind,
                &r.direction.to_string(),
                &r.hs_prefix,
                &r.confidence.to_string(),
                &r.paragraph_confidence.to_string(),
                &r.hs_confidence.to_string(),
                &provenance,
            ]
            .map(|s| s.to_string());
            for (b, c) in text.iter_mut().zip(cells) {
                b.append_value(c);
            }
            digits.append_value(r.hs_digits);
            own.append_value(r.own_precision);
            partial.append_value(r.partial);
            over.append_option(r.value_over_usd);
            from.append_value(days(r.effective_from));
            until.append_option(r.effective_until.map(days));
        }
        let mut t: Vec<ArrayRef> = text
            .into_iter()
            .map(|mut b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let tail = t.split_off(8);
        let mut columns = t;
        columns.push(Arc::new(digits.finish()));
        columns.push(Arc::new(own.finish()));
        columns.push(Arc::new(partial.finish()));
        columns.push(Arc::new(over.finish()));
        columns.push(Arc::new(from.finish()));
        columns.push(Arc::new(until.finish()));
        columns.extend(tail);
        RecordBatch::try_new(coverage_schema(), columns)
    }

    /// A unit enum's serde name (`resolution_text`).
    fn serde_plain<T: serde::Serialize>(v: &T) -> String {
        match serde_json::to_value(v) {
            Ok(serde_json::Value::String(s)) => s,
            _ => String::new(),
        }
    }
}

#[cfg(feature = "arrow")]
pub use arrow_table::{coverage_batch, coverage_schema};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_agrees_with_goods_coverage() {
        let regime = Regime::bundled().expect("bundled regime");
        let rows = regime.coverage_relation();
        assert!(!rows.is_empty());
        // Every own-precision row is a code `goods_coverage` finds for its measure on its
        // first day in force, exactly; every shorter prefix is found as not exact.
        for r in rows.iter().filter(|r| r.kind != "exception") {
            let code = crate::HsCode::parse(&r.hs_prefix).expect("prefix parses");
            let found = regime
                .goods_coverage(&code, r.direction, r.effective_from)
                .into_iter()
                .find(|c| c.measure.id == r.measure)
                .unwrap_or_else(|| panic!("{} {} not covered", r.measure, r.hs_prefix));
            if r.own_precision {
                assert!(found.exact, "{} {}", r.measure, r.hs_prefix);
            }
        }
        // Coal (2701) from the DPRK under 2371 OP8 is in the relation at its own precision,
        // and chapter 27 as a coarser prefix.
        let coal: Vec<&CoverageRow> = rows
            .iter()
            .filter(|r| {
                r.resolution == "2371" && r.paragraph == "8" && r.hs_prefix.starts_with("27")
            })
            .collect();
        assert!(coal
            .iter()
            .any(|r| r.hs_prefix == "2701" && r.own_precision));
        assert!(coal.iter().any(|r| r.hs_prefix == "27" && !r.own_precision));
        assert!(coal.iter().all(|r| r.direction == Direction::FromDprk));
        // A shorter prefix shared by two codes of one measure is one row.
        let ch27 = rows
            .iter()
            .filter(|r| r.measure == "2270-29-coal" && r.hs_prefix == "27")
            .count();
        assert_eq!(ch27, 1);
    }
}
