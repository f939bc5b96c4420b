"""decide() on hostile input: mutated or random QR texts never raise and never allow."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import cbor2
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from keys import IssuerKey, PassClaims, Reason, RevocationList, SitePolicy, TrustSet, decide, issue_pass
from keys import base45, cose
from keys.passes import PREFIX

KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate property test key").digest())
TRUST = TrustSet.of(KEY.public_key)
NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)
POLICY = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"]})
REVOKED = RevocationList([b"\x00" * 12], seq=1, issued_at=NOW - timedelta(hours=1))
VALID = issue_pass(KEY, PassClaims(name="张伟明华", document="123X", quarantine_end=date(2020, 2, 15),
                                   community="KS-C0012", employer="KS-F0042"),
                   now=NOW - timedelta(days=1), valid_for=timedelta(days=30)).qr_text
VALID_BYTES = base45.decode(VALID[len(PREFIX):])
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _decide(text: str | bytes) -> Reason:
    decision = decide(text, TRUST, REVOKED, POLICY, now=NOW, temperature=36.5)
    return decision.reason if not decision.allowed else Reason.OK


def test_the_unmutated_pass_is_allowed() -> None:
    assert _decide(VALID) is Reason.OK
    assert _decide(VALID.encode()) is Reason.OK


@SETTINGS
@given(st.lists(st.integers(0, len(VALID_BYTES) * 8 - 1), min_size=1, max_size=4, unique=True))
def test_bit_flips_never_allow(bits: list[int]) -> None:
    data = bytearray(VALID_BYTES)
    for bit in bits:
        data[bit // 8] ^= 1 << (bit % 8)
    assert _decide(PREFIX + base45.encode(bytes(data))) is not Reason.OK


@SETTINGS
@given(st.integers(0, len(VALID_BYTES) - 1), st.booleans())
def test_truncation_never_allows(keep: int, of_text: bool) -> None:
    text = VALID[:len(PREFIX) + keep] if of_text else PREFIX + base45.encode(VALID_BYTES[:keep])
    assert _decide(text) is not Reason.OK


@SETTINGS
@given(st.lists(st.tuples(st.integers(len(PREFIX), len(VALID) - 1), st.sampled_from(base45.ALPHABET)),
                min_size=1, max_size=4))
def test_base45_substitutions_never_allow(edits: list[tuple[int, str]]) -> None:
    text = list(VALID)
    for pos, char in edits:
        text[pos] = char
    mutated = "".join(text)
    if mutated != VALID:
        assert _decide(mutated) is not Reason.OK


@SETTINGS
@given(st.text(max_size=600) | st.text(alphabet=base45.ALPHABET, max_size=600).map(lambda t: PREFIX + t))
@example("")
@example(PREFIX)
@example("QG1:" + "0" * 5000)
@example(VALID + "\x00")
@example(" " + VALID + "\n")  # decoders keep no whitespace; tolerated, still a valid pass
def test_random_text_never_raises_or_allows(text: str) -> None:
    reason = _decide(text)
    assert reason is not Reason.OK or text.strip() == VALID


@SETTINGS
@given(st.binary(max_size=600) | st.binary(max_size=600).map(lambda b: PREFIX.encode() + b))
@example(b"\xff" * 5000)
def test_random_bytes_never_raise_or_allow(data: bytes) -> None:
    assert _decide(data) is not Reason.OK


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.integers(-70000, 10) | st.text(max_size=3),
                                                              inner, max_size=5),
    max_leaves=25)


@SETTINGS
@given(st.binary(max_size=400) | cbor_values.map(cbor2.dumps))
def test_random_cose_bodies_never_raise_or_allow(body: bytes) -> None:
    assert _decide(PREFIX + base45.encode(body)) is not Reason.OK
    wrapped = cbor2.dumps(cbor2.CBORTag(18, [cose.encode_protected(KEY.kid), {}, body, b"\x00" * 64]))
    assert _decide(PREFIX + base45.encode(wrapped)) is not Reason.OK


@SETTINGS
@given(cbor_values | st.dictionaries(st.sampled_from([1, 4, 5, 6, 7, 8, -65537]), cbor_values, max_size=7))
def test_signed_but_arbitrary_claims_never_raise(claims: object) -> None:
    # even a payload our own key signed must not crash the gate when it is not a pass
    payload = cbor2.dumps(claims)
    protected = cose.encode_protected(KEY.kid)
    text = PREFIX + base45.encode(cose.assemble(protected, payload, KEY.sign(cose.sig_structure(protected,
                                                                                              payload))))
    decision = decide(text, TRUST, REVOKED, POLICY, now=NOW)
    assert decision.reason is not Reason.BAD_SIGNATURE
    if decision.allowed:  # only a well-formed pass can be admitted
        assert decision.holder is not None and decision.serial is not None


def test_hostile_cbor_inside_a_valid_prefix() -> None:
    hostile = [
        b"\x81" * 2000 + b"\x00",                    # deep nesting
        b"\xd2\x84\x5b" + b"\xff" * 8,                # a byte string claiming 2**64 bytes
        b"\xd2\x84\x9f" * 100,                        # unterminated indefinite arrays
        b"\xd8\x23\x65(a*)*",                         # a regular-expression tag
        b"\xc5\x82\x1b" + b"\x7f" * 8 + b"\x01",      # a bigfloat with an absurd exponent
        b"\xd2\x84\x40\xa0\x40\x58\x40" + bytes(64),  # empty protected header
    ]
    for data in hostile:
        assert _decide(PREFIX + base45.encode(data)) is Reason.UNREADABLE


FIRM = {"kind": "factory", "site": "KS-F0042", "employers": ["KS-F0042"]}


@SETTINGS
@given(st.one_of(st.none(), st.datetimes(datetime(2000, 1, 1), datetime(2099, 1, 1), timezones=st.just(UTC))),
       st.booleans())
def test_a_firm_awaiting_approval_is_closed_whatever_open_from_says(open_from: datetime | None,
                                                                     approved: bool) -> None:
    """Required and not approved: site_closed at any opening time; approved: exactly as without the flag."""
    opening = {"open_from": open_from.isoformat()} if open_from else {}
    plain = SitePolicy.from_json({**FIRM, **opening})
    gated = SitePolicy.from_json({**FIRM, **opening, "resumption_required": True, "resumption_approved": approved})
    without = decide(VALID, TRUST, REVOKED, plain, now=NOW, temperature=36.5)
    found = decide(VALID, TRUST, REVOKED, gated, now=NOW, temperature=36.5)
    if approved:
        assert (found.allowed, found.reason) == (without.allowed, without.reason)
    else:
        assert not found.allowed and found.reason is Reason.SITE_CLOSED
    assert SitePolicy.from_json(gated.to_json()) == gated


def test_a_policy_needing_no_approval_keeps_its_json_form() -> None:
    assert "resumption_required" not in SitePolicy.from_json(FIRM).to_json()
    assert SitePolicy.from_json({**FIRM, "resumption_required": False}).to_json() == SitePolicy.from_json(FIRM).to_json()
