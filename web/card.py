"""The printable A6 pass card as a PDF (Pillow), for people without a smartphone."""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from keys.render import render_image

from .i18n import words
from .passview import ResidentPass

DPI = 300
MM = DPI / 25.4
A6 = (round(105 * MM), round(148 * MM))
QR_MM = 75  # a webcam at arm's length reads 75 mm easily; the brief asks for at least 60 mm
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
_SC_INDEX = 2  # Noto Sans CJK .ttc: JP, KR, SC, TC, HK — SC draws the simplified forms


class FontMissing(RuntimeError):
    """No CJK font is installed (Debian: fonts-noto-cjk)."""


@lru_cache(maxsize=8)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    name = "NotoSansCJK-Bold.ttc" if bold else "NotoSansCJK-Regular.ttc"
    for folder in FONT_DIRS:
        if (folder / name).exists():
            return ImageFont.truetype(str(folder / name), size, index=_SC_INDEX)
    raise FontMissing(f"{name} not found; install the Debian package fonts-noto-cjk")


def _centre(draw: ImageDraw.ImageDraw, y: float, text: str, font: ImageFont.FreeTypeFont) -> float:
    """Draw one centred line (cut to the card's width) and return the next line's top."""
    while text and draw.textlength(text, font=font) > A6[0] - 10 * MM:
        text = text[:-1]
    x = (A6[0] - draw.textlength(text, font=font)) / 2
    draw.text((x, y), text, font=font, fill="black")
    box = font.getbbox("国g")
    return y + (box[3] - box[1]) + 2.5 * MM


def card_image(p: ResidentPass) -> Image.Image:
    """The card at 300 dpi: header, QR 75 mm, name, masked document, validity, serial."""
    zh, en = words("zh"), words("en")
    page = Image.new("RGB", A6, "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([2 * MM, 2 * MM, A6[0] - 2 * MM, A6[1] - 2 * MM], outline="black", width=round(0.6 * MM))
    y = _centre(draw, 6 * MM, f"qrgate · {zh['pass_title']} {en['pass_title']}", _font(True, round(4.2 * MM)))
    qr = render_image(p.qr_text, box_size=10, border=4).convert("L")
    side = round(QR_MM * MM)
    # nearest keeps module edges sharp; a blurred edge is what decoders fail on
    page.paste(qr.resize((side, side), Image.Resampling.NEAREST), ((A6[0] - side) // 2, round(y)))
    y += side + 2 * MM
    y = _centre(draw, y, p.name, _font(True, round(7.5 * MM)))
    y = _centre(draw, y, f"{zh['document']} {p.masked_document()}", _font(False, round(4.2 * MM)))
    y = _centre(draw, y, f"{zh['valid_until']} {p.valid_until()}", _font(False, round(4.2 * MM)))
    y = _centre(draw, y, f"{zh['serial']} {p.serial}", _font(False, round(3.2 * MM)))
    _centre(draw, y, f"{zh['paper_note']} · {en['paper_note']}", _font(False, round(3.4 * MM)))
    return page


def _one_bit(p: ResidentPass) -> Image.Image:
    # 1-bit keeps the QR lossless (CCITT G4); Pillow would store greyscale as JPEG, blurring module edges
    return card_image(p).convert("L").point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def card_pdf(p: ResidentPass) -> bytes:
    buf = io.BytesIO()
    _one_bit(p).save(buf, format="PDF", resolution=DPI, title="qrgate pass card")
    return buf.getvalue()


def cards_pdf(cards: list[ResidentPass]) -> bytes:
    """Several cards, one A6 page each, in one PDF (the reprint list's stack)."""
    if not cards:
        raise ValueError("no cards")
    pages = [_one_bit(p) for p in cards]
    buf = io.BytesIO()
    pages[0].save(buf, format="PDF", resolution=DPI, title="qrgate pass cards", save_all=True,
                  append_images=pages[1:])
    return buf.getvalue()
