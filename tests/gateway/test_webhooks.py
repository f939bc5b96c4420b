"""Township webhooks: hand-overs and referrals reach a real HTTP server, signed; failures retried with
backoff until dead, listed, and sent again; the upload never waits for them."""

from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web

from gateway import accounts, webhooks
from gateway.appkeys import db_key, services_key
from gateway.auth import create_token
from gateway.config import GatewayConfig
from qrgate.app import create_app

from .checkpoint_helpers import HUBEI_ID, R, checkpoint_world, person, record, upload
from .conftest import Client, bearer


class Receiver:
    """The township's system: records what arrives; answers `fail_with` while it is set."""

    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        self.fail_with: int | None = None

    async def hook(self, request: web.Request) -> web.Response:
        self.got.append((dict(request.headers), await request.read()))
        return web.Response(status=self.fail_with or 204)


async def _world(aiohttp_client: Any, aiohttp_server: Any, config: GatewayConfig) -> tuple[Client, Receiver, Any,
                                                                                              dict[str, str]]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.hook)
    server = await aiohttp_server(app)  # a real server on a local port
    # the background job would race the test's own rounds: it runs once at start (nothing queued), then sleeps
    client = await aiohttp_client(create_app(replace(config, webhook_interval_seconds=3600)))
    admin = bearer(await create_token(client.app[db_key], role="admin", label="boss"))
    return client, receiver, server, admin


async def test_hand_overs_reach_the_township_signed(aiohttp_client: Any, aiohttp_server: Any,
                                                   config: GatewayConfig) -> None:
    client, receiver, server, admin = await _world(aiohttp_client, aiohttp_server, config)
    device = await checkpoint_world(client, admin)
    resp = await client.put(f"{R}/webhooks/T-BC", headers=admin, json={"url": str(server.make_url("/hook")),
                                                                        "reason": "township system"})
    assert resp.status == 200, await resp.text()
    secret = (await resp.json())["secret"]
    assert secret and len(secret) >= 32
    listed = await (await client.get(f"{R}/webhooks", headers=admin)).json()
    assert secret not in json.dumps(listed) and listed["webhooks"][0]["township"] == "T-BC"

    answer = await (await upload(client, device, record([
        person(38.9, document_type="resident_id", document_number=HUBEI_ID, name="李乘客",
               decision="deny", reason="fever")]))).json()
    assert receiver.got == []  # queued, not sent inline
    async with aiohttp.ClientSession() as session:
        assert await webhooks.deliver_due(client.app[services_key], session) == 2
    assert len(receiver.got) == 2
    events = set()
    for headers, body in receiver.got:
        assert webhooks.verify(secret, headers["X-Qrgate-Timestamp"], body, headers["X-Qrgate-Signature"])
        assert not webhooks.verify("another secret of the right size", headers["X-Qrgate-Timestamp"], body,
                                   headers["X-Qrgate-Signature"])
        assert abs(int(headers["X-Qrgate-Timestamp"]) - time.time()) < 3600
        sent = json.loads(body)
        assert sent["event"] == headers["X-Qrgate-Event"]
        events.add((sent["event"], sent["handover"]["id"]))
        assert sent["handover"]["community"] == "C-DEST" and HUBEI_ID not in body.decode()
    assert events == {("handover.opened", answer["handovers"][0]), ("referral.opened", answer["referrals"][0])}
    rows = (await (await client.get(f"{R}/webhook-deliveries", headers=admin)).json())["deliveries"]
    assert {r["state"] for r in rows} == {"delivered"}
    async with aiohttp.ClientSession() as session:  # nothing twice
        assert await webhooks.deliver_due(client.app[services_key], session) == 0
    assert len(receiver.got) == 2


async def test_a_failing_township_is_retried_with_backoff_then_dead_then_sent_again(
        aiohttp_client: Any, aiohttp_server: Any, config: GatewayConfig) -> None:
    client, receiver, server, admin = await _world(aiohttp_client, aiohttp_server, config)
    device = await checkpoint_world(client, admin)
    await client.put(f"{R}/webhooks/T-BC", headers=admin, json={"url": str(server.make_url("/hook")),
                                                                 "secret": "s" * 32, "reason": "township system"})
    receiver.fail_with = 503
    resp = await upload(client, device, record([person(document_type="resident_id", document_number=HUBEI_ID)]))
    assert resp.status == 200  # the township being down never stops the checkpoint
    svc = client.app[services_key]
    at = time.time()
    async with aiohttp.ClientSession() as session:
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            assert await webhooks.deliver_due(svc, session, at=at) == 0
            assert len(receiver.got) == attempt
            # not again before its backoff has passed
            assert await webhooks.deliver_due(svc, session, at=at + webhooks.backoff(attempt) - 1) == 0
            assert len(receiver.got) == attempt
            at += webhooks.backoff(attempt)
    dead = (await (await client.get(f"{R}/webhook-deliveries?state=dead", headers=admin)).json())["deliveries"]
    assert len(dead) == 1 and dead[0]["attempts"] == webhooks.MAX_ATTEMPTS and dead[0]["last_error"] == "HTTP 503"
    assert [webhooks.backoff(n) for n in (1, 2, 3, 9, 20)] == [15, 30, 60, 3600, 3600]

    # the console's dead-letter list, and an admin sends it again
    await accounts.create_account(client.app[db_key], "boss", "correct horse battery", "admin", scope="city")
    page = await (await client.get("/console/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    await client.post("/console/login", data={"username": "boss", "password": "correct horse battery",
                                              "csrf_token": token.group(1)})
    page = await (await client.get("/console/webhooks?lang=en")).text()
    assert f'data-delivery="{dead[0]["id"]}"' in page and "HTTP 503" in page and "s" * 32 not in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    resp = await client.post(f"/console/webhook-deliveries/{dead[0]['id']}/retry", allow_redirects=False,
                             data={"csrf_token": csrf.group(1)})
    assert resp.status == 303, await resp.text()
    receiver.fail_with = None
    async with aiohttp.ClientSession() as session:
        assert await webhooks.deliver_due(svc, session) == 1
    audit = (await (await client.get(f"{R}/audit?action=webhook.retry", headers=admin)).json())["audit"]
    assert len(audit) == 1 and audit[0]["actor"] == "account:boss"
    resp = await client.post(f"{R}/webhook-deliveries/{dead[0]['id']}/retry", headers=admin, json={"reason": "again"})
    assert resp.status == 409  # delivered: nothing to send again


async def test_an_unreachable_township_and_bad_settings(aiohttp_client: Any, aiohttp_server: Any,
                                                      config: GatewayConfig) -> None:
    client, _receiver, server, admin = await _world(aiohttp_client, aiohttp_server, config)
    device = await checkpoint_world(client, admin)
    for body, field in (({"url": "ftp://x.example/", "reason": "r"}, "url"),
                        ({"url": "http://user:pw@x.example/", "reason": "r"}, "url"),
                        ({"url": "http://x.example/", "secret": "short", "reason": "r"}, "secret"),
                        ({"url": "http://x.example/"}, "reason")):
        resp = await client.put(f"{R}/webhooks/T-BC", headers=admin, json=body)
        assert resp.status == 422 and (await resp.json())["error"]["field"] == field
    # a port nobody listens on: refused at once, tried again later
    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    await client.put(f"{R}/webhooks/T-BC", headers=admin, json={"url": f"http://127.0.0.1:{port}/hook", "reason": "r"})
    await upload(client, device, record([person(document_type="resident_id", document_number=HUBEI_ID)]))
    async with aiohttp.ClientSession() as session:
        assert await webhooks.deliver_due(client.app[services_key], session) == 0
    rows = (await (await client.get(f"{R}/webhook-deliveries", headers=admin)).json())["deliveries"]
    assert rows[0]["state"] == "pending" and rows[0]["attempts"] == 1 and "Connect" in rows[0]["last_error"]
    registrar = bearer(await create_token(client.app[db_key], role="registrar", label="r", scope="community:C-DEST"))
    assert (await client.get(f"{R}/webhooks", headers=registrar)).status == 403
