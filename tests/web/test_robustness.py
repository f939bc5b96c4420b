"""Odd input to every console form and resident URL: a clear answer, never a 500, nothing stored."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import zxingcpp
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st
from web_helpers import GOOD_ID, svc_of

from keys import decide
from web.console.auth import _next
from web.console.common import int_param

ODD = ["", " ", "\x00", "\u202e", "9" * 5000, "<script>alert(1)</script>", "NaN", "inf", "-1", "1e309",
       "２０２０-０２-０１", "2020-02-30", "😀" * 70]


@given(st.text(max_size=600))
def test_login_redirect_stays_in_the_console(target: str) -> None:
    assert _next(target).startswith("/console/") and not _next(target).startswith("//")


@given(st.text(max_size=40))
def test_int_param_never_raises(value: str) -> None:
    assert 0 <= int_param(value) < 2**62


@pytest.mark.parametrize("value", ODD)
async def test_register_form_survives_odd_values(client: TestClient, admin: str, value: str) -> None:
    fields = ("name", "document_type", "document_number", "phone", "origin", "arrived_on", "community",
              "status", "quarantine_kind")
    for name in fields:
        data = {"csrf_token": admin, "name": "张三", "document_type": "resident_id",
                "document_number": GOOD_ID, name: value}
        resp = await client.post("/console/people/new", data=data, allow_redirects=False)
        assert resp.status in (303, 422, 409), (name, resp.status)
        if resp.status == 422:
            assert 'role="alert"' in await resp.text()
        assert "<script>alert" not in await resp.text()  # escaped, never echoed raw


async def test_health_check_and_site_forms_survive_odd_values(client: TestClient, admin: str) -> None:
    resp = await client.post("/console/people/new", allow_redirects=False, data={
        "csrf_token": admin, "name": "张三", "document_type": "resident_id", "document_number": GOOD_ID})
    person = resp.headers["Location"].split("?")[0]
    for value in ODD:
        resp = await client.post(person + "/health-checks", data={"csrf_token": admin, "temperature": value,
                                                                 "symptoms": value}, allow_redirects=False)
        assert resp.status == 422, value
        resp = await client.post("/console/sites", allow_redirects=False, data={
            "csrf_token": admin, "code": value, "name": value, "kind": value, "fever_threshold": value,
            "communities": value})
        assert resp.status in (303, 409, 422), value
    resp = await client.post(person + "/health-checks", data={"csrf_token": admin, "temperature": "39.2",
                                                             "symptoms": "咳嗽，乏力"}, allow_redirects=False)
    assert resp.status == 303
    page = await (await client.get(person)).text()
    assert "39.2" in page and "咳嗽, 乏力" in page


@pytest.mark.parametrize("path", ["/p/short", "/p/" + "A" * 40, "/p/" + "A" * 40 + "/pass.json",
                                  "/p/" + "A" * 40 + "/card.pdf", "/p/../../etc/passwd", "/p/%00" * 10,
                                  "/console/people/99999999", "/console/people/abc", "/console/sites/nope",
                                  "/console/people/1/passes/" + "0" * 24 + "/card.pdf"])
async def test_unknown_things_are_404(client: TestClient, admin: str, path: str) -> None:
    resp = await client.get(path, allow_redirects=False)
    assert resp.status == 404


async def test_card_pdf_over_http_is_a6_and_its_qr_is_allowed(client: TestClient, admin: str) -> None:
    resp = await client.post("/console/people/new", allow_redirects=False, data={
        "csrf_token": admin, "name": "赵敏", "document_type": "resident_id", "document_number": GOOD_ID})
    person = resp.headers["Location"].split("?")[0]
    html = await (await client.post(person + "/passes", data={"csrf_token": admin})).text()
    token = re.search(r'href="[^"]*/p/([A-Za-z0-9_-]+)"', html).group(1)
    for url in (f"/p/{token}/card.pdf", re.search(r'href="(/console/[^"]+card\.pdf)"', html).group(1)):
        resp = await client.get(url)
        assert resp.status == 200 and resp.content_type == "application/pdf"
        page = pypdfium2.PdfDocument(await resp.read())[0]
        found = zxingcpp.read_barcodes(page.render(scale=2).to_pil(), formats=zxingcpp.BarcodeFormat.QRCode)
        trust = svc_of(client).keystore.trust_set()
        from datetime import UTC, datetime
        assert decide(found[0].text, trust, None, None, now=datetime.now(UTC)).allowed


async def test_people_filters(client: TestClient, admin: str) -> None:
    from tests.city import local_today
    today = local_today()
    from datetime import timedelta
    from gateway.idcard import make
    people = {"in_q": {"origin": "420100", "arrived_on": (today - timedelta(days=3)).isoformat()},
              "ends": {"origin": "420100", "arrived_on": (today - timedelta(days=14)).isoformat()},
              "red": {"status": "red"}, "plain": {}}
    for i, (name, extra) in enumerate(people.items()):
        resp = await client.post("/console/people/new", allow_redirects=False, data={
            "csrf_token": admin, "name": name, "document_type": "resident_id",
            "document_number": make(f"1101051980010100{i}"), **extra})
        assert resp.status == 303, await resp.text()
    async def names(query: str) -> set[str]:
        html = await (await client.get("/console/people?" + query)).text()
        return set(re.findall(r'<a href="/console/people/\d+">([^<]+)</a>', html))
    assert await names("filter=quarantine") == {"in_q"}
    assert await names("filter=ends_today") == {"ends"}
    assert await names("filter=red") == {"red"}
    assert await names("filter=no_pass") == set(people)
    assert await names("q=pl") == {"plain"}
    assert await names("q=" + make("11010519800101003")) == {"plain"}
