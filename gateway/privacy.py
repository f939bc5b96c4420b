"""Personal data at rest: AES-GCM for document and phone numbers, HMAC for look-ups, masks.

The data key (64 random bytes: 32 for AES-256-GCM, 32 for HMAC-SHA256) lives in
DATA/data.key, mode 0600. Losing it makes stored numbers unreadable; back it up with the database.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import NoReturn

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 64
NONCE_BYTES = 12


class PrivacyCipher:
    """Encrypts and keys-hashes one field at a time; the field name is bound into both."""

    __slots__ = ("_aead", "_mac_key")

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the data key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key[:32])
        self._mac_key = key[32:]

    def __repr__(self) -> str:
        return "PrivacyCipher(key='**********')"

    def __reduce__(self) -> NoReturn:
        raise TypeError("a PrivacyCipher cannot be pickled")

    @classmethod
    def from_file(cls, path: Path) -> PrivacyCipher:
        """Load DATA/data.key, creating it (mode 0600) on first use."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(KEY_BYTES))
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise ValueError(f"{path} is not a qrgate data key ({KEY_BYTES} bytes)")
        return cls(key)

    def encrypt(self, field: str, value: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, field: str, blob: bytes) -> str:
        return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode()).decode()

    def lookup(self, field: str, value: str) -> str:
        return hmac.new(self._mac_key, f"{field}\x00{value}".encode(), hashlib.sha256).hexdigest()


def mask_document(number: str) -> str:
    """3205**********123X: four characters kept at each end (fewer for short numbers)."""
    keep = 4 if len(number) >= 12 else max(1, len(number) // 4)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[-keep:]


def mask_phone(phone: str) -> str:
    """138****5678: three kept at the start and four at the end."""
    if len(phone) < 8:
        return "*" * (len(phone) - 2) + phone[-2:]
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
