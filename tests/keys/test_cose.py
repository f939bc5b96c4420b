"""The hand-built Sig_structure is exactly cbor2's encoding of the RFC 9052 array."""

from __future__ import annotations

import cbor2
from hypothesis import given
from hypothesis import strategies as st

from keys.cose import sig_structure


@given(st.binary(max_size=300), st.one_of(st.binary(max_size=1000), st.sampled_from([b"", b"x" * 23, b"x" * 24,
                                                                                      b"x" * 255, b"x" * 256, b"x" * 65536])))
def test_sig_structure_matches_cbor2(protected: bytes, payload: bytes) -> None:
    assert sig_structure(protected, payload) == cbor2.dumps(["Signature1", protected, b"", payload])
