"""Handlers for the school file (一校一档): classes, class membership, contacts, the file as JSON."""

from __future__ import annotations

from aiohttp import web

from .. import schools
from ..openapi import INT, array, nullable, obj, ref, string
from ..validate import CODE, Day
from .common import authorise, json_response, read_json, services
from .spec import operation, path, query


@operation("The school's classes the caller reaches (a teacher: theirs)",
           response=obj({"classes": array(ref("SchoolClass"))}))
async def list_classes(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await schools.classes(services(request), path(request, "school"), principal)
    return json_response({"classes": [schools.class_json(r) for r in rows]})


@operation("Make a class, with its class teacher (an account of role teacher scoped to it)", ok=201,
           response=ref("SchoolClass"), body=schools.CLASS_INPUT, errors=(409,), rules=schools.TEACHER_RULES)
async def create_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.create_class(services(request), path(request, "school"), await read_json(request),
                                     principal)
    return json_response(schools.class_json(row), status=201)


@operation("Change a class's name, grade or class teacher", response=ref("SchoolClass"),
           body=schools.CLASS_CHANGE, rules=schools.TEACHER_RULES)
async def update_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.update_class(services(request), path(request, "school"), path(request, "class_code"),
                                     await read_json(request), principal)
    return json_response(schools.class_json(row))


@operation("Put a person into a class of their school (school_class null: out of it), audited",
           response=obj({"person_id": INT, "school": nullable(string()), "school_class": nullable(string()),
                         "member": nullable(string(enum=list(schools.MEMBERS)))}),
           body=schools.MEMBERSHIP, errors=(409,), rules=schools.MEMBERSHIP_RULES)
async def set_class(request: web.Request) -> web.Response:
    principal = await authorise(request)
    person = await schools.set_class(services(request), path(request, "person_id"), await read_json(request),
                                     principal)
    return json_response({"person_id": person.id, "school": person.school, "school_class": person.school_class,
                          "member": person.school_member})


@operation("Record a daily contact with a person not yet back (§四 19), audited", ok=201, response=ref("Contact"),
           body=schools.CONTACT_INPUT, errors=(409,), rules=schools.CONTACT_RULES)
async def add_contact(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await schools.add_contact(services(request), path(request, "person_id"), await read_json(request),
                                    principal)
    return json_response(schools.contact_json(row), status=201)


@operation("A person's contact log, newest first", response=obj({"contacts": array(ref("Contact"))}))
async def list_contacts(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await schools.contacts(services(request), path(request, "person_id"), principal)
    return json_response({"contacts": [schools.contact_json(r) for r in rows]})


@operation("一校一档: the school's people the caller reaches, their class and five must-be-clear items",
           response=ref("SchoolFile"), query={"date": Day(), "class": CODE})
async def school_file(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    found = await schools.school_file(services(request), path(request, "school"), principal, day=q.get("date"),
                                      school_class=q.get("class"))
    return json_response(found.to_json())
