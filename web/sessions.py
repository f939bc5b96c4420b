"""Console sessions and CSRF: random cookie, stored hashed, one CSRF token per session.

The cookie is HttpOnly, SameSite=Strict, path /console, and Secure when the request came over
https or the gateway's public URL is https. A login form gets its own double-submit token (cookie + hidden field) because there is
no session yet to hold one.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from gateway.appkeys import services_key
from gateway.auth import CITY_SCOPE, Principal, Scope
from gateway.clock import iso
from gateway.clock import now as gateway_now
from gateway.db import Database

from . import store

SESSION_COOKIE = "qg_session"
LOGIN_CSRF_COOKIE = "qg_login_csrf"
CSRF_FIELD = "csrf_token"
SESSION_TTL = timedelta(hours=8)
log = logging.getLogger(__name__)
COOKIE_PATH = "/console"


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """Who is logged in; the role comes fresh from the accounts table on every request."""

    account_id: int
    username: str
    role: str
    csrf: str = field(repr=False)
    session_hash: str = field(repr=False)
    scope: Scope = CITY_SCOPE
    lang: str = "zh-CN"

    def principal(self) -> Principal:
        """How the gateway's domain functions (and so the audit log) see this user."""
        return Principal("account", str(self.account_id), self.role, self.username, scope=self.scope)


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def same_token(expected: str | None, given: object) -> bool:
    """Constant-time comparison; an empty or missing token never matches."""
    return bool(expected) and isinstance(given, str) and bool(given) \
        and hmac.compare_digest(expected.encode(), given.encode())  # type: ignore[union-attr]


async def open_session(db: Database, *, account_id: int, now: datetime) -> str:
    """Store a new session and return the cookie value (shown to nobody else, never logged)."""
    cookie = secrets.token_urlsafe(32)
    async with db.transaction() as conn:
        await store.purge_expired(conn, now=iso(now))
        await store.insert_session(conn, id_hash=_hash(cookie), account_id=account_id,
                                   csrf=secrets.token_urlsafe(32), created_at=iso(now),
                                   expires_at=iso(now + SESSION_TTL))
    return cookie


async def purge_expired(db: Database, *, now: datetime) -> int:
    """Delete sessions past their end; returns how many went."""
    async with db.transaction() as conn:
        return await store.purge_expired(conn, now=iso(now))


async def purge_ctx(app: web.Application) -> AsyncIterator[None]:
    """Purge expired console sessions now and then, on the gateway's purge interval."""
    services = app[services_key]

    async def loop() -> None:
        while True:
            try:
                await purge_expired(services.db, now=gateway_now())
            except Exception:  # a failed purge must not stop the next one
                log.exception("session purge failed")
            await asyncio.sleep(services.config.purge_interval_seconds)

    task = asyncio.create_task(loop(), name="qrgate-session-purge")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def current_user(db: Database, request: web.Request, *, now: datetime) -> ConsoleUser | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie or len(cookie) > 200:
        return None
    row = await store.session_by_hash(db.read, id_hash=_hash(cookie), now=iso(now))
    if row is None or row.disabled_at is not None:
        return None
    return ConsoleUser(row.account_id, row.username, row.role, row.csrf, _hash(cookie),
                       Scope.parse(row.scope), row.lang)


async def close_session(db: Database, user: ConsoleUser) -> None:
    async with db.transaction() as conn:
        await store.delete_session(conn, id_hash=user.session_hash)


def cookie_secure(request: web.Request) -> bool:
    """Secure when this request came over https, or the gateway is published at an https URL
    (a TLS proxy in front forwards plain http)."""
    return request.secure or request.config_dict[services_key].config.base_url.startswith("https://")


def set_cookie(response: web.StreamResponse, request: web.Request, name: str, value: str,
               max_age: int | None) -> None:
    response.set_cookie(name, value, path=COOKIE_PATH, httponly=True, samesite="Strict",
                        secure=cookie_secure(request), max_age=max_age)


def clear_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=COOKIE_PATH)


def login_csrf(request: web.Request) -> str:
    """The login form's token: the one already in the cookie, or a new one."""
    existing = request.cookies.get(LOGIN_CSRF_COOKIE)
    if existing and 20 <= len(existing) <= 100:
        return existing
    return secrets.token_urlsafe(32)
