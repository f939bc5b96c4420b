"""People: search and filters, the person's file, register and edit forms, health checks."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from gateway import access, bindings, canonical, guardianships, key_areas, passes, quarantine, registry, scoped
from gateway.clock import local_today
from gateway.errors import Conflict, Forbidden, InvalidInput
from gateway.services import Services
from gateway.store import people as people_store
from gateway.store.people import PersonRow

from .. import labels, store
from ..passview import qr_svg
from ..sessions import ConsoleUser
from . import schools
from .common import error_words, form_body, int_param, lang_of, redirect, render, say, services, user

PAGE = 50
EDITABLE = ("name", "address", "community", "employer", "school", "origin", "left_origin_on", "arrived_on",
            "status", "quarantine_kind", "quarantine_place")
RESIDENT_ID = re.compile(r"^\d{17}[\dXx]$")


def _person_id(request: web.Request) -> int:
    value = request.match_info["person_id"]
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise web.HTTPNotFound()
    return int(value)


async def people_list(request: web.Request) -> web.Response:
    svc = services(request)
    q = request.query.get("q", "").strip()[:64]
    community = request.query.get("community", "").strip()[:64] or None
    given = request.query.get("filter", "")
    chosen = given if given in store.PEOPLE_FILTERS else None
    name = doc = phone = None
    problem = None
    me = user(request)
    try:
        folded = canonical.fold(q)  # a fullwidth number finds the same file
        if (RESIDENT_ID.match(folded) or re.fullmatch(r"\+?[0-9]{6,20}", folded)) \
                and not access.may(me.role, "people.lookup_number"):
            problem = say(request, "查找证件号或电话号码需要登记员或管理员角色",
                          "Looking people up by document or phone number needs the registrar or admin role")
        elif RESIDENT_ID.match(folded):
            doc = registry.lookup_document(svc, "resident_id", folded)
        elif q and re.fullmatch(r"\+?[0-9]{6,20}", folded):
            phone = registry.lookup_phone(svc, q)
        elif q:
            name = q
    except InvalidInput as exc:
        problem = error_words(request, exc)
    rows = [] if problem else await store.people_list(
        svc.db.read, name=name, document_hmac=doc, phone_hmac=phone, community=community, filter=chosen,
        today=local_today(svc.config.tz).isoformat(), after_id=int_param(request.query.get("after")), limit=PAGE,
        reach=await scoped.reach(svc.db.read, me.principal()))
    return render(request, "console/people.html", {
        "rows": rows, "q": q, "community": community or "", "filter": chosen or "",
        "filters": labels.options("people_filter", lang_of(request)),
        "problem": problem, "next_after": rows[-1].id if len(rows) == PAGE else None,
        "today": local_today(svc.config.tz).isoformat()})


async def person_file(request: web.Request) -> web.Response:
    svc = services(request)
    person = await registry.get_for(svc, user(request).principal(), _person_id(request))
    return render(request, "console/person.html", await _file(svc, person, {}, {}, user(request), lang_of(request)))


async def _file(svc: Services, person: PersonRow, values: dict[str, str], errors: dict[str, str],
                me: ConsoleUser, lang: str = "zh") -> dict[str, Any]:
    """Everything the person's file shows: history, passes, entries at gates, health checks, and for the
    roles that hand it over, the resident link as a QR."""
    read = svc.db.read
    link = await passes.resident_link(svc, person.id, me.principal(), svc.config.base_url) \
        if access.may(me.role, "link.hand_out") else None
    return {"link": link, "link_qr": qr_svg(link) if link else None, "p": person, "history": await people_store.status_history(read, person_id=person.id),
            "checks": [(c, ", ".join(json.loads(c.symptoms))) for c in
                       await people_store.health_checks(read, person_id=person.id)],
            "passes": await store.passes_of(read, person_id=person.id),
            "binding": await bindings.for_person(read, person.id),
            "entries": await store.entries_of(read, person_id=person.id),
            "cares": await guardianships.of_person(svc, person.id, me.principal())
            if access.may(me.role, "guardianship.list") else [],
            "max_dependants": guardianships.MAX_DEPENDANTS,
            "values": values, "errors": errors, "today": local_today(svc.config.tz).isoformat(),
            **await schools.person_section(svc, person, me, lang)}


async def _form(request: web.Request, template: str, values: dict[str, Any], errors: dict[str, str],
                status: int = 200, **extra: Any) -> web.Response:
    # the form asks for the arrival date as soon as the origin is a key area (static/person_form.js)
    # (only the areas an arrival could still be quarantined for today, as the gateway's own check)
    svc = services(request)
    today, days = local_today(svc.config.tz), svc.config.quarantine_days
    prefixes = [a.prefix for a in await key_areas.current(svc.db.read)
                if quarantine.from_key_area(a.prefix, [a], today=today, days=days)]
    lang = lang_of(request)
    return render(request, template, {
        "values": values, "errors": errors, "doc_types": labels.options("document_type", lang),
        "statuses": labels.options("status", lang),
        "quarantine_kinds": labels.options("quarantine_kind", lang, blank="—"),
        "regions": labels.regions(lang), "key_prefixes": prefixes, **extra}, status)


def _field_error(request: web.Request, exc: InvalidInput | Conflict | Forbidden) -> dict[str, str]:
    # the gateway names the field; a nested name (policy.x) or none goes to the form's top
    return {exc.field if exc.field else "_form": error_words(request, exc)}


async def new_person(request: web.Request) -> web.Response:
    return await _form(request, "console/person_form.html", {"document_type": "resident_id", "status": "green"}, {},
                 mode="new")


async def register(request: web.Request) -> web.Response:
    form = await request.post()
    body = form_body(form, ("name", "document_type", "document_number", "phone", *EDITABLE, "reason"))
    try:
        person = await registry.register(services(request), body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        return await _form(request, "console/person_form.html", body, _field_error(request, exc), 422, mode="new")
    raise redirect(f"/console/people/{person.id}", done="registered")


async def edit_person(request: web.Request) -> web.Response:
    person = await registry.get_for(services(request), user(request).principal(), _person_id(request))
    values = {k: getattr(person, k) for k in EDITABLE}
    return await _form(request, "console/person_form.html", values, {}, mode="edit", p=person)


async def save_person(request: web.Request) -> web.Response:
    svc = services(request)
    person = await registry.get_for(svc, user(request).principal(), _person_id(request))
    form = await request.post()
    given = form_body(form, ("document_type", "document_number", "phone", "reason", *EDITABLE))
    # an emptied optional field clears it; document and phone change only when typed in again
    body: dict[str, Any] = {k: given.get(k) for k in EDITABLE if k not in ("status",)}
    body["status"] = given.get("status", person.status)
    for key in ("phone", "reason"):
        if key in given:
            body[key] = given[key]
    if "document_number" in given:
        body["document_type"] = given.get("document_type", person.document_type)
        body["document_number"] = given["document_number"]
    try:
        await registry.update(svc, person.id, body, user(request).principal())
    except (InvalidInput, Conflict, Forbidden) as exc:  # Forbidden: a registrar shortening a quarantine
        return await _form(request, "console/person_form.html", given, _field_error(request, exc), 422, mode="edit", p=person)
    raise redirect(f"/console/people/{person.id}", done="saved")


async def health_check(request: web.Request) -> web.Response:
    svc = services(request)
    person_id = _person_id(request)
    form = await request.post()
    raw = form.get("temperature")
    body: dict[str, Any] = {}
    try:
        body["temperature"] = float(raw) if isinstance(raw, str) and len(raw) < 10 else raw
    except ValueError:
        body["temperature"] = raw  # the gateway's validator names the field
    symptoms = form.get("symptoms")
    if isinstance(symptoms, str) and symptoms.strip():
        body["symptoms"] = [s.strip() for s in re.split(r"[,，、]", symptoms[:2000]) if s.strip()]
    taken_by = form.get("taken_by")
    if isinstance(taken_by, str) and taken_by.strip():
        body["taken_by"] = taken_by.strip()[:200]
    try:
        await registry.add_health_check(svc, person_id, body, user(request).principal())
    except InvalidInput as exc:
        values = {"temperature": raw if isinstance(raw, str) else "",
                  "symptoms": symptoms if isinstance(symptoms, str) else "",
                  "taken_by": taken_by if isinstance(taken_by, str) else ""}
        person = await registry.get_for(svc, user(request).principal(), person_id)
        return render(request, "console/person.html",
                      await _file(svc, person, values, _field_error(request, exc), user(request), lang_of(request)), 422)
    raise redirect(f"/console/people/{person_id}", done="checked")


async def clear(request: web.Request) -> web.Response:
    person_id = _person_id(request)
    form = await request.post()
    action = registry.clear if request.match_info["action"] == "clear" else registry.end_quarantine
    await action(services(request), person_id, form_body(form, ("reason",)), user(request).principal())
    raise redirect(f"/console/people/{person_id}",
                   done="cleared" if request.match_info["action"] == "clear" else "ended")


def setup(app: web.Application) -> None:
    app.router.add_get("/people", people_list)
    app.router.add_get("/people/new", new_person)
    app.router.add_post("/people/new", register)
    app.router.add_get(r"/people/{person_id:\d+}", person_file)
    app.router.add_get(r"/people/{person_id:\d+}/edit", edit_person)
    app.router.add_post(r"/people/{person_id:\d+}/edit", save_person)
    app.router.add_post(r"/people/{person_id:\d+}/health-checks", health_check)
    app.router.add_post(r"/people/{person_id:\d+}/{action:clear|end-quarantine}", clear)
