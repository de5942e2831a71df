"use strict";
let token = null, tenant = null;
const show = (element, text, cls) => { element.textContent = text; element.className = cls || ""; };

document.getElementById("signin").addEventListener("submit", async (event) => {
  event.preventDefault();
  const who = document.getElementById("who");
  const body = new URLSearchParams(new FormData(event.target));
  const answer = await fetch("/api/v1/token", { method: "POST", body });
  if (!answer.ok) { show(who, "Sign-in failed: check the user name and password.", "rejected"); return; }
  token = (await answer.json()).access_token;
  const me = await (await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + token } })).json();
  tenant = me.tenant;
  show(who, "Signed in as " + me.user + " of " + me.tenant + ".", "accepted");
});

document.getElementById("upload").addEventListener("submit", async (event) => {
  event.preventDefault();
  const out = document.getElementById("receipt");
  if (!token) { show(out, "Sign in first.", "rejected"); return; }
  const dataset = document.getElementById("dataset").value;
  const data = new FormData();
  data.append("file", document.getElementById("file").files[0]);
  const url = "/api/v1/ingest/" + encodeURIComponent(tenant) + "/" + encodeURIComponent(dataset) + "/file";
  const answer = await fetch(url, { method: "POST", body: data, headers: { Authorization: "Bearer " + token } });
  const receipt = await answer.json();
  out.replaceChildren();
  if (!receipt.status) { show(out, "Refused: " + (receipt.detail || answer.status), "rejected"); return; }
  const line = document.createElement("p");
  line.className = receipt.status;
  line.textContent = receipt.status === "accepted"
    ? "Accepted as version " + receipt.version + " (" + receipt.rows + " rows). Receipt " + receipt.id + "."
    : receipt.status === "duplicate"
      ? "Already stored (receipt " + receipt.original + "): nothing stored again."
      : "Rejected: nothing was stored. Fix these and send the file again.";
  out.append(line);
  if (receipt.problems.length) {
    const table = document.createElement("table");
    table.innerHTML = "<caption>Problems</caption><thead><tr><th scope=col>Where</th><th scope=col>Expected</th><th scope=col>Found</th></tr></thead>";
    const rows = document.createElement("tbody");
    for (const p of receipt.problems) {
      const tr = document.createElement("tr");
      for (const value of [p.where, p.expected, p.found]) {
        const td = document.createElement("td"); td.textContent = value ?? ""; tr.append(td);
      }
      rows.append(tr);
    }
    table.append(rows);
    out.append(table);
  }
});
