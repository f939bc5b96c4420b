"""The console through HTTP: login, CSRF, roles, inline field errors, pass actions, audit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp.test_utils import TestClient

from gateway.store import audit as audit_store

from web_helpers import BAD_ID, GOOD_ID, PASSWORD, csrf_of, login, svc_of


async def _register(client: TestClient, csrf: str, **fields: str) -> tuple[int, str]:
    data = {"csrf_token": csrf, "name": "李雷", "document_type": "resident_id", "document_number": GOOD_ID,
            "status": "green", **fields}
    resp = await client.post("/console/people/new", data=data, allow_redirects=False)
    return resp.status, resp.headers.get("Location", "") or await resp.text()


async def test_console_needs_login(client: TestClient) -> None:
    resp = await client.get("/console/people", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/login")


async def test_session_cookie_is_locked_down(client: TestClient) -> None:
    from gateway import accounts
    await accounts.create_account(svc_of(client).db, "ann", PASSWORD, "admin")
    page = await client.get("/console/login")
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": "ann", "password": PASSWORD, "csrf_token": csrf_of(await page.text())})
    header = next(h for h in resp.headers.getall("Set-Cookie") if h.startswith("qg_session="))
    attrs = {a.strip().split("=")[0].lower(): a for a in header.split(";")}
    assert "httponly" in attrs and attrs["samesite"].strip() == "SameSite=Strict"
    assert attrs["path"].strip() == "Path=/console"
    assert "secure" not in attrs  # plain http on a test port; Secure is set when served over https


async def test_post_without_csrf_token_is_refused(client: TestClient, admin: str) -> None:
    for data in ({}, {"csrf_token": ""}, {"csrf_token": admin[:-1] + "x"}):
        resp = await client.post("/console/people/new", data={"name": "x", **data}, allow_redirects=False)
        assert resp.status == 403
        assert "表单已失效" in await resp.text()
    assert await svc_of(client).db.read.fetch_value("SELECT COUNT(*) FROM people") == 0  # none stored


async def test_login_form_needs_its_csrf_token(client: TestClient) -> None:
    from gateway import accounts
    await accounts.create_account(svc_of(client).db, "ann", PASSWORD, "admin")
    resp = await client.post("/console/login", data={"username": "ann", "password": PASSWORD},
                             allow_redirects=False)
    assert resp.status == 403


async def test_cross_origin_post_is_refused_even_with_token(client: TestClient, admin: str) -> None:
    resp = await client.post("/console/people/new", data={"csrf_token": admin, "name": "x"},
                             headers={"Origin": "https://evil.example"}, allow_redirects=False)
    assert resp.status == 403


async def test_wrong_password_is_refused_then_throttled(client: TestClient) -> None:
    from gateway import accounts
    await accounts.create_account(svc_of(client).db, "bob", PASSWORD, "viewer")
    statuses = []
    for _ in range(7):
        page = await client.get("/console/login")
        resp = await client.post("/console/login", data={"username": "bob", "password": "wrong password!",
                                                         "csrf_token": csrf_of(await page.text())})
        statuses.append(resp.status)
    assert statuses[0] == 401 and statuses[-1] == 429


async def test_bad_id_number_shows_at_its_field(client: TestClient, admin: str) -> None:
    status, html = await _register(client, admin, document_number=BAD_ID)
    assert status == 422
    field = re.search(r'<div class="field has-error" id="field-document_number">.*?</div>', html, re.S)
    assert field and "GB 11643" in field.group(0)
    assert 'value="李雷"' in html  # what was typed is kept


async def test_register_issue_revoke_reissue(client: TestClient, admin: str) -> None:
    status, location = await _register(client, admin, origin="420100", arrived_on="2020-02-01")
    assert status == 303 and location.startswith("/console/people/")
    person_url = location.split("?")[0]
    page = await (await client.get(person_url)).text()
    assert "1101**********002X" in page and GOOD_ID not in page  # masked only
    issued = await client.post(person_url + "/passes", data={"csrf_token": admin})
    html = await issued.text()
    serial = re.search(r'id="serial">([0-9a-f]{24})<', html).group(1)
    link = re.search(r'id="resident-link" class="mono long" href="([^"]+)"', html).group(1)
    resident = await client.get(urlsplit(link).path)
    assert resident.status == 200 and "李雷" in await resident.text()
    # revoke needs a reason and the confirmation box
    resp = await client.post(f"{person_url}/passes/{serial}/revoke", data={"csrf_token": admin, "reason": "lost"})
    assert resp.status == 422 and "confirm" in await resp.text()
    resp = await client.post(f"{person_url}/passes/{serial}/revoke",
                             data={"csrf_token": admin, "reason": "lost", "confirm": "yes"}, allow_redirects=False)
    assert resp.status == 303
    token = link.rsplit("/", 1)[1]
    body = await (await client.get(f"/p/{token}/pass.json")).json()
    assert body["revoked"] is True and body["qr_text"] is None
    reissued = await client.post(f"{person_url}/passes/{serial}/reissue", data={"csrf_token": admin})
    assert reissued.status == 200
    body = await (await client.get(f"/p/{token}/pass.json")).json()
    assert body["revoked"] is False and body["serial"] != serial  # same link, new pass
    rows = await audit_store.search(svc_of(client).db.read, actor="account:admin", action=None, target=None,
                                    after_id=0, limit=100)
    assert {"person.register", "pass.issue", "pass.revoke", "pass.reissue"} <= {r.action for r in rows}


async def test_viewer_reads_but_cannot_write(client: TestClient) -> None:
    csrf = await login(client, "vera", "viewer")
    assert (await client.get("/console/people")).status == 200
    status, _ = await _register(client, csrf)
    assert status == 403
    assert (await client.get("/console/audit")).status == 403


async def test_registrar_cannot_read_audit_or_create_sites(client: TestClient) -> None:
    csrf = await login(client, "reg", "registrar")
    status, _ = await _register(client, csrf)
    assert status == 303
    assert (await client.get("/console/audit")).status == 403
    resp = await client.post("/console/sites", data={"csrf_token": csrf, "code": "S1", "name": "n",
                                                     "kind": "community"})
    assert resp.status == 403


async def test_logout_ends_the_session(client: TestClient, admin: str) -> None:
    resp = await client.post("/console/logout", data={"csrf_token": admin}, allow_redirects=False)
    assert resp.status == 303
    assert (await client.get("/console/people", allow_redirects=False)).status == 303


async def test_unknown_resident_link_is_404(client: TestClient) -> None:
    resp = await client.get("/p/" + "A" * 32)
    assert resp.status == 404 and "找不到" in await resp.text()


async def test_cookies_are_secure_behind_a_tls_proxy(aiohttp_client, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Published at an https URL, the gateway marks its cookies Secure though the proxy speaks http."""
    from gateway import accounts
    from qrgate.app import create_app
    from gateway.config import GatewayConfig

    client = await aiohttp_client(create_app(GatewayConfig.for_data_dir(
        tmp_path / "tls", public_url="https://gate.example.org")))
    await accounts.create_account(svc_of(client).db, "ann", PASSWORD, "admin")
    page = await client.get("/console/login")
    login_cookie = page.headers["Set-Cookie"]
    assert "secure" in {a.strip().split("=")[0].lower() for a in login_cookie.split(";")}
    # the test client speaks plain http, so it would not send a Secure cookie back: the browser would
    resp = await client.post("/console/login", allow_redirects=False, headers={
        "Cookie": login_cookie.split(";")[0], "Origin": "https://gate.example.org"}, data={
        "username": "ann", "password": PASSWORD, "csrf_token": csrf_of(await page.text())})
    assert resp.status == 303, await resp.text()
    header = next(h for h in resp.headers.getall("Set-Cookie") if h.startswith("qg_session="))
    assert "secure" in {a.strip().split("=")[0].lower() for a in header.split(";")}
    # a foreign origin is still refused
    resp = await client.post("/console/login", allow_redirects=False, headers={
        "Cookie": login_cookie.split(";")[0], "Origin": "https://evil.example"}, data={
        "username": "ann", "password": PASSWORD, "csrf_token": csrf_of(await page.text())})
    assert resp.status == 403


async def test_expired_sessions_are_purged(client: TestClient, admin: str) -> None:
    from datetime import timedelta

    from gateway.clock import now
    from web import sessions

    assert await sessions.purge_expired(svc_of(client).db, now=now()) == 0  # the live one stays
    assert (await client.get("/console/people", allow_redirects=False)).status == 200
    later = now() + sessions.SESSION_TTL + timedelta(seconds=1)
    assert await sessions.purge_expired(svc_of(client).db, now=later) == 1
    resp = await client.get("/console/people", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/login")
