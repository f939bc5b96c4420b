"""Key operations with their audit rows, one domain for the CLI, the API and the console.

Each operation runs on the key authority (keys/authority.py), which returns the KeyEvents it
caused (a key made, a key withdrawn, a key set signed, a root rotated, …); every event becomes
one audit row naming the actor, the time and the reason. Withdrawing a key also makes its bulk
reissue job (gateway/reissue.py); the caller runs it (the CLI in the foreground with a progress
bar, the gateway in the background).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from keys import KeyEvent, KeyStoreError
from keys.errors import PassphraseError

from . import reissue
from .auth import Principal
from .clock import now
from .db import Database
from .errors import Conflict, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store.reissue import JobRow
from .validate import reason as valid_reason


@dataclass(frozen=True, slots=True)
class KeyInfoView:
    kid: str
    state: str  # active | retired | withdrawn
    created: str
    trusted_until: str | None
    reason: str | None  # why a withdrawn key was withdrawn


@dataclass(frozen=True, slots=True)
class Withdrawal:
    kid: str
    signing_kid: str  # the key that signs from now on
    job: JobRow
    events: tuple[KeyEvent, ...]


async def record(db: Database, actor: Principal | str, events: Iterable[KeyEvent],
                 reason: str | None = None) -> None:
    """One audit row per key event, in one transaction; `reason` fills in for events without one."""
    name = actor if isinstance(actor, str) else actor.actor
    async with db.transaction() as tx:
        for event in events:
            await audit.record(tx, name, event.action, event.target, event.reason or reason, dict(event.detail))


def list_keys(svc: Services) -> list[KeyInfoView]:
    return [KeyInfoView(i.kid, i.state, i.created, i.trusted_until, getattr(i, "reason", None))
            for i in svc.keystore.list()]


def _refused(exc: KeyStoreError) -> Conflict:
    # a missing or wrong passphrase is the operator's set-up, not the key folder refusing (CLI exit 78)
    return Conflict(str(exc), code="key_passphrase" if isinstance(exc, PassphraseError) else "key_store")


async def rotate(svc: Services, actor: Principal, reason: str) -> tuple[str, list[KeyEvent]]:
    """A new signing key; the old one stays trusted until its passes have expired."""
    reason = valid_reason(reason)
    try:
        events = await asyncio.to_thread(svc.authority.rotate, now(), reason)
    except KeyStoreError as exc:
        raise _refused(exc) from None
    await record(svc.db, actor, events, reason)
    return svc.keystore.signing_key().kid.hex(), events


async def withdraw(svc: Services, kid: str, reason: str, actor: Principal) -> Withdrawal:
    """Distrust a key at once and make the job that reissues every live pass it signed."""
    reason = valid_reason(reason)
    kid = kid.strip().lower() if isinstance(kid, str) else ""
    if len(kid) != 16 or any(c not in "0123456789abcdef" for c in kid):
        raise InvalidInput("kid must be 16 hex characters, as 'qrgate keys list' shows it", field="kid")
    known = {i.kid: i for i in svc.keystore.list()}
    if kid not in known:
        raise NotFound(f"no key {kid}")
    if known[kid].state == "withdrawn":
        raise Conflict(f"key {kid} is already withdrawn", code="already_withdrawn")
    try:
        events = await asyncio.to_thread(svc.authority.withdraw, kid, reason, now())
    except KeyStoreError as exc:
        raise _refused(exc) from None
    await record(svc.db, actor, events, reason)
    job = await reissue.start(svc.db, kid, reason, actor)
    return Withdrawal(kid, svc.keystore.signing_key().kid.hex(), job, tuple(events))


async def rotate_root(svc: Services, actor: Principal, reason: str | None) -> list[KeyEvent]:
    """A new root of trust, announced by the old one (keys/authority.py)."""
    try:
        events = await asyncio.to_thread(svc.authority.rotate_root, now(), reason)
    except KeyStoreError as exc:
        raise _refused(exc) from None
    await record(svc.db, actor, events, reason)
    return events


async def publish_keyset(svc: Services, actor: Principal, reason: str | None) -> list[KeyEvent]:
    try:
        event = await asyncio.to_thread(svc.authority.publish, now(), reason=reason)
    except KeyStoreError as exc:
        raise _refused(exc) from None
    await record(svc.db, actor, [event], reason)
    return [event]


async def import_keyset(svc: Services, signed: bytes, actor: Principal, reason: str | None) -> list[KeyEvent]:
    """A key set signed on the root's machine: stored, served from the next sync, audited."""
    try:
        event = await asyncio.to_thread(svc.authority.import_signed, signed, now())
    except KeyStoreError as exc:
        raise _refused(exc) from None
    await record(svc.db, actor, [event], reason or "key set signed by the offline root")
    return [event]
