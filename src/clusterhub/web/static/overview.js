"use strict";
// The overview of a bundled cluster: figures, an SVG map of the sites, members, connections,
// links, and a small joint-versus-alone optimisation with a progress indicator.
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#0b5cad", "#b35900", "#116329", "#8250df", "#a40e26", "#1b7c83", "#6e7781", "#bf3989"];
const CARRIER_COLOURS = { steam: "#b35900", hydrogen: "#8250df", electricity: "#0b5cad", heat: "#a40e26" };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

const KIND_COLOURS = { company: "#0b5cad", utility: "#b35900", grid_operator: "#116329", public_body: "#8250df", other: "#6e7781" };
// Many members: colour by kind and number the sites (the key lists them); few: a colour and a
// name label per member.
const crowded = (data) => data.members.length > 8 || data.sites.length > 12;

function colours(data) {
  if (crowded(data)) return Object.fromEntries(data.members.map((m) => [m.id, KIND_COLOURS[m.kind] || "#6e7781"]));
  return Object.fromEntries(data.members.map((m, i) => [m.id, COLOURS[i % COLOURS.length]]));
}

function scaleBar(map, height, scale_km, scale_px, id) {
  const y = height - 24;
  map.append(svg("line", { x1: 20, y1: y, x2: 20 + scale_px, y2: y, stroke: "#1b1f24", "stroke-width": 3 }));
  map.append(svg("line", { x1: 20, y1: y - 6, x2: 20, y2: y + 6, stroke: "#1b1f24", "stroke-width": 2 }));
  map.append(svg("line", { x1: 20 + scale_px, y1: y - 6, x2: 20 + scale_px, y2: y + 6, stroke: "#1b1f24", "stroke-width": 2 }));
  map.append(svg("text", { x: 20 + scale_px / 2, y: y - 9, "text-anchor": "middle", id }, scale_km + " km"));
}

// A site: a circle, with its name beside it, or its number inside it on a crowded map.
function marker(site, x, y, colour, numbered, width) {
  const g = svg("g", { class: "site", "data-site": site.id });
  g.append(svg("circle", { cx: x, cy: y, r: numbered ? 9 : 7, fill: colour, stroke: "#fff", "stroke-width": 2 }));
  g.append(svg("title", {}, (numbered ? site.number + ": " : "") + site.name + " (" + site.participant + ") " + site.latitude + "° N, " + site.longitude + "° E"));
  if (numbered) {
    g.append(svg("text", { x, y: y + 3.5, "text-anchor": "middle", class: "site-number", fill: "#fff" }, String(site.number)));
  } else {
    const right = x < width - 200;
    g.append(svg("text", { x: x + (right ? 11 : -11), y: y + 4, "text-anchor": right ? "start" : "end" }, site.name));
  }
  return g;
}

function drawLinks(map, links, at) {
  for (const link of links) {
    const a = at[link.source], b = at[link.target];
    if (!a || !b) continue;
    const line = svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: CARRIER_COLOURS[link.carrier] || "#57606a",
      "stroke-width": 3, "stroke-dasharray": link.kind === "pipeline" ? "8 4" : "" });
    line.append(svg("title", {}, link.id + ": " + link.carrier + ", " + link.capacity_mw + " MW"));
    map.append(line);
  }
}

function drawMap(data) {
  const { width, height, scale_km, scale_px } = data.map;
  const colour = colours(data), numbered = crowded(data), inset = data.inset;
  const inCore = new Set(inset ? inset.sites.map((s) => s.id) : []);
  const at = Object.fromEntries(data.sites.map((s) => [s.id, s]));
  const map = svg("svg", { class: "map", viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "map-title map-desc" });
  map.append(svg("title", { id: "map-title" }, "Map of the sites of " + data.title));
  map.append(svg("desc", { id: "map-desc" }, data.sites.length + " sites of " + data.figures.members +
    " members and " + data.links.length + " links; north is up; scale bar " + scale_km + " km" +
    (inset ? "; the " + inset.sites.length + " sites inside the outlined box are shown enlarged on the second map." : ".")));
  drawLinks(map, data.links, at);
  if (inset) {
    const [x, y, w, h] = inset.box;
    map.append(svg("rect", { id: "inset-box", x, y, width: Math.max(w, 6), height: Math.max(h, 6), fill: "none", stroke: "#1b1f24", "stroke-width": 1.5, "stroke-dasharray": "4 3" }));
    map.append(svg("text", { x: x + Math.max(w, 6) + 6, y: y + 4 }, "enlarged below (" + inset.sites.length + " sites)"));
  }
  for (const site of data.sites) {
    if (inCore.has(site.id)) continue;  // drawn on the inset, where there is room
    map.append(marker(site, site.x, site.y, colour[site.participant], numbered, width));
  }
  map.append(svg("text", { x: width - 24, y: 28, "text-anchor": "middle" }, "N ↑"));
  scaleBar(map, height, scale_km, scale_px, "scale-label");
  const figures = [map];
  if (inset) {
    const small = svg("svg", { class: "map inset", viewBox: "0 0 " + inset.width + " " + inset.height, role: "img", "aria-labelledby": "inset-title inset-desc" });
    small.append(svg("title", { id: "inset-title" }, "Enlarged map of the core of " + data.title));
    small.append(svg("desc", { id: "inset-desc" }, inset.sites.length + " sites; north is up; scale bar " + inset.scale_km + " km."));
    const near = Object.fromEntries(inset.sites.map((s) => [s.id, s]));
    drawLinks(small, data.links, near);
    for (const s of inset.sites) small.append(marker(at[s.id], s.x, s.y, colour[at[s.id].participant], numbered, inset.width));
    small.append(svg("text", { x: inset.width - 24, y: 28, "text-anchor": "middle" }, "N ↑"));
    scaleBar(small, inset.height, inset.scale_km, inset.scale_px, "inset-scale-label");
    figures.push(el("figure", { class: "inset-figure" }, small, el("figcaption", {}, "The core of the cluster, enlarged (outlined on the map above).")));
  }
  document.getElementById("map").replaceChildren(...figures);
  const carriers = [...new Set(data.links.map((l) => l.carrier))];
  const swatch = (c) => el("span", { style: "color:" + c, "aria-hidden": "true" }, "● ");
  const members = numbered
    ? [...new Set(data.members.map((m) => m.kind))].map((k) => el("span", {}, swatch(KIND_COLOURS[k] || "#6e7781"), k.replace("_", " ")))
    : data.members.filter((m) => m.sites.length).map((m) => el("span", {}, swatch(colour[m.id]), m.name));
  document.getElementById("legend").replaceChildren(...members,
    ...carriers.map((c) => el("span", {}, el("span", { style: "color:" + (CARRIER_COLOURS[c] || "#57606a"), "aria-hidden": "true" }, "━ "), c + " link")));
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
  ready();
  if (overview.ok && overview.body.figures.connections) headline(name);
}

if (requireSignIn()) load();
