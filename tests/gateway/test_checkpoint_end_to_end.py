"""The checkpoint proof, end to end: a car from Hubei with two people (one with a pass, one with only an
ID card) and a driver from elsewhere with a fever. Decisions, the hand-over in the destination
community's inbox (not in another's), the referral, the webhook received by a real local HTTP server,
the major-event report on the dashboard, and the daily report counting all of it."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web

from gateway import accounts, webhooks
from gateway.appkeys import db_key, services_key
from gateway.auth import create_token
from gateway.clock import iso, now
from gateway.config import GatewayConfig
from tests.city import local_today
from qrgate.app import create_app

from .checkpoint_helpers import HUBEI_ID, R, ZHEJIANG_ID, checkpoint_world, person, record, upload
from .conftest import Client, bearer, make_site, person_body

PASSWORD = "correct horse battery"


async def _console(client: Client, username: str, role: str, scope: str) -> str:
    """Log in (a fresh session); the CSRF token of the dashboard."""
    client.session.cookie_jar.clear()
    await accounts.create_account(client.app[db_key], username, PASSWORD, role, scope=scope)
    token = re.search(r'name="csrf_token" value="([^"]+)"', await (await client.get("/console/login")).text())
    assert token
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status == 303
    page = await (await client.get("/console/dashboard")).text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


async def test_a_hubei_car_at_the_checkpoint_end_to_end(aiohttp_client: Any, aiohttp_server: Any,
                                                      config: GatewayConfig) -> None:
    got: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: web.Request) -> web.Response:
        got.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    receiver = web.Application()
    receiver.router.add_post("/township/qrgate", hook)
    township = await aiohttp_server(receiver)
    client = await aiohttp_client(create_app(replace(config, webhook_interval_seconds=3600)))
    admin = bearer(await create_token(client.app[db_key], role="admin", label="command centre"))
    registrar = bearer(await create_token(client.app[db_key], role="registrar", label="desk"))
    device = await checkpoint_world(client, admin)
    await make_site(client, admin, "DEST-GATE", communities=["C-DEST"])
    await make_site(client, admin, "OTHER-GATE", communities=["C-OTHER"])
    secret = (await (await client.put(f"{R}/webhooks/T-BC", headers=admin, json={
        "url": str(township.make_url("/township/qrgate")), "reason": "Bacheng township system"})).json())["secret"]
    holder = await (await client.post(f"{R}/people", headers=registrar, json=person_body(7))).json()
    serial = (await (await client.post(f"{R}/people/{holder['id']}/passes", headers=registrar)).json())["serial"]

    # the checkpoint's decisions: the fever is denied, the two passengers go on (to be handed over)
    car = record([person(38.7, role="driver", document_type="resident_id", document_number=ZHEJIANG_ID,
                         name="王驾驶", decision="deny", reason="fever"),
                  person(36.4, serial=serial),
                  person(36.6, document_type="resident_id", document_number=HUBEI_ID, name="李乘客")],
                 recorded_at=iso(now()), clock_offset=0.0)
    answer = await (await upload(client, device, car)).json()
    assert (answer["accepted"], len(answer["handovers"]), len(answer["referrals"])) == (1, 3, 1)
    stored = await client.app[db_key].read.fetch_all(
        "SELECT position, decision, reason, temperature, fever FROM checkpoint_people ORDER BY position")
    assert [tuple(r) for r in stored] == [(1, "deny", "fever", 38.7, 1), (2, "allow", "ok", 36.4, 0),
                                          (3, "allow", "ok", 36.6, 0)]

    # the hand-overs are in the destination community's inbox, and not in another community's
    dest = bearer(await create_token(client.app[db_key], role="registrar", label="dest", scope="community:C-DEST"))
    other = bearer(await create_token(client.app[db_key], role="registrar", label="other", scope="community:C-OTHER"))
    inbox = (await (await client.get(f"{R}/handovers?open=1", headers=dest)).json())["handovers"]
    assert sorted((h["kind"], h["name"]) for h in inbox) == [
        ("handover", "张7"), ("handover", "李乘客"), ("handover", "王驾驶"), ("referral", "王驾驶")]
    assert (await (await client.get(f"{R}/handovers", headers=other)).json())["handovers"] == []
    referral = next(h for h in inbox if h["kind"] == "referral")
    assert (referral["transport"], referral["temperature"]) == ("own_car", 38.7)
    by_pass = next(h for h in inbox if h["name"] == "张7")
    assert by_pass["person_id"] == holder["id"]

    # the township's own system receives each, signed
    async with aiohttp.ClientSession() as session:
        assert await webhooks.deliver_due(client.app[services_key], session) == 4
    assert len(got) == 4
    for headers, body in got:
        assert webhooks.verify(secret, headers["X-Qrgate-Timestamp"], body, headers["X-Qrgate-Signature"])
    assert {json.loads(b)["handover"]["id"] for _, b in got} == {h["id"] for h in inbox}

    # the major-event reports: on the destination's dashboard and the admins', not on another community's
    await _console(client, "dest-worker", "registrar", "community:C-DEST")
    page = await (await client.get("/console/dashboard?lang=en")).text()
    assert page.count("data-major-event=") == 3 and "Key-area person found at a checkpoint" in page
    csrf = await _console(client, "other-worker", "registrar", "community:C-OTHER")
    assert "data-major-event=" not in await (await client.get("/console/dashboard")).text()
    csrf = await _console(client, "chief", "admin", "city")
    page = await (await client.get("/console/dashboard")).text()
    assert page.count("data-major-event=") == 3 and "卡口发现重点地区人员" in page
    first = re.findall(r'data-major-event="(\d+)"', page)[0]
    resp = await client.post(f"/console/major-events/{first}/acknowledge", allow_redirects=False,
                             data={"csrf_token": csrf})
    assert resp.status == 303
    assert (await (await client.get("/console/dashboard")).text()).count("data-major-event=") == 2
    audit = (await (await client.get(f"{R}/audit?action=major_event.acknowledge", headers=admin)).json())["audit"]
    assert [a["actor"] for a in audit] == ["account:chief"]

    # the daily report counts all of it
    report = await (await client.get(f"{R}/reports/daily?date={local_today().isoformat()}", headers=admin)).json()
    city = report["city"]
    assert city["checkpoint"] == {"vehicles": 1, "people": 3, "denied": 1, "no_document": 0, "fevers": 1,
                                  "key_area_people": 3, "handovers": 3, "referrals": 1}
    assert [e["rule"] for e in city["major_events"]] == ["checkpoint_key_area"] * 3
    assert sum(1 for e in city["major_events"] if e["acknowledged_at"]) == 1
    assert city["zero_report"] is False and "3 key-area hand-over(s), 1 referral(s)" in city["summary"]["en"]
    checkpoint_site = next(s for s in report["sites"] if s["site"] == "CP-G312")
    assert checkpoint_site["checkpoint"]["people"] == 3 and not checkpoint_site["zero_report"]
    assert len(checkpoint_site["major_events"]) == 3
    assert "checkpoint" not in next(s for s in report["sites"] if s["site"] == "OTHER-GATE")
