"use strict";
// The overview of a bundled cluster: figures, a map of the sites (positions the server projected
// from latitude and longitude, drawn by plotly.js: zoom, pan, every site named on hover), members,
// connections, links, and a small joint-versus-alone optimisation with a progress indicator.
const COLOURS = ["#0b5cad", "#b35900", "#116329", "#8250df", "#a40e26", "#1b7c83", "#6e7781", "#bf3989"];
const CARRIER_COLOURS = { steam: "#b35900", hydrogen: "#8250df", electricity: "#0b5cad", heat: "#a40e26" };

const KIND_COLOURS = { company: "#0b5cad", utility: "#b35900", grid_operator: "#116329", public_body: "#8250df", other: "#6e7781" };
// Many members: colour by kind and number the sites (the key lists them); few: a colour and a
// name label per member.
const crowded = (data) => data.members.length > 8 || data.sites.length > 12;

function colours(data) {
  if (crowded(data)) return Object.fromEntries(data.members.map((m) => [m.id, KIND_COLOURS[m.kind] || "#6e7781"]));
  return Object.fromEntries(data.members.map((m, i) => [m.id, COLOURS[i % COLOURS.length]]));
}

const siteText = (site) => (site.number ? site.number + ": " : "") + site.name + " (" + site.participant + ") " + site.latitude + "° N, " + site.longitude + "° E";

// The links between the sites placed at `at` (id -> {x, y}): one trace per carrier, pipelines
// dashed; their names on hover at the middle.
function linkTraces(links, at, legend) {
  const traces = [];
  for (const carrier of [...new Set(links.map((l) => l.carrier))]) {
    for (const pipeline of [false, true]) {
      const some = links.filter((l) => l.carrier === carrier && (l.kind === "pipeline") === pipeline && at[l.source] && at[l.target]);
      if (!some.length) continue;
      traces.push({ type: "scatter", mode: "lines", name: carrier + " link" + (pipeline ? " (pipeline)" : ""), showlegend: legend,
        x: some.flatMap((l) => [at[l.source].x, at[l.target].x, null]), y: some.flatMap((l) => [at[l.source].y, at[l.target].y, null]),
        meta: some.map((l) => l.id), hoverinfo: "skip", line: { color: CARRIER_COLOURS[carrier] || MUTED, width: 3, dash: pipeline ? "dash" : "solid" } });
      traces.push({ type: "scatter", mode: "markers", name: carrier + " link middles", showlegend: false,
        x: some.map((l) => (at[l.source].x + at[l.target].x) / 2), y: some.map((l) => (at[l.source].y + at[l.target].y) / 2),
        hovertext: some.map((l) => l.id + ": " + l.carrier + ", " + l.capacity_mw + " MW"), hovertemplate: "%{hovertext}<extra></extra>",
        marker: { size: 10, opacity: 0 } });
    }
  }
  return traces;
}

// The sites at their positions (`place`: site -> [x, y]), one trace per member (per kind on a
// crowded map, where each site carries its number).
function siteTraces(data, sites, place, width, legend) {
  const colour = colours(data), numbered = crowded(data);
  const groups = numbered
    ? [...new Set(data.members.map((m) => m.kind))].map((k) => [k.replace("_", " "), (s) => (data.members.find((m) => m.id === s.participant) || {}).kind === k, KIND_COLOURS[k] || "#6e7781"])
    : data.members.map((m) => [m.name, (s) => s.participant === m.id, colour[m.id]]);
  return groups.map(([name, member, fill]) => {
    const some = sites.filter(member);
    const right = some.map((s) => place(s)[0] < width - 200);
    return { type: "scatter", mode: "markers+text", name, showlegend: legend && some.length > 0,
      x: some.map((s) => place(s)[0]), y: some.map((s) => place(s)[1]), customdata: some.map((s) => s.id),
      text: some.map((s) => (numbered ? String(s.number) : s.name)),
      textposition: numbered ? "middle center" : right.map((r) => (r ? "middle right" : "middle left")),
      textfont: numbered ? { color: "#ffffff", size: 10 } : { color: INK, size: 12 },
      hovertext: some.map(siteText), hovertemplate: "%{hovertext}<extra></extra>",
      marker: { size: numbered ? 18 : 14, color: fill, line: { color: "#ffffff", width: 2 } } };
  });
}

function mapLayout(width, height, scale_km, scale_px, shapes, notes) {
  const y = height - 24;
  return { uirevision: "map", dragmode: "pan", hovermode: "closest", plot_bgcolor: "#eef5fb", margin: { l: 4, r: 4, t: 40, b: 4 },
    legend: { orientation: "h", x: 0, xanchor: "left", y: 0, yanchor: "top" },
    xaxis: { visible: false, range: [0, width] }, yaxis: { visible: false, range: [height, 0], scaleanchor: "x" },
    shapes: [...shapes, { type: "line", x0: 20, x1: 20 + scale_px, y0: y, y1: y, line: { color: INK, width: 3 } }],
    annotations: [...notes, { x: 20 + scale_px / 2, y: y - 10, text: scale_km + " km", showarrow: false, font: { color: INK } },
      { xref: "paper", yref: "paper", x: 0.98, y: 0.98, text: "N ↑", showarrow: false, font: { size: 14, color: INK } }] };
}

function drawMap(data) {
  const { width, height, scale_km, scale_px } = data.map;
  const numbered = crowded(data), inset = data.inset;
  const inCore = new Set(inset ? inset.sites.map((s) => s.id) : []);
  const at = Object.fromEntries(data.sites.map((s) => [s.id, s]));
  const outside = data.sites.filter((s) => !inCore.has(s.id));  // the core's sites are drawn on the inset, where there is room
  const shapes = [], notes = [];
  if (inset) {
    const [x, y, w, h] = inset.box;
    shapes.push({ type: "rect", name: "inset-box", x0: x, y0: y, x1: x + Math.max(w, 6), y1: y + Math.max(h, 6), line: { color: INK, width: 1.5, dash: "dot" } });
    notes.push({ x: x + Math.max(w, 6) + 6, y: y + 4, xanchor: "left", showarrow: false, text: "enlarged below (" + inset.sites.length + " sites)", font: { color: INK } });
  }
  const figures = [chart({ id: "map-main", height: Math.min(560, height + 60),
    title: "Map of the sites of " + data.title,
    desc: data.sites.length + " sites of " + data.figures.members + " members and " + data.links.length + " links; north is up; scale bar " + scale_km + " km" +
      (inset ? "; the " + inset.sites.length + " sites inside the outlined box are shown enlarged on the second map." : "."),
    traces: [...linkTraces(data.links, at, true), ...siteTraces(data, outside, (s) => [s.x, s.y], width, true)],
    layout: mapLayout(width, height, scale_km, scale_px, shapes, notes), config: { scrollZoom: true },
    data: { headers: ["No.", "Site", "Member", "Latitude", "Longitude"], rows: data.sites.map((s) => [s.number || "", s.name, s.participant, s.latitude, s.longitude]) } }),
  el("p", { class: "muted map-note" }, "North is up; the scale bar is ", el("span", { id: "scale-label" }, scale_km + " km"), " long.")];
  if (inset) {
    const near = Object.fromEntries(inset.sites.map((s) => [s.id, s]));
    figures.push(chart({ id: "map-inset", height: Math.min(420, inset.height + 60),
      title: "Enlarged map of the core of " + data.title,
      desc: inset.sites.length + " sites; north is up; scale bar " + inset.scale_km + " km.",
      traces: [...linkTraces(data.links, near, false), ...siteTraces(data, inset.sites.map((s) => at[s.id]), (s) => [near[s.id].x, near[s.id].y], inset.width, true)],
      layout: mapLayout(inset.width, inset.height, inset.scale_km, inset.scale_px, [], []), config: { scrollZoom: true },
      data: { headers: ["No.", "Site", "Member", "Latitude", "Longitude"], rows: inset.sites.map((s) => [at[s.id].number || "", at[s.id].name, at[s.id].participant, at[s.id].latitude, at[s.id].longitude]) } }),
    el("p", { class: "muted map-note" }, "The core of the cluster, enlarged (outlined on the map above); its scale bar is ",
      el("span", { id: "inset-scale-label" }, inset.scale_km + " km"), " long."));
  }
  replaceCharts(document.getElementById("map"), ...figures);
  const key = document.getElementById("site-key");
  key.hidden = !numbered;
  if (numbered) {
    key.replaceChildren(el("summary", {}, "The numbered sites"),
      table("Sites on the map by number", ["No.", "Site", "Member", "Latitude", "Longitude"],
        data.sites.map((s) => [{ text: s.number, num: true }, s.name, s.participant, { text: number(s.latitude, 4), num: true }, { text: number(s.longitude, 4), num: true }])));
  }
}

// How long ago, in words: "3 min ago", "5 h ago", "12 days ago".
function ago(iso, now) {
  const minutes = Math.max(0, Math.round((now - Date.parse(iso)) / 60000));
  if (minutes < 60) return minutes + " min ago";
  if (minutes < 48 * 60) return Math.round(minutes / 60) + " h ago";
  return Math.round(minutes / 1440) + " days ago";
}

// Data freshness per member: its tenant's latest accepted version (a member's tenant id is its
// participant id); members that have no tenant or sent nothing say so.
function showFreshness(fresh) {
  const now = Date.now();
  document.querySelectorAll(".freshness").forEach((cell) => {
    const f = fresh[cell.dataset.member];
    if (!f) { cell.textContent = "no datasets"; cell.className = "freshness muted"; return; }
    if (!f.latest) { cell.textContent = f.datasets + " dataset" + (f.datasets === 1 ? "" : "s") + ", nothing sent yet"; cell.className = "freshness muted"; return; }
    const when = new Date(f.latest);
    cell.replaceChildren(el("time", { datetime: f.latest }, when.toISOString().slice(0, 16).replace("T", " ") + " UTC"),
      " (" + ago(f.latest, now) + "; " + f.versions + " version" + (f.versions === 1 ? "" : "s") + ")");
  });
}

function show(data) {
  document.getElementById("overview-title").textContent = data.title;
  document.title = data.title + " · clusterhub";
  document.getElementById("cluster-description").textContent = data.description;
  const f = data.figures;
  document.getElementById("figures").replaceChildren(...[["Members", f.members], ["Sites", f.sites],
    ["Connections", f.connections], ["Links", f.links], ["Exchanges", f.exchanges]]
    .map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, number(value)))),
  // filled in once the page is drawn: a 24-hour optimisation (seconds the first time)
  ...[["Saving from collaborating (24 h)", "headline-saving"], ["Emissions, joint (24 h)", "headline-emissions"]]
    .map(([label, id]) => el("div", {}, el("dt", {}, label), el("dd", { id, "aria-live": "polite" },
      f.connections ? "computing…" : "no shared connection"))));
  drawMap(data);
  document.getElementById("members").replaceChildren(table("Members of " + data.title, ["Name", "Kind", "NACE", "Sites", "Latest data"],
    data.members.map((m) => [m.name, m.kind.replace("_", " "), m.nace || "", m.sites.length ? m.sites.join(", ") : "none",
      el("span", { class: "freshness", "data-member": m.id }, "…")])));
  document.getElementById("connections").replaceChildren(table("Shared grid connections", ["Connection", "Operator", "Sites behind it"],
    data.connections.map((c) => [c.name, c.operator || "", c.sites.join(", ")]), "No shared connections."));
  document.getElementById("links").replaceChildren(table("Links between sites", ["Link", "Carrier", "From", "To", "Capacity (MW)"],
    data.links.map((l) => [l.id, l.carrier, l.source, l.target, { text: number(l.capacity_mw, 1), num: true }]), "No links."));
}

async function runSaving(name) {
  const out = document.getElementById("saving"), button = document.getElementById("run-saving");
  button.disabled = true;
  out.setAttribute("aria-busy", "true");
  out.replaceChildren(el("p", {}, el("progress", { id: "saving-progress", "aria-label": "Optimising" }), " Optimising 24 hours jointly and for each company alone…"));
  const { ok, status, body } = await api("/web/api/clusters/" + encodeURIComponent(name) + "/saving");
  out.removeAttribute("aria-busy");
  button.disabled = false;
  if (!ok) { out.replaceChildren(el("p", { class: "rejected" }, "The optimisation failed: " + (body && body.detail || status))); return; }
  out.replaceChildren(
    el("dl", { class: "figures" },
      el("div", {}, el("dt", {}, "Saving (24 h)"), el("dd", { id: "saving-eur" }, "€ " + number(body.saving_eur))),
      el("div", {}, el("dt", {}, "Saving share"), el("dd", {}, number(body.saving_pct, 1) + " %")),
      el("div", {}, el("dt", {}, "Joint cost"), el("dd", {}, "€ " + number(body.joint_cost_eur))),
      el("div", {}, el("dt", {}, "Every company alone"), el("dd", {}, "€ " + number(body.standalone_cost_eur))),
      el("div", {}, el("dt", {}, "Emissions, joint (24 h)"), el("dd", { id: "joint-emissions" }, number(body.joint_emissions_t, 1) + " t CO₂")),
      el("div", {}, el("dt", {}, "Emissions, alone (24 h)"), el("dd", { id: "standalone-emissions" }, number(body.standalone_emissions_t, 1) + " t CO₂"))),
    table("Stand-alone cost per participant, first 24 hours", ["Participant", "Cost alone (EUR)"],
      Object.entries(body.standalone_cost_by_participant_eur).map(([p, v]) => [p, { text: number(v), num: true }])));
}

// The headline saving and emissions, from the same 24-hour optimisation as the button's.
async function headline(name) {
  const { ok, body } = await api("/web/api/clusters/" + encodeURIComponent(name) + "/saving");
  const saving = document.getElementById("headline-saving"), emissions = document.getElementById("headline-emissions");
  if (!ok) { saving.textContent = emissions.textContent = "not available"; return; }
  saving.textContent = "€ " + number(body.saving_eur) + " (" + number(body.saving_pct, 1) + " %)";
  emissions.textContent = number(body.joint_emissions_t, 1) + " t CO₂";
}

async function load() {
  const name = new URLSearchParams(location.search).get("cluster") || "harbour";
  const [clusters, overview] = await Promise.all([api("/web/api/clusters"), api("/web/api/clusters/" + encodeURIComponent(name))]);
  const choice = document.getElementById("cluster-choice");
  choice.replaceChildren(...(clusters.ok ? clusters.body : []).map((c) => el("option", { value: c.name }, c.title)));
  choice.value = name;
  if (!overview.ok) {
    document.getElementById("cluster-description").textContent = "No cluster named " + name + ".";
  } else {
    show(overview.body);
    const fresh = await api("/web/api/freshness");
    if (fresh.ok) showFreshness(fresh.body);
  }
  document.getElementById("run-saving").addEventListener("click", () => runSaving(name));
  await ready();
  if (overview.ok && overview.body.figures.connections) headline(name);
}

if (requireSignIn()) load();
