"""The checkpoint's window mode: the guard's terminal form feeds the headless mode's code (one record
for the same people), any typed line is handled, and the real `qrgate-scanner checkpoint --images DIR`
window under Xvfb reads a pass from the same capture path as the gate, shows each person's panel and
queues the vehicle's record offline."""

from __future__ import annotations

import io
import json
import os
import queue
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cli_run import run
from frames import background, place, qr_bgr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from offline_gate import OfflineGate
from test_display import SHOTS, share
from test_window_run import gate_folder, wait_for_screen

from gateway import idcard
from scanner.checkpoint import Checkpoint, RecordQueue
from scanner.checkpoint_form import CheckpointForm, Step, parse_identity
from scanner.checkpoint import CheckpointInputError
from scanner.display import ALLOW_RGB, DENY_RGB
from scanner.gate import Gate
from scanner.log import EntryLog

ROOT = Path(__file__).resolve().parents[2]
HUBEI_ID = idcard.make("42010219850612123")
VEHICLE = ["鄂a·12345", "car", "in", "420100", "T-BC", "C-DEST"]


def checkpoint_gate(offline: OfflineGate) -> OfflineGate:
    offline.bundle(kind="checkpoint", site="NORTH1", communities=[], require_temperature=True)
    return offline


def queued(folder: Path) -> list[dict[str, Any]]:
    with RecordQueue(folder) as q:
        return q.unsent()


def comparable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("id", "recorded_at", "clock_offset", "seq", "prev_hash", "hash")}


def test_the_form_records_what_the_headless_mode_records(offline: OfflineGate, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    gate = checkpoint_gate(offline)
    holder = gate.issue(name="张三", document="0001")
    said: list[str] = []
    shown: list[dict[str, Any]] = []
    with EntryLog(gate.state.log_path) as log:
        checkpoint = Checkpoint(Gate(gate.state.device(), log, gate.state.load), gate.folder)
        form = CheckpointForm(checkpoint, said.append, township="T-X", community="C-X", on_person=shown.append)
        for line in VEHICLE:
            form.line(line)
        assert form.step is Step.ROLE and "鄂A12345" in said[-2]
        form.line("")  # driver, the default
        assert form.wants_scan
        form.scan(holder)  # the camera
        form.line("36.4")
        form.line("passenger")
        form.scan(holder)  # still in view: the same pass is not a second person
        assert form.wants_scan and "already recorded for person 1" in said[-1]
        form.line(HUBEI_ID[:-1] + ("0" if HUBEI_ID[-1] != "0" else "1"))  # a misread check digit
        form.line("")  # no name
        form.line("")  # no reading: asked again, nobody recorded without one
        assert form.step is Step.TEMPERATURE and "temperature required" in said[-2]
        form.line("36.6")
        assert "check digit" in said[-2] and form.wants_scan  # the document again, not a record
        form.line(HUBEI_ID)
        form.line("李乘客")
        form.line("38.7")
        form.line("passenger")
        form.line("none")  # a non-resident without a document
        form.line("")
        form.line("36.5")
        form.line("done")
        assert form.records == 1 and form.step is Step.PLATE
        form.line("q")
        assert form.done
    assert [(p["decision"], p["reason"]) for p in shown] == [("allow", "ok"), ("deny", "fever"),
                                                              ("deny", "no_document")]
    assert all("document_number" not in p for p in shown)  # the screen never gets a full number
    [windowed] = queued(gate.folder)
    assert windowed["plate"] == "鄂A12345" and windowed["people"][1]["document_number"] == HUBEI_ID

    # the same people through the headless mode: the same record
    people = [{"role": "driver", "pass": holder, "temperature": 36.4},
              {"role": "passenger", "document_type": "resident_id", "document_number": HUBEI_ID, "name": "李乘客",
               "temperature": 38.7},
              {"role": "passenger", "resident": False, "temperature": 36.5}]
    monkeypatch.setattr("sys.stdin", io.StringIO("".join(json.dumps(p) + "\n" for p in people)))
    code, _, out = run(["checkpoint", "--data", str(gate.folder), "--plate", VEHICLE[0], "--origin", VEHICLE[3],
                        "--township", "T-BC", "--community", "C-DEST", "--no-sync"], capsys)
    assert code == 0, out
    first, headless = queued(gate.folder)
    assert first["id"] == windowed["id"]
    # the pass was seen once already: the headless run's decision is the passback rule's, as at a gate
    assert comparable(headless)["people"][1:] == comparable(windowed)["people"][1:]
    assert {k: v for k, v in comparable(headless).items() if k != "people"} == \
        {k: v for k, v in comparable(windowed).items() if k != "people"}
    assert headless["people"][0]["serial"] == windowed["people"][0]["serial"]


@pytest.mark.parametrize("text", ["QG1:ABC", "id 110101199003074258", "passport E1234567", "resident", "无",
                                  "110101199003074258", "rp AB12345"])
def test_identity_words(text: str) -> None:
    assert parse_identity(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.text(max_size=40), max_size=30), scans=st.lists(st.text(max_size=20), max_size=3))
def test_any_typing_is_an_answer_never_a_crash(offline: OfflineGate, lines: list[str], scans: list[str]) -> None:
    gate = checkpoint_gate(offline)
    said: list[str] = []
    with EntryLog(gate.state.log_path) as log:
        form = CheckpointForm(Checkpoint(Gate(gate.state.device(), log, gate.state.load), gate.folder),
                              said.append, township="T", community="C")
        for i, line in enumerate(lines):
            form.line(line)
            if i < len(scans):
                form.scan(scans[i])
        form.end()
    assert form.done and said


@given(st.text(max_size=300))
def test_parse_identity_is_a_person_or_one_input_error(text: str) -> None:
    try:
        raw = parse_identity(text)
    except CheckpointInputError:
        return
    assert set(raw) <= {"pass", "resident", "document_type", "document_number"} and raw


class Terminal:
    """The guard's terminal: the child's stdout lines as they come, and lines typed into its stdin."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc, self.lines, self.seen = proc, queue.Queue[str](), []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"the scanner ended waiting for {text!r}: {self.seen[-15:]}"
                continue
            self.seen.append(line)
            if text in line:
                return line
        raise AssertionError(f"no {text!r} within {timeout} s: {self.seen[-15:]}")

    def type(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()


@pytest.mark.slow
def test_checkpoint_window_reads_the_pass_shows_each_person_and_queues_the_car(
        xvfb: str, offline: OfflineGate, tmp_path: Path) -> None:
    gate = checkpoint_gate(offline)
    holder = gate.issue(name="甲一", document="0001")
    scene = background((1280, 720), 1)
    # at 10 frames/s: 3 s of road, then the driver's pass held up for as long as the test types (the form
    # asks for a pass only when a person's turn comes; the folder never runs out before the guard is done)
    folder = gate_folder(tmp_path / "frames", [(scene, 30), (place(qr_bgr(holder), seed=1), 3000)])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb",
           "PYTHONIOENCODING": "utf-8"}  # the prompts are zh + en whatever the locale of the test run
    errors = tmp_path / "stderr.txt"
    with errors.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "scanner.cli", "checkpoint", "--data", str(gate.folder),
                                 "--images", str(folder), "--no-sync", "--no-sound",
                                 "--township", "T-BC", "--community", "C-DEST"],
                                cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                text=True, encoding="utf-8")
    term = Terminal(proc)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        term.wait_for("号牌 plate")
        for answer, prompt in zip(VEHICLE, ["车型 kind", "方向 direction", "来自 origin", "destination township",
                                            "destination community", "第1人 person 1: role"], strict=True):
            term.type(answer)
            term.wait_for(prompt)
        term.type("")  # the driver
        term.wait_for("show the pass to the camera")
        term.wait_for("pass read by the camera")  # the image folder, through the gate's capture path
        term.wait_for("体温 temperature")
        term.type("36.4")
        assert "ALLOW ok" in term.wait_for("person 1: ")
        allow = wait_for_screen(xvfb, proc, lambda s: share(s, ALLOW_RGB) > 0.3)
        assert allow is not None, f"no ALLOW panel: {errors.read_text(errors='replace')[-1500:]}"
        cv2_write(SHOTS / "checkpoint-window-allow.png", allow)
        term.wait_for("第2人 person 2: role")
        term.type("passenger")
        term.wait_for("show the pass to the camera")
        term.wait_for("already recorded for person 1")  # the driver's pass is still in view
        term.type(HUBEI_ID)
        term.wait_for("姓名 name")
        term.type("李乘客")
        term.wait_for("体温 temperature")
        term.type("38.7")
        assert "DENY fever" in term.wait_for("person 2: ")
        deny = wait_for_screen(xvfb, proc, lambda s: share(s, DENY_RGB) > 0.3)
        assert deny is not None, f"no DENY panel: {errors.read_text(errors='replace')[-1500:]}"
        cv2_write(SHOTS / "checkpoint-window-deny-fever.png", deny)
        term.wait_for("第3人 person 3: role")
        term.type("done")
        term.wait_for("记录已保存 record")
        term.wait_for("号牌 plate")
        term.type("q")
        assert proc.wait(timeout=60) == 0, errors.read_text(errors="replace")[-1500:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert HUBEI_ID not in "\n".join(term.seen)  # the terminal never shows the full number
    [record] = queued(gate.folder)
    assert (record["plate"], record["vehicle_kind"], record["direction"], record["origin"]) == \
        ("鄂A12345", "car", "in", "420100")
    assert [(p["role"], p["decision"], p["reason"], p["temperature"]) for p in record["people"]] == [
        ("driver", "allow", "ok", 36.4), ("passenger", "deny", "fever", 38.7)]
    assert record["people"][0]["serial"] and record["people"][1]["document_number"] == HUBEI_ID
    with EntryLog(gate.state.log_path) as log:  # the pass was decided as at a gate, and logged
        assert [(e["decision"], e["temperature"]) for e in log.entries()] == [("allow", 36.4)]
    with sqlite3.connect(gate.folder / "checkpoint.db") as db:
        assert db.execute("SELECT COUNT(*) FROM records WHERE sent_at IS NULL").fetchone()[0] == 1


def cv2_write(path: Path, image: Any) -> None:
    import cv2

    cv2.imwrite(str(path), image)
