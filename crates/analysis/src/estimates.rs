//! Non-trade earnings: DPRK workers abroad and Chinese tourism. The assumptions are data
//! (data/estimates/*.toml), each with its source; the functions turn them into ranges and
//! apply a user's overrides.

use embargo_regime::Confidence;
use serde::{Deserialize, Serialize};

use crate::data;
use crate::error::AnalysisError;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Sourced {
    pub year: i32,
    pub value: f64,
    pub confidence: Confidence,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct EarningsFigure {
    pub year: i32,
    pub low_usd: f64,
    #[serde(default)]
    pub high_usd: Option<f64>,
    pub confidence: Confidence,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Note {
    pub text: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Workers {
    pub title: String,
    pub default_count: f64,
    pub earnings_low_usd: f64,
    pub earnings_high_usd: f64,
    pub earnings_note: String,
    pub count: Vec<Sourced>,
    pub earnings: Vec<EarningsFigure>,
    #[serde(default)]
    pub note: Vec<Note>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Revenue {
    pub year: i32,
    pub usd: f64,
    pub confidence: Confidence,
    pub source: String,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Tourism {
    pub title: String,
    pub spend_per_trip_usd: f64,
    pub spend_confidence: Confidence,
    pub spend_source: String,
    pub visitors: Vec<Sourced>,
    pub revenue: Vec<Revenue>,
}

#[derive(Deserialize)]
struct WorkersFile {
    workers: Workers,
}
#[derive(Deserialize)]
struct TourismFile {
    tourism: Tourism,
}

impl Workers {
    pub fn bundled() -> Result<Workers, AnalysisError> {
        Workers::parse(data::WORKERS.0, data::WORKERS.1)
    }
    pub fn parse(file: &str, text: &str) -> Result<Workers, AnalysisError> {
        let w = data::parse::<WorkersFile>(file, text)?.workers;
        if !(w.default_count > 0.0 && w.earnings_low_usd <= w.earnings_high_usd) {
            return Err(AnalysisError::Data {
                file: file.into(),
                line: None,
                message:
                    "workers: default_count must be > 0 and earnings_low_usd <= earnings_high_usd"
                        .into(),
            });
        }
        Ok(w)
    }
}

impl Tourism {
    pub fn bundled() -> Result<Tourism, AnalysisError> {
        Tourism::parse(data::TOURISM.0, data::TOURISM.1)
    }
    pub fn parse(file: &str, text: &str) -> Result<Tourism, AnalysisError> {
        Ok(data::parse::<TourismFile>(file, text)?.tourism)
    }
}

/// A low / central / high range in USD per year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Range {
    pub low: f64,
    pub central: f64,
    pub high: f64,
}

impl Range {
    /// Central is the midpoint when the sources give only bounds.
    pub fn from_bounds(low: f64, high: f64) -> Range {
        Range {
            low,
            central: (low + high) / 2.0,
            high,
        }
    }
    pub fn point(v: f64) -> Range {
        Range {
            low: v,
            central: v,
            high: v,
        }
    }
    pub fn plus(self, o: Range) -> Range {
        Range {
            low: self.low + o.low,
            central: self.central + o.central,
            high: self.high + o.high,
        }
    }
}

/// User overrides for the worker estimate.
#[derive(Debug, Clone, Default)]
pub struct WorkerOverrides {
    pub workers: Option<f64>,
    /// Annual earnings per worker (USD), low and high.
    pub wage_low: Option<f64>,
    pub wage_high: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkerEstimate {
    pub workers: f64,
    pub workers_source: String,
    /// Implied annual earnings per worker (USD).
    pub wage_low: f64,
    pub wage_high: f64,
    pub wage_basis: String,
    pub earnings: Range,
    pub central_basis: String,
    pub sources: Vec<String>,
    pub notes: Vec<String>,
}

/// Earnings of workers abroad. Without overrides this is the published range (USD
/// 200–500m for ≈100,000 workers); the per-worker wage is that range divided by the
/// count. With `--workers N` the wage range is applied to N workers; with a wage the
/// user's wage is used instead.
pub fn workers(w: &Workers, o: &WorkerOverrides) -> WorkerEstimate {
    let implied_low = w.earnings_low_usd / w.default_count;
    let implied_high = w.earnings_high_usd / w.default_count;
    let n = o.workers.unwrap_or(w.default_count);
    let (wage_low, wage_high, wage_basis) = match (o.wage_low, o.wage_high) {
        (None, None) => (
            implied_low,
            implied_high,
            format!(
                "derived: USD {:.0}m–{:.0}m / {} workers",
                w.earnings_low_usd / 1e6,
                w.earnings_high_usd / 1e6,
                crate::signals::fmt_count(w.default_count)
            ),
        ),
        (l, h) => {
            let low = l.or(h).unwrap_or(implied_low);
            let high = h.or(l).unwrap_or(implied_high);
            (low.min(high), low.max(high), "user override".to_string())
        }
    };
    let count_source = if o.workers.is_some() {
        "user override".to_string()
    } else {
        w.count
            .iter()
            .filter(|c| c.value == w.default_count)
            .map(|c| format!("{} ({})", c.source, c.year))
            .collect::<Vec<_>>()
            .join("; ")
    };
    WorkerEstimate {
        workers: n,
        workers_source: count_source,
        wage_low,
        wage_high,
        wage_basis,
        earnings: Range::from_bounds(n * wage_low, n * wage_high),
        central_basis: "midpoint of low and high (derived)".into(),
        sources: w.earnings.iter().map(|e| e.source.clone()).collect(),
        notes: std::iter::once(w.earnings_note.clone())
            .chain(w.note.iter().map(|n| n.text.clone()))
            .collect(),
    }
}

#[derive(Debug, Clone, Default)]
pub struct TourismOverrides {
    pub year: Option<i32>,
    pub tourists: Option<f64>,
    pub spend: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TourismEstimate {
    pub year: i32,
    pub tourists: Option<f64>,
    pub tourists_source: String,
    pub spend_per_trip_usd: f64,
    pub spend_source: String,
    /// tourists × spend, when the year has a visitor count.
    pub computed_usd: Option<f64>,
    /// Published revenue figures for the year (or the nearest published ones).
    pub published: Vec<Revenue>,
    pub range: Option<Range>,
    pub notes: Vec<String>,
}

/// Tourism revenue for a year (default: the latest year with a visitor count).
pub fn tourism(t: &Tourism, o: &TourismOverrides) -> TourismEstimate {
    let latest = t.visitors.iter().map(|v| v.year).max().unwrap_or(2019);
    let year = o.year.unwrap_or(latest);
    let count = t.visitors.iter().find(|v| v.year == year);
    let (tourists, tourists_source) = match (o.tourists, count) {
        (Some(n), _) => (Some(n), "user override".to_string()),
        (None, Some(c)) => (Some(c.value), c.source.clone()),
        (None, None) => (
            None,
            format!("no visitor count for {year} in the estimates file"),
        ),
    };
    let (spend, spend_source) = match o.spend {
        Some(s) => (s, "user override".to_string()),
        None => (t.spend_per_trip_usd, t.spend_source.clone()),
    };
    let computed = tourists.map(|n| n * spend);
    // Published figures for that year; if none, the nearest year's, as comparators.
    let mut published: Vec<Revenue> = t
        .revenue
        .iter()
        .filter(|r| r.year == year)
        .cloned()
        .collect();
    let mut notes = Vec::new();
    if published.is_empty() {
        if let Some(near) = t.revenue.iter().map(|r| (r.year - year).abs()).min() {
            published = t
                .revenue
                .iter()
                .filter(|r| (r.year - year).abs() == near)
                .cloned()
                .collect();
            notes.push(format!(
                "no published revenue for {year}; nearest published figures shown for comparison"
            ));
        }
    }
    if o.spend.is_none() && year != 2019 {
        notes.push(
            "spend per trip is the 2019 estimate, applied to another year (assumption)".into(),
        );
    }
    let mut values: Vec<f64> = published
        .iter()
        .filter(|r| r.year == year)
        .map(|r| r.usd)
        .collect();
    values.extend(computed);
    let range = if values.is_empty() {
        None
    } else {
        let low = values.iter().copied().fold(f64::INFINITY, f64::min);
        let high = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        Some(Range {
            low,
            central: computed.unwrap_or((low + high) / 2.0),
            high,
        })
    };
    TourismEstimate {
        year,
        tourists,
        tourists_source,
        spend_per_trip_usd: spend,
        spend_source,
        computed_usd: computed,
        published,
        range,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_worker_range_is_the_published_one() {
        let w = Workers::bundled().unwrap();
        let e = workers(&w, &WorkerOverrides::default());
        assert_eq!(e.earnings.low, 200_000_000.0);
        assert_eq!(e.earnings.high, 500_000_000.0);
        assert_eq!((e.wage_low, e.wage_high), (2_000.0, 5_000.0));
        // 50,000 workers at the implied wages: USD 100m–250m.
        let half = workers(
            &w,
            &WorkerOverrides {
                workers: Some(50_000.0),
                ..Default::default()
            },
        );
        assert_eq!(
            (half.earnings.low, half.earnings.high),
            (100_000_000.0, 250_000_000.0)
        );
    }

    #[test]
    fn tourism_2019_is_350k_times_500() {
        let t = Tourism::bundled().unwrap();
        let e = tourism(&t, &TourismOverrides::default());
        assert_eq!(e.year, 2019);
        assert_eq!(e.computed_usd, Some(175_000_000.0));
        let r = e.range.unwrap();
        assert_eq!((r.low, r.high), (175_000_000.0, 200_000_000.0));
        let e2012 = tourism(
            &t,
            &TourismOverrides {
                year: Some(2012),
                ..Default::default()
            },
        );
        assert_eq!(e2012.computed_usd, Some(118_500_000.0));
    }
}
