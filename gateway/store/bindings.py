"""SQL for holder bindings (a phone key per person) and the holder-bound passes."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn
from .passes import PassRow


@dataclass(frozen=True, slots=True)
class BindingRow:
    id: int
    person_id: int
    alg: str
    public_key: str
    state: str
    via: str
    created_at: str
    ended_at: str | None
    ended_via: str | None
    end_reason: str | None


async def live_binding(conn: Conn, *, person_id: int) -> BindingRow | None:
    async with conn.execute("SELECT * FROM holder_bindings WHERE person_id = :p AND state = 'live'",
                            {"p": person_id}) as cur:
        row = await cur.fetchone()
    return BindingRow(**dict(row)) if row else None


async def insert_binding(conn: Conn, *, person_id: int, alg: str, public_key: str, via: str, at: str) -> int:
    async with conn.execute(
            "INSERT INTO holder_bindings (person_id, alg, public_key, state, via, created_at)"
            " VALUES (:p, :alg, :key, 'live', :via, :at) RETURNING id",
            {"p": person_id, "alg": alg, "key": public_key, "via": via, "at": at}) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def end_binding(conn: Conn, *, binding_id: int, at: str, via: str, reason: str) -> None:
    await conn.execute(
        "UPDATE holder_bindings SET state = 'ended', ended_at = :at, ended_via = :via, end_reason = :r"
        " WHERE id = :id AND state = 'live'", {"at": at, "via": via, "r": reason, "id": binding_id})


async def resident_bindings_since(conn: Conn, *, person_id: int, since: str, after: str | None) -> int:
    """How many bindings the resident made from the link at or after `since` and strictly after `after`."""
    async with conn.execute(
            "SELECT COUNT(*) FROM holder_bindings WHERE person_id = :p AND via = 'resident'"
            " AND created_at >= :since AND (:after IS NULL OR created_at > :after)",
            {"p": person_id, "since": since, "after": after}) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def last_console_reset(conn: Conn, *, person_id: int) -> str | None:
    """When a worker last ended this person's binding from the console (it resets the limit)."""
    async with conn.execute(
            "SELECT MAX(ended_at) FROM holder_bindings WHERE person_id = :p AND ended_via = 'console'",
            {"p": person_id}) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def live_bound_pass(conn: Conn, *, person_id: int) -> PassRow | None:
    async with conn.execute("SELECT * FROM passes WHERE person_id = :p AND state = 'live' AND bound = 1",
                            {"p": person_id}) as cur:
        row = await cur.fetchone()
    return PassRow(**dict(row)) if row else None
