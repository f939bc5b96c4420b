// Family passes on a guardian's page: one tab per person (one tap switches), every pass already in
// the page, so switching needs no network. Offline, each dependant's state is recomputed from its
// own data (expiry, the end of a quarantine) as resident.js does for the guardian's pass.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qg-data").textContent);
  var w = data.words;
  var tabs = Array.prototype.slice.call(document.querySelectorAll(".family-tab"));

  function show(tab) {
    tabs.forEach(function (t) {
      var on = t === tab, panel = document.getElementById(t.getAttribute("aria-controls"));
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      if (panel) { panel.hidden = !on; }
    });
  }
  tabs.forEach(function (t, i) {
    t.tabIndex = t.getAttribute("aria-selected") === "true" ? 0 : -1;
    t.addEventListener("click", function () { show(t); });
    t.addEventListener("keydown", function (e) {  // the WAI-ARIA tabs pattern: arrows move between tabs
      var step = e.key === "ArrowRight" ? 1 : e.key === "ArrowLeft" ? -1 : 0;
      if (!step) { return; }
      var next = tabs[(i + step + tabs.length) % tabs.length];
      show(next);
      next.focus();
    });
  });

  try {  // after a reload of our own (below), the tab that was open stays open
    var again = document.getElementById(sessionStorage.getItem("qg-family-tab") || "");
    sessionStorage.removeItem("qg-family-tab");
    if (again && tabs.indexOf(again) >= 0) { show(again); }
  } catch (err) { /* storage off */ }

  function parseDay(iso) { var p = iso.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  function localDay(d) {  // quarantine days are counted in the site's time zone, as the gate does
    try {
      return parseDay(new Intl.DateTimeFormat("en-CA", { timeZone: data.tz, year: "numeric", month: "2-digit",
                                                         day: "2-digit" }).format(d));
    } catch (e) { return new Date(d.getFullYear(), d.getMonth(), d.getDate()); }
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

  function render() {
    var now = new Date();
    Array.prototype.forEach.call(document.querySelectorAll(".family-pass"), function (panel) {
      var holder = panel.querySelector(".family-data");
      if (!holder) { return; }  // no pass issued yet: nothing to recompute
      var p = JSON.parse(holder.textContent), state = stateOf(p, now), dead = state === "revoked" || state === "expired";
      var status = panel.querySelector(".status");
      status.className = "status status-" + state;
      status.setAttribute("data-state", state);
      panel.setAttribute("data-state", state);
      panel.querySelector(".status-word").textContent = stateWord(state);
      panel.querySelector(".revoked-stamp").hidden = state !== "revoked";
      panel.querySelector(".expired-stamp").hidden = state !== "expired";
      var qr = panel.querySelector(".family-qr"), actions = panel.querySelector(".actions");
      var countdown = panel.querySelector(".countdown");
      if (qr) { qr.hidden = dead; }
      if (actions) { actions.hidden = dead; }  // no paper copy of a dead pass
      if (countdown && state !== "quarantine") { countdown.hidden = true; }
      var tab = document.querySelector('.family-tab[aria-controls="' + panel.id + '"]');
      if (tab) { tab.setAttribute("data-state", state); }
    });
  }

  // online, resident.js fetches pass.json every minute: when a dependant's pass was reissued or revoked,
  // or a care added or ended, since this copy was made, load the page again (the worker keeps the new copy)
  function changed(list) {
    var panels = document.querySelectorAll(".family-pass");
    if (list.length !== panels.length) { return true; }
    return list.some(function (d, i) {
      var panel = panels[i];
      return panel.getAttribute("data-person") !== String(d.person_id) ||
        panel.getAttribute("data-serial") !== (d.serial || "") ||
        panel.getAttribute("data-revoked") !== (d.revoked ? "true" : "false");
    });
  }
  window.addEventListener("qg-pass", function (e) {
    var list = e.detail && e.detail.pass && e.detail.pass.dependants;
    if (e.detail.offline || !Array.isArray(list) || !changed(list)) { return; }
    var last = 0;
    try { last = +sessionStorage.getItem("qg-family-reload") || 0; } catch (err) { /* storage off */ }
    if (Date.now() - last < 30000) { return; }  // at most one reload in 30 s, whatever happens
    try {
      sessionStorage.setItem("qg-family-reload", String(Date.now()));
      var open = tabs.filter(function (t) { return t.getAttribute("aria-selected") === "true"; })[0];
      sessionStorage.setItem("qg-family-tab", open ? open.id : "");  // the same tab after the reload
    } catch (err) { /* storage off */ }
    window.location.reload();
  });

  // the guardian's own pass knows whether this copy is the saved one (resident.js): say it on every tab
  var offline = document.getElementById("offline");
  function mirrorOffline() {
    Array.prototype.forEach.call(document.querySelectorAll(".family-offline"), function (b) {
      b.hidden = offline.hidden && navigator.onLine !== false;
    });
  }
  if (offline && "MutationObserver" in window) {
    new MutationObserver(mirrorOffline).observe(offline, { attributes: true, attributeFilter: ["hidden"] });
  }
  window.addEventListener("online", mirrorOffline);
  window.addEventListener("offline", mirrorOffline);
  mirrorOffline();
  render();
  setInterval(render, 60000);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { render(); } });
})();
