"""The key authority: issuing keys (keystore.py) under a root of trust that signs the key set.

Beside the issuing keys (keys.json, <kid>.pem) the key folder holds:

    root.json               the roots in order: kid, public key, created, state (current | retired),
                            the key-set version in which a retired root announced its successor
    root-<kid>.pem          a root's private key, PKCS#8 encrypted with the ROOT passphrase
                            (QRGATE_ROOT_PASSPHRASE[_FILE]); absent when the root is kept offline
    keysets/<version>.cose  every key set the root signed, in version order; the last is served
    keyset-pending.cbor     a key set waiting for a signature made on another machine

Every operation returns the KeyEvents it caused, for the caller to audit and act on (a withdrawal
is what triggers the reissue of the passes the key signed). Nothing here audits or talks to a
database: that is the gateway's part.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from .errors import DocumentError, KeyStoreError, PassphraseError
from .keyset import KeySet, TrustedKey, Withdrawal, fingerprint, load_keyset, sign_keyset, unsigned_keyset
from .keystore import (
    ACTIVE,
    DEFAULT_MAX_PASS_VALIDITY,
    RETIRED,
    WITHDRAWN,
    IssuerKey,
    KeyStore,
    _write_private,
    resolve_passphrase,
)
from .secret import Secret
from .trust import b64url, b64url_decode, raw_public

ROOT_ENV = "QRGATE_ROOT_PASSPHRASE"
CURRENT = "current"
DEFAULT_KEYSET_VALIDITY = timedelta(days=365)
MAX_REASON = 500


@dataclass(frozen=True)
class KeyEvent:
    """One thing a key operation did: what to audit, and what a withdrawal hooks reissue onto."""

    action: str  # keys.init | keys.rotate | keys.withdraw | root.init | root.rotate | keyset.publish |
    #              keyset.pending | keyset.import
    target: str  # "key:<kid hex>" | "root:<fingerprint>" | "keyset:<version>"
    at: datetime
    reason: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RootInfo:
    kid: str
    x: str
    created: str
    state: str
    announced_in: int | None = None  # for a retired root: the key-set version naming its successor

    @property
    def public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.raw)

    @property
    def raw(self) -> bytes:
        return b64url_decode(self.x)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)


class KeyAuthority:
    """The key folder: issuing keys, roots and signed key sets. One administering process at a time."""

    def __init__(self, folder: Path, *, passphrase: Secret | None = None, root_passphrase: Secret | None = None,
                 max_pass_validity: timedelta = DEFAULT_MAX_PASS_VALIDITY,
                 keyset_validity: timedelta = DEFAULT_KEYSET_VALIDITY) -> None:
        self.folder = Path(folder)
        self.issuers = KeyStore(self.folder, passphrase, max_pass_validity)
        self._root_passphrase = root_passphrase
        self.keyset_validity = keyset_validity

    def __repr__(self) -> str:
        return f"KeyAuthority({str(self.folder)!r})"

    # roots ------------------------------------------------------------------------
    def _root_meta(self) -> Path:
        return self.folder / "root.json"

    def has_root(self) -> bool:
        return self._root_meta().exists()

    def roots(self) -> list[RootInfo]:
        if not self.has_root():
            raise KeyStoreError(f"no root of trust in {self.folder}: run 'qrgate keys init' first")
        try:
            return [RootInfo(**r) for r in json.loads(self._root_meta().read_text())["roots"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise KeyStoreError(f"{self._root_meta()} is corrupt: {exc}") from None

    def current_root(self) -> RootInfo:
        current = [r for r in self.roots() if r.state == CURRENT]
        if len(current) != 1:
            raise KeyStoreError(f"{self.folder} has {len(current)} current roots, expected one")
        return current[0]

    def _save_roots(self, roots: list[RootInfo]) -> None:
        _write_private(self._root_meta(), json.dumps({"roots": [asdict(r) for r in roots]}, indent=2).encode())

    def root_passphrase(self) -> Secret:
        if self._root_passphrase is None:
            self._root_passphrase = resolve_passphrase(self.folder, create=not self.has_root(), env=ROOT_ENV,
                                                       filename="root-passphrase")
        return self._root_passphrase

    def root_online(self, root: RootInfo | None = None) -> bool:
        return (self.folder / f"root-{(root or self.current_root()).kid}.pem").exists()

    def root_key(self, root: RootInfo | None = None) -> IssuerKey:
        root = root or self.current_root()
        path = self.folder / f"root-{root.kid}.pem"
        if not path.exists():
            raise KeyStoreError(f"the root {root.fingerprint} is kept offline: export the key set, sign it "
                                "there ('qrgate keys keyset sign') and import the signature")
        return load_root_key(path, self.root_passphrase())

    def _new_root(self, now: datetime) -> tuple[IssuerKey, RootInfo]:
        key = IssuerKey.generate()
        _write_private(self.folder / f"root-{key.kid.hex()}.pem", key.encrypted_pem(self.root_passphrase()))
        return key, RootInfo(key.kid.hex(), b64url(raw_public(key.public_key)), _iso(now), CURRENT)

    # key sets ---------------------------------------------------------------------
    def _keysets(self) -> Path:
        return self.folder / "keysets"

    def _stored_versions(self) -> list[int]:
        if not self._keysets().exists():
            return []
        return sorted(int(p.stem) for p in self._keysets().glob("*.cose") if p.stem.isdigit())

    def signed(self, version: int) -> bytes:
        return (self._keysets() / f"{version:08d}.cose").read_bytes()

    def current_keyset(self) -> tuple[bytes, KeySet]:
        """The last key set the root signed: what the gateway serves."""
        versions = self._stored_versions()
        if not versions:
            raise KeyStoreError(f"no signed key set in {self.folder}")
        doc = self.signed(versions[-1])
        return doc, self._open(doc)

    def _open(self, doc: bytes) -> KeySet:
        for root in reversed(self.roots()):
            try:
                return load_keyset(doc, root.public_key)
            except DocumentError:
                continue
        raise KeyStoreError("a stored key set is not signed by any root of this folder")

    def chain(self) -> list[bytes]:
        """For gates pinned to an older root: each retired root's announcement of its successor."""
        return [self.signed(r.announced_in) for r in self.roots()
                if r.state == RETIRED and r.announced_in is not None]

    def pending(self) -> bytes | None:
        path = self.folder / "keyset-pending.cbor"
        return path.read_bytes() if path.exists() else None

    def _next_version(self) -> int:
        versions = self._stored_versions()
        last = versions[-1] if versions else 0
        pending = self.pending()
        if pending is not None:
            from .keyset import read_unsigned
            last = max(last, read_unsigned(pending).version)
        return last + 1

    def build_keyset(self, now: datetime, next_root: bytes | None = None) -> KeySet:
        """The key set the issuing keys call for now, at the next version."""
        trusted, gone = [], []
        for info in self.issuers.list():
            if info.state == WITHDRAWN:
                gone.append(Withdrawal(bytes.fromhex(info.kid),
                                       datetime.fromisoformat(info.trusted_until) if info.trusted_until else now,
                                       info.reason or "withdrawn"))
                continue
            until = datetime.fromisoformat(info.trusted_until) if info.state == RETIRED and info.trusted_until \
                else None
            if until is not None and until <= now:
                continue
            trusted.append(TrustedKey(b64url_decode(info.x), until))
        moment = now.replace(microsecond=0)
        return KeySet(self._next_version(), moment, moment + self.keyset_validity, tuple(trusted), tuple(gone),
                      next_root)

    def publish(self, now: datetime | None = None, *, next_root: bytes | None = None,
                reason: str | None = None) -> KeyEvent:
        """Sign the key set the issuing keys call for (or leave it pending when the root is offline)."""
        now = now or datetime.now(UTC)
        keyset = self.build_keyset(now, next_root)
        if not self.root_online():
            _write_private(self.folder / "keyset-pending.cbor", unsigned_keyset(keyset))
            return KeyEvent("keyset.pending", f"keyset:{keyset.version}", now, reason,
                            {"version": keyset.version, "root": self.current_root().fingerprint})
        self._store(sign_keyset(self.root_key(), keyset), keyset.version)
        return KeyEvent("keyset.publish", f"keyset:{keyset.version}", now, reason,
                        {"version": keyset.version, "root": self.current_root().fingerprint})

    def _store(self, doc: bytes, version: int) -> None:
        self._keysets().mkdir(mode=0o700, exist_ok=True)
        _write_private(self._keysets() / f"{version:08d}.cose", doc)
        (self.folder / "keyset-pending.cbor").unlink(missing_ok=True)

    def import_signed(self, doc: bytes, now: datetime | None = None) -> KeyEvent:
        """Store a key set signed elsewhere: it must be the pending one, signed by the current root."""
        now = now or datetime.now(UTC)
        pending = self.pending()
        if pending is None:
            raise KeyStoreError("no key set is waiting for a signature ('qrgate keys keyset export' first)")
        from . import cose
        try:
            keyset = load_keyset(doc, self.current_root().public_key)
            same = cose.parse(doc).payload == pending
        except (DocumentError, cose.CoseFormatError) as exc:
            raise KeyStoreError(f"the signed key set does not verify under root "
                                f"{self.current_root().fingerprint}: {exc}") from None
        if not same:
            raise KeyStoreError("the signed key set is not the pending one (export it again)")
        self._store(doc, keyset.version)
        return KeyEvent("keyset.import", f"keyset:{keyset.version}", now, None, {"version": keyset.version})

    # operations -------------------------------------------------------------------
    def ensure(self, now: datetime | None = None) -> list[KeyEvent]:
        """A working folder: a signing key, a root and a signed key set (created if missing)."""
        now = now or datetime.now(UTC)
        events = []
        if not self.issuers.exists():
            events.append(self._init_issuer(now))
        if not self.has_root():
            events.extend(self.init_root(now))
        elif not self._stored_versions() and self.pending() is None:
            events.append(self.publish(now))
        return events

    def _init_issuer(self, now: datetime) -> KeyEvent:
        key = self.issuers.init(now)
        return KeyEvent("keys.init", f"key:{key.kid.hex()}", now)

    def init(self, now: datetime | None = None) -> list[KeyEvent]:
        """`qrgate keys init`: the first signing key and root; refuses a folder that holds keys."""
        now = now or datetime.now(UTC)
        return [self._init_issuer(now), *self.init_root(now)]

    def init_root(self, now: datetime) -> list[KeyEvent]:
        if self.has_root():
            raise KeyStoreError(f"{self.folder} already has a root of trust")
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root_passphrase()  # created with the root, never for one that exists
        _, root = self._new_root(now)
        self._save_roots([root])
        return [KeyEvent("root.init", f"root:{root.fingerprint}", now), self.publish(now)]

    def _preflight(self) -> None:
        """Fail before changing anything: both passphrases must open their keys."""
        self.issuers.signing_key()
        if self.root_online():
            self.root_key()

    def rotate(self, now: datetime | None = None, reason: str | None = None) -> list[KeyEvent]:
        now = now or datetime.now(UTC)
        self._preflight()
        old = self.issuers.signing_key()
        key = self.issuers.rotate(now)
        return [KeyEvent("keys.rotate", f"key:{key.kid.hex()}", now, reason, {"previous": old.kid.hex()}),
                self.publish(now, reason=reason)]

    def withdraw(self, kid_hex: str, reason: str, now: datetime | None = None) -> list[KeyEvent]:
        """Distrust a key at once: the next key set names it withdrawn, with `reason`.

        The `keys.withdraw` event carries the kid: the caller reissues every live pass it signed.
        """
        now = now or datetime.now(UTC)
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON:
            raise KeyStoreError(f"a withdrawal needs a reason (1 to {MAX_REASON} characters)")
        kid_hex = kid_hex.strip().lower()
        self._preflight()
        rotated = self.issuers.withdraw(kid_hex, now, reason)
        events = []
        if rotated is not None:
            events.append(KeyEvent("keys.rotate", f"key:{rotated.kid.hex()}", now, reason, {"previous": kid_hex}))
        events.append(KeyEvent("keys.withdraw", f"key:{kid_hex}", now, reason,
                               {"kid": kid_hex, "signing_key": self.issuers.signing_key().kid.hex()}))
        events.append(self.publish(now, reason=reason))
        return events

    def rotate_root(self, now: datetime | None = None, reason: str | None = None) -> list[KeyEvent]:
        """A new root: the old one announces it in a last key set, the new one signs the next."""
        now = now or datetime.now(UTC)
        self._preflight()
        old = self.current_root()
        old_key = self.root_key(old)
        roots = self.roots()
        new_key, new = self._new_root(now)
        announcement = self.build_keyset(now, next_root=new.raw)
        self._store(sign_keyset(old_key, announcement), announcement.version)
        self._save_roots([replace(r, state=RETIRED, announced_in=announcement.version) if r.kid == old.kid else r
                          for r in roots] + [new])
        return [KeyEvent("root.rotate", f"root:{new.fingerprint}", now, reason,
                         {"previous": old.fingerprint, "announced_in": announcement.version}),
                self.publish(now, reason=reason)]

    def trust_for_gates(self) -> tuple[bytes, KeySet, list[bytes], RootInfo]:
        """(signed key set, the key set, the root chain, the current root): what enrolment and bundles carry."""
        doc, keyset = self.current_keyset()
        return doc, keyset, self.chain(), self.current_root()


def load_root_key(path: Path, passphrase: Secret) -> IssuerKey:
    try:
        private = load_pem_private_key(path.read_bytes(), passphrase.reveal())
    except OSError as exc:
        raise KeyStoreError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, TypeError):
        raise PassphraseError(f"cannot decrypt {path}: wrong {ROOT_ENV}?") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeyStoreError(f"{path} is not an Ed25519 key")
    return IssuerKey(private)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


__all__ = ["ACTIVE", "CURRENT", "KeyAuthority", "KeyEvent", "RootInfo", "load_root_key"]
