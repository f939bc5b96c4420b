"""Signed documents served once: each version is signed by one node, kept, and served by every node.

    revocations/index        the list at a version: the digest of each part     (docs/device-api.md)
    revocations/part/PP      the revoked serials starting with byte PP ('all': one part for a short list)
    policy/SITE              a site's policy
    keyset                   the root-signed key set, chain and JWKS a gate trusts (signed by the root
                             offline; kept here so that its version is on record beside the others)

A version of the revocation list is (revocation seq, UTC day, signing key): a new revocation
re-signs only the parts it touched; the first request of a day re-signs every part, leaving out
the passes that have expired; a new signing key re-signs everything. Whichever node first needs a
version signs it inside a transaction that holds the `signed_documents` lock; the others find it
kept, so every node serves the same bytes and the same ETag. The gate's freshness does not need
a re-signed list: the signed time (gateway/sync.py) names the digest of the index it vouches for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from keys import IssuerKey, SitePolicy, sign_policy, sign_revocation_index, sign_revocation_part

from .clock import iso
from .db import Database
from .services import Services
from .store import documents as doc_store
from .store import passes as pass_store
from .store.documents import DocumentRow

INDEX = "revocations/index"
PART = "revocations/part/"
PART_MIN = 4096  # up to this many serials the list is one part (48 KB); beyond, 256 parts by first byte
PRUNE_AFTER = timedelta(hours=1)  # a node may still serve an older index for a moment: keep its parts


@dataclass(frozen=True, slots=True)
class Served:
    """A document as served: its bytes and their SHA-256 (hex), which is also its ETag."""

    etag: str
    body: bytes


@dataclass(frozen=True, slots=True)
class RevocationState:
    seq: int
    version: str
    index: Served
    parts: dict[str, str]  # prefix in hex ('' for the one part of a short list) -> etag


@dataclass
class _NodeCache:
    """What this process has read or signed; every entry is immutable, so it never goes stale."""

    index: RevocationState | None = None
    policies: dict[tuple[str, str], Served] = field(default_factory=dict)
    policy_rows: dict[tuple[str, str, bytes], Served] = field(default_factory=dict)  # (site, row text, kid)
    parts: dict[str, bytes] = field(default_factory=dict)  # etag -> body, the current index's parts
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    seq_read: asyncio.Future[int] | None = None  # the revocation seq read now on its way, if any


# by open database (tests run many gateways in one process); gone with the database object
_caches: weakref.WeakKeyDictionary[Database, _NodeCache] = weakref.WeakKeyDictionary()


def _cache(db: Database) -> _NodeCache:
    cache = _caches.get(db)
    if cache is None:
        cache = _caches[db] = _NodeCache()
    return cache


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def part_name(prefix: str) -> str:
    return PART + (prefix or "all")


async def revocations(svc: Services, key: IssuerKey, moment: datetime, seq: int | None = None) -> RevocationState:
    """The current version of the revocation list, signed once (here, or by another node).

    `seq`: the list's current seq if the caller has just read it (a device's sync reads it with
    the device); else it is read here."""
    cache = _cache(svc.db)
    if seq is None:
        seq = await _current_seq(svc.db, cache)
    version = f"{seq:012d}.{moment:%Y%m%d}.{key.kid.hex()}"
    if cache.index is not None and cache.index.version == version:
        return cache.index
    async with cache.lock:  # one build per process; other nodes wait on the database lock
        if cache.index is not None and cache.index.version == version:
            return cache.index
        row = await doc_store.get(svc.db.read, name=INDEX, version=version)
        if row is None:
            row = await _build(svc, key, seq, version, moment)
        meta = json.loads(row.meta)
        state = RevocationState(seq, version, Served(row.etag, row.body), dict(meta["parts"]))
        cache.parts = {e: b for e, b in cache.parts.items() if e in state.parts.values()}
        cache.index = state
        return state


async def _current_seq(db: Database, cache: _NodeCache) -> int:
    """The list's current seq, read from the database: requests that arrive while a read is on its
    way share it (a burst of 50 gates syncing costs one round trip here, not 50 — on PostgreSQL each
    one waits for a server process). A shared answer is at most one round trip older than the request
    that joined it; a revocation committed within that round trip reaches the gate at its next sync."""
    pending = cache.seq_read
    if pending is None:
        pending = cache.seq_read = asyncio.ensure_future(pass_store.revocation_seq(db.read))

        def done(future: asyncio.Future[int]) -> None:
            if cache.seq_read is future:
                cache.seq_read = None

        pending.add_done_callback(done)
    return await asyncio.shield(pending)  # one caller cancelled does not cancel the others' read


async def _build(svc: Services, key: IssuerKey, seq: int, version: str, moment: datetime) -> DocumentRow:
    at, kid, day = iso(moment), key.kid.hex(), f"{moment:%Y%m%d}"
    async with svc.db.transaction() as tx:
        await tx.serialise("signed_documents")
        kept = await doc_store.get(tx, name=INDEX, version=version)
        if kept is not None:  # another node signed it while we waited
            return kept
        count = await pass_store.live_revocation_count(tx, seq=seq, not_expired_at=at)
        chars = 0 if count <= PART_MIN else 2
        prev = await doc_store.latest(tx, name=INDEX)
        meta: dict[str, Any] | None = json.loads(prev.meta) if prev is not None else None
        if meta is not None and (meta["chars"], meta["kid"], meta["day"]) == (chars, kid, day) \
                and meta["seq"] <= seq:
            parts: dict[str, str] = dict(meta["parts"])
            changed = await pass_store.changed_prefixes(tx, since=meta["seq"], seq=seq, chars=chars)
        else:  # a new day (expired passes drop out), a new key, or the list changed its partitioning
            parts = {}
            changed = {""} if chars == 0 else {f"{i:02x}" for i in range(256)}
        for prefix in sorted(changed):
            serials = await pass_store.revoked_with_prefix(tx, prefix=prefix, seq=seq, not_expired_at=at)
            if not serials:
                parts.pop(prefix, None)
                continue
            doc = sign_revocation_part(key, [bytes.fromhex(s) for s in serials], prefix=bytes.fromhex(prefix),
                                       seq=seq, issued_at=moment)
            parts[prefix] = etag_of(doc)
            await doc_store.put(tx, DocumentRow(part_name(prefix), parts[prefix], parts[prefix], doc,
                                                json.dumps({"seq": seq, "serials": len(serials)}), at))
        index = sign_revocation_index(key, [(bytes.fromhex(p), bytes.fromhex(e)) for p, e in parts.items()],
                                      seq=seq, issued_at=moment)
        row = DocumentRow(INDEX, version, etag_of(index), index,
                          json.dumps({"seq": seq, "day": day, "kid": kid, "chars": chars, "parts": parts,
                                      "serials": count}), at)
        await doc_store.put(tx, row)
        await doc_store.prune(tx, like="revocations/%", before=iso(moment - PRUNE_AFTER),
                              keep=[row.etag, *parts.values()])
        return row


async def revocation_part(svc: Services, prefix: str, etag: str) -> Served | None:
    """A part by its digest, while it is kept (the current index's parts always are)."""
    cache = _cache(svc.db)
    body = cache.parts.get(etag)
    if body is None:
        row = await doc_store.by_etag(svc.db.read, name=part_name(prefix), etag=etag)
        if row is None:
            return None
        body = row.body
        if cache.index is not None and etag in cache.index.parts.values():
            cache.parts[etag] = body
    return Served(etag, body)


async def policy(svc: Services, key: IssuerKey, site: str, text: str, value: Callable[[], SitePolicy],
                 moment: datetime) -> Served:
    """The site's policy signed once per content and signing key.

    `text` is the policy as the site row stores it and `value` reads it: a request whose row is
    the one seen before (the usual case) is answered from memory without reading or hashing it.
    """
    cache = _cache(svc.db)
    seen = cache.policy_rows.get((site, text, key.kid))
    if seen is not None:
        return seen
    policy_value = value()
    canonical = json.dumps(policy_value.to_json(), sort_keys=True, separators=(",", ":"))
    version = hashlib.sha256(f"{key.kid.hex()}:{canonical}".encode()).hexdigest()
    served = cache.policies.get((site, version))
    if served is None:
        name = f"policy/{site}"
        row = await doc_store.get(svc.db.read, name=name, version=version)
        if row is None:
            doc = sign_policy(key, policy_value, issued_at=moment)
            async with svc.db.transaction() as tx:
                await doc_store.put(tx, DocumentRow(name, version, etag_of(doc), doc, "{}", iso(moment)))
                row = await doc_store.get(tx, name=name, version=version)  # ours, or another node's
            assert row is not None
        served = Served(row.etag, row.body)
        cache.policies[(site, version)] = served
    cache.policy_rows[(site, text, key.kid)] = served
    return served


async def keep_keyset(svc: Services, version: int, body: bytes, etag: str, moment: datetime) -> None:
    """Keep the trust part of a bundle (it comes signed from the key folder) once per content."""
    cache = _cache(svc.db)
    if ("keyset", etag) not in cache.policies:
        async with svc.db.transaction() as tx:
            await doc_store.put(tx, DocumentRow("keyset", f"{version:08d}.{etag}", etag, body,
                                                json.dumps({"version": version}), iso(moment)))
        cache.policies[("keyset", etag)] = Served(etag, body)
