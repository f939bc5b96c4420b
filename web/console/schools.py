"""The school file (一校一档) in the console: a school's classes and people with their five items,
the class of a person, the daily contact log; a class teacher sees their class only."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway import access, schools
from gateway.clock import local_today
from gateway.errors import Conflict, InvalidInput
from gateway.services import Services
from gateway.store.people import PersonRow

from .. import labels, school_export
from ..sessions import ConsoleUser
from .common import error_words, form_body, lang_of, redirect, render, services, user

SCHOOL = r"{school:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}"


async def school_index(request: web.Request) -> web.Response:
    found = await schools.school_list(services(request), user(request).principal())
    if len(found) == 1 and not user(request).scope.city:
        raise redirect(f"/console/schools/{found[0]}")  # a class teacher's one school: straight to it
    return render(request, "console/schools.html", {"schools": found})


async def _school_page(request: web.Request, values: dict[str, Any], errors: dict[str, str],
                       status: int = 200) -> web.Response:
    svc = services(request)
    me = user(request)
    chosen = request.query.get("class", "").strip()[:64] or None
    try:
        found = await schools.school_file(svc, request.match_info["school"], me.principal(), school_class=chosen)
    except InvalidInput:
        found = await schools.school_file(svc, request.match_info["school"], me.principal())
        chosen = None
    return render(request, "console/school.html", {
        "file": found, "school": found.school, "chosen": chosen, "values": values, "errors": errors,
        "items": schools.ITEMS, "exports": True, "missing_count": sum(1 for p in found.people if p.missing)}, status)


async def school_page(request: web.Request) -> web.Response:
    return await _school_page(request, {}, {})


async def create_class(request: web.Request) -> web.Response:
    form = await request.post()
    body: dict[str, Any] = form_body(form, ("code", "name", "grade", "teacher"))
    try:
        await schools.create_class(services(request), request.match_info["school"], body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        return await _school_page(request, body, {exc.field or "_form": error_words(request, exc, "class_field")}, 422)
    raise redirect(f"/console/schools/{request.match_info['school']}", done="class_created")


async def export(request: web.Request) -> web.Response:
    """GET …/file.xlsx or …/file.pdf: the school file (of the class chosen, else all reached), audited."""
    svc = services(request)
    me = user(request)
    fmt = "xlsx" if request.path.endswith(".xlsx") else "pdf"
    chosen = request.query.get("class", "").strip()[:64] or None
    found = await schools.school_file(svc, request.match_info["school"], me.principal(), school_class=chosen)
    lang = lang_of(request)
    show = access.may(me.role, "people.address")
    body = school_export.xlsx(found, lang, show_address=show) if fmt == "xlsx" \
        else school_export.pdf(found, lang, show_address=show)
    await schools.record_export(svc, found, me.principal(), fmt)
    name = f"school-{found.school}{'-' + chosen if chosen else ''}-{found.day.isoformat()}.{fmt}"
    return web.Response(body=body, content_type=school_export.XLSX_TYPE if fmt == "xlsx" else "application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})


def _person_id(request: web.Request) -> int:
    value = request.match_info["person_id"]
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        raise web.HTTPNotFound()
    return int(value)


async def set_class(request: web.Request) -> web.Response:
    form = await request.post()
    given = form_body(form, ("school_class", "member"))
    body: dict[str, Any] = {"school_class": given.get("school_class"), "member": given.get("member", "student")}
    person_id = _person_id(request)
    await schools.set_class(services(request), person_id, body, user(request).principal())
    raise redirect(f"/console/people/{person_id}", done="class_set")


async def add_contact(request: web.Request) -> web.Response:
    form = await request.post()
    body = form_body(form, ("note", "caller", "channel", "health", "plans"))
    person_id = _person_id(request)
    await schools.add_contact(services(request), person_id, body, user(request).principal())
    raise redirect(f"/console/people/{person_id}", done="contacted")


async def person_section(svc: Services, person: PersonRow, me: ConsoleUser, lang: str) -> dict[str, Any]:
    """What the person's file shows of the school file: class, five items, contact log."""
    if not access.may(me.role, "school.read"):
        return {"school_file": None}
    file = await schools.person_file(svc, person)
    classes = await schools.classes(svc, person.school, me.principal()) if person.school else []
    contacts = await schools.contacts(svc, person.id, me.principal()) \
        if access.may(me.role, "contact.list") else []
    return {"school_file": file, "school_classes": classes, "contacts": contacts,
            "members": labels.options("school_member", lang), "channels": labels.options("contact_channel", lang),
            "today_local": local_today(svc.config.tz).isoformat()}


def setup(app: web.Application) -> None:
    app.router.add_get("/schools", school_index)
    app.router.add_get(f"/schools/{SCHOOL}", school_page)
    app.router.add_post(f"/schools/{SCHOOL}/classes", create_class)
    app.router.add_get(f"/schools/{SCHOOL}/file.xlsx", export)
    app.router.add_get(f"/schools/{SCHOOL}/file.pdf", export)
    app.router.add_post(r"/people/{person_id:\d+}/class", set_class)
    app.router.add_post(r"/people/{person_id:\d+}/contacts", add_contact)

