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
from keys.passes import (CLAIM_QRGATE, CWT_CNF, CWT_CTI, CWT_EXP, CWT_IAT, CWT_ISS, CWT_NBF, MAX_TIME, P_COMMUNITY,
                         P_CLEARED, P_DOC, P_EMPLOYER, P_NAME, P_QEND, P_SCHOOL, P_STATUS,
                         Status, _STATUS_BY_CODE, EPOCH_DAY, VerifiedPass, _check_keys, _reencode,
                         parse_canonical_claims, parse_claims, parse_claims_plain)

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


# --- the claims' re-encoding check: one encoder per thread gives what cbor2.dumps gives -----------

def _dumps_outcome(encode: object, obj: object) -> bytes | str:
    try:
        return encode(obj)  # type: ignore[operator, no-any-return]
    except Exception as exc:
        return type(exc).__name__


@given(st.lists(st.binary(max_size=120) | st.sampled_from([VALID, VALID[20:], b"\xd8\x1c\x81\x00",
                                                            b"\xd8\x1d\x00", b"\xbf\x01\x02\xff"]),
                min_size=1, max_size=8))
def test_the_reused_encoder_encodes_every_decoded_input_as_cbor2_dumps(inputs: list[bytes]) -> None:
    # several in a row: nothing of one encoding (or of one that failed) may reach the next
    for data in inputs:
        try:
            obj = cbor2.loads(data)
        except Exception:
            continue
        assert _dumps_outcome(_reencode, obj) == _dumps_outcome(cbor2.dumps, obj)


def test_a_failed_encoding_leaves_nothing_behind() -> None:
    looped: list[object] = []
    looped.append(looped)  # a cycle: cbor2 refuses it without value sharing
    for _ in range(3):
        assert _dumps_outcome(_reencode, looped) == _dumps_outcome(cbor2.dumps, looped)
        assert _reencode({1: [b"x", "y"]}) == cbor2.dumps({1: [b"x", "y"]})


# --- the holder claim and the CWT checks, written out for speed, refuse exactly what the loops did ---

def _reference_from_cbor(claim: dict) -> PassClaims:
    """PassClaims.from_cbor as first written (da5134e), its holder-field loop included."""
    if not _reference_keys_ok(claim):
        raise ValueError("claim keys must be integers or text")
    code = claim.get(P_STATUS, 0)
    status = _STATUS_BY_CODE.get(code) if isinstance(code, int) and not isinstance(code, bool) else None
    if status is None:
        raise ValueError("status must be 0, 1 or 2")
    qend = None
    if P_QEND in claim:
        day = claim[P_QEND]
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day <= 100_000:
            raise ValueError("quarantine end must be a day number")
        qend = EPOCH_DAY + timedelta(days=day)
    cleared = claim.get(P_CLEARED, False)
    if not isinstance(cleared, bool):
        raise ValueError("cleared must be a bool")
    texts = {}
    for key in (P_NAME, P_DOC, P_COMMUNITY, P_EMPLOYER, P_SCHOOL):
        value = claim.get(key)
        if (key in claim or key in (P_NAME, P_DOC)) and not isinstance(value, str):
            raise ValueError(f"holder field {key} must be text")
        texts[key] = value
    return PassClaims(name=texts[P_NAME], document=texts[P_DOC], status=status, quarantine_end=qend,
                      cleared=cleared, community=texts[P_COMMUNITY], employer=texts[P_EMPLOYER],
                      school=texts[P_SCHOOL])


def _outcome(fn: object, arg: object) -> object:
    try:
        return fn(arg)  # type: ignore[operator]
    except ValueError as exc:
        return f"ValueError: {exc}"


def _reference_keys_ok(claims: dict) -> bool:
    return all((isinstance(k, int) and not isinstance(k, bool)) or isinstance(k, str) for k in claims)


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2**40), st.text(max_size=5), st.binary(max_size=3),
                   st.floats(allow_nan=False))
KEYS = st.one_of(st.integers(-3, 10), st.sampled_from([True, False, 1.0, 2.5, b"k", "k", None]))


@given(st.dictionaries(st.sampled_from([P_NAME, P_DOC, P_COMMUNITY, P_EMPLOYER, P_SCHOOL, P_STATUS, P_QEND,
                                        P_CLEARED, 99]), VALUES, max_size=8)
       | st.fixed_dictionaries({P_NAME: st.text(min_size=1, max_size=3), P_DOC: st.text(max_size=4)},
                               optional={P_COMMUNITY: VALUES, P_EMPLOYER: st.text(min_size=1, max_size=3),
                                         P_SCHOOL: VALUES, P_STATUS: st.integers(0, 3)}))
def test_the_holder_claim_reads_as_before(claim: dict) -> None:
    assert _outcome(PassClaims.from_cbor, claim) == _outcome(_reference_from_cbor, claim)


@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_claim_keys_are_checked_as_before(claims: dict) -> None:
    try:
        _check_keys(claims)
        ok = True
    except ValueError:
        ok = False
    assert ok is _reference_keys_ok(claims)


@given(st.tuples(VALUES, VALUES, VALUES) | st.tuples(*[st.integers(-1, MAX_TIME)] * 3))
def test_the_three_times_are_checked_as_before(times: tuple) -> None:
    claims = {CWT_ISS: "QG", CWT_IAT: times[0], CWT_NBF: times[1], CWT_EXP: times[2], CWT_CTI: b"s" * 12,
              CLAIM_QRGATE: {P_NAME: "n", P_DOC: "d"}}
    expected = all(isinstance(t, int) and not isinstance(t, bool) and 0 <= t < MAX_TIME for t in times)
    outcome = _outcome(lambda payload: parse_claims(payload).issued_at.timestamp(), cbor2.dumps(claims))
    assert outcome == (times[0] if expected else "ValueError: iat, nbf and exp must be integer seconds")


# --- the claims as issued: parse_canonical_claims reads what the plain path reads, or leaves it to it ---

def _claims_agree(payload: bytes) -> VerifiedPass | None:
    fast = parse_canonical_claims(payload)
    if fast is not None:
        assert fast == parse_claims_plain(payload)
    # whichever path reads it, parse_claims accepts and refuses exactly what the plain path does
    assert _any_outcome(parse_claims, payload) == _any_outcome(parse_claims_plain, payload)
    return fast


def _any_outcome(fn: object, arg: object) -> object:
    try:
        return fn(arg)  # type: ignore[operator]
    except Exception as exc:  # the plain path raises cbor2's errors too
        return f"{type(exc).__name__}: {exc}"


PAYLOAD = cose.parse(VALID).payload
HOLDERS = st.builds(PassClaims, name=st.text(min_size=1, max_size=64), document=st.text(max_size=4),
                    status=st.sampled_from(list(Status)),
                    quarantine_end=st.none() | st.dates(EPOCH_DAY, EPOCH_DAY + timedelta(days=100_000)),
                    cleared=st.booleans(), community=st.none() | st.text(min_size=1, max_size=64),
                    employer=st.none() | st.text(min_size=1, max_size=64),
                    school=st.none() | st.text(min_size=1, max_size=64))


@given(HOLDERS, st.datetimes(datetime(1971, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
       st.integers(60, 366 * 86400), st.text(min_size=1, max_size=30))
def test_every_issued_pass_takes_the_claims_fast_path(holder: PassClaims, now: datetime, seconds: int,
                                                      issuer: str) -> None:
    text = issue_pass(KEY, holder, now=now, valid_for=timedelta(seconds=seconds), issuer=issuer).qr_text
    fast = _claims_agree(cose.parse(base45.decode(text[4:])).payload)
    assert fast is not None and fast.holder == holder


@given(st.lists(st.tuples(st.integers(0, len(PAYLOAD) - 1), st.integers(0, 255)), min_size=1, max_size=3))
def test_claims_with_overwritten_bytes(edits: list[tuple[int, int]]) -> None:
    data = bytearray(PAYLOAD)
    for pos, value in edits:
        data[pos] = value
    _claims_agree(bytes(data))


@given(st.integers(0, len(PAYLOAD)), st.binary(max_size=20), st.integers(0, 20))
def test_claims_with_inserted_removed_and_appended_bytes(pos: int, inserted: bytes, removed: int) -> None:
    _claims_agree(PAYLOAD[:pos] + inserted + PAYLOAD[pos + removed:])
    _claims_agree(PAYLOAD[:pos])
    _claims_agree(PAYLOAD + inserted)


CLAIM_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 2**64 - 1), st.integers(0, 30),
                         st.text(max_size=70), st.binary(max_size=13), st.floats(allow_nan=False))
HOLDER_MAPS = st.dictionaries(st.integers(0, 10) | st.sampled_from(["k", -1]), CLAIM_VALUES, max_size=9) \
    | st.fixed_dictionaries({P_NAME: st.text(min_size=1, max_size=3), P_DOC: st.text(max_size=5)},
                            optional={P_STATUS: st.integers(0, 3), P_QEND: st.integers(0, 100_001),
                                      P_CLEARED: CLAIM_VALUES, P_COMMUNITY: CLAIM_VALUES,
                                      P_EMPLOYER: st.text(max_size=3), P_SCHOOL: CLAIM_VALUES, 9: CLAIM_VALUES})
TIMES = st.integers(0, 2**33) | st.sampled_from([0, 23, 24, 255, 256, 0xFFFF, 0x10000, 2**32 - 1, 2**32,
                                                 MAX_TIME - 1, MAX_TIME])


@given(st.fixed_dictionaries({CWT_ISS: st.text(max_size=30) | CLAIM_VALUES, CWT_EXP: TIMES, CWT_NBF: TIMES,
                              CWT_IAT: TIMES, CWT_CTI: st.binary(min_size=11, max_size=13) | CLAIM_VALUES,
                              CLAIM_QRGATE: HOLDER_MAPS},
                             optional={2: CLAIM_VALUES, CWT_CNF: CLAIM_VALUES}),
       st.booleans(), st.randoms(use_true_random=False))
def test_any_claims_map_in_any_order(claims: dict, canonical: bool, random: object) -> None:
    if not canonical:  # the issuer's own key order is the plain path's too: shuffle it
        items = list(claims.items())
        random.shuffle(items)  # type: ignore[attr-defined]
        claims = dict(items)
    _claims_agree(cbor2.dumps(claims, canonical=canonical))


NEAR_TIMES = st.integers(0x10000 - 2, 2**32 + 1) | st.sampled_from([0xFFFF, 0x10000, 2**32 - 1, 2**32])


@given(st.fixed_dictionaries(
    {CWT_ISS: st.text(max_size=30), CWT_EXP: NEAR_TIMES, CWT_NBF: NEAR_TIMES, CWT_IAT: NEAR_TIMES,
     CWT_CTI: st.binary(min_size=11, max_size=13),
     CLAIM_QRGATE: st.fixed_dictionaries({P_NAME: st.text(max_size=70), P_DOC: st.text(max_size=5)},
                                         optional={P_STATUS: st.integers(0, 3), P_QEND: st.integers(99_999, 100_001)
                                                   | st.integers(0, 30), P_CLEARED: st.booleans(),
                                                   P_COMMUNITY: st.text(max_size=70), P_EMPLOYER: st.text(max_size=70),
                                                   P_SCHOOL: st.text(max_size=70)})}))
def test_claims_maps_near_the_issued_shape(claims: dict) -> None:
    # the edges: texts of 0, 23, 24, 64 and 65 characters, times and days at their heads' limits
    _claims_agree(cbor2.dumps(claims, canonical=True))


def test_other_claims_are_left_to_the_plain_path() -> None:
    claims = cbor2.loads(PAYLOAD)
    assert _claims_agree(PAYLOAD) is not None
    assert _claims_agree(cbor2.dumps(dict(reversed(claims.items())))) is None  # another order
    assert _claims_agree(cbor2.dumps({**claims, CWT_IAT: 60}, canonical=True)) is None  # a time in one byte
    assert _claims_agree(cbor2.dumps({**claims, 2: "sub"}, canonical=True)) is None  # a key we do not write
    assert _claims_agree(PAYLOAD[:-1]) is None  # a text head longer than what follows
    assert _claims_agree(b"") is None
