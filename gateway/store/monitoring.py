"""SQL for daily health monitoring: who is monitored on a day, their checks, the abnormal ones."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class MonitoredRow:
    id: int
    name: str
    community: str | None
    employer: str | None
    school: str | None
    status: str
    quarantine_end: str | None
    checks: int           # checks within the day
    abnormal: int         # 1 if one of them was abnormal
    last_checked_at: str | None  # the latest check before the day ended


@dataclass(frozen=True, slots=True)
class AbnormalRow:
    person_id: int
    name: str
    community: str | None
    checked_at: str
    temperature: float
    symptoms: str
    employer: str | None = None
    school: str | None = None


async def monitored(conn: Conn, *, day: str, start_iso: str, end_iso: str) -> list[MonitoredRow]:
    """People with a daily check due on `day`: in quarantine that day, or under observation (yellow)."""
    sql = ("SELECT p.id, p.name, p.community, p.employer, p.school, p.status, p.quarantine_end,"
           " (SELECT COUNT(*) FROM health_checks h WHERE h.person_id = p.id"
           "   AND h.checked_at >= :start AND h.checked_at < :end),"
           " (SELECT COALESCE(MAX(h.abnormal), 0) FROM health_checks h WHERE h.person_id = p.id"
           "   AND h.checked_at >= :start AND h.checked_at < :end),"
           " (SELECT MAX(h.checked_at) FROM health_checks h WHERE h.person_id = p.id AND h.checked_at < :end)"
           " FROM people p"
           " WHERE (p.quarantine_start <= :day AND p.quarantine_end > :day) OR p.status = 'yellow'"
           " ORDER BY p.community IS NOT NULL, p.community, p.name, p.id")  # no community first, on both backends
    return [MonitoredRow(*r) for r in await conn.fetch_all(sql, {"day": day, "start": start_iso, "end": end_iso})]


async def abnormal_checks(conn: Conn, *, start_iso: str, end_iso: str) -> list[AbnormalRow]:
    sql = ("SELECT h.person_id, p.name, p.community, h.checked_at, h.temperature, h.symptoms, p.employer, p.school"
           " FROM health_checks h JOIN people p ON p.id = h.person_id"
           " WHERE h.abnormal = 1 AND h.checked_at >= :start AND h.checked_at < :end"
           " ORDER BY h.checked_at, h.id")
    return [AbnormalRow(*r) for r in await conn.fetch_all(sql, {"start": start_iso, "end": end_iso})]
