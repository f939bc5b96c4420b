"""The school file (一校一档, directive §四 items 18–20): classes, class teachers, the five must-be-clear
items of each person, the daily contact log of those not yet back.

A class (school code + class code) has a class teacher (班主任): a console account of role `teacher`
scoped to `class:SCHOOL/CLASS`, who reaches that class's people only (gateway/access.py). A person
belongs to at most one class of their own school (people.school_class), as a student or staff.

The five must-be-clear items (五个必清) of a person, for a day (city time):
  name     always clear (a file has a name)
  contact  a phone number
  address  an address
  health   back: a temperature check that day (a fever or abnormal check is an alert);
           not yet back: a contact that day that says how they are
  travel   an origin; not yet back: a contact that day (their plans); back from a key area: the
           arrival and the quarantine's end are shown
"Not yet back" is a file with an origin outside the city (`city_region_prefix`) and no arrival date;
an origin in the city with no arrival is someone who stayed (travel clear).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo
from typing import Any

from . import scoped
from .access import Reach, Scope
from .auth import Principal
from .clock import iso, local_today, now
from .errors import Conflict, Forbidden, InvalidInput, NotFound
from .monitoring import day_bounds
from .services import Services
from .store import accounts as account_store
from .store import audit
from .store import people as people_store
from .store import schools as store
from .store.people import PersonRow
from .store.schools import ClassRow, ContactRow
from .validate import CODE, Choice, Moment, Nullable, Obj, Text, code

ITEMS = ("name", "contact", "address", "health", "travel")  # 五个必清, in the directive's order
STATES = ("clear", "missing", "alert")
MEMBERS = ("student", "staff")
CHANNELS = ("phone", "wechat", "visit", "other")
MAX_FILE = 5000
CONTACT_LEEWAY_S = 300

CLASS_INPUT = Obj({"code": CODE, "name": Text(64), "grade": Nullable(Text(32)), "teacher": Nullable(Text(64))},
                  required=("code", "name"))
CLASS_CHANGE = Obj({"name": Text(64), "grade": Nullable(Text(32)), "teacher": Nullable(Text(64))})
MEMBERSHIP = Obj({"school_class": Nullable(CODE), "member": Choice(MEMBERS)}, required=("school_class",))
CONTACT_INPUT = Obj({"note": Text(500), "caller": Nullable(Text(64)), "channel": Choice(CHANNELS),
                     "health": Nullable(Text(200)), "plans": Nullable(Text(200)),
                     "contacted_at": Nullable(Moment())}, required=("note",))
# what no schema says about these bodies (a 422 naming one of these answers a schema-valid body)
TEACHER_RULES = (("teacher", "an active console account of role teacher scoped to this class"),)
MEMBERSHIP_RULES = (("school_class", "a class of the person's school"),)
CONTACT_RULES = (("contacted_at", "not in the future (5 minutes' leeway)"),)


@dataclass(frozen=True, slots=True)
class Item:
    """One of the five items: clear, missing or alert, with a reason code and what is known."""

    item: str
    state: str
    reason: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "state": self.state, "reason": self.reason, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class PersonFile:
    person: PersonRow
    class_name: str | None
    back: bool
    items: tuple[Item, ...]

    @property
    def missing(self) -> list[Item]:
        return [i for i in self.items if i.state != "clear"]

    def to_json(self) -> dict[str, Any]:
        p = self.person
        return {"person_id": p.id, "name": p.name, "school": p.school, "school_class": p.school_class,
                "class_name": self.class_name, "member": p.school_member, "status": p.status,
                "not_back": not self.back, "items": [i.to_json() for i in self.items],
                "missing": [i.item for i in self.missing]}


def class_json(row: ClassRow) -> dict[str, Any]:
    return {"school": row.school, "code": row.code, "name": row.name, "grade": row.grade,
            "teacher": row.teacher, "created_at": row.created_at, "updated_at": row.updated_at}


def contact_json(row: ContactRow) -> dict[str, Any]:
    return {"id": row.id, "person_id": row.person_id, "contacted_at": row.contacted_at,
            "recorded_by": row.recorded_by, "caller": row.caller, "channel": row.channel, "note": row.note,
            "health": row.health, "plans": row.plans,
            "redacted": row.note == ""}  # past retention: what was said is gone (gateway/retention.py)


def not_back(person: PersonRow, city_prefix: str) -> bool:
    return person.origin is not None and person.arrived_on is None and not person.origin.startswith(city_prefix)


def five_items(person: PersonRow, checks: list[tuple[str, float, int, str | None, str]],
               contact: ContactRow | None, city_prefix: str) -> tuple[Item, ...]:
    """The five must-be-clear items of a person for one day, from that day's checks and contact."""
    away = not_back(person, city_prefix)
    items = [Item("name", "clear", "ok"),
             Item("contact", "clear", "ok") if person.phone_masked else Item("contact", "missing", "no_phone"),
             Item("address", "clear", "ok") if person.address else Item("address", "missing", "no_address")]
    if away:
        if contact is not None:
            items.append(Item("health", "clear", "told_by_contact",
                              {"health": contact.health, "contacted_at": contact.contacted_at}))
        else:
            items.append(Item("health", "missing", "no_contact_today"))
    elif checks:
        at, temperature, abnormal, taken_by, recorded_by = checks[-1]
        bad = [c for c in checks if c[2]]
        if bad:
            at, temperature, _, taken_by, recorded_by = bad[-1]
        detail = {"temperature": temperature, "checked_at": at, "taken_by": taken_by or recorded_by}
        items.append(Item("health", "alert", "fever", detail) if bad else Item("health", "clear", "checked", detail))
    else:
        items.append(Item("health", "missing", "no_check_today"))
    travel: dict[str, Any] = {"origin": person.origin, "left_origin_on": person.left_origin_on,
                              "arrived_on": person.arrived_on}
    if person.origin is None:
        items.append(Item("travel", "missing", "no_origin"))
    elif away:
        if contact is not None:
            items.append(Item("travel", "clear", "not_back_contacted", {**travel, "plans": contact.plans}))
        else:
            items.append(Item("travel", "missing", "no_contact_today", travel))
    elif person.quarantine_end is not None:
        items.append(Item("travel", "clear", "key_area_arrival", {**travel, "quarantine_end": person.quarantine_end}))
    elif person.arrived_on is None:
        items.append(Item("travel", "clear", "stayed", travel))
    else:
        items.append(Item("travel", "clear", "back", travel))
    return tuple(items)


async def _class(svc: Services, school: str, class_code: str) -> ClassRow:
    row = await store.get_class(svc.db.read, school=school, code=class_code)
    if row is None:
        raise NotFound(f"no class {class_code!r} in school {school!r}")
    return row


async def _check_teacher(svc: Services, school: str, class_code: str, username: str | None) -> str | None:
    """A class teacher is an account of role teacher whose scope reaches this class."""
    if username is None:
        return None
    name = username.strip().lower()
    account = await account_store.account_by_username(svc.db.read, username=name)
    if account is None or account.disabled_at is not None:
        raise InvalidInput(f"no active console account {name!r}", field="teacher")
    if account.role != "teacher" or f"{school}/{class_code}" not in {c for k, c in _entries(account.scope)
                                                                     if k == "class"}:
        raise InvalidInput(f"account {name!r} is not a teacher scoped to class:{school}/{class_code}",
                           field="teacher")
    return name


def _entries(scope_text: str) -> set[tuple[str, str]]:
    try:
        return set(Scope.parse(scope_text).entries)
    except ValueError:
        return set()


async def _reach(svc: Services, principal: Principal) -> Reach:
    return await scoped.reach(svc.db.read, principal)


async def create_class(svc: Services, school_code: str, body: dict[str, Any], actor: Principal) -> ClassRow:
    school = code(school_code, "school")
    checked = CLASS_INPUT.check(body)
    if not (await _reach(svc, actor)).covers_class(school, checked["code"]):
        raise Forbidden(f"school {school} is outside your scope ({actor.scope.text()})", code="out_of_scope")
    teacher = await _check_teacher(svc, school, checked["code"], checked.get("teacher"))
    async with svc.db.transaction() as tx:
        if await store.get_class(tx, school=school, code=checked["code"]) is not None:
            raise Conflict(f"school {school} already has a class {checked['code']}", field="code",
                           code="duplicate_class")
        await store.insert_class(tx, school=school, code=checked["code"], name=checked["name"],
                                 grade=checked.get("grade"), teacher=teacher, at=iso(now()))
        await audit.record(tx, actor.actor, "school.class_create", f"class:{school}/{checked['code']}", None,
                           {"name": checked["name"], "grade": checked.get("grade"), "teacher": teacher})
        row = await store.get_class(tx, school=school, code=checked["code"])
    assert row is not None
    return row


async def update_class(svc: Services, school_code: str, class_code: str, body: dict[str, Any],
                       actor: Principal) -> ClassRow:
    school, klass = code(school_code, "school"), code(class_code, "class_code")
    checked = CLASS_CHANGE.check(body)
    if not (await _reach(svc, actor)).covers_class(school, klass):
        raise NotFound(f"no class {klass!r} in school {school!r}")
    current = await _class(svc, school, klass)
    if "teacher" in checked:
        checked["teacher"] = await _check_teacher(svc, school, klass, checked["teacher"])
    changed = {k: v for k, v in checked.items() if getattr(current, k) != v}
    if not changed:
        return current
    async with svc.db.transaction() as tx:
        await store.update_class(tx, school=school, code=klass, values=changed, at=iso(now()))
        await audit.record(tx, actor.actor, "school.class_update", f"class:{school}/{klass}", None,
                           {"changed": sorted(changed), "teacher": changed.get("teacher")})
        row = await store.get_class(tx, school=school, code=klass)
    assert row is not None
    return row


async def classes(svc: Services, school_code: str, principal: Principal) -> list[ClassRow]:
    """The school's classes the principal reaches (a teacher: theirs)."""
    school = code(school_code, "school")
    reach = await _reach(svc, principal)
    rows = await store.classes_of(svc.db.read, school=school)
    if reach.everything or school in reach.schools:
        return rows
    people = await store.people_of(svc.db.read, school=school, reach=reach, limit=MAX_FILE)
    seen = {p.school_class for p in people}
    return [r for r in rows if reach.covers_class(school, r.code) or r.code in seen]


async def school_list(svc: Services, principal: Principal) -> list[str]:
    """The schools with classes that the principal reaches (wholly, or one of its classes)."""
    reach = await _reach(svc, principal)
    found = []
    for school in await store.school_codes(svc.db.read):
        if reach.everything or school in reach.schools or any(c.startswith(f"{school}/") for c in reach.classes):
            found.append(school)
    return found


async def set_class(svc: Services, person_id: int, body: dict[str, Any], actor: Principal) -> PersonRow:
    """Put a person into a class of their school (or out of it: school_class null)."""
    checked = MEMBERSHIP.check(body)
    klass: str | None = checked["school_class"]
    member = checked.get("member", "student") if klass is not None else None
    async with svc.db.transaction() as tx:
        person = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=person_id), person_id)
        if person.school is None:
            raise Conflict("this person has no school: set their school first", field="school_class",
                           code="no_school")
        reach = await scoped.reach(tx, actor)
        if klass is not None:
            if await store.get_class(tx, school=person.school, code=klass) is None:
                raise InvalidInput(f"school {person.school} has no class {klass}", field="school_class")
            if not reach.covers_class(person.school, klass):
                raise Forbidden(f"class {person.school}/{klass} is outside your scope", code="out_of_scope")
        if (person.school_class, person.school_member) == (klass, member):
            return person
        await people_store.update(tx, person_id=person_id, values={
            "school_class": klass, "school_member": member, "updated_at": iso(now())})
        await audit.record(tx, actor.actor, "person.class", f"person:{person_id}", None,
                           {"school": person.school, "old": person.school_class, "new": klass, "member": member})
        updated = await people_store.get(tx, person_id=person_id)
    assert updated is not None
    return updated


async def add_contact(svc: Services, person_id: int, body: dict[str, Any], actor: Principal) -> ContactRow:
    """One contact with a person not yet back (directive §四 19), audited."""
    checked = CONTACT_INPUT.check(body)
    moment: datetime = checked.get("contacted_at") or now()
    if (moment - now()).total_seconds() > CONTACT_LEEWAY_S:
        raise InvalidInput("contacted_at is in the future: a contact is recorded when it was made",
                           field="contacted_at")
    caller = checked.get("caller") or actor.name
    async with svc.db.transaction() as tx:
        person = await scoped.check_person(tx, actor, await people_store.get(tx, person_id=person_id), person_id)
        if not not_back(person, svc.config.city_region_prefix):
            raise Conflict("this person is back (or has no origin): their health is the daily temperature "
                           "check, not a contact", code="already_back")
        contact_id = await store.insert_contact(
            tx, person_id=person.id, contacted_at=iso(moment), recorded_by=actor.actor, caller=caller,
            channel=checked.get("channel", "phone"), note=checked["note"], health=checked.get("health"),
            plans=checked.get("plans"))
        await audit.record(tx, actor.actor, "person.contact", f"person:{person_id}", None,
                           {"contact": contact_id, "caller": caller, "channel": checked.get("channel", "phone")})
    found = [c for c in await store.contacts_of(svc.db.read, person_id=person_id) if c.id == contact_id]
    return found[0]


async def contacts(svc: Services, person_id: int, principal: Principal) -> list[ContactRow]:
    person = await scoped.check_person(svc.db.read, principal, await people_store.get(svc.db.read,
                                                                                   person_id=person_id), person_id)
    return await store.contacts_of(svc.db.read, person_id=person.id)


async def person_file(svc: Services, person: PersonRow, day: date | None = None) -> PersonFile:
    """The five items of one person (already checked against the caller's scope)."""
    return (await _files(svc, [person], day or local_today(svc.config.tz)))[0]


async def _files(svc: Services, people: list[PersonRow], day: date) -> list[PersonFile]:
    start, end = day_bounds(day, svc.config.tz)
    ids = [p.id for p in people]
    checks = await store.checks_between(svc.db.read, person_ids=ids, start_iso=start, end_iso=end)
    contacted = await store.contacted_between(svc.db.read, person_ids=ids, start_iso=start, end_iso=end)
    names: dict[tuple[str, str], str] = {}
    for school in {p.school for p in people if p.school}:
        names.update({(school, c.code): c.name for c in await store.classes_of(svc.db.read, school=school)})
    city = svc.config.city_region_prefix
    return [PersonFile(p, names.get((p.school or "", p.school_class or "")), not not_back(p, city),
                       five_items(p, checks.get(p.id, []), contacted.get(p.id), city)) for p in people]


@dataclass(frozen=True, slots=True)
class SchoolFile:
    school: str
    day: date
    generated_at: datetime
    classes: list[ClassRow]
    people: list[PersonFile]
    tz: ZoneInfo  # the city's: `day` and the times shown are in it

    def to_json(self) -> dict[str, Any]:
        return {"school": self.school, "date": self.day.isoformat(),
                "generated_at": self.generated_at.astimezone(self.tz).isoformat(timespec="seconds"),
                "classes": [class_json(c) for c in self.classes],
                "people": [p.to_json() for p in self.people],
                "missing": sum(1 for p in self.people if p.missing)}


async def school_file(svc: Services, school_code: str, principal: Principal, *, day: date | None = None,
                      school_class: str | None = None) -> SchoolFile:
    """一校一档: the school's people the principal reaches, each with their class and five items."""
    school = code(school_code, "school")
    klass = None if school_class is None else code(school_class, "class")
    reach = await _reach(svc, principal)
    people = await store.people_of(svc.db.read, school=school, reach=reach, school_class=klass, limit=MAX_FILE)
    day = day or local_today(svc.config.tz)
    return SchoolFile(school, day, now(), await classes(svc, school, principal), await _files(svc, people, day),
                      svc.config.tz)


async def record_export(svc: Services, found: SchoolFile, principal: Principal, fmt: str) -> None:
    """An export holds the names of a school's people: who took it, of what, is in the audit log."""
    async with svc.db.transaction() as tx:
        await audit.record(tx, principal.actor, "school.file_export", f"school:{found.school}", None,
                           {"format": fmt, "date": found.day.isoformat(), "people": len(found.people)})
