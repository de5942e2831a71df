"use strict";
// Bar charts drawn as plain SVG (no chart library): stacked or grouped bars, an optional line
// (a limit) and marked bars (congested hours). Every chart has a <title> and <desc>; the pages
// show the same numbers in a table next to it.
const CHART_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#0b5cad", "#b35900", "#116329", "#8250df", "#a40e26", "#1b7c83", "#6e7781", "#bf3989"];

function svgNode(tag, attrs = {}, text) {
  const node = document.createElementNS(CHART_NS, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round upper end for the value axis: 1, 2 or 5 times a power of ten, at or above max.
function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

// barChart({id, title, desc, labels, series: [{name, values, colour}], stacked, unit,
//           line: {name, values, colour}, marked: [bool], markName})
function barChart(o) {
  const W = 800, H = o.rotate ? 320 : 300, L = 84, R = 12, T = 12, B = o.rotate ? 76 : 40;
  const n = o.labels.length, plotW = W - L - R, plotH = H - T - B;
  const totals = o.labels.map((_, i) => o.stacked
    ? o.series.reduce((s, x) => s + Math.max(0, x.values[i]), 0)
    : Math.max(0, ...o.series.map((x) => x.values[i])));
  const top = niceMax(Math.max(...totals, ...(o.line ? o.line.values : [0])));
  const y = (v) => T + plotH - (v / top) * plotH;
  const slot = plotW / n, barW = o.stacked ? slot * 0.7 : (slot * 0.8) / o.series.length;
  const chart = svgNode("svg", { viewBox: "0 0 " + W + " " + H, role: "img", id: o.id, "aria-labelledby": o.id + "-title " + o.id + "-desc" });
  chart.append(svgNode("title", { id: o.id + "-title" }, o.title));
  chart.append(svgNode("desc", { id: o.id + "-desc" }, o.desc));
  for (let k = 0; k <= 4; k++) {
    const v = (top * k) / 4;
    chart.append(svgNode("line", { class: "grid", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
    chart.append(svgNode("text", { x: L - 6, y: y(v) + 4, "text-anchor": "end" }, number(v, v < 10 && v % 1 ? 1 : 0)));
  }
  chart.append(svgNode("text", { x: 14, y: T + plotH / 2, transform: "rotate(-90 14 " + (T + plotH / 2) + ")", "text-anchor": "middle" }, o.unit));
  const every = Math.ceil(n / 12);
  o.labels.forEach((label, i) => {
    const x0 = L + i * slot;
    let base = 0;
    o.series.forEach((s, j) => {
      const v = Math.max(0, s.values[i]);
      const x = o.stacked ? x0 + (slot - barW) / 2 : x0 + slot * 0.1 + j * barW;
      const from = o.stacked ? base : 0;
      const marked = o.marked && o.marked[i];
      const bar = svgNode("rect", { x: x.toFixed(1), width: barW.toFixed(1), y: y(from + v).toFixed(1),
        height: Math.max(0, y(from) - y(from + v)).toFixed(1), fill: marked ? "#a40e26" : s.colour,
        class: marked ? "bar marked" : "bar", "data-series": s.name, "data-index": i });
      bar.append(svgNode("title", {}, label + ", " + s.name + ": " + number(v, 1) + " " + o.unit + (marked ? " (" + o.markName + ")" : "")));
      chart.append(bar);
      if (o.stacked) base += v;
    });
    if (o.marked && o.marked[i]) chart.append(svgNode("text", { class: "mark", x: x0 + slot / 2, y: y(totals[i]) - 4, "text-anchor": "middle", fill: "#a40e26" }, "✕"));
    if (i % every === 0) chart.append(svgNode("text", { x: x0 + slot / 2, y: H - B + 16, "text-anchor": o.rotate ? "end" : "middle",
      transform: o.rotate ? "rotate(-25 " + (x0 + slot / 2) + " " + (H - B + 16) + ")" : null }, label));
  });
  if (o.line) {
    const points = o.line.values.map((v, i) => (L + i * slot).toFixed(1) + "," + y(v).toFixed(1) + " " + (L + (i + 1) * slot).toFixed(1) + "," + y(v).toFixed(1)).join(" ");
    const line = svgNode("polyline", { points, fill: "none", stroke: o.line.colour, "stroke-width": 2, "stroke-dasharray": "6 3", class: "limit" });
    line.append(svgNode("title", {}, o.line.name));
    chart.append(line);
  }
  chart.append(svgNode("line", { class: "axis", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
  chart.append(svgNode("line", { class: "axis", x1: L, x2: L, y1: T, y2: y(0) }));
  return chart;
}

// A legend for a chart: a coloured swatch and a name per series (the swatch is decoration).
function chartLegend(items) {
  return items.map(([name, colour, glyph]) =>
    el("span", {}, el("span", { style: "color:" + colour, "aria-hidden": "true" }, (glyph || "■") + " "), name));
}

// Shared by the Energy and Benefit-sharing pages: the cluster picker, filled from the API.
async function pickCluster() {
  const name = new URLSearchParams(location.search).get("cluster") || "harbour";
  const clusters = await api("/web/api/clusters");
  const choice = document.getElementById("cluster-choice");
  choice.replaceChildren(...(clusters.ok ? clusters.body : []).map((c) => el("option", { value: c.name }, c.title)));
  choice.value = name;
  return name;
}

// A progress indicator in `out` while `path` is fetched; the failure shown there if it fails.
async function withProgress(out, path, what) {
  out.setAttribute("aria-busy", "true");
  out.replaceChildren(el("p", {}, el("progress", { class: "loading", "aria-label": what }), " " + what + "…"));
  const answer = await api(path);
  out.removeAttribute("aria-busy");
  if (!answer.ok) {
    const detail = answer.body && answer.body.detail;
    out.replaceChildren(el("p", { class: "rejected" }, "Could not load this page's figures: " + (typeof detail === "string" ? detail : answer.status)));
  } else {
    out.replaceChildren();
  }
  return answer;
}

const hourLabel = (iso) => iso.slice(11, 16);
