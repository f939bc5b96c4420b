"""The trust set: issuer public keys by kid, and its JWKS form (RFC 7517, RFC 8037).

Beside the trusted keys a trust set names the withdrawn ones (so a gate can say `key_withdrawn`
rather than `unknown_key`) and, for a retired key, the moment its trust ends.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .errors import DocumentError, PublicKeyError
from .publickey import load_public_key

MAX_KEYS = 256


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: object) -> bytes:
    if not isinstance(text, str) or len(text) > 4096:
        raise ValueError("not a base64url string")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def kid_for(public_key: Ed25519PublicKey) -> bytes:
    """kid = the first 8 bytes of SHA-256 over the raw 32-byte public key."""
    return hashlib.sha256(raw_public(public_key)).digest()[:8]


class TrustSet(Mapping[bytes, Ed25519PublicKey]):
    """Immutable map kid -> Ed25519 public key."""

    __slots__ = ("_keys", "_raw", "withdrawn", "until")

    def __init__(self, keys: Mapping[bytes, Ed25519PublicKey] | None = None, *,
                 withdrawn: Iterable[bytes] = (), until: Mapping[bytes, datetime] | None = None) -> None:
        self._keys = dict(keys or {})
        # the 32 raw bytes are what libsodium verifies with (decide); computed once, not per pass
        self._raw = {kid: raw_public(key) for kid, key in self._keys.items()}
        self.withdrawn: frozenset[bytes] = frozenset(withdrawn) - self._keys.keys()
        self.until: dict[bytes, datetime] = {k: v for k, v in (until or {}).items() if k in self._keys}
        if any(v.tzinfo is None for v in self.until.values()):
            raise ValueError("trusted-until times must be timezone-aware")

    def raw_key(self, kid: bytes) -> bytes | None:
        """The raw 32-byte public key of `kid`, or None if it is not trusted."""
        return self._raw.get(kid)

    @classmethod
    def of(cls, *public_keys: Ed25519PublicKey) -> TrustSet:
        return cls({kid_for(k): k for k in public_keys})

    def __getitem__(self, kid: bytes) -> Ed25519PublicKey:
        return self._keys[kid]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        gone = f", withdrawn={sorted(k.hex() for k in self.withdrawn)}" if self.withdrawn else ""
        return f"TrustSet({sorted(k.hex() for k in self._keys)}{gone})"

    def trusts(self, kid: bytes, now: datetime) -> Ed25519PublicKey | None:
        """The key for `kid` if it is trusted at `now` (a retired key's trust ends by itself)."""
        end = self.until.get(kid)
        return None if end is not None and now >= end else self._keys.get(kid)

    def trusted_raw(self, kid: bytes, now: datetime) -> bytes | None:
        """As `trusts`, the raw 32 bytes (what decide verifies with)."""
        end = self.until.get(kid)
        return None if end is not None and now >= end else self._raw.get(kid)

    def to_jwks(self) -> dict[str, Any]:
        keys: list[dict[str, Any]] = []
        for kid, key in sorted(self._keys.items()):
            jwk: dict[str, Any] = {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                                   "kid": b64url(kid), "x": b64url(raw_public(key))}
            if kid in self.until:
                jwk["trusted_until"] = self.until[kid].isoformat()
            keys.append(jwk)
        out: dict[str, Any] = {"keys": keys}
        if self.withdrawn:
            out["withdrawn"] = [{"kid": b64url(kid)} for kid in sorted(self.withdrawn)]
        return out

    @classmethod
    def from_jwks(cls, jwks: object) -> TrustSet:
        """Build from a JWKS; raise DocumentError naming what is wrong."""
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise DocumentError("JWKS must be an object with a 'keys' list")
        if len(jwks["keys"]) > MAX_KEYS:
            raise DocumentError(f"JWKS holds more than {MAX_KEYS} keys")
        keys: dict[bytes, Ed25519PublicKey] = {}
        until: dict[bytes, datetime] = {}
        for i, jwk in enumerate(jwks["keys"]):
            if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
                raise DocumentError(f"keys[{i}] is not an OKP Ed25519 key")
            try:
                raw = b64url_decode(jwk.get("x"))
            except (ValueError, TypeError):
                raise DocumentError(f"keys[{i}].x is not a 32-byte Ed25519 key in base64url") from None
            try:
                key = load_public_key(raw, f"keys[{i}].x")
            except PublicKeyError as exc:
                raise DocumentError(str(exc)) from None
            kid = kid_for(key)
            if "kid" in jwk and jwk["kid"] != b64url(kid):
                raise DocumentError(f"keys[{i}].kid does not match its key")
            keys[kid] = key
            if "trusted_until" in jwk:
                until[kid] = _aware(jwk["trusted_until"], f"keys[{i}].trusted_until")
        withdrawn = jwks.get("withdrawn", [])
        if not isinstance(withdrawn, list) or len(withdrawn) > MAX_KEYS:
            raise DocumentError(f"'withdrawn' must be a list of at most {MAX_KEYS} entries")
        gone: set[bytes] = set()
        for i, entry in enumerate(withdrawn):
            try:
                kid = b64url_decode(entry.get("kid") if isinstance(entry, dict) else None)
            except (ValueError, TypeError):
                kid = b""
            if len(kid) != 8:
                raise DocumentError(f"withdrawn[{i}].kid is not an 8-byte key id")
            gone.add(kid)
        return cls(keys, withdrawn=gone, until=until)


def _aware(value: object, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise DocumentError(f"{where} is not an ISO 8601 time with an offset")
    return moment
