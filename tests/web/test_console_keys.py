"""The console's key pages over HTTP: admin only, the withdraw form's errors, the job and reprint pages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from gateway.appkeys import reissue_runner_key
from gateway.store import audit as audit_store

from web_helpers import login, svc_of


async def test_keys_pages_are_for_admins_only(client: TestClient) -> None:
    await login(client, "reg", "registrar")
    for path in ("/console/keys", "/console/reprints", "/console/reissue/1"):
        assert (await client.get(path)).status == 403


async def test_withdraw_form_needs_a_reason_and_a_tick(client: TestClient, admin: str) -> None:
    kid = svc_of(client).keystore.signing_key().kid.hex()
    page = await client.get("/console/keys")
    assert page.status == 200 and kid in await page.text()
    assert (await client.get(f"/console/keys/{'0' * 16}/withdraw")).status == 404
    path = f"/console/keys/{kid}/withdraw"
    resp = await client.post(path, data={"csrf_token": admin, "reason": "", "confirm": ""})
    body = await resp.text()
    assert resp.status == 422 and "Tick the box" in body and 'id="field-reason"' in body
    assert svc_of(client).keystore.signing_key().kid.hex() == kid  # nothing happened
    resp = await client.post(path, data={"csrf_token": admin, "reason": "leaked", "confirm": "yes"},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/reissue/")
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    await client.app[reissue_runner_key].wait(job_id)
    job_page = await (await client.get(f"/console/reissue/{job_id}")).text()
    assert "Done" in job_page and 'http-equiv="refresh"' not in job_page
    rows = await audit_store.search(svc_of(client).db.read, actor="account:admin", action="keys.withdraw",
                                    target=None, after_id=0, limit=10)
    assert [(r.target, r.reason) for r in rows] == [(f"key:{kid}", "leaked")]
    listing = await (await client.get("/console/reprints")).text()
    assert "无 None" in listing and "reprint-form" not in listing  # no card was ever printed
