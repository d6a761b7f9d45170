//! How long the Council took to answer: days from the triggering DPRK event to the
//! adoption of each resolution, and the mean by US administration. Adoptions and triggers
//! of 1718..2397 come from the regime; the events file adds the events themselves (with
//! sources), 1695 (which predates the encoded regime), the administrations, and the
//! published means to check against (CSIS: 7.5 days under Bush, 27 under Obama).

use chrono::NaiveDate;
use embargo_regime::{Confidence, Regime};
use serde::{Deserialize, Serialize};

use crate::data;
use crate::error::AnalysisError;
use crate::relief::toml_date as date_field;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    pub id: String,
    #[serde(deserialize_with = "date_field")]
    pub date: NaiveDate,
    pub kind: String,
    pub title: String,
    pub confidence: Confidence,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Adoption {
    pub resolution: String,
    #[serde(deserialize_with = "date_field")]
    pub adopted: NaiveDate,
    pub responds_to: Vec<String>,
    pub confidence: Confidence,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Administration {
    pub name: String,
    #[serde(deserialize_with = "date_field")]
    pub from: NaiveDate,
    #[serde(deserialize_with = "date_field")]
    pub until: NaiveDate,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Published {
    pub administration: String,
    pub resolutions: Vec<String>,
    pub mean_days: f64,
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Events {
    #[serde(default)]
    pub event: Vec<Event>,
    #[serde(default)]
    pub adoption: Vec<Adoption>,
    #[serde(default)]
    pub administration: Vec<Administration>,
    #[serde(default)]
    pub published: Vec<Published>,
}

impl Events {
    pub fn bundled() -> Result<Events, AnalysisError> {
        Events::parse(data::EVENTS.0, data::EVENTS.1)
    }

    pub fn parse(file: &str, text: &str) -> Result<Events, AnalysisError> {
        let ev: Events = data::parse(file, text)?;
        for a in &ev.adoption {
            for id in &a.responds_to {
                if !ev.event.iter().any(|e| &e.id == id) {
                    return Err(AnalysisError::Data {
                        file: file.into(),
                        line: None,
                        message: format!("adoption {}: unknown event `{id}`", a.resolution),
                    });
                }
            }
        }
        Ok(ev)
    }
}

/// One resolution's lag.
#[derive(Debug, Clone, Serialize)]
pub struct Lag {
    pub resolution: String,
    pub adopted: NaiveDate,
    /// The first triggering event (the lag the published figures use).
    pub trigger: NaiveDate,
    pub trigger_event: String,
    pub days: i64,
    /// From the last trigger, when there were several (2270: 24 days from the launch).
    pub days_from_last_trigger: Option<i64>,
    pub administration: Option<String>,
    pub confidence: Confidence,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MeanLag {
    pub administration: String,
    pub resolutions: Vec<String>,
    pub mean_days: f64,
    /// The published figure for exactly this set, if any.
    pub published: Option<f64>,
    pub published_source: Option<String>,
    pub label: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    pub events: Vec<Event>,
    pub lags: Vec<Lag>,
    pub means: Vec<MeanLag>,
    /// Resolutions without a single triggering event (2356), not in any mean.
    pub excluded: Vec<String>,
    /// Events file dates that disagree with the regime's triggers.
    pub mismatches: Vec<String>,
}

fn mean(v: &[i64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<i64>() as f64 / v.len() as f64
    }
}

pub fn timeline(regime: &Regime, ev: &Events) -> Timeline {
    let admin_of = |d: NaiveDate| {
        ev.administration
            .iter()
            .find(|a| d >= a.from && d <= a.until)
            .map(|a| a.name.clone())
    };
    let mut lags = Vec::new();
    let mut excluded = Vec::new();
    let mut mismatches = Vec::new();
    for a in &ev.adoption {
        let trig: Vec<&Event> = ev
            .event
            .iter()
            .filter(|e| a.responds_to.contains(&e.id))
            .collect();
        let (Some(first), Some(last)) = (
            trig.iter().min_by_key(|e| e.date),
            trig.iter().max_by_key(|e| e.date),
        ) else {
            continue;
        };
        lags.push(Lag {
            resolution: a.resolution.clone(),
            adopted: a.adopted,
            trigger: first.date,
            trigger_event: first.title.clone(),
            days: (a.adopted - first.date).num_days(),
            days_from_last_trigger: (trig.len() > 1).then(|| (a.adopted - last.date).num_days()),
            administration: admin_of(a.adopted),
            confidence: a.confidence.min(first.confidence),
            source: a.source.clone(),
        });
    }
    for r in regime.resolutions() {
        let (Some(first), Some(last)) = (
            r.triggers.iter().min_by_key(|t| t.date),
            r.triggers.iter().max_by_key(|t| t.date),
        ) else {
            excluded.push(format!(
                "{}: no single triggering event in the regime data",
                r.number
            ));
            continue;
        };
        for t in &r.triggers {
            let known = ev.event.iter().any(|e| e.date == t.date);
            if !known {
                mismatches.push(format!(
                    "{}: trigger {} ({}) is not in the events file",
                    r.number, t.date, t.event
                ));
            }
        }
        lags.push(Lag {
            resolution: r.number.clone(),
            adopted: r.adopted,
            trigger: first.date,
            trigger_event: first.event.clone(),
            days: (r.adopted - first.date).num_days(),
            days_from_last_trigger: (r.triggers.len() > 1)
                .then(|| (r.adopted - last.date).num_days()),
            administration: admin_of(r.adopted),
            confidence: first.confidence,
            source: first.source.clone(),
        });
    }
    lags.sort_by_key(|l| l.adopted);
    let mut means = Vec::new();
    // Published sets first, so the comparison is explicit.
    for p in &ev.published {
        let days: Vec<i64> = lags
            .iter()
            .filter(|l| p.resolutions.contains(&l.resolution))
            .map(|l| l.days)
            .collect();
        means.push(MeanLag {
            administration: p.administration.clone(),
            resolutions: p.resolutions.clone(),
            mean_days: mean(&days),
            published: Some(p.mean_days),
            published_source: Some(p.source.clone()),
            label: "published set".into(),
        });
    }
    // Then every administration with all its resolutions.
    for a in &ev.administration {
        let ls: Vec<&Lag> = lags
            .iter()
            .filter(|l| l.administration.as_deref() == Some(a.name.as_str()))
            .collect();
        if ls.is_empty() {
            continue;
        }
        let res: Vec<String> = ls.iter().map(|l| l.resolution.clone()).collect();
        if means
            .iter()
            .any(|m| m.administration == a.name && m.resolutions == res)
        {
            continue;
        }
        means.push(MeanLag {
            administration: a.name.clone(),
            resolutions: res,
            mean_days: mean(&ls.iter().map(|l| l.days).collect::<Vec<_>>()),
            published: None,
            published_source: None,
            label: "all resolutions with a trigger".into(),
        });
    }
    Timeline {
        events: ev.event.clone(),
        lags,
        means,
        excluded,
        mismatches,
    }
}
