"""A gate the admin disabled, and the revocation version the CLI reports, against a real gateway."""

from __future__ import annotations

import io
import json
import sqlite3
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cli_run import run
from gatewayproc import Gateway
from offline_gate import OfflineGate

from keys.chain import entry_hash
from keys.entry import EntryError
from scanner.cli import EXIT_REFUSED, main
from scanner.gate import Gate
from scanner.log import EntryLog
from scanner.state import DeviceState, Snapshot
from scanner.sync import DEVICE_DISABLED, DISABLED_BACKOFF, BackgroundSync

SITE = "WEST1"


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path / "gw").start()  # fresh: its revocation list starts empty, at version 0
    gw.site(SITE, allow_reentry=True)
    yield gw
    gw.stop()


def bundle_seq(gateway: Gateway, data: Path) -> int:
    """The gateway's own `revocations_seq`, asked with the device's credential."""
    credential = json.loads((data / "device.json").read_text())["credential"]
    req = urllib.request.Request(gateway.url + "/api/v1/devices/bundle?nonce=" + "ab" * 16,
                                 headers={"Authorization": f"Bearer {credential}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return int(json.loads(resp.read())["revocations_seq"])


def test_cli_prints_the_real_revocation_version(gateway: Gateway, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "gate"
    token = gateway.enrolment(SITE)["token"]
    code, _, out = run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)
    assert code == 0, out
    assert "synced: revocation list version 0\n" in out, out  # an empty list is version 0, not "-"
    for i in range(2):
        p = gateway.person_pass(f"撤销{i}", f"R500000{i}", community="C1")
        gateway.ok("POST", f"/api/v1/passes/{p['serial']}/revoke", {"reason": "lost phone"})
    seq = bundle_seq(gateway, data)
    assert seq > 0
    code, _, out = run(["sync", "--data", str(data)], capsys)
    assert code == 0, out
    assert f"synced: revocations v{seq}, " in out, out
    assert DeviceState(data).load().revocations.seq == seq  # type: ignore[union-attr]


def test_disabled_device_is_shown_recorded_and_still_decides(gateway: Gateway, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "gate"
    token = gateway.enrolment(SITE)["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    state = DeviceState(data)
    device_id = state.device().device_id
    p = gateway.person_pass("停用", "D6000001", community="C1")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\n"))
    code, lines, out = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0 and lines[0]["device_disabled"] is False, out

    gateway.ok("POST", f"/api/v1/devices/{device_id}/disable", {"reason": "stolen"})
    code, _, out = run(["sync", "--data", str(data)], capsys)
    assert code == EXIT_REFUSED and DEVICE_DISABLED in out and "contact the admin" in out, out
    assert state.load().disabled_at is not None
    with EntryLog(state.log_path) as log:
        assert [e[1] for e in log.events(DEVICE_DISABLED)] == [DEVICE_DISABLED]
        assert log.count(unsent_only=True) == 1  # refused upload: kept for when it is enabled again
    assert run(["sync", "--data", str(data)], capsys)[0] == EXIT_REFUSED
    with EntryLog(state.log_path) as log:
        assert len(log.events(DEVICE_DISABLED)) == 1  # recorded when it happened, not at every retry

    # its data is still fresh: the gate still decides, and says it is disabled
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\nnot a pass\n"))
    code, lines, out = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0, out
    assert [(l["decision"], l["reason"], l["device_disabled"]) for l in lines] == [
        ("allow", "ok", True), ("deny", "unreadable", True)]


def test_a_sync_the_gateway_accepts_clears_the_disabled_mark(gateway: Gateway, tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "gate"
    token = gateway.enrolment(SITE)["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    state = DeviceState(data)
    assert state.mark_disabled(datetime.now().astimezone(), "as an earlier refusal left it")
    code, _, out = run(["sync", "--data", str(data)], capsys)  # the gateway accepts this device
    assert code == 0, out
    assert state.load().disabled_at is None
    with EntryLog(state.log_path) as log:
        assert [e[1] for e in log.events("device_enabled")] == ["device_enabled"]


def test_background_sync_backs_off_long_once_disabled(gateway: Gateway, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    assert main(["enroll", "--gateway", gateway.url, "--token", gateway.enrolment(SITE)["token"],
                 "--data", str(data)]) == 0
    gateway.ok("POST", f"/api/v1/devices/{DeviceState(data).device().device_id}/disable", {"reason": "retired"})
    seen: list[Snapshot] = []
    told = threading.Event()

    def on_snapshot(snap: Snapshot) -> None:
        seen.append(snap)
        told.set()

    syncer = BackgroundSync(data, on_snapshot, interval=0.05, on_error=lambda m: None)
    syncer.start()
    try:
        assert told.wait(60), syncer.last_error
        told.clear()
        # with the ordinary backoff (from 0.05 s) it would have asked again several times by now
        assert not told.wait(1.5)
        assert syncer.attempts == 1 and syncer.disabled
        assert syncer.delay() >= DISABLED_BACKOFF * 0.9
    finally:
        syncer.stop()
    assert seen[-1].disabled_at is not None and seen[-1].can_decide  # the guard sees it; the gate decides


def test_disabled_gate_with_stale_data_cannot_verify(offline: OfflineGate) -> None:
    offline.state.mark_disabled(datetime.now().astimezone(), "gateway refused (403 device_disabled)")
    text = offline.issue()
    with EntryLog(offline.state.log_path) as log:
        snap = offline.state.load()
        fresh = Gate(offline.state.device(), log, lambda: snap).decide(text)
        offline.bundle(max_data_age=60, issued_at=datetime.now(UTC) - timedelta(hours=1))
        stale_snap = offline.state.load()
        stale = Gate(offline.state.device(), log, lambda: stale_snap).decide(text)
    assert (fresh.decision.allowed, fresh.device_disabled) == (True, True)
    assert (stale.decision.reason.value, stale.decision.cannot_verify, stale.device_disabled) == (
        "stale_data", True, True)
    assert stale.to_json()["device_disabled"] is True


def test_enrolling_again_clears_the_disabled_mark(offline: OfflineGate) -> None:
    assert offline.state.mark_disabled(datetime.now().astimezone(), "x")
    assert not offline.state.mark_disabled(datetime.now().astimezone(), "x")  # already recorded
    (offline.folder / "disabled.json").write_text("{damaged")
    assert offline.state.disabled_at() is not None  # a damaged mark still means disabled
    OfflineGate(offline.folder, offline.key)  # a new enrolment into the same folder
    assert offline.state.load().disabled_at is None


def test_impossible_temperatures_deny_and_never_block_the_upload(gateway: Gateway, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "gate"
    token = gateway.enrolment(SITE)["token"]
    assert run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)[0] == 0
    p = gateway.person_pass("体温", "T7000001", community="C1")
    # a keyboard-wedge suffix gone wrong, and a guard's slip of the finger: no body has these temperatures
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\t1e9\n{p['qr_text']}\t99999\n"
                                                 f"{p['qr_text']}\t36.5\n"))
    code, lines, out = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0, out
    assert [(l["reason"], l["temperature"]) for l in lines] == [("fever", None), ("fever", None), ("ok", 36.5)]
    code, _, out = run(["sync", "--data", str(data)], capsys)
    assert code == 0 and "entries sent 3" in out, out  # nothing the gateway refuses stays stuck in the log


def test_an_entry_the_gateway_refuses_never_holds_back_the_rest(gateway: Gateway, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "gate"
    assert run(["enroll", "--gateway", gateway.url, "--token", gateway.enrolment(SITE)["token"],
                "--data", str(data)], capsys)[0] == 0
    state = DeviceState(data)
    p = gateway.person_pass("拒收", "D7000001", community="C1")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\nnot a pass\n"))
    assert run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)[0] == 0
    # an entry the gateway's validation refuses (an impossible temperature), chained like any other: the
    # log itself no longer makes one (keys/entry.py refuses it), so it is written as an older scanner left it
    with EntryLog(state.log_path) as log:
        last = log.entries()[-1]
    bad = {**last, "id": str(uuid.uuid4()), "seq": last["seq"] + 1, "prev_hash": last["hash"], "temperature": 1e9}
    bad["hash"] = entry_hash(bad)
    with sqlite3.connect(state.log_path) as db:
        db.execute("INSERT INTO entries (seq, id, body, hash, serial, decision, decided_at, wall_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, 0, 0)", (bad["seq"], bad["id"], json.dumps(bad, sort_keys=True),
                                                       bad["hash"], bad["serial"], bad["decision"]))
    db.close()
    with EntryLog(state.log_path) as log, pytest.raises(EntryError, match="^temperature must be a number"):
        log.append({k: v for k, v in bad.items() if k not in ("id", "seq", "prev_hash", "hash")},
                   decided_at=0.0, wall_at=0.0)
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\nstill not a pass\n"))
    assert run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)[0] == 0

    code, _, out = run(["sync", "--data", str(data)], capsys)
    assert code == 0, out
    arrived = sorted(e["seq"] for e in gateway.entries(state.device().device_id))
    assert arrived == [1, 2, 4, 5]  # everything but the refused one, in one sync
    with EntryLog(state.log_path) as log:
        assert log.refused() == [bad["seq"]] and log.count(unsent_only=True) == 0
        assert [kind for _, kind, _ in log.events("entry_refused")] == ["entry_refused"]
    # the gap is visible to the admins, never silent
    assert any(a["kind"] == "broken_chain" for a in gateway.alerts())


def test_a_replayed_older_bundle_cannot_unrevoke_a_pass(gateway: Gateway, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone on the network records an old bundle and serves it again after a revocation."""
    import http.server
    import time

    data = tmp_path / "gate"
    assert run(["enroll", "--gateway", gateway.url, "--token", gateway.enrolment(SITE)["token"],
                "--data", str(data)], capsys)[0] == 0
    credential = json.loads((data / "device.json").read_text())["credential"]
    req = urllib.request.Request(gateway.url + "/api/v1/devices/bundle?nonce=" + "ab" * 16,
                                 headers={"Authorization": f"Bearer {credential}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        recorded = resp.read()  # a full bundle from before the revocation
    p = gateway.person_pass("重放", "D8000001", community="C1")
    time.sleep(1.1)  # bundles carry whole seconds: the next one must be visibly newer
    gateway.ok("POST", f"/api/v1/passes/{p['serial']}/revoke", {"reason": "lost phone"})
    assert run(["sync", "--data", str(data)], capsys)[0] == 0

    class Replay(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(recorded)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Replay)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        device = json.loads((data / "device.json").read_text())
        device["gateway"] = f"http://127.0.0.1:{server.server_address[1]}"
        (data / "device.json").write_text(json.dumps(device))
        code, _, out = run(["sync", "--data", str(data)], capsys)
    finally:
        server.shutdown()
        server.server_close()
    # its signed time answers another request's nonce: the whole bundle is refused as a replay
    assert code != 0 and "a replay" in out, out
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\n"))
    code, lines, out = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert (lines[0]["decision"], lines[0]["reason"]) == ("deny", "revoked"), out
