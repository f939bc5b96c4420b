"""Render a pass as a QR image: error correction M, the same text, decoded by any QR reader.

The symbol comes from zxing-cpp's writer (Zint inside, C++): about 1 ms where the pure-Python
`qrcode` package spent ~25 ms, almost all of it in its mask search. Zint splits the text into mode
segments for the fewest bits (a pass is one alphanumeric segment unless it holds a long run of
digits, which goes in numeric mode), so the version is never above the one `qrcode` chose.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np
import zxingcpp
from PIL import Image

ECC = "M"


def modules(qr_text: str) -> np.ndarray:
    """The symbol's modules without a quiet zone: True is dark."""
    if not qr_text:
        raise ValueError("nothing to encode: the text is empty")
    symbol = zxingcpp.create_barcode(qr_text, zxingcpp.BarcodeFormat.QRCode, ec_level=ECC)
    return np.asarray(symbol.to_image(scale=1, add_quiet_zones=False)) < 128


def qr_version(qr_text: str) -> int:
    return (modules(qr_text).shape[0] - 17) // 4


def _quiet(qr_text: str, border: int) -> np.ndarray:
    """The modules inside `border` light modules of quiet zone: True is light."""
    if border < 0:
        raise ValueError(f"border must be ≥ 0, not {border}")
    return ~np.pad(modules(qr_text), border)


def _box(box_size: int) -> int:
    if box_size < 1:
        raise ValueError(f"box_size must be ≥ 1, not {box_size}")
    return box_size


def render_image(qr_text: str, box_size: int = 10, border: int = 4) -> Image.Image:
    """A 1-bit PIL image, black modules on white, `border` modules of quiet zone."""
    box = _box(box_size)
    small = Image.fromarray(_quiet(qr_text, border))
    return small.resize((small.width * box, small.height * box), Image.Resampling.NEAREST)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def render_png(qr_text: str, box_size: int = 10, border: int = 4) -> bytes:
    """A 1-bit greyscale PNG, written directly: Pillow's encoder took longer than making the symbol."""
    box = _box(box_size)
    light = _quiet(qr_text, border)
    side = light.shape[0] * box
    row = np.packbits(np.repeat(light, box, axis=1), axis=1)  # each module row, packed 8 pixels a byte
    scanlines = np.hstack([np.zeros((side, 1), np.uint8), np.repeat(row, box, axis=0)])  # filter 0
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1 bit per pixel, greyscale
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(scanlines.tobytes()))
            + _chunk(b"IEND", b""))


def render_svg(qr_text: str, box_size: int = 10, border: int = 4) -> str:
    """An SVG path in module units (viewBox), `box_size` tenths of a millimetre per module."""
    box = _box(box_size)
    if border < 0:
        raise ValueError(f"border must be ≥ 0, not {border}")
    dark = modules(qr_text)
    n = dark.shape[0]
    edged = np.zeros((n, n + 2), np.int8)
    edged[:, 1:-1] = dark
    steps = np.diff(edged, axis=1)  # +1 where a run of dark modules starts, -1 just after it ends
    ys, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    path = "".join([f"M{x + border},{y + border}h{w}v1h-{w}z"
                    for x, y, w in zip(starts.tolist(), ys.tolist(), (ends - starts).tolist())])
    side = n + 2 * border
    mm = f"{side * box / 10:g}mm"
    return (f'<svg width="{mm}" height="{mm}" version="1.1" viewBox="0 0 {side} {side}" '
            f'xmlns="http://www.w3.org/2000/svg"><path d="{path}"/></svg>')
