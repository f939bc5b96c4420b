// The resident pass page: registers the service worker, redraws from /pass.json when online,
// and recomputes what depends on today's date (expiry, quarantine countdown) while offline.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qg-data").textContent);
  var w = data.words, lang = data.lang, token = data.token;
  var current = data.pass;
  var byId = function (id) { return document.getElementById(id); };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/p/sw.js", { scope: "/p/" + token }).catch(function () {});
  }

  function parseDay(iso) { var p = iso.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  // quarantine days are counted in the site's time zone (as the gate does), not the phone's
  function localDay(d) {
    try {
      return parseDay(new Intl.DateTimeFormat("en-CA", { timeZone: data.tz, year: "numeric", month: "2-digit",
                                                         day: "2-digit" }).format(d));
    } catch (e) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()); }
  }
  function shortDate(d) {
    var months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    return lang === "zh" ? (d.getMonth() + 1) + "月" + d.getDate() + "日" : d.getDate() + " " + months[d.getMonth()];
  }
  function countdown(p, now) {
    if (!p.quarantine_end) { return null; }
    var end = parseDay(p.quarantine_end), start = parseDay(p.quarantine_start || p.quarantine_end);
    var today = localDay(now), dayMs = 86400000;
    if (today >= end) { return null; }
    var total = Math.max(Math.round((end - start) / dayMs), 1);
    var day = Math.min(Math.max(Math.round((today - start) / dayMs) + 1, 1), total);
    return lang === "zh" ? "第" + day + "天/共" + total + "天 — " + shortDate(end) + "起可通行"
                         : "day " + day + " of " + total + " — you may pass from " + shortDate(end);
  }
  // mirrors web/passview.py ResidentPass.state: unusable states first
  function stateOf(p, now) {
    if (p.revoked) { return "revoked"; }
    if (now >= new Date(p.expires_at)) { return "expired"; }
    if (p.status === "red" || p.status === "yellow") { return p.status; }
    if (p.quarantine_end && localDay(now) < parseDay(p.quarantine_end)) { return "quarantine"; }
    return "green";
  }
  function stateWord(state) {
    return state === "revoked" ? w.revoked : state === "expired" ? w.expired : w["status_" + state];
  }

  function render(p) {
    var now = new Date(), state = stateOf(p, now);
    var status = byId("status");
    status.className = "status status-" + state;
    status.setAttribute("data-state", state);
    byId("pass").setAttribute("data-state", state);
    byId("status-word").textContent = stateWord(state);
    var cd = countdown(p, now);
    byId("countdown").textContent = cd || "";
    byId("countdown").hidden = !cd || state === "revoked" || state === "expired";
    byId("revoked-stamp").hidden = state !== "revoked";
    byId("expired-stamp").hidden = state !== "expired";
    var qr = byId("qr");
    if (p.qr_svg && p.serial !== current.serial) {
      qr.querySelector("svg").outerHTML = p.qr_svg;  // server-made SVG of our own pass, same origin
    }
    // while this phone shows its live code (holder.js), the static code stays hidden
    qr.hidden = state === "revoked" || state === "expired" || !p.qr_svg || document.body.classList.contains("live-code");
    byId("actions").hidden = state === "revoked" || state === "expired";  // no paper copy of a dead pass
    byId("name").textContent = p.name;
    byId("document").textContent = p.document;
    byId("valid-until").textContent = p.valid_until;
    byId("serial").textContent = p.serial;
  }

  function refresh() {
    var sentAt = Date.now();
    return fetch("/p/" + token + "/pass.json", { cache: "no-store", credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) { throw new Error("status " + resp.status); }
        var offline = resp.headers.get("X-QG-Offline") === "1";
        return resp.json().then(function (p) {
          byId("offline").hidden = !offline;
          byId("updated").hidden = p.serial === current.serial || p.revoked;
          render(p);
          current = p;
          window.dispatchEvent(new CustomEvent("qg-pass", { detail: { pass: p, offline: offline, sentAt: sentAt } }));
        });
      })
      .catch(function () { byId("offline").hidden = false; render(current); });
  }

  render(current);
  refresh();
  window.addEventListener("online", refresh);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { refresh(); } });
  setInterval(refresh, 60000);
})();
