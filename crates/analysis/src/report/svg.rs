//! A small SVG chart writer: category x axis, linear y axis, bars, lines, points and
//! low–high whiskers. Hand-written so the report needs no browser, no JavaScript and no
//! network; the same SVG is rasterised to PNG by resvg.

use std::fmt::Write;

pub const WIDTH: f64 = 880.0;
pub const HEIGHT: f64 = 480.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 230.0;
const TOP: f64 = 64.0;
const BOTTOM: f64 = 92.0;
pub const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/// Colour-blind-safe palette (Okabe–Ito).
pub const PALETTE: &[&str] = &[
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Bars,
    Line,
    Points,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum YFormat {
    Usd,
    Percent,
    Days,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub kind: Kind,
    pub color: String,
    pub values: Vec<Option<f64>>,
    /// Optional low–high whisker per x.
    pub ranges: Vec<Option<(f64, f64)>>,
    /// Optional colour per x (bars), overriding `color`.
    pub colors: Vec<Option<String>>,
    /// Written on the axis where a bar has no value ("no figure").
    pub missing: Option<String>,
    pub dashed: bool,
}

impl Series {
    pub fn new(
        name: impl Into<String>,
        kind: Kind,
        color: &str,
        values: Vec<Option<f64>>,
    ) -> Series {
        Series {
            name: name.into(),
            kind,
            color: color.to_string(),
            values,
            ranges: Vec::new(),
            colors: Vec::new(),
            missing: None,
            dashed: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    /// Printed under the chart: where every number comes from.
    pub source: String,
    pub x: Vec<String>,
    pub y_label: String,
    pub y_format: YFormat,
    pub series: Vec<Series>,
    /// Horizontal reference lines (value, label).
    pub rules: Vec<(f64, String)>,
}

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn nice_step(max: f64) -> f64 {
    let raw = max / 5.0;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 2.5 {
        2.5
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

pub fn fmt_y(v: f64, f: YFormat) -> String {
    match f {
        YFormat::Usd if v.abs() >= 1e9 => format!("${:.1}bn", v / 1e9),
        YFormat::Usd if v == 0.0 => "0".into(),
        YFormat::Usd => format!("${:.0}m", v / 1e6),
        YFormat::Percent => format!("{:.0}%", v * 100.0),
        YFormat::Days => format!("{v:.0}"),
    }
}

/// Wraps text at about `width` characters.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for w in text.split_whitespace() {
        if !cur.is_empty() && cur.len() + w.len() + 1 > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(w);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Where the plot area puts a value and a category: the plot's size, the width of one
/// category's slot, and the value at the top of the y axis.
#[derive(Clone, Copy)]
struct Frame {
    plot_w: f64,
    plot_h: f64,
    slot: f64,
    top: f64,
}

impl Frame {
    /// The height of value `v`.
    #[inline]
    fn y(&self, v: f64) -> f64 {
        TOP + self.plot_h - (v / self.top) * self.plot_h
    }

    /// The middle of category `i`.
    #[inline]
    fn cx(&self, i: usize) -> f64 {
        LEFT + self.slot * (i as f64 + 0.5)
    }
}

/// A direct label in the right margin: its height, its wrapped lines, and the colour and
/// kind of mark beside it (`None` for a rule's label; `Some(Kind::Bars)` for a legend
/// entry, which has no height of its own until placed).
struct MarginLabel<'a> {
    y: f64,
    lines: Vec<String>,
    color: &'a str,
    kind: Option<Kind>,
}

impl Chart {
    pub fn to_svg(&self) -> String {
        let mut s = String::new();
        let source_lines = wrap(&format!("Source: {}", self.source), 150);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let n = self.x.len().max(1) as f64;
        let slot = plot_w / n;
        // Category labels are wrapped to the slot and never cut: a fourth line, when one
        // is needed, moves the source down.
        let x_labels: Vec<Vec<String>> = self
            .x
            .iter()
            .map(|l| wrap(l, (slot / 7.0).max(6.0) as usize))
            .collect();
        let label_rows = x_labels.iter().map(Vec::len).max().unwrap_or(1);
        let extra = 14.0 * label_rows.saturating_sub(3) as f64;
        let height = HEIGHT + extra + 14.0 * source_lines.len().saturating_sub(2) as f64;
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}" font-size="12">"#
        );
        let _ = write!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
        for (k, line) in wrap(&self.title, 74).iter().take(2).enumerate() {
            let _ = write!(
                s,
                r##"<text x="{LEFT}" y="{}" font-size="16" font-weight="bold" fill="#222">{}</text>"##,
                24 + 20 * k,
                escape(line)
            );
        }
        let (top, step) = self.y_scale();
        let f = Frame {
            plot_w,
            plot_h,
            slot,
            top,
        };
        self.write_axes(&mut s, &f, step, &x_labels);
        self.write_bars(&mut s, &f);
        self.write_lines_and_points(&mut s, &f);
        for (v, _) in &self.rules {
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#D55E00" stroke-dasharray="4,3"/>"##,
                f.y(*v),
                LEFT + plot_w,
                f.y(*v)
            );
        }
        let mut labels = self.margin_labels(&f);
        place_labels(&mut labels, &f);
        write_labels(&mut s, &f, &labels);
        for (k, line) in source_lines.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="12" y="{:.1}" fill="#555" font-size="10.5">{}</text>"##,
                HEIGHT + extra - 26.0 + 14.0 * k as f64,
                escape(line)
            );
        }
        s.push_str("</svg>");
        s
    }

    /// The top of the y axis and its tick step: a round step, the top the first tick at or
    /// over every value, whisker end and rule.
    fn y_scale(&self) -> (f64, f64) {
        let maxv = self
            .series
            .iter()
            .flat_map(|se| {
                se.values
                    .iter()
                    .flatten()
                    .copied()
                    .chain(se.ranges.iter().flatten().map(|r| r.1))
            })
            .chain(self.rules.iter().map(|r| r.0))
            .fold(0.0f64, f64::max);
        let step = if maxv > 0.0 { nice_step(maxv) } else { 1.0 };
        let top = (maxv / step).ceil().max(1.0) * step;
        (top, step)
    }

    /// Grid lines with the y ticks, the y axis label, the category labels and the x axis.
    fn write_axes(&self, s: &mut String, f: &Frame, step: f64, x_labels: &[Vec<String>]) {
        // Grid and y ticks.
        let mut t = 0.0;
        while t <= f.top + step / 2.0 {
            let yy = f.y(t);
            let _ = write!(
                s,
                r##"<line x1="{LEFT}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#e3e3e3"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#444">{}</text>"##,
                LEFT + f.plot_w,
                LEFT - 8.0,
                yy + 4.0,
                fmt_y(t, self.y_format)
            );
            t += step;
        }
        let _ = write!(
            s,
            r##"<text transform="translate(22,{:.1}) rotate(-90)" text-anchor="middle" fill="#444">{}</text>"##,
            TOP + f.plot_h / 2.0,
            escape(&self.y_label)
        );
        for (i, lines) in x_labels.iter().enumerate() {
            for (k, line) in lines.iter().enumerate() {
                let _ = write!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#444">{}</text>"##,
                    f.cx(i),
                    TOP + f.plot_h + 18.0 + 14.0 * k as f64,
                    escape(line)
                );
            }
        }
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#888"/>"##,
            TOP + f.plot_h,
            LEFT + f.plot_w,
            TOP + f.plot_h
        );
    }

    /// The bar series side by side in each slot. Series without any value are legend
    /// entries only and take no room.
    fn write_bars(&self, s: &mut String, f: &Frame) {
        let bars: Vec<&Series> = self
            .series
            .iter()
            .filter(|se| se.kind == Kind::Bars && se.values.iter().any(Option::is_some))
            .collect();
        let bw = (f.slot * 0.8) / bars.len().max(1) as f64;
        for (b, se) in bars.iter().enumerate() {
            for (i, v) in se.values.iter().enumerate() {
                let x0 = LEFT + f.slot * i as f64 + f.slot * 0.1 + bw * b as f64;
                self.write_bar(s, f, se, i, *v, x0, bw);
            }
        }
    }

    /// One bar of series `se` at category `i`, left edge `x0`, width `bw`: the bar with
    /// its value over it (where it fits) and its whisker, or the series' "missing" text.
    #[allow(clippy::too_many_arguments)]
    fn write_bar(
        &self,
        s: &mut String,
        f: &Frame,
        se: &Series,
        i: usize,
        v: Option<f64>,
        x0: f64,
        bw: f64,
    ) {
        if let (None, Some(m)) = (v, &se.missing) {
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#888" font-size="11">{}</text>"##,
                x0 + bw / 2.0,
                TOP + f.plot_h - 6.0,
                escape(m)
            );
        }
        if let Some(v) = v {
            let _ = write!(
                s,
                r#"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                f.y(v),
                (bw - 2.0).max(1.0),
                (TOP + f.plot_h - f.y(v)).max(0.0),
                se.colors
                    .get(i)
                    .cloned()
                    .flatten()
                    .unwrap_or_else(|| se.color.clone()),
                escape(&se.name),
                fmt_y(v, self.y_format)
            );
        }
        // The value over the bar (over the whisker when there is one), where the
        // bar is wide enough to hold it.
        if let (Some(v), true) = (v, bw >= 30.0) {
            let top_of = se
                .ranges
                .get(i)
                .copied()
                .flatten()
                .map_or(v, |(_, hi)| hi.max(v));
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#333" font-size="10">{}</text>"##,
                x0 + (bw - 2.0) / 2.0,
                f.y(top_of) - 5.0,
                fmt_y(v, self.y_format)
            );
        }
        if let Some(Some((lo, hi))) = se.ranges.get(i) {
            let xm = x0 + (bw - 2.0) / 2.0;
            let _ = write!(
                s,
                r##"<line x1="{xm:.1}" y1="{:.1}" x2="{xm:.1}" y2="{:.1}" stroke="#222" stroke-width="1.5"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#222"/><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#222"/>"##,
                f.y(*lo),
                f.y(*hi),
                xm - 5.0,
                f.y(*lo),
                xm + 5.0,
                f.y(*lo),
                xm - 5.0,
                f.y(*hi),
                xm + 5.0,
                f.y(*hi)
            );
        }
    }

    /// Line series as paths broken where a value is missing, and a point on every value of
    /// line and point series.
    fn write_lines_and_points(&self, s: &mut String, f: &Frame) {
        for se in self.series.iter().filter(|se| se.kind != Kind::Bars) {
            if se.kind == Kind::Line {
                let mut path = String::new();
                let mut pen = false;
                for (i, v) in se.values.iter().enumerate() {
                    match v {
                        Some(v) => {
                            let _ = write!(
                                path,
                                "{}{:.1},{:.1} ",
                                if pen { "L" } else { "M" },
                                f.cx(i),
                                f.y(*v)
                            );
                            pen = true;
                        }
                        None => pen = false,
                    }
                }
                let dash = if se.dashed {
                    r#" stroke-dasharray="6,4""#
                } else {
                    ""
                };
                let _ = write!(
                    s,
                    r#"<path d="{path}" fill="none" stroke="{}" stroke-width="2.5"{dash}/>"#,
                    se.color
                );
            }
            for (i, v) in se.values.iter().enumerate() {
                if let Some(v) = v {
                    let _ = write!(
                        s,
                        r##"<circle cx="{:.1}" cy="{:.1}" r="{}" fill="{}" stroke="#fff"><title>{}: {}</title></circle>"##,
                        f.cx(i),
                        f.y(*v),
                        if se.kind == Kind::Points { 6 } else { 4 },
                        se.color,
                        escape(&se.name),
                        fmt_y(*v, self.y_format)
                    );
                }
            }
        }
    }

    /// Direct labels in the right margin, each at the height of what it names (a line's or
    /// points' last value, a rule's value); bar series with a value each and per-bar
    /// colours get a legend entry instead, when there are several.
    fn margin_labels(&self, f: &Frame) -> Vec<MarginLabel<'_>> {
        let mut labels: Vec<MarginLabel> = Vec::new();
        for se in self.series.iter().filter(|se| se.kind != Kind::Bars) {
            if let Some(v) = se.values.iter().rev().flatten().next() {
                labels.push(MarginLabel {
                    y: f.y(*v) + 4.0,
                    lines: wrap(&se.name, 30),
                    color: &se.color,
                    kind: Some(se.kind),
                });
            }
        }
        for (v, label) in &self.rules {
            labels.push(MarginLabel {
                y: f.y(*v) + 4.0,
                lines: wrap(label, 34),
                color: "#D55E00",
                kind: None,
            });
        }
        let legend: Vec<&Series> = self
            .series
            .iter()
            .filter(|se| se.kind == Kind::Bars && se.colors.iter().all(Option::is_none))
            .collect();
        if legend.len() > 1 {
            for se in legend {
                labels.push(MarginLabel {
                    y: f64::INFINITY,
                    lines: wrap(&se.name, 30),
                    color: &se.color,
                    kind: Some(Kind::Bars),
                });
            }
        }
        labels
    }
}

/// Legend entries (no height of their own) go first, from the top; the labels follow at
/// their heights, pushed down past each other, then back up where they would fall below
/// the plot. Sorts `labels` by height.
fn place_labels(labels: &mut [MarginLabel<'_>], f: &Frame) {
    let mut next_free = TOP + 6.0;
    for l in labels.iter_mut().filter(|l| !l.y.is_finite()) {
        l.y = next_free + 4.0;
        next_free = l.y + 14.0 * l.lines.len() as f64 + 6.0;
    }
    let legend_bottom = next_free;
    labels.sort_by(|a, b| a.y.total_cmp(&b.y));
    for l in labels.iter_mut().filter(|l| l.kind != Some(Kind::Bars)) {
        l.y = l.y.max(next_free);
        next_free = l.y + 14.0 * l.lines.len() as f64 + 4.0;
    }
    let mut floor = TOP + f.plot_h + 4.0;
    for l in labels
        .iter_mut()
        .rev()
        .filter(|l| l.kind != Some(Kind::Bars))
    {
        let h = 14.0 * l.lines.len() as f64 + 4.0;
        if l.y + h > floor {
            l.y = (floor - h).max(legend_bottom);
        }
        floor = l.y;
    }
}

/// The placed margin labels, each with its mark: a swatch for bars, a stroke for a line,
/// a dot for points, none for a rule.
fn write_labels(s: &mut String, f: &Frame, labels: &[MarginLabel<'_>]) {
    let lx = LEFT + f.plot_w + 8.0;
    for l in labels {
        let (text_x, mark) = match l.kind {
            None => (lx, String::new()),
            Some(Kind::Bars) => (
                lx + 18.0,
                format!(
                    r#"<rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{}"/>"#,
                    l.y - 10.0,
                    l.color
                ),
            ),
            Some(Kind::Line) => (
                lx + 18.0,
                format!(
                    r#"<line x1="{lx:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{}" stroke-width="3"/>"#,
                    l.y - 4.0,
                    lx + 12.0,
                    l.y - 4.0,
                    l.color
                ),
            ),
            Some(Kind::Points) => (
                lx + 18.0,
                format!(
                    r#"<circle cx="{:.1}" cy="{:.1}" r="5" fill="{}"/>"#,
                    lx + 6.0,
                    l.y - 4.0,
                    l.color
                ),
            ),
        };
        s.push_str(&mark);
        // Rule labels take the rule's colour; series names stay dark for contrast
        // (some palette colours are too light for text) beside their coloured mark.
        let fill = if l.kind.is_none() { l.color } else { "#222" };
        for (k, line) in l.lines.iter().enumerate() {
            let _ = write!(
                s,
                r##"<text x="{text_x:.1}" y="{:.1}" fill="{fill}" font-size="11">{}</text>"##,
                l.y + 14.0 * k as f64,
                escape(line)
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(100.0), 20.0);
        assert_eq!(nice_step(3.6e9), 1e9);
        assert_eq!(fmt_y(2.5e9, YFormat::Usd), "$2.5bn");
        assert_eq!(fmt_y(0.5, YFormat::Percent), "50%");
    }

    #[test]
    fn svg_escapes_and_contains_series() {
        let c = Chart {
            title: "A & B".into(),
            source: "x <y>".into(),
            x: vec!["2016".into(), "2017".into()],
            y_label: "USD".into(),
            y_format: YFormat::Usd,
            series: vec![Series::new(
                "s1",
                Kind::Bars,
                PALETTE[0],
                vec![Some(1e9), None],
            )],
            rules: vec![],
        };
        let svg = c.to_svg();
        assert!(svg.contains("A &amp; B"));
        assert!(svg.contains("Source: x &lt;y&gt;"));
        // One bar; a single series needs no legend.
        assert_eq!(svg.matches("<rect x=").count(), 1);
        assert!(svg.contains(">$1.0bn</text>"), "the bar carries its value");
    }
}
