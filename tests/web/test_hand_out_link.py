"""Handing out the resident link from the console: the person's file shows it as a QR and offers a
printable slip (name masked, zh and en steps) to registrars and admins in scope; a viewer sees
neither; replacing the link is audited with its reason and the old link stops at once."""

from __future__ import annotations

import io

import zxingcpp
from aiohttp.test_utils import TestClient
from PIL import Image
from web_helpers import PASSWORD, csrf_of, svc_of

from gateway import accounts, idcard, passes, registry
from gateway.auth import CLI
from gateway.store import audit as audit_store
from keys.render import render_png
from web.passview import qr_svg


async def _person(client: TestClient, community: str = "HEYUAN", seed: str = "0101123") -> tuple[int, str]:
    svc = svc_of(client)
    person = await registry.register(svc, {"name": "王建国", "document_type": "resident_id", "community": community,
                                           "document_number": idcard.make(f"4201021990{seed}")}, CLI)
    issued = await passes.issue(svc, person.id, CLI, svc.config.base_url)
    return person.id, issued.resident_url


async def _login(client: TestClient, username: str, role: str, scope: str) -> str:
    await accounts.create_account(svc_of(client).db, username, PASSWORD, role, scope=scope)
    token = csrf_of(await (await client.get("/console/login")).text())
    await client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return csrf_of(await (await client.get("/console/people")).text())


def _decoded(url: str) -> str:
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(render_png(url))), formats=zxingcpp.BarcodeFormat.QRCode)
    return code.text


async def test_the_file_shows_the_link_as_a_qr_and_a_slip(client: TestClient) -> None:
    person_id, url = await _person(client)
    await _login(client, "liu", "registrar", "community:HEYUAN")
    page = await (await client.get(f"/console/people/{person_id}")).text()
    assert 'id="resident-link-qr"' in page and qr_svg(url) in page  # the QR of exactly this link
    assert _decoded(url) == url and 'href="/console/people/%d/slip"' % person_id in page
    slip = await (await client.get(f"/console/people/{person_id}/slip")).text()
    assert qr_svg(url) in slip and "王**" in slip and "王建国" not in slip.split('id="slip"')[1]
    assert "用您自己的手机相机扫描" in slip and "Scan the code above" in slip
    # another community's person: the same answer as a missing one
    other, _ = await _person(client, "OTHER", "0202123")
    assert (await client.get(f"/console/people/{other}/slip")).status == 404


async def test_a_viewer_sees_no_link_and_gets_no_slip(client: TestClient) -> None:
    person_id, url = await _person(client)
    csrf = await _login(client, "guard", "viewer", "community:HEYUAN")
    page = await (await client.get(f"/console/people/{person_id}")).text()
    assert page.count("王建国") and url.rsplit("/", 1)[1] not in page and "resident-link" not in page
    assert (await client.get(f"/console/people/{person_id}/slip")).status == 403
    resp = await client.post(f"/console/people/{person_id}/resident-link/rotate",
                             data={"csrf_token": csrf, "reason": "leaked"})
    assert resp.status == 403


async def test_replacing_the_link_is_audited_and_the_old_one_stops(client: TestClient) -> None:
    person_id, old = await _person(client)
    csrf = await _login(client, "liu", "registrar", "community:HEYUAN")
    resp = await client.post(f"/console/people/{person_id}/resident-link/rotate", data={"csrf_token": csrf, "reason": ""},
                             allow_redirects=False)
    assert resp.status == 422  # a reason is required
    resp = await client.post(f"/console/people/{person_id}/resident-link/rotate",
                             data={"csrf_token": csrf, "reason": "链接被转发"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith(f"/console/people/{person_id}?done=rotated")
    svc = svc_of(client)
    new = await passes.resident_link(svc, person_id, CLI, svc.config.base_url)
    assert new and new != old
    page = await (await client.get(f"/console/people/{person_id}?done=rotated")).text()
    assert "已更换居民链接" in page and qr_svg(new) in page and qr_svg(old) not in page
    assert (await client.get("/p/" + old.rsplit("/", 1)[1])).status == 404
    assert (await client.get("/p/" + new.rsplit("/", 1)[1])).status == 200
    rows = await audit_store.search(svc.db.read, actor="account:liu", action="person.resident_link_rotate",
                                    target=None, after_id=0, limit=10)
    assert [(r.target, r.reason) for r in rows] == [(f"person:{person_id}", "链接被转发")]
    assert old.rsplit("/", 1)[1] not in rows[0].details and new.rsplit("/", 1)[1] not in rows[0].details
