"""Road checkpoint records (devices) and the hand-over inbox (townships and communities)."""

from __future__ import annotations

from aiohttp import web

from .. import checkpoint, handovers
from ..openapi import INT, array, obj, page, ref
from ..validate import Choice, Flag, Integer
from .common import authorise, json_response, read_json, services
from .spec import operation, path, query

PAGE = {"after": Integer(0, 2**62), "limit": Integer(1, 1000)}


@operation("Upload road checkpoint records (idempotent on id); key-area people and fevers become hand-overs "
           "and referrals (a device of a checkpoint site)",
           response=obj({"accepted": INT, "duplicates": INT, "handovers": array(INT), "referrals": array(INT),
                         "alerts": array(ref("Alert"))}),
           body=checkpoint.UPLOAD, rules=checkpoint.UPLOAD_RULES)
async def upload_records(request: web.Request) -> web.Response:
    device = await authorise(request)
    result = await checkpoint.ingest(services(request), device, await read_json(request))
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates,
                          "handovers": result.handovers, "referrals": result.referrals, "alerts": result.alerts})


@operation("Checkpoint hand-overs and referrals to the caller's communities",
           response=page("handovers", ref("Handover"), "next_after", INT),
           query={"kind": Choice(handovers.KINDS), "state": Choice(handovers.STATES), "open": Flag(), **PAGE})
async def list_handovers(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    rows = await handovers.listing(services(request), principal, kind=q.get("kind"), state=q.get("state"),
                                   open_only=q.get("open", False), after_id=q.get("after", 0),
                                   limit=q.get("limit", 100))
    return json_response({"handovers": [handovers.handover_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


@operation("One hand-over or referral", response=ref("Handover"))
async def get_handover(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await handovers.get_for(services(request), principal, path(request, "handover_id"))
    return json_response(handovers.handover_json(row))


@operation("Acknowledge, transfer (place: the observation point or clinic) or close (audited)",
           response=ref("Handover"), body=handovers.STEP, errors=(409,), rules=handovers.STEP_RULES)
async def step_handover(request: web.Request) -> web.Response:
    principal = await authorise(request)
    handover_id = path(request, "handover_id")
    row = await handovers.take_step(services(request), principal, handover_id, await read_json(request))
    return json_response(handovers.handover_json(row))
