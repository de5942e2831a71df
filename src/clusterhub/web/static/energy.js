"use strict";
// The Energy page: the cluster's demand over its whole horizon (a year of hours, zoomable; a click
// picks the start date), and the dispatch of a chosen window (a start date and up to a week) as
// charts, each with the same numbers in a table: every carrier's supply by source and use,
// jointly or with every company alone, every shared connection's import against its limit
// (congested hours marked), joint against stand-alone cost. The window is optimised in a
// background job on the server; the page shows its stage while it runs.
const SOURCE_COLOURS = { "Own generation": PALETTE[2], "Storage discharge": PALETTE[3], "Converter output": PALETTE[1],
  "Market purchase": PALETTE[6], "Grid import": PALETTE[0], "Link inflow": PALETTE[5],
  "Bought by agreement": PALETTE[7], "Agreement not delivered": PALETTE[4] };
const MODES = { joint: "joint dispatch", standalone: "every company alone" };
const POLL_MS = 300;
const CONGESTED = "#a40e26";

const longLabel = (data) => (iso) => data.hours.length > 24 ? iso.slice(0, 10) + " " + iso.slice(11, 16) : hourLabel(iso);
const windowText = (data) => number(data.length_hours) + " hour" + (data.length_hours === 1 ? "" : "s") + " from " + data.start_date;
const sum = (series, i) => series.reduce((total, s) => total + s.values[i], 0);
const hourAxis = { type: "date", hoverformat: "%Y-%m-%d %H:%M", gridcolor: GRID };

function drawCarrier(data, carrier, mode) {
  const x = data.hours.map(wallClock), rows = data.hours.map(longLabel(data));
  const run = carrier[mode], what = MODES[mode];
  const series = run.supply.map((s) => ({ name: s.source, values: s.mw, colour: SOURCE_COLOURS[s.source], unit: "MW" }));
  const uses = [{ name: "Demand served", values: run.served_mw }, ...run.use.map((u) => ({ name: u.use, values: u.mw }))];
  const peak = Math.max(0, ...x.map((_, i) => sum(series, i)));
  const section = el("section", { class: "carrier", "data-carrier": carrier.carrier, "data-mode": mode },
    el("h3", {}, carrier.name), carrier.description ? el("p", { class: "muted" }, carrier.description) : "");
  if (carrier.idle) {
    section.append(el("p", { class: "idle" }, "Nothing was supplied or used in these " + windowText(data) + ", jointly or alone."));
    return section;
  }
  section.append(
    el("p", {}, "Highest hour supplies " + number(peak, 1) + " MW; the demand served totals " +
      number(run.served_mw.reduce((a, b) => a + b, 0), 0) + " MWh over the " + windowText(data) + "."));
  section.append(chart({ id: "carrier-" + carrier.carrier,
    title: carrier.name + " supply by source, " + what + ", " + data.title,
    desc: "Stacked bars, one per hour of the " + windowText(data) + ": " + series.map((s) => s.name).join(", ") +
      "; the highest hour supplies " + number(peak, 1) + " MW. The dashed line is the demand served. The tables below list every value.",
    traces: barTraces(x, series, { name: "Demand served", values: run.served_mw, unit: "MW" }),
    layout: { barmode: "stack", bargap: 0.15, xaxis: hourAxis, yaxis: valueAxis("MW"), hovermode: "x unified" },
    data: { headers: ["Hour", ...series.map((s) => s.name + " (MW)"), ...uses.map((u) => u.name + " (MW)")],
      rows: data.hours.map((h, i) => [wallClock(h), ...series.map((s) => s.values[i]), ...uses.map((u) => u.values[i])]) } }));
  const cells = (list) => rows.map((h, i) => [h, ...list.map((s) => ({ text: number(s.values[i], 1), num: true })),
    { text: number(sum(list, i), 1), num: true }]);
  section.append(el("details", {}, el("summary", {}, carrier.name + " supply and use per hour as tables"),
    table(carrier.name + " supply per hour (MW), " + what, ["Hour", ...series.map((s) => s.name), "Total"], cells(series)),
    table(carrier.name + " use per hour (MW), " + what, ["Hour", ...uses.map((u) => u.name), "Total"], cells(uses))));
  return section;
}

function drawCarriers(data, mode) {
  replaceCharts(document.getElementById("carrier-charts"), ...data.carriers.map((c) => drawCarrier(data, c, mode)));
}

function drawConnections(data) {
  const x = data.hours.map(wallClock), rows = data.hours.map(longLabel(data));
  const out = document.getElementById("connection-charts");
  replaceCharts(out, ...data.connections.map((c) => {
    const marked = c.congested.filter(Boolean).length;
    const section = el("section", { class: "connection", "data-connection": c.id, "data-congested-hours": c.congested_hours },
      el("h3", {}, c.name),
      el("p", {}, "Congested hours: ", el("strong", { class: "congested-count" }, number(c.congested_hours)),
        " of " + x.length + "; highest import " + number(Math.max(...c.import_mw), 1) + " MW."));
    if (c.one_way_hours > 0) {
      section.append(el("p", { class: "one-way" }, "Held to import or export, not both: ",
        el("strong", {}, number(c.one_way_hours)), " hours in which export paid more than import cost" +
        (c.gap_pct ? " (cost within " + number(c.gap_pct, 3) + "% of the best)." : " (exact).")));
    }
    if (c.capacity_eur.joint > 0 || c.capacity_eur.standalone > 0) {
      section.append(el("p", { class: "capacity-tariff" }, "Capacity tariff on the highest flow: ",
        el("strong", {}, number(c.capacity_eur.joint) + " EUR"), " for the pooled peak, against " +
        number(c.capacity_eur.standalone) + " EUR for each member's own peak alone."));
    }
    const traces = barTraces(x, [{ name: "Import", values: c.import_mw, unit: "MW",
      colours: c.congested.map((on) => (on ? CONGESTED : PALETTE[0])) }], { name: "Import limit", values: c.limit_mw, unit: "MW" });
    const hours = c.congested.flatMap((on, i) => (on ? [i] : []));
    traces.push({ type: "scatter", mode: "markers", name: "Congested hour (import at the limit)", x: hours.map((i) => x[i]),
      y: hours.map((i) => c.import_mw[i]), meta: hours, marker: { symbol: "x-thin-open", size: 11, color: CONGESTED, line: { width: 2, color: CONGESTED } },
      hovertemplate: "congested<extra></extra>" });
    section.append(chart({ id: "connection-" + c.id, title: "Import through " + c.name + " against its limit",
      desc: "Bars: import per hour; dashed line: the import limit; " + marked + " congested hour" + (marked === 1 ? "" : "s") +
        " drawn red and marked with a cross. The table below lists every value.",
      traces, layout: { bargap: 0.15, xaxis: hourAxis, yaxis: valueAxis("MW"), hovermode: "x unified" },
      data: { headers: ["Hour", "Import (MW)", "Limit (MW)", "Congested", "Value of more capacity (EUR/MWh)"],
        rows: data.hours.map((h, i) => [wallClock(h), c.import_mw[i], c.limit_mw[i], c.congested[i] ? "yes" : "no", c.value_eur_per_mwh[i]]) } }));
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
  const series = [{ name: "Alone", values: costs.map((c) => c.standalone_eur), colour: "#6e7781", unit: "EUR" },
    { name: "Joint", values: costs.map((c) => c.joint_eur), colour: "#116329", unit: "EUR" }];
  replaceCharts(document.getElementById("cost-chart"), chart({ id: "costs", height: 380,
    title: "Cost per participant over " + number(data.length_hours) + " hours, alone and joint, " + data.title,
    desc: "Two bars per participant: its cost when every company runs alone and its own assets' and contracts' cost in the joint dispatch " +
      "(the pooled grid import, EUR " + number(data.joint_pooled_eur) + ", has no single owner). The table below lists every value.",
    traces: barTraces(labels, series), layout: { barmode: "group", xaxis: { tickangle: -25, automargin: true }, yaxis: valueAxis("EUR"), hovermode: "x unified" },
    data: { headers: ["Participant", "Alone (EUR)", "Joint, own assets and contracts (EUR)"],
      rows: data.costs.map((c) => [c.participant, c.standalone_eur, c.joint_eur]) } }));
  const money = (v) => ({ text: number(v), num: true });
  document.getElementById("cost-table").replaceChildren(table("Cost per participant, " + windowText(data) + " (EUR)",
    ["Participant", "Alone", "Joint (own assets and contracts)", "Difference"],
    [...data.costs.map((c) => [c.participant, money(c.standalone_eur), money(c.joint_eur), money(c.standalone_eur - c.joint_eur)]),
      ["Pooled grid import (shared, no single owner)", money(0), money(data.joint_pooled_eur), money(-data.joint_pooled_eur)],
      ["Total", money(data.standalone_cost_eur), money(data.joint_cost_eur), money(data.saving_eur)]]));
}

// The whole horizon's demand per carrier, hour by hour: a range slider and buttons to zoom to a
// day, a week or a month; the optimised window shaded; a click on a day makes it the start date.
function drawYear(year, shown) {
  const out = document.getElementById("year-chart");
  const x = year.hours;
  const shapes = shown ? [{ type: "rect", xref: "x", yref: "paper", x0: wallClock(shown.hours[0]),
    x1: wallClock(shown.hours[shown.hours.length - 1]), y0: 0, y1: 1, fillcolor: "#f0b400", opacity: 0.25, line: { width: 0 } }] : [];
  const peaks = year.carriers.map((c) => c.name.toLowerCase() + " " + number(c.peak_mw, 1) + " MW").join(", ");
  const figure = chart({ id: "year", height: 420,
    title: "Demand per carrier over the whole horizon, " + year.title,
    desc: "Lines, one per carrier, of the cluster's demand in every hour from " + year.days[0] + " to " + year.days[year.days.length - 1] +
      " (" + number(x.length) + " hours); highest hours: " + peaks + "." + (shown ? " The shaded band is the window optimised below." : "") +
      " The table below lists the demand per day; the data as CSV has every hour.",
    traces: year.carriers.map((c, i) => ({ type: "scatter", mode: "lines", name: c.name, x, y: c.demand_mw,
      line: { width: 1, color: PALETTE[i % PALETTE.length] }, hovertemplate: "%{y:,.1f} MW" })),
    layout: { hovermode: "x unified", yaxis: valueAxis("MW"), shapes, margin: { l: 70, r: 16, t: 64, b: 20 },
      xaxis: Object.assign({}, hourAxis, { rangeslider: { visible: true, thickness: 0.12 },
        rangeselector: { x: 1, xanchor: "right", y: 1.01, yanchor: "bottom", buttons: [
          { step: "day", stepmode: "todate", count: 1, label: "1 day" }, { step: "day", stepmode: "backward", count: 7, label: "1 week" },
          { step: "month", stepmode: "backward", count: 1, label: "1 month" }, { step: "all", label: "Whole horizon" }] } }) },
    data: { headers: ["Hour", ...year.carriers.map((c) => c.name + " demand (MW)")],
      rows: x.map((h, i) => [h, ...year.carriers.map((c) => c.demand_mw[i])]) },
    drawn: (plot) => plot.on("plotly_click", (event) => {
      const day = String(event.points[0].x).slice(0, 10);
      const start = document.getElementById("energy-start");
      start.value = day;
      document.getElementById("year-status").textContent = "Start date set to " + day + ": press Show to optimise from that day.";
    }) });
  replaceCharts(out, figure, el("p", { id: "year-status", class: "muted", role: "status" }),
    el("details", {}, el("summary", {}, "Demand per day as a table"),
      table("Demand per day (MWh), " + year.title, ["Day", ...year.carriers.map((c) => c.name)],
        year.days.map((d, i) => [d, ...year.carriers.map((c) => ({ text: number(c.daily_mwh[i], 1), num: true }))]))));
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
  const year = api("/web/api/clusters/" + encodeURIComponent(name) + "/year");
  const body = await optimise(name, query, form);
  const yearly = await year;
  if (yearly.ok) drawYear(yearly.body, body);
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
  await ready();
}

if (requireSignIn()) load();
