"""Handlers for API tokens (admin only): list without secrets, revoke."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .. import tokens
from ..validate import reason, reject_unknown
from .common import authorise, json_response, path_int, query_int, read_json, services


def token_json(info: tokens.TokenInfo) -> dict[str, Any]:
    return asdict(info)


async def list_tokens(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await tokens.list_tokens(
        services(request).db, after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
        limit=query_int(request, "limit", default=100, low=1, high=1000) or 100)
    return json_response({"tokens": [token_json(r) for r in rows], "next_after": rows[-1].id if rows else None})


async def revoke_token(request: web.Request) -> web.Response:
    principal = await authorise(request)
    token_id = path_int(request, "token_id")
    body = await read_json(request)
    reject_unknown(body, ("reason",))
    info = await tokens.revoke(services(request).db, token_id, reason(body.get("reason")), principal)
    return json_response(token_json(info))
