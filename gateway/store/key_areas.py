"""SQL for the key epidemic areas."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class KeyAreaRow:
    prefix: str
    from_day: str
    until_day: str | None
    updated_at: str
    updated_by: str


async def all_areas(conn: Conn) -> list[KeyAreaRow]:
    return [KeyAreaRow(**dict(r)) for r in await conn.fetch_all("SELECT prefix, from_day, until_day, updated_at, updated_by FROM key_areas"
                            " ORDER BY prefix")]


async def upsert(conn: Conn, *, prefix: str, from_day: str, until_day: str | None, at: str, by: str) -> None:
    await conn.execute(
        "INSERT INTO key_areas (prefix, from_day, until_day, updated_at, updated_by)"
        " VALUES (:p, :f, :u, :at, :by) ON CONFLICT (prefix) DO UPDATE SET"
        " from_day = excluded.from_day, until_day = excluded.until_day,"
        " updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        {"p": prefix, "f": from_day, "u": until_day, "at": at, "by": by})


async def delete(conn: Conn, *, prefix: str) -> bool:
    cur = await conn.execute("DELETE FROM key_areas WHERE prefix = :p", {"p": prefix})
    return cur.rowcount == 1


async def people_from(conn: Conn, *, prefix: str) -> list[int]:
    """Ids of people whose origin starts with `prefix` (prefix is ASCII digits only)."""
    return [r[0] for r in await conn.fetch_all("SELECT id FROM people WHERE origin LIKE :like ORDER BY id",
                            {"like": prefix + "%"})]
