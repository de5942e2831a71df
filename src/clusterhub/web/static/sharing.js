"use strict";
// The Benefit-sharing page: the day's saving split among the members by several methods side
// by side (a grouped bar chart, drawn by plotly.js, and a table), and each split's stability statement in words.

function show(data) {
  const methods = data.allocations;
  const players = data.players;
  document.getElementById("sharing-figures").replaceChildren(
    el("div", {}, el("dt", {}, "Saving to share (24 h)"), el("dd", { id: "sharing-saving" }, "€ " + number(data.saving_eur))),
    el("div", {}, el("dt", {}, "Methods that keep everyone in"), el("dd", {}, methods.filter((m) => m.stable).length + " of " + methods.length)));
  const series = methods.map((m, i) => ({ name: m.title, values: players.map((p) => m.shares[p] || 0), colour: PALETTE[i % PALETTE.length], unit: "EUR" }));
  replaceCharts(document.getElementById("shares-chart"), chart({ id: "shares", height: 380,
    title: "Share of the saving per participant by method",
    desc: "One group of bars per participant, one bar per method: " + methods.map((m) => m.title).join(", ") +
      ". Every method splits the same saving of EUR " + number(data.saving_eur) + ". The table below lists every value.",
    traces: barTraces(players, series),
    layout: { barmode: "group", xaxis: { tickangle: -25, automargin: true }, yaxis: valueAxis("EUR"), hovermode: "x unified" },
    data: { headers: ["Participant", ...methods.map((m) => m.title + " (EUR)")],
      rows: players.map((p) => [p, ...methods.map((m) => m.shares[p] || 0)]) } }));
  document.getElementById("shares-table").replaceChildren(table("Share of the saving per participant (EUR)",
    ["Participant", ...methods.map((m) => m.title)],
    [...players.map((p) => [p, ...methods.map((m) => ({ text: number(m.shares[p] || 0), num: true }))]),
      ["Total", ...methods.map((m) => ({ text: number(Object.values(m.shares).reduce((a, b) => a + b, 0)), num: true }))]]));
  const table_ = document.querySelector("#shares-table table");
  if (table_) table_.id = "shares-grid";
  document.getElementById("statements").replaceChildren(...methods.map((m) =>
    el("div", { class: "statement " + (m.stable ? "stable" : "unstable"), "data-method": m.method },
      el("h3", {}, m.title + ": " + (m.stable ? "stable" : "not stable")),
      el("p", {}, m.statement))));
}

async function load() {
  const name = await pickCluster();
  const { ok, body } = await withProgress(document.getElementById("sharing-status"),
    "/web/api/clusters/" + encodeURIComponent(name) + "/sharing", "Splitting the saving by each method and checking its stability");
  if (ok) {
    document.getElementById("sharing-title").textContent = "Benefit sharing · " + body.title;
    show(body);
  }
  await ready();
}

if (requireSignIn()) load();
