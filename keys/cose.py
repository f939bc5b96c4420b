"""COSE_Sign1 (RFC 9052) with EdDSA/Ed25519 only; private to keys/."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

COSE_SIGN1_TAG = 18
HDR_ALG = 1
HDR_CONTENT_TYPE = 3
HDR_KID = 4
ALG_EDDSA = -8


class CoseFormatError(ValueError):
    """Not a well-formed COSE_Sign1 of the kind we accept."""


@dataclass(frozen=True, slots=True)
class Sign1:
    protected_raw: bytes
    protected: dict[int, Any]
    unprotected: dict[Any, Any]
    payload: bytes
    signature: bytes

    @property
    def kid(self) -> bytes:
        return self.protected[HDR_KID]

    def verify(self, public_key: Ed25519PublicKey) -> bool:
        try:
            public_key.verify(self.signature, sig_structure(self.protected_raw, self.payload))
        except InvalidSignature:
            return False
        return True

    def verify_raw(self, public_key: bytes) -> bool:
        """Verify with libsodium, given the raw 32-byte key: the gate's path (about 2x OpenSSL here).

        libsodium also refuses small-order keys and R values, which no honest signer produces.
        """
        try:
            crypto_sign_open(self.signature + sig_structure(self.protected_raw, self.payload), public_key)
        except BadSignatureError:
            return False
        return True


_SIG1_HEAD = b"\x84\x6aSignature1"  # array(4), text(10) "Signature1"


def _bstr_head(length: int) -> bytes:
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return b"\x58" + length.to_bytes(1, "big")
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


def sig_structure(protected_raw: bytes, payload: bytes) -> bytes:
    """CBOR of ["Signature1", protected, h'', payload], built directly: it is on every gate decision."""
    return b"".join((_SIG1_HEAD, _bstr_head(len(protected_raw)), protected_raw, b"\x40",
                     _bstr_head(len(payload)), payload))


@lru_cache(maxsize=256)  # one per signing key: the gateway signs a time document per sync
def encode_protected(kid: bytes, content_type: int | str | None = None) -> bytes:
    hdr: dict[int, Any] = {HDR_ALG: ALG_EDDSA, HDR_KID: kid}
    if content_type is not None:
        hdr[HDR_CONTENT_TYPE] = content_type
    return cbor2.dumps(hdr, canonical=True)


_SIGN1_HEAD = b"\xd2\x84"  # tag(18) COSE_Sign1, array(4)


def assemble(protected_raw: bytes, payload: bytes, signature: bytes) -> bytes:
    """CBOR of 18([protected, {}, payload, signature]), built directly as sig_structure is: the
    bytes cbor2 gives (tests/keys/test_cose.py), in a third of its time."""
    return b"".join((_SIGN1_HEAD, _bstr_head(len(protected_raw)), protected_raw, b"\xa0",
                     _bstr_head(len(payload)), payload, _bstr_head(len(signature)), signature))


def parse(data: bytes) -> Sign1:
    """Parse a tagged COSE_Sign1; raise CoseFormatError on anything unexpected.

    Checks the structure only: a pass goes through `parse_pass`, and `documents.open_document`
    compares a document with its own re-assembly, so each has one encoding.
    """
    try:
        obj = cbor2.loads(data)
    except Exception as exc:  # cbor2 raises many types on hostile input
        raise CoseFormatError(f"not CBOR: {type(exc).__name__}") from None
    if isinstance(obj, cbor2.CBORTag):
        if obj.tag != COSE_SIGN1_TAG:
            raise CoseFormatError("not a COSE_Sign1 tag")
        obj = obj.value
    if not isinstance(obj, list) or len(obj) != 4:
        raise CoseFormatError("COSE_Sign1 must be an array of four")
    protected_raw, unprotected, payload, signature = obj
    if not isinstance(protected_raw, bytes) or not isinstance(payload, bytes):
        raise CoseFormatError("protected header and payload must be byte strings")
    if not isinstance(signature, bytes) or len(signature) != 64:
        raise CoseFormatError("Ed25519 signature must be 64 bytes")
    if not isinstance(unprotected, dict):
        raise CoseFormatError("unprotected header must be a map")
    try:
        protected = cbor2.loads(protected_raw) if protected_raw else {}
    except Exception:
        raise CoseFormatError("protected header is not CBOR") from None
    if not isinstance(protected, dict):
        raise CoseFormatError("protected header must be a map")
    if protected.get(HDR_ALG) != ALG_EDDSA:
        raise CoseFormatError("algorithm must be EdDSA (-8)")
    kid = protected.get(HDR_KID)
    if not isinstance(kid, bytes) or len(kid) != 8:
        raise CoseFormatError("kid must be 8 bytes in the protected header")
    return Sign1(protected_raw, protected, unprotected, payload, signature)


_CANONICAL_HEAD = b"\xd2\x84\x4d\xa2\x01\x27\x04\x48"  # tag 18, array(4), bstr(13) {1: -8, 4: bstr(8)
_EMPTY_MAP = 0xA0
_SIGNATURE_HEAD = b"\x58\x40"  # bstr(64)


def parse_canonical(data: bytes) -> Sign1 | None:
    """The deterministic encoding of a pass's COSE_Sign1, read by slicing; None for any other bytes.

    Tag 18, [bstr {1: -8, 4: kid}, {}, bstr payload, bstr(64) signature], shortest heads, nothing
    after: what `issue_pass` writes. It reads what `parse` would read, several times faster (this
    is on every gate decision); None leaves the verdict to `parse` (tests/keys/test_fast_paths.py).
    """
    if data[:8] != _CANONICAL_HEAD or len(data) < 84 or data[16] != _EMPTY_MAP:
        return None
    head = data[17]
    if head < 0x58:
        size, start = head - 0x40, 18
        if size < 0:
            return None
    elif head == 0x58:
        size, start = data[18], 19
        if size < 24:
            return None
    elif head == 0x59:
        size, start = data[18] << 8 | data[19], 20
        if size < 0x100:
            return None
    else:  # a payload of 64 KiB or more does not fit in a QR text
        return None
    end = start + size
    if len(data) != end + 66 or data[end:end + 2] != _SIGNATURE_HEAD:
        return None
    return Sign1(data[3:16], {HDR_ALG: ALG_EDDSA, HDR_KID: data[8:16]}, {}, data[start:end], data[end + 2:])


def parse_pass(data: bytes) -> Sign1:
    """Parse the one accepted encoding of a pass's COSE_Sign1 (docs/pass-format.md, "One encoding").

    Accepted: exactly what `parse_canonical` reads — tag 18 + array(4) [bstr {1: -8, 4: kid}, {},
    bstr payload, bstr(64)], every head in its shortest form, nothing after it. Anything else
    raises CoseFormatError saying what is wrong.
    """
    fast = parse_canonical(data)
    if fast is not None:
        return fast
    if data[:2] != b"\xd2\x84":
        raise CoseFormatError("a pass must start with tag 18 and an array of four")
    sign1 = parse(data)
    if sign1.protected_raw != _CANONICAL_HEAD[3:] + sign1.kid:
        raise CoseFormatError("protected header must be exactly {1: -8, 4: kid}, nothing else (no crit)")
    if sign1.unprotected:
        raise CoseFormatError("unprotected header must be empty")
    raise CoseFormatError("trailing bytes or a re-encoded COSE_Sign1 (not the deterministic encoding)")
