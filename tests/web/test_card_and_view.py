"""The printed card, the resident view's states and the countdown words, without a server."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pypdfium2
import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from keys import IssuerKey, PassClaims, Status, TrustSet, decide, issue_pass
from web.card import A6, DPI, QR_MM, CardsPdf, card_image, card_pdf, layout
from web.i18n import countdown
from web.passview import PassState, ResidentPass

NOW = datetime(2020, 2, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _pass(key: IssuerKey, name: str = "张伟", **kw: object) -> ResidentPass:
    claims = PassClaims(name=name, document="123X", status=kw.pop("status", Status.GREEN))  # type: ignore[arg-type]
    issued = issue_pass(key, claims, now=NOW, valid_for=timedelta(days=30))
    fields: dict[str, object] = {"serial": issued.serial_hex, "qr_text": issued.qr_text, "name": name,
                                 "document": "123X", "status": claims.status,
                                 "expires_at": issued.expires_at, "revoked": False,
                                 "tz": ZoneInfo("Asia/Shanghai")}
    fields.update(kw)
    return ResidentPass(**fields)  # type: ignore[arg-type]


def _decode(image) -> list[str]:  # PIL image -> texts of the QR codes zxing-cpp finds
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_pdf_card_renders_with_pdfium_and_its_qr_is_allowed(issuer_key: IssuerKey, trust: TrustSet) -> None:
    p = _pass(issuer_key, name="欧阳娜娜")
    pdf = card_pdf(p)
    assert pdf.startswith(b"%PDF")
    doc = pypdfium2.PdfDocument(pdf)
    assert len(doc) == 1
    width_pt, height_pt = doc[0].get_size()
    assert (round(width_pt / 72 * 25.4), round(height_pt / 72 * 25.4)) == (105, 148)  # A6 in mm
    image = doc[0].render(scale=150 / 72).to_pil()  # 150 dpi, as a cheap printer would
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    image.save(ARTIFACTS / "card-pdf.png")
    texts = _decode(image)
    assert texts == [p.qr_text]
    assert decide(texts[0], trust, None, None, now=NOW + timedelta(hours=1)).allowed


def test_pdf_card_draws_what_the_card_picture_shows(issuer_key: IssuerKey) -> None:
    """The vector page (QR path, frame, text masks) against the 300 dpi picture of the same layout."""
    p = _pass(issuer_key, name="欧阳娜娜")
    page = pypdfium2.PdfDocument(card_pdf(p))[0].render(scale=DPI / 72).to_pil().convert("L")
    drawn = np.asarray(page)[:A6[1], :A6[0]] < 128
    pictured = np.asarray(card_image(p).convert("L")) < 128
    assert drawn.shape == pictured.shape
    # ink where the picture has ink: only the edges of strokes, modules and glyphs may differ by a pixel
    assert (drawn != pictured).mean() < 0.03
    assert drawn.mean() == pytest.approx(pictured.mean(), rel=0.05)
    # the Chinese name is drawn: its line has the picture's ink, and a card without it has none there
    name = next(line for line in layout(p).lines if line.text == "欧阳娜娜")
    band = slice(round(name.y), round(name.y + 7.5 * DPI / 25.4))
    assert drawn[band].sum() > 1000
    assert (drawn[band] != pictured[band]).mean() < 0.05
    other = pypdfium2.PdfDocument(card_pdf(_pass(issuer_key, name="李")))[0].render(scale=DPI / 72).to_pil()
    assert (np.asarray(other.convert("L"))[:A6[1], :A6[0]][band] < 128).sum() < drawn[band].sum() / 2


@pytest.mark.parametrize(("layout_name", "per_page", "size_mm"), [("a6", 1, (105, 148)), ("a4", 4, (210, 297))])
def test_many_cards_in_one_pdf_each_decodes_to_its_pass(issuer_key: IssuerKey, trust: TrustSet, layout_name: str,
                                                        per_page: int, size_mm: tuple[int, int]) -> None:
    cards = [_pass(issuer_key, name=n, document=f"{i:03d}X") for i, n in
             enumerate(["李雷", "韩梅梅", "欧阳娜娜", "Zhang Wei", "龘" * 64])]
    pdf = CardsPdf(layout_name)
    data = pdf.start() + b"".join(pdf.add(p) for p in cards) + pdf.finish()  # how the console streams it
    doc = pypdfium2.PdfDocument(data)
    assert len(doc) == -(-len(cards) // per_page)
    found = []
    for page in doc:
        width_pt, height_pt = page.get_size()
        assert (round(width_pt / 72 * 25.4), round(height_pt / 72 * 25.4)) == size_mm
        codes = zxingcpp.read_barcodes(page.render(scale=150 / 72).to_pil(),  # 150 dpi, a cheap printer
                                       formats=zxingcpp.BarcodeFormat.QRCode)
        codes.sort(key=lambda c: (round(c.position.top_left.y / 300), c.position.top_left.x))
        found.append([c.text for c in codes])
    assert found == [[p.qr_text for p in cards[i:i + per_page]] for i in range(0, len(cards), per_page)]
    assert all(decide(p.qr_text, trust, None, None, now=NOW + timedelta(hours=1)).allowed for p in cards)
    # the header and the note are the same on every card: one image each in the whole PDF
    assert data.count(b"/ImageMask true") == 2 + 4 * len(cards)


def test_card_qr_is_at_least_six_centimetres(issuer_key: IssuerKey) -> None:
    image = card_image(_pass(issuer_key))
    assert image.size == A6
    results = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(results) == 1
    pos = results[0].position
    side_px = pos.top_right.x - pos.top_left.x  # the symbol without its quiet zone
    assert side_px / DPI * 25.4 >= 60
    assert QR_MM >= 60


def test_card_fits_the_longest_name(issuer_key: IssuerKey) -> None:
    image = card_image(_pass(issuer_key, name="龘" * 64))
    assert _decode(image)  # the QR is untouched by an over-long name line


def test_state_order_puts_unusable_passes_first(issuer_key: IssuerKey) -> None:
    later = NOW + timedelta(days=60)
    assert _pass(issuer_key).state(NOW) is PassState.GREEN
    assert _pass(issuer_key, revoked=True, status=Status.RED).state(NOW) is PassState.REVOKED
    assert _pass(issuer_key).state(later) is PassState.EXPIRED
    assert _pass(issuer_key, status=Status.RED).state(NOW) is PassState.RED
    assert _pass(issuer_key, status=Status.YELLOW).state(NOW) is PassState.YELLOW
    q = _pass(issuer_key, quarantine_start=date(2020, 2, 6), quarantine_end=date(2020, 2, 20))
    assert q.state(NOW) is PassState.QUARANTINE
    assert q.state(datetime(2020, 2, 19, 16, 0, tzinfo=UTC)) is PassState.GREEN  # 00:00 on the 20th, Shanghai
    # the city's zone is the pass view's (GatewayConfig.timezone): at the same moment Urumqi is still on the 19th
    west = _pass(issuer_key, quarantine_start=date(2020, 2, 6), quarantine_end=date(2020, 2, 20),
                 tz=ZoneInfo("Asia/Urumqi"))
    assert west.state(datetime(2020, 2, 19, 16, 0, tzinfo=UTC)) is PassState.QUARANTINE
    assert west.state(datetime(2020, 2, 19, 18, 0, tzinfo=UTC)) is PassState.GREEN  # 00:00 on the 20th, Urumqi
    assert q.countdown(NOW, "zh") == "第5天/共14天 — 2月20日起可通行"


def test_revoked_json_carries_no_qr(issuer_key: IssuerKey) -> None:
    body = _pass(issuer_key, revoked=True).to_json(NOW)
    assert body["revoked"] is True and body["state"] == "revoked"
    assert body["qr_text"] is None and body["qr_svg"] is None


def test_unmasked_document_is_refused(issuer_key: IssuerKey) -> None:
    with pytest.raises(ValueError):
        _pass(issuer_key, document="110101199003074578")


def test_countdown_words() -> None:
    start, end = date(2020, 2, 1), date(2020, 2, 15)
    assert countdown(date(2020, 2, 5), start, end, "zh") == "第5天/共14天 — 2月15日起可通行"
    assert countdown(date(2020, 2, 5), start, end, "en") == "day 5 of 14 — you may pass from 15 Feb"
    assert countdown(end, start, end, "zh") is None


@given(start=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
       length=st.integers(min_value=0, max_value=60), offset=st.integers(min_value=-30, max_value=90))
def test_countdown_day_stays_within_the_quarantine(start: date, length: int, offset: int) -> None:
    end = start + timedelta(days=length)
    words = countdown(start + timedelta(days=offset), start, end, "en")
    if start + timedelta(days=offset) >= end:
        assert words is None
    else:
        assert words is not None
        day, total = (int(x) for x in words.split(" — ")[0].removeprefix("day ").split(" of "))
        assert 1 <= day <= total == max(length, 1)
