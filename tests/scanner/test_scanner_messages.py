"""The scanner says what is true for the state the gate is in (issue #16 part 4), against a real gateway.

Never enrolled: nothing is stored and the gate decides nothing, so "keeps deciding offline" would be
false. Enrolled and offline: it does keep deciding, with its last sync's data. Disabled by the
admin: a person must act, so "retry later" would be false.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from gatewayproc import Gateway, free_port

from scanner.cli import EXIT_CONFIG, EXIT_REFUSED, EXIT_UNREACHABLE, main
from scanner.state import DeviceState

SITE = "MSG1"


def said(argv: list[str], capsys: pytest.CaptureFixture[str], code: int) -> str:
    """`qrgate-scanner argv` exits `code` with one line on stderr, no traceback; that line."""
    assert main(argv) == code
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path / "gw").start()
    gw.site(SITE)
    yield gw
    gw.stop()


def test_a_gate_never_enrolled_is_told_to_enrol_not_that_it_decides_offline(
        gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "new-gate"
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    line = said(["enroll", "--gateway", closed, "--token", "t", "--data", str(data)], capsys, EXIT_UNREACHABLE)
    assert line.startswith("qrgate-scanner: cannot reach 127.0.0.1:") and "not enrolled yet" in line, line
    assert "check --gateway" in line and "enroll again" in line
    assert "deciding offline" not in line and "retry later" not in line

    line = said(["enroll", "--gateway", gateway.url, "--token", "not-a-token", "--data", str(data)], capsys,
                EXIT_REFUSED)
    assert "enrolment_invalid" in line and "not enrolled" in line and "new enrolment token" in line, line
    assert "deciding offline" not in line
    assert not (data / "device.json").exists()  # nothing was stored

    for argv in (["sync"], ["run", "--stdin", "--headless"], ["clock", "show"], ["stats"]):
        line = said([*argv, "--data", str(data)], capsys, EXIT_CONFIG)
        assert f"{data} is not enrolled: run 'qrgate-scanner enroll --gateway URL --token TOKEN" in line, line


def test_an_enrolled_gate_offline_then_disabled_says_what_it_does(
        gateway: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = tmp_path / "gate"
    spare = gateway.enrolment(SITE)["token"]
    assert main(["enroll", "--gateway", gateway.url, "--token", gateway.enrolment(SITE)["token"],
                 "--data", str(data), "--name", "north"]) == 0
    capsys.readouterr()
    device = DeviceState(data).device()
    p = gateway.person_pass("离线", "M7000001", community="C1")

    gateway.stop()  # enrolled and offline
    line = said(["sync", "--data", str(data)], capsys, EXIT_UNREACHABLE)
    assert "cannot reach" in line and f"gate north ({device.device_id}, site {SITE})" in line, line
    assert "keeps deciding offline with the data of its last sync" in line and "retry later" in line
    assert "not enrolled" not in line
    monkeypatch.setattr("sys.stdin", io.StringIO(p["qr_text"] + "\n"))
    assert main(["run", "--data", str(data), "--stdin", "--headless", "--no-sync"]) == 0  # and it does
    assert '"decision": "allow"' in capsys.readouterr().out
    line = said(["enroll", "--gateway", gateway.url, "--token", spare, "--data", str(data)], capsys,
                EXIT_UNREACHABLE)
    assert "not enrolled again, the enrolment it had is kept" in line and "keeps deciding offline" in line, line
    assert DeviceState(data).device().device_id == device.device_id

    gateway.start()  # the admin disables it
    gateway.ok("POST", f"/api/v1/devices/{device.device_id}/disable", {"reason": "moved to storage"})
    line = said(["sync", "--data", str(data)], capsys, EXIT_REFUSED)
    assert "device_disabled" in line and "the admin disabled this gate" in line, line
    assert "contact the admin" in line and "retry later" not in line

    gateway.stop()  # disabled, and now offline too: still a person's matter
    line = said(["sync", "--data", str(data)], capsys, EXIT_UNREACHABLE)
    assert "cannot reach" in line and "the gateway disabled this gate on" in line, line
    assert "contact the admin" in line and "retry later" not in line
