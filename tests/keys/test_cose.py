"""The hand-built Sig_structure and COSE_Sign1 are exactly cbor2's encodings of the RFC 9052 arrays;
the libsodium signer gives OpenSSL's signature, byte for byte."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from keys import IssuerKey
from keys.cose import COSE_SIGN1_TAG, assemble, sig_structure

LENGTHS = st.sampled_from([b"", b"x" * 23, b"x" * 24, b"x" * 255, b"x" * 256, b"x" * 65535, b"x" * 65536])


@given(st.binary(max_size=300), st.one_of(st.binary(max_size=1000), LENGTHS))
def test_sig_structure_matches_cbor2(protected: bytes, payload: bytes) -> None:
    assert sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])


@given(st.binary(max_size=300), st.one_of(st.binary(max_size=1000), LENGTHS), st.binary(max_size=100))
def test_assemble_matches_cbor2(protected: bytes, payload: bytes, signature: bytes) -> None:
    assert assemble(protected, payload, signature) == cbor2.dumps(
        cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


@given(st.binary(min_size=32, max_size=32), st.binary(max_size=2000))
def test_the_signature_is_openssls(seed: bytes, message: bytes) -> None:
    key = IssuerKey.from_private_bytes(seed)
    assert key.sign(message) == key._private.sign(message)
    key.public_key.verify(key.sign(message), message)
