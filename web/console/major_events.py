"""Acknowledge a major-event report from the dashboard (the banner lists the scope's open ones)."""

from __future__ import annotations

from aiohttp import web

from gateway import major_events
from gateway.errors import Conflict

from .common import form_body, int_param, redirect, services, user


async def acknowledge(request: web.Request) -> web.StreamResponse:
    form = form_body(await request.post(), ("note",))
    try:
        await major_events.acknowledge(services(request), user(request).principal(),
                                       int_param(request.match_info["event_id"]), form)
    except Conflict:
        pass  # someone else of the scope acknowledged it first: the dashboard shows who
    raise redirect("/console/dashboard", done="saved")


def setup(app: web.Application) -> None:
    app.router.add_post("/major-events/{event_id}/acknowledge", acknowledge)
