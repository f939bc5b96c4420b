"""Issue #9's proof: a real gateway and three real gates through a key rotation and a withdrawal.

Gate A synced before the rotation, gate B after it, gate C last synced 7 days before (offline).
The old key is withdrawn; all three sync without re-enrolment; its passes are denied
`key_withdrawn` everywhere; the reissued pass is allowed; a bundle signed with the withdrawn key
(an attacker who holds it) is refused by every gate, which the console then shows as
"cannot update".
"""

from __future__ import annotations

import base64
import http.cookiejar
import http.server
import io
import json
import re
import subprocess
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_run import run
from gatewayproc import QRGATE, ROOT, Gateway

from keys import KeyAuthority, Secret, sign_document, sign_policy, sign_revocation_index
from scanner.state import DeviceState

SITE = "TRUST1"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path / "gw").start()
    gw.site(SITE, allow_reentry=True)  # the same pass is shown at each gate several times
    yield gw
    gw.stop()


def qrgate(gw: Gateway, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QRGATE, *args], cwd=ROOT, env=gw.env, capture_output=True, text=True, timeout=120)


def enrol(gw: Gateway, folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    code, _, out = run(["enroll", "--gateway", gw.url, "--token", gw.enrolment(SITE)["token"],
                        "--data", str(folder)], capsys)
    assert code == 0, out
    return out


def decide(folder: Path, qr_text: str, capsys: pytest.CaptureFixture[str],
           monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(qr_text + "\n"))
    code, lines, out = run(["run", "--data", str(folder), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0 and len(lines) == 1, out
    return lines[0]["decision"], lines[0]["reason"]


def age_by_a_week(gw: Gateway, folder: Path) -> None:
    """Make gate C's stored bundle what a sync 7 days ago left: documents signed then, its clock anchor then."""
    key = KeyAuthority(gw.data / "keys", passphrase=Secret(gw.env["QRGATE_KEY_PASSPHRASE"])).issuers.signing_key()
    state = DeviceState(folder)
    raw = state.raw_bundle()
    week_ago = datetime.now(UTC) - timedelta(days=7)
    policy = state.load().policy
    assert policy is not None
    # an empty list as signed then, and no signed time since to vouch for it
    raw["index"] = base64.b64encode(sign_revocation_index(key, [], seq=0, issued_at=week_ago)).decode()
    raw["parts"], raw["etag"] = {}, None
    raw.pop("time", None)
    raw["policy"] = base64.b64encode(sign_policy(key, policy, issued_at=week_ago)).decode()
    raw["synced_at"] = week_ago.isoformat()
    raw["clock"]["server"] -= 7 * 86400
    raw["clock"]["boot"] -= 7 * 86400
    (folder / "bundle.json").write_text(json.dumps(raw))


class Attacker:
    """A man in the middle who holds the withdrawn key: real bundles, re-signed parts, passes the rest on."""

    def __init__(self, gw: Gateway, stolen_kid: str) -> None:
        self.gw = gw
        folder = gw.data / "keys"
        self.key = KeyAuthority(folder, passphrase=Secret(gw.env["QRGATE_KEY_PASSPHRASE"])).issuers.load(stolen_kid)
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _forward(self, body: bytes | None) -> tuple[int, bytes]:
                req = urllib.request.Request(outer.gw.url + self.path, data=body, method=self.command)
                for name in ("Authorization", "Content-Type"):
                    if self.headers.get(name):
                        req.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        return resp.status, resp.read()
                except urllib.error.HTTPError as exc:
                    return exc.code, exc.read()

            def _answer(self, status: int, data: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                status, data = self._forward(None)
                if status == 200 and self.path.startswith("/api/v1/devices/bundle"):
                    data = json.dumps(outer.forge(json.loads(data))).encode()
                elif status == 200 and self.path.startswith("/api/v1/devices/time"):
                    data = json.dumps(outer.forge_time(json.loads(data), self.path)).encode()
                self._answer(status, data)

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self._answer(*self._forward(self.rfile.read(length)))

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def forge(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """Every part an issuing key signs, signed again with the stolen key: no revocations."""
        now = datetime.now(UTC)
        from keys import SitePolicy
        policy = SitePolicy.from_json({"kind": "community", "site": SITE, "visitors": True})
        self.device = bundle["device_id"]
        return {**bundle, "revocation_parts": {},
                "revocations_index": b64(sign_revocation_index(self.key, [], seq=bundle["revocations_seq"],
                                                               issued_at=now)),
                "policy": b64(sign_policy(self.key, policy, issued_at=now))}

    def forge_time(self, answer: dict[str, Any], path: str) -> dict[str, Any]:
        """The signed time, signed again with the stolen key, the nonce kept."""
        now = datetime.now(UTC)
        nonce = bytes.fromhex(urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["nonce"][0])
        body = {"nonce": nonce, "ms": int(now.timestamp() * 1000), "device": getattr(self, "device", "")}
        return {**answer, "time": b64(sign_document(self.key, "qrgate/time", body, issued_at=now))}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def point(folder: Path, url: str) -> None:
    raw = json.loads((folder / "device.json").read_text())
    raw["gateway"] = url
    (folder / "device.json").write_text(json.dumps(raw))


def console_page(gw: Gateway, path: str) -> str:
    """Log in to the real console with a real account and fetch a page."""
    made = qrgate(gw, "account", "create", "trustadmin", "--role", "admin", "--password", "correct horse battery",
                  "--data", str(gw.data))
    assert made.returncode == 0, made.stderr
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    login = opener.open(gw.url + "/console/login", timeout=30).read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert csrf
    form = urllib.parse.urlencode({"username": "trustadmin", "password": "correct horse battery",
                                   "csrf_token": csrf.group(1)}).encode()
    req = urllib.request.Request(gw.url + "/console/login", data=form, headers={"Origin": gw.url})
    opener.open(req, timeout=30).read()
    return opener.open(gw.url + path, timeout=30).read().decode()


def test_withdrawal_reaches_every_gate_without_re_enrolment(
        gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    gw = gateway
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    old_pass = gw.person_pass("王五", "T9000001", community="C1")
    printed = enrol(gw, a, capsys)
    fingerprint = re.search(r"root of trust ([0-9a-f-]{39})", printed)
    assert fingerprint, printed
    enrol(gw, c, capsys)
    age_by_a_week(gw, c)
    assert decide(c, old_pass["qr_text"], capsys, monkeypatch) == ("deny", "stale_data")  # offline too long
    old_kid = KeyAuthority(gw.data / "keys", passphrase=Secret("test-passphrase")).issuers.signing_key().kid.hex()

    rotated = qrgate(gw, "keys", "--data", str(gw.data), "rotate")
    assert rotated.returncode == 0, rotated.stderr
    enrol(gw, b, capsys)
    for gate in (a, b):
        assert decide(gate, old_pass["qr_text"], capsys, monkeypatch) == ("allow", "ok")  # retired, still trusted

    withdrawn = qrgate(gw, "keys", "--data", str(gw.data), "withdraw", old_kid, "--reason", "laptop stolen")
    assert withdrawn.returncode == 0, withdrawn.stderr
    for gate in (a, b, c):
        code, _, out = run(["sync", "--data", str(gate)], capsys)
        assert code == 0, (gate.name, out)
        assert decide(gate, old_pass["qr_text"], capsys, monkeypatch) == ("deny", "key_withdrawn"), gate.name
        assert DeviceState(gate).held_keyset().version == 3  # type: ignore[union-attr]
    # the withdrawal reissued every live pass the key signed (the person's new pass, by the new key)
    replaced_by = gw.ok("GET", f"/api/v1/passes/{old_pass['serial']}")["replaced_by"]
    if replaced_by is None:  # no bulk reissue hooked on: the registrar reissues it
        reissued = gw.ok("POST", f"/api/v1/passes/{old_pass['serial']}/reissue", {"reason": "key withdrawn"})
    else:
        reissued = gw.ok("GET", f"/api/v1/passes/{replaced_by}")
    for gate in (a, b, c):
        assert decide(gate, reissued["qr_text"], capsys, monkeypatch) == ("allow", "ok"), gate.name

    # the console shows the root every gate pinned
    devices = gw.ok("GET", f"/api/v1/devices?site={SITE}")["devices"]
    assert [d["update_problem"] for d in devices] == [None, None, None]

    attacker = Attacker(gw, old_kid)
    try:
        for gate in (a, b, c):
            point(gate, attacker.url)
            code, _, out = run(["sync", "--data", str(gate)], capsys)
            assert code != 0 and "signed by withdrawn key" in out, (gate.name, out)
            # it keeps deciding with what it held
            assert decide(gate, old_pass["qr_text"], capsys, monkeypatch) == ("deny", "key_withdrawn")
            assert decide(gate, reissued["qr_text"], capsys, monkeypatch) == ("allow", "ok")
    finally:
        attacker.close()
    devices = gw.ok("GET", f"/api/v1/devices?site={SITE}")["devices"]
    assert all("signed by withdrawn key" in (d["update_problem"] or "") for d in devices), devices
    page = console_page(gw, f"/console/sites/{SITE}")
    assert page.count("cannot update: ") == 3 and page.count("signed by withdrawn key") == 3, page
    assert fingerprint.group(1) in page
    # the daily report lists them among the silent gates, with the reason
    from zoneinfo import ZoneInfo
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    report = gw.ok("GET", f"/api/v1/reports/daily?site={SITE}&date={today}")
    silent = [d for s in report["sites"] for d in s["silent_devices"]]
    assert len(silent) == 3 and all("signed by withdrawn key" in d["update_problem"] for d in silent), silent

    for gate in (a, b, c):  # back on the real gateway: it can update again, and says so
        point(gate, gw.url)
        assert run(["sync", "--data", str(gate)], capsys)[0] == 0
    devices = gw.ok("GET", f"/api/v1/devices?site={SITE}")["devices"]
    assert [d["update_problem"] for d in devices] == [None, None, None]
