"""Township webhooks (admins): configure, list, see deliveries (the dead-letter list), send a dead one again."""

from __future__ import annotations

from aiohttp import web

from .. import webhooks
from .common import authorise, json_response, path_int, query_int, query_text, read_json, services


async def list_webhooks(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await webhooks.listing(services(request))
    return json_response({"webhooks": [webhooks.webhook_json(r) for r in rows]})


async def put_webhook(request: web.Request) -> web.Response:
    principal = await authorise(request)
    done = await webhooks.configure(services(request), request.match_info["township"], await read_json(request),
                                    principal)
    return json_response({**webhooks.webhook_json(done.row), "secret": done.secret})


async def list_deliveries(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await webhooks.deliveries(services(request), state=query_text(request, "state"),
                                     after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
                                     limit=query_int(request, "limit", default=100, low=1, high=1000) or 100)
    return json_response({"deliveries": [webhooks.delivery_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


async def retry_delivery(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await webhooks.retry(services(request), path_int(request, "delivery_id"), await read_json(request),
                               principal)
    return json_response(webhooks.delivery_json(row))
