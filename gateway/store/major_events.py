"""SQL for major-event reports: one row per event, idempotent by a dedupe key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..db import Conn
from .sqlparts import in_list


@dataclass(frozen=True, slots=True)
class MajorEventRow:
    id: int
    rule: str
    created_at: str
    created_ts: float
    site: str | None
    community: str | None
    source: str
    details: str
    acknowledged_at: str | None
    acknowledged_by: str | None


_C = "id, rule, created_at, created_ts, site, community, source, details, acknowledged_at, acknowledged_by"


async def insert(conn: Conn, *, rule: str, at: str, ts: float, site: str | None, community: str | None,
                 source: str, details: str, key: str) -> int | None:
    found = await conn.returning(
        "INSERT INTO major_events (rule, created_at, created_ts, site, community, source, details, dedupe_key)"
        " VALUES (:rule, :at, :ts, :site, :community, :source, :details, :key)"
        " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        {"rule": rule, "at": at, "ts": ts, "site": site, "community": community, "source": source,
         "details": details, "key": key})
    return None if found is None else int(found)


def _within(sites: list[str] | None, communities: list[str] | None, params: dict[str, Any]) -> str:
    """None, None: everything; else the events of these sites or these communities."""
    if sites is None and communities is None:
        return "1 = 1"
    return f"({in_list('site', sites or [], 'sc', params)} OR {in_list('community', communities or [], 'cm', params)})"


async def search(conn: Conn, *, sites: list[str] | None, communities: list[str] | None, open_only: bool,
                 start_ts: float | None = None, end_ts: float | None = None, after_id: int = 0,
                 limit: int = 100) -> list[MajorEventRow]:
    params: dict[str, Any] = {"after": after_id, "limit": limit, "a": start_ts, "b": end_ts}
    where = _within(sites, communities, params)
    still = "acknowledged_at IS NULL" if open_only else "1 = 1"
    rows = await conn.fetch_all(
        f"SELECT {_C} FROM major_events WHERE {where} AND {still} AND id > :after"
        " AND (:a IS NULL OR created_ts >= :a) AND (:b IS NULL OR created_ts < :b) ORDER BY id LIMIT :limit", params)
    return [MajorEventRow(*r) for r in rows]


async def get(conn: Conn, *, event_id: int) -> MajorEventRow | None:
    row = await conn.fetch_one(f"SELECT {_C} FROM major_events WHERE id = :id", {"id": event_id})
    return None if row is None else MajorEventRow(*row)


async def acknowledge(conn: Conn, *, event_id: int, at: str, by: str) -> bool:
    result = await conn.execute("UPDATE major_events SET acknowledged_at = :at, acknowledged_by = :by"
                                " WHERE id = :id AND acknowledged_at IS NULL", {"id": event_id, "at": at, "by": by})
    return result.rowcount == 1
