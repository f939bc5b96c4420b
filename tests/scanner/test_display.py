"""What the guard sees: the panel's colours and words, and the real OpenCV window under Xvfb."""

from __future__ import annotations

import threading
import time
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


@pytest.mark.slow
def test_window_screenshots_under_xvfb(xvfb: str, outcomes: dict[str, Outcome],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import ImageGrab

    from scanner.display import Window

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    SHOTS.mkdir(parents=True, exist_ok=True)
    window = Window(threading.Event(), sound=False, size=(1280, 720), hold=60)  # the panel stays up
    frame = np.full((720, 1280, 3), 128, np.uint8)
    try:
        for kind, colour in (("allow", ALLOW_RGB), ("deny", DENY_RGB)):
            window.show(outcomes[kind], 0.0)
            shot, deadline = None, time.monotonic() + 30
            while time.monotonic() < deadline:  # the window maps asynchronously: poll until the panel shows
                window.preview(frame)  # a frame turn: the panel stays, keys and the paint check run
                window.cv2.waitKey(50)
                shot = np.asarray(ImageGrab.grab(xdisplay=xvfb).convert("RGB"))[:, :, ::-1]
                if share(shot, colour) > 0.3:
                    break
            assert shot is not None
            import cv2

            cv2.imwrite(str(SHOTS / f"scanner-{kind}.png"), shot)
            from xdiag import describe
            assert share(shot, colour) > 0.3, f"{kind} panel not on screen: {describe(xvfb)}"
    finally:
        window.close()


def test_disabled_device_banner_on_every_panel(outcomes: dict[str, Outcome]) -> None:
    from dataclasses import replace

    from scanner.display import DISABLED_RGB

    for kind, outcome in outcomes.items():
        plain, marked = render_panel(outcome), render_panel(replace(outcome, device_disabled=True))
        assert share(plain[:40], DISABLED_RGB) < 0.01, kind
        assert share(marked[:40], DISABLED_RGB) > 0.5, kind
        assert share(marked[:40], (255, 255, 255)) > 0.01, kind  # the words are drawn on it
    import cv2

    SHOTS.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(SHOTS / "scanner-panel-disabled.png"), render_panel(replace(outcomes["allow"],
                                                                              device_disabled=True)))


@pytest.mark.parametrize(("keys", "expected", "left"), [
    ("38.5\r", 38.5, ""),
    ("36.6\n", 36.6, ""),
    ("377\b.2\r", 37.2, ""),           # backspace corrects a typo
    ("37.25999\r", 37.25, ""),         # at most five characters are taken
    ("3..6\r", None, ""),              # not a number: dropped, the guard types it again
    ("\r", None, ""),                  # Enter alone gives nothing
    ("36a.b7", None, "36.7"),          # letters are ignored; no Enter yet
])
def test_typed_temperature(keys: str, expected: float | None, left: str) -> None:
    from scanner.display import TemperatureEntry

    entry = TemperatureEntry(threading.Event())
    results = [entry.press(ord(k)) for k in keys]
    got = [r for r in results if r is not None]
    assert got == ([expected] if expected is not None else [])
    assert entry.typed == left


def test_escape_and_q_stop_and_unknown_codes_are_ignored() -> None:
    from scanner.display import TemperatureEntry

    for key in (27, ord("q")):
        stop = threading.Event()
        entry = TemperatureEntry(stop)
        assert entry.press(key) is None and stop.is_set()
    stop = threading.Event()
    entry = TemperatureEntry(stop)
    for key in (-1, 255, 0x1000030, 0x10000FF, 2**31 - 1):  # no key, Qt special keys: not a digit
        assert entry.press(key) is None
    assert entry.typed == "" and not stop.is_set()


@pytest.mark.slow
def test_window_preview_shows_the_disabled_banner(xvfb: str, offline: OfflineGate,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime

    from PIL import ImageGrab

    from scanner.display import DISABLED_RGB, Window

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    offline.state.mark_disabled(datetime.now().astimezone(), "gateway refused (403 device_disabled)")
    window = Window(threading.Event(), sound=False, snapshot=offline.state.load)
    frame = np.full((720, 1280, 3), 128, np.uint8)  # a grey camera frame, before any decision
    try:
        shot, deadline = None, time.monotonic() + 30
        while time.monotonic() < deadline:  # the window maps asynchronously
            window.preview(frame)
            window.cv2.waitKey(50)
            shot = np.asarray(ImageGrab.grab(xdisplay=xvfb).convert("RGB"))[:, :, ::-1]
            if share(shot[:40], DISABLED_RGB) > 0.5:
                break
        from xdiag import describe
        assert shot is not None and share(shot[:40], DISABLED_RGB) > 0.5, describe(xvfb)
        assert share(shot[100:600], DISABLED_RGB) < 0.01  # a banner, not a panel: the preview stays visible
    finally:
        window.close()


@pytest.mark.slow
def test_paint_check_tells_a_black_area_from_a_painted_window(xvfb: str, outcomes: dict[str, Outcome],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The check that reopens a window Qt never painted: black is unpainted, the panel is painted."""
    from scanner.display import PaintCheck, Window

    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    check = PaintCheck.for_environment()
    assert check is not None and check.display == xvfb
    check.opened()
    assert not check.due()  # a new window gets time to paint first
    assert check.unpainted((0, 0, 64, 64))  # an empty display is black (Xvfb's root)
    window = Window(threading.Event(), sound=False, hold=60)
    try:
        window.show(outcomes["allow"], 0.0)
        deadline = time.monotonic() + 30
        while not window.paint_check.done and time.monotonic() < deadline:  # type: ignore[union-attr]
            window.preview(np.zeros((720, 1280, 3), np.uint8))
            time.sleep(0.05)
        assert window.paint_check is not None and window.paint_check.done
        assert window.paint_check.reopened <= PaintCheck.MAX_REOPEN
        assert not window.paint_check.unpainted(window.cv2.getWindowImageRect(window.title))
    finally:
        window.close()
