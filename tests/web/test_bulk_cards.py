"""Cards in bulk: one PDF for the People list's selection (A6 pages or A4 sheets of four), cut to the
scope, decoded back with a real QR decoder (zxing-cpp over pypdfium2's rendering); the print is
audited once and the cards are remembered for the reprint list."""

from __future__ import annotations

import json

import pypdfium2
import zxingcpp
from aiohttp.test_utils import TestClient
from web_helpers import PASSWORD, csrf_of, svc_of

from gateway import accounts, idcard, passes, registry
from gateway.auth import CLI
from gateway.services import Services
from gateway.store import audit as audit_store
from gateway.store import reissue as reissue_store


async def _people(svc: Services) -> dict[str, list[str]]:
    """Five people of C1 with a pass (the last one red), one of C1 without, two of C2: their QR texts."""
    qr: dict[str, list[str]] = {"C1": [], "C2": [], "red": []}
    for seed, community, status, with_pass in ((1, "C1", "green", True), (2, "C1", "green", True),
                                               (3, "C1", "yellow", True), (4, "C1", "green", True),
                                               (5, "C1", "red", True), (6, "C1", "green", False),
                                               (7, "C2", "green", True), (8, "C2", "green", True)):
        person = await registry.register(svc, {
            "name": f"王{seed}", "document_type": "resident_id", "status": status, "community": community,
            "document_number": idcard.make(f"4201021990010{seed}123")}, CLI)
        if with_pass:
            text = (await passes.issue(svc, person.id, CLI, "http://x")).qr_text
            qr[community].append(text)
            if status == "red":
                qr["red"].append(text)
    return qr


def _codes(pdf_bytes: bytes) -> tuple[list[list[str]], list[tuple[float, float]]]:
    """The QR texts of each page (top left, top right, bottom left, bottom right) and the page sizes."""
    pdf = pypdfium2.PdfDocument(pdf_bytes)
    pages, sizes = [], []
    for page in pdf:
        found = zxingcpp.read_barcodes(page.render(scale=2).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
        found.sort(key=lambda c: (round(c.position.top_left.y / 500), c.position.top_left.x))
        pages.append([c.text for c in found])
        sizes.append(page.get_size())
    return pages, sizes


async def _login(client: TestClient, username: str, role: str, scope: str = "city") -> str:
    await accounts.create_account(svc_of(client).db, username, PASSWORD, role, scope=scope)
    token = csrf_of(await (await client.get("/console/login")).text())
    await client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return csrf_of(await (await client.get("/console/people")).text())


async def test_a_communitys_cards_in_one_a6_pdf_decode_to_their_passes(client: TestClient) -> None:
    qr = await _people(svc_of(client))
    csrf = await _login(client, "boss", "admin")
    page = await (await client.get("/console/people?community=C1")).text()
    assert 'id="cards-form"' in page and 'name="community" value="C1"' in page
    resp = await client.post("/console/people/cards.pdf", data={"csrf_token": csrf, "community": "C1"})
    assert resp.status == 200 and resp.content_type == "application/pdf"
    pages, sizes = _codes(await resp.read())
    assert pages == [[text] for text in qr["C1"]]  # one card a page, in the list's order, the one without a pass left out
    assert all(round(w) == 298 and round(h) == 420 for w, h in sizes)  # A6 in points
    db = svc_of(client).db
    rows = await audit_store.search(db.read, actor="account:boss", action="cards.print", target=None,
                                    after_id=0, limit=10)
    assert [json.loads(r.details) for r in rows] == [
        {"cards": 5, "community": "C1", "filter": None, "by_name": False, "layout": "a6"}]
    live = [(await db.read.fetch_value("SELECT serial FROM passes WHERE qr_text = :q", {"q": t})) for t in qr["C1"]]
    assert all([await reissue_store.card_printed(db.read, serial=s) for s in live])  # a reissue puts them on the reprint list


async def test_a4_sheets_hold_four_cards_and_a_filter_selects(client: TestClient) -> None:
    qr = await _people(svc_of(client))
    csrf = await _login(client, "boss", "admin")
    resp = await client.post("/console/people/cards.pdf", data={"csrf_token": csrf, "community": "C1", "layout": "a4"})
    pages, sizes = _codes(await resp.read())
    assert pages == [qr["C1"][:4], qr["C1"][4:]]
    assert all((round(w), round(h)) == (595, 842) for w, h in sizes)
    resp = await client.post("/console/people/cards.pdf", data={"csrf_token": csrf, "filter": "red"})
    assert _codes(await resp.read())[0] == [qr["red"]]


async def test_a_scoped_registrar_prints_only_her_community_and_a_viewer_none(client: TestClient) -> None:
    qr = await _people(svc_of(client))
    csrf = await _login(client, "liu", "registrar", "community:C2")
    resp = await client.post("/console/people/cards.pdf", data={"csrf_token": csrf, "community": "C1"},
                             allow_redirects=False)
    assert resp.status == 303 and "done=no_cards" in resp.headers["Location"]
    resp = await client.post("/console/people/cards.pdf", data={"csrf_token": csrf})
    assert _codes(await resp.read())[0] == [[text] for text in qr["C2"]]
    client.session.cookie_jar.clear()
    csrf = await _login(client, "guard", "viewer", "community:C2")
    assert 'id="cards-form"' not in await (await client.get("/console/people")).text()
    assert (await client.post("/console/people/cards.pdf", data={"csrf_token": csrf})).status == 403
