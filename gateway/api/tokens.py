"""Handlers for API tokens (admin only): list without secrets, revoke."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .. import tokens
from ..openapi import INT, page, ref
from ..validate import REASON_BODY, Integer
from .common import authorise, json_response, read_json, services
from .spec import operation, path, query


def token_json(info: tokens.TokenInfo) -> dict[str, Any]:
    return asdict(info)


@operation("API tokens: never the secret", response=page("tokens", ref("Token"), "next_after", INT),
           query={"after": Integer(0, 2**62), "limit": Integer(1, 1000)})
async def list_tokens(request: web.Request) -> web.Response:
    await authorise(request)
    q = query(request)
    rows = await tokens.list_tokens(services(request).db, after_id=q.get("after", 0), limit=q.get("limit", 100))
    return json_response({"tokens": [token_json(r) for r in rows], "next_after": rows[-1].id if rows else None})


@operation("Revoke an API token: 401 with it from the next call (audited)", response=ref("Token"),
           body=REASON_BODY, errors=(409,))
async def revoke_token(request: web.Request) -> web.Response:
    principal = await authorise(request)
    token_id = path(request, "token_id")
    why = REASON_BODY.check(await read_json(request))["reason"]
    info = await tokens.revoke(services(request).db, token_id, why, principal)
    return json_response(token_json(info))
