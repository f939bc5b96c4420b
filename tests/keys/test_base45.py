"""Base45 against RFC 9285's examples, and properties of the decoder on any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keys.base45 import ALPHABET, Base45Error, decode, encode


@pytest.mark.parametrize(("raw", "text"), [
    (b"AB", "BB8"),
    (b"Hello!!", "%69 VD92EX0"),
    (b"base-45", "UJCLQE7W581"),
    (b"ietf!", "QED8WEX0"),
    (b"", ""),
    (b"\x00", "00"),
    (b"\xff\xff", "FGW"),
])
def test_rfc9285_examples(raw: bytes, text: str) -> None:
    assert encode(raw) == text
    assert decode(text) == raw


@pytest.mark.parametrize("text", [
    "GGW",        # 65536: a triplet above 16 bits
    "::",         # a pair above 8 bits (44 + 44*45)
    "A",          # dangling character
    "ABCD",
    "abc",        # lower case is not Base45
    "AB\u00e9",
    "AB\ud800",   # a lone surrogate
    "A\x00B",
])
def test_invalid_text_is_refused(text: str) -> None:
    with pytest.raises(Base45Error):
        decode(text)


def test_error_names_the_bad_character() -> None:
    with pytest.raises(Base45Error, match="'a'"):
        decode("0Aa")


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.binary(max_size=600))
def test_round_trip(data: bytes) -> None:
    text = encode(data)
    assert set(text) <= set(ALPHABET)
    assert len(text) == len(data) // 2 * 3 + len(data) % 2 * 2
    assert decode(text) == data


@settings(deadline=None)  # a loaded CI machine must not turn a slow example into a failure
@given(st.text(max_size=300) | st.text(alphabet=ALPHABET, max_size=300))
def test_decode_raises_only_base45error(text: str) -> None:
    try:
        data = decode(text)
    except Base45Error:
        return
    assert encode(data) == text  # whatever decodes is canonical: one text per byte string


def _reference_decode(text: str) -> bytes | None:
    """RFC 9285 section 4.2, one triplet at a time: None where the text is not Base45."""
    if len(text) % 3 == 1 or any(c not in ALPHABET for c in text):
        return None
    out = bytearray()
    for i in range(0, len(text), 3):
        chunk = [ALPHABET.index(c) for c in text[i:i + 3]]
        n = sum(v * 45**k for k, v in enumerate(chunk))
        if n > (0xFFFF if len(chunk) == 3 else 0xFF):
            return None
        out += n.to_bytes(len(chunk) - 1, "big")
    return bytes(out)


@settings(deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300) | st.text(alphabet="FGW:%*+-./ 0", max_size=60)
       | st.binary(max_size=400).map(encode))
def test_decode_matches_the_rfc_one_triplet_at_a_time(text: str) -> None:
    expected = _reference_decode(text)
    try:
        assert decode(text) == expected
    except Base45Error:
        assert expected is None
