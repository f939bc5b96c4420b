"""The gate's clock comes from a signed time with its own nonce, carried on the boot clock.

Neither an altered `server_time` nor a replayed answer moves it; a jump beyond the bound waits
for an admin; a wall clock set back or held still does not move the gate's time, and data held
with a clock that stands still goes stale.
"""

from __future__ import annotations

import base64
import http.server
import io
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cli_run import run
from gatewayproc import Gateway
from offline_gate import OfflineGate

from keys import KeyAuthority, Reason, Secret, sign_document
from scanner.clock import ClockAnchor
from scanner.gate import Gate
from scanner.log import EntryLog
from scanner.state import DeviceState

SITE = "TIME1"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = Gateway(tmp_path_factory.mktemp("gw") / "data").start()
    gw.site(SITE)
    yield gw
    gw.stop()


class Proxy:
    """Between the gate and the gateway: passes requests on and lets a test change the signed time's answer.

    By default it forwards no headers of the one-request sync: the gate meets a gateway from before
    `Qrgate-Time` and asks GET /devices/time apart. With `time_header` it forwards them (and the
    ETag), passing the bundle's `Qrgate-Time` through that function.
    """

    def __init__(self, gw: Gateway, change: Callable[[dict[str, Any], str], dict[str, Any]],
                 time_header: Callable[[str], str] | None = None) -> None:
        outer = self
        self.gw, self.change = gw, change
        self.answered: list[tuple[str, int]] = []  # (path, status) of what passed through
        asked = ("Authorization", "Content-Type") + (("Qrgate-Time-Nonce", "If-None-Match") if time_header else ())

        class Handler(http.server.BaseHTTPRequestHandler):
            def _go(self, body: bytes | None) -> None:
                req = urllib.request.Request(outer.gw.url + self.path, data=body, method=self.command)
                for name in asked:
                    if self.headers.get(name):
                        req.add_header(name, self.headers[name])
                try:
                    with urllib.request.urlopen(req, timeout=30) as resp:
                        status, data, headers = resp.status, resp.read(), resp.headers
                except urllib.error.HTTPError as exc:
                    status, data, headers = exc.code, exc.read(), exc.headers
                outer.answered.append((self.path, status))
                if status == 200 and self.path.startswith("/api/v1/devices/time"):
                    data = json.dumps(outer.change(json.loads(data), self.path)).encode()
                self.send_response(status)
                if time_header is not None:
                    if headers.get("ETag"):
                        self.send_header("ETag", headers["ETag"])
                    if headers.get("Qrgate-Time"):
                        self.send_header("Qrgate-Time", time_header(headers["Qrgate-Time"]))
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802
                self._go(None)

            def do_POST(self) -> None:  # noqa: N802
                self._go(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> Proxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def enrolled(gw: Gateway, folder: Path, capsys: pytest.CaptureFixture[str], via: str | None = None) -> None:
    assert run(["enroll", "--gateway", gw.url, "--token", gw.enrolment(SITE)["token"], "--data", str(folder)],
               capsys)[0] == 0
    if via:
        raw = json.loads((folder / "device.json").read_text())
        raw["gateway"] = via
        (folder / "device.json").write_text(json.dumps(raw))


def offset(folder: Path) -> float:
    anchor = DeviceState(folder).load().anchor
    assert anchor is not None
    return anchor.offset


def test_an_altered_server_time_does_not_shift_the_clock(gateway: Gateway, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    def shift(bundle: dict[str, Any], path: str) -> dict[str, Any]:  # the answer of GET /devices/time
        moved = datetime.fromisoformat(bundle["server_time"]) + timedelta(hours=20.7)
        return {**bundle, "server_time": moved.isoformat()}

    with Proxy(gateway, shift) as proxy:
        enrolled(gateway, tmp_path / "g", capsys, via=proxy.url)
        code, _, out = run(["sync", "--data", str(tmp_path / "g")], capsys)
    assert code == 0, out
    assert abs(offset(tmp_path / "g")) < 5  # the gate's own clock is right: the +20.7 h never applied


def test_a_replayed_signed_time_is_refused_and_the_clock_stays(gateway: Gateway, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "g"
    recorded: list[dict[str, Any]] = []

    def record_then_replay(bundle: dict[str, Any], path: str) -> dict[str, Any]:
        if not recorded:
            recorded.append(bundle)
            return bundle
        return recorded[0]  # an answer to an earlier request, its signature intact

    with Proxy(gateway, record_then_replay) as proxy:
        enrolled(gateway, folder, capsys, via=proxy.url)
        assert run(["sync", "--data", str(folder)], capsys)[0] == 0  # recorded on the way
        before = (folder / "bundle.json").read_bytes()
        code, _, out = run(["sync", "--data", str(folder)], capsys)
    assert code == 77 and "time: not the answer to this request (a replay?)" in out, out
    assert (folder / "bundle.json").read_bytes() == before  # nothing it held changed
    with EntryLog(DeviceState(folder).log_path) as log:
        assert any("replay" in detail for _, _, detail in log.events("bundle_rejected"))


def test_a_replayed_time_header_is_refused_on_a_304_too(gateway: Gateway, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """The one-request sync: an old Qrgate-Time (signed, intact) replayed beside an unchanged 304."""
    folder = tmp_path / "g"
    recorded: list[str] = []

    def record_then_replay(value: str) -> str:
        recorded.append(value)
        return recorded[0]

    def untouched(answer: dict[str, Any], path: str) -> dict[str, Any]:
        raise AssertionError("the gate asked /devices/time though the bundle carried the time")

    with Proxy(gateway, untouched, time_header=record_then_replay) as proxy:
        enrolled(gateway, folder, capsys, via=proxy.url)
        assert run(["sync", "--data", str(folder)], capsys)[0] == 0  # recorded on the way
        before = (folder / "bundle.json").read_bytes()
        code, _, out = run(["sync", "--data", str(folder)], capsys)
    assert len(recorded) == 2  # both syncs were one request each, the second a 304 with the old time
    assert [a for a in proxy.answered if a[0] == "/api/v1/devices/bundle"][-1] == ("/api/v1/devices/bundle", 304)
    assert code == 77 and "time: not the answer to this request (a replay?)" in out, out
    assert (folder / "bundle.json").read_bytes() == before


def test_a_jump_beyond_the_bound_waits_for_an_admin(gateway: Gateway, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A gateway whose clock went 20 minutes ahead (or a stolen key): signed, fresh, but a jump."""
    key = KeyAuthority(gateway.data / "keys", passphrase=Secret("test-passphrase")).issuers.signing_key()

    def ahead(bundle: dict[str, Any], path: str) -> dict[str, Any]:
        nonce = bytes.fromhex(urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["nonce"][0])
        moment = datetime.now(UTC) + timedelta(minutes=20)
        body = {"nonce": nonce, "ms": int(moment.timestamp() * 1000), "device": bundle["device_id"]}
        return {**bundle, "time": base64.b64encode(sign_document(key, "qrgate/time", body,
                                                                 issued_at=moment)).decode()}

    folder = tmp_path / "g"
    enrolled(gateway, folder, capsys)
    with Proxy(gateway, ahead) as proxy:
        raw = json.loads((folder / "device.json").read_text())
        raw["gateway"] = proxy.url
        (folder / "device.json").write_text(json.dumps(raw))
        assert run(["sync", "--data", str(folder)], capsys)[0] == 0
    assert abs(offset(folder)) < 5  # not applied
    code, _, out = run(["clock", "show", "--data", str(folder)], capsys)
    assert code == 0 and "held jump    +1200 s" in out.replace("+1199", "+1200"), out
    person = gateway.person_pass("钟表", "T7000001", community="C1")
    monkeypatch.setattr("sys.stdin", io.StringIO(person["qr_text"] + "\n"))
    _, lines, _ = run(["run", "--data", str(folder), "--stdin", "--headless", "--no-sync"], capsys)
    assert "not applied until an admin confirms" in lines[0]["clock_warning"]
    with EntryLog(DeviceState(folder).log_path) as log:
        assert log.events("clock_jump_held")
    code, _, out = run(["clock", "accept", "--data", str(folder)], capsys)
    assert code == 0 and "accepted" in out
    assert 1190 < offset(folder) < 1210
    assert run(["clock", "accept", "--data", str(folder)], capsys)[1:] == ([], "no clock jump is waiting: nothing changed\n")


def test_the_wall_clock_set_back_or_held_does_not_move_the_gate_time(offline: OfflineGate) -> None:
    """The issue #10 bullet: after a backward jump no old offset is applied as if "corrected", and a
    clock held back goes stale, because the gate's time runs on the boot clock since the sync."""
    synced = datetime.now(UTC)
    offline.bundle(issued_at=synced)
    state = offline.state
    raw = state.raw_bundle()
    raw["clock"] = ClockAnchor(synced.timestamp(), "boot-1", 1000.0, 0.0).to_json()
    (offline.folder / "bundle.json").write_text(json.dumps(raw))
    snap = state.load()
    boot = [1000.0 + 60]
    wall = [synced.astimezone() - timedelta(hours=3) + timedelta(seconds=60)]  # wall clock set back 3 h
    with EntryLog(state.log_path) as log:
        gate = Gate(state.device(), log, lambda: snap, clock=lambda: wall[0], boot=lambda: ("boot-1", boot[0]))
        text = offline.issue()
        out = gate.decide(text)
        assert out.decision.allowed
        assert abs((out.corrected_now - synced).total_seconds() - 60) < 1
        assert out.clock_warning and "using the gateway's time" in out.clock_warning
        assert abs(out.entry["clock_offset"] - 3 * 3600) < 1  # the offset logged is the one really applied
        # the wall clock now stands still while 25 h pass: the data goes stale all the same
        boot[0] += 25 * 3600
        assert gate.decide(offline.issue()).decision.reason is Reason.STALE_DATA
        # after a restart (another boot) with the wall clock behind the data: cannot verify, never admit
        boot[:] = [5.0]
        restarted = Gate(state.device(), log, lambda: snap, clock=lambda: wall[0], boot=lambda: ("boot-2", 5.0))
        later = restarted.decide(offline.issue())
        assert later.decision.reason is Reason.STALE_DATA
        assert later.clock_warning and "restarted since the last sync" in later.clock_warning
