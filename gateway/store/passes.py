"""SQL for passes and the revocation sequence."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..db import Conn


@dataclass(frozen=True, slots=True)
class PassRow:
    serial: str
    person_id: int
    state: str
    kid: str
    qr_text: str
    claims: str
    issued_at: str
    expires_at: str
    revoked_at: str | None
    revoke_reason: str | None
    replaced_by: str | None
    bound: int = 0  # 1: a holder-bound pass (phone key in cnf, shown only as QG2 codes)


COLUMNS = ", ".join(f.name for f in fields(PassRow))


async def insert(conn: Conn, *, serial: str, person_id: int, kid: str, qr_text: str, claims: str,
                 issued_at: str, expires_at: str, bound: bool = False) -> None:
    await conn.execute(
        "INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at, expires_at, bound)"
        " VALUES (:serial, :person, 'live', :kid, :qr, :claims, :iat, :exp, :bound)",
        {"serial": serial, "person": person_id, "kid": kid, "qr": qr_text, "claims": claims,
         "iat": issued_at, "exp": expires_at, "bound": int(bound)})


async def insert_many(conn: Conn, rows: list[dict[str, object]]) -> None:
    """Live passes in bulk; each dict has the named parameters of `insert` (serial, person, kid, qr, ...)."""
    await conn.execute_many(
        "INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at, expires_at, bound)"
        " VALUES (:serial, :person, 'live', :kid, :qr, :claims, :iat, :exp, :bound)", rows)


async def end_many(conn: Conn, rows: list[dict[str, object]]) -> None:
    """Revoke live passes in bulk: dicts of serial, at, reason, by (the replacing serial)."""
    await conn.execute_many(
        "UPDATE passes SET state = 'revoked', revoked_at = :at, revoke_reason = :reason,"
        " replaced_by = :by WHERE serial = :serial AND state = 'live'", rows)


async def _one(conn: Conn, sql: str, params: dict[str, object]) -> PassRow | None:
    row = await conn.fetch_one(sql, params)
    return PassRow(**dict(row)) if row else None


async def get(conn: Conn, *, serial: str) -> PassRow | None:
    return await _one(conn, f"SELECT {COLUMNS} FROM passes WHERE serial = :s", {"s": serial})


async def live_for(conn: Conn, *, person_id: int) -> PassRow | None:
    return await _one(conn, f"SELECT {COLUMNS} FROM passes WHERE person_id = :p AND state = 'live' AND bound = 0",
                      {"p": person_id})


async def latest_for(conn: Conn, *, person_id: int) -> PassRow | None:
    return await _one(conn, f"SELECT {COLUMNS} FROM passes WHERE person_id = :p AND bound = 0"
                            " ORDER BY issued_at DESC, issued_order DESC LIMIT 1", {"p": person_id})


async def end(conn: Conn, *, serial: str, state: str, at: str, reason: str | None,
              replaced_by: str | None = None) -> None:
    """Take a live pass out of service: 'revoked' (on the list) or 'lapsed' (it simply expired)."""
    await conn.execute(
        "UPDATE passes SET state = :state, revoked_at = :at, revoke_reason = :reason,"
        " replaced_by = :by WHERE serial = :s AND state = 'live'",
        {"state": state, "at": at, "reason": reason, "by": replaced_by, "s": serial})


async def add_revocation(conn: Conn, *, serial: str, revoked_at: str, expires_at: str) -> int:
    # versions must become visible in the order they are numbered, or a gate asking for the
    # changes after N could miss a lower number committed later by another gateway process
    await conn.serialise("revocations")
    return int(await conn.returning(
        "INSERT INTO revocations (serial, revoked_at, expires_at) VALUES (:s, :at, :exp)"
        " RETURNING seq",
        {"s": serial, "at": revoked_at, "exp": expires_at}))


async def revocation_seq(conn: Conn) -> int:
    row = await conn.fetch_one("SELECT COALESCE(MAX(seq), 0) FROM revocations")
    return int(row[0]) if row else 0


async def revoked_serials(conn: Conn, *, since: int | None, not_expired_at: str) -> tuple[int, list[str]]:
    """(current version, serials) of a full list (since=None) or of the revocations after `since`.

    A full list leaves out passes that have expired anyway: a gate refuses them as expired.
    """
    seq = await revocation_seq(conn)
    if since is None:
        sql, params = ("SELECT serial FROM revocations WHERE seq <= :seq AND expires_at > :now",
                       {"seq": seq, "now": not_expired_at})
    else:
        sql, params = ("SELECT serial FROM revocations WHERE seq > :since AND seq <= :seq",
                       {"since": since, "seq": seq})
    return seq, [r[0] for r in await conn.fetch_all(sql, params)]


async def record_revoker(conn: Conn, *, serial: str, role: str) -> None:
    """The role that revoked a pass on purpose (see gateway/migrations/*/0430_scopes.sql)."""
    await conn.execute("INSERT INTO pass_revokers (serial, role) VALUES (:s, :r)"
                       " ON CONFLICT (serial) DO UPDATE SET role = :r", {"s": serial, "r": role})


async def revoker(conn: Conn, *, serial: str) -> str | None:
    row = await conn.fetch_one("SELECT role FROM pass_revokers WHERE serial = :s", {"s": serial})
    return None if row is None else str(row[0])


async def live_revocation_count(conn: Conn, *, seq: int, not_expired_at: str) -> int:
    return int(await conn.fetch_value("SELECT COUNT(*) FROM revocations WHERE seq <= :seq AND expires_at > :now",
                                      {"seq": seq, "now": not_expired_at}) or 0)


async def changed_prefixes(conn: Conn, *, since: int, seq: int, chars: int) -> set[str]:
    """The first `chars` hex characters of the serials revoked after version `since`, up to `seq`."""
    rows = await conn.fetch_all(f"SELECT DISTINCT substr(serial, 1, {int(chars)}) FROM revocations"
                                " WHERE seq > :since AND seq <= :seq", {"since": since, "seq": seq})
    return {str(r[0]) for r in rows}


async def revoked_with_prefix(conn: Conn, *, prefix: str, seq: int, not_expired_at: str) -> list[str]:
    """The serials on the full list at `seq` that start with `prefix` (hex; '' for all), not expired."""
    # serials are lower-case hex: every serial starting with p sorts in [p, p + 'g'), so the
    # unique index on serial serves the range
    rows = await conn.fetch_all(
        "SELECT serial FROM revocations WHERE serial >= :lo AND serial < :hi AND seq <= :seq AND expires_at > :now",
        {"lo": prefix, "hi": prefix + "g", "seq": seq, "now": not_expired_at})
    return [str(r[0]) for r in rows]
