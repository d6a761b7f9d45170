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

// "8(a)" → "OP8(a)"; an annex or other non-numbered part keeps its own name ("annex").
function paragraphName(p) {
  return /^[0-9]/.test(String(p)) ? `OP${p}` : String(p);
}

function kindColour(kind) {
  return KIND_COLOURS[kind] || "#70757a";
}

// Measures in force over time (a step line) with each resolution's adoption marked.
function drawSteps(container, timeline, range) {
  const W = 960, H = 240, L = 40, R = 10, T = 16, B = 24;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "steps", role: "img" });
  svg.appendChild(svgEl("title", {}, "Measures in force over time"));
  const x = timeScale(range.from, range.to, L, W - R);
  const max = Math.max(1, ...timeline.steps.map((s) => s.in_force));
  // The top 30 px hold the adoption labels.
  const y = (n) => H - B - (n / max) * (H - B - T - 30);
  yearTicks(svg, x, +range.from.slice(0, 4), +range.to.slice(0, 4) - 1, T, H - B);
  // Adoption labels take the first of three rows where they do not run into the label
  // before them (2087 and 2094 are six weeks apart; 2356 to 2397 within seven months).
  const rowEnds = [-Infinity, -Infinity, -Infinity];
  for (const r of timeline.resolutions) {
    const px = x(r.adopted);
    const width = 6 * r.number.length + 4;
    let row = rowEnds.findIndex((end) => px + 2 >= end);
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = px + 2 + width;
    svg.appendChild(svgEl("line", { x1: px, x2: px, y1: T - 6 + row * 11, y2: H - B, class: "adoption" }));
    svg.appendChild(svgEl("text", { x: px + 2, y: T + 2 + row * 11, class: "label" }, r.number));
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
  const rowH = 10, gap = 1, groupGap = 8, L = 48, R = 10, W = 960;
  const groups = timeline.resolutions.map((r) => ({
    r, spans: timeline.spans.filter((s) => s.resolution === r.number),
  }));
  // The colour key sits above the bars, clear of the year axis below them.
  const kinds = Object.entries(KIND_COLOURS);
  const T = 24;
  const axis = T + groups.reduce((h, g) => h + g.spans.length * (rowH + gap) + groupGap, 0);
  const H = axis + 16;
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, class: "gantt", role: "img" });
  svg.appendChild(svgEl("title", {}, "Measures by resolution over time"));
  const x = timeScale(range.from, range.to, L, W - R);
  yearTicks(svg, x, +range.from.slice(0, 4), +range.to.slice(0, 4) - 1, T, axis);
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
      bar.appendChild(svgEl("title", {}, `${s.resolution} ${paragraphName(s.paragraph)} — ${s.title} (${s.kind}, ${s.confidence}) from ${s.from}${until}${sup}`));
      svg.appendChild(bar);
      // The paragraph on the bar where it fits, so the chart reads without hovering.
      const label = paragraphName(s.paragraph);
      if (x1 - x0 > 6 * label.length + 8) {
        svg.appendChild(svgEl("text", { x: x0 + 3, y: yy + rowH - 2, class: "bar-label" }, label));
      }
      yy += rowH + gap;
    }
    yy += groupGap;
  }
  let lx = L;
  for (const [kind, colour] of kinds) {
    svg.appendChild(svgEl("rect", { x: lx, y: 4, width: 8, height: 8, fill: colour }));
    svg.appendChild(svgEl("text", { x: lx + 11, y: 11, class: "tick" }, kind.replace("_", " ")));
    lx += 11 + kind.length * 6 + 12;
  }
  container.replaceChildren(svg);
}

window.EmbargoCharts = { drawSteps, drawGantt, kindColour, paragraphName };
