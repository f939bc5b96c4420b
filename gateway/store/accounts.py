"""SQL for API tokens, console accounts and the throttle counters (failed logins, desk look-ups)."""

from __future__ import annotations

from dataclasses import dataclass

from ..db import Conn


@dataclass(frozen=True, slots=True)
class TokenRow:
    """An API token as listed: everything but its hash."""

    id: int
    role: str
    label: str
    created_at: str
    expires_at: str | None
    last_used_at: str | None
    revoked_at: str | None
    scope: str


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: int
    username: str
    password_hash: str
    role: str
    created_at: str
    disabled_at: str | None
    scope: str
    lang: str

    def __repr__(self) -> str:  # keep the hash out of logs
        return f"AccountRow(id={self.id}, username={self.username!r}, role={self.role!r})"


@dataclass(frozen=True, slots=True)
class FailureRow:
    failures: int
    last_ts: float
    locked_until: float


TOKEN_COLUMNS = "id, role, label, created_at, expires_at, last_used_at, revoked_at, scope"


async def insert_token(conn: Conn, *, token_hash: str, role: str, label: str, at: str,
                       expires_at: str | None = None, scope: str = "city") -> int:
    return int(await conn.returning(
        "INSERT INTO api_tokens (token_hash, role, label, created_at, expires_at, scope)"
        " VALUES (:h, :role, :label, :at, :exp, :scope)"
        " RETURNING id",
        {"h": token_hash, "role": role, "label": label, "at": at, "exp": expires_at, "scope": scope}))


async def token_by_hash(conn: Conn, *, token_hash: str) -> TokenRow | None:
    row = await conn.fetch_one(f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = :h",
                            {"h": token_hash})
    return TokenRow(**dict(row)) if row else None


async def token_by_id(conn: Conn, *, token_id: int) -> TokenRow | None:
    row = await conn.fetch_one(f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = :id", {"id": token_id})
    return TokenRow(**dict(row)) if row else None


async def list_tokens(conn: Conn, *, after_id: int, limit: int) -> list[TokenRow]:
    return [TokenRow(**dict(r)) for r in await conn.fetch_all(f"SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id > :after ORDER BY id LIMIT :limit",
                            {"after": after_id, "limit": limit})]


async def revoke_token(conn: Conn, *, token_id: int, at: str) -> bool:
    cur = await conn.execute("UPDATE api_tokens SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL",
                             {"at": at, "id": token_id})
    return cur.rowcount == 1


async def touch_token(conn: Conn, *, token_id: int, at: str) -> None:
    await conn.execute("UPDATE api_tokens SET last_used_at = :at WHERE id = :id", {"at": at, "id": token_id})


async def insert_account(conn: Conn, *, username: str, password_hash: str, role: str, at: str,
                         scope: str = "city") -> int:
    return int(await conn.returning(
        "INSERT INTO accounts (username, password_hash, role, created_at, scope)"
        " VALUES (:u, :p, :r, :at, :scope)"
        " RETURNING id",
        {"u": username, "p": password_hash, "r": role, "at": at, "scope": scope}))


async def account_by_username(conn: Conn, *, username: str) -> AccountRow | None:
    row = await conn.fetch_one("SELECT * FROM accounts WHERE username = :u", {"u": username})
    return AccountRow(**dict(row)) if row else None


async def set_password(conn: Conn, *, username: str, password_hash: str) -> bool:
    cur = await conn.execute("UPDATE accounts SET password_hash = :p WHERE username = :u",
                             {"p": password_hash, "u": username})
    return cur.rowcount == 1


async def set_lang(conn: Conn, *, account_id: int, lang: str) -> None:
    await conn.execute("UPDATE accounts SET lang = :l WHERE id = :id", {"l": lang, "id": account_id})


async def list_accounts(conn: Conn) -> list[AccountRow]:
    return [AccountRow(**dict(r)) for r in await conn.fetch_all("SELECT * FROM accounts ORDER BY username")]


async def set_disabled(conn: Conn, *, username: str, at: str | None) -> bool:
    """Disable (at = when) or enable (at = None); False when the account was already so."""
    cur = await conn.execute(
        "UPDATE accounts SET disabled_at = :at WHERE username = :u"
        " AND (CASE WHEN :at IS NULL THEN disabled_at IS NOT NULL ELSE disabled_at IS NULL END)",
        {"at": at, "u": username})
    return cur.rowcount == 1


async def failures(conn: Conn, *, key: str) -> FailureRow | None:
    row = await conn.fetch_one("SELECT failures, last_ts, locked_until FROM login_failures WHERE key = :k",
                            {"k": key})
    return FailureRow(**dict(row)) if row else None


async def set_failures(conn: Conn, *, key: str, failures: int, last_ts: float, locked_until: float) -> None:
    await conn.execute(
        "INSERT INTO login_failures (key, failures, last_ts, locked_until) VALUES (:k, :f, :t, :l)"
        " ON CONFLICT (key) DO UPDATE SET failures = :f, last_ts = :t, locked_until = :l",
        {"k": key, "f": failures, "t": last_ts, "l": locked_until})


async def end_sessions(conn: Conn, *, username: str) -> int:
    """End every console session of an account; returns how many there were."""
    cur = await conn.execute(
        "DELETE FROM web_sessions WHERE account_id IN (SELECT id FROM accounts WHERE username = :u)",
        {"u": username})
    return cur.rowcount


async def clear_failures(conn: Conn, *, key: str) -> None:
    await conn.execute("DELETE FROM login_failures WHERE key = :k", {"k": key})
