"""The gate reports its own latency: capture-to-decision time in the chained log and the headless line,
and `qrgate-scanner stats` for a day, with real frames through the real pipeline."""

from __future__ import annotations

import io
import json
import statistics
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from frames import background, blur, phone_screen, place, qr_bgr, write_folder
from offline_gate import OfflineGate

from scanner.cli import main
from scanner.gate import Gate, latency_ms
from scanner.log import EntryLog
from scanner.stats import day_latency, percentile


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(argv)
    return code, [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


def test_frames_carry_their_latency_into_the_log_the_headless_line_and_stats(
        offline: OfflineGate, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames = []
    for i, name in enumerate(("甲", "乙", "丙")):
        code = qr_bgr(offline.issue(name=name))
        frames += [place(code, tilt=0.15, seed=i), phone_screen(code, seed=i), blur(place(code, seed=i), 1.5),
                   background((1280, 720), seed=10 + i)]
    folder = write_folder(tmp_path / "frames", frames)
    rc, lines = _run(["run", "--data", str(offline.folder), "--images", str(folder), "--every-frame",
                      "--headless", "--no-sync"], capsys)
    assert rc == 0 and [line["name"] for line in lines] == ["甲", "乙", "丙"]
    for line in lines:
        # a decoded 720p frame: decoding alone takes milliseconds, and the commit comes on top
        assert isinstance(line["latency_ms"], float) and 0 < line["latency_ms"] <= line["shown_ms"]
    with EntryLog(offline.state.log_path) as log:
        entries = log.entries()
        assert log.verify_chain() is None  # the latency is inside the hashed entry
    assert [e["latency_ms"] for e in entries] == [line["latency_ms"] for line in lines]

    rc, out = _run(["stats", "--data", str(offline.folder), "--json"], capsys)
    logged = [e["latency_ms"] for e in entries]
    assert rc == 0 and out == [{"day": date.today().isoformat(), "decisions": 3, "without_latency": 0,
                                "median_ms": round(statistics.median(logged), 1),
                                "p95_ms": max(logged), "max_ms": max(logged)}]
    assert main(["stats", "--data", str(offline.folder)]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"{date.today()}: 3 decisions; capture to decision median ") and "p95" in text


def test_a_scanner_line_is_timed_from_when_it_was_read(offline: OfflineGate, capsys: pytest.CaptureFixture[str],
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{offline.issue()}\t36.6\nnot a pass\n"))
    rc, lines = _run(["run", "--data", str(offline.folder), "--stdin", "--headless", "--no-sync"], capsys)
    assert rc == 0 and [line["reason"] for line in lines] == ["ok", "unreadable"]
    assert all(isinstance(line["latency_ms"], float) and line["latency_ms"] <= line["shown_ms"] for line in lines)


def test_stats_take_one_day_of_the_gate_clock(offline: OfflineGate) -> None:
    day = date(2020, 2, 14)
    wall = [datetime(2020, 2, 14, 0, 0, 1).astimezone()]
    mono = [1000.0]
    log = EntryLog(offline.state.log_path)
    snap = offline.state.load()
    gate = Gate(offline.state.device(), log, lambda: snap, clock=lambda: wall[0], monotonic=lambda: mono[0])
    text = offline.issue()
    for ms in [*range(1, 21), 500]:  # 21 decisions on the day: one slow outlier
        gate.decide(text, captured=mono[0] - ms / 1000)
        wall[0] += timedelta(minutes=1)
    gate.decide(text)  # no capture time (a caller outside the pipeline): counted apart
    wall[0] = datetime(2020, 2, 15, 0, 0, 1).astimezone()
    gate.decide(text, captured=mono[0] - 0.9)  # the next day
    stats = day_latency(log, day)
    assert (stats.decisions, stats.without_latency, stats.median_ms, stats.p95_ms, stats.max_ms) == \
        (21, 1, 11.0, 20.0, 500.0)
    assert day_latency(log, day + timedelta(days=1)).median_ms == 900.0
    empty = day_latency(log, day - timedelta(days=1))
    assert empty.decisions == 0 and "no decisions" in empty.line()
    log.close()


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0], 95) == 5.0
    assert percentile([float(v) for v in range(1, 101)], 95) == 95.0
    assert percentile([float(v) for v in range(100, 0, -1)], 50) == 50.0
    with pytest.raises(ValueError):
        percentile([], 95)


def test_latency_is_never_negative_and_rounded() -> None:
    assert latency_ms(None, 5.0) is None
    assert latency_ms(5.0, 4.0) == 0.0  # a capture stamped after the decision: clock noise, not a negative
    assert latency_ms(1.0, 1.01234) == 12.3


def test_stats_of_a_folder_that_is_not_enrolled(tmp_path: Path) -> None:
    assert main(["stats", "--data", str(tmp_path / "none")]) == 78
    with pytest.raises(SystemExit) as exc:
        main(["stats", "--data", str(tmp_path), "--day", "14 Feb"])
    assert exc.value.code == 2
