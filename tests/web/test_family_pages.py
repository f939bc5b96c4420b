"""The guardian's resident page with family passes: a tab per dependant with their own QR, name and
status, read live (a reissued pass shows at once, an ended care disappears); a card per dependant only
for the guardian's own dependants (anything else 404)."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from web_helpers import svc_of

from gateway import guardianships, idcard, passes, registry
from gateway.auth import CLI
from web.passview import qr_svg

CONSENT = {"consent_by": "legal_guardian", "consent_how": "in_person"}


async def _person(client: TestClient, name: str, seed: str, issue: bool = True) -> tuple[int, str | None]:
    svc = svc_of(client)
    person = await registry.register(svc, {"name": name, "document_type": "resident_id", "community": "HEYUAN",
                                           "document_number": idcard.make(f"4201021990{seed}")}, CLI)
    if not issue:
        return person.id, None
    issued = await passes.issue(svc, person.id, CLI, svc.config.base_url)
    return person.id, "/p/" + issued.resident_url.rsplit("/p/", 1)[1]


async def _family(client: TestClient) -> tuple[str, int, int, int]:
    guardian, link = await _person(client, "王女儿", "0101123")
    grandma, _ = await _person(client, "王奶奶", "0202123")
    child, _ = await _person(client, "王小宝", "0303123")
    for dependant in (grandma, child):
        await guardianships.add(svc_of(client), dependant, {"guardian_id": guardian, **CONSENT}, CLI)
    assert link
    return link, guardian, grandma, child


async def _serial(client: TestClient, person_id: int) -> str:
    row = await passes.store.live_for(svc_of(client).db.read, person_id=person_id)
    assert row is not None
    return row.serial


async def test_the_guardians_page_has_a_tab_and_a_qr_per_dependant(client: TestClient) -> None:
    link, guardian, grandma, child = await _family(client)
    html = await (await client.get(link)).text()
    tabs = re.findall(r'role="tab"[^>]*id="tab-(\w+)"', html)
    assert tabs == ["me", str(grandma), str(child)]
    for person in (grandma, child):
        row = await passes.store.live_for(svc_of(client).db.read, person_id=person)
        assert row is not None
        panel = html.split(f'id="family-{person}"')[1].split("</section>")[0]
        assert qr_svg(row.qr_text) in panel and row.serial in panel and "绿码 可以通行" in panel
        assert f'href="{link}/d/{person}/card"' in panel
    assert "/static/web/family.js" in html
    # the page of someone with no dependants has no tabs and no family script
    _, alone = await _person(client, "独居", "0404123")
    assert alone and 'role="tab"' not in await (await client.get(alone)).text()


async def test_a_reissued_pass_shows_at_once_and_an_ended_care_disappears(client: TestClient) -> None:
    link, _, grandma, child = await _family(client)
    svc = svc_of(client)
    old = await _serial(client, grandma)
    info = await passes.reissue(svc, old, "card lost", CLI, svc.config.base_url)
    html = await (await client.get(link)).text()
    assert info.serial in html and old not in html
    # revoked: the stamp, no QR, no card
    await passes.revoke(svc, info.serial, "moved away", CLI)
    panel = (await (await client.get(link)).text()).split(f'id="family-{grandma}"')[1].split("</section>")[0]
    assert 'data-state="revoked"' in panel and "qr-svg" not in panel and "/card" not in panel
    assert (await client.get(f"{link}/d/{grandma}/card")).status == 410  # as the own card of a revoked pass
    # the care ends: the tab and the card go
    care = (await guardianships.of_person(svc, child, CLI))[0]
    await guardianships.end(svc, care.row.id, {"reason": "grew up"}, CLI)
    html = await (await client.get(link)).text()
    assert f'id="tab-{child}"' not in html
    assert (await client.get(f"{link}/d/{child}/card")).status == 404


async def test_a_card_only_for_the_guardians_own_dependants(client: TestClient) -> None:
    link, guardian, grandma, child = await _family(client)
    stranger, stranger_link = await _person(client, "陌生人", "0505123")
    card = await client.get(f"{link}/d/{grandma}/card")
    assert card.status == 200
    text = await card.text()
    row = await passes.store.live_for(svc_of(client).db.read, person_id=grandma)
    assert row is not None and qr_svg(row.qr_text) in text and "王奶奶" in text
    assert f'href="{link}/d/{grandma}/card.pdf"' in text
    pdf = await client.get(f"{link}/d/{child}/card.pdf")
    assert pdf.status == 200 and (await pdf.read()).startswith(b"%PDF")
    # not a dependant, the guardian herself, a dependant through someone else's link, an unknown id: 404
    assert stranger_link
    for path in (f"{link}/d/{stranger}/card", f"{link}/d/{guardian}/card", f"{stranger_link}/d/{grandma}/card",
                 f"{link}/d/999999/card.pdf", f"{link}/d/0/card", f"/p/{'x' * 32}/d/{grandma}/card"):
        resp = await client.get(path)
        assert resp.status == 404, path
        assert "王奶奶" not in await resp.text()
    # a dependant with no pass yet: a tab that says so, and no card
    baby, _ = await _person(client, "王宝宝", "0606123", issue=False)
    await guardianships.add(svc_of(client), baby, {"guardian_id": guardian, **CONSENT}, CLI)
    html = await (await client.get(link)).text()
    assert "尚未签发通行证" in html.split(f'id="family-{baby}"')[1]
    assert (await client.get(f"{link}/d/{baby}/card")).status == 404


async def test_the_demo_has_a_family_and_a_desk(client: TestClient) -> None:
    from gateway import demo

    svc = svc_of(client)
    login = await demo.seed(svc, svc.config.base_url)
    html = await (await client.get(login["resident_links"]["王芳"])).text()
    tabs = re.findall(r'role="tab"[^>]*>[^<]*<span class="tab-name">([^<]+)</span>', html)
    assert tabs == ["王芳", "李秀英", "黄敏"]
    assert login["desk"]["username"] == "desk" and login["desk"]["password"]


async def test_pass_json_names_each_dependants_current_pass(client: TestClient) -> None:
    link, _, grandma, child = await _family(client)
    body = await (await client.get(f"{link}/pass.json")).json()
    assert [(d["person_id"], d["serial"], d["revoked"]) for d in body["dependants"]] == [
        (grandma, await _serial(client, grandma), False), (child, await _serial(client, child), False)]
    html = await (await client.get(link)).text()
    panel = html.split(f'id="family-{grandma}"')[1].split(">")[0]
    assert f'data-serial="{await _serial(client, grandma)}"' in panel and 'data-revoked="false"' in panel
