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

function drawMap(data) {
  const { width, height, scale_km, scale_px } = data.map;
  const colour = Object.fromEntries(data.members.map((m, i) => [m.id, COLOURS[i % COLOURS.length]]));
  const at = Object.fromEntries(data.sites.map((s) => [s.id, s]));
  const map = svg("svg", { class: "map", viewBox: "0 0 " + width + " " + height, role: "img", "aria-labelledby": "map-title map-desc" });
  map.append(svg("title", { id: "map-title" }, "Map of the sites of " + data.title));
  map.append(svg("desc", { id: "map-desc" }, data.sites.length + " sites of " + data.figures.members +
    " members and " + data.links.length + " links; north is up; scale bar " + scale_km + " km."));
  for (const link of data.links) {
    const a = at[link.source], b = at[link.target];
    if (!a || !b) continue;
    const line = svg("line", { x1: a.x, y1: a.y, x2: b.x, y2: b.y, stroke: CARRIER_COLOURS[link.carrier] || "#57606a",
      "stroke-width": 3, "stroke-dasharray": link.kind === "pipeline" ? "8 4" : "" });
    line.append(svg("title", {}, link.id + ": " + link.carrier + ", " + link.capacity_mw + " MW"));
    map.append(line);
  }
  for (const site of data.sites) {
    const g = svg("g", {});
    g.append(svg("circle", { cx: site.x, cy: site.y, r: 7, fill: colour[site.participant], stroke: "#fff", "stroke-width": 2 }));
    g.append(svg("title", {}, site.name + " (" + site.participant + ") " + site.latitude + "° N, " + site.longitude + "° E"));
    const right = site.x < width - 200;
    g.append(svg("text", { x: site.x + (right ? 11 : -11), y: site.y + 4, "text-anchor": right ? "start" : "end" }, site.name));
    map.append(g);
  }
  // scale bar and north arrow, bottom left
  const y = height - 24;
  map.append(svg("line", { x1: 20, y1: y, x2: 20 + scale_px, y2: y, stroke: "#1b1f24", "stroke-width": 3 }));
  map.append(svg("line", { x1: 20, y1: y - 6, x2: 20, y2: y + 6, stroke: "#1b1f24", "stroke-width": 2 }));
  map.append(svg("line", { x1: 20 + scale_px, y1: y - 6, x2: 20 + scale_px, y2: y + 6, stroke: "#1b1f24", "stroke-width": 2 }));
  map.append(svg("text", { x: 20 + scale_px / 2, y: y - 9, "text-anchor": "middle", id: "scale-label" }, scale_km + " km"));
  map.append(svg("text", { x: width - 24, y: 28, "text-anchor": "middle" }, "N ↑"));
  document.getElementById("map").replaceChildren(map);
  const carriers = [...new Set(data.links.map((l) => l.carrier))];
  document.getElementById("legend").replaceChildren(
    ...data.members.filter((m) => m.sites.length).map((m) =>
      el("span", {}, el("span", { style: "color:" + colour[m.id], "aria-hidden": "true" }, "● "), m.name)),
    ...carriers.map((c) => el("span", {}, el("span", { style: "color:" + (CARRIER_COLOURS[c] || "#57606a"), "aria-hidden": "true" }, "━ "), c + " link")));
}

function show(data) {
  document.getElementById("overview-title").textContent = data.title;
  document.title = data.title + " · clusterhub";
  document.getElementById("cluster-description").textContent = data.description;
  const f = data.figures;
  document.getElementById("figures").replaceChildren(...[["Members", f.members], ["Sites", f.sites],
    ["Connections", f.connections], ["Links", f.links], ["Exchanges", f.exchanges]]
    .map(([label, value]) => el("div", {}, el("dt", {}, label), el("dd", {}, number(value)))));
  drawMap(data);
  document.getElementById("members").replaceChildren(table("Members of " + data.title, ["Name", "Kind", "NACE", "Sites"],
    data.members.map((m) => [m.name, m.kind.replace("_", " "), m.nace || "", m.sites.length ? m.sites.join(", ") : "none"])));
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
      el("div", {}, el("dt", {}, "Every company alone"), el("dd", {}, "€ " + number(body.standalone_cost_eur)))),
    table("Stand-alone cost per participant, first 24 hours", ["Participant", "Cost alone (EUR)"],
      Object.entries(body.standalone_cost_by_participant_eur).map(([p, v]) => [p, { text: number(v), num: true }])));
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
  }
  document.getElementById("run-saving").addEventListener("click", () => runSaving(name));
  ready();
}

if (requireSignIn()) load();
