"""What a gate does with a bundle, from the device API's answers only: fetch the parts, verify all."""

from __future__ import annotations

import base64
import os
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from gateway.db import Database
from keys import RevocationList, TrustSet, load_partitioned, load_revocation_index


async def revocations_of(client: TestClient, bundle: dict[str, Any], trust: TrustSet) -> RevocationList:  # type: ignore[type-arg]
    """The list the bundle's signed index names, from the public parts it names by digest."""
    index = load_revocation_index(base64.b64decode(bundle["revocations_index"]), trust)
    parts = {}
    for prefix, digest in index.parts.items():
        resp = await client.get(f"/api/v1/revocations/{prefix.hex() or 'all'}/{digest.hex()}")
        assert resp.status == 200, await resp.text()
        assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        parts[prefix] = await resp.read()
    return load_partitioned(index, parts, trust)


async def seed_revoked(db: Database, count: int, *, kid: str = "00" * 8) -> list[str]:
    """`count` people each with a revoked pass on the list, written straight to the tables (fast)."""
    at = datetime.now(UTC)
    stamp, expires = at.isoformat(timespec="seconds"), (at + timedelta(days=30)).isoformat(timespec="seconds")
    serials = sorted(os.urandom(12).hex() for _ in range(count))
    base = 50_000_000  # ids far above what the API hands out (an explicit id does not move a sequence)
    async with db.transaction() as tx:
        await tx.execute_many(
            "INSERT INTO people (id, name, document_type, document_enc, document_hmac, document_masked,"
            " document_last4, community, status, created_at, updated_at)"
            " VALUES (:id, :name, 'resident_id', :enc, :hmac, '4201**********123X', '123X', 'C1', 'green', :at, :at)",
            [{"id": base + i, "name": f"seed{i}", "enc": b"\x00", "hmac": f"seed{base + i}", "at": stamp}
             for i in range(count)])
        await tx.execute_many(
            "INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at, expires_at)"
            " VALUES (:s, :p, 'revoked', :kid, 'QG1:seed', '{}', :at, :exp)",
            [{"s": s, "p": base + i, "kid": kid, "at": stamp, "exp": expires} for i, s in enumerate(serials)])
        await tx.execute_many("INSERT INTO revocations (serial, revoked_at, expires_at) VALUES (:s, :at, :exp)",
                              [{"s": s, "at": stamp, "exp": expires} for s in serials])
    return serials
