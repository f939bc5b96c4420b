"""SQL for people, their status history and health checks."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from ..access import EVERYTHING, Reach
from ..db import Conn
from .sqlparts import in_list


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    document_type: str
    document_enc: bytes
    document_hmac: str
    document_masked: str
    document_last4: str
    phone_enc: bytes | None
    phone_hmac: str | None
    phone_masked: str | None
    address: str | None
    community: str | None
    employer: str | None
    school: str | None
    origin: str | None
    left_origin_on: str | None
    arrived_on: str | None
    status: str
    quarantine_kind: str | None
    quarantine_start: str | None
    quarantine_end: str | None
    quarantine_ended_early: int
    cleared: int
    cleared_at: str | None
    resident_token_hash: str | None
    resident_token_enc: bytes | None
    created_at: str
    updated_at: str
    quarantine_place: str | None = None
    school_class: str | None = None    # a class of `school` (school_classes), set by gateway/schools.py
    school_member: str | None = None   # student | staff


@dataclass(frozen=True, slots=True)
class StatusChange:
    status: str
    changed_at: str
    changed_by: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class HealthCheck:
    id: int
    person_id: int
    checked_at: str
    temperature: float
    symptoms: str
    recorded_by: str
    abnormal: int = 0
    taken_by: str | None = None  # who took the temperature (a name); recorded_by is the account


WRITABLE = frozenset(f.name for f in fields(PersonRow)) - {"id"}


def _columns(values: dict[str, Any]) -> list[str]:
    unknown = set(values) - WRITABLE
    if unknown:  # a programming error, never user input: column names are never taken from requests
        raise ValueError(f"not person columns: {sorted(unknown)}")
    return sorted(values)


async def insert(conn: Conn, *, values: dict[str, Any]) -> int:
    cols = _columns(values)
    sql = (f"INSERT INTO people ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
           " RETURNING id")
    return int(await conn.returning(sql, values))


async def update(conn: Conn, *, person_id: int, values: dict[str, Any]) -> None:
    if not values:
        return
    sets = ", ".join(f"{c} = :{c}" for c in _columns(values))
    await conn.execute(f"UPDATE people SET {sets} WHERE id = :id", {**values, "id": person_id})


async def _one(conn: Conn, where: str, params: dict[str, Any]) -> PersonRow | None:
    row = await conn.fetch_one(f"SELECT * FROM people WHERE {where}", params)
    return PersonRow(**dict(row)) if row else None


async def get(conn: Conn, *, person_id: int) -> PersonRow | None:
    return await _one(conn, "id = :id", {"id": person_id})


async def by_document(conn: Conn, *, document_hmac: str) -> PersonRow | None:
    return await _one(conn, "document_hmac = :h", {"h": document_hmac})


async def existing_documents(conn: Conn, *, document_hmacs: list[str]) -> set[str]:
    """Which of these document hashes are registered already (in chunks: one query per 500)."""
    found: set[str] = set()
    for start in range(0, len(document_hmacs), 500):
        params: dict[str, Any] = {}
        where = in_list("document_hmac", document_hmacs[start:start + 500], "h", params)
        found |= {r[0] for r in await conn.fetch_all(f"SELECT document_hmac FROM people WHERE {where}", params)}
    return found


async def by_resident_token(conn: Conn, *, token_hash: str) -> PersonRow | None:
    return await _one(conn, "resident_token_hash = :h", {"h": token_hash})


def reach_clause(reach: Reach, params: dict[str, Any], prefix: str = "") -> str:
    """The people a scope reaches, as SQL (TRUE for everything)."""
    if reach.everything:
        return "1 = 1"
    parts = [in_list(f"{prefix}community", reach.communities, "rc", params),
             in_list(f"{prefix}employer", reach.employers, "re", params),
             in_list(f"{prefix}school", reach.schools, "rs", params)]
    if reach.classes:
        parts.append(in_list(f"({prefix}school || '/' || {prefix}school_class)", reach.classes, "rk", params))
    return "(" + " OR ".join(parts) + ")"


async def search(conn: Conn, *, community: str | None = None, status: str | None = None,
                 document_hmac: str | None = None, phone_hmac: str | None = None,
                 after_id: int = 0, limit: int = 50, reach: Reach = EVERYTHING) -> list[PersonRow]:
    params: dict[str, Any] = {"after": after_id, "community": community, "status": status,
                              "doc": document_hmac, "phone": phone_hmac, "limit": limit}
    sql = ("SELECT * FROM people WHERE id > :after"
           " AND (:community IS NULL OR community = :community)"
           " AND (:status IS NULL OR status = :status)"
           " AND (:doc IS NULL OR document_hmac = :doc)"
           " AND (:phone IS NULL OR phone_hmac = :phone)"
           f" AND {reach_clause(reach, params)}"
           " ORDER BY id LIMIT :limit")
    return [PersonRow(**dict(r)) for r in await conn.fetch_all(sql, params)]


async def add_status(conn: Conn, *, person_id: int, status: str, changed_at: str, changed_by: str,
                     reason: str | None) -> None:
    await conn.execute(
        "INSERT INTO status_history (person_id, status, changed_at, changed_by, reason)"
        " VALUES (:p, :s, :at, :by, :r)",
        {"p": person_id, "s": status, "at": changed_at, "by": changed_by, "r": reason})


async def status_history(conn: Conn, *, person_id: int) -> list[StatusChange]:
    return [StatusChange(**dict(r)) for r in await conn.fetch_all(
            "SELECT status, changed_at, changed_by, reason FROM status_history"
            " WHERE person_id = :p ORDER BY id", {"p": person_id})]


async def add_health_check(conn: Conn, *, person_id: int, checked_at: str, temperature: float,
                           symptoms: str, recorded_by: str, abnormal: int = 0, taken_by: str | None = None) -> int:
    return int(await conn.returning(
        "INSERT INTO health_checks (person_id, checked_at, temperature, symptoms, recorded_by, abnormal, taken_by)"
        " VALUES (:p, :at, :t, :s, :by, :ab, :tb) RETURNING id",
        {"p": person_id, "at": checked_at, "t": temperature, "s": symptoms, "by": recorded_by,
         "ab": abnormal, "tb": taken_by}))


async def health_checks(conn: Conn, *, person_id: int) -> list[HealthCheck]:
    return [HealthCheck(**dict(r)) for r in await conn.fetch_all("SELECT * FROM health_checks WHERE person_id = :p ORDER BY checked_at, id",
                            {"p": person_id})]
