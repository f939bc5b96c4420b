"""All SQL of the web console: its sessions (table from gateway/migrations/0100_web.sql)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.access import EVERYTHING, Reach
from gateway.db import Conn
from gateway.store.people import reach_clause


@dataclass(frozen=True, slots=True)
class SessionRow:
    account_id: int
    username: str
    role: str
    csrf: str
    expires_at: str
    disabled_at: str | None
    scope: str
    lang: str

    def __repr__(self) -> str:  # the CSRF token stays out of logs
        return f"SessionRow(username={self.username!r}, role={self.role!r})"


async def insert_session(conn: Conn, *, id_hash: str, account_id: int, csrf: str, created_at: str,
                         expires_at: str) -> None:
    await conn.execute(
        "INSERT INTO web_sessions (id_hash, account_id, csrf, created_at, expires_at)"
        " VALUES (:h, :a, :c, :at, :exp)",
        {"h": id_hash, "a": account_id, "c": csrf, "at": created_at, "exp": expires_at})


async def session_by_hash(conn: Conn, *, id_hash: str, now: str) -> SessionRow | None:
    row = await conn.fetch_one(
            "SELECT s.account_id, a.username, a.role, s.csrf, s.expires_at, a.disabled_at, a.scope, a.lang"
            " FROM web_sessions s JOIN accounts a ON a.id = s.account_id"
            " WHERE s.id_hash = :h AND s.expires_at > :now", {"h": id_hash, "now": now})
    return SessionRow(**dict(row)) if row else None


async def delete_session(conn: Conn, *, id_hash: str) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE id_hash = :h", {"h": id_hash})


async def purge_expired(conn: Conn, *, now: str) -> int:
    cur = await conn.execute("DELETE FROM web_sessions WHERE expires_at <= :now", {"now": now})
    return cur.rowcount


# --- read-only views for console lists (writes always go through the gateway's domain functions) ---

@dataclass(frozen=True, slots=True)
class PersonListRow:
    id: int
    name: str
    document_masked: str
    community: str | None
    status: str
    quarantine_end: str | None
    live_serial: str | None


PEOPLE_FILTERS = ("quarantine", "ends_today", "red", "no_pass")


_PEOPLE_WHERE = (
    " AND (:name IS NULL OR lower(p.name) LIKE lower(:name) ESCAPE '\\')"
    " AND (:doc IS NULL OR p.document_hmac = :doc)"
    " AND (:phone IS NULL OR p.phone_hmac = :phone)"
    " AND (:community IS NULL OR p.community = :community)"
    " AND (:f IS DISTINCT FROM 'quarantine' OR p.quarantine_end > :today)"
    " AND (:f IS DISTINCT FROM 'ends_today' OR p.quarantine_end = :today)"
    " AND (:f IS DISTINCT FROM 'red' OR p.status = 'red')"
    " AND (:f IS DISTINCT FROM 'no_pass' OR NOT EXISTS"
    "      (SELECT 1 FROM passes WHERE person_id = p.id AND state = 'live' AND bound = 0))")


def _people_params(name: str | None, document_hmac: str | None, phone_hmac: str | None, community: str | None,
                   filter: str | None, today: str) -> dict[str, Any]:
    like = None if name is None else name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return {"name": like, "doc": document_hmac, "phone": phone_hmac, "community": community, "f": filter,
            "today": today}


async def people_list(conn: Conn, *, name: str | None, document_hmac: str | None, phone_hmac: str | None,
                      community: str | None, filter: str | None, today: str, after_id: int,
                      limit: int, reach: Reach = EVERYTHING) -> list[PersonListRow]:
    """People matching the console's search box and one filter, within a reach; a name matches as a prefix."""
    params = _people_params(name, document_hmac, phone_hmac, community, filter, today)
    sql = ("SELECT p.id, p.name, p.document_masked, p.community, p.status, p.quarantine_end,"
           " (SELECT serial FROM passes WHERE person_id = p.id AND state = 'live' AND bound = 0) AS live_serial"
           " FROM people p WHERE p.id > :after" + _PEOPLE_WHERE +
           f" AND {reach_clause(reach, params, 'p.')}"
           " ORDER BY p.id LIMIT :limit")
    params.update({"after": after_id, "limit": limit})
    return [PersonListRow(**dict(r)) for r in await conn.fetch_all(sql, params)]


@dataclass(frozen=True, slots=True)
class CardRow:
    """A person of a selection and the live (paper) pass their card carries."""

    person_id: int
    name: str
    document_last4: str
    status: str
    serial: str
    qr_text: str
    expires_at: str


_CARDS_FROM = (" FROM people p JOIN passes s ON s.person_id = p.id AND s.state = 'live' AND s.bound = 0"
               " WHERE p.id > :after")


async def card_rows(conn: Conn, *, name: str | None, community: str | None, filter: str | None, today: str,
                    after_id: int, limit: int, reach: Reach = EVERYTHING) -> list[CardRow]:
    """The People list's selection (same filters, within a reach), those with a live pass, by id."""
    params = _people_params(name, None, None, community, filter, today)
    sql = ("SELECT p.id AS person_id, p.name, p.document_last4, p.status, s.serial, s.qr_text, s.expires_at"
           + _CARDS_FROM + _PEOPLE_WHERE + f" AND {reach_clause(reach, params, 'p.')} ORDER BY p.id LIMIT :limit")
    params.update({"after": after_id, "limit": limit})
    return [CardRow(**dict(r)) for r in await conn.fetch_all(sql, params)]


async def card_count(conn: Conn, *, name: str | None, community: str | None, filter: str | None, today: str,
                     reach: Reach = EVERYTHING) -> int:
    params = _people_params(name, None, None, community, filter, today)
    sql = "SELECT COUNT(*)" + _CARDS_FROM + _PEOPLE_WHERE + f" AND {reach_clause(reach, params, 'p.')}"
    params["after"] = 0
    return int(await conn.fetch_value(sql, params) or 0)


@dataclass(frozen=True, slots=True)
class PassListRow:
    serial: str
    state: str
    issued_at: str
    expires_at: str
    revoked_at: str | None
    revoke_reason: str | None
    replaced_by: str | None


async def passes_of(conn: Conn, *, person_id: int) -> list[PassListRow]:
    return [PassListRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT serial, state, issued_at, expires_at, revoked_at, revoke_reason, replaced_by"
            " FROM passes WHERE person_id = :p AND bound = 0 ORDER BY issued_at DESC, issued_order DESC",
            {"p": person_id})]


@dataclass(frozen=True, slots=True)
class PersonEntryRow:
    scanned_at: str
    site: str
    device_id: str
    serial: str | None
    decision: str
    reason: str
    temperature: float | None


async def entries_of(conn: Conn, *, person_id: int, limit: int = 100) -> list[PersonEntryRow]:
    """Entries at gates of any of the person's passes, newest first."""
    return [PersonEntryRow(**dict(r)) for r in await conn.fetch_all(
            "SELECT e.scanned_at, e.site, e.device_id, e.serial, e.decision, e.reason, e.temperature"
            " FROM entries e JOIN passes p ON p.serial = e.serial WHERE p.person_id = :p"
            " ORDER BY e.scanned_ts DESC LIMIT :limit", {"p": person_id, "limit": limit})]
