"""Decision sounds: a short WAV tone per answer, played off the decision path; the terminal bell otherwise."""

from __future__ import annotations

import io
import math
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import wave
from array import array
from pathlib import Path
from typing import IO

RATE = 16000
# allow: one short high tone; deny: three low pulses, so the two differ in pitch and rhythm
ALLOW_TONE = (880.0, (0.25,))
DENY_TONE = (220.0, (0.18, 0.18, 0.18))
GAP = 0.07
PLAYERS = (("aplay", "-q"), ("paplay",), ("pw-play",))  # ALSA, PulseAudio, PipeWire: the first on PATH
PLAY_TIMEOUT = 5.0


def tone(allowed: bool) -> bytes:
    """The WAV file (16-bit mono PCM) for an allow or a deny."""
    freq, pulses = ALLOW_TONE if allowed else DENY_TONE
    samples = array("h")
    fade = int(RATE * 0.005)  # 5 ms ramps: no click at the start and end of each pulse
    for i, secs in enumerate(pulses):
        n = int(RATE * secs)
        for k in range(n):
            ramp = min(1.0, k / fade, (n - k) / fade)
            samples.append(int(12000 * ramp * math.sin(2 * math.pi * freq * k / RATE)))
        if i < len(pulses) - 1:
            samples.extend([0] * int(RATE * GAP))
    if sys.byteorder == "big":
        samples.byteswap()  # WAV is little-endian
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()


def find_player() -> list[str] | None:
    """The command of the first sound player on PATH, or None."""
    for name, *args in PLAYERS:
        path = shutil.which(name)
        if path:
            return [path, *args]
    return None


class Sounder:
    """Plays one sound at a time in its own thread; play() never blocks and never raises.

    While a sound plays, at most one more waits; further ones are dropped (the next person is already
    in front of the gate, a late beep would only confuse).
    """

    def __init__(self, bell: IO[str] | None = None) -> None:
        self.player = find_player()
        self.bell = bell if bell is not None else sys.stderr
        self.played: list[str] = []  # "player" or "bell" per sound actually made, for the tests
        self._queue: queue.Queue[bool | None] = queue.Queue(maxsize=1)
        self._dir: Path | None = None
        self._thread = threading.Thread(target=self._loop, name="sound", daemon=True)
        self._thread.start()

    def play(self, allowed: bool) -> None:
        try:
            self._queue.put_nowait(allowed)
        except queue.Full:
            pass

    def close(self, timeout: float = PLAY_TIMEOUT + 1) -> None:
        """Let a waiting sound finish, then stop the thread and remove the WAV files."""
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout=timeout)
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)

    def _loop(self) -> None:
        while (allowed := self._queue.get()) is not None:
            try:
                self._sound(allowed)
            except Exception:  # noqa: BLE001 - a sound must never take the gate down
                pass

    def _sound(self, allowed: bool) -> None:
        if self.player is not None:
            try:
                subprocess.run([*self.player, str(self._wav(allowed))], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=PLAY_TIMEOUT,
                               check=True)
                self.played.append("player")
                return
            except (OSError, subprocess.SubprocessError):
                pass  # no sound device, player gone: fall back to the bell
        if self.bell.isatty():
            self.bell.write("\a" if allowed else "\a\a")
            self.bell.flush()
            self.played.append("bell")

    def _wav(self, allowed: bool) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="qrgate-sound-"))  # private (0700), not a guessable name
        path = self._dir / ("allow.wav" if allowed else "deny.wav")
        if not path.exists():
            path.write_bytes(tone(allowed))
        return path
