"""The staffed desk (服务台): a person without a phone shows an ID; the desk sees their status and pass.

A code is never the only way in (the State Council's 2020 rule for the elderly and children): a
desk worker (role `desk`, scoped like a registrar) types the document type and number, and gets the
person's status and current pass, if the person is in the desk's scope. Unknown and outside the
scope are the same answer, so the desk learns nothing of people it does not serve. Every look-up
with a well-formed number is audited, with the number masked; the full number is never stored,
logged or put in a URL (the console takes it in a POST body).

Auditing shows an enumeration only afterwards, so each account (or token) also has an allowance of
`desk_lookup_limit` look-ups per `desk_lookup_window_seconds` (a busy desk serves one person about
every 20 s: 30 per 10 minutes by default). It refills steadily, one look-up every window / limit
seconds (a token bucket: the whole allowance at once after a pause, then one per interval), so in
any s seconds an account makes at most limit + s × limit / window look-ups: 30 at once, 210 in
any hour, however it times them. Past it the look-up is not made and
`Throttled` says when to try again; the first refusal of a burst is audited as `desk.throttled`,
the burst ending when the allowance is whole again. The counter is a row of `login_failures`, the
table the login throttle uses (key `desk:<kind>:<id>`), locked while it is counted, so every gateway
node on one database counts the same look-ups.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import registry, scoped
from .auth import Principal
from .clock import now
from .config import GatewayConfig
from .db import Conn
from .errors import Throttled
from .privacy import mask_document
from .services import Services
from .store import accounts as counter_store
from .store import audit
from .store import passes as pass_store
from .store import people as people_store
from .store.passes import PassRow
from .store.people import PersonRow
from .validate import choice


@dataclass(frozen=True, slots=True)
class DeskAnswer:
    """What the desk sees of a person it found: masked data, the status, the pass as it is now."""

    person: PersonRow
    current: PassRow | None  # the live pass, else the latest; None: no pass issued yet
    masked: str  # the number as typed, masked (what the audit log keeps)


@dataclass(frozen=True, slots=True)
class Allowance:
    """One account's desk look-ups as its `login_failures` row keeps them."""

    refused: int  # look-ups refused in the current burst (column failures); 0: none
    seen: float  # when the last look-up was asked for, made or refused (column last_ts)
    full_at: float  # when the allowance is whole again (column locked_until)


def spend(state: Allowance | None, moment: float, limit: int, window: float) -> tuple[Allowance, float]:
    """The allowance after one look-up asked for at `moment`, and 0.0 if it may be made, else the wait.

    Each look-up moves `full_at` on by window / limit; one that would move it more than `window`
    past `moment` (more than `limit` within a window) is refused and moves nothing.
    """
    full_at = max(state.full_at, moment) if state else moment
    refused = state.refused if state and state.full_at > moment else 0  # a whole allowance ends a burst
    after = full_at + window / limit
    if after - moment > window * (1 + 1e-9):  # a float's rounding never refuses the limit-th look-up
        return Allowance(refused + 1, moment, full_at), after - moment - window
    return Allowance(refused, moment, after), 0.0


def _counter(actor: Principal) -> str:
    return f"desk:{actor.kind}:{actor.id}"


async def _allowed(tx: Conn, actor: Principal, config: GatewayConfig) -> float:
    """Count one look-up by `actor`: 0.0 if it may be made, else seconds until one may."""
    key = _counter(actor)
    await tx.serialise(f"throttle:{key}")
    # the clock is read once the counter is ours, as the login throttle does (gateway/accounts.py)
    moment = now().timestamp()
    row = await counter_store.failures(tx, key=key)
    state = Allowance(row.failures, row.last_ts, row.locked_until) if row else None
    limit, window = config.desk_lookup_limit, float(config.desk_lookup_window_seconds)
    new, wait = spend(state, moment, limit, window)
    await counter_store.set_failures(tx, key=key, failures=new.refused, last_ts=new.seen, locked_until=new.full_at)
    if wait and new.refused == 1:  # once per burst, not once per refused request
        await audit.record(tx, actor.actor, "desk.throttled", f"{actor.kind}:{actor.name}", None,
                           {"limit": limit, "window_seconds": config.desk_lookup_window_seconds})
    return wait


async def _current(conn: Conn, person_id: int) -> PassRow | None:
    return await pass_store.live_for(conn, person_id=person_id) or \
        await pass_store.latest_for(conn, person_id=person_id)


async def lookup(svc: Services, document_type: object, number: object, actor: Principal) -> DeskAnswer | None:
    """The person with this document in the actor's scope, or None (unknown and out of scope alike).

    A malformed type or number raises InvalidInput naming the field (no look-up happened, nothing is
    audited or counted); every look-up of a well-formed number is counted against the actor's
    allowance and, if made, audited as `desk.lookup`, found or not. Past the allowance: Throttled,
    and no look-up.
    """
    kind = choice(document_type, "document_type", registry.DOCUMENT_TYPES)
    normalised = registry.normalise_document(kind, number)
    masked = mask_document(normalised)
    hmac = registry.lookup_document(svc, kind, normalised)
    async with svc.db.transaction() as tx:
        wait = await _allowed(tx, actor, svc.config)
        if not wait:
            return await _find(tx, actor, kind, masked, hmac)
    raise Throttled(f"too many desk look-ups: at most {svc.config.desk_lookup_limit} per "
                    f"{svc.config.desk_lookup_window_seconds} s; try again in {int(wait) + 1} s",
                    code="desk_lookups_throttled", retry_after=wait)


async def _find(tx: Conn, actor: Principal, kind: str, masked: str, hmac: str) -> DeskAnswer | None:
    person = await people_store.by_document(tx, document_hmac=hmac)
    outside = person is not None and not scoped.covers(await scoped.reach(tx, actor), person)
    # the audit (admins only) keeps who was looked up even outside the scope; the desk is told nothing
    details = {"document_type": kind, "document": masked, "found": person is not None and not outside}
    if outside:
        details["outside_scope"] = True
    await audit.record(tx, actor.actor, "desk.lookup", f"person:{person.id}" if person else "person:none",
                       None, details)
    if person is None or outside:
        return None
    return DeskAnswer(person, await _current(tx, person.id), masked)
