"""What the guard sees: a full-window ALLOW / DENY / CANNOT VERIFY panel, or one JSON line per decision."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageGrab

from keys.reasons import Reason, label

from .gate import Outcome
from .sound import Sounder
from .state import Snapshot

ALLOW_RGB = (0, 150, 60)
DENY_RGB = (200, 20, 20)
UNSURE_RGB = (235, 160, 0)   # amber, striped: must not be mistaken for either answer
DISABLED_RGB = (110, 40, 170)  # violet banner: unlike any answer colour
DISABLED_TEXT = "设备已停用，请联系管理员 / Device disabled: contact the admin"
WHITE, BLACK = (255, 255, 255), (0, 0, 0)
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
FONT_NAMES = ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc", "NotoSansCJKsc-Regular.otf",
              "wqy-microhei.ttc", "wqy-zenhei.ttc")
SC_INDEX = 2  # in the Noto CJK collections: JP, KR, SC, TC, HK


@lru_cache(maxsize=1)
def cjk_font_path() -> tuple[Path, int] | None:
    for name in FONT_NAMES:
        for folder in FONT_DIRS:
            if folder.is_dir():
                for path in folder.rglob(name):
                    return path, SC_INDEX if path.suffix == ".ttc" and "Noto" in name else 0
    return None


@lru_cache(maxsize=16)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    found = cjk_font_path()
    if found is not None:
        try:
            return ImageFont.truetype(str(found[0]), size, index=found[1])
        except OSError:
            pass
    return ImageFont.load_default(size)  # no CJK glyphs: the English line still reads


def panel_kind(outcome: Outcome) -> str:
    if outcome.decision.cannot_verify:
        return "unsure"
    return "allow" if outcome.decision.allowed else "deny"


HEADLINES = {"allow": ("允许通行", "ALLOW"), "deny": ("禁止通行", "DENY"),
             "unsure": ("无法核验", "CANNOT VERIFY")}
COLOURS = {"allow": ALLOW_RGB, "deny": DENY_RGB, "unsure": UNSURE_RGB}


@lru_cache(maxsize=4)
def disabled_banner(width: int, height: int) -> np.ndarray:
    """The "device disabled" banner (BGR) laid over the top of the panel and of the preview."""
    h = max(height // 14, 24)
    img = Image.new("RGB", (width, h), DISABLED_RGB)
    ImageDraw.Draw(img).text((h // 3, h // 6), DISABLED_TEXT, font=font(int(h * 0.6)), fill=WHITE)
    return np.asarray(img)[:, :, ::-1].copy()


def with_banner(image: np.ndarray, disabled: bool) -> np.ndarray:
    """The image with the disabled banner over its top rows when the gateway refuses this gate."""
    if disabled:
        banner = disabled_banner(image.shape[1], image.shape[0])
        image[:banner.shape[0]] = banner
    return image


def render_panel(outcome: Outcome, size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """The decision panel as a BGR image for OpenCV."""
    w, h = size
    kind = panel_kind(outcome)
    ink = BLACK if kind == "unsure" else WHITE
    img = Image.new("RGB", size, COLOURS[kind])
    draw = ImageDraw.Draw(img)
    unit = max(h // 18, 12)
    if kind == "unsure":  # diagonal stripes along the edges: a different shape, not just a colour
        for x in range(-h, w, unit * 2):
            draw.line([(x, 0), (x + unit * 2, unit * 2)], fill=BLACK, width=unit // 2)
            draw.line([(x, h - unit * 2), (x + unit * 2, h)], fill=BLACK, width=unit // 2)
    _symbol(draw, kind, (int(w * 0.1), int(h * 0.32)), int(unit * 2.6), ink)
    zh_head, en_head = HEADLINES[kind]
    x = int(w * 0.2)
    draw.text((x, int(h * 0.14)), zh_head, font=font(unit * 3), fill=ink)
    draw.text((x, int(h * 0.33)), en_head, font=font(unit * 2), fill=ink)
    zh, en = outcome.decision.labels()
    draw.text((x, int(h * 0.48)), zh, font=font(int(unit * 1.4)), fill=ink)
    draw.text((x, int(h * 0.57)), en, font=font(int(unit * 1.1)), fill=ink)
    notice = outcome.decision.notice()
    if notice is not None:  # a static pass where the site prefers the phone code: look at the ID card
        top = int(h * 0.02)
        draw.rectangle([x - unit // 2, top, w - unit, top + int(unit * 1.9)], fill=(255, 220, 0))
        draw.text((x, top + unit // 4), f"{notice[0]}  {notice[1]}", font=font(int(unit * 1.3)), fill=BLACK)
    holder = outcome.decision.holder
    lines = []
    if holder is not None:
        lines.append(f"{holder.name}    证件尾号 ID …{holder.document}")
    if outcome.temperature is not None:
        lines.append(f"体温 Temperature {outcome.temperature:.1f} °C")
    if kind == "unsure" and outcome.data_problem:
        lines.append(outcome.data_problem[:70])  # why: never synced, or stored data failed its check
    for i, line in enumerate(lines):
        draw.text((x, int(h * (0.68 + 0.08 * i))), line, font=font(int(unit * 1.2)), fill=ink)
    draw.rectangle([0, h - unit * 2 - 4, w, h], fill=BLACK)
    draw.text((unit, h - unit * 2), status_line(outcome.synced_at, outcome.clock_warning),
              font=font(unit), fill=WHITE if not outcome.clock_warning else (255, 200, 0))
    return with_banner(np.asarray(img)[:, :, ::-1].copy(), outcome.device_disabled)


ROLE_WORDS = {"driver": "司机 driver", "passenger": "乘客 passenger", "pedestrian": "行人 pedestrian"}


def render_person_panel(person: dict[str, Any], size: tuple[int, int] = (1280, 720)) -> np.ndarray:
    """A checkpoint person's decision (as `checkpoint.shown` gives it) as a panel like the gate's."""
    w, h = size
    reason = Reason(person["reason"])
    kind = "unsure" if reason is Reason.STALE_DATA else "allow" if person["decision"] == "allow" else "deny"
    ink = BLACK if kind == "unsure" else WHITE
    img = Image.new("RGB", size, COLOURS[kind])
    draw = ImageDraw.Draw(img)
    unit = max(h // 18, 12)
    _symbol(draw, kind, (int(w * 0.1), int(h * 0.32)), int(unit * 2.6), ink)
    x = int(w * 0.2)
    zh_head, en_head = HEADLINES[kind]
    draw.text((x, int(h * 0.14)), zh_head, font=font(unit * 3), fill=ink)
    draw.text((x, int(h * 0.33)), en_head, font=font(unit * 2), fill=ink)
    zh, en = label(reason)
    draw.text((x, int(h * 0.48)), zh, font=font(int(unit * 1.4)), fill=ink)
    draw.text((x, int(h * 0.57)), en, font=font(int(unit * 1.1)), fill=ink)
    role = ROLE_WORDS.get(person["role"], person["role"])
    lines = [f"{role}    " + (person.get("name") or "") + ("    证件 ID ✓" if person.get("document_type") else "")]
    lines.append(f"体温 Temperature {person['temperature']:.1f} °C")
    for i, line in enumerate(lines):
        draw.text((x, int(h * (0.68 + 0.08 * i))), line, font=font(int(unit * 1.2)), fill=ink)
    return np.asarray(img)[:, :, ::-1].copy()


def _symbol(draw: ImageDraw.ImageDraw, kind: str, centre: tuple[int, int], r: int,
            ink: tuple[int, int, int]) -> None:
    cx, cy = centre
    width = max(r // 5, 3)
    if kind == "allow":  # a tick in a circle
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=ink, width=width)
        draw.line([(cx - r // 2, cy), (cx - r // 8, cy + r // 2), (cx + r // 2, cy - r // 2)], fill=ink,
                  width=width)
    elif kind == "deny":  # a cross in a square
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], outline=ink, width=width)
        draw.line([(cx - r // 2, cy - r // 2), (cx + r // 2, cy + r // 2)], fill=ink, width=width)
        draw.line([(cx - r // 2, cy + r // 2), (cx + r // 2, cy - r // 2)], fill=ink, width=width)
    else:  # a question mark in a triangle
        draw.polygon([(cx, cy - r), (cx + r, cy + r), (cx - r, cy + r)], outline=ink, width=width)
        draw.text((cx - r // 4, cy - r // 3), "?", font=font(r), fill=ink)


def status_line(synced_at: datetime | None, clock_warning: str | None, english: bool = False) -> str:
    zh_sync, zh_never, zh_clock = ("", "", "") if english else ("上次同步 ", "从未同步 ", "时钟异常 ")
    synced = (zh_sync + "last sync " + synced_at.astimezone().strftime("%m-%d %H:%M")
              if synced_at else zh_never + "never synced")
    return synced + (f"    {zh_clock}CLOCK: {clock_warning}" if clock_warning else "")


class Headless:
    """One JSON line per decision on stdout, flushed at once (the entry is already committed)."""

    def __init__(self, stream: IO[str] | None = None, sound: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.sounder = Sounder() if sound else None
        self._lock = threading.Lock()
        self.latencies: list[float] = []

    def show(self, outcome: Outcome, latency: float) -> None:
        self.latencies.append(latency)
        # latency_ms (logged) ends at the decision; shown_ms also counts the log commit before this line
        line = {**outcome.to_json(), "shown_ms": round(latency * 1000, 1)}
        with self._lock:
            self.stream.write(json.dumps(line, ensure_ascii=False) + "\n")
            self.stream.flush()
        if self.sounder is not None:
            self.sounder.play(outcome.decision.allowed)

    def preview(self, image: np.ndarray) -> float | None:
        return None

    def close(self) -> None:
        if self.sounder is not None:
            self.sounder.close()


class TemperatureEntry:
    """The window's keyboard: digits and a dot build a temperature, Enter hands it over, Esc or q stops."""

    MAX_CHARS = 5  # "37.25"

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.typed = ""

    def press(self, key: int) -> float | None:
        """Handle one key code (as cv2.waitKey gives it); a temperature when Enter completes one."""
        if key in (27, ord("q")):
            self.stop.set()
        elif 0 <= key < 128 and chr(key) in "0123456789." and len(self.typed) < self.MAX_CHARS:
            self.typed += chr(key)
        elif key in (8, 127):
            self.typed = self.typed[:-1]
        elif key in (10, 13) and self.typed:
            text, self.typed = self.typed, ""
            try:
                return float(text)
            except ValueError:
                return None  # "3..6": dropped, the guard types it again
        return None


class PaintCheck:
    """Whether a new OpenCV window ever reached the X display, looked at once a check is due.

    Under load Qt 5's xcb plugin can miss the MapNotify of the window it just mapped (with
    QT_LOGGING_RULES=qt.qpa.*=true such a run logs no XCB_MAP_NOTIFY and never creates a backing store).
    Its QXcbWindow::isExposed() is that map flag, so Qt then never paints: the server shows the window
    mapped and black for the whole run, while the gate keeps deciding behind it. So the window reads its
    own area back from the display (Pillow's X11 grab) until it sees anything but black (the preview's
    bar and every panel carry non-black pixels), and the caller opens a new window when it stays black.
    """

    FIRST_LOOK = 1.5  # seconds after opening: Qt paints within a few turns, seconds under heavy load
    EVERY = 0.5
    MAX_REOPEN = 5
    MAX_ERRORS = 5  # a display that cannot be read back: stop looking, never stop the gate

    def __init__(self, display: str) -> None:
        self.display = display
        self.done = False
        self.reopened = -1  # opened() counts the first opening too
        self.errors = 0
        self.next_look = 0.0

    @classmethod
    def for_environment(cls) -> PaintCheck | None:
        """A check for Qt on X11 (the only place it was seen); none on Wayland, Windows, macOS."""
        display = os.environ.get("DISPLAY")
        platform = os.environ.get("QT_QPA_PLATFORM", "xcb")
        if not display or not platform.startswith("xcb") or sys.platform in ("win32", "darwin"):
            return None
        return cls(display)

    def opened(self) -> None:
        self.reopened += 1
        self.next_look = time.monotonic() + self.FIRST_LOOK

    def due(self) -> bool:
        return not self.done and time.monotonic() >= self.next_look

    def unpainted(self, rect: Sequence[int]) -> bool:
        """True when the window's area is all black and a new window may still be opened."""
        self.next_look = time.monotonic() + self.EVERY
        x, y, w, h = rect
        try:
            if w <= 0 or h <= 0:
                raise ValueError(f"window rectangle {rect}")
            shot = np.asarray(ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=self.display))
        except (OSError, ValueError):  # "X connection failed" happens under load: look again later
            self.errors += 1
            self.done = self.errors >= self.MAX_ERRORS
            return False
        if shot.size and int(shot.max()) > 2:
            self.done = True
            return False
        self.done = self.reopened >= self.MAX_REOPEN
        return not self.done


class Window:
    """The OpenCV window: live preview, and the decision panel for `hold` seconds after each decision.

    The guard may type a temperature (digits and a dot) then Enter; it goes with the next decision.
    Esc or q closes the window and stops the scanner. With `snapshot`, the preview's bottom bar shows the
    last sync, and a banner shows a disabled device, before any decision too.
    """

    def __init__(self, stop: threading.Event, title: str = "qrgate", hold: float = 2.5, sound: bool = True,
                 size: tuple[int, int] = (1280, 720), snapshot: Callable[[], Snapshot] | None = None) -> None:
        import cv2

        self.cv2, self.stop, self.title, self.hold, self.size = cv2, stop, title, hold, size
        self.snapshot = snapshot
        self.sounder = Sounder() if sound else None
        self.keyboard = TemperatureEntry(stop)
        self.panel: np.ndarray | None = None
        self.panel_until = 0.0
        self.status = status_line(None, None, english=True)
        self.disabled = False
        self.shown: np.ndarray | None = None  # what the window last showed, to show again in a new one
        self.caption: str | None = None  # an ASCII line over the preview's top (the checkpoint form's step)
        self.paint_check = PaintCheck.for_environment()
        self._open()

    def _open(self) -> None:
        self.cv2.namedWindow(self.title, self.cv2.WINDOW_NORMAL | self.cv2.WINDOW_GUI_NORMAL)  # no toolbar
        self.cv2.resizeWindow(self.title, *self.size)
        if self.paint_check is not None:
            self.paint_check.opened()

    @property
    def typed(self) -> str:
        return self.keyboard.typed

    def show(self, outcome: Outcome, latency: float) -> None:
        self.panel = render_panel(outcome, self.size)
        self.panel_until = time.monotonic() + self.hold
        self.status = status_line(outcome.synced_at, outcome.clock_warning, english=True)
        self.disabled = outcome.device_disabled
        self._show(self._with_typed(self.panel))
        if self.sounder is not None:
            self.sounder.play(outcome.decision.allowed)

    def show_panel(self, panel: np.ndarray, allowed: bool) -> None:
        """Any decision panel (a checkpoint person's) for `hold` seconds, with the decision's sound."""
        self.panel = panel
        self.panel_until = time.monotonic() + self.hold
        self._show(self._with_typed(self.panel))
        if self.sounder is not None:
            self.sounder.play(allowed)

    def preview(self, image: np.ndarray) -> float | None:
        if self.panel is not None and time.monotonic() < self.panel_until:
            return self._turn()
        if self.snapshot is not None:
            snap = self.snapshot()
            self.disabled = snap.disabled_at is not None
            self.status = status_line(snap.synced_at, None, english=True) if snap.synced_at else self.status
        frame = self.cv2.resize(image, self.size) if image.shape[1::-1] != self.size else image.copy()
        bar = f"{self.status}    temperature: {self.typed or '-'}"  # putText draws ASCII only
        frame[-40:] = (frame[-40:] * 0.3).astype(frame.dtype)
        self.cv2.putText(frame, bar, (12, self.size[1] - 12),
                         self.cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        if self.caption:
            frame[:44] = (frame[:44] * 0.3).astype(frame.dtype)
            self.cv2.putText(frame, self.caption[:90], (12, 31), self.cv2.FONT_HERSHEY_SIMPLEX, 0.8,
                             (0, 255, 255), 2)
        return self._show(with_banner(frame, self.disabled))

    def _show(self, image: np.ndarray) -> float | None:
        self.shown = image
        self.cv2.imshow(self.title, image)
        return self._turn()

    def _turn(self) -> float | None:
        """One event-loop turn: the guard's key, and the paint check while one is due."""
        entered = self._keys()
        if self.paint_check is not None and self.paint_check.due() \
                and self.paint_check.unpainted(self.cv2.getWindowImageRect(self.title)):
            # Qt never saw this window mapped, so it will never paint it: a new window gets a new map
            print("qrgate-scanner: the window stayed black (Qt missed its map event); opening it again",
                  file=sys.stderr, flush=True)
            self.cv2.destroyWindow(self.title)
            self.cv2.waitKey(1)
            self._open()
            if self.typed:
                self.cv2.setWindowTitle(self.title, f"{self.title} - temperature: {self.typed}")
            if self.shown is not None:
                self.cv2.imshow(self.title, self.shown)
            self.cv2.waitKey(1)
        return entered

    def _with_typed(self, panel: np.ndarray) -> np.ndarray:
        """The panel with what the guard is typing in its bottom bar's right end."""
        if not self.typed:
            return panel
        image = panel.copy()
        h, w = image.shape[:2]
        self.cv2.putText(image, f"temperature: {self.typed}", (w - 330, h - 14),
                         self.cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
        return image

    def _keys(self) -> float | None:
        before = self.keyboard.typed
        entered = self.keyboard.press(self.cv2.waitKey(1))
        if self.keyboard.typed != before:
            # what was typed, where the guard looks (the panel or the preview bar) and in the title: OpenCV
            # keeps one key per turn, so a test types the next key once the title shows the last one
            self.cv2.setWindowTitle(self.title, f"{self.title} - temperature: {self.typed}" if self.typed
                                    else self.title)
            if self.panel is not None and time.monotonic() < self.panel_until:
                self.shown = self._with_typed(self.panel)
                self.cv2.imshow(self.title, self.shown)
        return entered

    def close(self) -> None:
        self.cv2.destroyWindow(self.title)
        if self.sounder is not None:
            self.sounder.close()
