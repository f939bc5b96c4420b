"""Family passes: a guardian's resident page holds the passes of the people in their care.

The elderly and children without a smartphone of their own (directive, and the State Council's rule
that a code is never the only way in): a worker records that a guardian holds a dependant's pass,
with the dependant's consent as it was given — by the dependant or their legal guardian, in person,
on signed paper or by phone, and when. The guardian's page (`/p/{token}`) then shows each
dependant's own pass (the same QG1 pass as anyone's: the gate needs nothing new), read live at every
render, so a revoked or reissued pass shows as it is now.

Rules: a registrar records and ends a care for a dependant in their scope (and finds the guardian
in their scope too: outside it is answered as not found, like every look-up); admins anywhere. A
person is never their own dependant; a dependant may have several guardians; a guardian holds at
most MAX_DEPENDANTS. Each step is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from . import registry, scoped
from .access import Reach
from .auth import Principal
from .clock import iso, now
from .db import Conn, Database
from .db import Conflict as StoreConflict
from .errors import Conflict, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import guardianships as store
from .store import passes as pass_store
from .store import people as people_store
from .store.guardianships import GuardianshipRow
from .store.passes import PassRow
from .store.people import PersonRow
from .validate import REASON_BODY, Choice, Integer, Moment, Nullable, Obj, Text

MAX_DEPENDANTS = 10  # a household, a care home's room: more is a list, not a phone
CONSENT_BY = ("dependant", "legal_guardian")
CONSENT_HOW = ("in_person", "signed_paper", "phone")
LEEWAY = timedelta(minutes=5)  # a desk clock a little fast is not a consent from the future
NEW_GUARDIAN = Obj({
    "guardian_id": Integer(1, 2**62),
    "guardian_document_type": Choice(registry.DOCUMENT_TYPES),
    "guardian_document_number": Text(100),
    "consent_by": Choice(CONSENT_BY), "consent_how": Choice(CONSENT_HOW),
    "consent_at": Nullable(Moment(2019)), "note": Nullable(Text(500)),
}, required=("consent_by", "consent_how"),
    description="the guardian by id or by document (type and number); the dependant's consent")
# what no schema says about NEW_GUARDIAN (a 422 naming one of these answers a schema-valid body)
NEW_GUARDIAN_RULES = (
    ("guardian_id", "the guardian by guardian_id, or by guardian_document_type and guardian_document_number, "
                    "not both; never the dependant themself"),
    ("guardian_document_type", "guardian_document_type and guardian_document_number go together"),
    ("guardian_document_number", "a document number as a person's (a resident ID's check digit, GB 11643)"),
    ("consent_at", "not in the future (5 minutes' leeway)"),
)


@dataclass(frozen=True, slots=True)
class Care:
    """A guardianship as a worker sees it: the row and the two people's names where in scope."""

    row: GuardianshipRow
    guardian: str | None  # None: outside the caller's scope (the caller learns nothing of them)
    dependant: str | None

    def to_json(self) -> dict[str, Any]:
        r = self.row
        return {"id": r.id, "guardian_id": r.guardian_id, "guardian_name": self.guardian,
                "dependant_id": r.dependant_id, "dependant_name": self.dependant,
                "consent": {"by": r.consent_by, "how": r.consent_how, "at": r.consent_at},
                "note": r.note, "recorded_by": r.recorded_by, "recorded_at": r.recorded_at,
                "active": r.ended_at is None, "ended_at": r.ended_at, "ended_by": r.ended_by,
                "end_reason": r.end_reason}


@dataclass(frozen=True, slots=True)
class Dependant:
    """One tab of the guardian's page: the dependant and their current pass (live, else the latest)."""

    person: PersonRow
    current: PassRow | None


async def _guardian(svc: Services, conn: Conn, actor: Principal, given: dict[str, Any]) -> PersonRow:
    by_id = "guardian_id" in given
    by_doc = "guardian_document_type" in given or "guardian_document_number" in given
    if by_id == by_doc:
        raise InvalidInput("give the guardian by guardian_id, or by guardian_document_type and "
                           "guardian_document_number", field="guardian_id")
    if by_id:
        found = await people_store.get(conn, person_id=given["guardian_id"])
        try:
            return await scoped.check_person(conn, actor, found, given["guardian_id"])
        except NotFound:
            raise NotFound(f"no person {given['guardian_id']}", field="guardian_id") from None
    if "guardian_document_type" not in given or "guardian_document_number" not in given:
        raise InvalidInput("guardian_document_type and guardian_document_number go together",
                           field="guardian_document_type")
    try:
        hmac = registry.lookup_document(svc, given["guardian_document_type"], given["guardian_document_number"])
    except InvalidInput as exc:
        raise InvalidInput(exc.message.replace("document_number", "guardian_document_number"),
                           field="guardian_document_number") from None
    found = await people_store.by_document(conn, document_hmac=hmac)
    if found is None or not scoped.covers(await scoped.reach(conn, actor), found):
        raise NotFound("no person with this document in your scope: register the guardian first",
                       field="guardian_document_number", code="guardian_not_found")
    return found


async def add(svc: Services, dependant_id: int, body: object, actor: Principal) -> Care:
    """Record that a guardian holds the dependant's pass, with the consent given; audited."""
    given = NEW_GUARDIAN.check(body)
    moment = now()
    consent_at = given.get("consent_at") or moment
    if consent_at > moment + LEEWAY:
        raise InvalidInput("consent_at is in the future", field="consent_at")
    async with svc.db.transaction() as tx:
        dependant = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=dependant_id),
                                              dependant_id)
        guardian = await _guardian(svc, tx, actor, given)
        if guardian.id == dependant.id:
            raise InvalidInput("a person cannot be their own dependant", field="guardian_id", code="own_dependant")
        await tx.serialise(f"guardianships:{guardian.id}")  # the cap holds across gateway processes
        if await store.active(tx, guardian_id=guardian.id, dependant_id=dependant.id) is not None:
            raise Conflict(f"{guardian.name} already holds this person's pass", code="already_guardian")
        if await store.count_active_dependants(tx, guardian_id=guardian.id) >= MAX_DEPENDANTS:
            raise Conflict(f"{guardian.name} already holds {MAX_DEPENDANTS} people's passes, the most one "
                           "guardian may hold: end one first, or choose another guardian",
                           code="too_many_dependants")
        stamp = iso(moment)
        try:
            new_id = await store.insert(tx, guardian_id=guardian.id, dependant_id=dependant.id,
                                        consent_by=given["consent_by"], consent_how=given["consent_how"],
                                        consent_at=iso(consent_at), note=given.get("note"),
                                        recorded_by=actor.actor, at=stamp)
        except StoreConflict:  # another request recorded the same pair meanwhile
            raise Conflict(f"{guardian.name} already holds this person's pass", code="already_guardian") from None
        await audit.record(tx, actor.actor, "guardianship.add", f"person:{dependant.id}", given.get("note"),
                           {"guardianship": new_id, "guardian": guardian.id, "consent_by": given["consent_by"],
                            "consent_how": given["consent_how"], "consent_at": iso(consent_at)})
        row = await store.get(tx, guardianship_id=new_id)
    assert row is not None
    return Care(row, guardian.name, dependant.name)


async def end(svc: Services, guardianship_id: int, body: dict[str, Any], actor: Principal, *,
              person_id: int | None = None) -> Care:
    """End a care (the guardian's page stops showing the pass at once); audited with a reason.

    `person_id`: the file it is ended from (the console), which must be one of its two people.
    """
    why = REASON_BODY.check(body)["reason"]
    async with svc.db.transaction() as tx:
        row = await store.get(tx, guardianship_id=guardianship_id)
        missing = NotFound(f"no guardianship {guardianship_id}")
        if row is None or person_id not in (None, row.guardian_id, row.dependant_id):
            raise missing
        try:
            dependant = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=row.dependant_id),
                                                  row.dependant_id)
        except NotFound:
            raise missing from None
        if not await store.end(tx, guardianship_id=row.id, by=actor.actor, at=iso(now()), reason=why):
            raise Conflict(f"guardianship {guardianship_id} has already ended", code="already_ended")
        await audit.record(tx, actor.actor, "guardianship.end", f"person:{dependant.id}", why,
                           {"guardianship": row.id, "guardian": row.guardian_id})
        ended = await store.get(tx, guardianship_id=row.id)
        names = await _names(tx, await scoped.reach(tx, actor), [row.guardian_id])
    assert ended is not None
    return Care(ended, names.get(row.guardian_id), dependant.name)


async def _names(conn: Conn, reach: Reach, ids: list[int]) -> dict[int, str]:
    """The names of these people that the reach covers."""
    found: dict[int, str] = {}
    for person_id in set(ids):
        person = await people_store.get(conn, person_id=person_id)
        if person is not None and scoped.covers(reach, person):
            found[person_id] = person.name
    return found


async def of_person(svc: Services, person_id: int, actor: Principal) -> list[Care]:
    """A person's cares, as guardian and as dependant, ended ones too, newest first."""
    read = svc.db.read
    person = await scoped.check_person(read, actor, await people_store.get(read, person_id=person_id), person_id)
    rows = await store.of_person(read, person_id=person.id)
    names = await _names(read, await scoped.reach(read, actor),
                         [i for r in rows for i in (r.guardian_id, r.dependant_id)])
    return [Care(r, names.get(r.guardian_id), names.get(r.dependant_id)) for r in rows]


async def dependants(db: Database, guardian_id: int) -> list[Dependant]:
    """The people whose passes the guardian's page shows, with their passes as they are now."""
    out: list[Dependant] = []
    for row in await store.dependants_of(db.read, guardian_id=guardian_id):
        person = await people_store.get(db.read, person_id=row.dependant_id)
        if person is None:
            continue
        current = await pass_store.live_for(db.read, person_id=person.id) or \
            await pass_store.latest_for(db.read, person_id=person.id)
        out.append(Dependant(person, current))
    return out
