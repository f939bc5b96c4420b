"""The device bundle: trust set, revocations (full or delta), the site policy, the server's time."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from keys import IssuerKey, sign_document, sign_policy, sign_revocations

from .auth import Principal
from .clock import iso, now
from .errors import NotFound
from .services import Services
from .sites import policy_of
from .store import passes as pass_store
from .store import sites as site_store

TRUST_DOC_TYPE = "qrgate/trust"


SEEN_EVERY = 60.0  # seconds between last-seen writes per device: a bundle should not need a write


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def trust_signer(svc: Services, moment: datetime) -> IssuerKey:
    """The key that signs the trust set: the oldest key still trusted, not the newest.

    A gate checks a new trust set with the keys it already trusts (docs/device-api.md). After a
    rotation only the retired key is known to gates, so it vouches for the new set until it leaves
    the trust set; by then every gate that synced in the meantime trusts the new key. A withdrawn
    key never signs: a gate that missed the whole window must be enrolled again.
    """
    trusted = {kid.hex() for kid in svc.keystore.trust_set(moment)}
    infos = sorted((i for i in svc.keystore.list() if i.kid in trusted), key=lambda i: i.created)
    return svc.keystore.load(infos[0].kid) if infos else svc.keystore.signing_key()


class KeyCache:
    """Signing key, trust-set signer and trust set, reread only when keys.json changes."""

    def __init__(self) -> None:
        self._stamp: tuple[int, int] | None = None
        self._value: tuple[IssuerKey, IssuerKey, dict[str, Any]] | None = None
        self._hour = -1

    def get(self, svc: Services, moment: datetime) -> tuple[IssuerKey, IssuerKey, dict[str, Any]]:
        info = (svc.config.keys_dir / "keys.json").stat()
        stamp = (info.st_mtime_ns, info.st_size)
        # retired keys drop out of the trust set with time, so recompute at least hourly
        hour = int(moment.timestamp() // 3600)
        if self._value is None or stamp != self._stamp or hour != self._hour:
            self._value = (svc.keystore.signing_key(), trust_signer(svc, moment),
                           svc.keystore.trust_set(moment).to_jwks())
            self._stamp, self._hour = stamp, hour
        return self._value


_keys: dict[str, KeyCache] = {}  # by key folder: tests run many gateways in one process
_seen: dict[str, float] = {}


async def bundle(svc: Services, device: Principal, since: int | None) -> dict[str, Any]:
    """Everything a gate needs to decide offline, freshly signed at the server's time."""
    moment = now()
    site = await site_store.get_site(svc.db.read, code=device.site or "")
    if site is None:  # a device's site cannot be deleted; defensive for a hand-edited database
        raise NotFound(f"the site of device {device.id} is gone")
    current = await pass_store.revocation_seq(svc.db.read)
    delta = since is not None and 0 <= since <= current
    seq, serials = await pass_store.revoked_serials(svc.db.read, since=since if delta else None,
                                                    not_expired_at=iso(moment))
    key, signer, jwks = _keys.setdefault(str(svc.config.keys_dir.resolve()), KeyCache()).get(svc, moment)
    revocations = sign_revocations(key, [bytes.fromhex(s) for s in serials], seq=seq, issued_at=moment,
                                   since=since if delta else None)
    if _seen.get(device.id, 0.0) < moment.timestamp() - SEEN_EVERY:
        _seen[device.id] = moment.timestamp()
        async with svc.db.transaction() as tx:
            await site_store.touch_device(tx, device_id=device.id, at=iso(moment))
    return {
        "server_time": iso(moment),
        "device_id": device.id,
        "site": site.code,
        "jwks": jwks,
        "keys_doc": _b64(sign_document(signer, TRUST_DOC_TYPE, jwks, issued_at=moment)),
        "revocations": _b64(revocations),
        "revocations_kind": "delta" if delta else "full",
        "revocations_seq": seq,
        "policy": _b64(sign_policy(key, policy_of(site), issued_at=moment)),
    }
