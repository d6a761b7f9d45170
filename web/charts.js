// Hand-written SVG charts for the regime view (the report's charts come as SVG from the
// server, drawn by embargo-analysis). No library: a time axis, a step line, bars.
"use strict";

const SVG_NS = "http://www.w3.org/2000/svg";

function svgEl(tag, attrs, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

function dayNumber(iso) {
  return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)) / 86400000;
}

// A linear time scale between two ISO dates onto [x0, x1].
function timeScale(fromIso, toIso, x0, x1) {
  const a = dayNumber(fromIso), b = dayNumber(toIso);
  return (iso) => x0 + ((dayNumber(iso) - a) / (b - a)) * (x1 - x0);
}

function yearTicks(svg, x, fromYear, toYear, y0, y1) {
  for (let y = fromYear; y <= toYear; y++) {
    const px = x(`${y}-01-01`);
    svg.appendChild(svgEl("line", { x1: px, x2: px, y1: y0, y2: y1, class: "grid" }));
    svg.appendChild(svgEl("text", { x: px + 2, y: y1 + 12, class: "tick" }, String(y)));
  }
}

const KIND_COLOURS = {
  goods_ban: "#b3261e", cap: "#e8710a", exception: "#188038", wind_down: "#f9ab00",
  labour: "#8430ce", joint_venture: "#a142f4", services: "#1967d2", shipping: "#12b5cb",
  financial: "#3c4043", designation: "#5f6368", travel: "#80868b", listing: "#9aa0a6",
};

function kindColour(kind) {
  return KIND_COLOURS[kind] || "#70757a";
}

// Measures in force over time (a step line) with each resolution's adoption marked.
function drawSteps(container, timeline, range) {
  const W = 960, H = 220, L = 40, R = 10, T = 16, B = 24;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "steps", role: "img" });
  svg.appendChild(svgEl("title", {}, "Measures in force over time"));
  const x = timeScale(range.from, range.to, L, W - R);
  const max = Math.max(1, ...timeline.steps.map((s) => s.in_force));
  const y = (n) => H - B - (n / max) * (H - B - T);
  yearTicks(svg, x, +range.from.slice(0, 4), +range.to.slice(0, 4) - 1, T, H - B);
  for (const r of timeline.resolutions) {
    const px = x(r.adopted);
    svg.appendChild(svgEl("line", { x1: px, x2: px, y1: T, y2: H - B, class: "adoption" }));
    svg.appendChild(svgEl("text", { x: px + 2, y: T + 8, class: "label" }, r.number));
  }
  let d = `M ${x(range.from)} ${y(0)}`;
  let prev = 0;
  for (const s of timeline.steps) {
    const px = x(s.date);
    d += ` L ${px} ${y(prev)} L ${px} ${y(s.in_force)}`;
    prev = s.in_force;
  }
  d += ` L ${x(range.to)} ${y(prev)}`;
  svg.appendChild(svgEl("path", { d, class: "stepline" }));
  for (const n of [0, Math.round(max / 2), max]) {
    svg.appendChild(svgEl("text", { x: 4, y: y(n) + 4, class: "tick" }, String(n)));
  }
  svg.appendChild(svgEl("text", { x: L, y: H - 2, class: "label" }, "measures in force; vertical lines: adoptions (New York dates)"));
  container.replaceChildren(svg);
}

// One bar per measure, grouped by resolution, from effective_from to effective_until.
function drawGantt(container, timeline, range) {
  const rowH = 7, gap = 1, groupGap = 8, L = 48, R = 10, T = 6, W = 960;
  const groups = timeline.resolutions.map((r) => ({
    r, spans: timeline.spans.filter((s) => s.resolution === r.number),
  }));
  const H = T + 20 + groups.reduce((h, g) => h + g.spans.length * (rowH + gap) + groupGap, 0);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "gantt", role: "img" });
  svg.appendChild(svgEl("title", {}, "Measures by resolution over time"));
  const x = timeScale(range.from, range.to, L, W - R);
  yearTicks(svg, x, +range.from.slice(0, 4), +range.to.slice(0, 4) - 1, T, H - 20);
  let yy = T;
  for (const g of groups) {
    svg.appendChild(svgEl("text", { x: 2, y: yy + 8, class: "label" }, g.r.number));
    for (const s of g.spans) {
      const x0 = x(s.from);
      const x1 = s.until ? x(s.until) : x(range.to);
      const bar = svgEl("rect", {
        x: x0, y: yy, width: Math.max(1.5, x1 - x0), height: rowH,
        fill: kindColour(s.kind),
        class: s.confidence === "confirmed" ? "bar" : "bar doubtful",
        "data-measure": s.id,
      });
      const until = s.until ? ` until ${s.until}` : "";
      const sup = s.superseded_by ? `, superseded by ${s.superseded_by}` : "";
      bar.appendChild(svgEl("title", {}, `${s.resolution} OP${s.paragraph} — ${s.title} (${s.kind}, ${s.confidence}) from ${s.from}${until}${sup}`));
      svg.appendChild(bar);
      yy += rowH + gap;
    }
    yy += groupGap;
  }
  let lx = L;
  for (const [kind, colour] of Object.entries(KIND_COLOURS)) {
    svg.appendChild(svgEl("rect", { x: lx, y: H - 12, width: 8, height: 8, fill: colour }));
    svg.appendChild(svgEl("text", { x: lx + 11, y: H - 5, class: "tick" }, kind));
    lx += 11 + kind.length * 6 + 12;
  }
  container.replaceChildren(svg);
}

window.EmbargoCharts = { drawSteps, drawGantt, kindColour };
