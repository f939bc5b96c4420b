"""The device bundle: the root-signed key set, the revocation index and parts, the site policy, the signed time."""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from keys import IssuerKey, sign_document
from keys.trust import b64url

from . import documents

from .auth import Principal
from .clock import iso, now
from .errors import InvalidInput, NotFound
from .services import Services
from .sites import policy_of
from .store import sites as site_store
from .store.sites import DeviceRead

TIME_DOC_TYPE = "qrgate/time"
NONCE_BYTES = (16, 32)  # a gate's nonce: 16 to 32 random bytes, in hex


SEEN_EVERY = 60.0  # seconds between last-seen writes per device: a bundle should not need a write


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def parse_nonce(text: str | None, field: str = "nonce") -> bytes | None:
    """The gate's nonce for the signed time (hex); InvalidInput naming `field` if it is not one."""
    if text is None:
        return None
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raw = b""
    if not NONCE_BYTES[0] <= len(raw) <= NONCE_BYTES[1] or len(text) != 2 * len(raw):
        raise InvalidInput(f"{field} must be 16 to 32 bytes in hex", field=field)
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


@dataclass(frozen=True)
class Keys:
    """What the key folder gives a bundle: the signing key, the trust documents, and the trust part
    of every bundle ready made (its canonical bytes and their digest, which is part of the ETag)."""

    key: IssuerKey
    docs: TrustDocs
    jwks: dict[str, Any]
    trust_part: dict[str, Any]
    trust_body: bytes
    trust_etag: str


class KeyCache:
    """Signing key and trust documents, reread only when the key folder changes.

    Every call looks at the folder (three stat calls: a key rotated by the CLI in another process
    reaches the next bundle); everything built from it is built once per change, not per request.
    """

    def __init__(self, folder: Path) -> None:
        self._paths = [str(folder / name) for name in ("keys.json", "root.json", "keysets")]
        self._stamp: tuple[tuple[int, int], ...] | None = None
        self._value: Keys | None = None
        self._hour = -1

    def get(self, svc: Services, moment: datetime) -> Keys:
        stamp = tuple((st.st_mtime_ns, st.st_size) for st in map(os.stat, self._paths))
        # retired keys drop out of the JWKS with time, so recompute at least hourly
        hour = int(moment.timestamp() // 3600)
        if self._value is None or stamp != self._stamp or hour != self._hour:
            doc, keyset, chain, root = svc.authority.trust_for_gates()
            docs = TrustDocs(doc, tuple(chain), root.raw, root.fingerprint, keyset.version)
            jwks = svc.keystore.trust_set(moment).to_jwks()
            trust_part = {"jwks": jwks, "root": b64url(docs.root), "root_fingerprint": docs.fingerprint,
                          "keyset": _b64(docs.keyset), "keyset_version": docs.version,
                          "root_chain": [_b64(d) for d in docs.chain]}
            body = json.dumps(trust_part, sort_keys=True, separators=(",", ":")).encode()
            self._value = Keys(svc.keystore.signing_key(), docs, jwks, trust_part, body,
                               documents.etag_of(body))
            self._stamp, self._hour = stamp, hour
        return self._value


def _trust_docs(svc: Services) -> TrustDocs:
    return _key_cache(svc).get(svc, now()).docs


_keys: dict[str, KeyCache] = {}  # by key folder: tests run many gateways in one process
_seen: dict[str, float] = {}


def _key_cache(svc: Services) -> KeyCache:
    folder = svc.config.keys_dir
    cache = _keys.get(str(folder))
    if cache is None:
        cache = _keys[str(folder)] = KeyCache(folder)
    return cache


@dataclass(frozen=True)
class Bundle:
    """A device's bundle: its ETag, its body unless the gate holds this version already, and the
    signed time when the gate sent a nonce for it (answered in a header, with a 304 too)."""

    etag: str
    body: dict[str, Any] | None
    time: bytes | None = None


async def bundle(svc: Services, device: Principal, read: DeviceRead | None = None, *,
                 if_none_match: str | None = None, nonce: bytes | None = None,
                 time_nonce: bytes | None = None) -> Bundle:
    """Everything a gate needs to decide offline, assembled from documents signed once per version.

    The one function that builds a bundle (docs/device-api.md): the key set signed by the root, the
    root chain, the site policy and the revocation index, each kept signed (gateway/documents.py);
    nothing is signed here. The ETag names exactly what the body holds, so a gate that sends it
    back (If-None-Match) gets a 304 and nothing is read or assembled. The revocation parts the index
    names are fetched apart (`revocation_part`). With `time_nonce` the signed time comes back
    beside the bundle, 304 or not (`Bundle.time`), so that an unchanged sync is one request; a
    gate from before that asks `signed_time` apart, and one from before that sends `nonce` and gets
    the time inside the body (then the answer is not cacheable). `read`: what the request's
    device read gave (gateway/device_reads.py): the site and the revocation seq, read after the
    request arrived; without it, both are read here.
    """
    moment = now()
    site = read.site if read is not None and read.device.id == device.id else None
    if site is None or site.code != device.site:
        site = await site_store.get_site(svc.db.read, code=device.site or "")
    if site is None:  # a device's site cannot be deleted; defensive for a hand-edited database
        raise NotFound(f"the site of device {device.id} is gone")
    keys = _key_cache(svc).get(svc, moment)
    key = keys.key
    revocations = await documents.revocations(svc, key, moment, None if read is None else read.revocation_seq)
    policy = await documents.policy(svc, key, site.code, site.policy, lambda: policy_of(site), moment)
    await documents.keep_keyset(svc, keys.docs.version, keys.trust_body, keys.trust_etag, moment)
    etag = documents.etag_of(
        f"{device.id}|{site.code}|{keys.trust_etag}|{policy.etag}|{revocations.index.etag}".encode())[:32]
    await _touch(svc, device, moment)
    time = None if time_nonce is None else _time_doc(key, device, time_nonce, moment, revocations)
    if nonce is None and if_none_match is not None and etag in etags(if_none_match):
        return Bundle(etag, None, time)
    out: dict[str, Any] = {
        "device_id": device.id,
        "site": site.code,
        **keys.trust_part,
        "policy": _b64(policy.body),
        "revocations_index": _b64(revocations.index.body),
        "revocations_seq": revocations.seq,
        "revocation_parts": {(p or "all"): e for p, e in sorted(revocations.parts.items())},
    }
    if nonce is not None:
        out.update(_time(key, device, nonce, moment, revocations))
    return Bundle(etag, out, time)


def etags(header: str) -> set[str]:
    """The entity tags an If-None-Match names (weak or strong: a bundle is compared by content)."""
    return {t.strip().removeprefix("W/").strip('"') for t in header.split(",") if t.strip()}


async def _touch(svc: Services, device: Principal, moment: datetime) -> None:
    if _seen.get(device.id, 0.0) < moment.timestamp() - SEEN_EVERY:
        _seen[device.id] = moment.timestamp()
        async with svc.db.transaction() as tx:
            await site_store.touch_device(tx, device_id=device.id, at=iso(moment))


def _time_doc(key: IssuerKey, device: Principal, nonce: bytes, moment: datetime,
              revocations: documents.RevocationState) -> bytes:
    body = {"nonce": nonce, "ms": int(moment.timestamp() * 1000), "device": device.id,
            "revocations": bytes.fromhex(revocations.index.etag)}
    return sign_document(key, TIME_DOC_TYPE, body, issued_at=moment)


def _time(key: IssuerKey, device: Principal, nonce: bytes, moment: datetime,
          revocations: documents.RevocationState) -> dict[str, Any]:
    return {"time": _b64(_time_doc(key, device, nonce, moment, revocations)),
            "server_time": iso(moment), "device_id": device.id, "revocations_seq": revocations.seq}


def time_header(doc: bytes) -> str:
    """The signed time as the bundle's `Qrgate-Time` header carries it (base64, as in JSON)."""
    return _b64(doc)


async def signed_time(svc: Services, device: Principal, nonce: bytes) -> dict[str, Any]:
    """The server's time signed with the gate's nonce, naming the current revocation index.

    The one document signed per request (a nonce is never asked twice): it proves the answer is
    fresh and vouches that the index it names is the current list at that time, which is what
    keeps a gate's list from going stale between revocations (keys/decide.py, stale_data).
    """
    moment = now()
    key = _key_cache(svc).get(svc, moment).key
    revocations = await documents.revocations(svc, key, moment)
    await _touch(svc, device, moment)
    return _time(key, device, nonce, moment, revocations)


async def revocation_part(svc: Services, part: str, etag: str) -> documents.Served | None:
    """A revocation part by name ('all' or two hex digits) and digest; None if not kept."""
    prefix = "" if part == "all" else part
    if part != "all" and (len(part) != 2 or any(c not in "0123456789abcdef" for c in part)):
        raise InvalidInput("part must be 'all' or two lower-case hex digits", field="part")
    if len(etag) != 64 or any(c not in "0123456789abcdef" for c in etag):
        raise InvalidInput("digest must be 64 lower-case hex digits", field="digest")
    return await documents.revocation_part(svc, prefix, etag)
