"""Number plates (GA 36): every plate of the grammar is read, in any spelling, and nothing else is."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from keys.checkpoint import PLATE_PROVINCES, PlateError, new_energy, normalise_plate

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
province = st.sampled_from(sorted(PLATE_PROVINCES))
office = st.sampled_from(LETTERS)
ordinary = st.text(LETTERS + DIGITS, min_size=5, max_size=5)
small_nev = st.builds(lambda a, b, c: a + b + c, st.sampled_from("ABCDEFGHJK"), st.sampled_from(LETTERS + DIGITS),
                      st.text(DIGITS, min_size=4, max_size=4))
large_nev = st.builds(lambda a, b: a + b, st.text(DIGITS, min_size=5, max_size=5), st.sampled_from("ABCDEFGHJK"))
plates = st.builds(lambda p, o, r: p + o + r, province, office, st.one_of(ordinary, small_nev, large_nev))


@given(plates, st.sampled_from(["", " ", "·", "-"]), st.booleans(), st.booleans())
def test_every_plate_in_any_spelling_is_read_the_same(plate: str, sep: str, lower: bool, wide: bool) -> None:
    spelt = plate[:2] + sep + plate[2:]
    if lower:
        spelt = spelt.lower()
    if wide:  # full-width letters and digits, as a Chinese keyboard types them
        spelt = "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in spelt)
    stored, code = normalise_plate(spelt)
    assert stored == plate and code == PLATE_PROVINCES[plate[0]]
    assert normalise_plate(stored) == (stored, code)
    assert new_energy(stored) == (len(plate) == 8)


@given(st.text(max_size=40))
def test_any_text_is_a_plate_or_a_plate_error(text: str) -> None:
    try:
        stored, code = normalise_plate(text)
    except PlateError as exc:
        assert str(exc)
    else:
        assert stored[0] in PLATE_PROVINCES and code.isdigit() and 7 <= len(stored) <= 8


@pytest.mark.parametrize("bad", ["鄂I12345", "鄂A1234O", "AB12345", "鄂A1234", "鄂A1234567", "台A12345",
                                 "鄂AD1234X", "", "鄂A" + "1" * 30])
def test_not_plates(bad: str) -> None:
    with pytest.raises(PlateError):
        normalise_plate(bad)


def test_hubei_and_a_police_plate() -> None:
    assert normalise_plate("鄂A·12345") == ("鄂A12345", "42")
    assert normalise_plate("苏E 1234警") == ("苏E1234警", "32")
    assert normalise_plate("苏ed12345") == ("苏ED12345", "32")
