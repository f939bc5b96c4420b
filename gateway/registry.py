"""People: one person, one file. Registration, changes, health checks and audited clearances."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from . import access, bindings, idcard, key_areas, monitoring, passes, quarantine, regions, scoped
from .auth import Principal
from .clock import iso, local_today, now
from .db import Conn
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .privacy import mask_document, mask_phone
from .services import Services
from .store import audit
from .store import people as store
from .store.people import PersonRow
from .validate import (CODE, DIGIT_CLASS, FULLWIDTH_ALNUM, SEPARATOR_CLASS, Choice, Day, Folded, Nullable, Obj,
                       Array, Moment, Number, Spec, Text, choice, reason, reject_unknown, spaced)

DOCUMENT_TYPES = ("resident_id", "passport", "residence_permit", "work_permit")
STATUSES = ("green", "yellow", "red")
QUARANTINE_KINDS = ("home", "central")
OTHER_DOCUMENT = re.compile(r"^[A-Z0-9]{5,30}$")
PHONE = re.compile(r"^\+?[0-9]{6,20}$")
ORIGIN = re.compile(r"^[0-9]{6}$")
CHECK_LEEWAY = timedelta(minutes=5)  # a desk clock a little fast is not a check from the future
HEALTH_CHECK = Obj({"temperature": Number(30.0, 45.0), "symptoms": Array(Text(100), 20),
                    "checked_at": Nullable(Moment()), "taken_by": Nullable(Text(64))},
                   required=("temperature",))
HEALTH_CHECK_RULES = (("checked_at", "checked_at is not in the future (5 minutes' leeway)"),)


@dataclass(frozen=True, slots=True)
class PersonInput:
    """Validated fields of a POST or PATCH body; only keys present in the body are set."""

    values: dict[str, Any]
    document: tuple[str, str] | None  # (type, normalised number) when given
    phone: str | None
    phone_given: bool
    reason: str | None


_LETTER_OR_DIGIT = "A-Za-z0-9" + FULLWIDTH_ALNUM
DOCUMENT_NUMBER = Folded(100, OTHER_DOCUMENT.pattern.strip("^$"), spaced(*[f"[{_LETTER_OR_DIGIT}]"] * 5)
                         + f"(?:[{_LETTER_OR_DIGIT}][{SEPARATOR_CLASS}]*){{0,25}}",
                         "5..30 letters and digits; a resident ID number is 17 digits and a check digit")
PHONE_NUMBER = Folded(60, PHONE.pattern.strip("^$"),
                      spaced() + f"(?:[+＋][{SEPARATOR_CLASS}]*)?(?:[{DIGIT_CLASS}][{SEPARATOR_CLASS}]*){{6,20}}",
                      "6..20 digits, optionally with a leading +")
ORIGIN_CODE = Folded(40, "[0-9]{6}", spaced() + f"(?:[{DIGIT_CLASS}][{SEPARATOR_CLASS}]*){{6}}",
                     "a 6-digit GB/T 2260 region code")
# one definition of a person's fields: the POST/PATCH check and the OpenAPI PersonInput schema
PERSON_FIELDS: dict[str, Spec] = {
    "name": Text(64), "document_type": Choice(DOCUMENT_TYPES), "document_number": DOCUMENT_NUMBER,
    "phone": Nullable(PHONE_NUMBER), "address": Nullable(Text(200)), "community": Nullable(CODE),
    "employer": Nullable(CODE), "school": Nullable(CODE), "origin": Nullable(ORIGIN_CODE),
    "left_origin_on": Nullable(Day()), "arrived_on": Nullable(Day()), "status": Choice(STATUSES),
    "quarantine_kind": Nullable(Choice(QUARANTINE_KINDS)), "quarantine_place": Nullable(Text(200)),
    "reason": Nullable(Text(500)),
}
FIELDS = tuple(PERSON_FIELDS)
NEW_PERSON = Obj(PERSON_FIELDS, required=("name", "document_type", "document_number"))
PERSON_CHANGE = Obj(PERSON_FIELDS)
# what no schema can say about a person's fields (the OpenAPI operations list them as rules)
PERSON_RULES = (
    ("document_number", "a resident ID number: its region, birth date and check digit (GB 11643)"),
    ("document_type", "document_type and document_number change together"),
    ("origin", f"origin is a GB/T 2260 region code in use since {regions.ORIGIN_SINCE}"),
    ("left_origin_on", "left_origin_on is not after arrived_on"),
    ("arrived_on", "an origin in a key epidemic area needs arrived_on"),
    ("reason", "a status change needs a reason"),
)


def normalise_document(document_type: str, number: object) -> str:
    value = DOCUMENT_NUMBER.check(number, "document_number")
    if document_type == "resident_id":
        problem = idcard.problem(value)
        if problem:
            raise InvalidInput(problem, field="document_number")
    return value


def normalise_phone(raw: object) -> str:
    return PHONE_NUMBER.check(raw, "phone")


def normalise_origin(raw: object) -> str:
    origin = ORIGIN_CODE.check(raw, "origin")
    if not regions.is_origin(origin):
        raise InvalidInput(f"origin {origin} is not a GB/T 2260 region code in use since "
                           f"{regions.ORIGIN_SINCE}", field="origin")
    return origin


def parse(body: dict[str, Any], *, partial: bool) -> PersonInput:
    checked = (PERSON_CHANGE if partial else NEW_PERSON).check(body)
    if not partial:
        for required in ("name", "document_type", "document_number"):
            if checked.get(required) is None:
                raise InvalidInput(f"{required} is required", field=required)
    values: dict[str, Any] = {}
    if "name" in checked:
        values["name"] = checked["name"]
    document = None
    if "document_type" in checked or "document_number" in checked:
        if "document_type" not in checked or "document_number" not in checked:
            raise InvalidInput("document_type and document_number change together",
                               field="document_number" if "document_type" in checked else "document_type")
        kind = checked["document_type"]
        document = (kind, normalise_document(kind, checked["document_number"]))
    for key in ("address", "community", "employer", "school", "status", "quarantine_kind", "quarantine_place"):
        if key in checked:
            values[key] = checked[key]
    if "origin" in checked:
        values["origin"] = None if checked["origin"] is None else normalise_origin(checked["origin"])
    for key in ("left_origin_on", "arrived_on"):
        if key in checked:
            values[key] = checked[key].isoformat() if checked[key] else None
    return PersonInput(values, document, checked.get("phone"), "phone" in body, checked.get("reason"))


def _check_travel(row: dict[str, Any]) -> None:
    left, arrived = row.get("left_origin_on"), row.get("arrived_on")
    if left and arrived and left > arrived:
        raise InvalidInput("left_origin_on must not be after arrived_on", field="left_origin_on")


async def _quarantine_columns(svc: Services, tx: Conn, row: dict[str, Any],
                              areas: list[quarantine.KeyArea] | None = None) -> dict[str, Any]:
    """The quarantine a person's origin and arrival give; 422 when a key-area arrival has no date."""
    arrived = date.fromisoformat(row["arrived_on"]) if row.get("arrived_on") else None
    if areas is None:
        areas = await key_areas.current(tx)
    days = svc.config.quarantine_days
    today = local_today(svc.config.tz)
    if arrived is None and quarantine.from_key_area(row.get("origin"), areas, today=today, days=days):
        where = regions.name(row["origin"]) or row["origin"]
        raise InvalidInput(f"origin {row['origin']} ({where}) is a key epidemic area: arrived_on is required, "
                           f"the {days}-day quarantine is counted from it", field="arrived_on",
                           code="arrival_required")
    q = quarantine.compute(row.get("origin"), arrived, key_areas=areas, days=days)
    if q is None:
        return {"quarantine_start": None, "quarantine_end": None, "quarantine_ended_early": 0,
                "quarantine_kind": None, "quarantine_place": None}
    return {"quarantine_start": q.start.isoformat(), "quarantine_end": q.end.isoformat(),
            "quarantine_ended_early": 0, "quarantine_kind": row.get("quarantine_kind") or "home",
            "quarantine_place": row.get("quarantine_place")}


def _shortens(current: PersonRow, values: dict[str, Any], today: str) -> bool:
    """Would `values` shorten, remove or loosen (central → home) a quarantine not yet over?"""
    if current.quarantine_end is None or current.quarantine_end <= today:
        return False
    end = values.get("quarantine_end", current.quarantine_end)
    if end is None or end < current.quarantine_end:
        return True
    return current.quarantine_kind == "central" and values.get("quarantine_kind", "central") != "central"


@dataclass(frozen=True, slots=True)
class NewPerson:
    """A registration checked on its own (fields, check digits, travel dates), not yet against the registry."""

    values: dict[str, Any]
    reason: str | None


def prepare(svc: Services, body: dict[str, Any]) -> NewPerson:
    """Validate a registration body; InvalidInput names the field. Writes nothing."""
    data = parse(body, partial=False)
    assert data.document is not None
    kind, number = data.document
    values: dict[str, Any] = {
        "address": None, "community": None, "employer": None, "school": None, "origin": None,
        "left_origin_on": None, "arrived_on": None, "status": "green", "quarantine_kind": None,
        "quarantine_place": None, **data.values, **_document_columns(svc, kind, number), **_phone_columns(svc, data.phone)}
    _check_travel(values)
    return NewPerson(values, data.reason)


@dataclass(frozen=True, slots=True)
class Context:
    """What many registrations in a row share, read once (a household list): key areas, the actor's
    reach, the documents already registered among theirs."""

    areas: list[quarantine.KeyArea]
    reach: access.Reach
    existing: frozenset[str]


async def context_for(conn: Conn, actor: Principal, document_hmacs: list[str]) -> Context:
    return Context(await key_areas.current(conn), await scoped.reach(conn, actor),
                   frozenset(await store.existing_documents(conn, document_hmacs=document_hmacs)))


async def check_new(svc: Services, conn: Conn, new: NewPerson, actor: Principal,
                    context: Context | None = None) -> dict[str, Any]:
    """The checks against the registry (scope, key areas, duplicates): the row's full columns."""
    values = dict(new.values)
    if context is None:
        await scoped.check_values(conn, actor, values)
    elif not scoped.covers(context.reach, values):
        raise Forbidden("this person's community, employer or school is outside your scope "
                        f"({actor.scope.text()})", code="out_of_scope")
    values.update(await _quarantine_columns(svc, conn, values, context.areas if context else None))
    if (values["document_hmac"] in context.existing) if context is not None \
            else await store.by_document(conn, document_hmac=values["document_hmac"]):
        raise Conflict("a person with this document is already registered", field="document_number",
                       code="duplicate_document")
    return values


async def register_in(svc: Services, tx: Conn, new: NewPerson, actor: Principal, *,
                      audited: bool = True, checked: dict[str, Any] | None = None) -> int:
    """Register inside the caller's transaction; the new person's id. `checked`: the columns
    `check_new` gave inside this same transaction."""
    values = dict(checked) if checked is not None else await check_new(svc, tx, new, actor)
    stamp = iso(now())
    values["created_at"] = values["updated_at"] = stamp
    person_id = await store.insert(tx, values=values)
    await store.add_status(tx, person_id=person_id, status=values["status"], changed_at=stamp,
                           changed_by=actor.actor, reason=new.reason or "registered")
    if audited:
        await audit.record(tx, actor.actor, "person.register", f"person:{person_id}", new.reason,
                           {"document": values["document_masked"], "status": values["status"]})
    return person_id


async def register(svc: Services, body: dict[str, Any], actor: Principal) -> PersonRow:
    new = prepare(svc, body)
    async with svc.db.transaction() as tx:
        person_id = await register_in(svc, tx, new, actor)
        person = await store.get(tx, person_id=person_id)
    assert person is not None
    return person


def _document_columns(svc: Services, kind: str, number: str) -> dict[str, Any]:
    return {"document_type": kind, "document_enc": svc.cipher.encrypt("document", number),
            "document_hmac": svc.cipher.lookup("document", f"{kind}:{number}"),
            "document_masked": mask_document(number), "document_last4": number[-4:]}


def document_columns(svc: Services, kind: str, number: str) -> dict[str, Any]:
    """The stored columns of a checked document number: encrypted, keyed hash, masked, last four."""
    return _document_columns(svc, kind, number)


def _phone_columns(svc: Services, phone: str | None) -> dict[str, Any]:
    if phone is None:
        return {"phone_enc": None, "phone_hmac": None, "phone_masked": None}
    return {"phone_enc": svc.cipher.encrypt("phone", phone), "phone_hmac": svc.cipher.lookup("phone", phone),
            "phone_masked": mask_phone(phone)}


async def get(svc: Services, person_id: int) -> PersonRow:
    """Unscoped: for the CLI and internal use; callers serving a principal use `get_for`."""
    person = await store.get(svc.db.read, person_id=person_id)
    if person is None:
        raise NotFound(f"no person {person_id}")
    return person


async def get_for(svc: Services, principal: Principal, person_id: int) -> PersonRow:
    """The person, if the principal's scope reaches them; NotFound otherwise (as if missing)."""
    return await scoped.check_person(svc.db.read, principal, await store.get(svc.db.read, person_id=person_id),
                                     person_id)


async def update(svc: Services, person_id: int, body: dict[str, Any], actor: Principal) -> PersonRow:
    data = parse(body, partial=True)
    stamp = iso(now())
    async with svc.db.transaction() as tx:
        current = await scoped.check_person(tx, actor, await store.get(tx, person_id=person_id), person_id)
        values = dict(data.values)
        if data.document is not None:
            values.update(_document_columns(svc, *data.document))
            other = await store.by_document(tx, document_hmac=values["document_hmac"])
            if other is not None and other.id != person_id:
                raise Conflict("a person with this document is already registered",
                               field="document_number", code="duplicate_document")
        if data.phone_given:
            values.update(_phone_columns(svc, data.phone))
        if "school" in values and values["school"] != current.school:
            values.update(school_class=None, school_member=None)  # a class belongs to its school
        merged = {**_as_dict(current), **values}
        await scoped.check_values(tx, actor, merged)  # nobody moves a person out of their own reach
        _check_travel(merged)
        if "origin" in values or "arrived_on" in values:
            values.update(await _quarantine_columns(svc, tx, merged))
            new_end = values["quarantine_end"]
            if current.quarantine_ended_early and not (new_end and new_end > (current.quarantine_end or "")):
                for key in ("quarantine_start", "quarantine_end", "quarantine_ended_early"):
                    values.pop(key)  # an admin's early end stands until a later arrival starts a new one
        elif current.quarantine_end is None:
            values.pop("quarantine_kind", None)  # no quarantine to be home or central
            values.pop("quarantine_place", None)
        changed = sorted(k for k in values if getattr(current, k) != values[k])
        if not changed:
            return current
        if "status" in changed and data.reason is None:
            # the status decides at every gate: the history must say why it changed
            raise InvalidInput("a change of status needs a reason", field="reason")
        shortened = _shortens(current, values, local_today(svc.config.tz).isoformat())
        if shortened:
            if not access.may(actor.role, "quarantine.end"):  # the same right as ending one
                raise Forbidden("this change would shorten or end a quarantine: only an admin may, with a "
                                "reason (or use POST /people/{id}/quarantine/end)", field="arrived_on"
                                if "arrived_on" in changed else "origin" if "origin" in changed
                                else "quarantine_kind", code="quarantine_shortening")
            if data.reason is None:
                raise InvalidInput("shortening or ending a quarantine needs a reason", field="reason")
            values["quarantine_ended_early"] = 1
            changed = sorted(k for k in values if getattr(current, k) != values[k])
        values["updated_at"] = stamp
        await store.update(tx, person_id=person_id, values=values)
        if "status" in changed:
            await store.add_status(tx, person_id=person_id, status=values["status"], changed_at=stamp,
                                   changed_by=actor.actor, reason=data.reason)
        shown = [k for k in changed if not k.endswith(("_enc", "_hmac"))]
        await audit.record(tx, actor.actor, "person.update", f"person:{person_id}", data.reason,
                           {"changed": shown})
        if shortened:
            await audit.record(tx, actor.actor, "person.quarantine_shorten", f"person:{person_id}",
                               data.reason, {"planned_end": current.quarantine_end,
                                             "end": values.get("quarantine_end", current.quarantine_end),
                                             "kind": values.get("quarantine_kind", current.quarantine_kind)})
        await passes.refresh(svc, tx, person_id, actor, "person data changed")
        await bindings.refresh(svc, tx, person_id, actor, "person data changed")
        person = await store.get(tx, person_id=person_id)
    assert person is not None
    return person


def _as_dict(row: PersonRow) -> dict[str, Any]:
    return asdict(row)


async def end_quarantine(svc: Services, person_id: int, body: dict[str, Any], actor: Principal) -> PersonRow:
    """End a quarantine early: the person may go out from 00:00 today (site time)."""
    reject_unknown(body, ("reason",))
    why = reason(body.get("reason"))
    today = local_today(svc.config.tz)
    async with svc.db.transaction() as tx:
        current = await scoped.check_person(tx, actor, await store.get(tx, person_id=person_id), person_id)
        if current.quarantine_end is None or current.quarantine_end <= today.isoformat():
            raise Conflict("this person is not in quarantine", code="not_in_quarantine")
        await store.update(tx, person_id=person_id, values={
            "quarantine_end": today.isoformat(), "quarantine_ended_early": 1, "updated_at": iso(now())})
        await audit.record(tx, actor.actor, "person.quarantine_end", f"person:{person_id}", why,
                           {"planned_end": current.quarantine_end, "ended": today.isoformat()})
        await passes.refresh(svc, tx, person_id, actor, "quarantine ended early")
        await bindings.refresh(svc, tx, person_id, actor, "quarantine ended early")
        person = await store.get(tx, person_id=person_id)
    assert person is not None
    return person


async def clear(svc: Services, person_id: int, body: dict[str, Any], actor: Principal) -> PersonRow:
    """Mark a person cleared by medical observation (schools admit only cleared people)."""
    reject_unknown(body, ("reason",))
    why = reason(body.get("reason"))
    stamp = iso(now())
    async with svc.db.transaction() as tx:
        current = await scoped.check_person(tx, actor, await store.get(tx, person_id=person_id), person_id)
        if current.cleared:
            raise Conflict("this person is already cleared", code="already_cleared")
        await store.update(tx, person_id=person_id, values={"cleared": 1, "cleared_at": stamp,
                                                             "updated_at": stamp})
        await audit.record(tx, actor.actor, "person.clear", f"person:{person_id}", why)
        await passes.refresh(svc, tx, person_id, actor, "cleared by medical observation")
        await bindings.refresh(svc, tx, person_id, actor, "cleared by medical observation")
        person = await store.get(tx, person_id=person_id)
    assert person is not None
    return person


async def add_health_check(svc: Services, person_id: int, body: dict[str, Any],
                           actor: Principal) -> store.HealthCheck:
    checked = HEALTH_CHECK.check(body)
    temperature: float = checked["temperature"]
    symptoms: list[str] = checked.get("symptoms", [])
    checked_at: datetime = now()
    if checked.get("checked_at") is not None:
        checked_at = checked["checked_at"]
        if checked_at > now() + CHECK_LEEWAY:
            raise InvalidInput("checked_at is in the future: a check is recorded when it was made",
                               field="checked_at")
    taken_by: str | None = checked.get("taken_by")
    why = monitoring.abnormal_because(svc.config, temperature, symptoms)
    async with svc.db.transaction() as tx:
        await scoped.check_person(tx, actor, await store.get(tx, person_id=person_id), person_id)
        check_id = await store.add_health_check(
            tx, person_id=person_id, checked_at=iso(checked_at), temperature=temperature,
            symptoms=json.dumps(symptoms, ensure_ascii=False), recorded_by=actor.actor, abnormal=int(bool(why)),
            taken_by=taken_by)
        await audit.record(tx, actor.actor, "person.health_check", f"person:{person_id}", None,
                           {"check": check_id, "abnormal": bool(why), "taken_by": taken_by})
        if why:
            await monitoring.on_abnormal(tx, svc.config, svc, person_id, check_id, temperature, why, actor)
    return store.HealthCheck(check_id, person_id, iso(checked_at), temperature,
                             json.dumps(symptoms, ensure_ascii=False), actor.actor, int(bool(why)), taken_by)


def reveal(svc: Services, person: PersonRow) -> tuple[str, str | None]:
    """The full document and phone numbers; callers must audit the view."""
    phone = svc.cipher.decrypt("phone", person.phone_enc) if person.phone_enc else None
    return svc.cipher.decrypt("document", person.document_enc), phone


def lookup_document(svc: Services, document_type: str, number: str) -> str:
    """The keyed hash that finds a person by document (ID-card look-up at a desk)."""
    kind = choice(document_type, "document_type", DOCUMENT_TYPES)
    return svc.cipher.lookup("document", f"{kind}:{normalise_document(kind, number)}")


def lookup_phone(svc: Services, phone: str) -> str:
    return svc.cipher.lookup("phone", normalise_phone(phone))

