"""The township's and community's inbox of checkpoint hand-overs and referrals, worked to closure.

A hand-over (a key-area person) and a referral (a fever) go open → acknowledged → transferred (to
central observation, the fever clinic, or isolation in the own car) → closed; each step names who
and when, and is audited. One not acknowledged within `handover_ack_minutes`, or not closed within
`handover_close_hours`, is overdue. A scoped account sees the hand-overs to its communities only;
anything else is answered as missing.
"""

from __future__ import annotations

import json
from typing import Any

from . import scoped
from .access import Reach
from .auth import Principal
from .clock import iso, now
from .errors import Conflict, InvalidInput, NotFound
from .services import Services
from .store import audit
from .store import checkpoint as store
from .store import people as people_store
from .store.checkpoint import HandoverRow
from .validate import Choice, Nullable, Obj, Text, choice

KINDS = ("handover", "referral")
STATES = ("open", "acknowledged", "transferred", "closed")
STEPS: dict[str, tuple[tuple[str, ...], str]] = {  # step -> (from states, to state)
    "acknowledge": (("open",), "acknowledged"),
    "transfer": (("acknowledged",), "transferred"),
    "close": (("acknowledged", "transferred"), "closed"),
}
_STAMP = {"acknowledge": "acknowledged", "transfer": "transferred", "close": "closed"}
STEP = Obj({"step": Choice(tuple(STEPS)), "place": Nullable(Text(200)), "note": Nullable(Text(500))},
           required=("step",))
STEP_RULES = (("place", "a hand-over's transfer names the place (a referral's may leave it out)"),)


def overdue(row: HandoverRow, at: float) -> str | None:
    """'acknowledge' or 'close' when that step is late, else None."""
    if row.state == "open" and at > row.ack_due_ts:
        return "acknowledge"
    if row.state != "closed" and at > row.close_due_ts:
        return "close"
    return None


def handover_json(row: HandoverRow, at: float | None = None) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "state": row.state, "overdue": overdue(row, at or now().timestamp()),
            "site": row.site, "township": row.township, "community": row.community,
            "record_id": row.record_id, "person_id": row.person_id, "name": row.name,
            "document_number": row.document_masked, "temperature": row.temperature, "plate": row.plate,
            "vehicle_kind": row.vehicle_kind, "origin": row.origin, "recorded_at": row.recorded_at,
            "basis": json.loads(row.basis), "transport": row.transport, "clinic": row.clinic,
            "place": row.place, "note": row.note, "created_at": row.created_at,
            "acknowledged_at": row.acknowledged_at, "acknowledged_by": row.acknowledged_by,
            "transferred_at": row.transferred_at, "transferred_by": row.transferred_by,
            "closed_at": row.closed_at, "closed_by": row.closed_by}


def communities(reach: Reach) -> list[str] | None:
    """The communities whose inbox a reach sees; None for every one."""
    return None if reach.everything else sorted(reach.communities)


async def listing(svc: Services, principal: Principal, *, kind: str | None = None, state: str | None = None,
                  open_only: bool = False, after_id: int = 0, limit: int = 100) -> list[HandoverRow]:
    if kind is not None:
        choice(kind, "kind", KINDS)
    if state is not None:
        choice(state, "state", STATES)
    reach = await scoped.reach(svc.db.read, principal)
    return await store.search(svc.db.read, communities=communities(reach), kind=kind, state=state,
                              open_only=open_only, after_id=after_id, limit=limit)


async def get_for(svc: Services, principal: Principal, handover_id: int) -> HandoverRow:
    row = await store.get(svc.db.read, handover_id=handover_id)
    if row is None or not _covers(await scoped.reach(svc.db.read, principal), row):
        raise NotFound(f"no hand-over {handover_id}")
    return row


def _covers(reach: Reach, row: HandoverRow) -> bool:
    return reach.everything or row.community in reach.communities


async def take_step(svc: Services, principal: Principal, handover_id: int, body: dict[str, Any]) -> HandoverRow:
    """acknowledge | transfer (with `place`: the observation point or clinic) | close; audited."""
    checked = STEP.check(body)
    step, place, note = checked["step"], checked.get("place"), checked.get("note")
    stamp = iso(now())
    async with svc.db.transaction() as tx:
        row = await store.get(tx, handover_id=handover_id)
        if row is None or not _covers(await scoped.reach(tx, principal), row):
            raise NotFound(f"no hand-over {handover_id}")
        if step == "transfer" and row.kind == "handover" and place is None:
            raise InvalidInput("place is required: the central observation point the person is taken to",
                               field="place")
        sources, target = STEPS[step]
        values: dict[str, Any] = {"state": target, f"{_STAMP[step]}_at": stamp, f"{_STAMP[step]}_by": principal.actor}
        if place is not None:
            values["place"] = place
        if note is not None:
            values["note"] = note
        if not await store.step(tx, handover_id=handover_id, from_states=sources, values=values):
            raise Conflict(f"hand-over {handover_id} is {row.state}: it cannot be {target} now",
                           code="wrong_state")
        if step == "transfer" and row.kind == "handover" and row.person_id is not None:
            await people_store.update(tx, person_id=row.person_id, values={
                "quarantine_place": place, "updated_at": stamp})
        await audit.record(tx, principal.actor, f"handover.{step}", f"handover:{handover_id}", note,
                           {"kind": row.kind, "from": row.state, "to": target, "place": place,
                            "community": row.community})
        updated = await store.get(tx, handover_id=handover_id)
    assert updated is not None
    return updated
