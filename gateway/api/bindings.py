"""Handler for a person's phone binding (holder-bound passes): a worker resets it."""

from __future__ import annotations

from aiohttp import web

from .. import bindings
from ..validate import reason, reject_unknown
from .common import authorise, json_response, path_int, read_json, services


async def reset_binding(request: web.Request) -> web.Response:
    principal = await authorise(request)
    body = await read_json(request)
    reject_unknown(body, ("reason",))
    result = await bindings.reset(services(request), path_int(request, "person_id"), reason(body.get("reason")),
                                  principal)
    return json_response(result)
