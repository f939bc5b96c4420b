"""Family passes in the console: a registrar records a guardian on the dependant's file (by the
guardian's document, with the consent given), both files list it, it ends with a reason; bad input
is shown next to its field; another community's file answers 404."""

from __future__ import annotations

import json

from aiohttp.test_utils import TestClient
from web_helpers import PASSWORD, csrf_of, svc_of

from gateway import accounts, idcard, registry
from gateway.auth import CLI
from gateway.store import audit as audit_store


async def _person(client: TestClient, name: str, seed: str, community: str = "HEYUAN") -> int:
    person = await registry.register(svc_of(client), {
        "name": name, "document_type": "resident_id", "community": community,
        "document_number": idcard.make(f"4201021990{seed}")}, CLI)
    return person.id


async def _login(client: TestClient, username: str, role: str, scope: str) -> str:
    await accounts.create_account(svc_of(client).db, username, PASSWORD, role, scope=scope)
    token = csrf_of(await (await client.get("/console/login")).text())
    await client.post("/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
    return csrf_of(await (await client.get("/console/")).text())


async def test_a_registrar_records_and_ends_a_guardian_on_the_file(client: TestClient) -> None:
    daughter = await _person(client, "王女儿", "0101123")
    grandma = await _person(client, "王奶奶", "0202123")
    csrf = await _login(client, "liu", "registrar", "community:HEYUAN")
    page = await (await client.get(f"/console/people/{grandma}")).text()
    assert 'id="guardian-form"' in page and "家人代持通行证" in page
    form = {"csrf_token": csrf, "guardian_document_type": "resident_id",
            "guardian_document_number": idcard.make("42010219900101123"), "consent_by": "dependant",
            "consent_how": "signed_paper", "consent_at": "2020-02-10T09:30", "note": "签字表在档案夹"}
    resp = await client.post(f"/console/people/{grandma}/guardianships", data=form, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].endswith("done=guardian_added")
    page = await (await client.get(f"/console/people/{grandma}?done=guardian_added")).text()
    assert "已登记代持人" in page and "王女儿" in page and "书面签字" in page and "2020-02-10 09:30" in page
    other_side = await (await client.get(f"/console/people/{daughter}?lang=en")).text()
    assert "王奶奶" in other_side and "Signed paper" in other_side
    # the same again: refused next to the form, nothing recorded twice
    resp = await client.post(f"/console/people/{grandma}/guardianships", data=form)
    assert resp.status == 409 and "已经代持此人的通行证" in await resp.text()
    # a bad number is shown on its field
    resp = await client.post(f"/console/people/{grandma}/guardianships",
                             data={**form, "guardian_document_number": "123"})
    assert resp.status == 422 and 'id="err-guardian_document_number"' in await resp.text()
    # ended with a reason, from the guardian's file
    rows = await audit_store.search(svc_of(client).db.read, actor=None, action="guardianship.add", target=None,
                                    after_id=0, limit=10)
    care = json.loads(rows[0].details)["guardianship"]
    resp = await client.post(f"/console/people/{daughter}/guardianships/{care}/end",
                             data={"csrf_token": csrf, "reason": "搬来同住"}, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"].endswith("done=guardian_ended")
    page = await (await client.get(f"/console/people/{grandma}")).text()
    assert "已结束" in page and "搬来同住" in page


async def test_another_communitys_file_is_not_found(client: TestClient) -> None:
    outside = await _person(client, "外人", "0303123", community="OTHER")
    inside = await _person(client, "本人", "0404123")
    csrf = await _login(client, "liu", "registrar", "community:HEYUAN")
    resp = await client.post(f"/console/people/{outside}/guardianships", data={
        "csrf_token": csrf, "guardian_document_type": "resident_id",
        "guardian_document_number": idcard.make("42010219900404123"), "consent_by": "dependant",
        "consent_how": "in_person"})
    assert resp.status == 404 and "外人" not in await resp.text()
    # a guardian outside the scope is the same unknown
    resp = await client.post(f"/console/people/{inside}/guardianships", data={
        "csrf_token": csrf, "guardian_document_type": "resident_id",
        "guardian_document_number": idcard.make("42010219900303123"), "consent_by": "dependant",
        "consent_how": "in_person"})
    assert resp.status == 404 and "外人" not in await resp.text()
