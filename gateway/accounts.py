"""Console accounts: scrypt password hashes and failed-login throttling (per username and per IP)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from .auth import CLI, ROLES, Principal
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
_DUMMY_HASH = ""  # computed on first use: an unknown user costs as much as a wrong password


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    username: str
    role: str

    def principal(self) -> Principal:
        return Principal("account", str(self.id), self.role, self.username)


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
                         actor: Principal = CLI) -> Account:
    username = text(username, "username", max_len=64).lower()
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    hashed = await asyncio.to_thread(hash_password, _check_password(password))
    async with db.transaction() as tx:
        if await store.account_by_username(tx, username=username):
            raise Conflict(f"account {username!r} exists", field="username", code="account_exists")
        account_id = await store.insert_account(tx, username=username, password_hash=hashed, role=role,
                                                at=iso(now()))
        await audit.record(tx, actor.actor, "account.create", f"account:{username}", None, {"role": role})
    return Account(account_id, username, role)


async def set_password(db: Database, username: str, password: str, actor: Principal = CLI) -> None:
    hashed = await asyncio.to_thread(hash_password, _check_password(password))
    async with db.transaction() as tx:
        if not await store.set_password(tx, username=username.lower(), password_hash=hashed):
            raise NotFound(f"no account {username!r}", field="username")
        await audit.record(tx, actor.actor, "account.passwd", f"account:{username.lower()}")
        await store.clear_failures(tx, key=f"user:{username.lower()}")


async def disable_account(db: Database, username: str, reason: str, actor: Principal = CLI) -> None:
    """Lock a console account out at once: its open sessions stop working on their next request."""
    await _set_disabled(db, username, reason, actor, disabled=True)


async def enable_account(db: Database, username: str, reason: str, actor: Principal = CLI) -> None:
    """Let a disabled account log in again (its old sessions stay ended)."""
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
        await audit.record(tx, actor.actor, "account.disable" if disabled else "account.enable",
                           f"account:{username}", reason)


async def list_accounts(db: Database) -> list[store.AccountRow]:
    return await store.list_accounts(db.read)


def _lockout(failures: int, config: GatewayConfig) -> float:
    extra = failures - config.login_max_failures
    if extra < 0:
        return 0.0
    return min(MAX_LOCKOUT, config.login_lockout_seconds * 2.0 ** extra)


async def authenticate(db: Database, username: str, password: str, ip: str, *,
                       config: GatewayConfig | None = None) -> Account:
    """The console login: an Account, or LoginRefused (retry_after > 0 while throttled)."""
    global _DUMMY_HASH
    config = config or GatewayConfig()
    username = username.strip().lower()[:64] if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    keys = [f"user:{username}", f"ip:{ip[:64]}"]
    moment = now().timestamp()
    for key in keys:
        row = await store.failures(db.read, key=key)
        if row is not None and row.locked_until > moment:
            raise LoginRefused("too many failed logins: try again later",
                               retry_after=round(row.locked_until - moment, 1))
    account = await store.account_by_username(db.read, username=username)
    if not _DUMMY_HASH:
        _DUMMY_HASH = await asyncio.to_thread(hash_password, secrets.token_hex(8))
    stored = account.password_hash if account else _DUMMY_HASH
    ok = await asyncio.to_thread(verify_password, password[:MAX_PASSWORD], stored)
    if ok and account is not None and account.disabled_at is None:
        async with db.transaction() as tx:
            for key in keys:
                await store.clear_failures(tx, key=key)
            await audit.record(tx, f"account:{username}", "account.login", f"account:{username}", None,
                               {"ip": ip[:64]})
        return Account(account.id, account.username, account.role)
    async with db.transaction() as tx:
        for key in keys:
            row = await store.failures(tx, key=key)
            count = (row.failures if row else 0) + 1
            await store.set_failures(tx, key=key, failures=count, last_ts=moment,
                                     locked_until=moment + _lockout(count, config))
        await audit.record(tx, f"anonymous:{ip[:64]}", "account.login_failed", f"account:{username}")
    raise LoginRefused("wrong username or password")
