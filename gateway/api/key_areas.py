"""Handlers for /key-areas: the key epidemic areas, listed for anyone, changed by an admin."""

from __future__ import annotations

from aiohttp import web

from .. import key_areas
from ..openapi import array, obj, ref
from ..validate import REASON_BODY
from .common import authorise, json_response, read_json, services
from .spec import operation


@operation("Key epidemic areas (GB/T 2260 prefixes, with names and periods)",
           response=obj({"key_areas": array(ref("KeyArea"))}))
async def list_key_areas(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response({"key_areas": await key_areas.listing(services(request))})


async def _answer(request: web.Request, result: key_areas.ChangeResult) -> web.Response:
    return json_response({"prefix": result.prefix, "people_recomputed": result.people,
                          "passes_reissued": result.reissued,
                          "key_areas": await key_areas.listing(services(request))})


@operation("Add a key area or change its period; recomputes quarantines (audited)",
           response=ref("KeyAreaChange"), body=key_areas.KEY_AREA, rules=key_areas.KEY_AREA_RULES)
async def put_key_area(request: web.Request) -> web.Response:
    principal = await authorise(request)
    result = await key_areas.set_area(services(request), request.match_info["prefix"],
                                      await read_json(request), principal)
    return await _answer(request, result)


@operation("Remove a key area; recomputes quarantines (audited)", response=ref("KeyAreaChange"),
           body=REASON_BODY, rules=key_areas.PREFIX_RULES)
async def delete_key_area(request: web.Request) -> web.Response:
    principal = await authorise(request)
    result = await key_areas.remove_area(services(request), request.match_info["prefix"],
                                         await read_json(request), principal)
    return await _answer(request, result)
