"""The holder's public key, as a pass carries it in `cnf` (RFC 8747) and a phone registers it.

Two algorithms, because a phone's browser has one or the other (WebCrypto, key not exportable):
Ed25519 (COSE OKP, crv 6) and ECDSA P-256 with SHA-256 (COSE EC2, crv 1, the point compressed:
`y` is the sign bit, as RFC 9053 allows, 33 bytes instead of 65 on every code).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError

from .publickey import check_public_key

# COSE_Key labels and values (RFC 9052 / RFC 9053)
KTY, CRV, X, Y = 1, -1, -2, -3
KTY_OKP, KTY_EC2 = 1, 2
CRV_P256, CRV_ED25519 = 1, 6
CNF_COSE_KEY = 1  # cnf = {1: COSE_Key}  (RFC 8747)
SIGNATURE_LEN = 64  # Ed25519, and ECDSA P-256 as WebCrypto gives it: r || s, 32 bytes each
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class HolderAlg(StrEnum):
    ED25519 = "Ed25519"
    ES256 = "ES256"  # ECDSA P-256 + SHA-256


@dataclass(frozen=True, slots=True)
class HolderKey:
    """A holder's public key: Ed25519 (32 raw bytes) or P-256 (33-byte compressed SEC1 point)."""

    alg: HolderAlg
    public: bytes

    def __post_init__(self) -> None:
        object.__setattr__(self, "alg", HolderAlg(self.alg))
        self._load()  # raises ValueError for a key that is not on its curve

    def _load(self) -> Ed25519PublicKey | ec.EllipticCurvePublicKey:
        if self.alg is HolderAlg.ED25519:
            if len(self.public) != 32:
                raise ValueError("an Ed25519 holder key is 32 bytes")
            return Ed25519PublicKey.from_public_bytes(self.public)
        if len(self.public) != 33 or self.public[0] not in (2, 3):
            raise ValueError("a P-256 holder key is a 33-byte compressed point")
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.public)

    @classmethod
    def from_raw(cls, alg: str, public: bytes) -> HolderKey:
        """From what WebCrypto exports as "raw": 32 bytes (Ed25519) or a 65-byte P-256 point.

        This is where a phone's key enters: an Ed25519 key of small order or not canonical is
        refused here (PublicKeyError, a ValueError), not when a gate fails to verify with it.
        """
        alg = HolderAlg(alg)
        if alg is HolderAlg.ED25519:
            check_public_key(public, "public_key")
        if alg is HolderAlg.ES256 and len(public) == 65 and public[0] == 4:
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public)
            public = point.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        return cls(alg, public)

    def to_cose(self) -> dict[int, Any]:
        if self.alg is HolderAlg.ED25519:
            return {KTY: KTY_OKP, CRV: CRV_ED25519, X: self.public}
        return {KTY: KTY_EC2, CRV: CRV_P256, X: self.public[1:], Y: self.public[0] == 3}

    def to_cnf(self) -> dict[int, Any]:
        return {CNF_COSE_KEY: self.to_cose()}

    @classmethod
    def from_cnf(cls, cnf: object) -> HolderKey:
        """Strict: exactly `{1: COSE_Key}` with exactly the labels we write; raise ValueError."""
        if not isinstance(cnf, dict) or set(cnf) != {CNF_COSE_KEY}:
            raise ValueError("cnf must be {1: COSE_Key}")
        key = cnf[CNF_COSE_KEY]
        if not isinstance(key, dict):
            raise ValueError("COSE_Key must be a map")
        x = key.get(X)
        if key.get(KTY) == KTY_OKP and key.get(CRV) == CRV_ED25519 and set(key) == {KTY, CRV, X}:
            if not isinstance(x, bytes):
                raise ValueError("x must be bytes")
            return cls(HolderAlg.ED25519, x)
        if key.get(KTY) == KTY_EC2 and key.get(CRV) == CRV_P256 and set(key) == {KTY, CRV, X, Y}:
            y = key.get(Y)
            if not isinstance(x, bytes) or len(x) != 32 or not isinstance(y, bool):
                raise ValueError("a P-256 COSE_Key needs a 32-byte x and the sign bit of y")
            return cls(HolderAlg.ES256, (b"\x03" if y else b"\x02") + x)
        raise ValueError("holder key must be an Ed25519 (OKP) or P-256 (EC2) COSE_Key")

    def verify(self, signature: bytes, message: bytes) -> bool:
        if len(signature) != SIGNATURE_LEN:
            return False
        if self.alg is HolderAlg.ED25519:
            # libsodium, as for the pass (keys/cose.py): about twice as fast, and it refuses
            # small-order keys, with which OpenSSL accepts forged signatures
            try:
                crypto_sign_open(signature + message, self.public)
            except BadSignatureError:
                return False
            return True
        key = self._load()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return False
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not (0 < r < _P256_ORDER and 0 < s < _P256_ORDER):
            return False
        try:
            key.verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True

    def fingerprint(self) -> str:
        """Short, stable name of the key for the audit log and the page (not secret)."""
        return hashlib.sha256(self.public).hexdigest()[:16]
