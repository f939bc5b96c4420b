"""Township webhooks (admins): configure, list, see deliveries (the dead-letter list), send a dead one again."""

from __future__ import annotations

from aiohttp import web

from .. import webhooks
from ..openapi import INT, SCHEMAS, array, nullable, obj, page, ref, string
from ..validate import REASON_BODY, Choice, Integer
from .common import authorise, json_response, read_json, services
from .spec import operation, path, query


@operation("Township webhooks (never the secret)", response=obj({"webhooks": array(ref("Webhook"))}))
async def list_webhooks(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await webhooks.listing(services(request))
    return json_response({"webhooks": [webhooks.webhook_json(r) for r in rows]})


@operation("Set a township's webhook; a new secret is answered once (audited)",
           response=obj({**SCHEMAS["Webhook"]["properties"], "secret": nullable(string())}),
           body=webhooks.CONFIGURE, rules=webhooks.CONFIGURE_RULES)
async def put_webhook(request: web.Request) -> web.Response:
    principal = await authorise(request)
    done = await webhooks.configure(services(request), path(request, "township"), await read_json(request),
                                    principal)
    return json_response({**webhooks.webhook_json(done.row), "secret": done.secret})


@operation("Webhook deliveries (state=dead: the dead-letter list)",
           response=page("deliveries", ref("WebhookDelivery"), "next_after", INT),
           query={"state": Choice(webhooks.STATES), "after": Integer(0, 2**62), "limit": Integer(1, 1000)})
async def list_deliveries(request: web.Request) -> web.Response:
    await authorise(request)
    q = query(request)
    rows = await webhooks.deliveries(services(request), state=q.get("state"), after_id=q.get("after", 0),
                                     limit=q.get("limit", 100))
    return json_response({"deliveries": [webhooks.delivery_json(r) for r in rows],
                          "next_after": rows[-1].id if rows else None})


@operation("Send a dead delivery again (audited)", response=ref("WebhookDelivery"), body=REASON_BODY,
           errors=(409,))
async def retry_delivery(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await webhooks.retry(services(request), path(request, "delivery_id"), await read_json(request),
                               principal)
    return json_response(webhooks.delivery_json(row))
