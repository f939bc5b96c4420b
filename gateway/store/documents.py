"""SQL for signed documents kept once per version (gateway/documents.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class DocumentRow:
    name: str
    version: str
    etag: str
    body: bytes
    meta: str
    created_at: str


def _row(row: object) -> DocumentRow | None:
    if row is None:
        return None
    r = dict(row)  # type: ignore[call-overload]
    return DocumentRow(r["name"], r["version"], r["etag"], bytes(r["body"]), r["meta"], r["created_at"])


async def get(conn: Conn, *, name: str, version: str) -> DocumentRow | None:
    return _row(await conn.fetch_one("SELECT * FROM signed_documents WHERE name = :n AND version = :v",
                                     {"n": name, "v": version}))


async def by_etag(conn: Conn, *, name: str, etag: str) -> DocumentRow | None:
    return _row(await conn.fetch_one("SELECT * FROM signed_documents WHERE name = :n AND etag = :e"
                                     " ORDER BY version LIMIT 1", {"n": name, "e": etag}))


async def latest(conn: Conn, *, name: str) -> DocumentRow | None:
    """The highest version of `name` (versions sort as text: gateway/documents.py pads them)."""
    return _row(await conn.fetch_one("SELECT * FROM signed_documents WHERE name = :n"
                                     " ORDER BY version DESC LIMIT 1", {"n": name}))


async def put(conn: Conn, row: DocumentRow) -> None:
    """Keep a document; a version already kept (another node signed it first) is left as it is."""
    await conn.execute(
        "INSERT INTO signed_documents (name, version, etag, body, meta, created_at)"
        " VALUES (:n, :v, :e, :b, :m, :at) ON CONFLICT (name, version) DO NOTHING",
        {"n": row.name, "v": row.version, "e": row.etag, "b": row.body, "m": row.meta, "at": row.created_at})


async def prune(conn: Conn, *, like: str, before: str, keep: list[str]) -> int:
    """Forget documents named `like` made before `before`, except the etags in `keep`."""
    result = await conn.execute(
        f"DELETE FROM signed_documents WHERE name LIKE :like AND created_at < :before"
        f" AND etag NOT IN {conn.json_list(':keep')}", {"like": like, "before": before, "keep": json.dumps(keep)})
    return result.rowcount
