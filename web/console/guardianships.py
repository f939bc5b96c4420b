"""Family passes in the console: on a person's file, record or end who holds their pass."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway import guardianships, registry
from gateway.errors import Conflict, InvalidInput, NotFound

from .common import error_words, form_body, lang_of, redirect, render, services, user
from .people import _file, _person_id

FIELDS = ("guardian_document_type", "guardian_document_number", "consent_by", "consent_how", "consent_at", "note")


def _local(value: str, tz: ZoneInfo) -> str:
    """A datetime-local field (no offset) is a time in the city's zone `tz`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value  # the gateway's validator names the field
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).isoformat()


async def add(request: web.Request) -> web.Response:
    svc, me = services(request), user(request)
    person_id = _person_id(request)
    body = form_body(await request.post(), FIELDS)
    if "consent_at" in body:
        body["consent_at"] = _local(body["consent_at"], svc.config.tz)
    try:
        await guardianships.add(svc, person_id, body, me.principal())
    except (InvalidInput, Conflict, NotFound) as exc:
        if isinstance(exc, NotFound) and exc.field is None:
            raise  # the person itself: the middleware's 404
        person = await registry.get_for(svc, me.principal(), person_id)
        errors = {(exc.field if exc.field in FIELDS else "guardian_form"): error_words(request, exc)}
        context = await _file(svc, person, body, errors, me, lang_of(request))
        status = 409 if isinstance(exc, Conflict) else 404 if isinstance(exc, NotFound) else 422
        return render(request, "console/person.html", context, status)
    raise redirect(f"/console/people/{person_id}", done="guardian_added")


async def end(request: web.Request) -> web.Response:
    person_id = _person_id(request)
    raw = request.match_info["guardianship_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    await guardianships.end(services(request), int(raw), form_body(await request.post(), ("reason",)),
                            user(request).principal(), person_id=person_id)
    raise redirect(f"/console/people/{person_id}", done="guardian_ended")


def setup(app: web.Application) -> None:
    app.router.add_post(r"/people/{person_id:\d+}/guardianships", add)
    app.router.add_post(r"/people/{person_id:\d+}/guardianships/{guardianship_id:\d+}/end", end)
