"""Ed25519 public keys from outside are refused where they enter (keys/publickey.py), with a precise error:
the 8 small-order points, non-canonical and mixed-order encodings, a point off the curve
(tests/vectors/ed25519-refused-keys.json), in a JWKS, a key set, a pinned root and a phone's key;
every generated key is accepted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from hypothesis import given
from hypothesis import strategies as st
from nacl.bindings import crypto_core_ed25519_add

from keys import DocumentError, HolderKey, IssuerKey, KeySet, TrustSet, accept_keyset
from keys.cose import Sign1
from keys.errors import PublicKeyError
from keys.keyset import TrustedKey, read_unsigned, sign_keyset, unsigned_keyset
from keys.publickey import check_public_key
from keys.trust import b64url, raw_public

VECTORS = Path(__file__).resolve().parents[1] / "vectors"
REFUSED = json.loads((VECTORS / "ed25519-refused-keys.json").read_text())["keys"]
BAD = [k for k in REFUSED if k["fault"] != "none"]
SMALL = [bytes.fromhex(k["key"]) for k in REFUSED if k["fault"] == "small_order"]
WORDS = {"small_order": "of small order", "non_canonical": "not a canonical", "mixed_order": "prime-order group",
         "off_curve": "prime-order group"}
ROOT = IssuerKey.from_private_bytes(bytes(range(32)))
T0 = datetime(2020, 2, 1, tzinfo=UTC)


def _ids(keys: list[dict[str, Any]]) -> list[str]:
    return [k["name"] for k in keys]


def _jwk(raw: bytes) -> dict[str, Any]:
    return {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": b64url(raw)}]}


def test_the_vectors_are_what_they_say() -> None:
    identity = SMALL[0]
    assert len(SMALL) == len(set(SMALL)) == 8
    for point in SMALL:  # eight times each is the identity (libsodium's own addition)
        for _ in range(3):
            point = crypto_core_ed25519_add(point, point)
        assert point == identity
    assert sum(1 for k in REFUSED if k["fault"] == "non_canonical") == 38  # y = p .. 2^255 - 1, either sign


@pytest.mark.parametrize("case", BAD, ids=_ids(BAD))
def test_each_refused_key_is_refused_naming_the_field_and_the_fault(case: dict[str, Any]) -> None:
    raw = bytes.fromhex(case["key"])
    with pytest.raises(PublicKeyError) as caught:
        check_public_key(raw, "keys[0].x")
    assert caught.value.where == "keys[0].x" and WORDS[case["fault"]] in str(caught.value)
    assert str(caught.value).startswith("keys[0].x is ")

    with pytest.raises(DocumentError, match=r"^keys\[0\]\.x is .*" + WORDS[case["fault"]]):
        TrustSet.from_jwks(_jwk(raw))
    with pytest.raises(PublicKeyError, match="^public_key is"):
        HolderKey.from_raw("Ed25519", raw)


def test_wrong_lengths_and_types_are_refused_as_such() -> None:
    for value in (b"", b"\x01" * 31, b"\x01" * 33, "01" * 32, None):
        with pytest.raises(PublicKeyError, match="is not a 32-byte Ed25519 key"):
            check_public_key(value, "x")


def _keyset(*keys: bytes, next_root: bytes | None = None) -> KeySet:
    return KeySet(1, T0, T0 + timedelta(days=30), tuple(TrustedKey(k) for k in keys), next_root=next_root)


@pytest.mark.parametrize("raw", SMALL, ids=[k.hex()[:8] for k in SMALL])
def test_a_key_set_with_a_small_order_key_or_root_is_refused(raw: bytes) -> None:
    good = raw_public(IssuerKey.from_private_bytes(b"\x07" * 32).public_key)
    root = raw_public(ROOT.public_key)
    with pytest.raises(DocumentError, match=r"key set: keys\[1\]\.x is an Ed25519 key of small order"):
        accept_keyset(sign_keyset(ROOT, _keyset(good, raw)), [], root, None, now=None)
    with pytest.raises(DocumentError, match="key set: next_root is an Ed25519 key of small order"):
        accept_keyset(sign_keyset(ROOT, _keyset(good, next_root=raw)), [], root, None, now=None)
    with pytest.raises(DocumentError, match="key set: keys.1..x is an Ed25519 key of small order"):
        read_unsigned(unsigned_keyset(_keyset(good, raw)))  # an export for an offline root: refused too
    # a gate enrolled with a small-order "root" (a forged enrolment answer) pins nothing
    with pytest.raises(DocumentError, match="key set: the pinned root is an Ed25519 key of small order"):
        accept_keyset(sign_keyset(ROOT, _keyset(good)), [], raw, None, now=None)


def test_a_small_order_key_would_have_verified_a_forgery_through_openssl() -> None:
    """Why documents need the check: OpenSSL (document signatures) verifies R = [S]B under the identity."""
    forged = Sign1(b"\xa1\x01\x27", {}, {}, b"any payload", bytes.fromhex("58" + "66" * 31) + (1).to_bytes(32, "little"))
    identity = Ed25519PublicKey.from_public_bytes(SMALL[0])
    assert forged.verify(identity) and not forged.verify_raw(SMALL[0])
    with pytest.raises(DocumentError):
        TrustSet.from_jwks(_jwk(SMALL[0]))


@given(st.binary(min_size=32, max_size=32))
def test_every_generated_key_is_accepted_everywhere(seed: bytes) -> None:
    key = IssuerKey.from_private_bytes(seed)
    raw = raw_public(key.public_key)
    assert check_public_key(raw, "x") == raw
    trust = TrustSet.from_jwks(TrustSet.of(key.public_key).to_jwks())
    assert trust.raw_key(key.kid) == raw
    assert HolderKey.from_raw("Ed25519", raw).public == raw
    accepted = accept_keyset(sign_keyset(key, _keyset(raw, next_root=raw)), [], raw, None, now=None)
    assert accepted.keyset.keys[0].x == raw


@given(st.binary(min_size=32, max_size=32))
def test_any_32_bytes_are_a_key_or_one_precise_refusal(raw: bytes) -> None:
    try:
        check_public_key(raw, "x")
    except PublicKeyError as exc:
        assert str(exc).startswith("x is ") and exc.where == "x"
        if int.from_bytes(raw, "little") & (2**255 - 1) >= 2**255 - 19:
            assert "not a canonical" in exc.message
