"""Frame sources (camera, video file, image folder) and QR text lines from standard input.

A realtime source captures in its own thread into a one-slot holder: the decoder always
takes the newest frame and older ones are dropped, so a slow decode never builds a backlog.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import numpy as np

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
MAX_LINE = 8192
# a temperature after the text: tab-separated, or space-separated written as NN or NN.N[N]
_SPACE_TEMP = re.compile(r"^(?P<text>.*\S) +(?P<temp>\d{2}(?:\.\d{1,2})?)$")


class SourceError(Exception):
    """A source cannot be opened (missing file, no camera, empty folder)."""


@dataclass(frozen=True, slots=True)
class Frame:
    image: np.ndarray
    captured: float  # time.monotonic() when the frame was read
    index: int


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line from a keyboard-wedge scanner: the QR text and perhaps a temperature."""

    text: str
    temperature: float | None
    captured: float
    # when the temperature came after a space, the whole line too: a QR text may itself end so
    whole: str | None = None


class LatestFrame:
    """A one-slot holder: put() replaces, get() waits for a frame newer than the last one taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self.dropped = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def get(self, timeout: float | None = None) -> Frame | None:
        """The newest frame, or None once closed and drained (or on timeout)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout):
                return None
            frame, self._frame = self._frame, None
            return frame


class FrameSource(Protocol):
    def frames(self, stop: threading.Event) -> Iterator[Frame]: ...


class _Either:
    """Looks like an Event that is set when either of two events is."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        self.a, self.b = a, b

    def is_set(self) -> bool:
        return self.a.is_set() or self.b.is_set()


def _pump(read: Iterator[np.ndarray], slot: LatestFrame, stop: threading.Event | _Either,
          fps: float | None) -> None:
    """Capture thread body: read frames (paced to `fps` for files) into the slot."""
    start = time.monotonic()
    try:
        for i, image in enumerate(read):
            if stop.is_set():
                break
            if fps:
                delay = start + i / fps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            slot.put(Frame(image, time.monotonic(), i))
    finally:
        slot.close()
        close = getattr(read, "close", None)
        if close is not None:
            close()  # releases the camera or file now, not at garbage collection


def realtime(read: Iterator[np.ndarray], stop: threading.Event, fps: float | None) -> Iterator[Frame]:
    """Camera semantics over any frame iterator: captured in a thread, the newest frame handed on."""
    slot = LatestFrame()
    halt = threading.Event()  # set when the consumer stops early, so the capture thread ends too
    either = _Either(stop, halt)
    thread = threading.Thread(target=_pump, args=(read, slot, either, fps), name="capture", daemon=True)
    thread.start()
    try:
        while not stop.is_set():
            frame = slot.get(timeout=0.5)
            if frame is None:
                if not thread.is_alive():
                    # the capture ended; take a last frame that may have arrived meanwhile
                    last = slot.get(timeout=0)
                    if last is not None:
                        yield last
                    return
                continue
            yield frame
    finally:
        halt.set()
        thread.join(timeout=2)


def _in_order(read: Iterator[np.ndarray], stop: threading.Event) -> Iterator[Frame]:
    for i, image in enumerate(read):
        if stop.is_set():
            return
        yield Frame(image, time.monotonic(), i)


def _read_capture(cap) -> Iterator[np.ndarray]:  # cap: cv2.VideoCapture
    try:
        while True:
            ok, image = cap.read()
            if not ok:
                return
            yield image
    finally:
        cap.release()


class Camera:
    """A webcam through OpenCV; always realtime."""

    def __init__(self, index: int, width: int | None = None, height: int | None = None) -> None:
        if index < 0:
            raise SourceError("camera index must be 0 or more")
        self.index, self.width, self.height = index, width, height

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        import cv2

        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            raise SourceError(f"cannot open camera {self.index}")
        if self.width and self.height:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # the driver's own queue would serve stale frames too
        return realtime(_read_capture(cap), stop, None)


class VideoFile:
    """A video file; paced at its own frame rate, or every frame in order with every_frame."""

    def __init__(self, path: Path, every_frame: bool = False) -> None:
        if not Path(path).is_file():
            raise SourceError(f"no video file at {path}")
        self.path, self.every_frame = Path(path), every_frame

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        import cv2

        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            raise SourceError(f"cannot read video {self.path}")
        fps = cap.get(cv2.CAP_PROP_FPS)
        read = _read_capture(cap)
        if self.every_frame:
            return _in_order(read, stop)
        return realtime(read, stop, fps if math.isfinite(fps) and 1 <= fps <= 240 else 25.0)


class ImageFolder:
    """Images in name order; shown at `fps` (realtime), or every one in order with every_frame."""

    def __init__(self, folder: Path, every_frame: bool = False, fps: float = 10.0) -> None:
        folder = Path(folder)
        if not folder.is_dir():
            raise SourceError(f"no image folder at {folder}")
        self.paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not self.paths:
            raise SourceError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {folder}")
        self.every_frame, self.fps = every_frame, fps

    def _read(self) -> Iterator[np.ndarray]:
        import cv2

        for path in self.paths:
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is not None:  # an unreadable file is skipped, like a dropped camera frame
                yield image

    def frames(self, stop: threading.Event) -> Iterator[Frame]:
        if self.every_frame:
            return _in_order(self._read(), stop)
        return realtime(self._read(), stop, self.fps)


def parse_line(line: str) -> tuple[str, float | None, str | None]:
    """Split `TEXT[<TAB>TEMP]` or `TEXT TEMP` into (text, temperature, whole line if ambiguous).

    Only the line end is taken off: any other whitespace around the pass text stays, so that `decide`
    refuses it as the pass format says (one accepted encoding per pass, docs/pass-format.md).
    """
    line = line.rstrip("\r\n")[:MAX_LINE]
    if "\t" in line:
        text, _, temp = line.rpartition("\t")
        value = _temperature(temp.strip())
        if value is not None or not temp.strip():
            return text, value, None
        return line, None, None
    match = _SPACE_TEMP.match(line)
    if match:
        value = _temperature(match["temp"])
        if value is not None:
            return match["text"], value, line
    return line, None, None
    match = _SPACE_TEMP.match(line.strip())
    if match:
        value = _temperature(match["temp"])
        if value is not None:
            return match["text"], value, line.strip()
    return line.strip(), None, None


def _temperature(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class StdinLines:
    """QR texts typed by a USB or keyboard-wedge scanner, one per line; blank lines are skipped."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def lines(self, stop: threading.Event) -> Iterator[TextLine]:
        while not stop.is_set():
            raw = self.stream.readline()
            if not raw:
                return
            if not raw.strip():
                continue
            text, temp, whole = parse_line(raw)
            yield TextLine(text, temp, time.monotonic(), whole)
