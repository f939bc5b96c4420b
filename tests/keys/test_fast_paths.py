"""The gate's fast paths give exactly what the plain code gives: one per shortcut, both ways."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from keys import IssuerKey, PassClaims, base45, cose, issue_pass
from keys.decide import _midnight
from keys.passes import Status

# zones whose clocks jumped at or around midnight (Brazil, Cuba, Chile, Iran, Lebanon) and ours
ZONES = [ZoneInfo(z) for z in ("Asia/Shanghai", "America/Sao_Paulo", "America/Havana", "America/Santiago",
                               "Asia/Tehran", "Asia/Beirut", "Europe/Berlin", "Pacific/Apia", "UTC")]


@given(st.dates(date(1970, 1, 2), date(2037, 12, 31)), st.sampled_from(ZONES),
       st.integers(-3 * 3600 * 10**6, 3 * 3600 * 10**6), st.sampled_from(ZONES))
def test_the_cached_local_midnight_orders_like_the_local_one(day: date, tz: ZoneInfo, offset_us: int,
                                                             now_tz: ZoneInfo) -> None:
    local = datetime.combine(day, time(0), tzinfo=tz)
    now = (local.astimezone(UTC) + timedelta(microseconds=offset_us)).astimezone(now_tz)
    assert (now < _midnight(day, tz)) == (now < local)
    assert _midnight(day, tz).tzinfo is UTC


# --- the COSE_Sign1 envelope: parse_canonical reads what parse reads, or leaves it to parse ---------

KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate fast path key").digest())
NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)
VALID = base45.decode(issue_pass(KEY, PassClaims(name="张伟明华", document="123X", community="KS-C0012"),
                                 now=NOW - timedelta(days=1), valid_for=timedelta(days=30)).qr_text[4:])


def _same_as_parse(data: bytes) -> cose.Sign1 | None:
    fast = cose.parse_canonical(data)
    if fast is not None:
        assert fast == cose.parse(data)
    return fast


@given(st.text(min_size=1, max_size=64), st.text(max_size=4), st.sampled_from(list(Status)),
       st.one_of(st.none(), st.text(min_size=1, max_size=64)), st.integers(60, 366 * 86400))
def test_every_issued_pass_takes_the_fast_path(name: str, doc: str, status: Status, code: str | None,
                                               seconds: int) -> None:
    holder = PassClaims(name=name, document=doc, status=status, community=code, employer=code, school=code)
    text = issue_pass(KEY, holder, now=NOW, valid_for=timedelta(seconds=seconds)).qr_text
    assert _same_as_parse(base45.decode(text[4:])) is not None


@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=3))
def test_overwritten_bytes(edits: list[tuple[int, int]]) -> None:
    data = bytearray(VALID)
    for pos, value in edits:
        data[pos] = value
    _same_as_parse(bytes(data))


@given(st.integers(0, len(VALID)), st.binary(max_size=40), st.integers(0, 40))
def test_inserted_removed_and_appended_bytes(pos: int, inserted: bytes, removed: int) -> None:
    _same_as_parse(VALID[:pos] + inserted + VALID[pos + removed:])
    _same_as_parse(VALID[:pos])
    _same_as_parse(VALID + inserted)


@given(st.binary(max_size=300), st.integers(0, 0x1FF), st.sampled_from([0x40, 0x58, 0x59, 0x5A, 0x5F]))
def test_any_payload_under_any_payload_head(payload: bytes, size: int, head: int) -> None:
    prefix = VALID[:17]
    heads = {0x40: bytes((0x40 + min(size, 23),)), 0x58: bytes((0x58, size & 0xFF)),
             0x59: b"\x59" + size.to_bytes(2, "big"), 0x5A: b"\x5a" + size.to_bytes(4, "big"), 0x5F: b"\x5f"}
    data = prefix + heads[head] + payload + VALID[-66:]
    fast = _same_as_parse(data)
    if fast is not None:  # only the shortest head of the payload's true length
        assert data == prefix + cose._bstr_head(len(fast.payload)) + fast.payload + VALID[-66:]


def test_other_envelopes_are_left_to_parse() -> None:
    sign1 = cose.parse(VALID)
    assert cose.parse_canonical(VALID) == sign1
    assert cose.parse_canonical(VALID[1:]) is None  # untagged: parse decides
    protected = cose.encode_protected(sign1.kid, content_type=60)
    assert cose.parse_canonical(cose.assemble(protected, sign1.payload, sign1.signature)) is None
    assert cose.parse_canonical(cbor2.dumps(cbor2.CBORTag(18, [sign1.protected_raw, {4: b"x"}, sign1.payload,
                                                              sign1.signature]))) is None
    assert cose.parse_canonical(b"") is None
