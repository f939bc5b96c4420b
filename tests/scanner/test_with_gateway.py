"""Against a real gateway (`qrgate serve` on a local port): enrol, sync, decide frames and stdin lines, upload."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from cli_run import run
from frames import background, blur, phone_screen, place, qr_bgr, write_folder, write_video
from gatewayproc import Gateway

from keys.render import render_image
from scanner.cli import EXIT_REFUSED, EXIT_UNREACHABLE
from scanner.log import EntryLog
from scanner.state import DeviceState

SITE = "NORTH1"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    gw = Gateway(tmp_path_factory.mktemp("gw") / "data").start()
    gw.site(SITE, fever_threshold=37.3)
    yield gw
    gw.stop()


def enrolled(gateway: Gateway, folder: Path, capsys: pytest.CaptureFixture[str]) -> str:
    token = gateway.enrolment(SITE)["token"]
    code, _, err = run(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(folder),
                        "--name", "north gate"], capsys)
    assert code == 0, err
    return DeviceState(folder).device().device_id


def test_enrol_sync_and_decide_frames(gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "gate"
    device_id = enrolled(gateway, data, capsys)
    assert (data / "device.json").stat().st_mode & 0o777 == 0o600
    today = date.today()
    ok = gateway.person_pass("赵一", "E1000001", community="C1")
    quarantined = gateway.person_pass("钱二", "E1000002", community="C1", origin="420100",
                                      arrived_on=(today - timedelta(days=2)).isoformat())
    revoked = gateway.person_pass("孙三", "E1000003", community="C1")
    other = gateway.person_pass("李四", "E1000004", community="C9")
    gateway.ok("POST", f"/api/v1/passes/{revoked['serial']}/revoke", {"reason": "lost phone"})
    code, _, err = run(["sync", "--data", str(data)], capsys)  # pulls the revocation as a delta
    assert code == 0, err

    frames = []
    for i, p in enumerate((ok, quarantined, revoked, other)):
        code_img = qr_bgr(p["qr_text"])
        frames += [place(code_img, tilt=0.2, seed=i), phone_screen(code_img, seed=i), background((1280, 720), i)]
    folder = write_folder(tmp_path / "frames", frames)
    code, lines, err = run(["run", "--data", str(data), "--images", str(folder), "--every-frame", "--headless",
                            "--no-sync"], capsys)
    assert code == 0, err
    assert [(l["decision"], l["reason"]) for l in lines] == [
        ("allow", "ok"), ("deny", "quarantine"), ("deny", "revoked"), ("deny", "wrong_site")]
    qend = today - timedelta(days=2) + timedelta(days=14)
    assert lines[1]["message"]["zh"] == f"隔离期内，{qend.month}月{qend.day}日起可通行"
    assert lines[0]["document"] == "0001" and lines[0]["name"] == "赵一"

    feverish = gateway.person_pass("周五", "E1000005", community="C1")
    video = write_video(tmp_path / "fever.avi", [blur(place(qr_bgr(feverish["qr_text"]), seed=s), 1.0)
                                                 for s in range(3)])
    code, lines, err = run(["run", "--data", str(data), "--video", str(video), "--every-frame", "--headless",
                            "--no-sync", "--temperature", "38.4", "--decoder", "zbar"], capsys)
    assert code == 0, err
    assert [(l["reason"], l["temperature"]) for l in lines] == [("fever", 38.4)]

    code, _, err = run(["sync", "--data", str(data)], capsys)
    assert code == 0, err
    stored = gateway.entries(device_id)
    assert sorted(e["reason"] for e in stored) == ["fever", "ok", "quarantine", "revoked", "wrong_site"]
    assert all(e["chain_ok"] for e in stored)
    assert any(a["kind"] == "fever" for a in gateway.alerts())


def test_stdin_source_and_enrol_by_qr(gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    enrolment = gateway.enrolment(SITE)
    render_image(enrolment["qr_text"], box_size=6).save(tmp_path / "enrol.png")
    (tmp_path / "qr").mkdir()
    (tmp_path / "enrol.png").rename(tmp_path / "qr" / "enrol.png")
    data = tmp_path / "gate"
    code, _, err = run(["enroll", "--images", str(tmp_path / "qr"), "--data", str(data)], capsys)
    assert code == 0, err
    device_id = DeviceState(data).device().device_id
    a = gateway.person_pass("吴六", "E2000001", community="C1")
    b = gateway.person_pass("郑七", "E2000002", community="C1")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{a['qr_text']}\t36.6\n{b['qr_text']}\t37.8\nhello\n"))
    code, lines, err = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0, err
    assert [(l["reason"], l["temperature"]) for l in lines] == [("ok", 36.6), ("fever", 37.8), ("unreadable", None)]
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    assert len(gateway.entries(device_id)) == 3

    # the token was single-use: a second device cannot enrol with it
    code, _, err = run(["enroll", "--gateway", gateway.url, "--token", enrolment["token"],
                        "--data", str(tmp_path / "other")], capsys)
    assert code == EXIT_REFUSED and "enrolment_invalid" in err


def test_retried_upload_never_duplicates(gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "gate"
    device_id = enrolled(gateway, data, capsys)
    p = gateway.person_pass("王八", "E3000001", community="C1")
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{p['qr_text']}\n" * 5))
    assert run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)[0] == 0
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    # as if the answer to the upload had been lost: the gate sends the same entries again
    with sqlite3.connect(data / "entries.db") as db:
        db.execute("UPDATE entries SET sent = 0")
    code, _, out = run(["sync", "--data", str(data)], capsys)
    assert code == 0 and "entries sent 0, already there 5" in out, out
    assert len(gateway.entries(device_id)) == 5
    with EntryLog(data / "entries.db") as log:
        assert log.count(unsent_only=True) == 0


def test_sync_with_the_gateway_down_is_a_clear_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gw = Gateway(tmp_path / "gw")  # never started: nothing listens on its port
    data = tmp_path / "gate"
    from offline_gate import OfflineGate

    from keys import IssuerKey

    OfflineGate(data, IssuerKey.generate())
    state = DeviceState(data)
    device = state.device()
    raw = json.loads((data / "device.json").read_text())
    raw["gateway"] = gw.url
    (data / "device.json").write_text(json.dumps(raw))
    code, _, err = run(["sync", "--data", str(data)], capsys)
    assert code == EXIT_UNREACHABLE and "cannot reach" in err and device.device_id


def test_not_enrolled_is_a_clear_exit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["run", "--data", str(tmp_path / "nowhere"), "--stdin", "--headless"], capsys)
    assert code == 78 and "not enrolled" in err


def test_a_large_list_syncs_by_parts_and_an_unchanged_bundle_is_304(
        gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from gateway.config import GatewayConfig
    from gateway.db import Database
    from tests.gateway.bundles import seed_revoked

    async def seed() -> None:
        db = await Database.open(GatewayConfig.for_data_dir(gateway.data).database)
        try:
            await seed_revoked(db, 5000)  # a list long enough to be partitioned by first byte
        finally:
            await db.close()

    data = tmp_path / "gate"
    enrolled(gateway, data, capsys)
    asyncio.run(seed())
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    first = DeviceState(data).raw_bundle()
    assert len(first["parts"]) > 250 and len(DeviceState(data).load().revocations or ()) >= 5000

    served = bundles_answered(gateway)
    assert run(["sync", "--data", str(data)], capsys)[0] == 0  # nothing changed
    assert bundles_answered(gateway)["304"] == served.get("304", 0) + 1
    again = DeviceState(data).raw_bundle()
    assert (again["etag"], again["parts"]) == (first["etag"], first["parts"]) and again["time"] != first["time"]

    p = gateway.person_pass("冯九", "E4000001", community="C1")
    gateway.ok("POST", f"/api/v1/passes/{p['serial']}/revoke", {"reason": "lost"})
    assert run(["sync", "--data", str(data)], capsys)[0] == 0
    after = DeviceState(data).raw_bundle()
    assert {k for k in after["parts"] if after["parts"][k] != first["parts"].get(k)} == {p["serial"][:2]}
    monkeypatch.setattr("sys.stdin", io.StringIO(p["qr_text"] + "\n"))
    code, lines, out = run(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"], capsys)
    assert code == 0 and (lines[0]["decision"], lines[0]["reason"]) == ("deny", "revoked"), out


def bundles_answered(gateway: Gateway) -> dict[str, float]:
    """The gateway's own count of bundles answered, by answer (200, 304), from its /metrics."""
    import re
    import urllib.request
    req = urllib.request.Request(gateway.url + "/metrics", headers={"Authorization": f"Bearer {gateway.admin}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
    return {m.group(1): float(m.group(2)) for m in re.finditer(r'qrgate_bundles_total\{answer="(\d+)"\} (\S+)', text)}
