"use strict";
// "My data": datasets, grants (create, change, revoke), upload with its receipt, receipts,
// dead letters (replay), audit trail.
const me = requireSignIn();
let names = {};  // dataset id -> name, for the grants and the audit trail
let editing = null;  // the grant whose change form is open

async function loadDatasets() {
  const { ok, body } = await api("/web/api/datasets");
  const list = ok ? body : [];
  names = Object.fromEntries(list.map((d) => [d.id, d.name]));
  document.getElementById("datasets").replaceChildren(table("Datasets of " + me.tenant,
    ["Name", "Kind", "Columns", "Mode", "Latest version"],
    list.map((d) => [d.name, d.kind, Object.entries(d.columns).map(([c, t]) => c + " (" + t + ")").join(", "),
      d.mode === "upsert" ? "upsert by " + d.key.join(", ") : d.mode,
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
      const who = grantee(g);
      const revoked = Boolean(g.revoked);
      const what = " the grant of " + (names[g.dataset] || g.dataset) + " to " + who + " for " + g.purpose;
      const pending = revoked ? [] : (g.pending || []);
      const buttons = revoked ? "" : el("span", { class: "row-actions" },
        el("button", { type: "button", class: "secondary", "aria-label": "Edit" + what, onclick: () => openEdit(g) }, "Edit"),
        el("button", { type: "button", class: "secondary", "aria-label": "Revoke" + what, onclick: () => revoke(g.id) }, "Revoke"),
        ...pending.map((t) => el("button", { type: "button", class: "secondary", "aria-label": "Let " + t + " in to" + what,
          onclick: () => consent(g.id, t) }, "Let " + t + " in")));
      // a group grant reaches the members it names; who joined the group since waits for consent
      const reach = g.grantee_kind !== "group" ? who
        : who + " (reaches " + ((g.members || []).join(", ") || "no one") + (pending.length ? "; waiting: " + pending.join(", ") : "") + ")";
      return [names[g.dataset] || g.dataset, reach, g.purpose, g.form, g.expires ? g.expires.slice(0, 10) : "never",
        revoked ? "revoked " + String(g.revoked).slice(0, 16).replace("T", " ") : "active", buttons];
    }), "No grants: nobody else can read your data."));
}

const grantee = (g) => g.grantee_kind === "cluster" ? "the whole cluster" : g.grantee_kind + " " + g.grantee;

// The change form, filled with the grant's terms; saving sends only what differs.
function openEdit(g) {
  const form = document.getElementById("grant-edit-form");
  editing = g;
  clearProblems(form);
  document.getElementById("grant-edit-status").textContent = "";
  document.getElementById("grant-edit-about").textContent = "The grant of " + (names[g.dataset] || g.dataset) + " to " + grantee(g) + " (" + g.id + ")";
  form.elements.form.value = g.form;
  form.elements.purpose.value = g.purpose;
  form.elements.expires.value = g.expires ? String(g.expires).slice(0, 10) : "";
  form.hidden = false;
  document.getElementById("grant-edit-heading").focus();
}

function closeEdit() {
  editing = null;
  document.getElementById("grant-edit-form").hidden = true;
}

async function consent(id, tenant) {
  const path = "/api/v1/grants/" + encodeURIComponent(id) + "/members/" + encodeURIComponent(tenant);
  const { ok, status, body } = await api(path, { method: "POST" });
  if (!ok) { document.querySelector("#grant-form .form-error").textContent = "Letting " + tenant + " in failed: " + (body && body.detail || status); }
  await Promise.all([loadGrants(), loadAudit()]);
}

async function revoke(id) {
  if (editing && editing.id === id) closeEdit();
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

async function loadDeadLetters() {
  const { ok, body } = await api("/api/v1/ingest/dead-letters");
  const list = ok ? body : [];
  document.getElementById("dead-letters").replaceChildren(table("Rejected messages of " + me.tenant + ", oldest first",
    ["Received", "Channel", "Dataset", "File", "Reason", "Action"],
    list.map((d) => {
      const when = d.received_at.slice(0, 19).replace("T", " ");
      return [when, d.channel, d.dataset, d.filename || "", d.reason,
        el("button", { type: "button", class: "secondary", onclick: () => replayLetter(d),
          "aria-label": "Replay the " + d.channel + " message " + (d.filename ? d.filename + " " : "") + "to " + d.dataset + " received " + when }, "Replay")];
    }),
    "No dead letters: nothing is waiting to be replayed."));
}

// A receipt as a line and, when rejected, a table of its problems by row and column.
function receiptView(body, caption) {
  const line = body.status === "accepted"
    ? "Accepted as version " + body.version + " (" + body.rows + " rows). Receipt " + body.id + "."
    : body.status === "duplicate"
      ? "Already stored (receipt " + body.original + "): nothing stored again."
      : "Rejected: nothing was stored. Fix these and send the file again.";
  return [el("p", { class: body.status }, line),
    body.problems.length ? table(caption, ["Row and column", "Expected", "Found"],
      body.problems.map((p) => [p.where, p.expected, p.found ?? ""])) : ""];
}

async function replayLetter(letter) {
  const out = document.getElementById("replay-receipt");
  const what = (letter.filename || "the " + letter.channel + " message") + " to " + letter.dataset;
  const { status, body } = await api("/api/v1/ingest/dead-letters/" + encodeURIComponent(letter.id) + "/replay", { method: "POST" });
  if (!body || !body.status) {
    out.replaceChildren(el("p", { class: "rejected" }, "Replaying " + what + " failed: " + (body && typeof body.detail === "string" ? body.detail : "the server answered " + status)));
  } else {
    const [line, problems] = receiptView(body, "Problems in the replay of " + what);
    const said = line.textContent;
    line.textContent = "Replayed " + what + ": " + (body.status === "rejected"
      ? "still rejected, nothing stored. Fix these and replay again." : said.charAt(0).toLowerCase() + said.slice(1));
    out.replaceChildren(line, problems);
  }
  await Promise.all([loadDatasets(), loadReceipts(), loadDeadLetters(), loadAudit()]);
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
      el("span", { class: a.allowed ? "ok" : "rejected" }, a.allowed ? "allowed" : "refused"),
      a.reason + (a.detail ? "; " + changed(a.detail) : "")])));
}

// A grant change's audit detail in words: which terms changed, and the successor's id.
function changed(detail) {
  if (!detail.before || !detail.after) return "grant " + detail.grant;
  const terms = Object.keys(detail.after).filter((k) => detail.before[k] !== detail.after[k])
    .map((k) => k + " " + (detail.before[k] ?? "none") + " → " + (detail.after[k] ?? "none"));
  return terms.join(", ") + "; grant " + detail.grant + " replaced by " + detail.successor;
}

document.getElementById("dataset-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const columns = {};
  for (const part of form.elements.columns.value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const [name, type] = part.split(":").map((p) => p.trim());
    columns[name] = type || "";
  }
  const body = { name: form.elements.namedItem("name").value.trim(), kind: form.elements.kind.value, columns,
    mode: form.elements.mode.value };
  const key = form.elements.key.value.split(",").map((p) => p.trim()).filter(Boolean);
  if (key.length) body.key = key;
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
  if (form.elements.expires.value) body.expires = form.elements.expires.value + "T23:59:59Z";  // to the end of the day chosen (UTC)
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
  out.replaceChildren(...receiptView(body, "Problems in " + file.name));
  await Promise.all([loadDatasets(), loadReceipts(), loadDeadLetters(), loadAudit()]);
});

document.getElementById("grant-edit-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  if (!editing) return;
  const body = {};
  if (form.elements.form.value !== editing.form) body.form = form.elements.form.value;
  if (form.elements.purpose.value !== editing.purpose) body.purpose = form.elements.purpose.value;
  const day = form.elements.expires.value;
  if (day !== (editing.expires ? String(editing.expires).slice(0, 10) : "")) body.expires = day ? day + "T23:59:59Z" : null;
  const answer = await api("/api/v1/grants/" + encodeURIComponent(editing.id), {
    method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!answer.ok) { showProblems(form, problemsByField(answer.body, answer.status)); return; }
  clearProblems(form);
  const after = answer.body.after;
  document.getElementById("grant-edit-status").textContent = "Changed: the grant of " + (names[editing.dataset] || editing.dataset)
    + " to " + grantee(editing) + " is now " + after.form + " for " + after.purpose + ", expiring " + (after.expires ? after.expires.slice(0, 10) : "never")
    + " (new id " + answer.body.id + "; the old one is revoked).";
  closeEdit();
  await Promise.all([loadGrants(), loadAudit()]);
});

document.getElementById("grant-edit-cancel").addEventListener("click", closeEdit);

if (me) {
  loadDatasets().then(() => Promise.all([loadGrants(), loadReceipts(), loadDeadLetters(), loadAudit()])).then(ready);
}
