"""The zxing-cpp renderer against the `qrcode` one it replaced: same text and ECC level, read by real decoders."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import qrcode
import qrcode.constants
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode
from qrcode.util import MODE_ALPHA_NUM, QRData

from keys import IssuerKey, PassClaims, issue_pass
from keys.render import modules, qr_version, render_image, render_png, render_svg

KEY = IssuerKey.from_private_bytes(bytes(range(32)))
NOW = datetime(2020, 2, 15, 1, 0, tzinfo=UTC)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _pass(name: str = "张伟明华", document: str = "123X", **codes: str) -> str:
    return issue_pass(KEY, PassClaims(name=name, document=document, **codes), now=NOW,
                      valid_for=timedelta(days=30)).qr_text


def _old(text: str, mask: int | None = None) -> qrcode.QRCode:
    """What keys/render.py did before: `qrcode`, ECC M, one alphanumeric segment for a pass."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=1, border=0,
                       mask_pattern=mask)
    qr.add_data(QRData(text, mode=MODE_ALPHA_NUM) if all(c in ALNUM for c in text) else text)
    qr.make(fit=True)
    return qr


def _read(gray: np.ndarray) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)


def _svg_pixels(svg: str) -> np.ndarray:
    """Rasterise our own path syntax (one `Mx,yhWv1h-Wz` rectangle per run), one pixel per module."""
    side = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))  # type: ignore[union-attr]
    img = np.full((side, side), 255, np.uint8)
    for x, y, w in re.findall(r"M(\d+),(\d+)h(\d+)v1h-\3z", svg):
        img[int(y), int(x):int(x) + int(w)] = 0
    return img


names = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=12)
codes = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=24)


@settings(max_examples=40)
@given(name=names, document=st.from_regex(r"[0-9]{3}[0-9X]", fullmatch=True), school=codes, employer=codes)
def test_any_pass_reads_back_exactly_at_ecc_m_and_never_a_larger_version(
        name: str, document: str, school: str, employer: str) -> None:
    text = _pass(name, document, school=school, employer=employer)
    gray = np.asarray(render_image(text, box_size=3).convert("L"))
    (found,) = _read(gray)
    assert found.text == text and found.ec_level == "M"
    assert qr_version(text) == int(found.extra["Version"]) <= _old(text).version
    assert [s.data.decode("ascii") for s in zbar_decode(Image.fromarray(gray), symbols=[ZBarSymbol.QRCODE])] == [text]


@pytest.mark.parametrize("claims", [{}, {"community": "KS-C0012", "employer": "KS-F0042"},
                                    {"school": "S" * 64, "community": "C" * 64, "employer": "E" * 64}])
def test_a_pass_is_the_old_symbol_module_for_module_given_the_same_mask(claims: dict[str, str]) -> None:
    # the only freedom left between the two writers is the mask: with zxing-cpp's mask, `qrcode`
    # draws the very same modules (same mode, same codewords, same ECC blocks)
    text = _pass(**claims)
    new = modules(text)
    (found,) = _read(np.asarray(render_image(text, box_size=2).convert("L")))
    old = np.array(_old(text, mask=int(found.extra["DataMask"])).get_matrix(), bool)
    assert old.shape == new.shape and (old == new).all()


def test_png_image_and_svg_draw_the_same_modules_with_their_quiet_zone() -> None:
    text = _pass()
    side = modules(text).shape[0] + 8
    png = np.asarray(Image.open(io.BytesIO(render_png(text, box_size=4))).convert("L"))
    image = np.asarray(render_image(text, box_size=4).convert("L"))
    svg = render_svg(text, box_size=4)
    assert png.shape == image.shape == (side * 4, side * 4) and (png == image).all()
    assert svg.startswith("<svg ") and f'width="{side * 4 / 10:g}mm"' in svg
    one = _svg_pixels(svg)
    assert (one == image[::4, ::4]).all() and (one[:4] == 255).all()  # white quiet zone
    big = np.kron(one, np.ones((3, 3), np.uint8))
    assert [b.text for b in _read(big)] == [text]


def test_lowercase_and_chinese_texts_also_read_back() -> None:
    for text in ("http://127.0.0.1:8080/enrol?token=qge_abcXYZ", "张三 1234"):
        assert [b.text for b in _read(np.asarray(render_image(text, box_size=3).convert("L")))] == [text]


@pytest.mark.parametrize("text, box, border", [("", 10, 4), ("A", 0, 4), ("A", 10, -1), ("A" * 5000, 10, 4)])
def test_bad_arguments_are_value_errors(text: str, box: int, border: int) -> None:
    with pytest.raises(ValueError):
        render_png(text, box, border)
    with pytest.raises(ValueError):
        render_svg(text, box, border)
