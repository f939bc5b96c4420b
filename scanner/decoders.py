"""QR decoders behind one small interface: zxing-cpp (default) and pyzbar, both restricted to QR codes."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol

import numpy as np

MAX_TEXT = 8192  # longer than any QR can hold: anything bigger is not from a QR decoder


class Decoder(Protocol):
    name: str

    def decode(self, frame: np.ndarray) -> list[str]:
        """The texts of the QR codes in a BGR or grayscale frame."""
        ...


def _gray(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3:
        import cv2

        return cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return frame


class Variant(NamedTuple):
    """One more way to look at a region: a change to the pixels, and the binarizer zxing-cpp uses on them."""

    name: str
    prepare: Callable[[np.ndarray], np.ndarray]
    binarizer: str = "LocalAverage"


def _upscale(gray: np.ndarray, factor: float = 2.0) -> np.ndarray:
    import cv2

    factor = min(factor, MAX_RETRY_SIDE / max(gray.shape))  # a large region is already sharp enough
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC) if factor > 1 else gray


def _sharpen(gray: np.ndarray, amount: float = 1.5, sigma: float = 1.5) -> np.ndarray:
    import cv2

    return cv2.addWeighted(gray, 1 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0)


def _equalise(gray: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.createCLAHE(clipLimit=4.0, tileGridSize=(4, 4)).apply(gray)


def _threshold_upscaled(gray: np.ndarray) -> np.ndarray:
    import cv2

    big = _upscale(gray)
    return cv2.adaptiveThreshold(big, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY,
                                 max(max(big.shape) // 6, 3) | 1, 2)


# tried in this order on the region of a symbol that was found but not decoded, until one reads;
# the order and the set come from bench/bench_decoders.py's frame set (which variant rescues most)
VARIANTS = (
    Variant("upscale + adaptive threshold", _threshold_upscaled),
    Variant("sharpen", _sharpen),
    Variant("contrast equalisation", _equalise),
    Variant("upscale 3x", lambda g: _upscale(g, 3.0)),
    Variant("fixed-threshold binarizer", lambda g: g, "FixedThreshold"),
)
MAX_RETRY_SIDE = 1200  # pixels: an upscaled region is capped here, so a retry costs a few ms at most
MIN_REGION = 16  # pixels: a smaller "symbol" is noise
REGION_MARGIN = 0.6  # of the symbol's size on each side: a reported outline can be a sliver of the code


def _region(gray: np.ndarray, corners: list[tuple[float, float]]) -> np.ndarray | None:
    """The square around the reported outlines, with a margin; None when it is too small to be a code."""
    xs, ys = [x for x, _ in corners], [y for _, y in corners]
    side = max(max(xs) - min(xs), max(ys) - min(ys))
    if side < MIN_REGION:
        return None
    half = side * (0.5 + REGION_MARGIN)
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    h, w = gray.shape[:2]
    x0, x1 = int(max(0, cx - half)), int(min(w, cx + half))
    y0, y1 = int(max(0, cy - half)), int(min(h, cy + half))
    if min(x1 - x0, y1 - y0) < MIN_REGION:
        return None
    return np.ascontiguousarray(gray[y0:y1, x0:x1])


def _corners(barcode: object) -> list[tuple[float, float]]:
    p = barcode.position  # type: ignore[attr-defined]
    return [(float(c.x), float(c.y)) for c in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)]


class ZxingDecoder:
    """zxing-cpp, QR only, with a second look where it found a symbol it could not decode.

    The first pass is plain zxing-cpp (about 2 ms per 720p frame) and also reports symbols it detected
    but could not decode (a checksum or format error), with their outline. Only then, and only on that
    region, are a few variants tried (`VARIANTS`); a frame where nothing was detected costs nothing more.
    `retry=False` is plain zxing-cpp.
    """

    name = "zxing"

    def __init__(self, retry: bool = True) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._formats = zxingcpp.BarcodeFormat.QRCode
        self.retry = retry
        self.rescued = 0  # frames read only thanks to a retry (for the benchmark and the curious)

    def _read(self, gray: np.ndarray, binarizer: str = "LocalAverage", errors: bool = False) -> list:
        return self._zx.read_barcodes(gray, formats=self._formats,  # type: ignore[arg-type]
                                      binarizer=getattr(self._zx.Binarizer, binarizer), return_errors=errors)

    def decode(self, frame: np.ndarray) -> list[str]:
        gray = _gray(frame)
        results = self._read(gray, errors=self.retry)
        texts = [r.text for r in results if r.valid and r.text and len(r.text) <= MAX_TEXT]
        failed = [r for r in results if not r.valid]
        if texts or not failed:
            return texts
        region = _region(gray, [c for r in failed for c in _corners(r)])
        if region is None:
            return []
        for variant in VARIANTS:
            found = [r.text for r in self._read(variant.prepare(region), variant.binarizer)
                     if r.valid and r.text and len(r.text) <= MAX_TEXT]
            if found:
                self.rescued += 1
                return found
        return []


class ZbarDecoder:
    """pyzbar, QR only (its default tries every symbology, several times slower)."""

    name = "zbar"

    def __init__(self) -> None:
        from pyzbar import pyzbar

        self._pyzbar = pyzbar
        self._symbols = [pyzbar.ZBarSymbol.QRCODE]

    def decode(self, frame: np.ndarray) -> list[str]:
        texts = []
        for result in self._pyzbar.decode(_gray(frame), symbols=self._symbols):
            # QR payloads are bytes; ours are ASCII. Undecodable bytes are kept as replacement chars
            # so the pipeline records them as unreadable instead of dropping them.
            text = result.data.decode("utf-8", "replace")
            if text and len(text) <= MAX_TEXT:
                texts.append(text)
        return texts


DECODERS: dict[str, type[ZxingDecoder] | type[ZbarDecoder]] = {"zxing": ZxingDecoder, "zbar": ZbarDecoder}


def make_decoder(name: str) -> Decoder:
    """Build a decoder by name; ValueError names the choices."""
    try:
        return DECODERS[name]()
    except KeyError:
        raise ValueError(f"unknown decoder {name!r}: choose {' or '.join(DECODERS)}") from None
