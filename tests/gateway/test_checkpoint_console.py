"""The console inbox: a community sees its hand-overs (overdue ones marked) and works them; another does not."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from gateway import accounts
from gateway.appkeys import db_key
from gateway.config import GatewayConfig
from qrgate.app import create_app

from .checkpoint_helpers import HUBEI_ID, checkpoint_world, person, record, upload
from .conftest import Client, bearer
from gateway.auth import create_token

PASSWORD = "correct horse battery"


async def _login(client: Client, username: str, scope: str) -> str:
    await accounts.create_account(client.app[db_key], username, PASSWORD, "registrar", scope=scope)
    page = await (await client.get("/console/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status == 303, await resp.text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', await (await client.get("/console/handovers")).text())
    assert found
    return found.group(1)


async def test_the_inbox_shows_its_community_only_marks_overdue_and_works_a_step(
        aiohttp_client: Any, config: GatewayConfig) -> None:
    client = await aiohttp_client(create_app(replace(config, handover_ack_minutes=0)))
    admin = bearer(await create_token(client.app[db_key], role="admin", label="boss"))
    device = await checkpoint_world(client, admin)
    answer = await (await upload(client, device, record([
        person(document_type="resident_id", document_number=HUBEI_ID, name="李乘客")]))).json()
    handover = answer["handovers"][0]

    csrf = await _login(client, "dest", "community:C-DEST")
    page = await (await client.get("/console/handovers?lang=en")).text()
    assert f'data-handover="{handover}"' in page and "李乘客" in page
    assert 'class="overdue"' in page and "Overdue: not acknowledged" in page
    assert HUBEI_ID not in page  # masked
    zh = await (await client.get(f"/console/handovers/{handover}")).text()
    assert "超时未签收" in zh and "重点地区车牌" in zh and "签收" in zh
    resp = await client.post(f"/console/handovers/{handover}/steps", allow_redirects=False,
                             data={"step": "acknowledge", "csrf_token": csrf})
    assert resp.status == 303, await resp.text()
    resp = await client.post(f"/console/handovers/{handover}/steps", data={"step": "transfer", "csrf_token": csrf})
    assert resp.status == 422 and "请填写地点" in await resp.text()  # inline, on the page, in its words
    page = await (await client.get(f"/console/handovers/{handover}?lang=en")).text()
    assert "Acknowledged" in page and "2020-02-14 08:00" in page
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d", page)  # local, human times; no ISO on a page

    await client.post("/console/logout", data={"csrf_token": csrf})
    await _login(client, "other", "community:C-OTHER")
    assert f'data-handover="{handover}"' not in await (await client.get("/console/handovers")).text()
    assert (await client.get(f"/console/handovers/{handover}")).status == 404
