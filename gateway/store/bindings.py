"""SQL for holder bindings (a phone key per person) and the holder-bound passes."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn
from .passes import COLUMNS as PASS_COLUMNS
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
    row = await conn.fetch_one("SELECT * FROM holder_bindings WHERE person_id = :p AND state = 'live'",
                            {"p": person_id})
    return BindingRow(**dict(row)) if row else None


async def insert_binding(conn: Conn, *, person_id: int, alg: str, public_key: str, via: str, at: str) -> int:
    row = await conn.fetch_one(
            "INSERT INTO holder_bindings (person_id, alg, public_key, state, via, created_at)"
            " VALUES (:p, :alg, :key, 'live', :via, :at) RETURNING id",
            {"p": person_id, "alg": alg, "key": public_key, "via": via, "at": at})
    assert row is not None
    return int(row[0])


async def end_binding(conn: Conn, *, binding_id: int, at: str, via: str, reason: str) -> None:
    await conn.execute(
        "UPDATE holder_bindings SET state = 'ended', ended_at = :at, ended_via = :via, end_reason = :r"
        " WHERE id = :id AND state = 'live'", {"at": at, "via": via, "r": reason, "id": binding_id})


async def resident_bindings_since(conn: Conn, *, person_id: int, since: str, after: str | None) -> int:
    """How many bindings the resident made from the link at or after `since` and strictly after `after`."""
    row = await conn.fetch_one(
            "SELECT COUNT(*) FROM holder_bindings WHERE person_id = :p AND via = 'resident'"
            " AND created_at >= :since AND (:after IS NULL OR created_at > :after)",
            {"p": person_id, "since": since, "after": after})
    return int(row[0]) if row else 0


async def last_console_reset(conn: Conn, *, person_id: int) -> str | None:
    """When a worker last ended this person's binding from the console (it resets the limit)."""
    row = await conn.fetch_one(
            "SELECT MAX(ended_at) FROM holder_bindings WHERE person_id = :p AND ended_via = 'console'",
            {"p": person_id})
    return row[0] if row else None


async def live_bound_pass(conn: Conn, *, person_id: int) -> PassRow | None:
    row = await conn.fetch_one(f"SELECT {PASS_COLUMNS} FROM passes WHERE person_id = :p AND state = 'live' AND bound = 1",
                            {"p": person_id})
    return PassRow(**dict(row)) if row else None
