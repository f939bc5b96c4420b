"""SQL for alerts: one row per event, made idempotent by a dedupe key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import Conn
from .sqlparts import in_list


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: int
    kind: str
    created_at: str
    site: str | None
    device_id: str | None
    entry_id: str | None
    serial: str | None
    details: str


async def insert(conn: Conn, *, kind: str, created_at: str, site: str | None, device_id: str | None,
                 entry_id: str | None, serial: str | None, details: str, dedupe_key: str) -> int | None:
    """The new alert's id, or None when the same event was already alerted."""
    found = await conn.returning(
        "INSERT INTO alerts (kind, created_at, site, device_id, entry_id, serial, details,"
        " dedupe_key) VALUES (:kind, :at, :site, :dev, :entry, :serial, :details, :key)"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        {"kind": kind, "at": created_at, "site": site, "dev": device_id, "entry": entry_id,
         "serial": serial, "details": details, "key": dedupe_key})
    return None if found is None else int(found)


async def search(conn: Conn, *, kind: str | None, site: str | None, after_id: int,
                 limit: int, sites: list[str] | None = None) -> list[AlertRow]:
    params: dict[str, Any] = {"after": after_id, "kind": kind, "site": site, "limit": limit}
    within = "1 = 1" if sites is None else in_list("site", sites, "sc", params)
    return [AlertRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT id, kind, created_at, site, device_id, entry_id, serial, details FROM alerts"
            " WHERE id > :after AND (:kind IS NULL OR kind = :kind) AND (:site IS NULL OR site = :site)"
            f" AND {within} ORDER BY id LIMIT :limit", params)]
