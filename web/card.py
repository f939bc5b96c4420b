"""The printable A6 pass card as a PDF (Pillow), for people without a smartphone."""

from __future__ import annotations

import io
import zlib
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


LAYOUTS = ("a6", "a4")  # an A6 page per card, or A4 sheets of four A6 cards (2 × 2, cut along the borders)
A4_PT = (595.28, 841.89)


class CardsPdf:
    """Many cards in one PDF, written card by card (memory stays flat).

    Pillow's multi-page PDF keeps every page in memory (2 MB each at 300 dpi); this writes each
    card's 1-bit image as a Flate-compressed image XObject as soon as it is drawn, each page once
    its cards are written (one card on A6, four on A4), and the page tree, catalogue and
    cross-reference table at the end. `add` is CPU work: callers on the event loop run it in a thread.
    """

    def __init__(self, layout: str = "a6") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        self.layout = layout
        self.cards = 0
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._pending: list[int] = []  # image objects of the page being filled
        self._size = 0
        self._next = 3  # 1: catalogue, 2: page tree (written last)

    def _number(self) -> int:
        self._next += 1
        return self._next - 1

    def _obj(self, number: int, body: bytes) -> bytes:
        self._offsets[number] = self._size
        chunk = f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
        self._size += len(chunk)
        return chunk

    def start(self) -> bytes:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        self._size = len(head)
        return head

    def _page(self) -> bytes:
        """The page holding the pending card images: A6 at full size, or A4 in 2 × 2 quadrants."""
        card_w, card_h = A6[0] * 72 / DPI, A6[1] * 72 / DPI
        if self.layout == "a6":
            box, spots = (card_w, card_h), [(0.0, 0.0)]
        else:
            box = A4_PT
            left, bottom = (A4_PT[0] - 2 * card_w) / 2, (A4_PT[1] - 2 * card_h) / 2
            spots = [(left, bottom + card_h), (left + card_w, bottom + card_h), (left, bottom), (left + card_w, bottom)]
        draw = " ".join(f"q {card_w:.2f} 0 0 {card_h:.2f} {x:.2f} {y:.2f} cm /Im{i} Do Q"
                        for i, (x, y) in enumerate(spots[:len(self._pending)])).encode()
        images = " ".join(f"/Im{i} {n} 0 R" for i, n in enumerate(self._pending))
        content, page = self._number(), self._number()
        self._pages.append(page)
        self._pending = []
        return b"".join((
            self._obj(content, f"<< /Length {len(draw)} >>\nstream\n".encode() + draw + b"\nendstream"),
            self._obj(page, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {box[0]:.2f} {box[1]:.2f}] "
                            f"/Resources << /XObject << {images} >> >> /Contents {content} 0 R >>".encode()),
        ))

    def add(self, p: ResidentPass) -> bytes:
        """One card more: its image now, and its page once the page is full."""
        image = _one_bit(p)
        data = zlib.compress(image.tobytes(), 6)  # mode "1" packs 8 pixels a byte, 1 = white
        width, height = image.size
        number = self._number()
        self._pending.append(number)
        self.cards += 1
        chunk = self._obj(number, f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
                                  f"/ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /FlateDecode "
                                  f"/Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")
        if len(self._pending) == (1 if self.layout == "a6" else 4):
            chunk += self._page()
        return chunk

    page = add  # the reprint list's name for it

    def finish(self) -> bytes:
        if not self.cards:
            raise ValueError("no cards")
        tail = self._page() if self._pending else b""
        kids = " ".join(f"{n} 0 R" for n in self._pages)
        tail += self._obj(2, f"<< /Type /Pages /Kids [{kids}] /Count {len(self._pages)} >>".encode())
        tail += self._obj(1, b"<< /Type /Catalog /Pages 2 0 R >>")
        xref_at = self._size
        rows = [f"{self._offsets[n]:010d} 00000 n \n" for n in range(1, self._next)]
        xref = (f"xref\n0 {self._next}\n0000000000 65535 f \n" + "".join(rows)
                + f"trailer\n<< /Size {self._next} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n").encode()
        return tail + xref


def cards_pdf(cards: list[ResidentPass], layout: str = "a6") -> bytes:
    """Several cards in one PDF (all in memory: for a few; the console streams `CardsPdf`)."""
    pdf = CardsPdf(layout)
    return pdf.start() + b"".join(pdf.add(p) for p in cards) + pdf.finish()
