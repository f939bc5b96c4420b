"""decode → debounce → decide (and log) → show, for frame sources and for stdin lines."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Protocol

import numpy as np

from .decoders import Decoder
from .gate import Gate, Outcome
from .sources import Frame, FrameSource, TextLine

DEFAULT_DEBOUNCE = 3.0


class Output(Protocol):
    def show(self, outcome: Outcome, latency: float) -> None:
        """Called after the entry is committed; latency = seconds from capture to this call."""
        ...

    def preview(self, image: np.ndarray) -> float | None:
        """Show a live frame; may return a temperature the guard typed."""
        ...


class Debouncer:
    """A code stays quiet while it is in view and for `hold` seconds after it was last seen."""

    def __init__(self, hold: float = DEFAULT_DEBOUNCE, max_codes: int = 256) -> None:
        self.hold, self.max_codes = hold, max_codes
        self._seen: dict[str, float] = {}

    def fresh(self, text: str, now: float) -> bool:
        last = self._seen.get(text)
        self._seen[text] = now  # refreshed while held, so a code held for a minute decides once
        if len(self._seen) > self.max_codes:
            self._seen = {t: s for t, s in self._seen.items() if now - s < self.hold}
        return last is None or now - last >= self.hold


class Pipeline:
    def __init__(self, gate: Gate, output: Output, decoder: Decoder | None = None,
                 debounce: float = DEFAULT_DEBOUNCE, temperature: float | None = None) -> None:
        self.gate, self.output, self.decoder = gate, output, decoder
        self.debouncer = Debouncer(debounce)
        self.temperature = temperature  # --temperature: applies to every decision of the run
        self.frames_seen = 0
        self.decisions = 0

    def _take_temperature(self, typed: float | None) -> float | None:
        return typed if typed is not None else self.temperature

    def handle_frame(self, frame: Frame, typed: float | None = None) -> list[Outcome]:
        assert self.decoder is not None
        self.frames_seen += 1
        outcomes = []
        for text in self.decoder.decode(frame.image):
            if not self.debouncer.fresh(text, frame.captured):
                continue
            outcome = self.gate.decide(text, self._take_temperature(typed), captured=frame.captured)
            self.decisions += 1
            self.output.show(outcome, time.monotonic() - frame.captured)
            outcomes.append(outcome)
        return outcomes

    def run_frames(self, source: FrameSource, stop: threading.Event) -> int:
        typed: float | None = None
        for frame in source.frames(stop):
            entered = self.output.preview(frame.image)
            if entered is not None:
                typed = entered  # held until the next decision uses it
            if self.handle_frame(frame, typed):
                typed = None
        return self.decisions

    def run_lines(self, lines: Iterator[TextLine]) -> int:
        # keyboard-wedge scanners: each line is a deliberate scan, so no debounce (passback still applies)
        for line in lines:
            temperature = line.temperature if line.temperature is not None else self.temperature
            outcome = self.gate.decide(line.text, temperature, whole=line.whole, captured=line.captured)
            self.decisions += 1
            self.output.show(outcome, time.monotonic() - line.captured)
        return self.decisions
