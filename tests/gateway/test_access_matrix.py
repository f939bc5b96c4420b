"""Every route, API and console, × every role × a person/pass/site in and out of the caller's scope.

The routes come from the running app's router, so a route added without an entry in
gateway/access.py fails the first test; the walk then checks each answer: 403 for a role the
matrix refuses; for data outside the scope 403/404 or an answer that names nothing of it; for data
inside it, no refusal. A viewer's answers never hold an address or a pass's QR text.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import web

from gateway import access, accounts
from qrgate.app import create_app
from gateway.appkeys import db_key
from gateway.auth import create_token
from gateway.config import GatewayConfig
from tests.city import local_today

from .conftest import Chain, Client, bearer, enrol_device, person_body, resident_id

PASSWORD = "correct horse battery"
SCOPE = "community:C-IN"
# what only the out-of-scope data holds (the site code and community are in the request itself)
OUT_MARKERS = ("OUTSIDER", "OUTADDR", "OUT gate")


def all_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, canonical path) of every route of the app and its sub-apps; HEAD counts as GET."""
    found: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            found |= all_routes(resource._app)
            continue
        for route in resource:
            found.add(("GET" if route.method == "HEAD" else route.method, resource.canonical))
    return found


def test_every_route_has_a_matrix_entry(tmp_path: Any) -> None:
    routes = all_routes(create_app(GatewayConfig.for_data_dir(tmp_path)))
    missing = sorted(r for r in routes if access.action_for(*r) is None)
    assert not missing, f"routes without an entry in gateway/access.py ROUTES: {missing}"
    stale = sorted(set(access.ROUTES) - routes)
    assert not stale, f"matrix entries for routes that do not exist: {stale}"
    assert all(action in access.PERMISSIONS or action in (access.PUBLIC, access.DEVICE_ONLY)
               for action in access.ROUTES.values())


class World:
    """Two communities with a site, a person, a pass, a device and a fever alert each."""

    people: dict[str, dict[str, Any]]
    serials: dict[str, str]
    qr: dict[str, str]
    devices: dict[str, str]
    alerts: dict[str, int]


async def build_world(client: Client) -> World:
    db = client.app[db_key]
    admin = bearer(await create_token(db, role="admin", label="setup"))
    world = World()
    world.people, world.serials, world.qr, world.devices, world.alerts = {}, {}, {}, {}, {}
    for side, seed in (("IN", 11), ("OUT", 12)):
        resp = await client.post("/api/v1/sites", headers=admin, json={
            "code": f"{side}-SITE", "name": f"{side} gate", "kind": "community",
            "policy": {"communities": [f"C-{side}"]}})
        assert resp.status == 201, await resp.text()
        body = person_body(seed, name="INSIDER" if side == "IN" else "OUTSIDER", community=f"C-{side}",
                           address=f"{side}ADDR 1 Road", school=f"S-{side}", origin="310101")
        person = await (await client.post("/api/v1/people", headers=admin, json=body)).json()
        # the class teacher's world: class 1A of school S-IN / S-OUT, with this person in it
        resp = await client.post(f"/api/v1/schools/S-{side}/classes", headers=admin,
                                 json={"code": "1A", "name": f"{side} 一年级一班"})
        assert resp.status == 201, await resp.text()
        resp = await client.put(f"/api/v1/people/{person['id']}/class", headers=admin,
                                json={"school_class": "1A"})
        assert resp.status == 200, await resp.text()
        issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
        device = await enrol_device(client, admin, f"{side}-SITE")
        chain = Chain(device["device_id"], f"{side}-SITE")
        entry = chain.entry(serial=issued["serial"], decision="deny", reason="fever", temperature=38.6,
                            scanned_at=f"{local_today().isoformat()}T00:00:05+08:00")
        resp = await client.post("/api/v1/entries", headers=bearer(device["credential"]), json={"entries": [entry]})
        assert resp.status == 200, await resp.text()
        world.people[side], world.serials[side] = person, issued["serial"]
        world.qr[side], world.devices[side] = issued["qr_text"], device["device_id"]
        world.alerts[side] = await db.read.fetch_value("SELECT id FROM alerts WHERE site = :s", {"s": f"{side}-SITE"})
    return world


def concrete(path: str, world: World, side: str) -> str:
    values = {"person_id": str(world.people[side]["id"]), "serial": world.serials[side],
              "code": f"{side}-SITE", "device_id": world.devices[side], "token_id": "1", "action": "clear",
              "token": "x" * 32, "prefix": "31", "kid": "0" * 16, "job_id": "1",
              "alert_id": str(world.alerts[side]), "handover_id": "1",
              "township": "T-1", "delivery_id": "1",
              "event_id": "1", "resumption_id": "1", "guardianship_id": "1", "school": f"S-{side}",
              "class_code": "1A"}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


def body_for(side: str) -> dict[str, Any]:
    """A body good enough that only the scope (or the role) can stop it."""
    return {"reason": "matrix walk", "temperature": 36.6, "name": f"NEW{side}", "document_type": "resident_id",
            "document_number": resident_id({"IN": 801, "OUT": 802}[side]),
            "community": f"C-{side}", "address": "changed", "confirm": "yes", "status": "green"}


async def _console_csrf(client: Client, username: str, role: str, scope: str) -> str:
    await accounts.create_account(client.app[db_key], username, PASSWORD, role,
                                  scope=scope if role != "admin" else "city")
    page = await (await client.get("/console/login")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": token.group(1)})
    assert resp.status == 303, await resp.text()
    people = await (await client.get("/console/people")).text()
    found = re.search(r'name="csrf_token" value="([^"]+)"', people)
    assert found
    return found.group(1)


async def _call(client: Client, method: str, path: str, side: str, *, token: str, csrf: str
                ) -> tuple[int, str]:
    today = local_today().isoformat()
    query = {"site": f"{side}-SITE", "community": f"C-{side}", "date": today}
    if path.startswith("/console/"):
        if method == "GET":
            resp = await client.get(path, params=query, allow_redirects=False)
        else:
            data = {k: str(v) for k, v in body_for(side).items()}
            resp = await client.post(path, data={**data, "csrf_token": csrf}, allow_redirects=False)
    else:
        kwargs: dict[str, Any] = {"headers": bearer(token)}
        if path.endswith("/people/import"):  # a household list of one person on this side
            body = body_for(side)
            kwargs["data"] = (f"姓名,证件号码,社区\n{body['name']},{body['document_number']},{body['community']}\n"
                              ).encode()
            resp = await client.request(method, path, **kwargs)
            return resp.status, await resp.text()
        if method == "GET":
            kwargs["params"] = query
        else:
            body = body_for(side)
            if path.endswith(("/revoke", "/reissue", "/clear", "/quarantine/end", "/rotate", "/disable", "/reset")):
                body = {"reason": "matrix walk"}
            elif path.endswith("/health-checks"):
                body = {"temperature": 36.6}
            elif "/people/" in path and method == "PATCH":
                body = {"address": "changed"}
            elif path.endswith("/people"):
                body = {k: body[k] for k in ("name", "document_type", "document_number", "community")}
            elif path.endswith("/passes") or path.endswith("/enrolments"):
                body = {}
            kwargs["json"] = body
        resp = await client.request(method, path, **kwargs)
    raw = await resp.read()
    return resp.status, raw.decode("utf-8", "replace")


async def _snapshot(client: Client) -> tuple[Any, ...]:
    """What a change to people, passes, health checks or sites would move."""
    queries = ("SELECT COUNT(*), MAX(updated_at), SUM(cleared) FROM people",
               "SELECT COUNT(*), SUM(state = 'live') FROM passes", "SELECT COUNT(*) FROM health_checks",
               "SELECT COUNT(*) FROM status_history", "SELECT COUNT(*), MAX(updated_at) FROM sites",
               "SELECT COUNT(*), COUNT(disabled_at) FROM devices", "SELECT COUNT(*) FROM revocations",
               "SELECT COUNT(*), MAX(updated_at) FROM school_classes", "SELECT COUNT(*) FROM contact_logs")
    found: list[Any] = []
    for sql in queries:
        found.extend(await client.app[db_key].read.fetch_one(sql))
    return tuple(found)


WALKED = sorted(r for r in access.ROUTES.items() if r[1] not in (access.PUBLIC, access.DEVICE_ONLY))
# a logged-in user's own settings (the console's language) concern no one's data
OWN_SETTINGS = {path for (_, path), action in access.ROUTES.items() if action == access.LOGGED_IN}


@pytest.mark.parametrize("role", ["registrar", "viewer", "approver", "teacher", "desk", "admin"])
async def test_every_route_every_role_in_and_out_of_scope(aiohttp_client: Any, tmp_path: Any, role: str) -> None:
    client = await aiohttp_client(create_app(GatewayConfig.for_data_dir(tmp_path / "data")))
    world = await build_world(client)
    # a class teacher reaches their class only (class 1A of school S-IN)
    scope = "city" if role == "admin" else "class:S-IN/1A" if role == "teacher" else SCOPE
    token = await create_token(client.app[db_key], role=role, label="walker", scope=scope)
    csrf = await _console_csrf(client, "walker", role, scope)
    problems: list[str] = []
    sides = ("OUT", "IN") if role != "admin" else ("IN",)  # out of scope first: nothing may change there
    for side in sides:
        for (method, path), action in WALKED:
            if not client.app[db_key]:  # pragma: no cover - keeps mypy calm about the loop
                break
            before = await _snapshot(client) if side == "OUT" and method != "GET" else None
            status, text = await _call(client, method, concrete(path, world, side), side, token=token, csrf=csrf)
            where = f"{role} {side} {method} {path} -> {status}"
            if status >= 500:
                problems.append(f"{where}: server error")
            elif not access.may(role, action):
                if status != 403:
                    problems.append(f"{where}: the matrix refuses {action} to {role}, expected 403")
            elif side == "OUT" and method != "GET" and path not in OWN_SETTINGS:
                # a change outside the scope: refused, or at least nothing changed (an import refused whole)
                if status not in (403, 404) and await _snapshot(client) != before:
                    problems.append(f"{where}: changed out-of-scope data")
            elif side == "OUT":
                if status not in (403, 404) and any(m in text for m in (*OUT_MARKERS, world.serials["OUT"],
                                                                         world.devices["OUT"])):
                    problems.append(f"{where}: leaks out-of-scope data")
            elif status in (401, 403):
                problems.append(f"{where}: refused inside the scope")
            if role == "viewer" and ("INADDR" in text or world.qr["IN"] in text or world.qr["OUT"] in text):
                problems.append(f"{where}: a viewer got an address or a pass's QR text")
    assert not problems, "\n".join(problems)


async def test_a_scoped_registrar_sees_only_her_community(aiohttp_client: Any, tmp_path: Any) -> None:
    client = await aiohttp_client(create_app(GatewayConfig.for_data_dir(tmp_path / "data")))
    world = await build_world(client)
    token = bearer(await create_token(client.app[db_key], role="registrar", label="desk", scope=SCOPE))
    people = await (await client.get("/api/v1/people", headers=token)).json()
    assert [p["name"] for p in people["people"]] == ["INSIDER"]
    sites = await (await client.get("/api/v1/sites", headers=token)).json()
    assert [s["code"] for s in sites["sites"]] == ["IN-SITE"]
    entries = await (await client.get("/api/v1/entries", headers=token)).json()
    assert {e["site"] for e in entries["entries"]} == {"IN-SITE"}
    alerts = await (await client.get("/api/v1/alerts", headers=token)).json()
    assert {a["site"] for a in alerts["alerts"]} == {"IN-SITE"}
    # her own gate's report: allowed; another's and the whole city's: not
    today = local_today().isoformat()
    assert (await client.get(f"/api/v1/reports/daily?date={today}&site=IN-SITE", headers=token)).status == 200
    assert (await client.get(f"/api/v1/reports/daily?date={today}&site=OUT-SITE", headers=token)).status == 403
    assert (await client.get(f"/api/v1/reports/daily?date={today}", headers=token)).status == 422
    # she registers people in her community only, and cannot move one out of it
    resp = await client.post("/api/v1/people", headers=token, json=person_body(40, community="C-OUT"))
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "out_of_scope"
    resp = await client.patch(f"/api/v1/people/{world.people['IN']['id']}", headers=token,
                              json={"community": "C-OUT"})
    assert resp.status == 403
    assert (await client.get(f"/api/v1/people/{world.people['OUT']['id']}", headers=token)).status == 404


async def test_a_site_operator_reaches_the_site_and_the_people_it_admits(aiohttp_client: Any,
                                                                        tmp_path: Any) -> None:
    client = await aiohttp_client(create_app(GatewayConfig.for_data_dir(tmp_path / "data")))
    await build_world(client)
    token = bearer(await create_token(client.app[db_key], role="viewer", label="guard", scope="site:OUT-SITE"))
    people = await (await client.get("/api/v1/people", headers=token)).json()
    assert [p["name"] for p in people["people"]] == ["OUTSIDER"]
    assert all(p["address"] is None for p in people["people"])  # a viewer: no address
    entries = await (await client.get("/api/v1/entries", headers=token)).json()
    assert {e["site"] for e in entries["entries"]} == {"OUT-SITE"}


async def test_a_registrar_cannot_reissue_a_pass_an_admin_revoked(aiohttp_client: Any, tmp_path: Any) -> None:
    client = await aiohttp_client(create_app(GatewayConfig.for_data_dir(tmp_path / "data")))
    world = await build_world(client)
    db = client.app[db_key]
    admin = bearer(await create_token(db, role="admin", label="boss"))
    registrar = bearer(await create_token(db, role="registrar", label="desk", scope=SCOPE))
    serial = world.serials["IN"]
    assert (await client.post(f"/api/v1/passes/{serial}/revoke", headers=admin,
                              json={"reason": "fraud"})).status == 200
    resp = await client.post(f"/api/v1/passes/{serial}/reissue", headers=registrar, json={"reason": "please"})
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "revoked"
    # the console answers the same, from the same matrix and domain rule
    csrf = await _console_csrf(client, "desk", "registrar", SCOPE)
    person = world.people["IN"]["id"]
    resp = await client.post(f"/console/people/{person}/passes/{serial}/reissue",
                             data={"csrf_token": csrf, "reason": "please"}, allow_redirects=False)
    assert resp.status == 403
    assert (await client.post(f"/api/v1/passes/{serial}/reissue", headers=admin,
                              json={"reason": "cleared up"})).status == 201
