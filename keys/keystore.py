"""Issuer keys on disk: encrypted PKCS#8, rotation and withdrawal.

Folder layout (mode 0700):
    keys.json        metadata: kid, created, state, trusted_until (no secrets)
    <kid-hex>.pem    the private key, PKCS#8 encrypted with the passphrase (mode 0600)
    passphrase       only when no passphrase is given by the environment (mode 0600)

The passphrase comes, in this order, from QRGATE_KEY_PASSPHRASE,
from the file named by QRGATE_KEY_PASSPHRASE_FILE (e.g. a systemd credential),
or from `passphrase` in the key folder, created only together with the folder's first key:
for keys that exist, a missing passphrase is an error, never a new random one. See docs/keys.md.
"""

from __future__ import annotations

import builtins
import json
import os
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    PrivateFormat,
    load_pem_private_key,
)
from nacl.bindings import crypto_sign, crypto_sign_seed_keypair

from .errors import KeyStoreError, PassphraseError
from .secret import Secret
from .trust import TrustSet, b64url, b64url_decode, kid_for, raw_public

ACTIVE, RETIRED, WITHDRAWN = "active", "retired", "withdrawn"
DEFAULT_MAX_PASS_VALIDITY = timedelta(days=30)


class IssuerKey:
    """A signing key. Its private part never appears in repr, str or logs.

    Signs with libsodium: Ed25519 signatures are deterministic, so the bytes are OpenSSL's, in
    about 70 % of its time (16 us against 22 here) — the gateway signs a time document per sync.
    """

    __slots__ = ("_private", "_sodium", "public_key", "kid")

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self._sodium = crypto_sign_seed_keypair(private.private_bytes_raw())[1]  # seed + public key
        self.public_key: Ed25519PublicKey = private.public_key()
        self.kid: bytes = kid_for(self.public_key)

    @classmethod
    def generate(cls) -> IssuerKey:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_private_bytes(cls, raw: bytes) -> IssuerKey:
        return cls(Ed25519PrivateKey.from_private_bytes(raw))

    def sign(self, data: bytes) -> bytes:
        return crypto_sign(data, self._sodium)[:64]  # crypto_sign answers signature + message

    def encrypted_pem(self, passphrase: Secret) -> bytes:
        return self._private.private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(passphrase.reveal())
        )

    def __repr__(self) -> str:
        return f"IssuerKey(kid={self.kid.hex()})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("an IssuerKey cannot be pickled")


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    x: str  # the raw public key, base64url
    created: str
    state: str
    trusted_until: str | None = None
    reason: str | None = None  # why a withdrawn key was withdrawn


def resolve_passphrase(folder: Path, *, create: bool = False, env: str = "QRGATE_KEY_PASSPHRASE",
                       filename: str = "passphrase") -> Secret:
    """Find a passphrase (see the module docstring for the order).

    `create` (only when the folder gets its first key) writes a random one to `filename`;
    otherwise a missing passphrase raises KeyStoreError naming the variable, and nothing is written.
    """
    if value := os.environ.get(env):
        return Secret(value)
    if path := os.environ.get(env + "_FILE"):
        try:
            return Secret(Path(path).read_text().strip())
        except OSError as exc:
            raise PassphraseError(f"cannot read {env}_FILE: {exc.strerror}") from None
    file = folder / filename
    if not file.exists():
        if not create:
            raise PassphraseError(f"no passphrase for the keys in {folder}: set {env} (or {env}_FILE)")
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        _write_private(file, secrets.token_urlsafe(32).encode())
    return Secret(file.read_text().strip())


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class KeyStore:
    """The issuer key folder. Not thread-safe: one process administers it at a time."""

    def __init__(self, folder: Path, passphrase: Secret | None = None,
                 max_pass_validity: timedelta = DEFAULT_MAX_PASS_VALIDITY) -> None:
        self.folder = Path(folder)
        self._passphrase = passphrase
        self.max_pass_validity = max_pass_validity
        self._cache: dict[str, IssuerKey] = {}

    def __repr__(self) -> str:
        return f"KeyStore({str(self.folder)!r})"

    @property
    def passphrase(self) -> Secret:
        if self._passphrase is None:
            self._passphrase = resolve_passphrase(self.folder, create=not self.exists())
        return self._passphrase

    # metadata -------------------------------------------------------------
    def _meta_path(self) -> Path:
        return self.folder / "keys.json"

    def exists(self) -> bool:
        return self._meta_path().exists()

    def list(self) -> list[KeyInfo]:
        if not self.exists():
            raise KeyStoreError(f"no key folder at {self.folder}: run 'qrgate keys init' first")
        try:
            raw = json.loads(self._meta_path().read_text())
            return [KeyInfo(**item) for item in raw["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"{self._meta_path()} is corrupt: {exc}") from None

    def _save(self, infos: builtins.list[KeyInfo]) -> None:
        data = json.dumps({"keys": [asdict(i) for i in infos]}, indent=2).encode()
        _write_private(self._meta_path(), data)

    # operations -----------------------------------------------------------
    def init(self, now: datetime | None = None) -> IssuerKey:
        """Create the folder and its first signing key; refuse if one exists."""
        if self.exists():
            raise KeyStoreError(f"{self.folder} already holds keys")
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        key = self._new_key()
        self._save([KeyInfo(key.kid.hex(), b64url(raw_public(key.public_key)), _iso(now), ACTIVE)])
        return key

    def ensure(self, now: datetime | None = None) -> IssuerKey:
        return self.signing_key() if self.exists() else self.init(now)

    def _new_key(self) -> IssuerKey:
        key = IssuerKey.generate()
        _write_private(self.folder / f"{key.kid.hex()}.pem", key.encrypted_pem(self.passphrase))
        self._cache[key.kid.hex()] = key
        return key

    def load(self, kid_hex: str) -> IssuerKey:
        if kid_hex in self._cache:
            return self._cache[kid_hex]
        path = self.folder / f"{kid_hex}.pem"
        try:
            private = load_pem_private_key(path.read_bytes(), self.passphrase.reveal())
        except OSError as exc:
            raise KeyStoreError(f"cannot read key {kid_hex}: {exc.strerror}") from None
        except (ValueError, TypeError):
            raise PassphraseError(f"cannot decrypt key {kid_hex}: wrong passphrase?") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyStoreError(f"key {kid_hex} is not Ed25519")
        key = IssuerKey(private)
        self._cache[kid_hex] = key
        return key

    def signing_key(self) -> IssuerKey:
        active = [i for i in self.list() if i.state == ACTIVE]
        if len(active) != 1:
            raise KeyStoreError(f"{self.folder} has {len(active)} active keys, expected one")
        return self.load(active[0].kid)

    def rotate(self, now: datetime | None = None) -> IssuerKey:
        """Make a new signing key; the old one stays trusted until its passes have expired."""
        now = now or datetime.now(UTC)
        infos = self.list()
        key = self._new_key()
        until = _iso(now + self.max_pass_validity)
        infos = [replace(i, state=RETIRED, trusted_until=until) if i.state == ACTIVE else i for i in infos]
        infos.append(KeyInfo(key.kid.hex(), b64url(raw_public(key.public_key)), _iso(now), ACTIVE))
        self._save(infos)
        return key

    def withdraw(self, kid_hex: str, now: datetime | None = None, reason: str = "withdrawn") -> IssuerKey | None:
        """Distrust a key at once (compromise). Withdrawing the signing key rotates first: the new key is returned."""
        infos = self.list()
        match = [i for i in infos if i.kid == kid_hex]
        if not match:
            raise KeyStoreError(f"no key {kid_hex!r} in {self.folder}")
        if match[0].state == WITHDRAWN:
            raise KeyStoreError(f"key {kid_hex} is already withdrawn")
        rotated = None
        if match[0].state == ACTIVE:
            rotated = self.rotate(now)
            infos = self.list()
        self._save([replace(i, state=WITHDRAWN, trusted_until=_iso(now), reason=reason) if i.kid == kid_hex else i
                    for i in infos])
        return rotated

    def trust_set(self, now: datetime | None = None) -> TrustSet:
        """Keys a gate should trust now: active, and retired ones whose passes may still be live.

        Withdrawn keys are named too, so that their passes fail as `key_withdrawn`.
        """
        now = now or datetime.now(UTC)
        keys, until, withdrawn = [], {}, []
        for info in self.list():
            if info.state == WITHDRAWN:
                withdrawn.append(bytes.fromhex(info.kid))
                continue
            end = datetime.fromisoformat(info.trusted_until) if info.state == RETIRED and info.trusted_until else None
            if end is not None and end <= now:
                continue
            key = Ed25519PublicKey.from_public_bytes(b64url_decode(info.x))
            keys.append(key)
            if end is not None:
                until[kid_for(key)] = end
        return TrustSet({kid_for(k): k for k in keys}, withdrawn=withdrawn, until=until)


def _iso(moment: datetime | None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
