"""Handlers for the school file (一校一档): classes, class membership, contacts, the file as JSON."""

from __future__ import annotations

from aiohttp import web

from .. import schools
from ..validate import iso_date
from .common import authorise, json_response, path_int, query_text, read_json, services


async def list_classes(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await schools.classes(services(request), request.match_info["school"], principal)
    return json_response({"classes": [schools.class_json(r) for r in rows]})


async def create_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.create_class(services(request), request.match_info["school"], await read_json(request),
                                     principal)
    return json_response(schools.class_json(row), status=201)


async def update_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.update_class(services(request), request.match_info["school"],
                                     request.match_info["class_code"], await read_json(request), principal)
    return json_response(schools.class_json(row))


async def set_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    person = await schools.set_class(services(request), path_int(request, "person_id"), await read_json(request),
                                     principal)
    return json_response({"person_id": person.id, "school": person.school, "school_class": person.school_class,
                          "member": person.school_member})


async def add_contact(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.add_contact(services(request), path_int(request, "person_id"), await read_json(request),
                                    principal)
    return json_response(schools.contact_json(row), status=201)


async def list_contacts(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await schools.contacts(services(request), path_int(request, "person_id"), principal)
    return json_response({"contacts": [schools.contact_json(r) for r in rows]})


async def school_file(request: web.Request) -> web.Response:
    principal = await authorise(request)
    given = query_text(request, "date", max_len=10)
    day = iso_date(given, "date") if given is not None else None
    found = await schools.school_file(services(request), request.match_info["school"], principal, day=day,
                                      school_class=query_text(request, "class"))
    return json_response(found.to_json())
