"""SQL for resumption applications (复工审批) and their decisions."""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class ResumptionRow:
    id: int
    site: str
    state: str
    items: str  # JSON {item: {"done": bool, "note": str | None}}
    open_from: str | None
    note: str | None
    applied_by: str
    applied_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    approved_open_from: str | None
    withdrawn_by: str | None
    withdrawn_at: str | None
    withdrawal_reason: str | None


async def insert(conn: Conn, *, site: str, items: str, open_from: str | None, note: str | None,
                 applied_by: str, at: str) -> int:
    return int(await conn.returning(
        "INSERT INTO resumptions (site, state, items, open_from, note, applied_by, applied_at)"
        " VALUES (:site, 'pending', :items, :open_from, :note, :by, :at) RETURNING id",
        {"site": site, "items": items, "open_from": open_from, "note": note, "by": applied_by, "at": at}))


async def get(conn: Conn, *, resumption_id: int) -> ResumptionRow | None:
    row = await conn.fetch_one("SELECT * FROM resumptions WHERE id = :id", {"id": resumption_id})
    return ResumptionRow(**dict(row)) if row else None


async def pending_of(conn: Conn, *, site: str) -> ResumptionRow | None:
    row = await conn.fetch_one("SELECT * FROM resumptions WHERE site = :site AND state = 'pending'",
                               {"site": site})
    return ResumptionRow(**dict(row)) if row else None


async def latest_approved(conn: Conn, *, site: str) -> int | None:
    """The id of the site's newest approved application, or None."""
    found = await conn.fetch_value("SELECT MAX(id) FROM resumptions WHERE site = :site AND state = 'approved'",
                                   {"site": site})
    return None if found is None else int(found)


async def search(conn: Conn, *, site: str | None, state: str | None, sites: list[str] | None,
                 limit: int) -> list[ResumptionRow]:
    """Newest first; `sites`: only these (a scope), None: every site."""
    where = ["(:site IS NULL OR site = :site)", "(:state IS NULL OR state = :state)"]
    params: dict[str, object] = {"site": site, "state": state, "limit": limit}
    if sites is not None:
        if not sites:
            return []
        where.append(f"site IN {conn.json_list(':sites')}")
        params["sites"] = json.dumps(sites)
    rows = await conn.fetch_all(f"SELECT * FROM resumptions WHERE {' AND '.join(where)} ORDER BY id DESC"
                                " LIMIT :limit", params)
    return [ResumptionRow(**dict(r)) for r in rows]


async def decide(conn: Conn, *, resumption_id: int, state: str, by: str, at: str, reason: str,
                 approved_open_from: str | None) -> bool:
    """Decide a pending application; False if it was decided meanwhile."""
    cur = await conn.execute(
        "UPDATE resumptions SET state = :state, decided_by = :by, decided_at = :at, decision_reason = :reason,"
        " approved_open_from = :open WHERE id = :id AND state = 'pending'",
        {"state": state, "by": by, "at": at, "reason": reason, "open": approved_open_from, "id": resumption_id})
    return cur.rowcount == 1


async def withdraw(conn: Conn, *, resumption_id: int, by: str, at: str, reason: str) -> bool:
    """Withdraw an approved application; False if it is no longer approved (withdrawn meanwhile)."""
    cur = await conn.execute(
        "UPDATE resumptions SET state = 'withdrawn', withdrawn_by = :by, withdrawn_at = :at,"
        " withdrawal_reason = :reason WHERE id = :id AND state = 'approved'",
        {"by": by, "at": at, "reason": reason, "id": resumption_id})
    return cur.rowcount == 1
