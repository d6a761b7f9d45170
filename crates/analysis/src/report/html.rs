//! The report page. Plain HTML with inline CSS, charts as <img> of the SVG files next to
//! it (PNG linked), and the data behind every chart in a table with its sources.

use std::fmt::Write;

use super::svg::escape;
use super::Report;
use crate::estimates::Range;
use crate::signals::{fmt_amount, fmt_count, fmt_usd, fmt_years};

fn range(r: &Range) -> String {
    if r.low == r.high {
        fmt_usd(r.central)
    } else {
        format!(
            "{} (range {} – {})",
            fmt_usd(r.central),
            fmt_usd(r.low),
            fmt_usd(r.high)
        )
    }
}

fn pct(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

fn figure(s: &mut String, r: &Report, id: &str) {
    if let Some(c) = r.charts.iter().find(|c| c.id == id) {
        let _ = write!(
            s,
            r#"<figure id="chart-{id}"><img src="{stem}.svg" alt="{title}" width="880"><figcaption>The chart carries its source. <a href="{stem}.png">PNG</a> · <a href="{stem}.svg">SVG</a></figcaption></figure>"#,
            stem = c.file_stem,
            title = escape(&c.title),
        );
    }
}

pub fn page(r: &Report, font_faces: usize) -> String {
    let mut s = String::new();
    s.push_str(r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>embargo report: DPRK sanctions, trade and relief</title><style>
body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:980px;margin:2em auto;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:0.6em 0 1.4em;font-size:0.88em}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f2f2f2}figure{margin:1.2em 0}figcaption{font-size:0.85em;color:#444}.note{color:#8a4b00}.small{font-size:0.85em;color:#555}
</style></head><body>"#);
    let _ = write!(
        s,
        "<h1>embargo report</h1><p>DPRK sanctions (UN Security Council resolutions 1718–2397): trade exposure, the China–Russia relief draft of December 2019, non-trade earnings, the Council's response times and compliance signals.</p><p class=\"small\">Data: {}. Every figure below names its source: the publication that printed it, with its series (GAC, KOTRA, KITA, KIEP, ITC are kept apart) and status (confirmed / derived / unconfirmed).</p>",
        escape(&r.dataset)
    );
    if font_faces == 0 {
        s.push_str("<p class=\"note\">No system font was found when the PNG files were drawn, so they carry no text. The SVG charts shown here are complete. Install a font (Debian: fonts-dejavu-core) and run again.</p>");
    }
    // Summary.
    s.push_str("<h2>Summary</h2><ul>");
    let rel = &r.relief;
    let _ = write!(
        s,
        "<li>The {} would restore goods exports of {} a year{}, plus workers' earnings of {}; total {}.</li>",
        escape(&rel.proposal.title),
        range(&rel.goods_restored),
        rel.goods_share.map_or(String::new(), |sh| format!(" ({} of pre-sanction exports of {})", pct(sh.central), rel.pre_sanction_exports.map_or("?".into(), |p| fmt_usd(p.central)))),
        rel.labour.as_ref().map_or("none".into(), |l| range(&l.earnings)),
        range(&rel.total)
    );
    for m in &r.timeline.means {
        let _ = write!(
            s,
            "<li>{} ({}): mean lag {:.1} days over {}{}.</li>",
            escape(&m.administration),
            escape(&m.label),
            m.mean_days,
            m.resolutions.join(", "),
            m.published
                .map_or(String::new(), |p| format!("; published: {p}"))
        );
    }
    let _ = write!(
        s,
        "<li>Workers abroad: {} a year ({} workers). Chinese tourism {}: {}.</li>",
        range(&r.workers.earnings),
        fmt_count(r.workers.workers),
        r.tourism.year,
        r.tourism
            .range
            .as_ref()
            .map_or("not computable".into(), range)
    );
    for l in r.signals.leakage.iter().filter(|l| l.ratio.is_some()) {
        let _ = write!(
            s,
            "<li>Livelihood leakage under {}: {} ({}).</li>",
            escape(&l.citation),
            l.ratio.map_or(String::new(), |x| format!(
                "{:.0}% of the pre-sanction level",
                x * 100.0
            )),
            escape(l.comparison.as_deref().unwrap_or(""))
        );
    }
    s.push_str("</ul>");

    // (a) and (b)
    s.push_str("<h2>Exports by sanctioned category</h2>");
    figure(&mut s, r, "a");
    figure(&mut s, r, "b");
    s.push_str("<table><tr><th>year</th><th>category (first ban covering it)</th><th>to</th><th>series</th><th>value</th><th>total (series)</th><th>share</th><th>level</th><th>status</th><th>source</th></tr>");
    for c in &r.categories {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            c.year,
            escape(&c.group),
            escape(&c.counterpart),
            escape(&c.series),
            fmt_usd(c.value_usd),
            c.total_usd.map_or("–".into(), |t| format!("{} ({})", fmt_usd(t), c.total_series.as_deref().unwrap_or(""))),
            c.share.map_or("–".into(), pct),
            if c.category_level { "category" } else { "HS" },
            escape(&c.status),
            escape(&c.sources.join("; "))
        );
    }
    s.push_str("</table><h3>Totals</h3><table><tr><th>year</th><th>DPRK exports to</th><th>series</th><th>value</th><th>status</th><th>source</th></tr>");
    for t in &r.totals {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            t.year,
            escape(&t.counterpart),
            escape(&t.series),
            fmt_usd(t.value_usd),
            escape(&t.status),
            escape(&t.source)
        );
    }
    s.push_str("</table><h3>Category-level rows</h3><p class=\"small\">These rows are published figures for a category of goods, not HS-level customs statistics; their HS codes are the source's or an analyst's mapping (noted in data/trade). Import UN Comtrade files for HS-level analysis.</p><ul class=\"small\">");
    for c in &r.category_rows {
        let _ = write!(s, "<li>{}</li>", escape(c));
    }
    s.push_str("</ul>");

    // (c)
    let _ = write!(
        s,
        "<h2>Relief: {}</h2><p class=\"small\">{}; circulated {}. Sources: {}. Baseline {}.</p>",
        escape(&rel.proposal.title),
        escape(&rel.proposal.status),
        rel.proposal.circulated,
        escape(&rel.proposal.sources.join("; ")),
        fmt_years(rel.baseline)
    );
    figure(&mut s, r, "c");
    s.push_str("<table><tr><th>lifted</th><th>measures</th><th>restored / year</th><th>share of pre-sanction exports</th><th>years</th><th>confidence</th><th>sources and notes</th></tr>");
    for l in &rel.lifts {
        let _ = write!(
            s,
            "<tr><td>{} {}{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}<br><span class=\"note\">{}</span></td></tr>",
            escape(&l.citation),
            escape(&l.label),
            if l.applied { "" } else { " (not applied)" },
            escape(&l.measures.join(", ")),
            match (&l.restored, l.kind.as_str()) {
                (Some(x), _) => range(x),
                (None, "labour") => "see workers".into(),
                _ => "no figure".into(),
            },
            l.share.map_or("–".into(), |x| pct(x.central)),
            l.years_used.iter().map(|y| y.to_string()).collect::<Vec<_>>().join(", "),
            l.confidence,
            escape(&l.sources.join("; ")),
            escape(&l.notes.join("; "))
        );
    }
    if let Some(lab) = &rel.labour {
        let _ = write!(
            s,
            "<tr><td>workers ({})</td><td></td><td>{}</td><td></td><td></td><td></td><td>{}<br><span class=\"note\">{}</span></td></tr>",
            escape(&lab.lifts.join(" + ")),
            range(&lab.earnings),
            escape(&lab.sources.join("; ")),
            escape(&lab.note)
        );
    }
    let _ = write!(
        s,
        "<tr><th>total</th><td></td><th>{}</th><td>{}</td><td></td><td></td><td>pre-sanction exports: {}</td></tr></table>",
        range(&rel.total),
        rel.goods_share.map_or("–".into(), |x| format!("goods {}", pct(x.central))),
        rel.pre_sanction_estimates
            .iter()
            .map(|e| format!("{} {} {} ({})", e.year, e.counterpart, fmt_usd(e.value_usd), e.series))
            .collect::<Vec<_>>()
            .join("; ")
    );
    s.push_str("<h3>Exemptions in the draft</h3><ul>");
    for e in &rel.exemptions {
        let _ = write!(
            s,
            "<li><b>{}</b>: {}{}. {} Sources: {}.</li>",
            escape(&e.id),
            escape(&e.description),
            if e.hs.is_empty() {
                String::new()
            } else {
                format!(
                    " (HS {}; HS confidence {}; list complete: {})",
                    e.hs.join(", "),
                    e.hs_confidence.map_or("?".into(), |c| c.to_string()),
                    e.list_complete
                        .map_or("unknown", |b| if b { "yes" } else { "no" })
                )
            },
            escape(e.note.as_deref().unwrap_or("")),
            escape(&e.sources.join("; "))
        );
    }
    s.push_str("</ul>");

    // Non-trade earnings
    let w = &r.workers;
    let t = &r.tourism;
    let _ = write!(
        s,
        "<h2>Non-trade earnings</h2><table><tr><th>item</th><th>estimate / year</th><th>basis</th><th>sources</th></tr><tr><td>workers abroad</td><td>{}</td><td>{} workers × USD {:.0}–{:.0} ({}); central: {}</td><td>{}; count: {}</td></tr><tr><td>Chinese tourism {}</td><td>{}</td><td>{} visitors × USD {:.0} per trip</td><td>{}; {}; published: {}</td></tr></table>",
        range(&w.earnings),
        fmt_count(w.workers),
        w.wage_low,
        w.wage_high,
        escape(&w.wage_basis),
        escape(&w.central_basis),
        escape(&w.sources.join("; ")),
        escape(&w.workers_source),
        t.year,
        t.range.as_ref().map_or("–".into(), range),
        t.tourists.map_or("?".into(), |n| format!("{n:.0}")),
        t.spend_per_trip_usd,
        escape(&t.tourists_source),
        escape(&t.spend_source),
        escape(&t.published.iter().map(|p| format!("{} {} ({})", p.year, fmt_usd(p.usd), p.source)).collect::<Vec<_>>().join("; "))
    );

    // (d)
    s.push_str("<h2>How long the Council took</h2>");
    figure(&mut s, r, "d");
    s.push_str("<table><tr><th>resolution</th><th>adopted</th><th>first trigger</th><th>days</th><th>days from last trigger</th><th>administration</th><th>confidence</th><th>source</th></tr>");
    for l in &r.timeline.lags {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&l.resolution),
            l.adopted,
            l.trigger,
            escape(&l.trigger_event),
            l.days,
            l.days_from_last_trigger.map_or("".into(), |d| d.to_string()),
            escape(l.administration.as_deref().unwrap_or("")),
            l.confidence,
            escape(&l.source)
        );
    }
    s.push_str("</table><ul class=\"small\">");
    for m in &r.timeline.means {
        let _ = write!(
            s,
            "<li>{} — {}: {:.1} days ({}){}</li>",
            escape(&m.administration),
            escape(&m.label),
            m.mean_days,
            m.resolutions.join(", "),
            m.published_source
                .as_ref()
                .map_or(String::new(), |src| format!(
                    "; published {} — {}",
                    m.published.unwrap_or(0.0),
                    escape(src)
                ))
        );
    }
    for x in r.timeline.excluded.iter().chain(&r.timeline.mismatches) {
        let _ = write!(s, "<li class=\"note\">{}</li>", escape(x));
    }
    s.push_str("</ul>");

    // (e)
    s.push_str("<h2>Compliance signals</h2>");
    figure(&mut s, r, "e");
    s.push_str("<h3>Flows after a ban (and its wind-down)</h3><table><tr><th>measure</th><th>period</th><th>to</th><th>series</th><th>value</th><th>days after ban / in period</th><th>relaxed by</th><th>source</th></tr>");
    for p in &r.signals.post_ban {
        let _ = write!(
            s,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} / {}{}</td><td>{}</td><td>{} [{}]</td></tr>",
            escape(&p.citation),
            escape(&p.title),
            escape(&p.period),
            escape(&p.counterpart),
            escape(&p.series),
            fmt_usd(p.value_usd),
            p.days_after,
            p.days_in_period,
            p.wind_down_until.map_or(String::new(), |d| format!(" (wind-down until {d})")),
            escape(&p.relaxed_by.join(", ")),
            escape(&p.source),
            escape(&p.status)
        );
    }
    s.push_str("</table><h3>Cap use</h3><table><tr><th>cap</th><th>window</th><th>to</th><th>series</th><th>used</th><th>limit</th><th>share</th><th>note</th></tr>");
    for c in &r.signals.caps {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td></tr>",
            escape(&c.citation),
            escape(&c.window),
            escape(&c.counterpart),
            escape(&c.series),
            escape(&fmt_amount(c.used, &c.unit)),
            escape(&fmt_amount(c.limit, &c.unit)),
            pct(c.share),
            escape(c.note.as_deref().unwrap_or("")),
            escape(&c.sources.join("; "))
        );
    }
    s.push_str("</table><h3>Livelihood leakage</h3><ul>");
    for l in &r.signals.leakage {
        let _ = write!(
            s,
            "<li>{} ({}, in force {}), bans {}: {}</li>",
            escape(&l.citation),
            escape(&l.exception),
            escape(&l.in_force),
            escape(&l.bans.join(", ")),
            match (&l.ratio, &l.comparison) {
                (Some(x), Some(c)) =>
                    format!("{:.0}% of the pre-sanction level: {}", x * 100.0, escape(c)),
                _ => "no comparable pair of figures (see below)".into(),
            }
        );
    }
    s.push_str("</ul><h3>What cannot be computed from this data</h3><ul class=\"note\">");
    for l in &r.signals.limits {
        let _ = write!(s, "<li>{}</li>", escape(l));
    }
    s.push_str("</ul><p class=\"small\">Generated by embargo. Regime: data/regimes/dprk (each measure with its sources and confidence tags). Methods: docs/analysis.md.</p></body></html>");
    s
}
