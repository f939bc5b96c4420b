"""A larger, varied set of camera-like frames, all from fixed seeds: the decoders' benchmark and its tests.

Each kind sweeps one difficulty from easy to past what plain zxing-cpp reads, so that the set measures
the edge where a second attempt can matter: phone screens at several brightnesses, moiré from a screen's
pixel grid, glare, motion blur, small codes, tilt with defocus, sensor noise with JPEG compression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
from frames import background, blur, phone_screen, place

from keys import IssuerKey, PassClaims, issue_pass

Size = tuple[int, int]


def _jpeg(img: np.ndarray, quality: int) -> np.ndarray:
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


def _noise(img: np.ndarray, sd: float, rng: np.random.Generator) -> np.ndarray:
    return np.clip(img.astype(np.float32) + rng.normal(0, sd, img.shape), 0, 255).astype(np.uint8)


def camera(img: np.ndarray, rng: np.random.Generator, sd: float = 4.0, quality: int = 85) -> np.ndarray:
    """What every webcam adds: a little sensor noise, then JPEG (MJPG) compression."""
    return _jpeg(_noise(img, sd, rng), quality)


def dim_screen(code: np.ndarray, size: Size, level: float, seed: int) -> np.ndarray:
    """A phone screen turned down to `level` (1 = full) in a bright room: dark modules stay dark-ish,
    light ones sink towards them, and the room's light reflects off the glass on top."""
    frame = phone_screen(code, size, seed=seed).astype(np.float32)
    screen = frame * level + 55 * (1 - level)  # reflections lift the blacks as the screen dims
    return np.clip(screen, 0, 255).astype(np.uint8)


def moire(code: np.ndarray, size: Size, period: float, seed: int) -> np.ndarray:
    """A screen's RGB pixel grid beating against the camera's: a low-frequency ripple over the code."""
    frame = phone_screen(code, size, seed=seed).astype(np.float32)
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = 0.3 + 0.2 * seed
    wave = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    ripple = 1.0 - 0.28 * (0.5 + 0.5 * wave)
    return np.clip(frame * ripple[..., None], 0, 255).astype(np.uint8)


def glare(code: np.ndarray, size: Size, strength: float, seed: int) -> np.ndarray:
    """A lamp's reflection: a bright, soft blob over part of the code that washes the modules out."""
    rng = np.random.default_rng(seed)
    frame = place(code, size, scale=0.45, seed=seed).astype(np.float32)
    w, h = size
    blob = np.zeros((h, w), np.float32)
    cx = int(w / 2 + rng.integers(-h // 10, h // 10))
    cy = int(h / 2 + rng.integers(-h // 10, h // 10))
    cv2.circle(blob, (cx, cy), h // 9, 1.0, -1)
    blob = cv2.GaussianBlur(blob, (0, 0), h / 14)
    blob /= blob.max()
    out = frame + blob[..., None] * 255 * strength
    return np.clip(out, 0, 255).astype(np.uint8)


def motion(code: np.ndarray, size: Size, length: int, seed: int) -> np.ndarray:
    """A pass moved through the view during the exposure: a line kernel `length` pixels long."""
    frame = place(code, size, scale=0.42, tilt=0.05, seed=seed)
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2] = 1.0
    angle = 25.0 * seed
    rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    kernel /= kernel.sum()
    return cv2.filter2D(frame, -1, kernel)


def small(code: np.ndarray, size: Size, scale: float, seed: int) -> np.ndarray:
    """A pass held far from the camera: the symbol spans `scale` of the frame's height, softly focused."""
    return blur(place(code, size, scale=scale, seed=seed), 0.6)


def tilted(code: np.ndarray, size: Size, sigma: float, seed: int) -> np.ndarray:
    """A pass tilted away (perspective) and out of focus by `sigma` pixels."""
    return blur(place(code, size, scale=0.5, tilt=0.25 + 0.02 * (seed % 4), seed=seed), sigma)


def grainy(code: np.ndarray, size: Size, sd: float, seed: int) -> np.ndarray:
    """A dark corridor: high gain, so strong sensor noise, on a smallish code."""
    rng = np.random.default_rng(seed)
    frame = place(code, size, scale=0.3, seed=seed).astype(np.float32) * 0.55 + 20
    return _noise(frame.astype(np.uint8), sd, rng)


# kind → (make(code, size, difficulty, seed), difficulties from easy to hard)
KINDS: dict[str, tuple[Callable[[np.ndarray, Size, float, int], np.ndarray], list[float]]] = {
    "dim screen": (dim_screen, [0.3, 0.15, 0.1, 0.08, 0.065, 0.05]),  # type: ignore[dict-item]
    "moiré": (moire, [24, 14, 10, 8, 6, 5]),  # type: ignore[dict-item]
    "glare": (glare, [0.6, 0.9, 1.1, 1.3, 1.5, 1.8]),
    "motion": (lambda c, s, d, seed: motion(c, s, int(d), seed), [4, 7, 9, 11, 13, 15]),
    "small": (small, [0.2, 0.16, 0.14, 0.12, 0.11, 0.1]),
    "tilt + defocus": (tilted, [1.0, 1.6, 2.0, 2.3, 2.6, 2.9]),
    "grainy": (grainy, [20, 35, 45, 55, 65, 75]),
}


def frame(code: np.ndarray, kind: str, level: float, seed: int, size: Size = (1280, 720)) -> np.ndarray:
    """One frame of the set, through the webcam model: the same pixels on every run."""
    make, _ = KINDS[kind]
    rng = np.random.default_rng(1000 * list(KINDS).index(kind) + seed)
    return camera(make(code, size, level, seed), rng)


def camera_frames(code: np.ndarray, size: Size = (1280, 720), seeds: int = 4) -> Iterator[tuple[str, np.ndarray]]:
    """(kind, frame) for every kind × difficulty × seed, the same frames on every run."""
    for kind, (_, levels) in KINDS.items():
        for level in levels:
            for seed in range(seeds):
                yield kind, frame(code, kind, level, seed, size)


NAMES = ("张伟明华", "李娜", "欧阳小明")


def fixed_passes() -> list[str]:
    """Three real passes with fixed serials: the same texts, hence the same frames, on every run."""
    key = IssuerKey.from_private_bytes(bytes(range(32)))
    return [issue_pass(key, PassClaims(name, "123X", community="KS-C0012", employer="KS-F0042"),
                       now=datetime(2020, 2, 1, tzinfo=UTC), valid_for=timedelta(days=30),
                       serial=bytes([i + 1]) * 12).qr_text for i, name in enumerate(NAMES)]


def empty_frames(size: Size = (1280, 720), n: int = 20) -> list[np.ndarray]:
    """Gate scenes without a code: clutter, a dim corridor, a bright doorway, noise."""
    frames = []
    for seed in range(n):
        rng = np.random.default_rng(5000 + seed)
        scene = background(size, seed=seed).astype(np.float32) * (0.4 + 0.08 * (seed % 10))
        frames.append(camera(np.clip(scene, 0, 255).astype(np.uint8), rng, sd=4 + seed % 5))
    return frames
