"use strict";
document.getElementById("sign-in-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const error = document.getElementById("sign-in-error");
  error.textContent = "";
  const answer = await fetch("/api/v1/token", { method: "POST", body: new URLSearchParams(new FormData(event.target)) });
  if (!answer.ok) {
    error.textContent = answer.status === 401
      ? "Sign-in failed: check the user name and password."
      : "Sign-in failed (the server answered " + answer.status + ").";
    document.getElementById("password").focus();
    return;
  }
  const token = (await answer.json()).access_token;
  const me = await (await fetch("/api/v1/me", { headers: { Authorization: "Bearer " + token } })).json();
  session.save(token, me);
  const next = new URLSearchParams(location.search).get("next");
  location.assign(next && next.startsWith("/web/") ? next : "/web/overview");
});
