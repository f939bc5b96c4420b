"""Who is calling: API tokens (admin, registrar, viewer) and device credentials, hashed at rest."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from . import access, device_reads
from .clock import iso, now
from .db import Busy, Database
from .errors import Forbidden, InvalidInput, Unauthenticated
from .store import accounts as account_store
from .store import audit
from .store import sites as site_store
from .validate import integer, text

log = logging.getLogger("qrgate.gateway")

from .access import ADMIN, CITY_SCOPE, DESK, DEVICE, REGISTRAR, ROLES, TEACHER, VIEWER, Scope  # noqa: F401 (re-exported)

TOKEN_PREFIX, DEVICE_PREFIX = "qgt_", "qgd_"
MAX_CREDENTIAL = 200
MAX_TOKEN_DAYS = 3650
USED_EVERY = timedelta(seconds=60)  # last_used_at is written at most this often: a call should not need a write


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. `actor` is how the audit log names it."""

    kind: str  # token | account | device | cli
    id: str
    role: str
    name: str
    site: str | None = None  # devices only
    scope: Scope = CITY_SCOPE  # what a registrar or viewer reaches; admins reach everything

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


CLI = Principal("cli", "cli", ADMIN, "cli")


def scope_for(role: str, scope: str | Iterable[str] | Scope | None) -> Scope:
    """A role's scope, checked: admins always reach the city; others must say what they reach."""
    if isinstance(scope, Scope):
        parsed = scope
    else:
        try:
            parsed = Scope.parse(scope)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="scope") from None
    if role == ADMIN and not parsed.city:
        raise InvalidInput("an admin reaches the whole city: give no scope, or city", field="scope")
    if role == TEACHER and (parsed.city or any(kind != "class" for kind, _ in parsed.entries)):
        raise InvalidInput("a class teacher reaches their classes only: give class:SCHOOL/CLASS", field="scope")
    if role != TEACHER and parsed.codes("class"):
        raise InvalidInput("a class scope (class:SCHOOL/CLASS) is a class teacher's (role teacher)", field="scope")
    return parsed


def hash_secret(value: str) -> str:
    """SHA-256 is enough: our tokens carry 256 random bits, so there is nothing to brute-force."""
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(32)


async def create_token(db: Database, *, role: str, label: str, actor: Principal = CLI,
                       expires_in_days: int | None = None, scope: str | Scope = CITY_SCOPE) -> str:
    """Make an API token; only its hash is stored, so this is the one time it is seen."""
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    reach = scope_for(role, scope)
    label = text(label, "label", max_len=100)
    moment = now()
    expires = None
    if expires_in_days is not None:
        days = integer(expires_in_days, "expires_in", low=1, high=MAX_TOKEN_DAYS)
        expires = iso(moment + timedelta(days=days))
    token = new_secret(TOKEN_PREFIX)
    async with db.transaction() as tx:
        token_id = await account_store.insert_token(tx, token_hash=hash_secret(token), role=role,
                                                    label=label, at=iso(moment), expires_at=expires,
                                                    scope=reach.text())
        await audit.record(tx, actor.actor, "token.create", f"token:{token_id}", None,
                           {"role": role, "label": label, "expires_at": expires, "scope": reach.text()})
    return token


def bearer(header: str | None) -> str:
    """The credential of an `Authorization: Bearer ...` header; Unauthenticated if absent."""
    if not header:
        raise Unauthenticated("an Authorization: Bearer token is required")
    scheme, _, value = header.partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or len(value) > MAX_CREDENTIAL:
        raise Unauthenticated("the Authorization header must be 'Bearer TOKEN'")
    return value


def _device(device: site_store.DeviceRow | None) -> Principal:
    if device is None:
        raise Unauthenticated("unknown device credential")
    if device.disabled_at is not None:
        raise Forbidden("this device has been disabled", code="device_disabled")
    return Principal("device", device.id, DEVICE, device.id, device.site)


async def device_with_site(db: Database, credential: str) -> tuple[Principal, site_store.DeviceRead | None]:
    """Like principal_for, and for a device what was read with it: its site and the revocation
    list's seq (None for other callers).

    Read for every request, never cached: a device disabled on any node is refused by every node
    at its next request (requests waiting at once share a read begun after they all arrived:
    gateway/device_reads.py)."""
    if not credential.startswith(DEVICE_PREFIX):
        return await principal_for(db, credential), None
    found = await device_reads.device(db, hash_secret(credential))
    return _device(found.device if found else None), found


async def principal_for(db: Database, credential: str) -> Principal:
    """Resolve a token or device credential; unknown → Unauthenticated, disabled device → Forbidden."""
    digest = hash_secret(credential)
    if credential.startswith(DEVICE_PREFIX):
        found = await device_reads.device(db, digest)
        return _device(found.device if found else None)
    token = await account_store.token_by_hash(db.read, token_hash=digest)
    moment = now()
    stamp = iso(moment)
    # one message for all three: a caller holding a dead token learns nothing about why
    if token is None or token.revoked_at is not None or (token.expires_at is not None
                                                         and token.expires_at <= stamp):
        raise Unauthenticated("unknown, revoked or expired token")
    if token.last_used_at is None or token.last_used_at < iso(moment - USED_EVERY):
        try:
            async with db.transaction() as tx:
                await account_store.touch_token(tx, token_id=token.id, at=stamp)
        except Busy:  # bookkeeping only: a busy database must not refuse the caller
            log.warning("could not record the use of token %d", token.id)
    return Principal("token", str(token.id), token.role, f"{token.id}({token.label})",
                     scope=Scope.parse(token.scope))


def require(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role not in roles:
        raise Forbidden(f"the {principal.role} role may not do this", code="forbidden")
    return principal


def require_action(principal: Principal, action: str) -> Principal:
    """403 unless the matrix lets this principal's role do `action`."""
    if action == access.DEVICE_ONLY:
        return require(principal, (DEVICE,))
    if not access.may(principal.role, action):
        raise Forbidden(f"the {principal.role} role may not do this ({action})", code="forbidden")
    return principal
