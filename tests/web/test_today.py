"""Today (工作台) over HTTP: login lands on it; each list holds only the worker's scope and links to
its action; marking an alert handled is audited and takes it off; viewers get no health or reprint lists."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from aiohttp.test_utils import TestClient
from web_helpers import PASSWORD, csrf_of, svc_of

from gateway import accounts, auth, idcard, keyops, reissue
from gateway.auth import CLI
from tests.city import local_today
from gateway.store import audit
from keys.chain import GENESIS
from keys.entry import Entry


async def _device(client: TestClient, admin: dict[str, str], site: str) -> dict[str, Any]:
    token = (await (await client.post(f"/api/v1/sites/{site}/enrolments", headers=admin, json={})).json())["token"]
    return await (await client.post("/api/v1/devices/enroll", json={"token": token, "name": f"{site} gate"})).json()


async def _fever(client: TestClient, device: dict[str, Any], site: str, serial: str) -> None:
    entry = Entry.chained(id=str(uuid.uuid4()), seq=1, prev_hash=GENESIS, device_id=device["device_id"], site=site,
                          scanned_at=f"{local_today().isoformat()}T00:00:05+08:00", serial=serial, text_hash=None,
                          decision="deny", reason="fever", temperature=38.4, clock_offset=0.2).to_json()
    resp = await client.post("/api/v1/entries", json={"entries": [entry]},
                             headers={"Authorization": "Bearer " + device["credential"]})
    assert resp.status == 200, await resp.text()


async def world(client: TestClient) -> dict[str, Any]:
    """HEYUAN (in the registrar's scope) and OTHER (not): a person ending tomorrow (due a check),
    one ending today, a fever at each community's gate, a gate that cannot update on each side."""
    db = svc_of(client).db
    admin = {"Authorization": "Bearer " + await auth.create_token(db, role="admin", label="t")}
    today = local_today()
    people: dict[str, dict[str, Any]] = {}
    for code, community in (("HY-1", "HEYUAN"), ("OT-1", "OTHER")):
        await client.post("/api/v1/sites", headers=admin, json={
            "code": code, "name": f"{community} 北门", "kind": "community", "policy": {"communities": [community]}})
    for key, name, community, days, seed in (("due", "王建国", "HEYUAN", 13, "0101123"),
                                             ("ends", "李秀英", "HEYUAN", 14, "0202123"),
                                             ("other", "赵外人", "OTHER", 13, "0303123")):
        resp = await client.post("/api/v1/people", headers=admin, json={
            "name": name, "document_type": "resident_id", "document_number": idcard.make(f"4201021990{seed}"),
            "community": community, "origin": "420100", "arrived_on": (today - timedelta(days=days)).isoformat(),
            "status": "green"})
        assert resp.status == 201, await resp.text()
        people[key] = await resp.json()
        people[key]["serial"] = (await (await client.post(f"/api/v1/people/{people[key]['id']}/passes",
                                                          headers=admin)).json())["serial"]
    devices = {}
    for code, key in (("HY-1", "due"), ("OT-1", "other")):
        devices[code] = await _device(client, admin, code)
        await _fever(client, devices[code], code, people[key]["serial"])
        resp = await client.post("/api/v1/devices/status", json={"problem": "root not trusted"},
                                 headers={"Authorization": "Bearer " + devices[code]["credential"]})
        assert resp.status == 200, await resp.text()
    return {"people": people, "devices": devices, "admin": admin}


async def _login(client: TestClient, username: str, role: str, scope: str = "city") -> tuple[str, str]:
    """(where the login lands, the session's CSRF token)."""
    await accounts.create_account(svc_of(client).db, username, PASSWORD, role, scope=scope)
    token = csrf_of(await (await client.get("/console/login")).text())
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token})
    assert resp.status == 303
    landing = resp.headers["Location"]
    return landing, csrf_of(await (await client.get(landing)).text())


def _section(page: str, section: str) -> str:
    found = re.search(rf'<section class="today-list" id="{section}">(.*?)</section>', page, re.S)
    assert found, section
    return found.group(1)


async def test_a_scoped_registrar_lands_on_today_and_sees_only_her_community(client: TestClient) -> None:
    w = await world(client)
    due, ends, other = (w["people"][k] for k in ("due", "ends", "other"))
    landing, csrf = await _login(client, "liu", "registrar", "community:HEYUAN")
    assert landing == "/console/today"
    page = await (await client.get("/console/today")).text()
    assert "赵外人" not in page and "OT-1" not in page and w["devices"]["OT-1"]["device_id"] not in page
    checks = _section(page, "today-checks")
    assert "王建国" in checks and f'href="/console/people/{due["id"]}#health-form"' in checks
    assert "李秀英" not in checks  # her quarantine ends today: free today, no check due
    ending = _section(page, "today-ending")
    today_rows, tomorrow_rows = ending.split("today-ending-2")
    assert "李秀英" in today_rows and "王建国" in tomorrow_rows and f'href="/console/people/{ends["id"]}"' in today_rows
    alerts = _section(page, "today-alerts")
    assert "发热" in alerts and "HY-1" in alerts and f'href="/console/people/{due["id"]}"' in alerts
    gates = _section(page, "today-gates")
    assert "无法更新" in gates and "root not trusted" in gates and 'href="/console/sites/HY-1"' in gates
    assert "today-reprints" in page and "无" in _section(page, "today-reprints")

    # the fever is dealt with: marked handled (audited), it leaves Today
    alert_id = re.search(r'data-alert="(\d+)"', alerts).group(1)  # type: ignore[union-attr]
    resp = await client.post(f"/console/alerts/{alert_id}/handled", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/today?done=handled"
    after = await (await client.get("/console/today?done=handled")).text()
    assert "已标记为已处理" in after and f'data-alert="{alert_id}"' not in after
    rows = await audit.search(svc_of(client).db.read, actor=None, action="alert.handle", target=None,
                              after_id=0, limit=10)
    assert [(r.actor, r.target) for r in rows] == [("account:liu", f"alert:{alert_id}")]
    # the other community's alert is not hers to handle: the same answer as a missing one
    other_alert = await svc_of(client).db.read.fetch_value(
        "SELECT id FROM alerts WHERE site = 'OT-1'")
    resp = await client.post(f"/console/alerts/{other_alert}/handled", data={"csrf_token": csrf},
                             allow_redirects=False)
    assert resp.status == 404
    assert other["name"] not in await resp.text()


async def test_the_reprint_list_on_today_is_cut_to_the_scope(client: TestClient) -> None:
    w = await world(client)
    svc = svc_of(client)
    serials = [w["people"][k]["serial"] for k in ("due", "other")]
    await reissue.cards_printed(svc.db, serials, CLI)
    done = await keyops.withdraw(svc, svc.keystore.signing_key().kid.hex(), "leaked", CLI)
    await reissue.run(svc, done.job.id)
    await _login(client, "liu", "registrar", "community:HEYUAN")
    reprints = _section(await (await client.get("/console/today")).text(), "today-reprints")
    assert "王建国" in reprints and "赵外人" not in reprints and 'href="/console/reprints"' in reprints
    listing = await (await client.get("/console/reprints")).text()
    assert "王建国" in listing and "赵外人" not in listing


async def test_a_viewer_sees_no_health_checks_reprints_or_handle_buttons(client: TestClient) -> None:
    await world(client)
    landing, _ = await _login(client, "guard", "viewer", "community:HEYUAN")
    page = await (await client.get(landing)).text()
    assert "today-checks" not in page and "today-reprints" not in page and "/handled" not in page
    assert "today-alerts" in page and "王建国" in page  # the viewer's own lists still show
    assert (await client.get("/console/reprints")).status == 403


async def test_an_admin_sees_the_whole_city_and_the_console_root_is_today(client: TestClient) -> None:
    await world(client)
    landing, _ = await _login(client, "boss", "admin")
    page = await (await client.get(landing)).text()
    assert "王建国" in page and "赵外人" in page and "OT-1" in page
    resp = await client.get("/console/", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/today"


def _alert_row(page: str, alert_id: str) -> str:
    found = re.search(rf'<tr data-alert="{alert_id}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, alert_id
    return found.group(0)


async def test_the_alerts_page_shows_and_takes_the_handled_state(client: TestClient) -> None:
    await world(client)
    _, csrf = await _login(client, "liu", "registrar", "community:HEYUAN")
    page = await (await client.get("/console/alerts?state=open")).text()
    alert_id = re.search(r'<tr data-alert="(\d+)" class="open"', page).group(1)  # type: ignore[union-attr]
    assert "OT-1" not in page  # another community's gate: not on her list
    assert f'action="/console/alerts/{alert_id}/handled"' in _alert_row(page, alert_id)
    resp = await client.post(f"/console/alerts/{alert_id}/handled", data={"csrf_token": csrf, "back": "alerts"},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/alerts?done=handled"
    row = _alert_row(await (await client.get("/console/alerts")).text(), alert_id)
    assert 'class="handled"' in row and "已处理" in row and "account:liu" in row and "/handled" not in row
    assert re.search(r"已处理 \d{4}-\d\d-\d\d \d\d:\d\d", row)  # when, in local human time
    assert f'data-alert="{alert_id}"' not in await (await client.get("/console/alerts?state=open")).text()
    assert f'data-alert="{alert_id}"' in await (await client.get("/console/alerts?state=handled")).text()
    assert f'data-alert="{alert_id}"' not in await (await client.get("/console/today")).text()
    assert (await client.post(f"/console/alerts/{alert_id}/handled", data={"csrf_token": csrf},
                              allow_redirects=False)).status == 404  # handled once
    rows = await audit.search(svc_of(client).db.read, actor=None, action="alert.handle", target=None,
                              after_id=0, limit=10)
    assert [(r.actor, r.target) for r in rows] == [("account:liu", f"alert:{alert_id}")]
    # a viewer reads the state but has no button
    await client.post("/console/logout", data={"csrf_token": csrf}, allow_redirects=False)
    await _login(client, "guard", "viewer", "community:HEYUAN")
    page = await (await client.get("/console/alerts?state=bogus")).text()  # an unknown state: all of them
    assert "已处理" in _alert_row(page, alert_id) and "/handled" not in page
