"use strict";
// The Symbiosis page: a bundled cluster's exchange network drawn from the positions the server
// computed, one resource's flows as a Sankey diagram, and a facility's shutdown assessed on
// request. Every drawing has a <title> and <desc>, and the same figures are in a table.

const HIGHLIGHT = "#0b5cad", OTHER = "#8c959f", DOWN = "#a40e26", HIT = "#b35900";
let view = null;

// Three significant figures, as the server rounds them.
const amount = (v) => number(v, Math.abs(v) >= 100 || v === 0 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
const unitOf = (unit) => unit || "units";
const words = (resource) => resource.replace(/_/g, " ");

function byId(id) { return view.nodes.find((n) => n.id === id); }
function nameOf(id) { const n = byId(id); return n ? n.name : id; }
function labelOf(id) { const n = byId(id); return n ? n.label : id; }

// A point `d` pixels from `to` along the straight line from `from` (arrows end at the circle).
function back(from, to, d) {
  const dx = to[0] - from[0], dy = to[1] - from[1], len = Math.hypot(dx, dy) || 1;
  return [to[0] - (dx / len) * d, to[1] - (dy / len) * d];
}

function radius(node) { return 5 + Math.sqrt(node.supplies + node.receives) * 1.2; }

function edgeGeometry(edge) {
  const a = byId(edge.source), b = byId(edge.target);
  const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
  const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
  const c = [mx - (dy / len) * edge.bend * 26, my + (dx / len) * edge.bend * 26];
  const start = back(c, [a.x, a.y], radius(a) + 1), end = back(c, [b.x, b.y], radius(b) + 3);
  return { d: "M" + start.map((v) => v.toFixed(1)).join(",") + " Q" + c.map((v) => v.toFixed(1)).join(",") +
    " " + end.map((v) => v.toFixed(1)).join(","), label: [(mx + c[0]) / 2, (my + c[1]) / 2] };
}

function edgeText(e) {
  return nameOf(e.source) + " → " + nameOf(e.target) + ": " + words(e.resource) + ", " +
    (e.known ? "" : "about ") + amount(e.quantity) + " " + unitOf(e.unit) + " a year" + (e.known ? "" : " (estimated)");
}

function drawNetwork() {
  const chart = svgNode("svg", { viewBox: "0 0 " + view.width + " " + view.height, role: "img", id: "network",
    "aria-labelledby": "network-title network-desc" });
  chart.append(svgNode("title", { id: "network-title" }, "Exchange network of " + view.title));
  const suppliers = view.nodes.filter((n) => n.supplies).length;
  chart.append(svgNode("desc", { id: "network-desc" }, view.nodes.length + " facilities (" + suppliers +
    " of them supply others) joined by " + view.edges.length + " exchanges, drawn as arrows from supplier to receiver. " +
    "The table “Exchanges” below lists every one with its resource and quantity."));
  const defs = svgNode("defs");
  for (const [id, colour] of [["arrow", OTHER], ["arrow-on", HIGHLIGHT]]) {
    const marker = svgNode("marker", { id, viewBox: "0 0 10 10", refX: 8, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto-start-reverse" });
    marker.append(svgNode("path", { d: "M0,0 L10,5 L0,10 z", fill: colour }));
    defs.append(marker);
  }
  chart.append(defs);
  const edges = svgNode("g", { class: "edges" });
  view.edges.forEach((e) => {
    const geometry = edgeGeometry(e);
    const path = svgNode("path", { class: "edge", d: geometry.d, fill: "none", stroke: OTHER, "stroke-width": 1.2,
      "stroke-dasharray": e.known ? null : "4 3", "marker-end": "url(#arrow)", "data-flow": e.id, "data-resource": e.resource,
      "data-lx": geometry.label[0].toFixed(1), "data-ly": geometry.label[1].toFixed(1) });
    path.append(svgNode("title", {}, edgeText(e)));
    edges.append(path);
  });
  chart.append(edges, svgNode("g", { class: "edge-labels" }));
  const nodes = svgNode("g", { class: "nodes" });
  view.nodes.forEach((n) => {
    const g = svgNode("g", { class: "node", "data-facility": n.id });
    g.append(svgNode("circle", { cx: n.x, cy: n.y, r: radius(n).toFixed(1), fill: n.supplies ? "#116329" : "#ffffff", stroke: "#1b1f24", "stroke-width": 1.2 }));
    g.append(svgNode("text", { x: n.x, y: n.y - radius(n) - 3, "text-anchor": "middle", class: "node-label" }, n.label));
    g.append(svgNode("title", {}, n.name + ": supplies " + n.supplies + ", receives " + n.receives + " exchange" + (n.receives === 1 ? "" : "s")));
    nodes.append(g);
  });
  chart.append(nodes);
  document.getElementById("network-chart").replaceChildren(chart);
  document.getElementById("network-legend").replaceChildren(...chartLegend([
    ["Facility that supplies others", "#116329", "●"], ["Facility that only receives", "#57606a", "○"],
    ["Exchange of the chosen resource", HIGHLIGHT, "→"], ["Other exchange", OTHER, "→"], ["Quantity estimated", OTHER, "┅"]]));
  document.getElementById("edge-table").replaceChildren(table("Exchanges (" + view.edges.length + "), quantities per year",
    ["Exchange", "Supplier", "Receiver", "Resource", "Quantity", "Unit", "Figure"],
    view.edges.map((e) => [e.id, nameOf(e.source), nameOf(e.target), words(e.resource),
      { text: amount(e.quantity), num: true }, unitOf(e.unit), e.known ? "registry" : "estimated"])));
  document.querySelector("#edge-table table").id = "edge-grid";
}

// The chosen resource's exchanges in colour and labelled; a shutdown's facilities marked.
function highlight(resource) {
  const labels = document.querySelector("#network .edge-labels");
  labels.replaceChildren();
  document.querySelectorAll("#network path.edge").forEach((path) => {
    const on = path.dataset.resource === resource;
    path.setAttribute("stroke", on ? HIGHLIGHT : OTHER);
    path.setAttribute("stroke-width", on ? 2.4 : 1.2);
    path.setAttribute("opacity", on ? 1 : 0.55);
    path.setAttribute("marker-end", on ? "url(#arrow-on)" : "url(#arrow)");
    path.classList.toggle("on", on);
    if (on) {
      const e = view.edges.find((x) => x.id === path.dataset.flow);
      labels.append(svgNode("text", { x: path.dataset.lx, y: path.dataset.ly, "text-anchor": "middle", class: "edge-label" },
        words(e.resource) + " " + (e.known ? "" : "≈") + amount(e.quantity) + " " + unitOf(e.unit)));
      path.parentNode.append(path); // drawn above the others
    }
  });
}

function markShutdown(result) {
  const hit = new Set(result ? result.losses.map((l) => l.facility) : []);
  document.querySelectorAll("#network g.node").forEach((g) => {
    const id = g.dataset.facility, circle = g.querySelector("circle"), n = byId(id);
    const state = result && id === result.facility ? "down" : hit.has(id) ? "hit" : "";
    g.dataset.state = state;
    circle.setAttribute("fill", state === "down" ? DOWN : state === "hit" ? HIT : n.supplies ? "#116329" : "#ffffff");
    circle.setAttribute("stroke-width", state ? 3 : 1.2);
  });
}

function drawSankey(resource) {
  const s = view.sankey.find((x) => x.resource === resource);
  const flows = s.flows.map((k) => view.edges[k]);
  const unit = unitOf(s.unit);
  const W = 1000, T = 16, B = 16, L = 300, R = 300, bar = 14, gap = 14;
  const rows = Math.max(s.sources.length, s.targets.length);
  const plot = Math.max(200, Math.min(520, 40 * rows));
  const k = (plot - gap * (rows - 1)) / s.total;
  const band = (q) => Math.max(2, q * k);
  // each side's boxes: as tall as the bands they hold, stacked with a gap
  const side = (items, key) => {
    let y = T;
    const at = {};
    for (const item of items) {
      const h = flows.filter((f) => f[key] === item.id).reduce((sum, f) => sum + band(f.quantity), 0);
      at[item.id] = { y, h, next: y, value: item.value };
      y += h + gap;
    }
    return [at, y - gap];
  };
  const [left, leftEnd] = side(s.sources, "source");
  const [right, rightEnd] = side(s.targets, "target");
  const H = Math.max(leftEnd, rightEnd) + B;
  const x0 = L, x1 = W - R;
  const chart = svgNode("svg", { viewBox: "0 0 " + W + " " + H.toFixed(0), role: "img", id: "sankey",
    "aria-labelledby": "sankey-title sankey-desc" });
  chart.append(svgNode("title", { id: "sankey-title" }, "Flows of " + s.name + ", " + view.title));
  chart.append(svgNode("desc", { id: "sankey-desc" }, s.sources.length + " supplier" + (s.sources.length === 1 ? "" : "s") +
    " on the left send " + amount(s.total) + " " + unit + " a year of " + s.name + " to " + s.targets.length + " receiver" +
    (s.targets.length === 1 ? "" : "s") + " on the right in " + flows.length + " exchange" + (flows.length === 1 ? "" : "s") +
    (s.estimated ? ", " + s.estimated + " of them estimated" : "") + ". The table below lists every flow."));
  const colour = {};
  s.sources.forEach((item, i) => { colour[item.id] = PALETTE[i % PALETTE.length]; });
  flows.forEach((f) => {
    const h = band(f.quantity), a = left[f.source], b = right[f.target];
    const ya = a.next, yb = b.next, mid = (x0 + bar + x1) / 2;
    a.next += h; b.next += h;
    const d = "M" + (x0 + bar) + "," + ya.toFixed(1) + " C" + mid + "," + ya.toFixed(1) + " " + mid + "," + yb.toFixed(1) + " " + x1 + "," + yb.toFixed(1) +
      " L" + x1 + "," + (yb + h).toFixed(1) + " C" + mid + "," + (yb + h).toFixed(1) + " " + mid + "," + (ya + h).toFixed(1) + " " + (x0 + bar) + "," + (ya + h).toFixed(1) + " Z";
    const path = svgNode("path", { class: "band", d, fill: colour[f.source], "fill-opacity": 0.45, stroke: f.known ? "none" : colour[f.source],
      "stroke-dasharray": f.known ? null : "4 3", "data-flow": f.id, "data-quantity": f.quantity });
    path.append(svgNode("title", {}, edgeText(f)));
    chart.append(path);
  });
  const boxes = (at, x, anchor, dx) => Object.entries(at).forEach(([id, box]) => {
    const rect = svgNode("rect", { class: "sankey-node", x, y: box.y.toFixed(1), width: bar, height: Math.max(box.h, 1).toFixed(1), fill: "#1b1f24" });
    rect.append(svgNode("title", {}, nameOf(id) + ": " + amount(box.value) + " " + unit + " a year"));
    chart.append(rect);
    chart.append(svgNode("text", { x: x + dx, y: (box.y + box.h / 2 + 4).toFixed(1), "text-anchor": anchor },
      labelOf(id) + " · " + amount(box.value) + " " + unit));
  });
  boxes(left, x0, "end", -6);
  boxes(right, x1, "start", bar + 6);
  document.getElementById("sankey-chart").replaceChildren(chart);
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
    drawNetwork();
    drawSankey(fillPickers());
  } else {
    document.querySelectorAll("#resource-form, #shutdown-form").forEach((f) => { f.hidden = true; });
  }
  ready();
}

if (requireSignIn()) load();
