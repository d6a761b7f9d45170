//! `embargo report`: the seeds' analysis as one HTML page with charts (SVG and PNG).
//! (a) DPRK exports by sanctioned category against the total, 2012–2019; (b) the share of
//! those categories; (c) what the China–Russia draft restores; (d) the Council's lags;
//! (e) compliance signals. Building the report ([`build`]) is pure; [`write`] puts it on
//! disk atomically.

mod html;
pub mod raster;
pub mod svg;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use embargo_regime::{Direction, Measure, MeasureKind, Regime};
use embargo_trade::{Level, TradeRecord};
use serde::Serialize;

use crate::coverage::{covered_by, direction, drop_nested};
use crate::error::AnalysisError;
use crate::estimates::{self, Tourism, Workers};
use crate::exposure::{counterpart, exposure, Exposure};
use crate::relief::{relief, Proposal, Relief, ReliefOptions};
use crate::signals::{fmt_usd, fmt_years, signals, Signals};
use crate::timeline::{timeline, Events, Timeline};
use svg::{Chart, Kind, Series, YFormat, PALETTE};

pub const YEARS: std::ops::RangeInclusive<i32> = 2012..=2019;

/// Everything the report is made from.
pub struct Inputs<'a> {
    pub regime: &'a Regime,
    pub trade: &'a embargo_trade::DprkTrade,
    /// "bundled published figures (data/trade)" or "trade store (<dir>)".
    pub dataset: String,
    pub proposal: &'a Proposal,
    pub workers: &'a Workers,
    pub tourism: &'a Tourism,
    pub events: &'a Events,
    pub relief: ReliefOptions,
}

/// One chart, with the data behind it.
#[derive(Debug, Clone, Serialize)]
pub struct ChartOut {
    /// a..e
    pub id: String,
    pub file_stem: String,
    pub title: String,
    pub source: String,
    #[serde(skip)]
    pub svg: String,
}

/// One sanctioned category's value in one year (chart a and b).
#[derive(Debug, Clone, Serialize)]
pub struct CategoryPoint {
    pub group: String,
    pub measure: String,
    pub counterpart: String,
    pub year: i32,
    pub series: String,
    pub value_usd: f64,
    pub total_usd: Option<f64>,
    pub total_series: Option<String>,
    pub share: Option<f64>,
    pub category_level: bool,
    pub status: String,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TotalPoint {
    pub counterpart: String,
    pub year: i32,
    pub series: String,
    pub value_usd: f64,
    pub status: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dataset: String,
    pub totals: Vec<TotalPoint>,
    pub categories: Vec<CategoryPoint>,
    pub exposure: Exposure,
    pub relief: Relief,
    pub workers: estimates::WorkerEstimate,
    pub tourism: estimates::TourismEstimate,
    pub timeline: Timeline,
    pub signals: Signals,
    /// Rows that are published categories, not HS-level statistics.
    pub category_rows: Vec<String>,
    pub charts: Vec<ChartOut>,
}

/// Preference among series when one year has several (for the total line only; every
/// figure is listed in the tables).
const SERIES_ORDER: &[&str] = &["GAC", "KOTRA", "KITA", "KIEP", "ITC"];

fn series_rank(s: &str) -> usize {
    SERIES_ORDER
        .iter()
        .position(|x| *x == s)
        .unwrap_or(SERIES_ORDER.len())
}

/// The first goods ban on DPRK exports that covers the row at any time: the row's
/// sanctioned category.
fn sanction_group<'r>(regime: &'r Regime, rec: &TradeRecord) -> Option<&'r Measure> {
    regime
        .measures()
        .iter()
        .filter(|m| {
            matches!(m.kind, MeasureKind::GoodsBan { .. })
                && m.directions().contains(&Direction::FromDprk)
        })
        .filter(|m| covered_by(regime, rec, m).is_some())
        .min_by_key(|m| m.effective_from)
}

fn short_title(m: &Measure) -> String {
    let t = m
        .title
        .split([',', '(', ';', ':'])
        .next()
        .unwrap_or(&m.title)
        .trim();
    let t: String = t.chars().take(34).collect();
    format!("{} {}", m.short_citation(), t.to_lowercase())
}

fn cp_name(cp: &str) -> &str {
    match cp {
        "CN" => "to China",
        "WLD" => "to the world",
        other => other,
    }
}

pub fn build(inp: &Inputs) -> Report {
    let exports: Vec<&TradeRecord> = inp
        .trade
        .records
        .iter()
        .filter(|r| direction(r) == Some(Direction::FromDprk) && r.period.month.is_none())
        .collect();
    // Totals by counterpart, year, series.
    let totals: Vec<TotalPoint> = exports
        .iter()
        .filter(|r| r.level == Level::Total)
        .map(|r| TotalPoint {
            counterpart: counterpart(r).to_string(),
            year: r.period.year,
            series: r.series.clone(),
            value_usd: r.value_usd,
            status: r.status.as_str().into(),
            source: r.source.clone(),
        })
        .collect();
    // Sanctioned categories: rows grouped by (first ban, counterpart, year, series).
    let mut groups: BTreeMap<(String, String, String, i32, String), Vec<&TradeRecord>> =
        BTreeMap::new();
    for r in exports.iter().filter(|r| r.level != Level::Total) {
        if let Some(m) = sanction_group(inp.regime, r) {
            groups
                .entry((
                    short_title(m),
                    m.id.clone(),
                    counterpart(r).to_string(),
                    r.period.year,
                    r.series.clone(),
                ))
                .or_default()
                .push(r);
        }
    }
    let mut categories = Vec::new();
    for ((group, measure, cp, year, series), rows) in groups {
        let kept = drop_nested(&rows);
        let value: f64 = kept.iter().map(|r| r.value_usd).sum();
        let same: Vec<&TotalPoint> = totals
            .iter()
            .filter(|t| t.counterpart == cp && t.year == year)
            .collect();
        let tot = same
            .iter()
            .find(|t| t.series == series)
            .or_else(|| same.iter().min_by_key(|t| series_rank(&t.series)));
        let status = kept
            .iter()
            .map(|r| r.status)
            .max()
            .map_or("confirmed", |s| s.as_str())
            .to_string();
        categories.push(CategoryPoint {
            group,
            measure,
            counterpart: cp,
            year,
            series,
            value_usd: value,
            total_usd: tot.map(|t| t.value_usd),
            total_series: tot.map(|t| t.series.clone()),
            share: tot
                .filter(|t| t.value_usd > 0.0)
                .map(|t| value / t.value_usd),
            category_level: kept.iter().any(|r| r.level == Level::Category),
            status,
            sources: kept.iter().map(|r| r.source.clone()).collect(),
        });
    }
    let category_rows: Vec<String> = inp
        .trade
        .records
        .iter()
        .filter(|r| r.level == Level::Category)
        .map(|r| {
            format!(
                "{} {} {}→{} {} (HS {}): {} [{}; {}]",
                r.period,
                r.category.as_deref().unwrap_or("category"),
                if r.partner == "KP" {
                    "KP"
                } else {
                    r.reporter.as_str()
                },
                if r.partner == "KP" {
                    r.reporter.as_str()
                } else {
                    r.partner.as_str()
                },
                r.flow.as_str(),
                r.hs,
                fmt_usd(r.value_usd),
                r.series,
                r.status.as_str()
            )
        })
        .collect();
    let exposure = exposure(inp.regime, inp.trade, Direction::FromDprk);
    let relief = relief(
        inp.regime,
        &inp.trade.records,
        inp.proposal,
        inp.workers,
        &inp.relief,
    );
    let workers = estimates::workers(inp.workers, &Default::default());
    let tourism = estimates::tourism(inp.tourism, &Default::default());
    let timeline = timeline(inp.regime, inp.events);
    let signals = signals(inp.regime, inp.trade);
    let mut report = Report {
        dataset: inp.dataset.clone(),
        totals,
        categories,
        exposure,
        relief,
        workers,
        tourism,
        timeline,
        signals,
        category_rows,
        charts: Vec::new(),
    };
    report.charts = vec![
        chart_a(&report),
        chart_b(&report),
        chart_c(&report),
        chart_d(&report),
        chart_e(&report),
    ];
    report
}

fn years() -> Vec<String> {
    YEARS.map(|y| y.to_string()).collect()
}

/// Per counterpart, the total line (one series per year, preferring GAC, then KOTRA...),
/// the series used per year ("GAC 2017, ...") and the points drawn.
fn total_line<'r>(r: &'r Report, cp: &str) -> (Vec<Option<f64>>, String, Vec<&'r TotalPoint>) {
    let mut used: Vec<String> = Vec::new();
    let mut points = Vec::new();
    let vals = YEARS
        .map(|y| {
            let t = r
                .totals
                .iter()
                .filter(|t| t.counterpart == cp && t.year == y)
                .min_by_key(|t| series_rank(&t.series))?;
            used.push(format!("{} {}", t.series, y));
            points.push(t);
            Some(t.value_usd)
        })
        .collect();
    (vals, used.join(", "), points)
}

/// The publications behind a set of figures, each named once in the order first met.
/// A row's source may name several ("Reuters 2019-01-23; WSJ via MarketScreener").
fn publications<'a>(sources: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for part in sources
        .into_iter()
        .flat_map(|s| s.split("; "))
        .map(str::trim)
    {
        if !part.is_empty() && !seen.contains(&part) {
            seen.push(part);
        }
    }
    seen.join("; ")
}

/// "to China GAC 2017, GAC 2018; to the world KOTRA 2013": only the counterparts drawn.
fn series_used(parts: &[(&str, &str)]) -> String {
    parts
        .iter()
        .filter(|(_, used)| !used.is_empty())
        .map(|(cp, used)| format!("{cp} {used}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn category_series(r: &Report, value: impl Fn(&CategoryPoint) -> Option<f64>) -> Vec<Series> {
    let mut keys: Vec<(String, String)> = r
        .categories
        .iter()
        .filter(|c| YEARS.contains(&c.year))
        .map(|c| (c.group.clone(), c.counterpart.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys.iter()
        .enumerate()
        .map(|(i, (g, cp))| {
            let vals = YEARS
                .map(|y| {
                    r.categories
                        .iter()
                        .filter(|c| &c.group == g && &c.counterpart == cp && c.year == y)
                        .filter_map(&value)
                        .fold(None, |acc: Option<f64>, v| {
                            Some(acc.map_or(v, |a| a.max(v)))
                        })
                })
                .collect();
            Series::new(
                format!("{g} ({})", cp_name(cp)),
                Kind::Points,
                PALETTE
                    .get((i + 2) % PALETTE.len())
                    .copied()
                    .unwrap_or("#444"),
                vals,
            )
        })
        .collect()
}

/// The title of chart (a): what happened to exports to China, from the drawn figures a
/// source confirms or derives (an unconfirmed year is drawn but not headlined).
fn title_a(cn: &[&TotalPoint]) -> String {
    let firm: Vec<&TotalPoint> = cn
        .iter()
        .copied()
        .filter(|t| t.status != "unconfirmed")
        .collect();
    let peak = firm
        .iter()
        .max_by(|a, b| a.value_usd.total_cmp(&b.value_usd));
    let last = firm.iter().max_by_key(|t| t.year);
    match (peak, last) {
        (Some(p), Some(l)) if l.year > p.year && l.value_usd < p.value_usd => format!(
            "(a) DPRK exports to China fell from {} in {} to {} in {}",
            fmt_usd(p.value_usd),
            p.year,
            fmt_usd(l.value_usd),
            l.year
        ),
        _ => "(a) DPRK exports by sanctioned category against total exports, 2012–2019".into(),
    }
}

/// The title of chart (b): the largest share a sanctioned category reached.
fn title_b(r: &Report) -> String {
    r.categories
        .iter()
        .filter(|c| YEARS.contains(&c.year))
        .filter_map(|c| c.share.map(|s| (s, c)))
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or_else(
            || "(b) Share of sanctioned categories in DPRK exports, 2012–2019".into(),
            |(s, c)| {
                let goods = c
                    .group
                    .split_once(' ')
                    .and_then(|(_, rest)| rest.split_once(' '))
                    .map_or(c.group.as_str(), |(_, goods)| goods);
                format!(
                    "(b) Before the bans, {goods} alone made up {:.0}% of DPRK exports ({} {})",
                    s * 100.0,
                    cp_name(&c.counterpart),
                    c.year
                )
            },
        )
}

fn chart_a(r: &Report) -> ChartOut {
    let (cn, cn_series, cn_points) = total_line(r, "CN");
    let (wl, wl_series, wl_points) = total_line(r, "WLD");
    let title = title_a(&cn_points);
    let mut series = vec![
        Series::new(
            "Total DPRK exports to China (China's imports)",
            Kind::Line,
            PALETTE[0],
            cn,
        ),
        Series {
            dashed: true,
            ..Series::new(
                "Total DPRK exports to the world (compilers' estimates)",
                Kind::Line,
                "#777777",
                wl,
            )
        },
    ];
    series.extend(category_series(r, |c| Some(c.value_usd)));
    let pubs = publications(
        cn_points
            .iter()
            .chain(&wl_points)
            .map(|t| t.source.as_str())
            .chain(
                r.categories
                    .iter()
                    .filter(|c| YEARS.contains(&c.year))
                    .flat_map(|c| c.sources.iter().map(String::as_str)),
            ),
    );
    let used = series_used(&[("to China", &cn_series), ("to the world", &wl_series)]);
    let source = format!(
        "{pubs}. Series drawn for the totals: {used}. Categories are the sanctioned goods joined to the regime by HS code; most are category-level figures, not HS statistics (see the table). Points are the largest series where several exist. Data: {}.",
        r.dataset
    );
    let chart = Chart {
        title,
        source: source.clone(),
        x: years(),
        y_label: "USD per year".into(),
        y_format: YFormat::Usd,
        series,
        rules: vec![],
    };
    ChartOut {
        id: "a".into(),
        file_stem: "a-exports-by-category".into(),
        title: chart.title.clone(),
        source,
        svg: chart.to_svg(),
    }
}

fn chart_b(r: &Report) -> ChartOut {
    let series = category_series(r, |c| c.share);
    let pubs = publications(
        r.categories
            .iter()
            .filter(|c| YEARS.contains(&c.year) && c.share.is_some())
            .flat_map(|c| c.sources.iter().map(String::as_str)),
    );
    let source = format!(
        "category value ÷ total exports to the same counterpart in the same year, same series where one exists, else the named series (see table). Figures: {pubs}. Data: {}. The KEI claim that textiles and seafood reached ≈50% of China's imports (Haggard and Zhang, Jan 2020) is unconfirmed [U] and drawn only as a reference line.",
        r.dataset
    );
    let chart = Chart {
        title: title_b(r),
        source: source.clone(),
        x: years(),
        y_label: "share of total exports".into(),
        y_format: YFormat::Percent,
        series,
        rules: vec![(0.5, "KEI ≈50% [U]".into())],
    };
    ChartOut {
        id: "b".into(),
        file_stem: "b-category-shares".into(),
        title: chart.title.clone(),
        source,
        svg: chart.to_svg(),
    }
}

fn chart_c(r: &Report) -> ChartOut {
    let mut x = Vec::new();
    let mut central = Vec::new();
    let mut ranges = Vec::new();
    for l in r
        .relief
        .lifts
        .iter()
        .filter(|l| l.applied && l.kind == "goods")
    {
        x.push(format!("{} {}", l.citation, l.label));
        central.push(l.restored.map(|v| v.central));
        ranges.push(l.restored.map(|v| (v.low, v.high)));
    }
    if let Some(lab) = &r.relief.labour {
        x.push(format!("{} workers abroad", lab.lifts.join(" + ")));
        central.push(Some(lab.earnings.central));
        ranges.push(Some((lab.earnings.low, lab.earnings.high)));
    }
    x.push("Total".into());
    central.push(Some(r.relief.total.central));
    ranges.push(Some((r.relief.total.low, r.relief.total.high)));
    let mut bars = Series::new(
        "restored per year (central; whiskers low–high)",
        Kind::Bars,
        PALETTE[2],
        central,
    );
    bars.ranges = ranges;
    bars.missing = Some("no figure".into());
    let mut rules = Vec::new();
    if let Some(p) = r.relief.pre_sanction_exports {
        rules.push((
            p.central,
            format!("pre-sanction exports {}", fmt_usd(p.central)),
        ));
    }
    let source = format!(
        "{} ({}); goods from the regime's HS scope of each lifted paragraph joined to trade in baseline {} (nearest year where the baseline has none, see notes); workers: {} ({}). Lifts without figures (statues) and unquantified exemptions are listed in the table.",
        r.relief.proposal.title,
        r.relief.proposal.sources.join("; "),
        fmt_years(r.relief.baseline),
        r.workers.wage_basis,
        publications(r.workers.sources.iter().map(String::as_str))
    );
    let title = match r.relief.goods_share {
        Some(share) => format!(
            "(c) The proposal would restore {} a year: goods worth {:.0}% of pre-sanction exports{}",
            fmt_usd(r.relief.total.central),
            share.central * 100.0,
            if r.relief.labour.is_some() {
                ", plus workers' earnings"
            } else {
                ""
            }
        ),
        None => format!(
            "(c) The proposal would restore {} a year",
            fmt_usd(r.relief.total.central)
        ),
    };
    let chart = Chart {
        title,
        source: source.clone(),
        x,
        y_label: "USD per year (whiskers: low–high)".into(),
        y_format: YFormat::Usd,
        series: vec![bars],
        rules,
    };
    ChartOut {
        id: "c".into(),
        file_stem: "c-relief".into(),
        title: chart.title.clone(),
        source,
        svg: chart.to_svg(),
    }
}

/// The title of chart (d): the mean lag per administration, over every resolution with a
/// trigger where that set exists, else over the published set.
fn title_d(r: &Report) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for m in &r.timeline.means {
        if seen.contains(&m.administration.as_str()) {
            continue;
        }
        seen.push(&m.administration);
        let chosen = r
            .timeline
            .means
            .iter()
            .filter(|x| x.administration == m.administration)
            .find(|x| x.published.is_none())
            .unwrap_or(m);
        let days = chosen.mean_days;
        let days = if (days - days.round()).abs() < 0.05 {
            format!("{days:.0}")
        } else {
            format!("{days:.1}")
        };
        parts.push(if parts.is_empty() {
            format!("{days} days on average under {}", chosen.administration)
        } else {
            format!("{days} under {}", chosen.administration)
        });
    }
    if parts.is_empty() {
        return "(d) Days from DPRK provocation to Security Council resolution".into();
    }
    format!(
        "(d) The Council answered a provocation in {}",
        parts.join(", ")
    )
}

fn chart_d(r: &Report) -> ChartOut {
    let lags = &r.timeline.lags;
    let x: Vec<String> = lags.iter().map(|l| l.resolution.clone()).collect();
    let mut admins: Vec<String> = lags
        .iter()
        .filter_map(|l| l.administration.clone())
        .collect();
    admins.dedup();
    let color_of = |a: &str| {
        admins
            .iter()
            .position(|x| x == a)
            .and_then(|i| PALETTE.get(i))
            .copied()
            .unwrap_or("#444444")
            .to_string()
    };
    let mut bars = Series::new(
        "days from first trigger (colour: administration)",
        Kind::Bars,
        "#bbbbbb",
        lags.iter().map(|l| Some(l.days as f64)).collect(),
    );
    bars.colors = lags
        .iter()
        .map(|l| l.administration.as_deref().map(&color_of))
        .collect();
    let mut series = vec![bars];
    // Legend entries for the administrations' colours.
    for a in &admins {
        series.push(Series::new(
            a.clone(),
            Kind::Bars,
            &color_of(a),
            vec![None; lags.len()],
        ));
    }
    let rules: Vec<(f64, String)> = r
        .timeline
        .means
        .iter()
        .map(|m| {
            (
                m.mean_days,
                format!(
                    "{} {}: {:.1}d{}",
                    m.administration,
                    if m.published.is_some() {
                        "published set"
                    } else {
                        "all"
                    },
                    m.mean_days,
                    m.published
                        .map_or(String::new(), |p| format!(" (pub. {p})"))
                ),
            )
        })
        .collect();
    let source = "adoption dates (New York) and triggers (KST) from the regime and event files, each with its source (UN press releases, US Mission and embassy fact sheets); published means: CSIS Office of the Korea Chair, Korea Chair Snapshot 'The Absence of Consensus', 8 Feb 2016. 1695: launches 5 Jul 2006 (KST), adopted 15 Jul 2006 (UN press release SC/8778; UN News, 15 Jul 2006). Lag from the first trigger; 2356 has no single trigger and is excluded.".to_string();
    let chart = Chart {
        title: title_d(r),
        source: source.clone(),
        x,
        y_label: "days".into(),
        y_format: YFormat::Days,
        series,
        rules,
    };
    ChartOut {
        id: "d".into(),
        file_stem: "d-lags".into(),
        title: chart.title.clone(),
        source,
        svg: chart.to_svg(),
    }
}

fn chart_e(r: &Report) -> ChartOut {
    let mut x = Vec::new();
    let mut observed = Vec::new();
    let mut reference = Vec::new();
    for l in r.signals.leakage.iter().filter(|l| l.ratio.is_some()) {
        let (Some(d), Some(b)) = (
            l.during
                .iter()
                .max_by(|a, b| a.value_usd.total_cmp(&b.value_usd)),
            l.before
                .iter()
                .filter(|b| l.during.iter().any(|d| d.counterpart == b.counterpart))
                .max_by_key(|b| b.year),
        ) else {
            continue;
        };
        x.push(format!(
            "{} livelihood: {} vs {}",
            l.citation, d.year, b.year
        ));
        observed.push(Some(d.value_usd));
        reference.push(Some(b.value_usd));
    }
    for c in r.signals.caps.iter().filter(|c| c.unit == "USD") {
        x.push(format!(
            "{} cap {}",
            c.citation,
            c.window.get(..4).unwrap_or("")
        ));
        observed.push(Some(c.used));
        reference.push(Some(c.limit));
    }
    for p in r.signals.post_ban.iter().take(4) {
        x.push(format!("{} after ban {}", p.citation, p.period));
        observed.push(Some(p.value_usd));
        reference.push(None);
    }
    let source = format!(
        "signals computed by embargo from the trade rows ({}) and the regime (bans, wind-downs, caps, livelihood exceptions). Observed = trade in the period; reference = pre-sanction level or the cap. Series and counterparts of each bar are in the tables below. Annual figures cannot separate trade before and after a mid-year ban; see the table for what cannot be computed.",
        r.dataset
    );
    let chart = Chart {
        title: "(e) Compliance signals: livelihood leakage, cap use, flows after bans".into(),
        source: source.clone(),
        x,
        y_label: "USD".into(),
        y_format: YFormat::Usd,
        series: vec![
            Series::new("observed", Kind::Bars, PALETTE[3], observed),
            Series::new(
                "reference (pre-sanction level or cap)",
                Kind::Bars,
                "#999999",
                reference,
            ),
        ],
        rules: vec![],
    };
    ChartOut {
        id: "e".into(),
        file_stem: "e-signals".into(),
        title: chart.title.clone(),
        source,
        svg: chart.to_svg(),
    }
}

/// What [`write`] produced.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub dir: PathBuf,
    pub files: Vec<String>,
    pub font_faces: usize,
}

/// Writes index.html, report.json and each chart as SVG and PNG into `out`, atomically:
/// everything goes to a temporary sibling directory that replaces `out` at the end.
/// `png_scale` sets the PNG resolution (2.0 = twice the SVG's pixel size, for sharp
/// screens). `progress` is called once per step with a short label.
pub fn write(
    report: &Report,
    out: &Path,
    png_scale: f32,
    progress: &mut dyn FnMut(&str),
) -> Result<Written, AnalysisError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| AnalysisError::io(parent.display(), e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "embargo-report".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| AnalysisError::io(tmp.display(), e))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| AnalysisError::io(tmp.display(), e))?;
    let result = write_into(report, &tmp, png_scale, progress);
    let (files, fonts) = match result {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    progress("moving into place");
    if out.exists() {
        let old = parent.join(format!(".{name}.old-{}", std::process::id()));
        std::fs::rename(out, &old).map_err(|e| AnalysisError::io(out.display(), e))?;
        std::fs::rename(&tmp, out).map_err(|e| AnalysisError::io(out.display(), e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&tmp, out).map_err(|e| AnalysisError::io(out.display(), e))?;
    }
    Ok(Written {
        dir: out.to_path_buf(),
        files,
        font_faces: fonts,
    })
}

fn write_into(
    report: &Report,
    dir: &Path,
    png_scale: f32,
    progress: &mut dyn FnMut(&str),
) -> Result<(Vec<String>, usize), AnalysisError> {
    let put = |name: &str, bytes: &[u8]| -> Result<String, AnalysisError> {
        let p = dir.join(name);
        std::fs::write(&p, bytes).map_err(|e| AnalysisError::io(p.display(), e))?;
        Ok(name.to_string())
    };
    progress("loading fonts");
    let raster = raster::Rasterizer::new();
    let mut files = Vec::new();
    for c in &report.charts {
        progress(&format!("chart ({}) {}", c.id, c.file_stem));
        files.push(put(&format!("{}.svg", c.file_stem), c.svg.as_bytes())?);
        let png = raster.png(&c.svg, png_scale)?;
        files.push(put(&format!("{}.png", c.file_stem), &png)?);
    }
    progress("writing report.json");
    let json = serde_json::to_vec_pretty(report)
        .map_err(|e| AnalysisError::Render(format!("JSON: {e}")))?;
    files.push(put("report.json", &json)?);
    progress("writing index.html");
    files.push(put(
        "index.html",
        html::page(report, raster.font_faces).as_bytes(),
    )?);
    Ok((files, raster.font_faces))
}
