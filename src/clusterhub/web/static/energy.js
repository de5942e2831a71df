"use strict";
// The Energy page: the joint dispatch of a bundled cluster's first 24 hours as SVG charts, each
// with the same numbers in a table: electricity supply by source, every shared connection's
// import against its limit (congested hours marked), joint against stand-alone cost.

function drawSupply(data) {
  const labels = data.hours.map(hourLabel);
  const series = data.supply.series.map((s, i) => ({ name: s.source, values: s.mw, colour: PALETTE[i % PALETTE.length] }));
  const peak = Math.max(...labels.map((_, i) => series.reduce((sum, s) => sum + s.values[i], 0)));
  document.getElementById("supply-chart").replaceChildren(barChart({ id: "supply", stacked: true, unit: "MW", labels, series,
    title: "Electricity supply by source, joint dispatch, " + data.title,
    desc: "Stacked bars, one per hour of the first 24 hours: " + series.map((s) => s.name).join(", ") +
      "; the highest hour supplies " + number(peak, 1) + " MW. The table below lists every value." }));
  document.getElementById("supply-legend").replaceChildren(...chartLegend(series.map((s) => [s.name, s.colour])));
  document.getElementById("supply-table").replaceChildren(table("Electricity supply per hour (MW), joint dispatch",
    ["Hour", ...series.map((s) => s.name), "Total"],
    labels.map((h, i) => [h, ...series.map((s) => ({ text: number(s.values[i], 1), num: true })),
      { text: number(series.reduce((sum, s) => sum + s.values[i], 0), 1), num: true }])));
}

function drawConnections(data) {
  const labels = data.hours.map(hourLabel);
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
        labels.map((h, i) => [h, { text: number(c.import_mw[i], 1), num: true }, { text: number(c.limit_mw[i], 1), num: true },
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
    title: "Cost per participant over 24 hours, alone and joint, " + data.title,
    desc: "Two bars per participant: its cost when every company runs alone and its own assets' and contracts' cost in the joint dispatch " +
      "(the pooled grid import, EUR " + number(data.joint_pooled_eur) + ", has no single owner). The table below lists every value." }));
  document.getElementById("cost-legend").replaceChildren(...chartLegend(series.map((s) => [s.name, s.colour])));
  const money = (v) => ({ text: number(v), num: true });
  document.getElementById("cost-table").replaceChildren(table("Cost per participant, first 24 hours (EUR)",
    ["Participant", "Alone", "Joint (own assets and contracts)", "Difference"],
    [...data.costs.map((c) => [c.participant, money(c.standalone_eur), money(c.joint_eur), money(c.standalone_eur - c.joint_eur)]),
      ["Pooled grid import (shared, no single owner)", money(0), money(data.joint_pooled_eur), money(-data.joint_pooled_eur)],
      ["Total", money(data.standalone_cost_eur), money(data.joint_cost_eur), money(data.saving_eur)]]));
}

async function load() {
  const name = await pickCluster();
  const { ok, body } = await withProgress(document.getElementById("energy-status"),
    "/web/api/clusters/" + encodeURIComponent(name) + "/energy", "Optimising 24 hours jointly and for each company alone");
  if (ok) {
    document.getElementById("energy-title").textContent = "Energy · " + body.title;
    document.title = "Energy · " + body.title + " · clusterhub";
    drawSupply(body);
    drawConnections(body);
    drawCosts(body);
  }
  ready();
}

if (requireSignIn()) load();
