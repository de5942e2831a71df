"use strict";
// "My data": datasets, grants (create, revoke), upload with its receipt, receipts, audit trail.
const me = requireSignIn();
let names = {};  // dataset id -> name, for the grants and the audit trail

async function loadDatasets() {
  const { ok, body } = await api("/web/api/datasets");
  const list = ok ? body : [];
  names = Object.fromEntries(list.map((d) => [d.id, d.name]));
  document.getElementById("datasets").replaceChildren(table("Datasets of " + me.tenant,
    ["Name", "Kind", "Columns", "Latest version"],
    list.map((d) => [d.name, d.kind, Object.entries(d.columns).map(([c, t]) => c + " (" + t + ")").join(", "),
      { text: d.versions || "none yet", num: true }]),
    "No datasets yet: create one below."));
  for (const id of ["grant-dataset", "upload-dataset"]) {
    const select = document.getElementById(id);
    const kept = select.value;
    select.replaceChildren(...list.map((d) => el("option", { value: id === "grant-dataset" ? d.id : d.name }, d.name)));
    if (kept) select.value = kept;
  }
}

async function loadGrants() {
  const { ok, body } = await api("/api/v1/grants");
  const list = ok ? body : [];
  document.getElementById("grants").replaceChildren(table("Grants given by " + me.tenant,
    ["Dataset", "Grantee", "Purpose", "Form", "Expires", "State", "Action"],
    list.map((g) => {
      const who = g.grantee_kind === "cluster" ? "the whole cluster" : g.grantee_kind + " " + g.grantee;
      const revoked = Boolean(g.revoked);
      const button = revoked ? "" : el("button", {
        type: "button", class: "secondary",
        "aria-label": "Revoke the grant of " + (names[g.dataset] || g.dataset) + " to " + who + " for " + g.purpose,
        onclick: () => revoke(g.id),
      }, "Revoke");
      return [names[g.dataset] || g.dataset, who, g.purpose, g.form, g.expires ? g.expires.slice(0, 10) : "never",
        revoked ? "revoked " + String(g.revoked).slice(0, 16).replace("T", " ") : "active", button];
    }), "No grants: nobody else can read your data."));
}

async function revoke(id) {
  const { ok, status, body } = await api("/api/v1/grants/" + encodeURIComponent(id) + "/revoke", { method: "POST" });
  if (!ok) { document.querySelector("#grant-form .form-error").textContent = "Revoking failed: " + (body && body.detail || status); }
  await Promise.all([loadGrants(), loadAudit()]);
}

async function loadReceipts() {
  const { ok, body } = await api("/api/v1/ingest/receipts");
  const list = ok ? body : [];
  document.getElementById("receipts").replaceChildren(table("Receipts, newest first",
    ["Received", "Channel", "Dataset", "Status", "Version", "Rows", "Problems"],
    list.map((r) => [r.received_at.slice(0, 19).replace("T", " "), r.channel, r.dataset,
      el("span", { class: r.status }, r.status), { text: r.version ?? "", num: true }, { text: r.rows, num: true },
      r.problems.map((p) => p.where + ": expected " + p.expected + (p.found ? ", found " + p.found : "")).join("; ")]),
    "Nothing received yet."));
}

async function loadAudit() {
  const { ok, body } = await api("/api/v1/audit");
  const out = document.getElementById("audit");
  if (!ok) {
    out.replaceChildren(el("p", { class: "muted" }, "Your role cannot read the audit trail: ask a member admin or auditor of " + me.tenant + "."));
    return;
  }
  const rows = body.slice().reverse().slice(0, 200);
  out.replaceChildren(table("Decisions on " + me.tenant + "'s data, newest first (at most 200)",
    ["Time", "Who", "Action", "Dataset", "Purpose", "Answer", "Reason"],
    rows.map((a) => [String(a.time).slice(0, 19).replace("T", " "), a.user + " of " + a.tenant, a.action,
      a.dataset === "*" ? "all" : names[a.dataset] || a.dataset, a.purpose || "",
      el("span", { class: a.allowed ? "ok" : "rejected" }, a.allowed ? "allowed" : "refused"), a.reason])));
}

document.getElementById("dataset-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const columns = {};
  for (const part of form.elements.columns.value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, type] = part.split(":").map((p) => p.trim());
    columns[name] = type || "";
  }
  const body = { name: form.elements.namedItem("name").value.trim(), kind: form.elements.kind.value, columns };
  const answer = await api("/api/v1/datasets", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!answer.ok) { showProblems(form, problemsByField(answer.body, answer.status)); return; }
  clearProblems(form);
  form.reset();
  await Promise.all([loadDatasets(), loadAudit()]);
});

document.getElementById("grant-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    dataset: form.elements.dataset.value, grantee_kind: form.elements.grantee_kind.value, grantee: form.elements.grantee.value.trim(),
    purpose: form.elements.purpose.value, form: form.elements.form.value,
  };
  if (form.elements.expires.value) body.expires = form.elements.expires.value + "T00:00:00Z";
  if (!body.dataset) { showProblems(form, { dataset: "create a dataset first" }); return; }
  const answer = await api("/api/v1/grants", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!answer.ok) { showProblems(form, problemsByField(answer.body, answer.status)); return; }
  clearProblems(form);
  form.elements.grantee.value = "";
  await Promise.all([loadGrants(), loadAudit()]);
});

document.getElementById("upload-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const out = document.getElementById("upload-receipt");
  const file = form.elements.file.files[0];
  if (!form.elements.dataset.value) { showProblems(form, { dataset: "create a dataset first" }); return; }
  if (!file) { showProblems(form, { file: "choose a CSV or Excel file" }); return; }
  clearProblems(form);
  const data = new FormData();
  data.append("file", file);
  const url = "/api/v1/ingest/" + encodeURIComponent(me.tenant) + "/" + encodeURIComponent(form.elements.dataset.value) + "/file";
  out.replaceChildren(el("p", {}, el("progress", { "aria-label": "Uploading" }), " Uploading " + file.name + "…"));
  const { status, body } = await api(url, { method: "POST", body: data });
  if (!body || !body.status) {
    out.replaceChildren();
    showProblems(form, { "": "Refused: " + (body && typeof body.detail === "string" ? body.detail : "the server answered " + status) });
    return;
  }
  const line = body.status === "accepted"
    ? "Accepted as version " + body.version + " (" + body.rows + " rows). Receipt " + body.id + "."
    : body.status === "duplicate"
      ? "Already stored (receipt " + body.original + "): nothing stored again."
      : "Rejected: nothing was stored. Fix these and send the file again.";
  out.replaceChildren(el("p", { class: body.status }, line),
    body.problems.length ? table("Problems in " + file.name, ["Row and column", "Expected", "Found"],
      body.problems.map((p) => [p.where, p.expected, p.found ?? ""])) : "");
  await Promise.all([loadDatasets(), loadReceipts(), loadAudit()]);
});

if (me) {
  loadDatasets().then(() => Promise.all([loadGrants(), loadReceipts(), loadAudit()])).then(ready);
}
