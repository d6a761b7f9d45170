// The embargo web page: tabs over the JSON API of the same server. Vanilla JS, no build.
// Deep links fill and submit a form, e.g. #check?hs=2701&origin=KP&destination=CN&date=2017-09-15
// or #screen?name=KIM%20JONG%20UN (the end-to-end test uses them).
"use strict";

const $ = (sel) => document.querySelector(sel);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else el.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null) continue;
    el.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
  return el;
}

// Replace a container's children, skipping the null/false placeholders of optional parts
// (replaceChildren itself would print them as text).
function put(container, ...children) {
  container.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// The API key typed in the header box, kept for this tab only (sessionStorage).
const KEY_STORE = "embargo-api-key";

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) {
    opts.headers["content-type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const key = sessionStorage.getItem(KEY_STORE);
  if (key) opts.headers["x-api-key"] = key;
  const resp = await fetch(path, opts);
  const text = await resp.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { json = null; }
  return { ok: resp.ok, status: resp.status, json, text };
}

function showError(container, r) {
  const e = (r.json && r.json.error) || { status: r.status, code: "error", message: r.text };
  put(container, h("div", { class: "error" },
    `${e.status} ${e.code}: ${e.message}`, e.field ? ` (field: ${e.field})` : ""));
}

function setStatus(text) {
  $("#status").textContent = text;
}

function usd(v) {
  if (v === null || v === undefined) return "—";
  const a = Math.abs(v);
  if (a >= 1e9) return `USD ${(v / 1e9).toFixed(2)}bn`;
  if (a >= 1e6) return `USD ${(v / 1e6).toFixed(1)}m`;
  return `USD ${Math.round(v).toLocaleString("en-US")}`;
}

function range(r) {
  if (!r) return "—";
  if (r.low === r.high) return usd(r.central);
  return `${usd(r.low)} – ${usd(r.high)} (central ${usd(r.central)})`;
}

const para = (p) => EmbargoCharts.paragraphName(p);

// HS chapter and heading descriptions, fetched once: code → {code, edition, description}.
let hsNamesPromise = null;
function hsNames() {
  if (!hsNamesPromise) {
    hsNamesPromise = api("GET", "/api/v1/regime/hs").then((r) =>
      new Map(r.ok ? r.json.names.map((n) => [n.code, n]) : []));
  }
  return hsNamesPromise;
}

// What a code names: a six-digit code by its heading, a heading or chapter by itself.
function hsName(names, code) {
  const c = String(code);
  return names.get(c.length === 6 ? c.slice(0, 4) : c) || null;
}

// An HS scope entry as "2701" with its description on hover ("84-85" ranges as they are).
function hsCell(names, entries) {
  return (entries || []).map((e, i) => {
    const code = e.spec.code || `${String(e.spec.from).padStart(2, "0")}-${String(e.spec.to).padStart(2, "0")}`;
    const n = e.spec.code ? hsName(names, e.spec.code) : null;
    return h("span", {}, i ? ", " : "",
      n ? h("abbr", { title: `${n.description} (HS ${n.edition})` }, code) : code,
      e.partial ? "*" : "");
  });
}

function confidenceBadge(c) {
  return h("span", { class: `conf conf-${c}` }, c);
}

// ---- tabs and deep links ------------------------------------------------------------

const loaded = {};

function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const [tab, query] = raw.split("?");
  return { tab: tab || "regime", params: new URLSearchParams(query || "") };
}

function showTab() {
  const { tab, params } = parseHash();
  for (const s of document.querySelectorAll(".tab")) s.hidden = s.id !== `tab-${tab}`;
  for (const a of document.querySelectorAll("#tabs a[data-tab]")) {
    a.classList.toggle("active", a.dataset.tab === tab);
  }
  if (!loaded[tab] && LOADERS[tab]) {
    loaded[tab] = true;
    LOADERS[tab]();
  }
  const form = $(`#${tab}-form`);
  if (form && [...params.keys()].length) {
    for (const [k, v] of params) {
      if (form.elements[k]) form.elements[k].value = v;
    }
    form.requestSubmit();
  }
}

// ---- regime -------------------------------------------------------------------------

async function loadRegime() {
  const r = await api("GET", "/api/v1/regime/timeline");
  if (!r.ok) return showError($("#regime-steps"), r);
  const range = { from: "2006-01-01", to: "2021-01-01" };
  EmbargoCharts.drawSteps($("#regime-steps"), r.json, range);
  EmbargoCharts.drawGantt($("#regime-gantt"), r.json, range);
  $("#asof-form").requestSubmit();
}

function measureRow(names, m) {
  return h("tr", {},
    h("td", {}, m.resolution),
    h("td", {}, para(m.paragraph)),
    h("td", {}, h("span", { class: "kind", style: `background:${EmbargoCharts.kindColour(m.kind)}` }, m.kind)),
    h("td", {}, m.title),
    h("td", { class: "hs" }, hsCell(names, m.hs)),
    h("td", {}, m.effective_from),
    h("td", {}, m.effective_until || ""),
    h("td", {}, confidenceBadge(m.confidence)));
}

async function submitAsOf(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const asOf = f.as_of.value;
  const r = await api("GET", `/api/v1/regime/measures?as_of=${encodeURIComponent(asOf)}`);
  if (!r.ok) return showError($("#asof-summary"), r);
  const names = await hsNames();
  put($("#asof-summary"), h("p", {}, `${r.json.count} measures in force on ${asOf}. Hover an HS code for what it names; * marks a code broader than the goods.`));
  put($("#asof-table"),
    h("thead", {}, h("tr", {}, ["Res.", "Para.", "Kind", "Measure", "HS", "From", "Until", "Confidence"].map((t) => h("th", {}, t)))),
    h("tbody", {}, r.json.measures.map((m) => measureRow(names, m))));
  if (f.from.value) {
    const d = await api("GET", `/api/v1/regime/diff?from=${encodeURIComponent(f.from.value)}&to=${encodeURIComponent(asOf)}`);
    if (!d.ok) return showError($("#asof-diff"), d);
    const item = (c, sign) => h("li", { class: sign === "+" ? "added" : "removed" },
      `${sign} ${c.measure.resolution} ${para(c.measure.paragraph)}: ${c.measure.title}`,
      c.superseded_by ? ` (superseded by ${c.superseded_by})` : "");
    put($("#asof-diff"),
      h("p", {}, `Since ${f.from.value}: ${d.json.added.length} added, ${d.json.removed.length} ended, ${d.json.unchanged} unchanged.`),
      h("ul", { class: "diff" }, d.json.added.map((c) => item(c, "+")), d.json.removed.map((c) => item(c, "−"))));
  }
}

// ---- check --------------------------------------------------------------------------

async function submitCheck(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const body = { hs: f.hs.value.trim(), origin: f.origin.value.trim().toUpperCase(),
    destination: f.destination.value.trim().toUpperCase(), date: f.date.value };
  if (f.via.value.trim()) body.via = f.via.value.trim().toUpperCase();
  if (f.quantity.value) body.quantity = Number(f.quantity.value);
  if (f.unit.value) body.unit = f.unit.value;
  if (f.value_usd.value) body.value_usd = Number(f.value_usd.value);
  const out = $("#check-result");
  const r = await api("POST", "/api/v1/check", body);
  if (!r.ok) return showError(out, r);
  const a = r.json;
  const goods = hsName(await hsNames(), body.hs);
  put(out,
    h("div", { class: `verdict verdict-${a.verdict}`, id: "verdict" }, a.verdict.toUpperCase()),
    a.rests_on_unconfirmed ? h("p", { class: "note", id: "doubt" },
      "This verdict rests only on measures whose content or paragraph number is unconfirmed: check them against the resolution text.") : null,
    h("p", {}, `HS ${body.hs}, ${body.origin} → ${body.destination}${body.via ? " via " + body.via : ""}, ${body.date}`,
      a.directions.length ? ` (${a.directions.join(", ")})` : ""),
    goods ? h("p", { id: "goods" }, h("b", {}, `HS ${goods.code}: `), goods.description,
      h("span", { class: "hs-desc" }, ` (HS ${goods.edition} ${goods.code.length === 2 ? "chapter" : "heading"})`)) : null,
    a.citations.length ? h("h3", {}, "Citations") : null,
    a.citations.length ? h("table", { class: "data" },
      h("thead", {}, h("tr", {}, ["Resolution", "Paragraph", "Measure", "Kind", "Confidence"].map((t) => h("th", {}, t)))),
      h("tbody", {}, a.citations.map((c) => h("tr", {},
        h("td", {}, c.resolution), h("td", {}, para(c.paragraph)), h("td", {}, c.title),
        h("td", {}, c.kind), h("td", {}, confidenceBadge(c.confidence)))))) : null,
    a.conditions.length ? h("h3", {}, "Conditions") : null,
    a.conditions.length ? h("ul", {}, a.conditions.map((c) =>
      h("li", {}, h("b", {}, `${c.kind} — ${c.citation}: `), c.text, " ", confidenceBadge(c.confidence)))) : null,
    a.unscoped && a.unscoped.length ? h("p", { class: "note" },
      "Also in force, without HS scope (check by description): ",
      a.unscoped.map((c) => `${c.resolution} ${para(c.paragraph)} ${c.title}`).join("; ")) : null,
    a.notes.length ? h("ul", { class: "note" }, a.notes.map((n) => h("li", {}, n))) : null);
}

// ---- screening ----------------------------------------------------------------------

let screeningAvailable = false;

async function loadScreen() {
  const doc = await api("GET", "/openapi.json");
  screeningAvailable = !!(doc.ok && doc.json.paths["/api/v1/screen"]);
  $("#screen-unavailable").hidden = screeningAvailable;
  $("#screen-form").hidden = !screeningAvailable;
  if (!screeningAvailable) return;
  const lists = await api("GET", "/api/v1/lists");
  if (lists.ok) {
    const parts = (lists.json.lists || []).map((l) => `${l.source.toUpperCase()} ${l.version} (${l.entities} entries)`);
    $("#screen-lists").textContent = parts.length ? `Active lists: ${parts.join(" · ")}` : "No list imported yet.";
  }
}

function explanationItem(x) {
  const sign = x.contribution > 0 ? "+" : "";
  return h("li", {}, h("b", {}, x.feature), `: ${x.detail || ""}`,
    ` (${sign}${Number(x.contribution).toFixed(3)})`);
}

// The word pairs behind a name score, as the command line prints them:
// "KWANGSON ~ KWANGSON (exact, similarity 1.00, weight 0.71)".
function pairsList(name) {
  if (!name || !Array.isArray(name.pairs) || !name.pairs.length) return null;
  const unmatched = [];
  if (name.unmatched_query && name.unmatched_query.length) unmatched.push(`query: ${name.unmatched_query.join(", ")}`);
  if (name.unmatched_candidate && name.unmatched_candidate.length) unmatched.push(`listed: ${name.unmatched_candidate.join(", ")}`);
  return h("ul", { class: "pairs" },
    name.pairs.map((p) => h("li", {},
      `${p.query} ~ ${p.candidate} (${p.relation}, similarity ${Number(p.similarity).toFixed(2)}, weight ${Number(p.weight).toFixed(2)})`)),
    unmatched.length ? h("li", {}, `unmatched — ${unmatched.join("; ")}`) : null);
}

function hitCard(m) {
  const ex = m.explanation || {};
  const features = Array.isArray(ex.features) ? ex.features : [];
  const regime = m.regime;
  return h("div", { class: "hit" },
    h("div", { class: "hit-head" },
      h("span", { class: "score" }, Number(m.score).toFixed(3)),
      h("b", {}, m.name), ` — ${m.source.toUpperCase()} ${m.id}`,
      m.schema ? ` (${m.schema})` : "", ` · ${m.decision.replace("_", " ")}`),
    ex.matched_name ? h("p", {}, `Matched name: ${ex.matched_name}`,
      ex.name_kind ? ` (${ex.name_kind.replace("_", " ")})` : "",
      ex.query_form ? ` · query compared as ${ex.query_form}` : "",
      ex.name_score !== undefined ? ` · name score ${Number(ex.name_score).toFixed(3)}` : "") : null,
    pairsList(ex.name),
    features.length ? h("ul", { class: "factors" }, features.map(explanationItem)) : null,
    h("p", { class: "note" }, m.listed_on ? `Listed on ${m.listed_on}` : "Listing date not given",
      m.programs && m.programs.length ? ` · ${m.programs.join(", ")}` : ""),
    regime ? h("div", { class: "regime-link" },
      h("p", {}, h("b", {}, `Why it matters (${regime.regime}, ${regime.target}): `), regime.note || ""),
      regime.measures && regime.measures.length ? h("ul", {}, regime.measures.map((c) =>
        h("li", {}, `${c.resolution} ${para(c.paragraph)} — ${c.title} `, confidenceBadge(c.confidence),
          c.in_force === false ? " (not in force on the date)" : ""))) : null) : null);
}

async function submitScreen(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const body = { name: f.name.value.trim() };
  for (const k of ["schema", "dob", "country", "imo"]) if (f[k].value.trim()) body[k] = f[k].value.trim();
  const out = $("#screen-result");
  if (!body.name && !body.imo) {
    return put(out, h("div", { class: "error" }, "Give a name, an IMO number, or both."));
  }
  const r = await api("POST", "/api/v1/screen", body);
  if (!r.ok) return showError(out, r);
  const s = r.json;
  put(out,
    h("div", { class: `verdict decision-${s.decision}`, id: "decision" }, s.decision.replace("_", " ").toUpperCase()),
    h("p", { class: "note" }, `Query: ${s.query.name}`, ` · audit record #${s.audit_seq}`,
      ` · lists: ${Object.entries(s.list_versions || {}).map(([k, v]) => `${k} ${v}`).join(", ")}`),
    hitsView(s.matches));
}

// Matches and review candidates in full; candidates below the review threshold folded
// into one line that opens on a click.
function hitsView(matches) {
  const shown = matches.filter((m) => m.decision !== "no_match");
  const folded = matches.filter((m) => m.decision === "no_match");
  return h("div", { id: "hits" },
    shown.length ? shown.map(hitCard) : h("p", {}, "No candidate above the review threshold."),
    folded.length ? h("details", { class: "no-match" },
      h("summary", {}, `${folded.length} candidate${folded.length === 1 ? "" : "s"} below the review threshold`),
      folded.map(hitCard)) : null);
}

// ---- report -------------------------------------------------------------------------

async function loadReport() {
  const [charts, report] = await Promise.all([api("GET", "/api/v1/report/charts"), api("GET", "/api/v1/report")]);
  if (!charts.ok) return showError($("#report-charts"), charts);
  if (!report.ok) return showError($("#report-summary"), report);
  const rep = report.json;
  $("#report-dataset").textContent = `Dataset: ${rep.dataset}. Category rows are published categories, not HS-level statistics.`;
  const relief = rep.relief;
  put($("#report-summary"), h("ul", { class: "summary" },
    h("li", {}, `Relief (${relief.proposal.title || relief.proposal.name || "proposal"}): goods ${range(relief.goods_restored)}; total ${range(relief.total)}`),
    relief.goods_share ? h("li", {}, `Share of pre-sanction exports restored: ${(relief.goods_share.low * 100).toFixed(0)}–${(relief.goods_share.high * 100).toFixed(0)}%`) : null,
    h("li", {}, `Workers' earnings: ${range(rep.workers.earnings || rep.workers.range)}`),
    h("li", {}, `Compliance signals: ${rep.signals.post_ban.length} post-ban flows, ${rep.signals.caps.length} cap uses, ${rep.signals.leakage.length} leakage findings`)));
  const wrap = $("#report-charts");
  put(wrap);
  for (const c of charts.json.charts) {
    // The SVG carries its own title and source line (drawn by embargo-analysis).
    const fig = h("figure", { class: "report-chart", id: `chart-${c.id}`, "aria-label": c.title });
    wrap.appendChild(fig);
    const svg = await fetch(c.url).then((r) => (r.ok ? r.text() : ""));
    const holder = h("div", { class: "svg-holder" });
    holder.innerHTML = svg; // our own server's chart, drawn by embargo-analysis
    fig.appendChild(holder);
  }
  const t = rep.timeline;
  put($("#report-lags"),
    h("thead", {}, h("tr", {}, ["Resolution", "Trigger", "Adopted", "Days", "Administration"].map((x) => h("th", {}, x)))),
    h("tbody", {}, t.lags.map((l) => h("tr", {},
      h("td", {}, l.resolution), h("td", {}, `${l.trigger} ${l.trigger_event}`), h("td", {}, l.adopted),
      h("td", { class: "num" }, l.days), h("td", {}, l.administration || "")))),
    h("tfoot", {}, t.means.map((m) => h("tr", {},
      h("td", { colspan: 3 }, `Mean, ${m.administration}: ${m.label} (${m.resolutions.join(", ")})`),
      h("td", { class: "num" }, m.mean_days.toFixed(1)),
      h("td", {}, m.published !== null && m.published !== undefined ? `published: ${m.published}` : "")))));
}

// ---- relief -------------------------------------------------------------------------

// A lift's publications (each once) and notes, on two lines when there are both.
function sourcesAndNotes(l) {
  const sources = [...new Set((l.estimates || []).flatMap((e) => e.sources))].join("; ");
  const notes = (l.notes || []).join(" · ");
  return sources && notes ? [sources, h("br"), notes] : [sources || notes];
}

async function submitRelief(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const q = new URLSearchParams({ proposal: f.proposal.value, include_disputed: f.include_disputed.value });
  if (f.baseline.value.trim()) q.set("baseline", f.baseline.value.trim());
  const out = $("#relief-result");
  const r = await api("GET", `/api/v1/relief?${q}`);
  if (!r.ok) return showError(out, r);
  const rel = r.json.relief || r.json;
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const [b0, b1] = rel.baseline;
  put(out,
    h("p", { id: "relief-total" }, h("b", {}, `Restored per year: ${range(rel.total)}`),
      rel.goods_share ? ` · goods ${pct(rel.goods_share.central)} of pre-sanction exports` : "",
      ` · baseline ${b0 === b1 ? b0 : `${b0}–${b1}`}`),
    h("p", { class: "note" }, `${rel.proposal.title}; ${rel.proposal.status}. Sources: ${rel.proposal.sources.join("; ")}.`),
    h("table", { class: "data", id: "relief-table" },
      h("thead", {}, h("tr", {}, ["Lifted", "Kind", "Restored per year", "Share of pre-sanction exports", "Confidence", "Sources and notes"].map((t) => h("th", {}, t)))),
      h("tbody", {}, rel.lifts.map((l) => h("tr", {},
        h("td", {}, `${l.citation} ${l.label}`, l.applied ? "" : " (not counted)"),
        h("td", {}, l.kind),
        h("td", { class: "num" }, l.restored ? range(l.restored) : (l.kind === "labour" ? "see workers" : "no figure")),
        h("td", { class: "num" }, l.share ? pct(l.share.central) : "—"),
        h("td", {}, confidenceBadge(l.confidence)),
        h("td", { class: "note" }, ...sourcesAndNotes(l)))))),
    rel.labour ? h("p", {}, `Workers abroad (${rel.labour.lifts.join(" + ")}): ${range(rel.labour.earnings)} — ${rel.labour.sources.join("; ")}`) : null);
}

// ---- network ------------------------------------------------------------------------

async function submitNetwork(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const q = f.as_of.value ? `?as_of=${encodeURIComponent(f.as_of.value)}` : "";
  const out = $("#network-result");
  const r = await api("GET", `/api/v1/network/exposure/${encodeURIComponent(f.entity.value.trim())}${q}`);
  if (!r.ok) return showError(out, r);
  const e = r.json;
  const blocked = e.status === "blocked";
  put(out,
    h("div", { class: `verdict ${blocked ? "verdict-prohibited" : "verdict-permitted"}`, id: "network-status" },
      blocked ? "BLOCKED (50% RULE)" : e.status.replace("_", " ").toUpperCase()),
    h("p", {}, h("b", {}, e.target.name), ` (${e.target.id}) as of ${e.as_of}: blocked persons own ${e.blocked_share_pct.toFixed(2)}%`,
      e.blocked_share_upper_pct !== e.blocked_share_pct ? ` (up to ${e.blocked_share_upper_pct.toFixed(2)}% with unknown shares)` : "",
      `; look-through ${e.look_through_pct.toFixed(2)}% (for information).`),
    h("h3", {}, "Direct owners"),
    h("table", { class: "data", id: "network-owners" },
      h("thead", {}, h("tr", {}, ["Owner", "Share", "Status", "Source"].map((t) => h("th", {}, t)))),
      h("tbody", {}, e.direct_owners.map((o) => h("tr", {},
        h("td", {}, o.owner.name, h("span", { class: "note" }, ` ${o.owner.id}`)),
        h("td", { class: "num" }, o.share_pct === null || o.share_pct === undefined ? "unknown" : `${o.share_pct}%`),
        h("td", {}, o.owner_status.replace("_", " ")),
        h("td", { class: "note" }, `${o.source} (${o.origin})`))))),
    e.paths && e.paths.length ? h("h3", {}, "Paths to designees") : null,
    e.paths && e.paths.length ? h("ul", {}, e.paths.map((p) => h("li", {}, chain(p.steps)))) : null);
}

// "A —60%→ B —50%→ C": one path from a designee down to the entity.
function chain(steps) {
  if (!steps.length) return "";
  const share = (s) => (s.share_pct === null || s.share_pct === undefined ? s.relation : `${s.share_pct}%`);
  return [steps[0].from.name, ...steps.map((s) => ` —${share(s)}→ ${s.to.name}`)].join("");
}

// ---- vessel -------------------------------------------------------------------------

async function submitVessel(ev) {
  ev.preventDefault();
  const imo = ev.target.elements.imo.value.trim().replace(/^IMO\s*/i, "");
  const out = $("#vessel-result");
  const r = await api("GET", `/api/v1/vessels/${encodeURIComponent(imo)}`);
  if (!r.ok) return showError(out, r);
  const v = r.json;
  const listed = v.designations.length > 0;
  const when = (d) => d || "undated";
  put(out,
    h("div", { class: `verdict ${listed ? "verdict-prohibited" : "verdict-permitted"}`, id: "vessel-status" },
      listed ? "DESIGNATED" : "NOT DESIGNATED"),
    h("p", {}, h("b", {}, `IMO ${v.imo}`), ` ${v.name || "(name unknown)"} · flag: ${v.current_flag || "none recorded"}`,
      v.dprk_linked ? ` · DPRK-linked (${v.dprk_linked_because.join("; ")})` : ""),
    listed ? h("ul", { id: "vessel-designations" }, v.designations.map((d) => h("li", {},
      `${d.list.toUpperCase()} ${d.reference}`, d.programs.length ? ` (${d.programs.join(", ")})` : "",
      d.listed_on ? `, listed on ${d.listed_on}` : ""))) : null,
    h("h3", {}, "Names"),
    h("table", { class: "data", id: "vessel-names" },
      h("thead", {}, h("tr", {}, ["Name", "Date", "Kind", "Source"].map((t) => h("th", {}, t)))),
      h("tbody", {}, v.names.map((n) => h("tr", {}, h("td", {}, n.name), h("td", {}, when(n.date)),
        h("td", {}, String(n.kind).replace("_", " ")), h("td", { class: "note" }, n.source))))),
    h("h3", {}, "Flags"),
    v.flags.length ? h("table", { class: "data", id: "vessel-flags" },
      h("thead", {}, h("tr", {}, ["Flag", "As written", "Date", "Source"].map((t) => h("th", {}, t)))),
      h("tbody", {}, v.flags.map((f) => h("tr", {}, h("td", {}, f.flag), h("td", {}, f.as_written),
        h("td", {}, when(f.date)), h("td", { class: "note" }, f.source))))) : h("p", { class: "note" }, "No flag recorded."),
    h("h3", {}, "Linked parties"),
    v.links.length ? h("ul", { id: "vessel-links" }, v.links.map((l) => h("li", {},
      `${String(l.relation).replace("_", " ")}: `, h("b", {}, l.name), ` (${l.id})`,
      l.designated ? " — designated" : "", h("span", { class: "note" }, ` · ${l.source}`)))) : h("p", { class: "note" }, "The lists link no party to this vessel."),
    h("h3", {}, "Signals"),
    v.signals.length ? h("ul", { id: "vessel-signals" }, v.signals.map((g) => h("li", {},
      h("b", {}, `${String(g.kind).replace(/_/g, " ")} (${g.severity})`), `: ${g.reason}`,
      g.sources.length ? h("span", { class: "note" }, ` · ${g.sources.join("; ")}`) : ""))) :
      h("p", { class: "note" }, "No signal from the records above (which says nothing of what they do not hold)."));
}

// ---- batch uploads ------------------------------------------------------------------

// Columns each kind of file may have: the ones `embargo check --batch` and
// `embargo screen --batch` read, which are the fields of the batch APIs.
const BATCH_KINDS = {
  check: { path: "/api/v1/check/batch", required: ["hs", "origin", "destination", "date"],
    columns: ["id", "hs", "origin", "destination", "date", "via", "quantity", "unit", "value_usd"],
    numbers: ["quantity", "value_usd"], file: "check-results.csv" },
  screen: { path: "/api/v1/screen/batch", required: [],
    columns: ["id", "name", "schema", "dob", "country", "imo", "passport", "date"],
    numbers: [], file: "screen-results.csv" },
};
// Rows per request (the server's --max-batch defaults to 1000) and per file on this page.
const BATCH_PART = 500;
const BATCH_MAX_ROWS = 5000;

// RFC 4180 CSV: quoted fields with "" for a quote, CRLF or LF line ends.
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows.filter((r) => r.some((f) => f.trim() !== ""));
}

function csvField(v) {
  const s = v === null || v === undefined ? "" : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

// The rows of a CSV as the batch API's items, or an error message.
function batchItems(kind, text) {
  const spec = BATCH_KINDS[kind];
  const rows = parseCsv(text.replace(/^\uFEFF/, ""));
  if (rows.length < 2) return { error: "The file has no data row under its header." };
  const header = rows[0].map((c) => c.trim().toLowerCase());
  const unknown = header.filter((c) => !spec.columns.includes(c));
  if (unknown.length) return { error: `Unknown column(s) ${unknown.join(", ")}: a ${kind} file has ${spec.columns.join(", ")}.` };
  const missing = spec.required.filter((c) => !header.includes(c));
  if (missing.length) return { error: `Missing column(s): ${missing.join(", ")}.` };
  if (kind === "screen" && !["name", "imo", "passport"].some((c) => header.includes(c))) {
    return { error: "A names file needs a name, imo or passport column." };
  }
  const data = rows.slice(1);
  if (data.length > BATCH_MAX_ROWS) {
    return { error: `${data.length} rows: this page takes up to ${BATCH_MAX_ROWS}; use embargo ${kind} --batch for larger files.` };
  }
  const items = data.map((r) => {
    const item = {};
    header.forEach((c, i) => {
      const v = (r[i] || "").trim();
      if (v === "") return;
      // A number column keeps text that is not a number, so the server names the field.
      item[c] = spec.numbers.includes(c) && v !== "" && !Number.isNaN(Number(v)) ? Number(v) : v;
    });
    return item;
  });
  return { items };
}

async function submitBatch(ev) {
  ev.preventDefault();
  const f = ev.target.elements;
  const kind = f.kind.value;
  const out = $("#batch-result");
  const file = f.file.files && f.file.files[0];
  const text = file ? await file.text() : f.csv.value;
  if (!text.trim()) return put(out, h("div", { class: "error" }, "Choose a CSV file or paste its text."));
  const { items, error } = batchItems(kind, text);
  if (error) return put(out, h("div", { class: "error", id: "batch-error" }, error));
  const spec = BATCH_KINDS[kind];
  const results = [];
  for (let start = 0; start < items.length; start += BATCH_PART) {
    put(out, h("p", { class: "note" }, `Sending rows ${start + 1}–${Math.min(start + BATCH_PART, items.length)} of ${items.length}…`));
    const r = await api("POST", spec.path, { items: items.slice(start, start + BATCH_PART) });
    if (!r.ok) return showError(out, r);
    for (const row of r.json.results) results.push({ ...row, line: start + (row.index ?? row.row) + 2, input: items[start + (row.index ?? row.row)] });
  }
  const table = kind === "check" ? checkBatchTable(results) : screenBatchTable(results);
  const csv = [table.head, ...table.rows].map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
  const url = URL.createObjectURL(new Blob([csv], { type: "text/csv" }));
  const counts = {};
  for (const r of table.rows) counts[r[table.verdictAt]] = (counts[r[table.verdictAt]] || 0) + 1;
  put(out,
    h("p", { id: "batch-summary" }, `${results.length} rows: `,
      Object.entries(counts).map(([k, n]) => `${n} ${k || "error"}`).join(", "), " · ",
      h("a", { href: url, download: spec.file, id: "batch-download" }, `download ${spec.file}`)),
    h("table", { class: "data", id: "batch-table" },
      h("thead", {}, h("tr", {}, table.head.map((t) => h("th", {}, t)))),
      h("tbody", {}, table.rows.map((r) => h("tr", {}, r.map((v, i) =>
        i === table.verdictAt && v ? h("td", {}, h("span", { class: `badge decision-${v} verdict-${v}` }, v.replace("_", " "))) :
          i === table.confidenceAt && ["confirmed", "partly", "unconfirmed"].includes(v) ? h("td", {}, confidenceBadge(v)) :
            h("td", {}, v)))))));
}

// A failed row's error, naming its field unless the message already names it.
function rowError(e) {
  return e.field && !e.message.includes(e.field) ? `${e.field}: ${e.message}` : e.message;
}

// One line per shipment: the verdict, its confidence and the citations it rests on.
function checkBatchTable(results) {
  const head = ["line", "id", "hs", "route", "date", "verdict", "confidence", "citations", "error"];
  const rows = results.map((r) => {
    const i = r.input || {};
    const a = r.assessment;
    const route = `${i.origin || ""} → ${i.destination || ""}${i.via ? " via " + i.via : ""}`;
    if (!a) return [r.line, r.id || "", i.hs || "", route, i.date || "", "", "", "", r.error ? rowError(r.error) : ""];
    const cites = a.citations.map((c) => `${c.resolution} ${para(c.paragraph)}`).join("; ");
    const conf = a.confidence || "";
    return [r.line, r.id || "", i.hs || "", route, i.date || "", a.verdict, conf + (a.rests_on_unconfirmed ? " (only unconfirmed measures behind this verdict)" : ""), cites, ""];
  });
  return { head, rows, verdictAt: 5, confidenceAt: 6 };
}

// One line per name: the decision, the top score (the confidence of the decision), the
// hits at or above the review threshold, and the measures that make them matter.
function screenBatchTable(results) {
  const head = ["line", "id", "query", "decision", "top score", "hits", "measures", "audit record", "error"];
  const rows = results.map((r) => {
    const q = r.query || (r.input && (r.input.name || (r.input.imo ? `IMO ${r.input.imo}` : r.input.passport))) || "";
    if (r.error) return [r.line, r.id || "", q, "", "", "", "", "", rowError(r.error)];
    const matches = r.matches || [];
    const shown = matches.filter((m) => m.decision !== "no_match");
    const hits = shown.map((m) => `${m.name} (${m.source.toUpperCase()} ${m.id}, ${Number(m.score).toFixed(3)})`).join("; ");
    const measures = [...new Set(shown.flatMap((m) => (m.regime && m.regime.measures ? m.regime.measures : [])
      .map((c) => `${c.resolution} ${para(c.paragraph)}`)))].join("; ");
    return [r.line, r.id || "", q, r.decision, matches.length ? Number(matches[0].score).toFixed(3) : "",
      hits, measures, r.audit_seq ?? "", ""];
  });
  return { head, rows, verdictAt: 3, confidenceAt: -1 };
}

const LOADERS = { regime: loadRegime, screen: loadScreen, report: loadReport };

document.addEventListener("DOMContentLoaded", async () => {
  $("#asof-form").addEventListener("submit", submitAsOf);
  $("#check-form").addEventListener("submit", submitCheck);
  $("#screen-form").addEventListener("submit", submitScreen);
  $("#relief-form").addEventListener("submit", submitRelief);
  $("#network-form").addEventListener("submit", submitNetwork);
  $("#vessel-form").addEventListener("submit", submitVessel);
  $("#batch-form").addEventListener("submit", submitBatch);
  const keyInput = $("#api-key");
  keyInput.value = sessionStorage.getItem(KEY_STORE) || "";
  keyInput.addEventListener("change", () => {
    if (keyInput.value) sessionStorage.setItem(KEY_STORE, keyInput.value);
    else sessionStorage.removeItem(KEY_STORE);
  });
  $("#key-box").addEventListener("submit", (ev) => ev.preventDefault());
  window.addEventListener("hashchange", showTab);
  const health = await api("GET", "/health");
  if (health.ok) {
    setStatus(`regime: ${health.json.regime.resolutions} resolutions, ${health.json.regime.measures} measures`);
  }
  if (parseHash().tab === "screen") {
    loaded.screen = true;
    await loadScreen();
  }
  showTab();
});
