"use strict";
// The Runs page: start an engine run on what members shared (cluster operators), list the runs
// this tenant may open, and open one: its safe cluster-level figures, the parts the caller may
// see, whom it left out and why, the exact dataset versions it read, and a reproduction check.

const ENGINES = { energy: "Energy co-optimisation", sharing: "Benefit sharing", symbiosis: "Symbiosis matching" };
const FIGURES = {
  saving_eur: ["Saving", (v) => "€ " + number(v)], saving_pct: ["Saving share", (v) => number(v, 1) + " %"],
  joint_cost_eur: ["Joint cost", (v) => "€ " + number(v)], standalone_total_eur: ["Every member alone", (v) => "€ " + number(v)],
  emissions_t: ["Emissions, joint", (v) => number(v, 1) + " t CO₂"], congested_hours: ["Congested hours", (v) => number(v)],
  candidate_pairs: ["Candidate pairs", (v) => number(v)], method: ["Method", (v) => v], stable: ["Stable", (v) => (v ? "yes" : "no")],
};

function when(iso) { return iso.slice(0, 16).replace("T", " ") + " UTC"; }

function headline(run) {
  const s = run.summary;
  if (!s.released) return "figures withheld: " + (s.reason || "too few members");
  if ("saving_eur" in s) return "saving € " + number(s.saving_eur);
  if ("candidate_pairs" in s) return number(s.candidate_pairs) + " candidate pairs";
  return "";
}

async function list() {
  const { ok, body } = await api("/api/v1/runs");
  const out = document.getElementById("run-list");
  if (!ok) { out.replaceChildren(el("p", { class: "rejected" }, "The runs could not be listed.")); return; }
  out.replaceChildren(table("Runs you can open, newest first", ["When", "Engine", "Hours", "Figures", "Your role", ""],
    body.map((r) => [when(r.created_at), ENGINES[r.engine] || r.engine,
      r.request.hours ? number(r.request.start) + " + " + number(r.request.hours) + " h" : "",
      headline(r), r.operator ? "ran it" : "a member in it",
      el("a", { href: "/web/runs?run=" + encodeURIComponent(r.id), "data-run": r.id }, "Open")]),
    "No runs yet: the cluster operator starts them."));
}

function partsTable(run) {
  const rows = Object.entries(run.results);
  if (run.engine === "symbiosis") {
    return table("Matches in the parts you may see", ["Member", "Its stream", "Counterpart company", "Counterpart resource", "Score", "Distance (km)"],
      rows.flatMap(([p, part]) => part.matches.map((m) => [p, m.stream, m.counterpart, m.counterpart_resource,
        { text: number(m.score, 2), num: true }, { text: number(m.distance_km, 1), num: true }])), "No matches in the parts you may see.");
  }
  const money = (v) => ({ text: number(v), num: true });
  if (run.engine === "sharing") {
    return table("Parts you may see (EUR)", ["Member", "Alone", "Its share of the saving", "Cost after sharing"],
      rows.map(([p, x]) => [p, money(x.standalone_cost_eur), money(x.share_eur), money(x.cost_after_sharing_eur)]));
  }
  return table("Parts you may see (EUR, MWh)", ["Member", "Alone", "Its part of the saving", "Joint", "Grid draw (MWh)"],
    rows.map(([p, x]) => [p, money(x.standalone_cost_eur), money(x.saving_share_eur), money(x.joint_cost_eur),
      { text: number((x.dispatch.energy_mwh || {})["grid-draw"] || 0, 1), num: true }]));
}

async function open(id, me) {
  const section = document.getElementById("open-section");
  const { ok, body } = await api("/api/v1/runs/" + encodeURIComponent(id));
  section.hidden = false;
  const heading = document.getElementById("open-heading");
  if (!ok) {
    heading.textContent = "No such run";
    document.getElementById("open-meta").textContent = "It does not exist or you have no part in it.";
    return;
  }
  heading.textContent = (ENGINES[body.engine] || body.engine) + " · " + when(body.created_at);
  const r = body.request;
  document.getElementById("open-meta").textContent = "Cluster " + (r.cluster_name || r.cluster || "") +
    (r.hours ? ", hours " + r.start + " to " + (r.start + r.hours) : "") + "; purpose " + body.purpose + "; run " + body.id + ".";
  const s = body.summary;
  document.getElementById("run-figures").replaceChildren(...(s.released
    ? Object.entries(FIGURES).filter(([k]) => k in s).map(([k, [label, show]]) =>
      el("div", {}, el("dt", {}, label), el("dd", { "data-figure": k }, show(s[k]))))
    : [el("div", {}, el("dt", {}, "Cluster figures"), el("dd", {}, "withheld: " + (s.reason || "too few members")))]));
  document.getElementById("run-parts").replaceChildren(partsTable(body));
  const leftOut = body.left_out ? Object.entries(body.left_out) : [];
  const hidden = body.hidden || [];
  document.getElementById("run-left-out").replaceChildren(
    ...(body.left_out ? [table("Members left out of the run, and why", ["Member", "Reason"], leftOut, "Nobody was left out.")] : []),
    ...(hidden.length ? [el("p", { id: "hidden-parts" }, "Parts used but not shown to you (their grant is aggregate-only or was revoked): " + hidden.join(", ") + ".")] : []));
  document.getElementById("run-inputs").replaceChildren(...(body.inputs ? [el("details", {}, el("summary", {}, "The dataset versions it read"),
    table("Inputs of the run", ["Member", "Dataset", "Version", "SHA-256"],
      body.inputs.map((i) => [i.participant, i.dataset, { text: i.version, num: true }, el("code", {}, i.sha256.slice(0, 16) + "…")])))] : []));
  const button = document.getElementById("reproduce");
  button.hidden = !body.inputs;
  button.onclick = async () => {
    const status = document.getElementById("reproduce-status");
    button.disabled = true;
    status.replaceChildren(el("p", {}, el("progress", { "aria-label": "Reproducing" }), " Reading the same versions again and re-running…"));
    const answer = await api("/api/v1/runs/" + encodeURIComponent(id) + "/reproduce", { method: "POST" });
    button.disabled = false;
    if (!answer.ok) { status.replaceChildren(el("p", { class: "rejected" }, "Could not reproduce: " + (answer.body && answer.body.detail || answer.status))); return; }
    const b = answer.body;
    status.replaceChildren(el("p", { id: "reproduce-result", class: b.identical ? "ok" : "rejected" }, b.identical
      ? "Reproduced: the same inputs give the same result."
      : "Not identical: " + [...Object.entries(b.unreadable).map(([p, why]) => p + " can no longer be read (" + why + ")"),
        ...b.changed.map((p) => p + "'s data changed")].join("; ") + "."));
  };
  heading.focus();
}

async function startRun(form) {
  clearProblems(form);
  const status = document.getElementById("run-status");
  const f = new FormData(form);
  const body = { engine: f.get("engine"), cluster: f.get("cluster"), start: Number(f.get("start")),
    hours: Number(f.get("hours")), method: f.get("method") };
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  status.setAttribute("aria-busy", "true");
  status.replaceChildren(el("p", {}, el("progress", { id: "run-progress", "aria-label": "Running" }),
    " Reading what members shared for " + (ENGINES[body.engine] || body.engine) + " and running the engine…"));
  const answer = await api("/api/v1/runs", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  status.removeAttribute("aria-busy");
  button.disabled = false;
  if (!answer.ok) {
    status.replaceChildren();
    showProblems(form, problemsByField(answer.body, answer.status));
    return;
  }
  status.replaceChildren(el("p", { class: "ok" }, "Run finished. ", el("a", { href: "/web/runs?run=" + encodeURIComponent(answer.body.id) }, "Open it")));
  history.replaceState(null, "", "/web/runs?run=" + encodeURIComponent(answer.body.id));
  await list();
  await open(answer.body.id);
}

async function load(me) {
  if ((me.roles || []).includes("cluster-operator")) {
    document.getElementById("start-section").hidden = false;
    const clusters = await api("/web/api/clusters");
    document.getElementById("run-cluster").replaceChildren(...(clusters.ok ? clusters.body : []).map((c) => el("option", { value: c.name }, c.title)));
    const form = document.getElementById("run-form");
    form.addEventListener("submit", (event) => { event.preventDefault(); startRun(form); });
  }
  await list();
  const id = new URLSearchParams(location.search).get("run");
  if (id) await open(id, me);
  ready();
}

const signedIn = requireSignIn();
if (signedIn) load(signedIn);
