"""The real `qrgate-scanner run --images DIR` window under Xvfb: screenshots of its panels, typed temperature."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from frames import background, place, qr_bgr
from offline_gate import OfflineGate
from test_display import SHOTS, share
from xkeys import XKeys
from xdiag import describe, titles

from scanner.display import ALLOW_RGB, DENY_RGB
from scanner.log import EntryLog

ROOT = Path(__file__).resolve().parents[2]


def gate_folder(folder: Path, script: list[tuple[np.ndarray, int]]) -> Path:
    """Image files in name order: each scene repeated n times (hard links: one file written per scene)."""
    folder.mkdir()
    index = 0
    for k, (image, n) in enumerate(script):
        first = folder / f"{index:04d}.png"
        cv2.imwrite(str(first), image)
        for i in range(1, n):
            os.link(first, folder / f"{index + i:04d}.png")
        index += n
    return folder


def screen(display: str) -> np.ndarray:
    from PIL import ImageGrab

    for attempt in range(20):
        try:
            return np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB"))[:, :, ::-1]
        except OSError:  # "X connection failed: error 1" now and then under load: connect again
            if attempt == 19:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def type_with_feedback(keys: XKeys, display: str, proc: subprocess.Popen[bytes],
                       typing: list[tuple[str, str]], timeout: float = 30.0) -> None:
    """Each key once the window's title shows the one before it took effect.

    OpenCV's Qt backend keeps one pending key: two keys that reach the event loop in one turn (a loaded
    machine can stretch a turn past any fixed gap between key presses) leave only the second.
    """
    for keysym, typed in typing:
        keys.press(keysym, gap=0)
        title = "qrgate - temperature: " + typed if typed else "qrgate"
        deadline = time.monotonic() + timeout
        while title not in titles(display):
            assert proc.poll() is None and time.monotonic() < deadline, \
                f"after {keysym!r} the title is not {title!r}: {titles(display)}"
            time.sleep(0.05)


def wait_for_screen(display: str, proc: subprocess.Popen[bytes], seen: Callable[[np.ndarray], bool],
                    timeout: float = 60.0) -> np.ndarray | None:
    deadline = start = time.monotonic()
    deadline += timeout
    shot, grabs, black, windows = None, 0, 0, describe(display)
    while time.monotonic() < deadline and proc.poll() is None:
        shot = screen(display)  # taken while the scanner runs: its window, or what covers it
        grabs += 1
        if grabs == 8:
            windows += f"; after 8 grabs: {describe(display)}"
        black += int(shot.max() == 0)
        if seen(shot):
            return shot
        time.sleep(0.05)
    if shot is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(SHOTS / "scanner-run-last-seen.png"), shot)  # for whoever reads the failure
    # what the next failure must tell: a window that never painted, or a panel the grabs missed
    print(f"DISPLAY: {grabs} grabs in {time.monotonic() - start:.1f} s, {black} all black; at the start: {windows}; "
          f"now: {describe(display)}")
    return None


@pytest.mark.slow
def test_live_window_decides_shows_panels_and_takes_a_typed_temperature(
        xvfb: str, offline: OfflineGate, tmp_path: Path) -> None:
    first, feverish, third = (offline.issue(name=n, document=d) for n, d in
                              (("甲一", "0001"), ("乙二", "0002"), ("丙三", "0003")))
    scene = background((1280, 720), 1)
    # at 10 frames/s: 5 s of gate while the window maps (and is opened again if it stayed black), a pass
    # held for 1 s (a camera source drops frames while the loop is busy, so a code must stay in view a
    # little), 15 s of gate (the guard types 38.5 Enter, a key per loop turn, slow on a loaded machine),
    # the next pass, 3 s of gate, a third pass (no temperature typed for it), 1 s of gate
    folder = gate_folder(tmp_path / "frames", [
        (scene, 50), (place(qr_bgr(first), seed=1), 10), (scene, 150), (place(qr_bgr(feverish), seed=2), 10),
        (scene, 30), (place(qr_bgr(third), seed=3), 10), (scene, 10)])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DISPLAY": xvfb, "QT_QPA_PLATFORM": "xcb"}
    errors = tmp_path / "stderr.txt"  # a file, not a pipe: nobody reads it while the window runs
    with errors.open("wb") as err:  # the child holds its own copy of the descriptor
        proc = subprocess.Popen([sys.executable, "-m", "scanner.cli", "run", "--data", str(offline.folder),
                                 "--images", str(folder), "--no-sync"],
                                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=err)
    keys = XKeys(xvfb)
    SHOTS.mkdir(parents=True, exist_ok=True)

    def logged() -> str:
        with EntryLog(offline.state.log_path) as log:
            entries = [(e["reason"], e["temperature"]) for e in log.entries()]
        return f"exit {proc.poll()}, logged {entries}, stderr {errors.read_text(errors='replace')[-1500:]!r}"

    try:
        allow = wait_for_screen(xvfb, proc, lambda s: share(s, ALLOW_RGB) > 0.3)
        assert allow is not None, f"no ALLOW panel on screen: {logged()}"
        cv2.imwrite(str(SHOTS / "scanner-run-allow.png"), allow)
        # real key events, typed from the ALLOW panel on, as a guard with a thermometer would; each key
        # after the window showed the last one (the panel and the preview bar show it to the guard)
        type_with_feedback(keys, xvfb, proc, [("3", "3"), ("8", "38"), ("period", "38."), ("5", "38.5"),
                                              ("Return", "")])
        deny = wait_for_screen(xvfb, proc, lambda s: share(s, DENY_RGB) > 0.3)
        assert deny is not None, f"no DENY panel on screen: {logged()}"
        cv2.imwrite(str(SHOTS / "scanner-run-deny-fever.png"), deny)
        assert share(deny, ALLOW_RGB) < 0.01
        assert proc.wait(timeout=60) == 0, logged()
    finally:
        keys.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with EntryLog(offline.state.log_path) as log:
        entries = log.entries()
        assert log.verify_chain() is None
    assert [(e["decision"], e["reason"], e["temperature"]) for e in entries] == [
        ("allow", "ok", None), ("deny", "fever", 38.5), ("allow", "ok", None)]
