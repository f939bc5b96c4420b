"""Major-event reports of the caller's scope, and their acknowledgement."""

from __future__ import annotations

from aiohttp import web

from .. import major_events
from ..openapi import INT, page, ref
from ..validate import Flag, Integer
from .common import authorise, json_response, read_optional_json, services
from .spec import operation, path, query


@operation("Major-event reports (重大事项报告) of the caller's sites and communities",
           response=page("major_events", ref("MajorEvent"), "next_after", INT),
           query={"open": Flag(), "after": Integer(0, 2**62), "limit": Integer(1, 1000)})
async def list_major_events(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    rows = await major_events.listing(services(request), principal, open_only=q.get("open", False),
                                      after_id=q.get("after", 0), limit=q.get("limit", 100))
    return json_response({"major_events": [major_events.event_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


@operation("Acknowledge a major-event report (audited)", response=ref("MajorEvent"), body=major_events.ACKNOWLEDGE,
           body_required=False, errors=(409,))
async def acknowledge_major_event(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await major_events.acknowledge(services(request), principal, path(request, "event_id"),
                                         await read_optional_json(request))
    return json_response(major_events.event_json(row))
