"""Cross-checks with code we did not write: pycose for COSE, pyzbar and zxing-cpp for the QR image."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, date, datetime, timedelta

import cbor2
import numpy as np
import pytest
import zxingcpp
from PIL import Image
from pycose.algorithms import EdDSA
from pycose.headers import KID, Algorithm
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message
from pyzbar.pyzbar import ZBarSymbol
from pyzbar.pyzbar import decode as zbar_decode

from keys import IssuerKey, PassClaims, Reason, SitePolicy, TrustSet, decide, issue_pass
from keys import base45
from keys.passes import DEFAULT_ISSUER, PREFIX
from keys.render import qr_version, render_image, render_png, render_svg
from keys.trust import raw_public

SEED = hashlib.sha256(b"qrgate interop test key").digest()
KEY = IssuerKey.from_private_bytes(SEED)
TRUST = TrustSet.of(KEY.public_key)
NOW = datetime(2020, 2, 15, 1, 0, tzinfo=UTC)
TYPICAL = PassClaims(name="张伟明华", document="123X", quarantine_end=date(2020, 2, 15),
                     community="KS-C0012", employer="KS-F0042")
POLICY = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"]})


def _issue(claims: PassClaims = TYPICAL) -> str:
    return issue_pass(KEY, claims, now=NOW - timedelta(days=1), valid_for=timedelta(days=30)).qr_text


def _public_okp() -> OKPKey:
    return OKPKey(crv=Ed25519, x=raw_public(KEY.public_key))


def test_our_pass_verifies_with_pycose() -> None:
    issued = issue_pass(KEY, TYPICAL, now=NOW, valid_for=timedelta(days=30), serial=bytes(range(12)))
    msg = Sign1Message.decode(base45.decode(issued.qr_text[len(PREFIX):]))
    msg.key = _public_okp()
    assert msg.verify_signature()
    assert msg.phdr[Algorithm] is EdDSA and msg.phdr[KID] == KEY.kid
    claims = cbor2.loads(msg.payload)
    iat = int(NOW.timestamp())
    assert {k: claims[k] for k in (1, 4, 5, 6, 7)} == {1: DEFAULT_ISSUER, 4: iat + 30 * 86400, 5: iat, 6: iat,
                                                       7: bytes(range(12))}
    assert claims[-65537] == {1: "张伟明华", 2: "123X", 4: (date(2020, 2, 15) - date(1970, 1, 1)).days,
                              6: "KS-C0012", 7: "KS-F0042"}  # status absent = green


def test_a_tampered_pass_fails_pycose_too() -> None:
    data = bytearray(base45.decode(_issue()[len(PREFIX):]))
    data[40] ^= 0x01  # inside the payload
    msg = Sign1Message.decode(bytes(data))
    msg.key = _public_okp()
    assert not msg.verify_signature()


def test_a_pycose_signed_pass_passes_our_decide() -> None:
    iat = int((NOW - timedelta(days=1)).timestamp())
    payload = cbor2.dumps({1: "qrgate", 6: iat, 5: iat, 4: iat + 86400 * 30, 7: b"pycose-made!",
                           -65537: {1: "赵敏", 2: "9981", 3: 0, 6: "KS-C0012"}})
    msg = Sign1Message(phdr={Algorithm: EdDSA, KID: KEY.kid}, payload=payload)
    msg.key = OKPKey(crv=Ed25519, d=SEED, x=raw_public(KEY.public_key))
    qr_text = PREFIX + base45.encode(msg.encode())
    decision = decide(qr_text, TRUST, None, POLICY, now=NOW)
    assert (decision.allowed, decision.reason) == (True, Reason.OK)
    assert decision.holder is not None and decision.holder.name == "赵敏"
    assert decision.serial == b"pycose-made!"
    other = Sign1Message(phdr={Algorithm: EdDSA, KID: KEY.kid}, payload=payload)
    other.key = OKPKey(crv=Ed25519, d=hashlib.sha256(b"another key").digest())
    forged = PREFIX + base45.encode(other.encode())
    assert decide(forged, TRUST, None, POLICY, now=NOW).reason is Reason.BAD_SIGNATURE


def test_typical_pass_fits_qr_version_9_at_m() -> None:
    qr_text = _issue()
    version = qr_version(qr_text)
    print(f"typical pass: {len(qr_text)} characters, QR version {version} at ECC M")
    assert len(qr_text) <= 263  # version 9-M alphanumeric capacity (version 10-M: 311, the limit)
    assert version <= 9


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"))


@pytest.mark.parametrize("claims", [TYPICAL, PassClaims(name="A" * 64, document="0000", school="S" * 64,
                                                         community="C" * 64, employer="E" * 64)],
                         ids=["typical", "largest fields"])
def test_round_trip_through_a_png(claims: PassClaims) -> None:
    qr_text = _issue(claims)
    png = render_png(qr_text, box_size=4)
    assert png.startswith(b"\x89PNG")
    gray = _pixels(png)
    zbar = [s.data.decode("ascii") for s in zbar_decode(Image.fromarray(gray), symbols=[ZBarSymbol.QRCODE])]
    zx = [r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]
    assert zbar == [qr_text] and zx == [qr_text]
    for text in (zbar[0], zx[0]):
        assert decide(text, TRUST, None, None, now=NOW).reason is Reason.OK


def test_render_image_and_svg() -> None:
    qr_text = _issue()
    image = render_image(qr_text, box_size=3)
    gray = np.asarray(image.convert("L"))
    assert [r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)] == [qr_text]
    svg = render_svg(qr_text)
    assert svg.lstrip().startswith("<") and "<svg" in svg and "path" in svg
