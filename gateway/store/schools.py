"""SQL for the school file (一校一档): classes, class membership, the daily contact log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..access import Reach
from ..db import Conn
from .people import PersonRow, reach_clause


@dataclass(frozen=True, slots=True)
class ClassRow:
    school: str
    code: str
    name: str
    grade: str | None
    teacher: str | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class ContactRow:
    id: int
    person_id: int
    contacted_at: str
    recorded_by: str       # the account, as in the audit log
    caller: str            # who made the contact (a name)
    channel: str
    note: str              # what was said
    health: str | None     # 身体状况, as told
    plans: str | None      # 行程动态: when and how they mean to come back


async def insert_class(conn: Conn, *, school: str, code: str, name: str, grade: str | None,
                       teacher: str | None, at: str) -> None:
    await conn.execute(
        "INSERT INTO school_classes (school, code, name, grade, teacher, created_at, updated_at)"
        " VALUES (:school, :code, :name, :grade, :teacher, :at, :at)",
        {"school": school, "code": code, "name": name, "grade": grade, "teacher": teacher, "at": at})


async def update_class(conn: Conn, *, school: str, code: str, values: dict[str, Any], at: str) -> None:
    allowed = {"name", "grade", "teacher"}
    if set(values) - allowed:  # a programming error: column names never come from requests
        raise ValueError(f"not class columns: {sorted(set(values) - allowed)}")
    sets = ", ".join(f"{c} = :{c}" for c in sorted(values))
    await conn.execute(f"UPDATE school_classes SET {sets}, updated_at = :at WHERE school = :school AND code = :code",
                       {**values, "at": at, "school": school, "code": code})


async def get_class(conn: Conn, *, school: str, code: str) -> ClassRow | None:
    row = await conn.fetch_one("SELECT * FROM school_classes WHERE school = :s AND code = :c",
                               {"s": school, "c": code})
    return ClassRow(**dict(row)) if row else None


async def classes_of(conn: Conn, *, school: str) -> list[ClassRow]:
    rows = await conn.fetch_all("SELECT * FROM school_classes WHERE school = :s ORDER BY grade, code",
                                {"s": school})
    return [ClassRow(**dict(r)) for r in rows]


async def people_of(conn: Conn, *, school: str, reach: Reach, school_class: str | None = None,
                    limit: int = 5000) -> list[PersonRow]:
    """The school's people the reach covers (one class, or all), by class then name."""
    params: dict[str, Any] = {"s": school, "k": school_class, "limit": limit}
    sql = ("SELECT * FROM people WHERE school = :s AND (:k IS NULL OR school_class = :k)"
           f" AND {reach_clause(reach, params)} ORDER BY school_class, name, id LIMIT :limit")
    return [PersonRow(**dict(r)) for r in await conn.fetch_all(sql, params)]


async def insert_contact(conn: Conn, *, person_id: int, contacted_at: str, recorded_by: str, caller: str,
                         channel: str, note: str, health: str | None, plans: str | None) -> int:
    return int(await conn.returning(
        "INSERT INTO contact_logs (person_id, contacted_at, recorded_by, caller, channel, note, health, plans)"
        " VALUES (:p, :at, :by, :caller, :channel, :note, :health, :plans) RETURNING id",
        {"p": person_id, "at": contacted_at, "by": recorded_by, "caller": caller, "channel": channel,
         "note": note, "health": health, "plans": plans}))


async def contacts_of(conn: Conn, *, person_id: int, limit: int = 200) -> list[ContactRow]:
    """Newest first."""
    rows = await conn.fetch_all("SELECT * FROM contact_logs WHERE person_id = :p"
                                " ORDER BY contacted_at DESC, id DESC LIMIT :limit", {"p": person_id, "limit": limit})
    return [ContactRow(**dict(r)) for r in rows]


async def redact_contacts_before(conn: Conn, *, before_iso: str) -> int:
    """Blank what was said in contacts made before `before_iso` (note, health, plans): that a
    contact was made, when, by whom and how stays in the school file; what the person told goes."""
    result = await conn.execute(
        "UPDATE contact_logs SET note = '', health = NULL, plans = NULL"
        " WHERE contacted_at < :b AND (note <> '' OR health IS NOT NULL OR plans IS NOT NULL)",
        {"b": before_iso})
    return result.rowcount


async def contacted_between(conn: Conn, *, person_ids: list[int], start_iso: str, end_iso: str
                            ) -> dict[int, ContactRow]:
    """The latest contact in [start, end) of each of these people."""
    if not person_ids:
        return {}
    sql = (f"SELECT * FROM contact_logs WHERE person_id IN {conn.json_list(':ids', 'BIGINT')}"
           " AND contacted_at >= :start AND contacted_at < :end ORDER BY contacted_at, id")

    found: dict[int, ContactRow] = {}
    for r in await conn.fetch_all(sql, {"ids": json.dumps(person_ids), "start": start_iso, "end": end_iso}):
        row = ContactRow(**dict(r))
        found[row.person_id] = row
    return found


async def checks_between(conn: Conn, *, person_ids: list[int], start_iso: str, end_iso: str
                         ) -> dict[int, list[tuple[str, float, int, str | None, str]]]:
    """Each person's checks in [start, end): (checked_at, temperature, abnormal, taken_by, recorded_by)."""
    if not person_ids:
        return {}

    sql = ("SELECT person_id, checked_at, temperature, abnormal, taken_by, recorded_by FROM health_checks"
           f" WHERE person_id IN {conn.json_list(':ids', 'BIGINT')}"
           " AND checked_at >= :start AND checked_at < :end ORDER BY checked_at, id")
    found: dict[int, list[tuple[str, float, int, str | None, str]]] = {}
    for r in await conn.fetch_all(sql, {"ids": json.dumps(person_ids), "start": start_iso, "end": end_iso}):
        found.setdefault(int(r[0]), []).append((r[1], float(r[2]), int(r[3]), r[4], r[5]))
    return found


async def school_codes(conn: Conn) -> list[str]:
    """Every school that has a class."""
    return [r[0] for r in await conn.fetch_all("SELECT DISTINCT school FROM school_classes ORDER BY school")]
