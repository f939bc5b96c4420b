"""The key set: the versioned list of issuing keys, signed by the root of trust.

The root key signs nothing but key sets. A key set names the issuing keys a gate trusts (with the
moment a retired key's trust ends), the withdrawn ones (when and why), how long the set itself is
valid, and — when the root is rotated — the root that signs the following key sets.

A gate pins one root at enrolment and accepts a key set only if that root signed it (or a chain of
announcements leads from that root to the signer) and its version is newer than the one it holds
(`accept_keyset`). See docs/keys.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from . import cose
from .documents import D_BODY, D_ISSUED_AT, D_TYPE, open_document, sign_document
from .errors import DocumentError, PublicKeyError
from .keystore import IssuerKey
from .passes import MAX_TIME
from .publickey import check_public_key
from .trust import TrustSet, kid_for, raw_public

DOC_TYPE = "qrgate/keyset"
MAX_ROOT_HOPS = 16  # announcements a gate follows in one sync: far more root rotations than a city makes
MAX_REASON = 500


def fingerprint(root: Ed25519PublicKey | bytes) -> str:
    """What a person compares: SHA-256 over the raw root key, first 16 bytes, in groups of four hex digits."""
    raw = root if isinstance(root, bytes) else raw_public(root)
    digest = hashlib.sha256(raw).hexdigest()[:32]
    return "-".join(digest[i:i + 4] for i in range(0, 32, 4))


@dataclass(frozen=True)
class TrustedKey:
    x: bytes                              # raw 32-byte Ed25519 public key
    trusted_until: datetime | None = None  # a retired key: trust ends here by itself

    @property
    def kid(self) -> bytes:
        return kid_for(Ed25519PublicKey.from_public_bytes(self.x))


@dataclass(frozen=True)
class Withdrawal:
    kid: bytes
    at: datetime
    reason: str


@dataclass(frozen=True)
class KeySet:
    version: int
    issued_at: datetime
    valid_until: datetime
    keys: tuple[TrustedKey, ...]
    withdrawn: tuple[Withdrawal, ...] = ()
    next_root: bytes | None = None  # raw public key of the root that signs the next versions
    signer: bytes = field(default=b"", compare=False)  # kid of the root that signed it, once opened

    def trust_set(self) -> TrustSet:
        """The issuing keys as a gate uses them: trusted ones with their ends, withdrawn ones by kid."""
        keys = {k.kid: Ed25519PublicKey.from_public_bytes(k.x) for k in self.keys}
        until = {k.kid: k.trusted_until for k in self.keys if k.trusted_until is not None}
        return TrustSet(keys, withdrawn=[w.kid for w in self.withdrawn], until=until)

    def withdrawal(self, kid: bytes) -> Withdrawal | None:
        return next((w for w in self.withdrawn if w.kid == kid), None)

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "version": self.version,
            "valid_until": _ts(self.valid_until),
            "keys": [{"x": k.x, **({"until": _ts(k.trusted_until)} if k.trusted_until else {})}
                     for k in self.keys],
            "withdrawn": [{"kid": w.kid, "at": _ts(w.at), "reason": w.reason} for w in self.withdrawn],
        }
        if self.next_root is not None:
            out["next_root"] = self.next_root
        return out

    @classmethod
    def from_body(cls, body: object, issued_at: datetime, signer: bytes = b"") -> KeySet:
        """Read a key set body; DocumentError names what is wrong."""
        if not isinstance(body, dict):
            raise DocumentError("key set: body must be a map")
        version = body.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 < version < 2**53:
            raise DocumentError("key set: bad version")
        keys_raw, gone_raw = body.get("keys"), body.get("withdrawn", [])
        if not isinstance(keys_raw, list) or not isinstance(gone_raw, list) or len(keys_raw) + len(gone_raw) > 256:
            raise DocumentError("key set: keys and withdrawn must be lists of at most 256 entries")
        keys = []
        for i, k in enumerate(keys_raw):
            if not isinstance(k, dict):
                raise DocumentError(f"key set: keys[{i}] is not a map")
            _check_key(k.get("x"), f"keys[{i}].x")
            keys.append(TrustedKey(k["x"], _time(k["until"], f"keys[{i}].until") if "until" in k else None))
        gone = []
        for i, w in enumerate(gone_raw):
            if not isinstance(w, dict) or not isinstance(w.get("kid"), bytes) or len(w["kid"]) != 8:
                raise DocumentError(f"key set: withdrawn[{i}] has no 8-byte kid")
            reason = w.get("reason")
            if not isinstance(reason, str) or len(reason) > MAX_REASON:
                raise DocumentError(f"key set: withdrawn[{i}] has no reason")
            gone.append(Withdrawal(w["kid"], _time(w.get("at"), f"withdrawn[{i}].at"), reason))
        if {k.kid for k in keys} & {w.kid for w in gone}:
            raise DocumentError("key set: a key is both trusted and withdrawn")
        next_root = body.get("next_root")
        if next_root is not None:
            _check_key(next_root, "next_root")
        return cls(version, issued_at, _time(body.get("valid_until"), "valid_until"), tuple(keys), tuple(gone),
                   next_root, signer)


def _check_key(value: object, where: str) -> bytes:
    try:
        return check_public_key(value, where)
    except PublicKeyError as exc:
        raise DocumentError(f"key set: {exc}") from None


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def _time(value: object, where: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_TIME:
        raise DocumentError(f"key set: {where} is not a time")
    return datetime.fromtimestamp(value, UTC)


def unsigned_keyset(keyset: KeySet) -> bytes:
    """The payload a root signs, for signing on another machine (`qrgate keys keyset export`)."""
    return cbor2.dumps({D_TYPE: DOC_TYPE, D_ISSUED_AT: _ts(keyset.issued_at), D_BODY: keyset.body()})


def read_unsigned(payload: bytes) -> KeySet:
    """Check an exported payload before signing it; DocumentError if it is not a key set."""
    try:
        doc = cbor2.loads(payload)
    except Exception:
        raise DocumentError("key set: the file is not CBOR") from None
    if not isinstance(doc, dict) or doc.get(D_TYPE) != DOC_TYPE or cbor2.dumps(doc) != payload:
        raise DocumentError("key set: the file is not an exported key set")
    return KeySet.from_body(doc.get(D_BODY), _time(doc.get(D_ISSUED_AT), "issued_at"))


def sign_payload(root: IssuerKey, payload: bytes) -> bytes:
    """Sign an exported key set payload with the root (on the machine that holds it)."""
    read_unsigned(payload)
    protected = cose.encode_protected(root.kid)
    return cose.assemble(protected, payload, root.sign(cose.sig_structure(protected, payload)))


def sign_keyset(root: IssuerKey, keyset: KeySet) -> bytes:
    return sign_document(root, DOC_TYPE, keyset.body(), issued_at=keyset.issued_at)


def signer_of(doc: bytes) -> bytes:
    """The kid a document claims to be signed by (unverified: only to choose which key to check)."""
    try:
        return cose.parse(doc).kid
    except (cose.CoseFormatError, TypeError):
        raise DocumentError("key set: not a COSE_Sign1 document") from None


def load_keyset(doc: bytes, root: Ed25519PublicKey) -> KeySet:
    """Verify a key set against one root; DocumentError on anything wrong."""
    opened = open_document(doc, TrustSet.of(root), DOC_TYPE)
    return KeySet.from_body(opened.body, opened.issued_at, opened.kid)


@dataclass(frozen=True)
class Accepted:
    keyset: KeySet
    pinned: bytes     # the root the gate pins from now on
    signed_by: bytes  # the root that signed `keyset` (differs from `pinned` once a rotation is announced)


def accept_keyset(doc: bytes, chain: Sequence[bytes], pinned: bytes, held: KeySet | None, *,
                  now: datetime | None) -> Accepted:
    """What a gate does with a key set it receives.

    `pinned` is the raw root key the gate holds, `held` the key set it holds (verified when it
    was accepted), A key set
    signed by another root is accepted only through `chain`: key sets, each signed by the root
    before it, announcing the next (`next_root`). Refused with DocumentError: another root, an
    older version (a replay), the same version with other contents, or a key set already expired
    (`now=None` skips that check: at enrolment the gate does not know the time yet).
    """
    root = _check_key(pinned, "the pinned root")
    by_signer: dict[bytes, bytes] = {}
    for link in chain[:MAX_ROOT_HOPS]:
        by_signer.setdefault(signer_of(link), link)
    for _ in range(MAX_ROOT_HOPS):
        if signer_of(doc) == kid_for(_public(root)):
            break
        found = by_signer.get(kid_for(_public(root)))
        if found is None:
            raise DocumentError(f"key set: signed by root {signer_of(doc).hex()}, not by the pinned root "
                                f"{fingerprint(root)}, and no announcement leads there")
        announced = load_keyset(found, _public(root))
        if announced.next_root is None:
            raise DocumentError("key set: a root announcement names no next root")
        root = announced.next_root
    signed_by = root
    keyset = load_keyset(doc, _public(root))
    if held is not None:
        if keyset.version < held.version:
            raise DocumentError(f"key set: version {keyset.version} is older than the held "
                                f"version {held.version} (a replay?)")
        if keyset.version == held.version and keyset != held:
            raise DocumentError(f"key set: another key set with the held version {keyset.version}")
    if now is not None and keyset.valid_until <= now:
        raise DocumentError(f"key set: version {keyset.version} expired on {keyset.valid_until.isoformat()}")
    if keyset.next_root is not None:  # the old root handed over: from now on only the new one signs
        root = keyset.next_root
    return Accepted(keyset, root, signed_by)


def _public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)
