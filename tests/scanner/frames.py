"""Synthetic camera frames made from real rendered passes: perspective, blur, noise, a phone screen."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from keys.render import render_image


def qr_bgr(qr_text: str, box: int = 6) -> np.ndarray:
    image = np.asarray(render_image(qr_text, box_size=box, border=4).convert("L"))
    return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)


def background(size: tuple[int, int], seed: int = 0) -> np.ndarray:
    """A cluttered grey scene: gradients and rectangles, like a gate in daylight."""
    w, h = size
    rng = np.random.default_rng(seed)
    grad = np.linspace(70, 170, w, dtype=np.float32)[None, :].repeat(h, 0)
    img = cv2.cvtColor(grad.astype(np.uint8), cv2.COLOR_GRAY2BGR)
    for _ in range(12):
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(40, 220, 3))
        cv2.rectangle(img, (x, y), (x + int(rng.integers(20, 200)), y + int(rng.integers(20, 200))), colour, -1)
    return img


def place(code: np.ndarray, size: tuple[int, int] = (1280, 720), *, scale: float = 0.5,
          tilt: float = 0.0, seed: int = 0) -> np.ndarray:
    """Warp the code into the scene; `tilt` 0..0.35 pulls two corners in (perspective)."""
    w, h = size
    side = int(min(w, h) * scale)
    ch, cw = code.shape[:2]
    x0, y0 = (w - side) // 2, (h - side) // 2
    pull = side * tilt
    dst = np.float32([[x0 + pull, y0 + pull * 0.6], [x0 + side - pull * 0.2, y0],
                      [x0 + side, y0 + side], [x0 + pull * 0.4, y0 + side - pull * 0.6]])
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    scene = background(size, seed)
    warped = cv2.warpPerspective(code, matrix, size, borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((ch, cw), 255, np.uint8), matrix, size)
    scene[mask > 0] = warped[mask > 0]
    return scene


def blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigma)


def noise(img: np.ndarray, sd: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img.astype(np.float32) + rng.normal(0, sd, img.shape), 0, 255).astype(np.uint8)


def phone_screen(code: np.ndarray, size: tuple[int, int] = (1280, 720), seed: int = 0) -> np.ndarray:
    """The code on a phone: dark rounded bezel, slightly bluish backlit screen, a glare streak."""
    w, h = size
    scene = background(size, seed)
    pw, ph = int(h * 0.5), int(h * 0.9)
    x0, y0 = (w - pw) // 2, (h - ph) // 2
    r = pw // 8
    bezel = np.zeros((h, w), np.uint8)
    cv2.rectangle(bezel, (x0 + r, y0), (x0 + pw - r, y0 + ph), 255, -1)
    cv2.rectangle(bezel, (x0, y0 + r), (x0 + pw, y0 + ph - r), 255, -1)
    for cx, cy in ((x0 + r, y0 + r), (x0 + pw - r, y0 + r), (x0 + r, y0 + ph - r), (x0 + pw - r, y0 + ph - r)):
        cv2.circle(bezel, (cx, cy), r, 255, -1)
    scene[bezel > 0] = (25, 20, 20)
    m = pw // 14
    screen = (x0 + m, y0 + 3 * m, x0 + pw - m, y0 + ph - 3 * m)
    cv2.rectangle(scene, screen[:2], screen[2:], (250, 235, 225), -1)
    side = screen[2] - screen[0] - 2 * m
    tile = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    tile = np.clip(tile.astype(np.int16) * np.array([1.0, 0.95, 0.9]) + 10, 0, 255).astype(np.uint8)
    ty = (screen[1] + screen[3] - side) // 2
    scene[ty:ty + side, screen[0] + m:screen[0] + m + side] = tile
    glare = np.zeros((h, w), np.float32)
    cv2.line(glare, (x0, y0 + ph * 11 // 20), (x0 + pw, y0 + ph * 7 // 20), 1.0, pw // 12)
    glare = cv2.GaussianBlur(glare, (0, 0), pw / 25) * 0.45
    out = scene.astype(np.float32) + glare[..., None] * 255
    return np.clip(out, 0, 255).astype(np.uint8)


def write_folder(folder: Path, frames: list[np.ndarray]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"frame-{i:04d}.png"), frame)
    return folder


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened(), "MJPG/.avi writer unavailable"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path
