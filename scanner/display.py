"""What the guard sees: a full-window ALLOW / DENY / CANNOT VERIFY panel, or one JSON line per decision."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .gate import Outcome

ALLOW_RGB = (0, 150, 60)
DENY_RGB = (200, 20, 20)
UNSURE_RGB = (235, 160, 0)   # amber, striped: must not be mistaken for either answer
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


def beep(allowed: bool) -> None:
    """One short sound, never an error: aplay if present, else the terminal bell."""
    try:
        if shutil.which("aplay") and (wav := _tone_path(allowed)):
            subprocess.Popen(["aplay", "-q", str(wav)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        elif sys.stderr.isatty():
            sys.stderr.write("\a" if allowed else "\a\a")
            sys.stderr.flush()
    except OSError:
        pass


@lru_cache(maxsize=2)
def _tone_path(allowed: bool) -> Path | None:
    import tempfile
    import wave

    rate, freq, secs = 16000, 880 if allowed else 220, 0.25 if allowed else 0.6
    t = np.arange(int(rate * secs)) / rate
    samples = (np.sin(2 * np.pi * freq * t) * 12000).astype("<i2")
    path = Path(tempfile.gettempdir()) / f"qrgate-{'ok' if allowed else 'no'}.wav"
    try:
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(samples.tobytes())
    except OSError:
        return None
    return path


class Headless:
    """One JSON line per decision on stdout, flushed at once (the entry is already committed)."""

    def __init__(self, stream: IO[str] | None = None, sound: bool = False) -> None:
        self.stream = stream or sys.stdout
        self.sound = sound
        self._lock = threading.Lock()
        self.latencies: list[float] = []

    def show(self, outcome: Outcome, latency: float) -> None:
        self.latencies.append(latency)
        with self._lock:
            self.stream.write(json.dumps(outcome.to_json(), ensure_ascii=False) + "\n")
            self.stream.flush()
        if self.sound:
            beep(outcome.decision.allowed)

    def preview(self, image: np.ndarray) -> float | None:
        return None


class Window:
    """The OpenCV window: live preview, and the decision panel for `hold` seconds after each decision.

    The guard may type a temperature (digits and a dot) then Enter; it goes with the next decision.
    Esc or q closes the window and stops the scanner.
    """

    def __init__(self, stop: threading.Event, title: str = "qrgate", hold: float = 2.5, sound: bool = True,
                 size: tuple[int, int] = (1280, 720)) -> None:
        import cv2

        self.cv2, self.stop, self.title, self.hold, self.sound, self.size = cv2, stop, title, hold, sound, size
        self.panel: np.ndarray | None = None
        self.panel_until = 0.0
        self.typed = ""
        self.status = status_line(None, None, english=True)
        cv2.namedWindow(title, cv2.WINDOW_NORMAL | cv2.WINDOW_GUI_NORMAL)  # no toolbar
        cv2.resizeWindow(title, *size)

    def show(self, outcome: Outcome, latency: float) -> None:
        self.panel = render_panel(outcome, self.size)
        self.panel_until = time.monotonic() + self.hold
        self.status = status_line(outcome.synced_at, outcome.clock_warning, english=True)
        self.cv2.imshow(self.title, self.panel)
        self._keys()
        if self.sound:
            beep(outcome.decision.allowed)

    def preview(self, image: np.ndarray) -> float | None:
        if self.panel is not None and time.monotonic() < self.panel_until:
            return self._keys()
        frame = self.cv2.resize(image, self.size) if image.shape[1::-1] != self.size else image.copy()
        bar = f"{self.status}    temperature: {self.typed or '-'}"  # putText draws ASCII only
        frame[-40:] = (frame[-40:] * 0.3).astype(frame.dtype)
        self.cv2.putText(frame, bar, (12, self.size[1] - 12),
                         self.cv2.FONT_HERSHEY_SIMPLEX, 0.7, (255, 255, 255), 2)
        self.cv2.imshow(self.title, frame)
        return self._keys()

    def _keys(self) -> float | None:
        key = self.cv2.waitKey(1) & 0xFF
        if key in (27, ord("q")):
            self.stop.set()
        elif chr(key) in "0123456789." and len(self.typed) < 5:
            self.typed += chr(key)
        elif key == 8:
            self.typed = self.typed[:-1]
        elif key in (10, 13) and self.typed:
            text, self.typed = self.typed, ""
            try:
                return float(text)
            except ValueError:
                return None
        return None

    def close(self) -> None:
        self.cv2.destroyWindow(self.title)
