"""Major-event reports of the caller's scope, and their acknowledgement."""

from __future__ import annotations

from aiohttp import web

from .. import major_events
from .common import authorise, json_response, path_int, query_flag, query_int, read_optional_json, services


async def list_major_events(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await major_events.listing(services(request), principal, open_only=query_flag(request, "open"),
                                      after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
                                      limit=query_int(request, "limit", default=100, low=1, high=1000) or 100)
    return json_response({"major_events": [major_events.event_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


async def acknowledge_major_event(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await major_events.acknowledge(services(request), principal, path_int(request, "event_id"),
                                         await read_optional_json(request))
    return json_response(major_events.event_json(row))
