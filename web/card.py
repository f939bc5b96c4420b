"""The printable A6 pass card as a PDF, for people without a smartphone: QR and frame drawn as vectors."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from keys.render import modules, render_image

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


@lru_cache(maxsize=8)
def _line_height(bold: bool, size: int) -> float:
    top, bottom = _font(bold, size).getbbox("国g")[1::2]
    return bottom - top


@dataclass(frozen=True, slots=True)
class Line:
    """One centred line of the card: its top-left corner (Pillow's "la" anchor) in 300 dpi pixels."""

    text: str
    bold: bool
    size: int
    x: float
    y: float
    shared: bool = False  # the same on every card: one image in a PDF of many


@dataclass(frozen=True, slots=True)
class Layout:
    lines: tuple[Line, ...]
    qr_text: str
    qr_at: tuple[int, int]  # top-left of the QR with its 4-module quiet zone, pixels
    qr_side: int


def layout(p: ResidentPass) -> Layout:
    """Where everything goes on the card: header, QR 75 mm, name, masked document, validity, serial, note."""
    zh, en = words("zh"), words("en")
    lines: list[Line] = []

    def centre(y: float, text: str, bold: bool, size_mm: float, shared: bool = False) -> float:
        """One centred line (cut to the card's width); the next line's top."""
        size = round(size_mm * MM)
        font = _font(bold, size)
        length = font.getlength(text)
        while text and length > A6[0] - 10 * MM:
            text = text[:-1]
            length = font.getlength(text)
        lines.append(Line(text, bold, size, (A6[0] - length) / 2, y, shared))
        return y + _line_height(bold, size) + 2.5 * MM

    y = centre(6 * MM, f"qrgate · {zh['pass_title']} {en['pass_title']}", True, 4.2, shared=True)
    side = round(QR_MM * MM)
    qr_at = ((A6[0] - side) // 2, round(y))
    y += side + 2 * MM
    y = centre(y, p.name, True, 7.5)
    y = centre(y, f"{zh['document']} {p.masked_document()}", False, 4.2)
    y = centre(y, f"{zh['valid_until']} {p.valid_until()}", False, 4.2)
    y = centre(y, f"{zh['serial']} {p.serial}", False, 3.2)
    centre(y, f"{zh['paper_note']} · {en['paper_note']}", False, 3.4, shared=True)
    return Layout(tuple(lines), p.qr_text, qr_at, side)


def card_image(p: ResidentPass) -> Image.Image:
    """The card at 300 dpi as a picture (the PDF draws the same layout, QR and frame as vectors)."""
    card = layout(p)
    page = Image.new("RGB", A6, "white")
    draw = ImageDraw.Draw(page)
    draw.rectangle([2 * MM, 2 * MM, A6[0] - 2 * MM, A6[1] - 2 * MM], outline="black", width=round(0.6 * MM))
    for line in card.lines:
        draw.text((line.x, line.y), line.text, font=_font(line.bold, line.size), fill="black")
    qr = render_image(card.qr_text, box_size=10, border=4).convert("L")
    # nearest keeps module edges sharp; a blurred edge is what decoders fail on
    page.paste(qr.resize((card.qr_side, card.qr_side), Image.Resampling.NEAREST), card.qr_at)
    return page


@lru_cache(maxsize=64)
def _line_mask(text: str, bold: bool, size: int) -> tuple[int, int, int, int, bytes]:
    """A line of text as a 1-bit image: (left, top, width, height, rows) relative to its anchor.

    FreeType's monochrome rendering of the whole line, rows padded to a byte as a PDF image wants
    them; 1 is ink, which the /ImageMask (Decode [1 0]) paints with the fill colour.
    """
    font = _font(bold, size)
    left, top, right, bottom = (int(v) for v in font.getbbox(text, mode="1", anchor="la"))  # whole pixels
    if right <= left or bottom <= top:
        return 0, 0, 1, 1, b"\x00"
    mask = Image.new("1", (right - left, bottom - top), 0)
    ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=1, anchor="la")  # a "1" image draws unsmoothed
    return left, top, mask.width, mask.height, mask.tobytes()


def _qr_path(dark: np.ndarray) -> bytes:
    """The dark modules as one path of rectangles, a run of dark modules per row, in module units."""
    n = dark.shape[0]
    edged = np.zeros((n, n + 2), np.int8)
    edged[:, 1:-1] = dark
    steps = np.diff(edged, axis=1)  # +1 where a run starts, -1 just after it ends
    rows, starts = np.nonzero(steps == 1)
    _, ends = np.nonzero(steps == -1)
    q = 4  # the quiet zone, in modules
    runs = np.column_stack((starts + q, rows + q, ends - starts)).ravel().tolist()
    return (("%d %d %d 1 re\n" * len(rows)) % tuple(runs)).encode()


LAYOUTS = ("a6", "a4")  # an A6 page per card, or A4 sheets of four A6 cards (2 × 2, cut along the borders)
A4_PT = (595.28, 841.89)
PT = 72 / DPI  # PDF points per card pixel
CARD_PT = (A6[0] * PT, A6[1] * PT)


class CardsPdf:
    """Many cards in one PDF, written card by card (memory stays flat); `card_pdf` is one of them.

    Each card is drawn, not pictured, as one form XObject in A6 points: the frame a stroked rectangle,
    the QR one filled path of module rectangles (exact at any printer resolution, a few kB), each text
    line a small 1-bit image mask at 300 dpi (Noto Sans CJK drawn by FreeType; no font to embed). The
    two lines every card shares are written once and drawn on every card. A page places its cards
    (one on A6, four on A4 in 2 × 2 quadrants) once they are written; the page tree, catalogue and
    cross-reference table come at the end. `start()`, `add(p)` for each card, then `finish()`: the
    caller writes each chunk as it comes. `add` is CPU work: callers on the event loop run it in a thread.
    """

    def __init__(self, layout: str = "a6", title: str = "qrgate pass cards") -> None:
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}")
        self.layout = layout
        self.title = title
        self.cards = 0
        self._offsets: dict[int, int] = {}
        self._pages: list[int] = []
        self._pending: list[int] = []  # card forms of the page being filled
        self._shared: dict[tuple[str, bool, int], int] = {}  # a line every card has -> its image's object
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

    def _stream(self, number: int, head: str, data: bytes) -> bytes:
        return self._obj(number, f"<< {head} /Length {len(data)} >>\nstream\n".encode() + data + b"\nendstream")

    def start(self) -> bytes:
        head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
        self._size = len(head)
        return head

    def _page(self) -> bytes:
        """The page holding the pending cards: A6 at full size, or A4 in 2 × 2 quadrants."""
        card_w, card_h = CARD_PT
        if self.layout == "a6":
            box, spots = CARD_PT, [(0.0, 0.0)]
        else:
            box = A4_PT
            left, bottom = (A4_PT[0] - 2 * card_w) / 2, (A4_PT[1] - 2 * card_h) / 2
            spots = [(left, bottom + card_h), (left + card_w, bottom + card_h), (left, bottom), (left + card_w, bottom)]
        draw = " ".join(f"q 1 0 0 1 {x:.2f} {y:.2f} cm /C{i} Do Q"
                        for i, (x, y) in enumerate(spots[:len(self._pending)])).encode()
        forms = " ".join(f"/C{i} {n} 0 R" for i, n in enumerate(self._pending))
        content, page = self._number(), self._number()
        self._pages.append(page)
        self._pending = []
        return b"".join((
            self._stream(content, "", draw),
            self._obj(page, f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {box[0]:.2f} {box[1]:.2f}] "
                            f"/Resources << /XObject << {forms} >> >> /Contents {content} 0 R >>".encode()),
        ))

    def _card(self, p: ResidentPass) -> bytes:
        """One card's text images and its form XObject (appended to the pending page)."""
        card = layout(p)
        chunks: list[bytes] = []
        height = CARD_PT[1]
        inset, stroke = (2 + 0.3) * MM * PT, round(0.6 * MM) * PT  # Pillow's outline lies inside its box
        draw = [f"{stroke:.2f} w {inset:.2f} {inset:.2f} {CARD_PT[0] - 2 * inset:.2f} {height - 2 * inset:.2f} re S 0 g"]
        images: list[int] = []
        for i, ln in enumerate(card.lines):
            left, top, w, h, rows = _line_mask(ln.text, ln.bold, ln.size)
            key = (ln.text, ln.bold, ln.size)
            number = self._shared.get(key) if ln.shared else None
            if number is None:
                number = self._number()
                chunks.append(self._stream(number, f"/Type /XObject /Subtype /Image /Width {w} /Height {h} "
                                                   f"/ImageMask true /BitsPerComponent 1 /Decode [1 0] "
                                                   f"/Filter /FlateDecode", zlib.compress(rows, 6)))
                if ln.shared:
                    self._shared[key] = number
            images.append(number)
            x, y = (ln.x + left) * PT, height - (ln.y + top + h) * PT
            draw.append(f"q {w * PT:.3f} 0 0 {h * PT:.3f} {x:.3f} {y:.3f} cm /L{i} Do Q")
        dark = modules(card.qr_text)
        n = card.qr_side / (dark.shape[0] + 8) * PT  # one module (4 of quiet zone each side), in points
        qx, qy = card.qr_at[0] * PT, height - card.qr_at[1] * PT
        draw.append(f"q {n:.5f} 0 0 {-n:.5f} {qx:.3f} {qy:.3f} cm")  # module rows go down the page
        content = "\n".join(draw).encode() + b"\n" + _qr_path(dark) + b" f Q"
        form = self._number()
        lines = " ".join(f"/L{i} {obj} 0 R" for i, obj in enumerate(images))
        chunks.append(self._stream(form, f"/Type /XObject /Subtype /Form /BBox [0 0 {CARD_PT[0]:.2f} {height:.2f}] "
                                         f"/Resources << /XObject << {lines} >> >> /Filter /FlateDecode",
                                   zlib.compress(content, 6)))
        self._pending.append(form)
        return b"".join(chunks)

    def add(self, p: ResidentPass) -> bytes:
        """One card more: its drawing now, and its page once the page is full."""
        chunk = self._card(p)
        self.cards += 1
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
        info = self._number()
        title = self.title.encode("ascii", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        tail += self._obj(info, b"<< /Title (" + title + b") /Producer (qrgate) >>")
        xref_at = self._size
        rows = [f"{self._offsets[n]:010d} 00000 n \n" for n in range(1, self._next)]
        xref = (f"xref\n0 {self._next}\n0000000000 65535 f \n" + "".join(rows)
                + f"trailer\n<< /Size {self._next} /Root 1 0 R /Info {info} 0 R >>\nstartxref\n{xref_at}\n"
                  "%%EOF\n").encode()
        return tail + xref


def card_pdf(p: ResidentPass) -> bytes:
    """One card as a PDF (an A6 page), drawn as in a PDF of many."""
    pdf = CardsPdf("a6", title="qrgate pass card")
    return pdf.start() + pdf.add(p) + pdf.finish()


def cards_pdf(cards: list[ResidentPass], layout: str = "a6") -> bytes:
    """Several cards in one PDF (all in memory: for a few; the console streams `CardsPdf`)."""
    pdf = CardsPdf(layout)
    return pdf.start() + b"".join(pdf.add(p) for p in cards) + pdf.finish()
