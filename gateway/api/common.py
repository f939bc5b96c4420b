"""Helpers every handler uses: reading JSON, authorising, responses (query and path: gateway/api/spec.py)."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..appkeys import services_key
from .. import access, scoped
from ..auth import Principal, bearer, device_with_site, principal_for, require_action
from ..errors import BadJson, Forbidden, InvalidInput
from ..services import Services
from ..store.sites import DeviceRead


def services(request: web.Request) -> Services:
    return request.app[services_key]


async def authorise(request: web.Request) -> Principal:
    """401 without a known credential, 403 when the matrix (gateway/access.py) does not let its
    role use this route; a route missing from the matrix is refused to everyone."""
    principal = await principal_for(services(request).db, bearer(request.headers.get("Authorization")))
    return _allowed(request, principal)


async def authorise_with_site(request: web.Request) -> tuple[Principal, DeviceRead | None]:
    """authorise, and for a device what was read with it: its site, the revocation seq (one read
    where a gate's sync took three)."""
    principal, read = await device_with_site(services(request).db, bearer(request.headers.get("Authorization")))
    return _allowed(request, principal), read


def _allowed(request: web.Request, principal: Principal) -> Principal:
    resource = request.match_info.route.resource
    action = access.action_for(request.method, resource.canonical if resource else "")
    if action is None or action == access.PUBLIC:
        raise Forbidden("this route has no entry in the access matrix", code="forbidden")
    return require_action(principal, action)


async def reach(request: web.Request, principal: Principal) -> access.Reach:
    return await scoped.reach(services(request).db.read, principal)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def read_json(request: web.Request) -> dict[str, Any]:
    """The body as a JSON object: 400 bad_json if it is not JSON, 422 if it is not an object."""
    raw = await request.read()  # raises 413 above client_max_size
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadJson("the request body is not valid JSON (UTF-8)") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


async def read_optional_json(request: web.Request) -> dict[str, Any]:
    """Like read_json, but an empty body counts as {}."""
    if not request.can_read_body:
        return {}
    return await read_json(request)


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False))


def base_url(request: web.Request) -> str:
    """Where clients reach us: the configured public URL, else the address we listen on.

    Never the request's Host header: anyone can send `Host: evil.example`, and the resident links
    and enrolment QRs made from it would send people and gates elsewhere.
    """
    return services(request).config.base_url
