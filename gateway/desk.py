"""The staffed desk (服务台): a person without a phone shows an ID; the desk sees their status and pass.

A code is never the only way in (the State Council's 2020 rule for the elderly and children): a
desk worker (role `desk`, scoped like a registrar) types the document type and number, and gets the
person's status and current pass, if the person is in the desk's scope. Unknown and outside the
scope are the same answer, so the desk learns nothing of people it does not serve. Every look-up
with a well-formed number is audited, with the number masked; the full number is never stored,
logged or put in a URL (the console takes it in a POST body).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import registry, scoped
from .auth import Principal
from .db import Conn
from .privacy import mask_document
from .services import Services
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


async def _current(conn: Conn, person_id: int) -> PassRow | None:
    return await pass_store.live_for(conn, person_id=person_id) or \
        await pass_store.latest_for(conn, person_id=person_id)


async def lookup(svc: Services, document_type: object, number: object, actor: Principal) -> DeskAnswer | None:
    """The person with this document in the actor's scope, or None (unknown and out of scope alike).

    A malformed type or number raises InvalidInput naming the field (no look-up happened, nothing is
    audited); every look-up of a well-formed number is audited as `desk.lookup`, found or not.
    """
    kind = choice(document_type, "document_type", registry.DOCUMENT_TYPES)
    normalised = registry.normalise_document(kind, number)
    masked = mask_document(normalised)
    hmac = registry.lookup_document(svc, kind, normalised)
    async with svc.db.transaction() as tx:
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
