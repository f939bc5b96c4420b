"""SQL for guardianships: who holds whose pass on their resident page (family passes)."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class GuardianshipRow:
    id: int
    guardian_id: int
    dependant_id: int
    consent_by: str
    consent_how: str
    consent_at: str
    note: str | None
    recorded_by: str
    recorded_at: str
    ended_at: str | None
    ended_by: str | None
    end_reason: str | None


async def insert(conn: Conn, *, guardian_id: int, dependant_id: int, consent_by: str, consent_how: str,
                 consent_at: str, note: str | None, recorded_by: str, at: str) -> int:
    return int(await conn.returning(
        "INSERT INTO guardianships (guardian_id, dependant_id, consent_by, consent_how, consent_at, note,"
        " recorded_by, recorded_at) VALUES (:g, :d, :by, :how, :cat, :note, :rec, :at) RETURNING id",
        {"g": guardian_id, "d": dependant_id, "by": consent_by, "how": consent_how, "cat": consent_at,
         "note": note, "rec": recorded_by, "at": at}))


async def get(conn: Conn, *, guardianship_id: int) -> GuardianshipRow | None:
    row = await conn.fetch_one("SELECT * FROM guardianships WHERE id = :id", {"id": guardianship_id})
    return GuardianshipRow(**dict(row)) if row else None


async def active(conn: Conn, *, guardian_id: int, dependant_id: int) -> GuardianshipRow | None:
    row = await conn.fetch_one("SELECT * FROM guardianships WHERE guardian_id = :g AND dependant_id = :d"
                               " AND ended_at IS NULL", {"g": guardian_id, "d": dependant_id})
    return GuardianshipRow(**dict(row)) if row else None


async def count_active_dependants(conn: Conn, *, guardian_id: int) -> int:
    return int(await conn.fetch_value("SELECT COUNT(*) FROM guardianships WHERE guardian_id = :g"
                                      " AND ended_at IS NULL", {"g": guardian_id}) or 0)


async def dependants_of(conn: Conn, *, guardian_id: int) -> list[GuardianshipRow]:
    """The active cares of a guardian, oldest first (the order of the tabs on the resident page)."""
    rows = await conn.fetch_all("SELECT * FROM guardianships WHERE guardian_id = :g AND ended_at IS NULL"
                                " ORDER BY id", {"g": guardian_id})
    return [GuardianshipRow(**dict(r)) for r in rows]


async def of_person(conn: Conn, *, person_id: int) -> list[GuardianshipRow]:
    """Every care a person is in, either side, ended ones too, newest first (the person's file)."""
    rows = await conn.fetch_all("SELECT * FROM guardianships WHERE guardian_id = :p OR dependant_id = :p"
                                " ORDER BY id DESC", {"p": person_id})
    return [GuardianshipRow(**dict(r)) for r in rows]


async def end(conn: Conn, *, guardianship_id: int, by: str, at: str, reason: str) -> bool:
    """End an active care; False if it had already ended."""
    cur = await conn.execute(
        "UPDATE guardianships SET ended_at = :at, ended_by = :by, end_reason = :reason"
        " WHERE id = :id AND ended_at IS NULL", {"at": at, "by": by, "reason": reason, "id": guardianship_id})
    return cur.rowcount == 1
