"""Handler for a person's phone binding (holder-bound passes): a worker resets it."""

from __future__ import annotations

from aiohttp import web

from .. import bindings
from ..openapi import ref
from ..validate import REASON_BODY
from .common import authorise, json_response, read_json, services
from .spec import operation, path


@operation("End a person's phone binding; its holder-bound pass is revoked (audited)",
           response=ref("BindingReset"), body=REASON_BODY, errors=(409,))
async def reset_binding(request: web.Request) -> web.Response:
    principal = await authorise(request)
    why = REASON_BODY.check(await read_json(request))["reason"]
    result = await bindings.reset(services(request), path(request, "person_id"), why, principal)
    return json_response(result)
