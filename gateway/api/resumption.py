"""Handlers for resumption applications (复工审批): apply, list, read, decide."""

from __future__ import annotations

from aiohttp import web

from .. import resumption
from .common import authorise, json_response, path_int, query_int, query_text, read_json, services


async def apply(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.apply(services(request), request.match_info["code"], await read_json(request),
                                   principal)
    return json_response(found.to_json(), status=201)


async def list_resumptions(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.listing(services(request), principal, site=query_text(request, "site"),
                                     state=query_text(request, "state", max_len=16),
                                     limit=query_int(request, "limit", default=resumption.MAX_LIST, low=1,
                                                     high=resumption.MAX_LIST) or resumption.MAX_LIST)
    return json_response({"resumptions": [r.to_json() for r in found]})


async def get_resumption(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.get(services(request), path_int(request, "resumption_id"), principal)
    return json_response(found.to_json())


async def decide(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.decide(services(request), path_int(request, "resumption_id"),
                                    await read_json(request), principal)
    return json_response(found.to_json())
