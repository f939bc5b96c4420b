"""Holder-bound codes (QG2): window edges against an offset gate clock, hostile input, size, interop."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import cbor2
import numpy as np
import pytest
import zxingcpp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pycose.keys import OKPKey
from pycose.keys.curves import Ed25519
from pycose.messages import Sign1Message

from keys import (
    HolderAlg, HolderKey, IssuerKey, PassClaims, Reason, RevocationList, SitePolicy, TrustSet, decide,
    issue_pass, make_code,
)
from keys import base45
from keys import holder as qg2
from keys.render import qr_version, render_image
from keys.trust import raw_public

KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate holder test key").digest())
TRUST = TrustSet.of(KEY.public_key)
NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)
T = int(NOW.timestamp())
POLICY = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"]})
REVOKED = RevocationList([b"\x00" * 12], seq=1, issued_at=NOW - timedelta(hours=1))
TYPICAL = PassClaims(name="张伟明华", document="123X", quarantine_end=date(2020, 2, 15),
                     community="KS-C0012", employer="KS-F0042")
ED = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"a phone").digest())
ED_PUB = HolderKey.from_raw("Ed25519", ED.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
P256 = ec.derive_private_key(12345678901234567890, ec.SECP256R1())
P256_PUB = HolderKey.from_raw("ES256", P256.public_key().public_bytes(Encoding.X962,
                                                                     PublicFormat.UncompressedPoint))
SETTINGS = settings(max_examples=200)


def _p256_sign(message: bytes) -> bytes:
    r, s = decode_dss_signature(P256.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def _bound(holder_key: HolderKey = ED_PUB, claims: PassClaims = TYPICAL) -> str:
    return issue_pass(KEY, claims, now=NOW - timedelta(days=1), valid_for=timedelta(days=30),
                      holder_key=holder_key).qr_text


PASS = _bound()
CODE = make_code(PASS, T, ED.sign)
CODE_BYTES = base45.decode(CODE[len(qg2.PREFIX):])


def _reason(text: str | bytes, *, now: datetime = NOW, policy: SitePolicy | None = POLICY) -> Reason:
    decision = decide(text, TRUST, REVOKED, policy, now=now)
    return decision.reason


def test_a_live_code_is_allowed_and_named() -> None:
    decision = decide(CODE, TRUST, REVOKED, POLICY, now=NOW)
    assert decision.allowed and decision.bound and not decision.check_id
    assert decision.holder is not None and decision.holder.name == "张伟明华"
    assert decision.to_json()["bound"] is True and decision.to_json()["notice"] is None


def test_p256_codes_verify_and_ecdsa_signatures_differ_each_time() -> None:
    bound = _bound(P256_PUB)
    one, two = make_code(bound, T, _p256_sign), make_code(bound, T, _p256_sign)
    assert one != two  # ECDSA is randomised; the gate remembers (pass, time), not the text
    assert _reason(one) is Reason.OK and _reason(two) is Reason.OK
    first = decide(one, TRUST, REVOKED, POLICY, now=NOW)
    assert decide(two, TRUST, REVOKED, POLICY, now=NOW, seen={first.code_id}).reason is Reason.CODE_REPLAYED  # type: ignore[arg-type]


@pytest.mark.parametrize("gate_offset", [-3600, -45, 0, 17, 600])
@pytest.mark.parametrize(("age", "reason"), [(-61, Reason.CODE_NOT_YET_VALID), (-60, Reason.OK), (0, Reason.OK),
                                             (90, Reason.OK), (91, Reason.CODE_EXPIRED), (300, Reason.CODE_EXPIRED)])
def test_window_edges_against_an_offset_gate_clock(gate_offset: int, age: int, reason: Reason) -> None:
    # the gate's wall clock is off by gate_offset; the scanner corrects it by the gateway's time, and
    # decide() sees only the corrected time: the window is measured on that, whatever the wall says
    wall = NOW + timedelta(seconds=gate_offset)
    corrected = wall - timedelta(seconds=gate_offset)
    code = make_code(PASS, T - age, ED.sign)
    assert _reason(code, now=corrected) is reason
    if gate_offset and reason is Reason.OK and abs(gate_offset) > 150:
        assert _reason(code, now=wall) is not Reason.OK  # uncorrected, a far-off gate clock refuses


def test_the_window_is_site_policy() -> None:
    tight = SitePolicy.from_json({"kind": "checkpoint", "site": "X", "code_max_age": 30, "code_max_ahead": 0,
                                  "require_temperature": False})
    assert _reason(make_code(PASS, T - 30, ED.sign), policy=tight) is Reason.OK
    assert _reason(make_code(PASS, T - 31, ED.sign), policy=tight) is Reason.CODE_EXPIRED
    assert _reason(make_code(PASS, T + 1, ED.sign), policy=tight) is Reason.CODE_NOT_YET_VALID
    assert _reason(make_code(PASS, T - 89, ED.sign), policy=None) is Reason.OK  # desk check: defaults


def test_static_passes_under_each_policy() -> None:
    static = issue_pass(KEY, TYPICAL, now=NOW - timedelta(days=1), valid_for=timedelta(days=30)).qr_text
    for binding, allowed, check_id in (("off", True, False), ("preferred", True, True),
                                       ("required", False, False)):
        policy = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"],
                                       "holder_binding": binding})
        decision = decide(static, TRUST, REVOKED, policy, now=NOW)
        assert (decision.allowed, decision.check_id) == (allowed, check_id)
        if not allowed:
            assert decision.reason is Reason.BINDING_REQUIRED
        if check_id:
            assert decision.to_json()["notice"] == {"zh": "纸质/静态码：请核对身份证",
                                                    "en": "static code: check the ID card"}
        assert decide(CODE, TRUST, REVOKED, policy, now=NOW).allowed


def test_a_bad_policy_value_is_named() -> None:
    with pytest.raises(ValueError, match="holder_binding"):
        SitePolicy.from_json({"kind": "checkpoint", "site": "X", "holder_binding": "sometimes"})
    with pytest.raises(ValueError, match="code_max_age"):
        SitePolicy.from_json({"kind": "checkpoint", "site": "X", "code_max_age": -1})


def test_holder_keys_are_strict() -> None:
    with pytest.raises(ValueError):
        HolderKey(HolderAlg.ED25519, b"\x00" * 31)
    with pytest.raises(ValueError):
        HolderKey(HolderAlg.ES256, b"\x02" + b"\xff" * 32)  # not on the curve
    with pytest.raises(ValueError):
        HolderKey.from_cnf({1: {1: 1, -1: 6, -2: b"\x00" * 32, 99: 1}})
    assert HolderKey.from_cnf(P256_PUB.to_cnf()) == P256_PUB
    assert HolderKey.from_cnf(ED_PUB.to_cnf()) == ED_PUB


# ---- hostile input: as the QG1 mutation tests do, never raise and never allow

@SETTINGS
@given(st.lists(st.integers(0, len(CODE_BYTES) * 8 - 1), min_size=1, max_size=4, unique=True))
def test_bit_flips_never_allow(bits: list[int]) -> None:
    data = bytearray(CODE_BYTES)
    for bit in bits:
        data[bit // 8] ^= 1 << (bit % 8)
    assert _reason(qg2.PREFIX + base45.encode(bytes(data))) is not Reason.OK


@SETTINGS
@given(st.integers(0, len(CODE_BYTES) - 1), st.booleans())
def test_truncation_never_allows(keep: int, of_text: bool) -> None:
    text = CODE[:len(qg2.PREFIX) + keep] if of_text else qg2.PREFIX + base45.encode(CODE_BYTES[:keep])
    assert _reason(text) is not Reason.OK


@SETTINGS
@given(st.lists(st.tuples(st.integers(len(qg2.PREFIX), len(CODE) - 1), st.sampled_from(base45.ALPHABET)),
                min_size=1, max_size=4))
def test_base45_substitutions_never_allow(edits: list[tuple[int, str]]) -> None:
    text = list(CODE)
    for pos, char in edits:
        text[pos] = char
    mutated = "".join(text)
    if mutated != CODE:
        assert _reason(mutated) is not Reason.OK


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=20)
    | st.binary(max_size=80),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.integers(-70000, 10), inner, max_size=4),
    max_leaves=20)


@SETTINGS
@given(st.one_of(cbor_values, st.tuples(st.just(base45.decode(PASS)), cbor_values, cbor_values).map(list),
                 st.tuples(cbor_values, st.integers(-2**70, 2**70), st.binary(min_size=64, max_size=64)).map(list)))
@example([base45.decode(PASS), T, b"\x00" * 64])
@example([base45.decode(PASS), 2**64, ED.sign(b"x")])
@example([base45.decode(PASS), -1, ED.sign(b"x")])
@example([base45.decode(PASS), T, ED.sign(b"x"), b""])
def test_random_code_bodies_never_raise_or_allow(body: object) -> None:
    assert _reason(qg2.PREFIX + base45.encode(cbor2.dumps(body))) is not Reason.OK


@SETTINGS
@given(st.integers(min_value=0, max_value=qg2.MAX_CODE_TIME))
def test_any_time_value_is_a_clear_reason(time: int) -> None:
    reason = _reason(make_code(PASS, time, ED.sign))
    expected = Reason.OK if -60 <= T - time <= 90 else \
        Reason.CODE_EXPIRED if time < T else Reason.CODE_NOT_YET_VALID
    assert reason is expected


def test_someone_elses_holder_signature_and_a_re_signed_code_are_refused() -> None:
    other = Ed25519PrivateKey.generate()
    assert _reason(make_code(PASS, T, other.sign)) is Reason.BAD_HOLDER_SIGNATURE
    other_pass = _bound(HolderKey.from_raw("Ed25519", other.public_key().public_bytes(Encoding.Raw,
                                                                                       PublicFormat.Raw)))
    their_sig = qg2.read_code(make_code(other_pass, T, other.sign)).signature  # type: ignore[union-attr]
    assert _reason(qg2.encode_code(base45.decode(PASS), T, their_sig)) is Reason.BAD_HOLDER_SIGNATURE
    stranger = IssuerKey.from_private_bytes(b"\x07" * 32)
    forged = issue_pass(stranger, TYPICAL, now=NOW, valid_for=timedelta(days=1), holder_key=ED_PUB).qr_text
    assert _reason(make_code(forged, T, ED.sign)) is Reason.UNKNOWN_KEY


def test_a_holder_bound_pass_is_never_a_qg1_pass() -> None:
    assert _reason("QG1:" + PASS) is Reason.UNREADABLE
    assert _reason(PASS) is Reason.UNREADABLE


# ---- size and interop

def test_typical_code_fits_qr_version_13_at_m_and_reads_back() -> None:
    for key, sign in ((ED_PUB, ED.sign), (P256_PUB, _p256_sign)):
        code = make_code(_bound(key), T, sign)
        version = qr_version(code)
        print(f"typical QG2 code ({key.alg}): {len(code)} characters, QR version {version} at ECC M")
        assert len(code) <= 483 and version <= 13  # 13-M holds 483 alphanumeric characters
        gray = np.asarray(render_image(code, box_size=3).convert("L"))
        read = [r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]
        assert read == [code] and _reason(read[0]) is Reason.OK


def test_the_pass_inside_verifies_with_pycose() -> None:
    code = qg2.read_code(CODE)
    assert code is not None
    msg = Sign1Message.decode(code.pass_bytes)
    msg.key = OKPKey(crv=Ed25519, x=raw_public(KEY.public_key))
    assert msg.verify_signature()
    assert cbor2.loads(msg.payload)[8] == {1: {1: 1, -1: 6, -2: ED_PUB.public}}
