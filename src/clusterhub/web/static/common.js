"use strict";
// Shared by every dashboard page: the signed-in user's token (kept in this tab's
// sessionStorage only), calls to the JSON API, and small helpers to build accessible markup.
const TOKEN = "clusterhub.token", ME = "clusterhub.me";

const session = {
  token: () => sessionStorage.getItem(TOKEN),
  me: () => JSON.parse(sessionStorage.getItem(ME) || "null"),
  save(token, me) { sessionStorage.setItem(TOKEN, token); sessionStorage.setItem(ME, JSON.stringify(me)); },
  clear() { sessionStorage.removeItem(TOKEN); sessionStorage.removeItem(ME); },
};

function toSignIn() {
  const next = location.pathname + location.search;
  location.assign("/web/sign-in?next=" + encodeURIComponent(next));
}

// A call to the API with the token; a 401 (expired or revoked) leads back to sign-in.
async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {}, { Authorization: "Bearer " + session.token() });
  const answer = await fetch(path, Object.assign({}, options, { headers }));
  if (answer.status === 401) { session.clear(); toSignIn(); throw new Error("signed out"); }
  let body = null;
  try { body = await answer.json(); } catch (_) { body = null; }
  return { status: answer.status, ok: answer.ok, body };
}

// el("td", {class: "num"}, "3") -> an element; children are nodes or text (never parsed HTML).
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

// A table with a caption, column headers and rows of cells (text, nodes, or {text, num}).
function table(caption, headers, rows, empty) {
  if (!rows.length) return el("p", { class: "muted" }, empty || "Nothing yet.");
  return el("table", {},
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows.map((cells) => el("tr", {}, cells.map((c) =>
      c && typeof c === "object" && !(c instanceof Node)
        ? el("td", { class: c.num ? "num" : null }, c.text) : el("td", {}, c))))));
}

const number = (value, digits = 0) =>
  value === null || value === undefined ? "" : Number(value).toLocaleString("en-GB", { maximumFractionDigits: digits, minimumFractionDigits: digits });

// FastAPI's 422 detail: [{loc: ["body", "name"], msg}] -> {name: "msg"}; anything else -> {"": text}
function problemsByField(body, status) {
  const found = {};
  const detail = body && body.detail;
  if (Array.isArray(detail)) {
    for (const p of detail) {
      const field = (p.loc || []).filter((part) => part !== "body").join(".") || "";
      found[field] = (found[field] ? found[field] + "; " : "") + (p.msg || "invalid");
    }
  } else {
    found[""] = typeof detail === "string" ? detail : "the server answered " + status;
  }
  return found;
}

// Show each problem under the form field it names (the input whose name is the field, its
// message in the element "<input id>-error"), anything else at the form's own error line.
function showProblems(form, problems) {
  clearProblems(form);
  let first = null;
  for (const [field, message] of Object.entries(problems)) {
    const input = field && form.querySelector("[name='" + field.split(".")[0] + "']");
    const where = input ? document.getElementById(input.id + "-error") : form.querySelector(".form-error");
    const label = input ? form.querySelector("label[for='" + input.id + "']").textContent : "";
    if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
    where.textContent = (label ? label + ": " : "") + message;
  }
  if (first) first.focus();
}

function clearProblems(form) {
  form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
  form.querySelectorAll(".error").forEach((n) => { n.textContent = ""; });
}

// Every page but sign-in needs a signed-in user; the header says who and offers sign-out.
function requireSignIn() {
  const me = session.me();
  if (!session.token() || !me) { toSignIn(); return null; }
  document.getElementById("who").textContent = "Signed in as " + me.user + " of " + me.tenant;
  const out = document.getElementById("sign-out");
  out.hidden = false;
  out.addEventListener("click", () => { session.clear(); location.assign("/web/sign-in"); });
  return me;
}

// Pages set data-ready on <main> when everything is drawn (the browser tests wait for it),
// the charts being drawn (promises in `drawing`, see charts.js) included.
const drawing = [];
async function ready() {
  for (const done of await Promise.allSettled(drawing.splice(0)))
    if (done.status === "rejected") console.error("a chart could not be drawn:", done.reason);
  document.getElementById("main").dataset.ready = "true";
}
