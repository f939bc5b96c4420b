"""The device bundle: the root-signed key set, revocations (full or delta), the site policy, the signed time."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keys import IssuerKey, sign_document, sign_policy, sign_revocations
from keys.trust import b64url

from .auth import Principal
from .clock import iso, now
from .errors import InvalidInput, NotFound
from .services import Services
from .sites import policy_of
from .store import passes as pass_store
from .store import sites as site_store

TIME_DOC_TYPE = "qrgate/time"
NONCE_BYTES = (16, 32)  # a gate's nonce: 16 to 32 random bytes, in hex


SEEN_EVERY = 60.0  # seconds between last-seen writes per device: a bundle should not need a write


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def parse_nonce(text: str | None) -> bytes | None:
    """The gate's nonce for the signed time (hex); InvalidInput if it is not one."""
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if not NONCE_BYTES[0] <= len(raw) <= NONCE_BYTES[1] or len(text) != 2 * len(raw):
        raise InvalidInput("nonce must be 16 to 32 bytes in hex", field="nonce")
    return raw


@dataclass(frozen=True)
class TrustDocs:
    """What a gate needs to trust issuing keys: the signed key set, the root chain, the root."""

    keyset: bytes
    chain: tuple[bytes, ...]
    root: bytes  # raw public key of the current root
    fingerprint: str
    version: int


def trust_json(svc: Services) -> dict[str, Any]:
    """The trust part of the enrolment answer and of every bundle."""
    docs = _trust_docs(svc)
    return {"root": b64url(docs.root), "root_fingerprint": docs.fingerprint, "keyset": _b64(docs.keyset),
            "keyset_version": docs.version, "root_chain": [_b64(d) for d in docs.chain]}


class KeyCache:
    """Signing key and trust documents, reread only when the key folder changes."""

    def __init__(self) -> None:
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._value: tuple[IssuerKey, TrustDocs, dict[str, Any]] | None = None
        self._hour = -1

    def get(self, svc: Services, moment: datetime) -> tuple[IssuerKey, TrustDocs, dict[str, Any]]:
        folder = svc.config.keys_dir
        stamp = tuple((st.st_mtime_ns, st.st_size) for st in (
            (folder / name).stat() for name in ("keys.json", "root.json", "keysets")))
        # retired keys drop out of the JWKS with time, so recompute at least hourly
        hour = int(moment.timestamp() // 3600)
        if self._value is None or stamp != self._stamp or hour != self._hour:
            doc, keyset, chain, root = svc.authority.trust_for_gates()
            docs = TrustDocs(doc, tuple(chain), root.raw, root.fingerprint, keyset.version)
            self._value = (svc.keystore.signing_key(), docs, svc.keystore.trust_set(moment).to_jwks())
            self._stamp, self._hour = stamp, hour
        return self._value


def _trust_docs(svc: Services) -> TrustDocs:
    return _keys.setdefault(str(svc.config.keys_dir.resolve()), KeyCache()).get(svc, now())[1]


_keys: dict[str, KeyCache] = {}  # by key folder: tests run many gateways in one process
_seen: dict[str, float] = {}


async def bundle(svc: Services, device: Principal, since: int | None, nonce: bytes | None = None) -> dict[str, Any]:
    """Everything a gate needs to decide offline, freshly signed at the server's time.

    The one function that builds a bundle (docs/device-api.md): the key set signed by the root,
    the root chain, revocations and policy signed by the issuing key, and — for a gate that sent a
    nonce — the server's time signed together with that nonce, so a recorded answer cannot be
    replayed to shift a gate's clock. `server_time` is for people reading the JSON: gates ignore it.
    """
    moment = now()
    site = await site_store.get_site(svc.db.read, code=device.site or "")
    if site is None:  # a device's site cannot be deleted; defensive for a hand-edited database
        raise NotFound(f"the site of device {device.id} is gone")
    current = await pass_store.revocation_seq(svc.db.read)
    delta = since is not None and 0 <= since <= current
    seq, serials = await pass_store.revoked_serials(svc.db.read, since=since if delta else None,
                                                    not_expired_at=iso(moment))
    key, trust, jwks = _keys.setdefault(str(svc.config.keys_dir.resolve()), KeyCache()).get(svc, moment)
    revocations = sign_revocations(key, [bytes.fromhex(s) for s in serials], seq=seq, issued_at=moment,
                                   since=since if delta else None)
    if _seen.get(device.id, 0.0) < moment.timestamp() - SEEN_EVERY:
        _seen[device.id] = moment.timestamp()
        async with svc.db.transaction() as tx:
            await site_store.touch_device(tx, device_id=device.id, at=iso(moment))
    out: dict[str, Any] = {
        "server_time": iso(moment),
        "device_id": device.id,
        "site": site.code,
        "jwks": jwks,
        "root": b64url(trust.root),
        "root_fingerprint": trust.fingerprint,
        "keyset": _b64(trust.keyset),
        "keyset_version": trust.version,
        "root_chain": [_b64(d) for d in trust.chain],
        "revocations": _b64(revocations),
        "revocations_kind": "delta" if delta else "full",
        "revocations_seq": seq,
        "policy": _b64(sign_policy(key, policy_of(site), issued_at=moment)),
    }
    if nonce is not None:
        body = {"nonce": nonce, "ms": int(moment.timestamp() * 1000), "device": device.id}
        out["time"] = _b64(sign_document(key, TIME_DOC_TYPE, body, issued_at=moment))
    return out
