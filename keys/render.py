"""Render a pass as a QR image (error correction M, alphanumeric mode)."""

from __future__ import annotations

import io

import qrcode
import qrcode.constants
import qrcode.image.svg
from qrcode.util import MODE_ALPHA_NUM, QRData

_ECC = qrcode.constants.ERROR_CORRECT_M


def _make(qr_text: str, box_size: int = 10, border: int = 4) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=_ECC, box_size=box_size, border=border)
    upper = qr_text.upper() == qr_text
    qr.add_data(QRData(qr_text, mode=MODE_ALPHA_NUM) if upper and _alnum(qr_text) else qr_text)
    qr.make(fit=True)
    return qr


def _alnum(text: str) -> bool:
    return all(c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" for c in text)


def qr_version(qr_text: str) -> int:
    return _make(qr_text).version


def render_svg(qr_text: str, box_size: int = 10, border: int = 4) -> str:
    img = _make(qr_text, box_size, border).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    return img.to_string(encoding="unicode")


def render_png(qr_text: str, box_size: int = 10, border: int = 4) -> bytes:
    img = _make(qr_text, box_size, border).make_image(fill_color="black", back_color="white")
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def render_image(qr_text: str, box_size: int = 10, border: int = 4):  # -> PIL.Image.Image
    return _make(qr_text, box_size, border).make_image(fill_color="black", back_color="white").get_image()
