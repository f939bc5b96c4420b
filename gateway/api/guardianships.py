"""Handlers for guardianships (family passes): record, list and end who holds whose pass."""

from __future__ import annotations

from aiohttp import web

from .. import guardianships
from ..openapi import array, obj, ref
from ..validate import REASON_BODY
from .common import authorise, json_response, read_json, services
from .spec import operation, path


@operation("A guardian (by id or document, in the caller's scope) holds this person's pass on their resident "
           "page, with the consent given (audited; docs/checkpoint.md)", ok=201, response=ref("Guardianship"),
           body=guardianships.NEW_GUARDIAN, errors=(409,), rules=guardianships.NEW_GUARDIAN_RULES)
async def add_guardianship(request: web.Request) -> web.Response:
    principal = await authorise(request)
    care = await guardianships.add(services(request), path(request, "person_id"), await read_json(request),
                                   principal)
    return json_response(care.to_json(), status=201)


@operation("The person's guardianships (family passes), as guardian and as dependant, newest first",
           response=obj({"guardianships": array(ref("Guardianship"))}))
async def list_guardianships(request: web.Request) -> web.Response:
    principal = await authorise(request)
    cares = await guardianships.of_person(services(request), path(request, "person_id"), principal)
    return json_response({"guardianships": [c.to_json() for c in cares]})


@operation("End a guardianship: the guardian's page stops showing the pass (audited)",
           response=ref("Guardianship"), body=REASON_BODY, errors=(409,))
async def end_guardianship(request: web.Request) -> web.Response:
    principal = await authorise(request)
    care = await guardianships.end(services(request), path(request, "guardianship_id"),
                                   await read_json(request), principal)
    return json_response(care.to_json())
