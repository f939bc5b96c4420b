// Service worker for one resident pass page (scope /p/{token}): network first, so a reissued
// or revoked pass shows as soon as there is signal; the last good copy when there is none.
"use strict";
var CACHE = "qrgate-pass-v3";  // v3: family.js (family passes)
var ASSETS = ["/static/web/resident.css", "/static/web/print.css", "/static/web/resident.js",
              "/static/web/holder.js", "/static/web/family.js", "/static/web/vendor/qrcode.js",
              "/static/web/icon-192.png"];

function scopePath() { return new URL(self.registration.scope).pathname.replace(/\/$/, ""); }
function pageUrls() {
  var base = scopePath();
  return [base, base + "/pass.json", base + "/manifest.webmanifest"];
}
// the language switch adds ?lang=..; one cached copy per path is what we want offline
function cacheKey(url) { var u = new URL(url); return u.origin + u.pathname; }

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(pageUrls().concat(ASSETS));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(self.clients.claim());
});

function offlineCopy(hit) {
  var headers = new Headers(hit.headers);
  headers.set("X-QG-Offline", "1");
  return hit.blob().then(function (body) {
    return new Response(body, { status: hit.status, statusText: hit.statusText, headers: headers });
  });
}

self.addEventListener("fetch", function (event) {
  var req = event.request, url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== self.location.origin) { return; }
  var base = scopePath();
  var ours = url.pathname === base || url.pathname.indexOf(base + "/") === 0 || ASSETS.indexOf(url.pathname) >= 0;
  if (!ours || url.pathname.slice(-4) === ".pdf") { return; }
  event.respondWith(fetch(req).then(function (resp) {
    // 404/410 mean the link is gone: keep no stale copy of a pass that no longer exists
    if (resp.ok) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (cache) { return cache.put(cacheKey(req.url), copy); });
    } else if (resp.status === 404 || resp.status === 410) {
      caches.open(CACHE).then(function (cache) { return cache.delete(cacheKey(req.url)); });
    }
    return resp;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) { return cache.match(cacheKey(req.url)); })
      .then(function (hit) { return hit ? offlineCopy(hit) : Response.error(); });
  }));
});
