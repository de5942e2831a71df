"use strict";
// The Symbiosis page: a bundled cluster's exchange network at the positions the server computed
// (a spring layout with a fixed seed), drawn by plotly.js: zoom and pan, every facility and
// exchange named on hover, a search that finds a facility and shows its exchanges; one
// resource's flows as a Sankey diagram; a facility's shutdown assessed on request. Every figure
// has a title and a description, and the same figures are in a table.

const HIGHLIGHT = "#0b5cad", OTHER = "#8c959f", DOWN = "#a40e26", HIT = "#b35900", SUPPLIER = "#116329";
//: facilities named on the network without pointing at them: the most connected ones
const LABELLED = 12;
let view = null;
// what the network shows: the chosen resource's exchanges, or a found facility's, and a shutdown
const state = { resource: null, facility: null, shutdown: null };

// Three significant figures, as the server rounds them.
const amount = (v) => number(v, Math.abs(v) >= 100 || v === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
const unitOf = (unit) => unit || "units";
const words = (resource) => resource.replace(/_/g, " ");

function byId(id) { return view.nodes.find((n) => n.id === id); }
function nameOf(id) { const n = byId(id); return n ? n.name : id; }
function labelOf(id) { const n = byId(id); return n ? n.label : id; }

function radius(node) { return 5 + Math.sqrt(node.supplies + node.receives) * 1.2; }

// Points along an exchange from supplier to receiver, bent to one side when two facilities
// exchange several resources (`bend`), and the point its label and hover sit on.
function edgePoints(edge) {
  const a = byId(edge.source), b = byId(edge.target);
  const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
  const c = [(a.x + b.x) / 2 - (dy / len) * edge.bend * 26, (a.y + b.y) / 2 + (dx / len) * edge.bend * 26];
  const at = (t) => [0, 1].map((k) => (1 - t) ** 2 * [a.x, a.y][k] + 2 * (1 - t) * t * c[k] + t ** 2 * [b.x, b.y][k]);
  return { points: [0, 0.25, 0.5, 0.75, 1].map(at), middle: at(0.5), end: radius(b) + 2 };
}

function edgeText(e) {
  return nameOf(e.source) + " → " + nameOf(e.target) + ": " + words(e.resource) + ", " +
    (e.known ? "" : "about ") + amount(e.quantity) + " " + unitOf(e.unit) + " a year" + (e.known ? "" : " (estimated)");
}

function isOn(e) {
  return state.facility ? e.source === state.facility || e.target === state.facility : e.resource === state.resource;
}

// One trace of exchanges drawn as lines with an arrowhead at the receiver (null between them).
function edgeTrace(edges, name, colour, width, dash, opacity) {
  const x = [], y = [], size = [], standoff = [];
  for (const e of edges) {
    const g = edgePoints(e);
    g.points.forEach(([px, py], i) => { x.push(px); y.push(py); size.push(i === 4 ? 9 : 0); standoff.push(i === 4 ? g.end : 0); });
    x.push(null); y.push(null); size.push(0); standoff.push(0);
  }
  return { type: "scatter", mode: "lines+markers", name, x, y, meta: edges.map((e) => e.id), hoverinfo: "skip", opacity,
    line: { color: colour, width, dash }, marker: { symbol: "arrow", angleref: "previous", size, standoff, color: colour, line: { width: 0 } } };
}

function nodeState(id) {
  const r = state.shutdown;
  if (r && id === r.facility) return "down";
  if (r && r.losses.some((l) => l.facility === id)) return "hit";
  return id === state.facility ? "found" : "";
}

function networkFigure() {
  const on = view.edges.filter(isOn), off = view.edges.filter((e) => !isOn(e));
  const what = state.facility ? labelOf(state.facility) : words(state.resource || "");
  const dim = on.length ? 0.55 : 1;
  const ranked = [...view.nodes].sort((a, b) => b.supplies + b.receives - a.supplies - a.receives).slice(0, LABELLED).map((n) => n.id);
  const nodeTrace = (nodes, name, fill) => {
    const states = nodes.map((n) => nodeState(n.id));
    const near = new Set(on.flatMap((e) => [e.source, e.target]));
    return { type: "scatter", mode: "markers+text", name, x: nodes.map((n) => n.x), y: nodes.map((n) => n.y),
      customdata: nodes.map((n) => n.id), meta: states,
      text: nodes.map((n, i) => (ranked.includes(n.id) || states[i] || (state.facility && near.has(n.id)) ? n.label : "")),
      textposition: "top center", textfont: { size: 11, color: INK },
      hovertext: nodes.map((n) => n.name + ": supplies " + n.supplies + ", receives " + n.receives + " exchange" + (n.receives === 1 ? "" : "s")),
      hovertemplate: "%{hovertext}<extra></extra>",
      marker: { size: nodes.map((n) => 2 * radius(n)), opacity: 1,
        color: states.map((st) => (st === "down" ? DOWN : st === "hit" ? HIT : fill)),
        line: { color: states.map((st) => (st === "found" ? HIGHLIGHT : INK)), width: states.map((st) => (st ? 3 : 1.2)) } } };
  };
  const labels = on.map((e) => edgePoints(e).middle);
  const traces = [
    edgeTrace(off.filter((e) => e.known), "Other exchange", OTHER, 1.2, "solid", dim),
    edgeTrace(off.filter((e) => !e.known), "Other exchange, quantity estimated", OTHER, 1.2, "dot", dim),
    edgeTrace(on.filter((e) => e.known), "Exchange of " + what, HIGHLIGHT, 2.4, "solid", 1),
    edgeTrace(on.filter((e) => !e.known), "Exchange of " + what + ", quantity estimated", HIGHLIGHT, 2.4, "dot", 1),
    { type: "scatter", mode: "markers", name: "Exchange (point at its middle)", showlegend: false,
      x: view.edges.map((e) => edgePoints(e).middle[0]), y: view.edges.map((e) => edgePoints(e).middle[1]),
      customdata: view.edges.map((e) => e.id), hovertext: view.edges.map(edgeText), hovertemplate: "%{hovertext}<extra></extra>",
      marker: { size: 10, color: "#ffffff", opacity: 0 } },
    { type: "scatter", mode: "text", name: "Quantities of the shown exchanges", showlegend: false, hoverinfo: "skip",
      x: labels.map((p) => p[0]), y: labels.map((p) => p[1]), meta: on.map((e) => e.id),
      text: on.map((e) => words(e.resource) + " " + (e.known ? "" : "≈") + amount(e.quantity) + " " + unitOf(e.unit)),
      textfont: { size: 10, color: HIGHLIGHT } },
    nodeTrace(view.nodes.filter((n) => n.supplies), "Facility that supplies others", SUPPLIER),
    nodeTrace(view.nodes.filter((n) => !n.supplies), "Facility that only receives", "#ffffff"),
  ];
  const suppliers = view.nodes.filter((n) => n.supplies).length;
  const hidden = { visible: false, fixedrange: false };
  return { id: "network", height: 600,
    title: "Exchange network of " + view.title,
    desc: view.nodes.length + " facilities (" + suppliers + " of them supply others) joined by " + view.edges.length +
      " exchanges, drawn as arrows from supplier to receiver. The table “Exchanges” below lists every one with its resource and quantity.",
    traces: traces.filter((t) => t.x.length),
    layout: { uirevision: "network", hovermode: "closest", dragmode: "pan", margin: { l: 8, r: 8, t: 40, b: 8 },
      legend: { orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "top" },
      xaxis: Object.assign({ range: [0, view.width] }, hidden),
      yaxis: Object.assign({ range: [view.height, 0], scaleanchor: "x" }, hidden) },
    config: { scrollZoom: true },
    data: { headers: ["Exchange", "Supplier", "Receiver", "Resource", "Quantity a year", "Unit", "Figure"],
      rows: view.edges.map((e) => [e.id, nameOf(e.source), nameOf(e.target), words(e.resource), e.quantity, unitOf(e.unit), e.known ? "registry" : "estimated"]) } };
}

let networkPlot = null;

function drawNetwork() {
  const o = networkFigure();
  o.drawn = (plot) => {
    networkPlot = plot;
    plot.on("plotly_click", (event) => {
      const id = event.points[0].customdata;
      if (byId(id)) find(id);
    });
  };
  replaceCharts(document.getElementById("network-chart"), chart(o));
  document.getElementById("edge-table").replaceChildren(table("Exchanges (" + view.edges.length + "), quantities per year",
    ["Exchange", "Supplier", "Receiver", "Resource", "Quantity", "Unit", "Figure"],
    view.edges.map((e) => [e.id, nameOf(e.source), nameOf(e.target), words(e.resource),
      { text: amount(e.quantity), num: true }, unitOf(e.unit), e.known ? "registry" : "estimated"])));
  document.querySelector("#edge-table table").id = "edge-grid";
  document.getElementById("facility-names").replaceChildren(...[...view.nodes].sort((a, b) => a.name.localeCompare(b.name))
    .map((n) => el("option", { value: n.name })));
}

// Show the network as `state` says (its zoom kept).
function redrawNetwork(then) {
  if (!networkPlot) return;
  const done = redraw(networkPlot, networkFigure()).then(() => then && then(networkPlot));
  drawing.push(done);
}

// The chosen resource's exchanges in colour and labelled.
function highlight(resource) {
  state.resource = resource;
  state.facility = null;
  document.getElementById("facility-found").textContent = "";
  redrawNetwork();
}

// A facility (by id, or the first whose name or label holds the text searched for): its
// exchanges in colour, its neighbours named, the view zoomed to them, and in words.
function find(query) {
  const text = String(query).trim().toLowerCase();
  const node = byId(query) || view.nodes.find((n) => n.name.toLowerCase() === text) ||
    view.nodes.find((n) => (n.name + " " + n.label + " " + n.id).toLowerCase().includes(text));
  const out = document.getElementById("facility-found");
  if (!text || !node) {
    out.textContent = text ? "No facility of " + view.title + " is called “" + query + "”." : "";
    return;
  }
  state.facility = node.id;
  document.getElementById("facility-search").value = node.name;
  const gives = view.edges.filter((e) => e.source === node.id), takes = view.edges.filter((e) => e.target === node.id);
  const list = (edges, other) => edges.map((e) => words(e.resource) + (other === "to" ? " to " + nameOf(e.target) : " from " + nameOf(e.source))).join("; ");
  out.textContent = node.name + " supplies " + gives.length + " exchange" + (gives.length === 1 ? "" : "s") + (gives.length ? " (" + list(gives, "to") + ")" : "") +
    " and receives " + takes.length + (takes.length ? " (" + list(takes, "from") + ")" : "") + "; drawn in colour on the network.";
  const near = [node, ...[...gives, ...takes].map((e) => byId(e.source === node.id ? e.target : e.source))];
  const xs = near.map((n) => n.x), ys = near.map((n) => n.y), pad = 60;
  redrawNetwork((plot) => Plotly.relayout(plot, {
    "xaxis.range": [Math.min(...xs) - pad, Math.max(...xs) + pad], "yaxis.range": [Math.max(...ys) + pad, Math.min(...ys) - pad] }));
}

function wholeNetwork() {
  if (networkPlot) drawing.push(Plotly.relayout(networkPlot, { "xaxis.range": [0, view.width], "yaxis.range": [view.height, 0] }));
}

function markShutdown(result) {
  state.shutdown = result;
  redrawNetwork();
}

function drawSankey(resource) {
  const s = view.sankey.find((x) => x.resource === resource);
  const flows = s.flows.map((k) => view.edges[k]);
  const unit = unitOf(s.unit);
  const left = s.sources.map((item) => item.id), right = s.targets.map((item) => item.id);
  const colour = {};
  s.sources.forEach((item, i) => { colour[item.id] = PALETTE[i % PALETTE.length]; });
  const alpha = (hex, a) => "rgba(" + [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)).join(",") + "," + a + ")";
  const boxes = [...s.sources, ...s.targets];
  const trace = { type: "sankey", arrangement: "snap", meta: flows.map((f) => f.id),
    node: { label: boxes.map((b) => labelOf(b.id) + " · " + amount(b.value) + " " + unit), pad: 14, thickness: 14,
      color: boxes.map(() => INK), line: { width: 0 },
      customdata: boxes.map((b) => nameOf(b.id) + ": " + amount(b.value) + " " + unit + " a year"), hovertemplate: "%{customdata}<extra></extra>" },
    link: { source: flows.map((f) => left.indexOf(f.source)), target: flows.map((f) => s.sources.length + right.indexOf(f.target)),
      value: flows.map((f) => f.quantity), color: flows.map((f) => alpha(colour[f.source], f.known ? 0.45 : 0.2)),
      customdata: flows.map(edgeText), hovertemplate: "%{customdata}<extra></extra>" } };
  const rows = Math.max(s.sources.length, s.targets.length);
  replaceCharts(document.getElementById("sankey-chart"), chart({ id: "sankey", height: Math.max(260, Math.min(640, 44 * rows + 80)),
    title: "Flows of " + s.name + ", " + view.title,
    desc: s.sources.length + " supplier" + (s.sources.length === 1 ? "" : "s") + " on the left send " + amount(s.total) + " " + unit +
      " a year of " + s.name + " to " + s.targets.length + " receiver" + (s.targets.length === 1 ? "" : "s") + " on the right in " +
      flows.length + " exchange" + (flows.length === 1 ? "" : "s") + (s.estimated ? ", " + s.estimated + " of them estimated (paler bands)" : "") +
      ". The table below lists every flow.",
    traces: [trace], layout: { margin: { l: 8, r: 8, t: 48, b: 8 }, font: { size: 11, color: INK, family: "system-ui, sans-serif" } },
    data: { headers: ["Supplier", "Receiver", "Quantity a year (" + unit + ")", "Figure"],
      rows: flows.map((f) => [nameOf(f.source), nameOf(f.target), f.quantity, f.known ? "registry" : "estimated"]) } }));
  document.getElementById("sankey-table").replaceChildren(table("Flows of " + s.name + " (" + unit + " a year)",
    ["Supplier", "Receiver", "Quantity", "Figure"],
    [...flows.map((f) => [nameOf(f.source), nameOf(f.target), { text: amount(f.quantity), num: true }, f.known ? "registry" : "estimated"]),
      ["Total", "", { text: amount(s.total), num: true }, s.estimated ? s.estimated + " estimated" : ""]]));
  document.querySelector("#sankey-table table").id = "sankey-grid";
  highlight(resource);
}

function showShutdown(result) {
  const out = document.getElementById("shutdown-result");
  const slower = result.production.filter((p) => p.level < 1);
  const cut = result.losses.reduce((sum, l) => sum + l.inputs.length, 0);
  const summary = el("p", { id: "shutdown-summary" }, result.name + " stops for " + result.days + " day" + (result.days === 1 ? "" : "s") + ": " +
    (result.losses.length ? result.losses.length + " facilit" + (result.losses.length === 1 ? "y loses " : "ies lose ") + cut + " input" + (cut === 1 ? "" : "s") +
      "; " + slower.length + " must run slower." : "no neighbour loses anything before it runs again."));
  const losses = table("Inputs lost while " + result.name + " is down",
    ["Receiver", "Input", "Resource", "Supplier", "Lost during the shutdown", "Per year", "Unit", "From day", "Until day", "Can be bought in"],
    result.losses.flatMap((l) => l.inputs.map((x) => [l.name, x.input_name, words(x.resource), labelOf(x.supplier),
      { text: (x.known ? "" : "about ") + amount(x.quantity), num: true }, { text: amount(x.per_year), num: true }, unitOf(x.unit),
      { text: number(x.from_day, 0), num: true }, { text: number(x.until_day, 0), num: true }, x.can_buy_in ? "yes" : "no"])),
    "No input is lost: every receiver's stock outlasts the shutdown, or it supplies nobody.");
  if (losses.tagName === "TABLE") losses.id = "losses-grid";
  const production = table("Facilities that must run slower", ["Facility", "Runs at", "From day"],
    slower.map((p) => [p.name, { text: number(100 * p.level, 0) + " %", num: true }, { text: number(p.days_until_impact, 0), num: true }]),
    "None: every lost input can be bought in instead, or arrives after the shutdown ends.");
  if (production.tagName === "TABLE") production.id = "production-grid";
  const rows = result.replacements.flatMap((r) => r.candidates.map((c, i) => [labelOf(r.facility) + ": " + r.input_name,
    { text: String(i + 1), num: true }, c.supplier_name + " from " + labelOf(c.facility), { text: number(c.score, 2), num: true },
    c.treatment || "none", { text: number(c.distance_km, 1), num: true }, c.mode,
    { text: c.quantity === null ? "unknown" : amount(c.quantity) + " " + unitOf(c.unit), num: true }]));
  const replacements = table("Replacement sources proposed for the lost inputs",
    ["Lost input", "Rank", "Candidate source", "Score (0–1)", "Treatment", "Distance (km)", "Transport", "Available per year"],
    rows, "The matching engine finds no other source in the cluster for the lost inputs.");
  if (replacements.tagName === "TABLE") replacements.id = "replacements-grid";
  out.replaceChildren(summary, el("h3", {}, "Inputs lost"), losses, el("h3", {}, "Production lost"), production,
    el("h3", {}, "Replacements"), replacements);
  out.dataset.facility = result.facility;
  out.dataset.days = result.days;
  markShutdown(result);
}

async function assess(event) {
  event.preventDefault();
  const form = event.target;
  clearProblems(form);
  const out = document.getElementById("shutdown-result");
  const status = document.getElementById("shutdown-status");
  const query = new URLSearchParams({ facility: form.elements.facility.value, days: form.elements.days.value.trim() });
  status.textContent = "Assessing the shutdown…";
  const answer = await api("/web/api/clusters/" + encodeURIComponent(view.cluster) + "/symbiosis/impact?" + query);
  if (!answer.ok) {
    status.textContent = "The shutdown could not be assessed.";
    out.replaceChildren();
    delete out.dataset.facility;
    markShutdown(null);
    const problems = {};
    for (const [field, message] of Object.entries(problemsByField(answer.body, answer.status)))
      problems[field.replace(/^(query|path)\./, "")] = message;
    showProblems(form, problems);
    return;
  }
  status.textContent = "Assessed: " + answer.body.name + " stopping for " + answer.body.days + " days.";
  showShutdown(answer.body);
}

function fillPickers() {
  const resources = [...view.sankey].sort((a, b) => b.flows.length - a.flows.length || a.name.localeCompare(b.name));
  const resourceChoice = document.getElementById("resource-choice");
  resourceChoice.replaceChildren(...view.sankey.map((s) => el("option", { value: s.resource },
    s.name + " (" + s.flows.length + " exchange" + (s.flows.length === 1 ? "" : "s") + ")")));
  resourceChoice.value = resources[0].resource;
  resourceChoice.addEventListener("change", () => drawSankey(resourceChoice.value));
  document.getElementById("resource-form").addEventListener("submit", (e) => { e.preventDefault(); drawSankey(resourceChoice.value); });
  const facilities = [...view.nodes].sort((a, b) => a.name.localeCompare(b.name));
  const facilityChoice = document.getElementById("shutdown-facility");
  facilityChoice.replaceChildren(...facilities.map((n) => el("option", { value: n.id },
    n.name + " (supplies " + n.supplies + ")")));
  facilityChoice.value = [...view.nodes].sort((a, b) => b.supplies - a.supplies)[0].id;
  document.getElementById("shutdown-days").max = view.max_days;
  document.getElementById("shutdown-form").addEventListener("submit", assess);
  return resourceChoice.value;
}

async function load() {
  if (!new URLSearchParams(location.search).get("cluster")) history.replaceState(null, "", "?cluster=kwinana");
  const name = await pickCluster();
  const { ok, body } = await withProgress(document.getElementById("symbiosis-status"),
    "/web/api/clusters/" + encodeURIComponent(name) + "/symbiosis", "Laying out the exchange network");
  if (ok) {
    view = body;
    document.getElementById("symbiosis-title").textContent = "Industrial symbiosis · " + body.title;
    document.title = "Industrial symbiosis · " + body.title + " · clusterhub";
    document.getElementById("symbiosis-figures").replaceChildren(...[["Facilities in exchanges", body.nodes.length, "facility-count"],
      ["Exchanges", body.edges.length, "exchange-count"], ["Resources exchanged", body.sankey.length, "resource-count"]]
      .map(([label, value, id]) => el("div", {}, el("dt", {}, label), el("dd", { id }, number(value)))));
    state.resource = fillPickers();
    drawNetwork();
    drawSankey(state.resource);
    const search = document.getElementById("network-search");
    search.addEventListener("submit", (e) => { e.preventDefault(); find(document.getElementById("facility-search").value); });
    document.getElementById("whole-network").addEventListener("click", wholeNetwork);
  } else {
    document.querySelectorAll("#resource-form, #shutdown-form, #network-search").forEach((f) => { f.hidden = true; });
  }
  await ready();
}

if (requireSignIn()) load();
