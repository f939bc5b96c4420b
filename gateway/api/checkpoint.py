"""Road checkpoint records (devices) and the hand-over inbox (townships and communities)."""

from __future__ import annotations

from aiohttp import web

from .. import checkpoint, handovers
from .common import authorise, json_response, path_int, query_flag, query_int, query_text, read_json, services


async def upload_records(request: web.Request) -> web.Response:
    device = await authorise(request)
    result = await checkpoint.ingest(services(request), device, await read_json(request))
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates,
                          "handovers": result.handovers, "referrals": result.referrals})


async def list_handovers(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await handovers.listing(
        services(request), principal, kind=query_text(request, "kind"), state=query_text(request, "state"),
        open_only=query_flag(request, "open"),
        after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
        limit=query_int(request, "limit", default=100, low=1, high=1000) or 100)
    return json_response({"handovers": [handovers.handover_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


async def get_handover(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await handovers.get_for(services(request), principal, path_int(request, "handover_id"))
    return json_response(handovers.handover_json(row))


async def step_handover(request: web.Request) -> web.Response:
    principal = await authorise(request)
    handover_id = path_int(request, "handover_id")
    row = await handovers.take_step(services(request), principal, handover_id, await read_json(request))
    return json_response(handovers.handover_json(row))
