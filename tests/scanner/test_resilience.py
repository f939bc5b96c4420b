"""Offline for a while and killed mid-run: nothing the guard was shown is lost, nothing arrives twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from gatewayproc import QRGATE, ROOT, Gateway

from scanner.log import EntryLog
from scanner.state import DeviceState
from scanner.sync import enroll, sync_once

SITE = "EAST1"
SCANNER = [sys.executable, "-m", "scanner.cli"]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Gateway]:
    gw = Gateway(tmp_path / "gw").start()
    gw.site(SITE, communities=["C1"], allow_reentry=True)
    yield gw
    gw.stop()


def scanner(data: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*SCANNER, "run", "--data", str(data), "--stdin", "--headless", *extra],
                            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True, bufsize=1,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def read_lines(stream: IO[str], n: int) -> list[dict]:
    return [json.loads(stream.readline()) for _ in range(n)]


def passes(gw: Gateway, n: int) -> list[str]:
    return [gw.person_pass(f"居民{i}", f"E{4000000 + i}", community="C1")["qr_text"] for i in range(n)]


def wait_for(predicate, timeout: float = 90.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


@pytest.mark.slow
def test_offline_200_decisions_arrive_exactly_once(gateway: Gateway, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    device = enroll(gateway.url, gateway.enrolment(SITE)["token"], data)
    sync_once(data)
    texts = passes(gateway, 20)
    proc = scanner(data, "--sync-interval", "1")
    try:
        gateway.stop()  # the network goes away; the gate keeps deciding
        assert proc.stdin is not None and proc.stdout is not None
        for i in range(200):
            proc.stdin.write(f"{texts[i % 20]}\t36.{i % 10}\n")
        proc.stdin.flush()
        shown = read_lines(proc.stdout, 200)
        assert {s["decision"] for s in shown} == {"allow"} and len({s["id"] for s in shown}) == 200
        time.sleep(2)  # a few failed syncs: the backoff grows
        gateway.start()
        # the background sync inside `run` uploads everything once the gateway is back
        assert wait_for(lambda: len(gateway.entries(device.device_id)) >= 200), "entries did not arrive"
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert sync_once(data).pushed == 0  # nothing left, nothing sent twice
    stored = gateway.entries(device.device_id)
    assert sorted(e["id"] for e in stored) == sorted(s["id"] for s in shown)
    assert sorted(e["seq"] for e in stored) == list(range(1, 201))
    assert all(e["chain_ok"] for e in stored)
    assert not [a for a in gateway.alerts() if a["kind"] == "broken_chain"]


@pytest.mark.slow
def test_kill_9_loses_nothing_that_was_shown(gateway: Gateway, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    device = enroll(gateway.url, gateway.enrolment(SITE)["token"], data)
    sync_once(data)
    texts = passes(gateway, 5)
    shown: list[dict] = []
    for round_ in range(3):
        proc = scanner(data, "--no-sync")
        assert proc.stdin is not None and proc.stdout is not None
        for i in range(300):  # far more than it will get to: it dies with lines still unread
            proc.stdin.write(f"{texts[i % 5]}\n")
        proc.stdin.flush()
        shown += read_lines(proc.stdout, 25 + 10 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        # whatever else it printed before dying was shown too
        shown += [json.loads(line) for line in proc.stdout.read().splitlines() if line.startswith("{")]
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
    with EntryLog(DeviceState(data).log_path) as log:
        assert log.verify_chain() is None
        local = log.count()
    assert local >= len(shown)
    assert sync_once(data).pushed == local
    stored = {e["id"]: e for e in gateway.entries(device.device_id)}
    missing = [s for s in shown if s["id"] not in stored]
    assert not missing, f"{len(missing)} shown decisions missing at the gateway"
    assert sorted(e["seq"] for e in stored.values()) == list(range(1, local + 1))  # each restart continued the chain
    assert all(e["chain_ok"] for e in stored.values())
    assert not [a for a in gateway.alerts() if a["kind"] == "broken_chain"]


def test_gate_keeps_syncing_after_a_key_rotation(gateway: Gateway, tmp_path: Path) -> None:
    data = tmp_path / "gate"
    enroll(gateway.url, gateway.enrolment(SITE)["token"], data)
    sync_once(data)
    subprocess.run([*QRGATE, "keys", "--data", str(gateway.data), "rotate"], cwd=ROOT, env=gateway.env,
                   check=True, capture_output=True)
    snapshot = sync_once(data).snapshot
    assert len(snapshot.trust) == 2  # old key still trusted for its live passes, new key added
