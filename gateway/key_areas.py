"""Key epidemic areas as data: listed, set and removed by an admin (audited), people re-evaluated.

Changing the list recomputes the quarantine of everyone whose origin falls under the prefix and
reissues the passes whose content changed, in the same transaction: a gate never sees a list
and passes that disagree. A quarantine an admin ended early stays ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from . import passes, quarantine, regions
from .auth import Principal
from .clock import iso, local_today, now
from .db import Conn
from .errors import InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import key_areas as store
from .store import people as people_store
from .validate import (DIGIT_CLASS, REASON, REASON_BODY, SEPARATOR_CLASS, Day, Folded, Nullable, Obj,
                       optional_date, reject_unknown, spaced)

PREFIX = Folded(40, "[0-9]{2,6}", spaced() + f"(?:[{DIGIT_CLASS}][{SEPARATOR_CLASS}]*){{2,6}}",
                "2..6 digits: a GB/T 2260 region code or the start of one")
PREFIX_RULES = (("prefix", f"the start of a GB/T 2260 region code in use since {regions.ORIGIN_SINCE}"),)
KEY_AREA = Obj({"from": Day(), "until": Nullable(Day()), "reason": REASON}, required=("from", "reason"))
KEY_AREA_RULES = (("until", "until is not before from"), *PREFIX_RULES)


@dataclass(frozen=True, slots=True)
class ChangeResult:
    prefix: str
    people: int  # people whose quarantine was recomputed
    reissued: int  # of them, passes reissued


def prefix_of(value: object, field: str = "prefix") -> str:
    """A region-code prefix: 2 to 6 digits (any width), the start of a real region code."""
    folded = PREFIX.check(value, field)
    if not regions.known_province(folded):
        raise InvalidInput(f"{field} does not start with a GB/T 2260 province code", field=field)
    if not regions.is_prefix(folded):
        raise InvalidInput(f"{field} {folded} is the start of no GB/T 2260 region code in use since "
                           f"{regions.ORIGIN_SINCE}", field=field)
    return folded


def area_json(row: store.KeyAreaRow) -> dict[str, Any]:
    return {"prefix": row.prefix, "name": regions.name(row.prefix), "from": row.from_day,
            "until": row.until_day, "updated_at": row.updated_at, "updated_by": row.updated_by}


async def current(conn: Conn) -> list[quarantine.KeyArea]:
    return [quarantine.KeyArea(r.prefix, date.fromisoformat(r.from_day),
                               date.fromisoformat(r.until_day) if r.until_day else None)
            for r in await store.all_areas(conn)]


async def listing(svc: Services) -> list[dict[str, Any]]:
    return [area_json(r) for r in await store.all_areas(svc.db.read)]


async def set_area(svc: Services, raw_prefix: str, body: dict[str, Any], actor: Principal) -> ChangeResult:
    """Add a key area or change its period (PUT semantics: `from` required, `until` optional)."""
    prefix = prefix_of(raw_prefix)
    if isinstance(body, dict) and body.get("from") is None and set(body) <= set(KEY_AREA.fields):
        raise InvalidInput("from is required: the first arrival day that counts", field="from")
    checked = KEY_AREA.check(body)
    start, until, why = checked["from"], checked.get("until"), checked["reason"]
    if until is not None and until < start:
        raise InvalidInput("until must not be before from", field="until")
    async with svc.db.transaction() as tx:
        await store.upsert(tx, prefix=prefix, from_day=start.isoformat(),
                           until_day=until.isoformat() if until else None, at=iso(now()), by=actor.actor)
        result = await _reevaluate(svc, tx, prefix, actor)
        await audit.record(tx, actor.actor, "key_area.set", f"key_area:{prefix}", why,
                           {"from": start.isoformat(), "until": until.isoformat() if until else None,
                            "people": result.people, "reissued": result.reissued})
    return result


async def end_area(svc: Services, raw_prefix: str, body: dict[str, Any], actor: Principal) -> ChangeResult:
    """End a key area: arrivals after `until` (default: today, city time) no longer count; the period stays."""
    reject_unknown(body, ("until", "reason"))
    prefix = prefix_of(raw_prefix)
    area = next((a for a in await store.all_areas(svc.db.read) if a.prefix == prefix), None)
    if area is None:
        raise NotFound(f"{prefix} is not a key area")
    until = optional_date(body.get("until"), "until") or local_today(svc.config.tz)
    return await set_area(svc, prefix, {"from": area.from_day, "until": until.isoformat(),
                                        "reason": body.get("reason")}, actor)


async def remove_area(svc: Services, raw_prefix: str, body: dict[str, Any], actor: Principal) -> ChangeResult:
    prefix = prefix_of(raw_prefix)
    why = REASON_BODY.check(body)["reason"]
    async with svc.db.transaction() as tx:
        if not await store.delete(tx, prefix=prefix):
            raise NotFound(f"{prefix} is not a key area")
        result = await _reevaluate(svc, tx, prefix, actor)
        await audit.record(tx, actor.actor, "key_area.remove", f"key_area:{prefix}", why,
                           {"people": result.people, "reissued": result.reissued})
    return result


async def _reevaluate(svc: Services, tx: Conn, prefix: str, actor: Principal) -> ChangeResult:
    areas = await current(tx)
    changed = reissued = 0
    for person_id in await store.people_from(tx, prefix=prefix):
        person = await people_store.get(tx, person_id=person_id)
        if person is None or person.quarantine_ended_early:
            continue
        arrived = date.fromisoformat(person.arrived_on) if person.arrived_on else None
        q = quarantine.compute(person.origin, arrived, key_areas=areas, days=svc.config.quarantine_days)
        values: dict[str, Any] = {
            "quarantine_start": q.start.isoformat() if q else None,
            "quarantine_end": q.end.isoformat() if q else None,
            "quarantine_kind": (person.quarantine_kind or "home") if q else None}
        if all(getattr(person, k) == v for k, v in values.items()):
            continue
        changed += 1
        await people_store.update(tx, person_id=person_id, values={**values, "updated_at": iso(now())})
        if await passes.refresh(svc, tx, person_id, actor, "key areas changed"):
            reissued += 1
    return ChangeResult(prefix, changed, reissued)
