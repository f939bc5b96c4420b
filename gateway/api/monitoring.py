"""Handler for /health/not-checked: the daily health checks still due, by name, for the worker."""

from __future__ import annotations

from aiohttp import web

from .. import monitoring, scoped
from ..clock import local_today
from ..openapi import BOOL, DATE, INT, TIME, array, nullable, obj, string
from ..validate import CODE, Day
from .common import authorise, json_response, reach, services
from .spec import operation, query

NOT_CHECKED = obj({"date": DATE, "people": array(obj({
    "person_id": INT, "name": string(), "community": nullable(string()), "status": string(),
    "quarantine_end": nullable(DATE), "checked_today": BOOL, "abnormal_today": BOOL,
    "last_checked_at": nullable(TIME)}))})


@operation("People with a daily health check due and none recorded (for the worker)", response=NOT_CHECKED,
           query={"date": Day(), "community": CODE})
async def not_checked(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    q = query(request)
    day = q.get("date") or local_today(svc.config.tz)
    mine = await reach(request, principal)
    people = await monitoring.not_checked(svc.db, day=day, tz=svc.config.tz, community=q.get("community"),
                                          visible=lambda row: scoped.covers(mine, row))
    return json_response({"date": day.isoformat(), "people": [p.to_json() for p in people]})
