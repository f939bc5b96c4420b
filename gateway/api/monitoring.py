"""Handler for /health/not-checked: the daily health checks still due, by name, for the worker."""

from __future__ import annotations

from aiohttp import web

from .. import monitoring, scoped
from ..clock import local_today
from ..validate import iso_date
from .common import authorise, json_response, query_text, reach, services


async def not_checked(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    raw_day = query_text(request, "date")
    day = iso_date(raw_day, "date") if raw_day is not None else local_today(svc.config.tz)
    mine = await reach(request, principal)
    people = await monitoring.not_checked(svc.db, day=day, tz=svc.config.tz, community=query_text(request, "community"),
                                          visible=lambda row: scoped.covers(mine, row))
    return json_response({"date": day.isoformat(), "people": [p.to_json() for p in people]})
