//! Why a hit matters: the UN measures that apply to a designated individual, entity or
//! vessel, read from the regime data files (crates/regime), never hard-coded here.

use chrono::NaiveDate;
use embargo_regime::{Regime, TargetKind};
use serde::Serialize;

use crate::matcher::{Matcher, Screening};
use crate::model::{Entity, SchemaFamily, Source};
pub use crate::regime_context::{AppliedMeasure, RegimeContext};

fn target_kind(e: &Entity) -> Option<TargetKind> {
    match e.schema.family() {
        SchemaFamily::Person => Some(TargetKind::Individual),
        SchemaFamily::Organization => Some(TargetKind::Entity),
        SchemaFamily::Vessel => Some(TargetKind::Vessel),
        SchemaFamily::Airplane => None,
    }
}

fn confidence_word<T: Serialize>(c: &T) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Context for an entry on `date` (today when screening). UN DPRK entries get the 1718
/// measures for their target kind; OFAC DPRK vessels get the UN vessel measures only when
/// they are also UN-designated, which the caller knows from a UN hit — so OFAC hits carry
/// their US programmes and a note.
pub fn context(regime: &Regime, e: &Entity, date: NaiveDate) -> Option<RegimeContext> {
    let target = target_kind(e)?;
    match e.source {
        Source::Un if e.is_dprk() => {
            let measures = regime
                .designation_measures(target, None)
                .into_iter()
                .map(|m| {
                    let c = m.citation();
                    AppliedMeasure {
                        measure: c.measure,
                        resolution: c.resolution,
                        paragraph: c.paragraph,
                        title: c.title,
                        confidence: confidence_word(&c.confidence),
                        in_force: m.in_force_on(date),
                    }
                })
                .collect();
            let designated_by_resolution = e
                .listed_on
                .and_then(|d| regime.resolutions().iter().find(|r| r.adopted == d))
                .map(|r| r.number.clone());
            let note = match (&designated_by_resolution, e.listed_on) {
                (Some(r), Some(d)) => format!("listed on {d}, the day resolution {r} was adopted (annex designation)"),
                (None, Some(d)) => format!("listed on {d} by the Security Council Committee established by resolution 1718"),
                _ => "listing date not published".to_string(),
            };
            Some(RegimeContext {
                regime: "UN 1718 (DPRK)".into(),
                target: format!("{target:?}").to_lowercase(),
                measures,
                designated_by_resolution,
                note,
            })
        }
        Source::Ofac if e.is_dprk() => Some(RegimeContext {
            regime: format!("US OFAC {}", e.programs.join(", ")),
            target: format!("{target:?}").to_lowercase(),
            measures: Vec::new(),
            designated_by_resolution: None,
            note: "US designation (31 CFR part 510 and the listed programmes); UN measures apply only if the entry is also on the UN 1718 list".into(),
        }),
        _ => None,
    }
}

/// Fill the regime context of every hit of a screening.
pub fn attach(screening: &mut Screening, matcher: &Matcher, regime: &Regime, date: NaiveDate) {
    for hit in &mut screening.hits {
        if let Some(e) = matcher.entities().get(hit.entity_index) {
            hit.regime = context(regime, e, date);
        }
    }
}
