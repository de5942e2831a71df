"use strict";
// The Energy page: the dispatch of a bundled cluster over a chosen window (a start date and up to
// a week) as SVG charts, each with the same numbers in a table: every carrier's supply by source
// and use, jointly or with every company alone, every shared connection's import against its
// limit (congested hours marked), joint against stand-alone cost. The window is optimised in a
// background job on the server; the page shows its stage while it runs.
const SOURCE_COLOURS = { "Own generation": PALETTE[2], "Storage discharge": PALETTE[3], "Converter output": PALETTE[1],
  "Market purchase": PALETTE[6], "Grid import": PALETTE[0], "Link inflow": PALETTE[5] };
const MODES = { joint: "joint dispatch", standalone: "every company alone" };
const POLL_MS = 300;

// "13:00" on a chart's axis, and the day ("4 Mar") at midnight when the window spans several days.
const dayLabel = (iso) => new Date(iso.slice(0, 10) + "T12:00:00Z").toLocaleDateString("en-GB", { day: "numeric", month: "short", timeZone: "UTC" });
const shortLabel = (data) => (iso) => data.hours.length > 24 && hourLabel(iso) === "00:00" ? dayLabel(iso) : hourLabel(iso);
const longLabel = (data) => (iso) => data.hours.length > 24 ? iso.slice(0, 10) + " " + iso.slice(11, 16) : hourLabel(iso);
const windowText = (data) => number(data.length_hours) + " hour" + (data.length_hours === 1 ? "" : "s") + " from " + data.start_date;
const sum = (series, i) => series.reduce((total, s) => total + s.values[i], 0);

function drawCarrier(data, carrier, mode) {
  const labels = data.hours.map(shortLabel(data)), rows = data.hours.map(longLabel(data));
  const run = carrier[mode], what = MODES[mode];
  const series = run.supply.map((s) => ({ name: s.source, values: s.mw, colour: SOURCE_COLOURS[s.source] }));
  const uses = [{ name: "Demand served", values: run.served_mw }, ...run.use.map((u) => ({ name: u.use, values: u.mw }))];
  const peak = Math.max(0, ...labels.map((_, i) => sum(series, i)));
  const section = el("section", { class: "carrier", "data-carrier": carrier.carrier, "data-mode": mode },
    el("h3", {}, carrier.name), carrier.description ? el("p", { class: "muted" }, carrier.description) : "");
  if (carrier.idle) {
    section.append(el("p", { class: "idle" }, "Nothing was supplied or used in these " + windowText(data) + ", jointly or alone."));
    return section;
  }
  section.append(
    el("p", {}, "Highest hour supplies " + number(peak, 1) + " MW; the demand served totals " +
      number(run.served_mw.reduce((a, b) => a + b, 0), 0) + " MWh over the " + windowText(data) + "."));
  section.append(el("div", { class: "chart" }, barChart({ id: "carrier-" + carrier.carrier, stacked: true, unit: "MW", labels, series,
    line: { name: "Demand served", values: run.served_mw, colour: "#1b1f24" },
    title: carrier.name + " supply by source, " + what + ", " + data.title,
    desc: "Stacked bars, one per hour of the " + windowText(data) + ": " + series.map((s) => s.name).join(", ") +
      "; the highest hour supplies " + number(peak, 1) + " MW. The dashed line is the demand served. The tables below list every value." })));
  section.append(el("div", { class: "legend" }, ...chartLegend([...series.map((s) => [s.name, s.colour]), ["Demand served", "#1b1f24", "┅"]])));
  const cells = (list) => rows.map((h, i) => [h, ...list.map((s) => ({ text: number(s.values[i], 1), num: true })),
    { text: number(sum(list, i), 1), num: true }]);
  section.append(el("details", {}, el("summary", {}, carrier.name + " supply and use per hour as tables"),
    table(carrier.name + " supply per hour (MW), " + what, ["Hour", ...series.map((s) => s.name), "Total"], cells(series)),
    table(carrier.name + " use per hour (MW), " + what, ["Hour", ...uses.map((u) => u.name), "Total"], cells(uses))));
  return section;
}

function drawCarriers(data, mode) {
  document.getElementById("carrier-charts").replaceChildren(...data.carriers.map((c) => drawCarrier(data, c, mode)));
}

function drawConnections(data) {
  const labels = data.hours.map(shortLabel(data)), rows = data.hours.map(longLabel(data));
  const out = document.getElementById("connection-charts");
  out.replaceChildren(...data.connections.map((c) => {
    const marked = c.congested.filter(Boolean).length;
    const section = el("section", { class: "connection", "data-connection": c.id, "data-congested-hours": c.congested_hours },
      el("h3", {}, c.name),
      el("p", {}, "Congested hours: ", el("strong", { class: "congested-count" }, number(c.congested_hours)),
        " of " + labels.length + "; highest import " + number(Math.max(...c.import_mw), 1) + " MW."));
    section.append(el("div", { class: "chart" }, barChart({ id: "connection-" + c.id, unit: "MW", labels,
      series: [{ name: "Import", values: c.import_mw, colour: "#0b5cad" }],
      line: { name: "Import limit", values: c.limit_mw, colour: "#1b1f24" }, marked: c.congested, markName: "congested",
      title: "Import through " + c.name + " against its limit",
      desc: "Bars: import per hour; dashed line: the import limit; " + marked + " congested hour" + (marked === 1 ? "" : "s") +
        " drawn red with a cross. The table below lists every value." })));
    section.append(el("div", { class: "legend" }, ...chartLegend([["Import", "#0b5cad"], ["Congested hour", "#a40e26"], ["Import limit", "#1b1f24", "┅"]])));
    section.append(el("details", {}, el("summary", {}, "Import per hour as a table"),
      table("Import through " + c.name + " (MW)", ["Hour", "Import", "Limit", "Congested", "Value of more capacity (EUR/MWh)"],
        rows.map((h, i) => [h, { text: number(c.import_mw[i], 1), num: true }, { text: number(c.limit_mw[i], 1), num: true },
          c.congested[i] ? "yes" : "no", { text: number(c.value_eur_per_mwh[i], 2), num: true }]))));
    return section;
  }));
}

function drawCosts(data) {
  document.getElementById("cost-figures").replaceChildren(...[["Every company alone", data.standalone_cost_eur, "standalone-cost"],
    ["Joint", data.joint_cost_eur, "joint-cost"], ["Saving", data.saving_eur, "energy-saving"]]
    .map(([label, value, id]) => el("div", {}, el("dt", {}, label), el("dd", { id }, "€ " + number(value)))));
  const costs = data.costs.filter((c) => c.standalone_eur || c.joint_eur);
  const labels = costs.map((c) => c.participant);
  const series = [{ name: "Alone", values: costs.map((c) => c.standalone_eur), colour: "#6e7781" },
    { name: "Joint", values: costs.map((c) => c.joint_eur), colour: "#116329" }];
  document.getElementById("cost-chart").replaceChildren(barChart({ id: "costs", unit: "EUR", labels, series, rotate: true,
    title: "Cost per participant over " + number(data.length_hours) + " hours, alone and joint, " + data.title,
    desc: "Two bars per participant: its cost when every company runs alone and its own assets' and contracts' cost in the joint dispatch " +
      "(the pooled grid import, EUR " + number(data.joint_pooled_eur) + ", has no single owner). The table below lists every value." }));
  document.getElementById("cost-legend").replaceChildren(...chartLegend(series.map((s) => [s.name, s.colour])));
  const money = (v) => ({ text: number(v), num: true });
  document.getElementById("cost-table").replaceChildren(table("Cost per participant, " + windowText(data) + " (EUR)",
    ["Participant", "Alone", "Joint (own assets and contracts)", "Difference"],
    [...data.costs.map((c) => [c.participant, money(c.standalone_eur), money(c.joint_eur), money(c.standalone_eur - c.joint_eur)]),
      ["Pooled grid import (shared, no single owner)", money(0), money(data.joint_pooled_eur), money(-data.joint_pooled_eur)],
      ["Total", money(data.standalone_cost_eur), money(data.joint_cost_eur), money(data.saving_eur)]]));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// FastAPI names a query parameter ["query", "hours"]; the form's field is "hours".
const fieldProblems = (body, status) => problemsByField(body && Array.isArray(body.detail)
  ? { detail: body.detail.map((p) => Object.assign({}, p, { loc: (p.loc || []).filter((part) => part !== "query") })) } : body, status);

// Start the window's job, show its stage and fraction while it runs; its answer, or null. The
// status is a live region (not aria-busy, which would hold back the stages until the end).
async function optimise(name, query, form) {
  const out = document.getElementById("energy-status");
  const bar = el("progress", { id: "energy-progress", max: "1", value: "0", "aria-labelledby": "energy-stage" });
  const stage = el("span", { id: "energy-stage" }, "Starting the optimisation…");
  out.replaceChildren(el("p", {}, bar, " ", stage));
  let answer = await api("/web/api/clusters/" + encodeURIComponent(name) + "/energy/jobs?" + query, { method: "POST" });
  while (answer.ok && (answer.body.state === "queued" || answer.body.state === "running")) {
    const text = answer.body.stage.charAt(0).toUpperCase() + answer.body.stage.slice(1) + "…";
    if (stage.textContent !== text) stage.textContent = text;
    bar.value = answer.body.fraction;
    await sleep(POLL_MS);
    answer = await api("/web/api/energy/jobs/" + encodeURIComponent(answer.body.id));
  }
  if (answer.status === 422) {
    out.replaceChildren(el("p", { class: "rejected" }, "Could not optimise this window: see the form above."));
    showProblems(form, fieldProblems(answer.body, answer.status));
    return null;
  }
  if (!answer.ok || answer.body.state !== "done") {
    const detail = answer.ok ? answer.body.error : answer.body && answer.body.detail;
    out.replaceChildren(el("p", { class: "rejected" }, "Could not load this page's figures: " + (typeof detail === "string" ? detail : answer.status)));
    return null;
  }
  out.replaceChildren();
  return answer.body.result;
}

function chosenMode() {
  return document.getElementById("mode-standalone").checked ? "standalone" : "joint";
}

async function load() {
  const params = new URLSearchParams(location.search);
  const name = await pickCluster();
  const form = document.getElementById("cluster-form");
  const start = document.getElementById("energy-start"), hours = document.getElementById("energy-hours");
  start.value = params.get("start") || "";
  hours.value = params.get("hours") || "24";
  if (params.get("mode") === "standalone") document.getElementById("mode-standalone").checked = true;
  const query = new URLSearchParams({ hours: hours.value });
  if (start.value) query.set("start", start.value);
  const body = await optimise(name, query, form);
  if (body) {
    document.getElementById("energy-title").textContent = "Energy · " + body.title;
    document.title = "Energy · " + body.title + " · clusterhub";
    document.getElementById("energy-window").textContent = body.title + ": the " + windowText(body) +
      " optimised jointly (every member sharing the connections and links) and for every company alone. Each chart's numbers are in the table below it.";
    start.min = body.horizon.first;
    start.max = body.horizon.last;
    start.value = body.start_date;
    drawCarriers(body, chosenMode());
    drawConnections(body);
    drawCosts(body);
    document.getElementById("dispatch-mode").addEventListener("change", () => {
      const mode = chosenMode();
      drawCarriers(body, mode);
      const url = new URL(location.href);
      url.searchParams.set("mode", mode);
      history.replaceState(null, "", url);
    });
  }
  ready();
}

if (requireSignIn()) load();
