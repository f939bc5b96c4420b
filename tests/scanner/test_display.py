"""What the guard sees: the panel's colours and words, and the real OpenCV window under Xvfb."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from offline_gate import OfflineGate

from scanner.display import ALLOW_RGB, DENY_RGB, UNSURE_RGB, cjk_font_path, render_panel
from scanner.gate import Gate, Outcome
from scanner.log import EntryLog

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def bgr(rgb: tuple[int, int, int]) -> np.ndarray:
    return np.array(rgb[::-1], np.uint8)


def share(image: np.ndarray, rgb: tuple[int, int, int]) -> float:
    """Fraction of pixels within a small distance of a colour."""
    return float((np.abs(image.astype(int) - bgr(rgb).astype(int)).sum(axis=2) < 30).mean())


@pytest.fixture
def outcomes(offline: OfflineGate) -> dict[str, Outcome]:
    with EntryLog(offline.state.log_path) as log:
        snap = offline.state.load()
        gate = Gate(offline.state.device(), log, lambda: snap)
        allow = gate.decide(offline.issue(name="张三", document="X123"), 36.4)
        deny = gate.decide(offline.issue(name="李四", quarantine_end=date.today() + timedelta(days=2)))
    offline.bundle(max_data_age=60, issued_at=offline.state.load().synced_at - timedelta(hours=1))  # type: ignore[operator]
    with EntryLog(offline.state.log_path) as log:
        snap = offline.state.load()
        unsure = Gate(offline.state.device(), log, lambda: snap).decide(offline.issue(name="王五"))
    assert (allow.decision.allowed, deny.decision.allowed, unsure.decision.cannot_verify) == (True, False, True)
    return {"allow": allow, "deny": deny, "unsure": unsure}


def test_panels_differ_in_colour_and_shape(outcomes: dict[str, Outcome]) -> None:
    allow, deny, unsure = (render_panel(outcomes[k]) for k in ("allow", "deny", "unsure"))
    SHOTS.mkdir(parents=True, exist_ok=True)
    import cv2

    cv2.imwrite(str(SHOTS / "scanner-panel-cannot-verify.png"), unsure)
    assert share(allow, ALLOW_RGB) > 0.6 and share(allow, DENY_RGB) < 0.01
    assert share(deny, DENY_RGB) > 0.6 and share(deny, ALLOW_RGB) < 0.01
    assert share(unsure, UNSURE_RGB) > 0.4 and share(unsure, ALLOW_RGB) < 0.01 and share(unsure, DENY_RGB) < 0.01
    # the amber state carries black stripes along its top edge: a shape, not only a colour
    assert share(unsure[:40], (0, 0, 0)) > 0.15 and share(deny[:40], (0, 0, 0)) < 0.01


def test_panel_draws_chinese_text(outcomes: dict[str, Outcome]) -> None:
    if cjk_font_path() is None:
        pytest.skip("no CJK font installed (fonts-noto-cjk)")
    panel = render_panel(outcomes["deny"])
    # text rows are white ink on red: the headline band must hold plenty of it
    h = panel.shape[0]
    assert share(panel[int(h * 0.14):int(h * 0.3)], (255, 255, 255)) > 0.03


@pytest.fixture
def xvfb() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed: the window test needs a virtual display")
    display = f":{90 + os.getpid() % 9}"
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lock = Path(f"/tmp/.X11-unix/X{display[1:]}")
    for _ in range(100):
        if lock.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip(f"Xvfb could not start on {display}")
    old = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    if old is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = old
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.slow
def test_window_screenshots_under_xvfb(xvfb: str, outcomes: dict[str, Outcome],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import ImageGrab

    from scanner.display import Window

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    SHOTS.mkdir(parents=True, exist_ok=True)
    window = Window(threading.Event(), sound=False, size=(1280, 720))
    try:
        for kind, colour in (("allow", ALLOW_RGB), ("deny", DENY_RGB)):
            window.show(outcomes[kind], 0.0)
            shot = None
            for _ in range(40):  # the window maps asynchronously: poll until the panel is on screen
                window.cv2.waitKey(50)
                shot = np.asarray(ImageGrab.grab(xdisplay=xvfb).convert("RGB"))[:, :, ::-1]
                if share(shot, colour) > 0.3:
                    break
            assert shot is not None
            import cv2

            cv2.imwrite(str(SHOTS / f"scanner-{kind}.png"), shot)
            assert share(shot, colour) > 0.3, f"{kind} panel not on screen"
    finally:
        window.close()
