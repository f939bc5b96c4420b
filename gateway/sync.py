"""The device bundle: trust set, revocations (full or delta), the site policy, the server's time."""

from __future__ import annotations

import base64
from typing import Any

from keys import sign_document, sign_policy, sign_revocations

from .auth import Principal
from .clock import iso, now
from .errors import NotFound
from .services import Services
from .sites import policy_of
from .store import passes as pass_store
from .store import sites as site_store

TRUST_DOC_TYPE = "qrgate/trust"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


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
    key = svc.keystore.signing_key()
    jwks = svc.keystore.trust_set(moment).to_jwks()
    revocations = sign_revocations(key, [bytes.fromhex(s) for s in serials], seq=seq, issued_at=moment,
                                   since=since if delta else None)
    async with svc.db.transaction() as tx:
        await site_store.touch_device(tx, device_id=device.id, at=iso(moment))
    return {
        "server_time": iso(moment),
        "device_id": device.id,
        "site": site.code,
        "jwks": jwks,
        "keys_doc": _b64(sign_document(key, TRUST_DOC_TYPE, jwks, issued_at=moment)),
        "revocations": _b64(revocations),
        "revocations_kind": "delta" if delta else "full",
        "revocations_seq": seq,
        "policy": _b64(sign_policy(key, policy_of(site), issued_at=moment)),
    }
