"""Console accounts: scrypt password hashes and failed-login throttling (per account and client)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from .auth import CITY_SCOPE, CLI, ROLES, Principal, Scope, scope_for
from .clock import iso, now
from .config import GatewayConfig
from .db import Database
from .errors import Conflict, InvalidInput, LoginRefused, NotFound
from .store import accounts as store
from .store import audit
from .validate import text

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1  # ~16 MiB and ~50 ms per guess on our machines
MIN_PASSWORD, MAX_PASSWORD = 10, 1024
MAX_LOCKOUT = 3600.0
ACCOUNT_FACTOR = 3  # one account, any client: lockout after 3 × login_max_failures
CLIENT_FACTOR = 10  # one client, any account: lockout after 10 × login_max_failures
_DUMMY_HASH = ""  # computed on first use: an unknown user costs as much as a wrong password


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str
    scope: Scope = CITY_SCOPE
    lang: str = "zh-CN"

    def principal(self) -> Principal:
        return Principal("account", str(self.id), self.role, self.username, scope=self.scope)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def _check_password(password: object) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(f"password must be {MIN_PASSWORD}..{MAX_PASSWORD} characters", field="password")
    return password


async def create_account(db: Database, username: str, password: str, role: str,
                         actor: Principal = CLI, *, scope: str | Scope = CITY_SCOPE) -> Account:
    username = text(username, "username", max_len=64).lower()
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    reach = scope_for(role, scope)
    hashed = await asyncio.to_thread(hash_password, _check_password(password))
    async with db.transaction() as tx:
        if await store.account_by_username(tx, username=username):
            raise Conflict(f"account {username!r} exists", field="username", code="account_exists")
        account_id = await store.insert_account(tx, username=username, password_hash=hashed, role=role,
                                                at=iso(now()), scope=reach.text())
        await audit.record(tx, actor.actor, "account.create", f"account:{username}", None,
                           {"role": role, "scope": reach.text()})
    return Account(account_id, username, role, reach)


async def set_password(db: Database, username: str, password: str, actor: Principal = CLI) -> None:
    hashed = await asyncio.to_thread(hash_password, _check_password(password))
    async with db.transaction() as tx:
        if not await store.set_password(tx, username=username.lower(), password_hash=hashed):
            raise NotFound(f"no account {username!r}", field="username")
        ended = await store.end_sessions(tx, username=username.lower())
        await audit.record(tx, actor.actor, "account.passwd", f"account:{username.lower()}", None,
                           {"sessions_ended": ended})
        await store.clear_failures(tx, key=f"user:{username.lower()}")


async def disable_account(db: Database, username: str, reason: str, actor: Principal = CLI) -> None:
    """Lock a console account out at once: its open sessions stop working on their next request."""
    await _set_disabled(db, username, reason, actor, disabled=True)


async def enable_account(db: Database, username: str, reason: str, actor: Principal = CLI) -> None:
    """Let a disabled account log in again; sessions opened before stay ended."""
    await _set_disabled(db, username, reason, actor, disabled=False)


async def _set_disabled(db: Database, username: str, reason: str, actor: Principal, *, disabled: bool) -> None:
    username = username.strip().lower()
    async with db.transaction() as tx:
        row = await store.account_by_username(tx, username=username)
        if row is None:
            raise NotFound(f"no account {username!r}", field="username")
        if not await store.set_disabled(tx, username=username, at=iso(now()) if disabled else None):
            state = "disabled" if disabled else "enabled"
            raise Conflict(f"account {username!r} is already {state}", code=f"already_{state}")
        # both ways every open session ends: a cookie from before a disable never works again
        ended = await store.end_sessions(tx, username=username)
        await audit.record(tx, actor.actor, "account.disable" if disabled else "account.enable",
                           f"account:{username}", reason, {"sessions_ended": ended})


async def list_accounts(db: Database) -> list[store.AccountRow]:
    return await store.list_accounts(db.read)


def _thresholds(config: GatewayConfig) -> dict[str, int]:
    """Failures before a lockout starts, per kind of key (see `_keys`)."""
    base = config.login_max_failures
    return {"pair": base, "user": base * ACCOUNT_FACTOR, "client": base * CLIENT_FACTOR}


def _keys(username: str, client: str) -> dict[str, str]:
    """The counters a login attempt touches.

    pair: this account from this client (the usual guessing); user: this account from anywhere
    (guessing spread over many addresses); client: any account from this address (password spraying).
    No counter of another account or another client is touched, so wrong guesses by one person lock
    out nobody else's right password, unless they come from the same client address (see
    `trusted_proxies`: behind a proxy, the forwarded address is the client).
    """
    return {"pair": f"pair:{username}|{client}", "user": f"user:{username}", "client": f"ip:{client}"}


def _lockout(failures: int, threshold: int, config: GatewayConfig) -> float:
    extra = failures - threshold
    if extra < 0:
        return 0.0
    return min(MAX_LOCKOUT, config.login_lockout_seconds * 2.0 ** min(extra, 32))


async def authenticate(db: Database, username: str, password: str, ip: str, *,
                       config: GatewayConfig | None = None) -> Account:
    """The console login: an Account, or LoginRefused (retry_after > 0 while throttled).

    Every attempt is first counted as a failure, in the same write transaction that checks the
    lockout, and only then is the password checked; a right password takes its count back. The
    counters' transactions are serialised (SQLite's one writer; on PostgreSQL a lock per counter,
    whichever gateway process is asked), so concurrent guesses never get more password checks
    than the thresholds.
    """
    global _DUMMY_HASH
    config = config or GatewayConfig()
    username = username.strip().lower()[:64] if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    client = ip[:64]
    keys = _keys(username, client)
    limits = _thresholds(config)
    async with db.transaction() as tx:
        for key in sorted(keys.values()):  # one order everywhere: no deadlock
            await tx.serialise(f"login:{key}")
        # read the clock once the counters are ours: an attempt that waited must not count as
        # earlier than one that went first (its lock check would see that one's time as a lockout)
        moment = now().timestamp()
        rows = {kind: await store.failures(tx, key=key) for kind, key in keys.items()}
        locked = [r.locked_until for r in rows.values() if r is not None and r.locked_until > moment]
        if locked:
            raise LoginRefused("too many failed logins: try again later",
                               retry_after=round(max(locked) - moment, 1))
        for kind, key in keys.items():
            row = rows[kind]
            count = (row.failures if row else 0) + 1
            await store.set_failures(tx, key=key, failures=count, last_ts=moment,
                                     locked_until=moment + _lockout(count, limits[kind], config))
        account = await store.account_by_username(tx, username=username)
    if not _DUMMY_HASH:
        _DUMMY_HASH = await asyncio.to_thread(hash_password, secrets.token_hex(8))
    stored = account.password_hash if account else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password[:MAX_PASSWORD], stored)
    if ok and account is not None and account.disabled_at is None:
        async with db.transaction() as tx:
            for key in sorted(keys.values()):
                await tx.serialise(f"login:{key}")
            await store.clear_failures(tx, key=keys["pair"])
            for kind in ("user", "client"):  # the attempt was counted above: take it back
                row = await store.failures(tx, key=keys[kind])
                if row is not None and row.failures > 0:
                    count = row.failures - 1
                    await store.set_failures(tx, key=keys[kind], failures=count, last_ts=row.last_ts,
                                             locked_until=row.last_ts + _lockout(count, limits[kind], config))
            await audit.record(tx, f"account:{username}", "account.login", f"account:{username}", None,
                               {"ip": client})
        return Account(account.id, account.username, account.role, Scope.parse(account.scope), account.lang)
    async with db.transaction() as tx:
        await audit.record(tx, f"anonymous:{client}", "account.login_failed", f"account:{username}")
    raise LoginRefused("wrong username or password")
