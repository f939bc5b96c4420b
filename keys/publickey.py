"""Ed25519 public keys from outside (a JWKS, a key set, a pinned root, a phone's key): checked where they enter.

OpenSSL, which verifies our documents (keys/cose.py `verify`), takes any 32 bytes as a key, and
with a small-order one (the identity, 0100…00, say) it accepts a forged signature over any
message; libsodium, which verifies passes, refuses such keys, so a bad key fails late and
obscurely or, for documents, not at all. `check_public_key` refuses, with libsodium's own test
(`crypto_core_ed25519_is_valid_point`), every encoding that is not a canonical point of the
prime-order group: small order, non-canonical (y ≥ 2^255 − 19), off the curve, or with a
small-order part. The message says which; the decision is libsodium's alone.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_core_ed25519_is_valid_point

from .errors import PublicKeyError

KEY_LEN = 32
_P = 2**255 - 19
# the y coordinates of the 8 points of small order (the sign bit of x gives the other of each pair):
# 1 (the identity), p − 1 (order 2), 0 (order 4), and two of order 8; only to name the fault
_SMALL_ORDER_Y = frozenset({1, _P - 1, 0,
                            0x05FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826,
                            0x7A03AC9277FDC74EC6CC392CFA53202A0F67100D760B3CBA4FD84D3D706A17C7})


def check_public_key(raw: object, where: str) -> bytes:
    """`raw` if it is a usable Ed25519 public key, else PublicKeyError naming `where` and the fault."""
    if not isinstance(raw, bytes) or len(raw) != KEY_LEN:
        raise PublicKeyError(where, f"is not a {KEY_LEN}-byte Ed25519 key")
    if crypto_core_ed25519_is_valid_point(raw):
        return raw
    y = int.from_bytes(raw, "little") & (2**255 - 1)
    if y >= _P:
        raise PublicKeyError(where, "is not a canonical Ed25519 key (y is not below 2^255 - 19)")
    if y in _SMALL_ORDER_Y:
        raise PublicKeyError(where, "is an Ed25519 key of small order (it would verify forged signatures)")
    raise PublicKeyError(where, "is not an Ed25519 key of the prime-order group (off the curve, "
                                "or with a small-order part)")


def load_public_key(raw: object, where: str) -> Ed25519PublicKey:
    """As `check_public_key`, the key as `cryptography` uses it."""
    return Ed25519PublicKey.from_public_bytes(check_public_key(raw, where))
