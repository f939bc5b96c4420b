"""Real passes rendered into synthetic camera frames, read by both decoders and by `run` end to end."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from offline_gate import OfflineGate
from frames import background, blur, noise, phone_screen, place, qr_bgr, write_folder, write_video

from scanner.cli import main
from scanner.decoders import ZbarDecoder, ZxingDecoder, make_decoder
from scanner.sources import ImageFolder, LatestFrame, Frame, VideoFile


@pytest.fixture(scope="module")
def zxing() -> ZxingDecoder:
    return ZxingDecoder()


@pytest.fixture(scope="module")
def zbar() -> ZbarDecoder:
    return ZbarDecoder()


def hard_frames(code: np.ndarray) -> dict[str, np.ndarray]:
    return {
        "plain": place(code),
        "perspective": place(code, tilt=0.3, seed=1),
        "blur": blur(place(code, seed=2), 2.0),
        "noise": noise(place(code, seed=3), 30),
        "phone": phone_screen(code, seed=4),
        "phone_1080p": phone_screen(code, (1920, 1080), seed=5),
    }


def test_zxing_reads_every_hard_frame(offline: OfflineGate, zxing: ZxingDecoder) -> None:
    text = offline.issue()
    for name, frame in hard_frames(qr_bgr(text)).items():
        assert zxing.decode(frame) == [text], name


def test_zbar_reads_the_easy_frames(offline: OfflineGate, zbar: ZbarDecoder) -> None:
    text = offline.issue()
    frames = hard_frames(qr_bgr(text))
    for name in ("plain", "blur", "noise", "phone"):
        assert zbar.decode(frames[name]) == [text], name


@pytest.mark.parametrize("name", ["zxing", "zbar"])
def test_no_code_in_view_reads_nothing(name: str) -> None:
    decoder = make_decoder(name)
    assert decoder.decode(background((1280, 720))) == []
    assert decoder.decode(np.zeros((720, 1280), np.uint8)) == []


def test_unknown_decoder_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="zxing or zbar"):
        make_decoder("opencv")


def test_latest_frame_keeps_only_the_newest() -> None:
    slot = LatestFrame()
    for i in range(5):
        slot.put(Frame(np.zeros((2, 2), np.uint8), float(i), i))
    frame = slot.get(timeout=0)
    assert frame is not None and frame.index == 4 and slot.dropped == 4
    assert slot.get(timeout=0) is None
    slot.close()
    assert slot.get(timeout=1) is None


def test_realtime_video_drops_frames_a_slow_decoder_cannot_keep_up_with(tmp_path: Path) -> None:
    frames = [np.full((120, 160, 3), i, np.uint8) for i in range(60)]
    video = write_video(tmp_path / "v.avi", frames, fps=200)
    seen_rt: list[int] = []
    for frame in VideoFile(video).frames(threading.Event()):
        seen_rt.append(frame.index)
        threading.Event().wait(0.02)  # a decoder slower than the 200 fps source
    assert seen_rt == sorted(seen_rt) and len(seen_rt) < 60  # newest first, stale ones skipped
    every = [f.index for f in VideoFile(video, every_frame=True).frames(threading.Event())]
    assert every == list(range(60))


def test_image_folder_in_name_order(tmp_path: Path) -> None:
    write_folder(tmp_path, [np.full((10, 10, 3), i * 10, np.uint8) for i in range(12)])
    (tmp_path / "notes.txt").write_text("not an image")
    got = [int(f.image[0, 0, 0]) // 10 for f in ImageFolder(tmp_path, every_frame=True).frames(threading.Event())]
    assert got == list(range(12))


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines() if line.strip()]


def scenario(offline: OfflineGate) -> tuple[list[np.ndarray], list[tuple[str, str]]]:
    """Frames of several people; each holds the pass up for three frames (debounced to one decision)."""
    from datetime import date, timedelta

    people = [
        (offline.issue(name="甲"), "ok"),
        (offline.issue(name="乙", quarantine_end=date.today() + timedelta(days=5)), "quarantine"),
        (offline.issue(name="丙", community="C7"), "wrong_site"),
    ]
    frames = []
    for i, (text, _) in enumerate(people):
        code = qr_bgr(text)
        frames += [place(code, tilt=0.15, seed=i), phone_screen(code, seed=i), blur(place(code, seed=i), 1.5)]
        frames.append(background((1280, 720), seed=10 + i))  # nobody in view
    return frames, people


def test_run_images_headless(offline: OfflineGate, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frames, people = scenario(offline)
    folder = write_folder(tmp_path / "frames", frames)
    code, lines = run_cli(["run", "--data", str(offline.folder), "--images", str(folder), "--every-frame",
                           "--headless", "--no-sync"], capsys)
    assert code == 0
    assert [(l["reason"], l["name"]) for l in lines] == [("ok", "甲"), ("quarantine", "乙"), ("wrong_site", "丙")]
    assert lines[0]["decision"] == "allow" and lines[0]["document"] == "1234"


@pytest.mark.parametrize("decoder", ["zxing", "zbar"])
def test_run_video_headless_with_fever(offline: OfflineGate, tmp_path: Path, decoder: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    text = offline.issue()
    code = qr_bgr(text)
    frames = [background((1280, 720))] + [place(code, seed=s) for s in range(4)] + [background((1280, 720))]
    video = write_video(tmp_path / "gate.avi", frames)
    rc, lines = run_cli(["run", "--data", str(offline.folder), "--video", str(video), "--every-frame",
                         "--headless", "--no-sync", "--decoder", decoder, "--temperature", "38.2"], capsys)
    assert rc == 0
    assert [(l["decision"], l["reason"], l["temperature"]) for l in lines] == [("deny", "fever", 38.2)]


def test_run_stdin_with_temperatures(offline: OfflineGate, capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, c = offline.issue(name="甲"), offline.issue(name="乙"), offline.issue(name="丙")
    stdin = f"{a}\t36.5\n\n{b} 38.0\n{c}\nnot a pass\n{a}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc, lines = run_cli(["run", "--data", str(offline.folder), "--stdin", "--headless", "--no-sync"], capsys)
    assert rc == 0
    assert [(l["reason"], l["temperature"]) for l in lines] == [
        ("ok", 36.5), ("fever", 38.0), ("ok", None), ("unreadable", None), ("duplicate", None)]
