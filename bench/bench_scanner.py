"""Scanner throughput and capture-to-answer latency on one core, beside a naive pyzbar loop.

qrgate: zxing-cpp (QR only) on the newest frame from a capture thread, debounce, decide, commit the
entry (SQLite WAL, synchronous=FULL), answer. Naive: every frame read in order (frames queue up),
pyzbar with its default symbologies on the full frame, decide, answer.
Frames are synthetic: a real pass on a phone screen in a cluttered scene, or the scene alone.
"""

from __future__ import annotations

import os
import queue
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "scanner")]

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from bench._report import write_section  # noqa: E402
from frames import background, phone_screen, place, qr_bgr  # noqa: E402
from keys import IssuerKey, PassClaims, SitePolicy, TrustSet, decide, issue_pass, sign_policy, sign_revocations  # noqa: E402
from keys.secret import Secret  # noqa: E402
from scanner.decoders import ZxingDecoder  # noqa: E402
from scanner.gate import Gate, Outcome  # noqa: E402
from scanner.log import EntryLog  # noqa: E402
from scanner.pipeline import Pipeline  # noqa: E402
from scanner.sources import realtime  # noqa: E402
from scanner.state import Device, DeviceState  # noqa: E402

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
CAMERA_FPS = 30.0
SECONDS = 4.0


def pin_one_core() -> str:
    cv2.setNumThreads(1)
    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return f"pinned to CPU {min(os.sched_getaffinity(0))}"
    except (AttributeError, OSError):
        return "not pinned (no sched_setaffinity)"


def setup(folder: Path) -> tuple[DeviceState, str]:
    key = IssuerKey.generate()
    now = datetime.now(UTC)
    state = DeviceState(folder)
    state.save_device(Device("http://127.0.0.1:9", "dev_bench", "BENCH", "bench", Secret("qgd_x")),
                      TrustSet.of(key.public_key).to_jwks())
    policy = SitePolicy.from_json({"kind": "checkpoint", "site": "BENCH", "allow_reentry": True})
    state.save_bundle([sign_revocations(key, [], seq=1, issued_at=now)], sign_policy(key, policy, issued_at=now),
                      synced_at=now, clock_offset=0.0)
    text = issue_pass(key, PassClaims("张三", "1234"), now=now - timedelta(minutes=5),
                      valid_for=timedelta(days=1)).qr_text
    return state, text


class Collect:
    def __init__(self) -> None:
        self.latencies: list[float] = []

    def show(self, outcome: Outcome, latency: float) -> None:
        self.latencies.append(latency)

    def preview(self, image: np.ndarray) -> float | None:
        return None


def frame_set(text: str, size: tuple[int, int], with_code: bool) -> list[np.ndarray]:
    code = qr_bgr(text)
    if with_code:
        return [phone_screen(code, size, seed=1), place(code, size, tilt=0.15, seed=2),
                phone_screen(code, size, seed=3), place(code, size, seed=4)]
    return [background(size, seed=s) for s in range(4)]


def cycle(frames: list[np.ndarray], stop: threading.Event):
    i = 0
    while not stop.is_set():
        yield frames[i % len(frames)]
        i += 1


def ours(state: DeviceState, frames: list[np.ndarray], debounce: float) -> tuple[float, list[float], int]:
    """The real pipeline on a 30 fps capture thread: (fps decoded, latencies, decisions)."""
    out = Collect()
    with EntryLog(state.log_path) as log:
        snap = state.load()
        pipeline = Pipeline(Gate(state.device(), log, lambda: snap), out, ZxingDecoder(), debounce=debounce)
        stop = threading.Event()
        timer = threading.Timer(SECONDS, stop.set)
        timer.start()
        start = time.monotonic()
        for frame in realtime(cycle(frames, stop), stop, CAMERA_FPS):
            pipeline.handle_frame(frame)
        elapsed = time.monotonic() - start
    return pipeline.frames_seen / elapsed, out.latencies, pipeline.decisions


def naive(state: DeviceState, frames: list[np.ndarray]) -> tuple[float, list[float], int]:
    """cap.read() in order with pyzbar's defaults on every frame: frames queue while it decodes."""
    from pyzbar import pyzbar

    snap = state.load()
    q: queue.Queue[tuple[np.ndarray, float]] = queue.Queue()
    stop = threading.Event()

    def camera() -> None:
        t0 = time.monotonic()
        for i, image in enumerate(cycle(frames, stop)):
            time.sleep(max(0.0, t0 + i / CAMERA_FPS - time.monotonic()))
            q.put((image, time.monotonic()))

    threading.Thread(target=camera, daemon=True).start()
    latencies, done, start = [], 0, time.monotonic()
    while time.monotonic() - start < SECONDS:
        image, captured = q.get()
        for result in pyzbar.decode(image):
            decide(result.data.decode("ascii", "replace"), snap.trust, snap.revocations, snap.policy,
                   now=datetime.now(UTC))
            latencies.append(time.monotonic() - captured)
        done += 1
    stop.set()
    return done / (time.monotonic() - start), latencies, len(latencies)


def decode_ms(fn: Callable[[np.ndarray], object], frames: list[np.ndarray], n: int = 15) -> float:
    times = []
    for i in range(n):
        t = time.perf_counter()
        fn(frames[i % len(frames)])
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def ms(values: list[float], q: float = 0.5) -> str:
    if not values:
        return "–"
    values = sorted(values)
    return f"{values[min(len(values) - 1, int(q * len(values)))] * 1000:.0f}"


def main() -> None:
    pinned = pin_one_core()
    from pyzbar import pyzbar

    zx = ZxingDecoder()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        state, text = setup(Path(tmp) / "gate")
        for res, size in SIZES.items():
            for with_code in (True, False):
                frames = frame_set(text, size, with_code)
                assert not with_code or zx.decode(frames[0]) == [text]
                fps, _, decisions = ours(state, frames, debounce=3.0)
                _, lat, _ = ours(state, frames, debounce=0.0) if with_code else (0, [], 0)
                nfps, nlat, _ = naive(state, frames)
                rows.append(f"| {res} | {'yes' if with_code else 'no'} | {fps:.1f} "
                            f"| {decode_ms(zx.decode, frames):.1f} | {ms(lat)} / {ms(lat, 0.95)} "
                            f"| {nfps:.1f} | {decode_ms(pyzbar.decode, frames):.1f} | {ms(nlat)} / {ms(nlat, 0.95)} |")
                print(rows[-1], flush=True)
    body = f"""One core ({pinned}, `cv2.setNumThreads(1)`); the camera is simulated by a capture thread
delivering {CAMERA_FPS:.0f} fps for {SECONDS:.0f} s per row. "fps" is frames actually decoded per second
(at most the camera's {CAMERA_FPS:.0f}); latency runs from the moment a frame is captured to the moment its
answer is shown, the entry committed to SQLite (synchronous=FULL) first. For qrgate's latency every
frame with a code is decided (debounce 0, re-entry allowed); its fps column uses the default 3 s debounce.
The naive loop reads every frame in order (frames queue while it decodes) and calls pyzbar with its
default symbologies on the full frame.

| frame | code in view | qrgate fps | zxing ms/frame | qrgate latency ms median / p95 | naive fps | pyzbar ms/frame | naive latency ms median / p95 |
|---|---|---|---|---|---|---|---|
""" + "\n".join(rows) + """

Target: ≥ 30 fps at 720p, answer within 100 ms of the frame that carried the code."""
    write_section("scanner", "Scanner: frames per second and capture-to-answer latency", body)


if __name__ == "__main__":
    main()
