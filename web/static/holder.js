// The live code of a holder-bound pass (QG2, docs/pass-format.md): this phone keeps a key pair that
// cannot be exported (WebCrypto, IndexedDB), registers its public key once, and then makes a new
// signed code every few seconds, offline. The static QR is hidden while the live code is shown.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("qg-data").textContent);
  var w = data.words, token = data.token, period = data.code_period || 30;
  var DOMAIN = "qrgate/QG2/v1", CLOCK_WARN_MS = 30000;
  var ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  var byId = function (id) { return document.getElementById(id); };
  var record = null, timer = null, wakeLock = null;

  // ---- IndexedDB: one record per resident link {alg, privateKey, publicKey, bound, offset}
  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("qrgate-holder", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("keys"); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function load() {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var req = d.transaction("keys").objectStore("keys").get(token);
        req.onsuccess = function () { resolve(req.result || null); };
        req.onerror = function () { reject(req.error); };
      });
    });
  }
  function save(rec) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction("keys", "readwrite");
        tx.objectStore("keys").put(rec, token);
        tx.oncomplete = function () { resolve(rec); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  // ---- bytes
  function concat(parts) {
    var n = 0, i, out, at = 0;
    for (i = 0; i < parts.length; i++) { n += parts[i].length; }
    out = new Uint8Array(n);
    for (i = 0; i < parts.length; i++) { out.set(parts[i], at); at += parts[i].length; }
    return out;
  }
  function b64urlEncode(bytes) {
    var s = "", i;
    for (i = 0; i < bytes.length; i++) { s += String.fromCharCode(bytes[i]); }
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function base45Decode(text) {
    var out = [], i, n;
    for (i = 0; i + 2 < text.length; i += 3) {
      n = ALNUM.indexOf(text[i]) + ALNUM.indexOf(text[i + 1]) * 45 + ALNUM.indexOf(text[i + 2]) * 2025;
      out.push(n >> 8, n & 255);
    }
    if (text.length % 3 === 2) { out.push(ALNUM.indexOf(text[i]) + ALNUM.indexOf(text[i + 1]) * 45); }
    return new Uint8Array(out);
  }
  function base45Encode(bytes) {
    var s = "", i, n;
    for (i = 0; i + 1 < bytes.length; i += 2) {
      n = bytes[i] * 256 + bytes[i + 1];
      s += ALNUM[n % 45] + ALNUM[Math.floor(n / 45) % 45] + ALNUM[Math.floor(n / 2025)];
    }
    if (bytes.length % 2) { n = bytes[bytes.length - 1]; s += ALNUM[n % 45] + ALNUM[Math.floor(n / 45)]; }
    return s;
  }
  function be(value, size) {  // unsigned big-endian; exact for values below 2^53
    var out = new Uint8Array(size), i;
    for (i = size - 1; i >= 0; i--) { out[i] = value % 256; value = Math.floor(value / 256); }
    return out;
  }
  // CBOR heads in shortest form: the gate accepts one encoding only
  function head(major, n) {
    if (n < 24) { return new Uint8Array([major | n]); }
    if (n < 256) { return concat([new Uint8Array([major | 24]), be(n, 1)]); }
    if (n < 65536) { return concat([new Uint8Array([major | 25]), be(n, 2)]); }
    if (n < 4294967296) { return concat([new Uint8Array([major | 26]), be(n, 4)]); }
    return concat([new Uint8Array([major | 27]), be(n, 8)]);
  }

  // ---- keys and codes
  function generate() {
    // Ed25519 where the browser has it, else ECDSA P-256; never exportable (the private key stays here)
    return crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"])
      .then(function (pair) { return { alg: "Ed25519", pair: pair }; })
      .catch(function () {
        return crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"])
          .then(function (pair) { return { alg: "ES256", pair: pair }; });
      });
  }
  function signBytes(rec, message) {
    var algo = rec.alg === "Ed25519" ? { name: "Ed25519" } : { name: "ECDSA", hash: "SHA-256" };
    return crypto.subtle.sign(algo, rec.privateKey, message).then(function (sig) { return new Uint8Array(sig); });
  }
  function correctedSeconds() { return Math.floor((Date.now() + (record.offset || 0)) / 1000); }
  function makeCode(t) {
    var pass = base45Decode(record.bound.pass);
    return crypto.subtle.digest("SHA-256", pass).then(function (hash) {
      var input = concat([new TextEncoder().encode(DOMAIN), new Uint8Array(hash), be(t, 8)]);
      return signBytes(record, input);
    }).then(function (sig) {
      var body = concat([new Uint8Array([0x83]), head(0x40, pass.length), pass, head(0x00, t), head(0x40, 64), sig]);
      return "QG2:" + base45Encode(body);
    });
  }
  function draw(text) {
    var qr = qrcode(0, "M");  // web/static/vendor/qrcode.js, version chosen to fit
    qr.addData(text, "Alphanumeric");
    qr.make();
    var n = qr.getModuleCount(), quiet = 4, canvas = byId("live-qr");
    var scale = Math.max(Math.floor(Math.min(window.innerWidth - 24, 480) / (n + 2 * quiet)), 2);
    canvas.width = canvas.height = (n + 2 * quiet) * scale;
    var ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "#000";
    for (var r = 0; r < n; r++) {
      for (var c = 0; c < n; c++) {
        if (qr.isDark(r, c)) { ctx.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale); }
      }
    }
    canvas.setAttribute("data-code", text);
  }
  function tick() {
    clearTimeout(timer);
    var t = correctedSeconds();
    makeCode(t).then(function (text) {
      draw(text);
      byId("live-time").textContent = new Date(t * 1000).toLocaleTimeString();
    }).catch(function (e) { showError(w.holder_failed + " (" + e + ")"); });
    timer = setTimeout(tick, period * 1000 - ((Date.now() + (record.offset || 0)) % (period * 1000)) + 50);
  }

  // ---- screen
  function keepAwake() {
    if (!("wakeLock" in navigator) || document.hidden || wakeLock) { return; }
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      lock.addEventListener("release", function () { wakeLock = null; });
    }).catch(function () {});
  }
  function showError(text) { var e = byId("holder-error"); e.textContent = text; e.hidden = false; }
  function clockWarning() {
    var off = Math.round((record && record.offset || 0) / 1000), el = byId("clock-warning");
    el.hidden = Math.abs(off) * 1000 <= CLOCK_WARN_MS;
    el.textContent = w.holder_clock.replace("{s}", String(Math.abs(off)));
  }
  function usable(p) { return p && !p.revoked && p.state !== "expired" && p.state !== "revoked"; }
  function mine(bound) { return record && bound && bound.public_key === record.publicHex; }
  function showLive(on) {
    document.body.classList.toggle("live-code", on);
    byId("live-code").hidden = !on;
    byId("bind").hidden = on;
    if (on) { byId("qr").hidden = true; tick(); keepAwake(); } else { clearTimeout(timer); }
  }

  // what the server said (online: fresh, with its clock; offline: the service worker's copy)
  function update(p, online, sentAt) {
    byId("holder").hidden = !usable(p);
    if (!usable(p)) { showLive(false); return Promise.resolve(); }
    var moved = Boolean(p.bound) && !mine(p.bound);
    byId("holder-moved").hidden = !moved;
    if (record && online) {
      // half the round trip is the best guess of when the server read its clock
      record.offset = new Date(p.server_time).getTime() - (sentAt + Date.now()) / 2;
      if (mine(p.bound)) { record.bound = p.bound; } else { record.bound = null; }  // reissued, or moved away
    }
    clockWarning();
    showLive(Boolean(record && record.bound));
    if (record && record.bound && online && soon(record.bound.expires_at)) { register(record, true); }
    return record ? save(record) : Promise.resolve();
  }
  function soon(iso) { return new Date(iso).getTime() - Date.now() < 7 * 86400000; }

  // register a key with the gateway: a new phone (rebinding turns the old one off) or a renewal
  function register(rec, quiet) {
    var sentAt = Date.now();
    return crypto.subtle.exportKey("raw", rec.publicKey).then(function (raw) {
      return fetch("/p/" + token + "/bind", {
        method: "POST", credentials: "same-origin", cache: "no-store",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ alg: rec.alg, public_key: b64urlEncode(new Uint8Array(raw)) })
      });
    }).then(function (resp) {
      return resp.json().then(function (body) {
        if (!resp.ok) { throw new Error((body.error && body.error.message) || ("HTTP " + resp.status)); }
        rec.publicHex = body.bound.public_key;
        rec.bound = body.bound;
        rec.offset = new Date(body.server_time).getTime() - (sentAt + Date.now()) / 2;
        return save(rec);
      });
    }).catch(function (e) { if (!quiet) { throw e; } });
  }

  function bind() {
    byId("bind").disabled = true;
    byId("holder-error").hidden = true;
    generate().then(function (made) {
      var rec = { alg: made.alg, privateKey: made.pair.privateKey, publicKey: made.pair.publicKey,
                  publicHex: null, bound: null, offset: 0 };
      return register(rec, false).then(function () { record = rec; });
    }).then(function () {
      byId("holder-moved").hidden = true;
      clockWarning();
      showLive(true);
    }).catch(function (e) { showError(w.holder_failed + " " + e.message); })
      .then(function () { byId("bind").disabled = false; });
  }

  if (!window.crypto || !crypto.subtle || !window.indexedDB) {
    showError(w.holder_unsupported);
    return;
  }
  byId("bind").addEventListener("click", bind);
  document.addEventListener("visibilitychange", function () { if (!document.hidden && record && record.bound) { keepAwake(); tick(); } });
  window.addEventListener("qg-pass", function (event) {  // resident.js: /pass.json answered
    var d = event.detail;
    if (ready) { ready.then(function () { return update(d.pass, !d.offline, d.sentAt); }); }
  });
  var ready = load().then(function (rec) {
    record = rec;
    return update(data.pass, false, 0);
  }).catch(function (e) { showError(w.holder_failed + " " + e); });
})();
