"""SQL for bulk reissue jobs, card prints and the reprint list (gateway/reissue.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..access import EVERYTHING, Reach
from ..db import Conn
from .passes import COLUMNS as PASS_COLUMNS
from .passes import PassRow
from .people import PersonRow, reach_clause


@dataclass(frozen=True, slots=True)
class JobRow:
    id: int
    kid: str
    reason: str
    actor: str
    state: str  # running | done
    total: int
    done: int
    created_at: str
    updated_at: str
    finished_at: str | None


@dataclass(frozen=True, slots=True)
class ReprintRow:
    """A person whose printed card is void, and the live pass their new card carries."""

    person_id: int
    name: str
    document_last4: str
    status: str
    community: str | None
    serial: str
    qr_text: str
    expires_at: str
    voided_serial: str  # the pass on the void card
    voided_at: str


async def count_live_by_kid(conn: Conn, *, kid: str) -> int:
    row = await conn.fetch_one("SELECT COUNT(*) FROM passes WHERE kid = :kid AND state = 'live'",
                            {"kid": kid})
    return int(row[0]) if row else 0


async def live_by_kid(conn: Conn, *, kid: str, limit: int) -> list[PassRow]:
    rows = await conn.fetch_all(f"SELECT {PASS_COLUMNS} FROM passes WHERE kid = :kid AND state = 'live'"
                                " ORDER BY serial LIMIT :n", {"kid": kid, "n": limit})
    return [PassRow(**dict(r)) for r in rows]


async def people_by_id(conn: Conn, *, ids: list[int]) -> dict[int, PersonRow]:
    if not ids:
        return {}
    names = {f"p{i}": person_id for i, person_id in enumerate(ids)}
    return {r["id"]: PersonRow(**dict(r)) for r in await conn.fetch_all(f"SELECT * FROM people WHERE id IN ({', '.join(':' + n for n in names)})",
                            names)}


async def create_job(conn: Conn, *, kid: str, reason: str, actor: str, total: int, at: str) -> JobRow:
    row = await conn.fetch_one(
            "INSERT INTO reissue_jobs (kid, reason, actor, state, total, done, created_at, updated_at)"
            " VALUES (:kid, :reason, :actor, 'running', :total, 0, :at, :at) RETURNING id",
            {"kid": kid, "reason": reason, "actor": actor, "total": total, "at": at})
    assert row is not None
    job = await get_job(conn, job_id=int(row[0]))
    assert job is not None
    return job


async def get_job(conn: Conn, *, job_id: int) -> JobRow | None:
    row = await conn.fetch_one("SELECT * FROM reissue_jobs WHERE id = :id", {"id": job_id})
    return JobRow(**dict(row)) if row else None


async def job_for_kid(conn: Conn, *, kid: str) -> JobRow | None:
    row = await conn.fetch_one("SELECT * FROM reissue_jobs WHERE kid = :kid", {"kid": kid})
    return JobRow(**dict(row)) if row else None


async def list_jobs(conn: Conn, *, state: str | None = None) -> list[JobRow]:
    return [JobRow(**dict(r)) for r in await conn.fetch_all("SELECT * FROM reissue_jobs WHERE (:state IS NULL OR state = :state)"
                            " ORDER BY id DESC", {"state": state})]


async def advance_job(conn: Conn, *, job_id: int, count: int, at: str, finished: bool) -> None:
    await conn.execute(
        "UPDATE reissue_jobs SET done = done + :n, updated_at = :at,"
        " state = CASE WHEN :finished = 1 THEN 'done' ELSE state END,"
        " finished_at = CASE WHEN :finished = 1 THEN :at ELSE finished_at END WHERE id = :id",
        {"n": count, "at": at, "finished": 1 if finished else 0, "id": job_id})


async def mark_card_printed(conn: Conn, *, serials: list[str], at: str, by: str) -> None:
    """Remember the first time each pass's card was produced; later prints change nothing."""
    for serial in serials:
        await conn.execute(
            "INSERT INTO card_prints (serial, printed_at, printed_by) VALUES (:s, :at, :by)"
            " ON CONFLICT (serial) DO NOTHING", {"s": serial, "at": at, "by": by})


async def card_printed(conn: Conn, *, serial: str) -> bool:
    return await conn.fetch_one("SELECT 1 FROM card_prints WHERE serial = :s", {"s": serial}) is not None


_REPRINT = (
    "SELECT p.id AS person_id, p.name, p.document_last4, p.status, p.community, live.serial, live.qr_text,"
    " live.expires_at, old.serial AS voided_serial, old.revoked_at AS voided_at"
    " FROM passes old"
    " JOIN card_prints printed ON printed.serial = old.serial"
    " JOIN passes live ON live.person_id = old.person_id AND live.state = 'live'"
    " JOIN people p ON p.id = old.person_id"
    " WHERE old.state = 'revoked' AND old.revoke_reason = :reason AND p.id > :after AND {reach}"
    " AND NOT EXISTS (SELECT 1 FROM card_prints again WHERE again.serial = live.serial)"
    # a person with two void cards (two withdrawn keys) is listed once, with the latest
    " AND NOT EXISTS (SELECT 1 FROM passes newer JOIN card_prints np ON np.serial = newer.serial"
    "   WHERE newer.person_id = old.person_id AND newer.state = 'revoked'"
    "   AND newer.revoke_reason = :reason AND newer.revoked_at > old.revoked_at)"
    " ORDER BY p.id LIMIT :n")


async def reprint_list(conn: Conn, *, reason: str, after_person: int, limit: int,
                       reach: Reach = EVERYTHING) -> list[ReprintRow]:
    """People (within a reach) whose printed card was voided by `reason` and whose live pass has no card yet."""
    params: dict[str, Any] = {"reason": reason, "after": after_person, "n": limit}
    sql = _REPRINT.replace("{reach}", reach_clause(reach, params, "p."))
    return [ReprintRow(**dict(r)) for r in await conn.fetch_all(sql, params)]
