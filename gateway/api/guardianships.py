"""Handlers for guardianships (family passes): record, list and end who holds whose pass."""

from __future__ import annotations

from aiohttp import web

from .. import guardianships
from .common import authorise, json_response, path_int, read_json, services


async def add_guardianship(request: web.Request) -> web.Response:
    principal = await authorise(request)
    care = await guardianships.add(services(request), path_int(request, "person_id"), await read_json(request),
                                   principal)
    return json_response(care.to_json(), status=201)


async def list_guardianships(request: web.Request) -> web.Response:
    principal = await authorise(request)
    cares = await guardianships.of_person(services(request), path_int(request, "person_id"), principal)
    return json_response({"guardianships": [c.to_json() for c in cares]})


async def end_guardianship(request: web.Request) -> web.Response:
    principal = await authorise(request)
    care = await guardianships.end(services(request), path_int(request, "guardianship_id"),
                                   await read_json(request), principal)
    return json_response(care.to_json())
