"""SQL for the audit log: who did what to which record, when and why."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..clock import iso, now
from ..db import Conn


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    at: str
    actor: str
    action: str
    target: str
    reason: str | None
    details: str


async def record(conn: Conn, actor: str, action: str, target: str, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
    """Append one audit row; `details` must never hold a full document or phone number."""
    await conn.execute(
        "INSERT INTO audit (at, actor, action, target, reason, details)"
        " VALUES (:at, :actor, :action, :target, :reason, :details)",
        {"at": iso(now()), "actor": actor, "action": action, "target": target, "reason": reason,
         "details": json.dumps(details or {}, ensure_ascii=False, sort_keys=True)})


async def record_many(conn: Conn, actor: str, action: str, reason: str | None,
                      rows: list[tuple[str, dict[str, Any]]]) -> None:
    """Append one row per (target, details), all with the same actor, action, reason and time."""
    at = iso(now())
    await conn.execute_many(
        "INSERT INTO audit (at, actor, action, target, reason, details)"
        " VALUES (:at, :actor, :action, :target, :reason, :details)",
        [{"at": at, "actor": actor, "action": action, "target": target, "reason": reason,
          "details": json.dumps(details, ensure_ascii=False, sort_keys=True)} for target, details in rows])


async def search(conn: Conn, *, actor: str | None, action: str | None, target: str | None,
                 after_id: int, limit: int) -> list[AuditRow]:
    return [AuditRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT * FROM audit WHERE id > :after AND (:actor IS NULL OR actor = :actor)"
            " AND (:action IS NULL OR action = :action) AND (:target IS NULL OR target = :target)"
            " ORDER BY id LIMIT :limit",
            {"after": after_id, "actor": actor, "action": action, "target": target,
             "limit": limit})]
