"""The console's key pages over HTTP: admin only, the withdraw form's errors, the job and reprint pages."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from gateway.appkeys import reissue_runner_key
from gateway.store import audit as audit_store

from web_helpers import login, svc_of


async def test_keys_pages_are_for_admins_only(client: TestClient) -> None:
    await login(client, "reg", "registrar")
    for path in ("/console/keys", "/console/reissue/1"):
        assert (await client.get(path)).status == 403
    # the reprint list is staff work, cut to the scope (tests/web/test_today.py)
    assert (await client.get("/console/reprints")).status == 200


async def test_withdraw_form_needs_a_reason_and_a_tick(client: TestClient, admin: str) -> None:
    kid = svc_of(client).keystore.signing_key().kid.hex()
    page = await client.get("/console/keys")
    assert page.status == 200 and kid in await page.text()
    assert (await client.get(f"/console/keys/{'0' * 16}/withdraw")).status == 404
    path = f"/console/keys/{kid}/withdraw"
    resp = await client.post(path, data={"csrf_token": admin, "reason": "", "confirm": ""})
    body = await resp.text()
    assert resp.status == 422 and "请勾选确认" in body and "请填写原因" in body and 'id="field-reason"' in body
    assert svc_of(client).keystore.signing_key().kid.hex() == kid  # nothing happened
    resp = await client.post(path, data={"csrf_token": admin, "reason": "leaked", "confirm": "yes"},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].startswith("/console/reissue/")
    job_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    await client.app[reissue_runner_key].wait(job_id)
    job_page = await (await client.get(f"/console/reissue/{job_id}")).text()
    assert "已完成" in job_page and 'http-equiv="refresh"' not in job_page
    rows = await audit_store.search(svc_of(client).db.read, actor="account:admin", action="keys.withdraw",
                                    target=None, after_id=0, limit=10)
    assert [(r.target, r.reason) for r in rows] == [(f"key:{kid}", "leaked")]
    listing = await (await client.get("/console/reprints")).text()
    assert ">无<" in listing and "reprint-form" not in listing  # no card was ever printed


async def test_the_reprint_pdf_holds_every_void_card_and_empties_the_list(client: TestClient, admin: str) -> None:
    import pypdfium2
    import zxingcpp

    from gateway import passes, registry, reissue
    from gateway.auth import CLI
    from gateway import idcard

    svc = svc_of(client)
    serials = []
    for seed in range(3):
        person = await registry.register(svc, {"name": f"王{seed}", "document_type": "resident_id",
                                               "document_number": idcard.make(f"110105194912310{seed + 3:02d}"), "community": "C1"}, CLI)
        serials.append((await passes.issue(svc, person.id, CLI, "http://x")).serial)
    await reissue.cards_printed(svc.db, serials[:2], CLI)  # two of the three had printed cards
    kid = svc.keystore.signing_key().kid.hex()
    resp = await client.post(f"/console/keys/{kid}/withdraw",
                             data={"csrf_token": admin, "reason": "leaked", "confirm": "yes"}, allow_redirects=False)
    await client.app[reissue_runner_key].wait(int(resp.headers["Location"].rsplit("/", 1)[1]))
    listed = [r.serial for r in await reissue.reprint_list(svc.db)]
    assert len(listed) == 2
    resp = await client.post("/console/reprints/cards.pdf", data={"csrf_token": admin})
    assert resp.status == 200 and resp.content_type == "application/pdf"
    pdf = pypdfium2.PdfDocument(await resp.read())
    texts = []
    for page in pdf:
        (code,) = zxingcpp.read_barcodes(page.render(scale=2).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
        texts.append(code.text)
    live = {r.serial: r.qr_text for r in [await passes.get(svc.db, s) for s in listed]}
    assert texts == [live[s] for s in listed]
    assert await reissue.reprint_list(svc.db) == []
    rows = await audit_store.search(svc.db.read, actor="account:admin", action="cards.reprint", target=None,
                                    after_id=0, limit=10)
    assert [r.details for r in rows] == ['{"cards": 2}']
    resp = await client.post("/console/reprints/cards.pdf", data={"csrf_token": admin}, allow_redirects=False)
    assert resp.status == 303  # nothing left to print
