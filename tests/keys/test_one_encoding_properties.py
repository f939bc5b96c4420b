"""One encoding per pass (docs/pass-format.md, "One encoding"): property tests.

For a valid pass every other encoding of the same COSE_Sign1 and every appended byte or
character is refused; claims of any wrong type, signed by a trusted key, are refused.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from keys import IssuerKey, PassClaims, Reason, TrustSet, decide, issue_pass
from keys import base45, cose
from keys.decide import WEDGE_SUFFIXES
from keys.passes import PREFIX, SERIAL_LEN

KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate one-encoding property key").digest())
TRUST = TrustSet.of(KEY.public_key)
NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)
ISSUED = NOW - timedelta(days=1)
VALID = issue_pass(KEY, PassClaims(name="张伟明华", document="123X", community="KS-C0012"),
                   now=ISSUED, valid_for=timedelta(days=30)).qr_text
VALID_BYTES = base45.decode(VALID[len(PREFIX):])
SIGN1 = cose.parse(VALID_BYTES)
MANY = settings(max_examples=400)


def _reason(text: str | bytes) -> Reason:
    return decide(text, TRUST, None, None, now=NOW).reason


def _qr(data: bytes) -> str:
    return PREFIX + base45.encode(data)


def test_the_pass_and_its_wedge_suffixes_are_allowed() -> None:
    assert _reason(VALID) is Reason.OK
    for suffix in WEDGE_SUFFIXES:
        assert _reason(VALID + suffix) is Reason.OK
        assert _reason((VALID + suffix).encode()) is Reason.OK


def test_the_issuer_writes_deterministic_cbor() -> None:
    # RFC 8949 4.2.1: re-encoding the decoded claims canonically gives the signed bytes back
    assert cbor2.dumps(cbor2.loads(SIGN1.payload), canonical=True) == SIGN1.payload
    assert cbor2.dumps(cbor2.CBORTag(18, [SIGN1.protected_raw, {}, SIGN1.payload, SIGN1.signature]),
                       canonical=True) == VALID_BYTES


# --- every re-encoding of the outer CBOR -----------------------------------------------------

_WIDTHS = {1: 0x18, 2: 0x19, 4: 0x1A, 8: 0x1B}


def _head(draw: st.DrawFn, major: int, value: int) -> bytes:
    """A CBOR head for `value`: shortest, or any longer width that can hold it."""
    widths = [w for w in _WIDTHS if value < 1 << (8 * w)]
    choice = draw(st.sampled_from(["shortest", *widths]))
    if choice == "shortest":
        return _shortest(major, value)
    return bytes((major << 5 | _WIDTHS[choice],)) + value.to_bytes(choice, "big")


def _shortest(major: int, value: int) -> bytes:
    if value < 24:
        return bytes((major << 5 | value,))
    for width in _WIDTHS:
        if value < 1 << (8 * width):
            return bytes((major << 5 | _WIDTHS[width],)) + value.to_bytes(width, "big")
    raise AssertionError(value)


def _bstr(draw: st.DrawFn, value: bytes) -> bytes:
    if not draw(st.booleans()):  # indefinite length: chunks of definite byte strings
        cuts = sorted(draw(st.lists(st.integers(0, len(value)), max_size=3)))
        chunks = [value[a:b] for a, b in zip([0, *cuts], [*cuts, len(value)], strict=True)]
        return b"\x5f" + b"".join(_head(draw, 2, len(c)) + c for c in chunks) + b"\xff"
    return _head(draw, 2, len(value)) + value


@st.composite
def reencodings(draw: st.DrawFn) -> bytes:
    protected = _bstr(draw, SIGN1.protected_raw)
    unprotected = draw(st.sampled_from([b"\xa0", b"\xb8\x00", b"\xbf\xff"]))
    items = protected + unprotected + _bstr(draw, SIGN1.payload) + _bstr(draw, SIGN1.signature)
    array = b"\x9f" + items + b"\xff" if draw(st.booleans()) else _head(draw, 4, 4) + items
    tag = draw(st.sampled_from([b"", b"\xd2", b"\xd8\x12", b"\xd9\x00\x12", b"\xd2\xd2"]))
    return tag + array


@MANY
@given(reencodings())
def test_every_reencoding_is_refused(data: bytes) -> None:
    expected = Reason.OK if data == VALID_BYTES else Reason.UNREADABLE
    assert _reason(_qr(data)) is expected


# --- every appended byte or character --------------------------------------------------------

@MANY
@given(st.binary(min_size=1, max_size=16))
@example(b"\x00")
@example(VALID_BYTES)
def test_every_appended_byte_is_refused(tail: bytes) -> None:
    assert _reason(_qr(VALID_BYTES + tail)) is Reason.UNREADABLE


@MANY
@given(st.text(min_size=1, max_size=8), st.booleans())
@example(" ", False)
@example("\u3000", True)
@example("\n\n", False)
def test_every_other_character_around_the_text_is_refused(extra: str, before: bool) -> None:
    assume(before or extra not in WEDGE_SUFFIXES)
    assert _reason(extra + VALID if before else VALID + extra) is Reason.UNREADABLE


# --- claims of any wrong type, correctly signed ----------------------------------------------

cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(1 << 70), 1 << 70) | st.floats() | st.text(max_size=8)
    | st.binary(max_size=16),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.integers(-3, 9) | st.text(max_size=2), inner, max_size=3),
    max_leaves=6)


def _is_int(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(value: object, high: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= high


# (where, key) -> is this value of the right type (and in range)?
FIELDS: dict[tuple[str, int], Any] = {
    ("claims", 1): lambda v: isinstance(v, str),
    ("claims", 4): lambda v: _is_int(v, 0, 253_402_300_799),
    ("claims", 5): lambda v: _is_int(v, 0, 253_402_300_799),
    ("claims", 6): lambda v: _is_int(v, 0, 253_402_300_799),
    ("claims", 7): lambda v: isinstance(v, bytes) and len(v) == SERIAL_LEN,
    ("claims", -65537): lambda v: False,  # a generated value is never a whole valid holder claim
    ("holder", 1): lambda v: _text(v, 64),
    ("holder", 2): lambda v: isinstance(v, str) and len(v) <= 4,
    ("holder", 3): lambda v: _is_int(v, 0, 2),
    ("holder", 4): lambda v: _is_int(v, 0, 100_000),
    ("holder", 5): lambda v: isinstance(v, bool),
    ("holder", 6): lambda v: _text(v, 64),
    ("holder", 7): lambda v: _text(v, 64),
    ("holder", 8): lambda v: _text(v, 64),
}


def _signed(payload: bytes) -> str:
    protected = cose.encode_protected(KEY.kid)
    return _qr(cose.assemble(protected, payload, KEY.sign(cose.sig_structure(protected, payload))))


@MANY
@given(st.sampled_from(sorted(FIELDS)), cbor_values)
@example(("holder", 3), False)
@example(("holder", 3), 0.0)
@example(("holder", 4), None)
@example(("holder", 6), None)
@example(("claims", 4), 1_600_000_000.0)
def test_claims_of_any_wrong_type_are_refused(field: tuple[str, int], value: object) -> None:
    assume(not FIELDS[field](value))
    claims = cbor2.loads(SIGN1.payload)
    where, key = field
    (claims if where == "claims" else claims[-65537])[key] = value
    assert _reason(_signed(cbor2.dumps(claims))) is Reason.UNREADABLE


@MANY
@given(cbor_values)
def test_a_payload_that_is_not_a_claims_map_is_refused(value: object) -> None:
    assume(not isinstance(value, dict))
    assert _reason(_signed(cbor2.dumps(value))) is Reason.UNREADABLE
