"""The gate verifies with libsodium (PyNaCl), documents with OpenSSL (cryptography): they must agree."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st

from keys import IssuerKey, PassClaims, Reason, TrustSet, decide, issue_pass
from keys import base45, cose
from keys.passes import PREFIX
from keys.trust import raw_public

KEYS = [IssuerKey.from_private_bytes(hashlib.sha256(b"sodium %d" % i).digest()) for i in range(3)]
ORDER = 2**252 + 27742317777372353535851937790883648493  # the order L of the Ed25519 base point
NOW = datetime(2020, 2, 20, 9, 0, tzinfo=UTC)


def _sign1(key: IssuerKey, payload: bytes, signature: bytes | None = None) -> cose.Sign1:
    protected = cose.encode_protected(key.kid)
    sig = signature if signature is not None else key.sign(cose.sig_structure(protected, payload))
    return cose.Sign1(protected, {1: -8, 4: key.kid}, {}, payload, sig)


def _both(sign1: cose.Sign1, public: Ed25519PublicKey) -> tuple[bool, bool]:
    return sign1.verify(public), sign1.verify_raw(raw_public(public))


@given(st.sampled_from(range(len(KEYS))), st.binary(max_size=400))
def test_genuine_signatures_verify_both_ways(k: int, payload: bytes) -> None:
    assert _both(_sign1(KEYS[k], payload), KEYS[k].public_key) == (True, True)


@given(st.sampled_from(range(len(KEYS))), st.binary(min_size=1, max_size=300),
       st.lists(st.integers(0, 64 * 8 + 300 * 8 - 1), min_size=1, max_size=3, unique=True),
       st.sampled_from(range(len(KEYS))))
def test_altered_signature_payload_or_key_agree(k: int, payload: bytes, bits: list[int], other: int) -> None:
    genuine = _sign1(KEYS[k], payload)
    sig, data = bytearray(genuine.signature), bytearray(payload)
    for bit in bits:
        byte = bit // 8
        if byte < 64:
            sig[byte] ^= 1 << (bit % 8)
        elif byte - 64 < len(data):
            data[byte - 64] ^= 1 << (bit % 8)
    altered = _sign1(KEYS[k], bytes(data), bytes(sig))
    openssl, sodium = _both(altered, KEYS[other].public_key)
    assert openssl == sodium
    assert sodium == (bytes(sig) == genuine.signature and bytes(data) == payload and other == k)


@given(st.binary(min_size=64, max_size=64), st.binary(max_size=200))
def test_random_signatures_agree(signature: bytes, payload: bytes) -> None:
    assert _both(_sign1(KEYS[0], payload, signature), KEYS[0].public_key) == (False, False)


def test_non_canonical_s_is_refused_both_ways() -> None:
    genuine = _sign1(KEYS[0], b"payload")
    s = int.from_bytes(genuine.signature[32:], "little") + ORDER  # same point, second encoding of S
    malleated = _sign1(KEYS[0], b"payload", genuine.signature[:32] + s.to_bytes(32, "little"))
    assert _both(malleated, KEYS[0].public_key) == (False, False)


def test_a_degenerate_trusted_key_admits_no_forgery() -> None:
    # the identity point as a "public key": OpenSSL accepts R = [S]B for any message, libsodium
    # refuses small-order keys, so such a key in a trust set can never admit anyone at the gate
    identity = Ed25519PublicKey.from_public_bytes(bytes([1]) + bytes(31))
    base_point = bytes.fromhex("58" + "66" * 31)
    forged = base_point + (1).to_bytes(32, "little")
    kid = b"\x00" * 8
    protected = cose.encode_protected(kid)
    qr_text = issue_pass(KEYS[0], PassClaims(name="张伟", document="123X"), now=NOW - timedelta(days=1),
                         valid_for=timedelta(days=30)).qr_text
    claims = cose.parse(base45.decode(qr_text[len(PREFIX):])).payload
    sign1 = cose.Sign1(protected, {1: -8, 4: kid}, {}, claims, forged)
    assert _both(sign1, identity) == (True, False)
    text = PREFIX + base45.encode(cose.assemble(protected, claims, forged))
    assert decide(text, TrustSet({kid: identity}), None, None, now=NOW).reason is Reason.BAD_SIGNATURE


@given(st.binary(max_size=200), st.lists(st.integers(0, 64 * 8 - 1), max_size=2, unique=True),
       st.booleans())
def test_a_holder_key_verifies_with_libsodium_as_openssl_would(message: bytes, bits: list[int],
                                                                other_message: bool) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from keys.holderkey import HolderAlg, HolderKey

    private = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"holder").digest())
    holder = HolderKey(HolderAlg.ED25519, raw_public(private.public_key()))
    signature = bytearray(private.sign(message))
    for bit in bits:
        signature[bit // 8] ^= 1 << (bit % 8)
    checked = message + b"!" if other_message else message
    try:
        private.public_key().verify(bytes(signature), checked)
        openssl = True
    except Exception:
        openssl = False
    assert holder.verify(bytes(signature), checked) is openssl
    assert openssl is (not bits and not other_message)


def test_a_degenerate_holder_key_admits_no_forgery() -> None:
    from keys.holderkey import HolderAlg, HolderKey

    forged = bytes.fromhex("58" + "66" * 31) + (1).to_bytes(32, "little")  # R = B, S = 1
    assert HolderKey(HolderAlg.ED25519, bytes([1]) + bytes(31)).verify(forged, b"any code") is False
