"use strict";
// Charts drawn by plotly.js, which the app serves from the installed plotly Python package
// (web/library.py; nothing from the internet): zoom and pan (drag, the modebar, the range slider
// of a long series), hover values, the figure as a PNG and its data as CSV. Every chart is a
// <figure> named by its title and described in words; each page lists the same numbers in a
// table. Only data and layout go to the library (Plotly.newPlot / Plotly.react): no markup, no code.
const PALETTE = ["#0b5cad", "#b35900", "#116329", "#8250df", "#a40e26", "#1b7c83", "#6e7781", "#bf3989"];
const INK = "#1b1f24", MUTED = "#57606a", GRID = "#d0d7de";

// The figure's data as CSV: one line per row, quoted where needed; text that a spreadsheet would
// read as a formula is prefixed with an apostrophe.
function csvText(headers, rows) {
  const cell = (v) => {
    if (v === null || v === undefined) return "";
    let s = String(v);
    if (typeof v === "string" && /^[=+@\t\r]/.test(s)) s = "'" + s;
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  };
  return [headers, ...rows].map((r) => r.map(cell).join(",")).join("\r\n") + "\r\n";
}

function saveFile(filename, blob) {
  const url = URL.createObjectURL(blob);
  const link = el("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// The figure as a PNG at twice its size: plotly.js draws it as SVG (a data: URL), a canvas makes
// that a PNG. Why not Plotly.downloadImage (nor the modebar's own camera): it loads the SVG from
// a blob: URL, which the pages' policy (img-src 'self' data:) does not allow.
async function savePng(plot, filename) {
  const width = plot.clientWidth, height = plot.clientHeight, scale = 2;
  const svg = await Plotly.toImage(plot, { format: "svg", width, height });
  const image = new Image();
  await new Promise((loaded, failed) => { image.onload = loaded; image.onerror = failed; image.src = svg; });
  const canvas = el("canvas", { width: width * scale, height: height * scale });
  const paint = canvas.getContext("2d");
  paint.fillStyle = "#ffffff";
  paint.fillRect(0, 0, canvas.width, canvas.height);
  paint.drawImage(image, 0, 0, canvas.width, canvas.height);
  saveFile(filename + ".png", await new Promise((made) => canvas.toBlob(made, "image/png")));
}

const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));

function layoutOf(o) {
  return Object.assign({
    title: { text: o.title, x: 0.01, xanchor: "left", font: { size: 14, color: INK } },
    font: { family: "system-ui, sans-serif", size: 12, color: INK },
    margin: { l: 70, r: 16, t: 64, b: 40 },
    height: o.height || 340,
    paper_bgcolor: "#fff", plot_bgcolor: "#fff",
    legend: { orientation: "h", x: 0, xanchor: "left", y: 1.01, yanchor: "bottom" },
    hoverlabel: { namelength: -1, font: { color: INK }, bgcolor: "#fff" },
  }, o.layout || {});
}

function configOf(o) {
  return Object.assign({ responsive: true, displaylogo: false, scrollZoom: false,
    modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"],
    modeBarButtonsToAdd: [{ name: "Download the figure as PNG", icon: Plotly.Icons.camera, click: (plot) => savePng(plot, o.id) }] }, o.config || {});
}

// chart({id, title, desc, traces, layout, config, data: {headers, rows}, height}) -> a <figure>
// holding the plot (drawn once the figure is in the page), its title and description for
// assistive technology, and buttons for the figure as PNG and its data as CSV. ready() waits
// until it is drawn.
function chart(o) {
  const plot = el("div", { class: "plot", id: o.id });
  const name = o.id + "-title", desc = o.id + "-desc";
  const figure = el("figure", { class: "chart", "aria-labelledby": name, "aria-describedby": desc, "data-chart": o.id },
    el("figcaption", { class: "visually-hidden" }, el("span", { id: name }, o.title), " ", el("span", { id: desc }, o.desc)),
    plot,
    el("p", { class: "chart-tools" },
      el("button", { type: "button", class: "secondary", "aria-label": "Figure (PNG): " + o.title,
        onclick: () => savePng(plot, o.id) }, "Figure (PNG)"),
      o.data ? el("button", { type: "button", class: "secondary", "aria-label": "Data (CSV): " + o.title,
        onclick: () => saveFile(o.id + ".csv", new Blob([csvText(o.data.headers, o.data.rows)], { type: "text/csv;charset=utf-8" })) }, "Data (CSV)") : ""));
  drawing.push(nextFrame().then(() => Plotly.newPlot(plot, o.traces, layoutOf(o), configOf(o))).then(() => {
    figure.dataset.drawn = "true";
    if (o.drawn) o.drawn(plot);
  }));
  return figure;
}

// Draw a chart's new data and layout in place (its zoom kept when the layout says uirevision).
function redraw(plot, o) {
  return Plotly.react(plot, o.traces, layoutOf(o), configOf(o));
}

// Replace what `container` shows, first releasing the plots in it (their resize listeners).
function replaceCharts(container, ...nodes) {
  container.querySelectorAll(".js-plotly-plot").forEach((p) => Plotly.purge(p));
  container.replaceChildren(...nodes);
}

// The x values of an hourly chart: the wall-clock hour of the cluster's time zone.
const wallClock = (iso) => iso.slice(0, 16);

// Bars, stacked or grouped, per category or per hour; `line` an optional step line (a limit,
// the demand served) drawn over the bars, hour by hour.
function barTraces(x, series, line) {
  const traces = series.map((s) => ({ type: "bar", name: s.name, x, y: s.values,
    marker: { color: s.colours || s.colour, line: { width: 0 } }, hovertemplate: "%{y:,.1f} " + (s.unit || "") + "<extra>" + s.name + "</extra>" }));
  if (line) traces.push({ type: "scatter", mode: "lines", name: line.name, x, y: line.values,
    line: { color: line.colour || INK, width: 2, dash: "dash", shape: "hvh" }, hovertemplate: "%{y:,.1f} " + (line.unit || "") + "<extra>" + line.name + "</extra>" });
  return traces;
}

const valueAxis = (unit) => ({ title: { text: unit }, gridcolor: GRID, zerolinecolor: MUTED, rangemode: "tozero", separatethousands: true });

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
