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
    handled_at: str | None = None  # marked handled on Today or the alerts page (alert.handle)
    handled_by: str | None = None


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
                 limit: int, sites: list[str] | None = None, handled: bool | None = None) -> list[AlertRow]:
    """Alerts in id order; `handled` True/False keeps only the handled/open ones (None: both)."""
    params: dict[str, Any] = {"after": after_id, "kind": kind, "site": site, "limit": limit}
    within = "1 = 1" if sites is None else in_list("site", sites, "sc", params)
    state = {None: "1 = 1", True: "handled_at IS NOT NULL", False: "handled_at IS NULL"}[handled]
    return [AlertRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT id, kind, created_at, site, device_id, entry_id, serial, details, handled_at, handled_by"
            " FROM alerts WHERE id > :after AND (:kind IS NULL OR kind = :kind) AND (:site IS NULL OR site = :site)"
            f" AND {within} AND {state} ORDER BY id LIMIT :limit", params)]


@dataclass(frozen=True, slots=True)
class OpenAlertRow:
    """An alert no one has marked handled, with the person its pass (or health check) names."""

    id: int
    kind: str
    created_at: str
    site: str | None
    device_id: str | None
    serial: str | None
    details: str
    person_id: int | None  # the pass's holder (gate alerts); health checks name theirs in details


# fevers first (at a gate, then an abnormal health check), then the rest; newest first within a kind
_OPEN_ORDER = ("CASE a.kind WHEN 'fever' THEN 0 WHEN 'health_check' THEN 1 ELSE 2 END, a.id DESC")


async def open_alerts(conn: Conn, *, sites: list[str] | None, limit: int) -> list[OpenAlertRow]:
    """Unhandled alerts of these sites (None: every site); alerts without a site (health checks)
    are all returned, for the caller to keep those of its people."""
    params: dict[str, Any] = {"limit": limit}
    within = "1 = 1" if sites is None else f"({in_list('a.site', sites, 'sc', params)} OR a.site IS NULL)"
    return [OpenAlertRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT a.id, a.kind, a.created_at, a.site, a.device_id, a.serial, a.details,"
            " p.person_id FROM alerts a LEFT JOIN passes p ON p.serial = a.serial"
            f" WHERE a.handled_at IS NULL AND {within} ORDER BY {_OPEN_ORDER} LIMIT :limit", params)]


async def get_open(conn: Conn, *, alert_id: int) -> OpenAlertRow | None:
    row = await conn.fetch_one(
        "SELECT a.id, a.kind, a.created_at, a.site, a.device_id, a.serial, a.details, p.person_id"
        " FROM alerts a LEFT JOIN passes p ON p.serial = a.serial WHERE a.id = :id AND a.handled_at IS NULL",
        {"id": alert_id})
    return OpenAlertRow(**dict(row)) if row else None


async def mark_handled(conn: Conn, *, alert_id: int, at: str, by: str) -> None:
    await conn.execute("UPDATE alerts SET handled_at = :at, handled_by = :by WHERE id = :id AND handled_at IS NULL",
                       {"at": at, "by": by, "id": alert_id})
