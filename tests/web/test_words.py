"""No console page shows an ISO/UTC time or a raw code; the language switch is real and remembered."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from web_helpers import GOOD_ID, csrf_of, svc_of

from gateway import auth, idcard
from tests.city import local_today
from keys.chain import GENESIS
from keys.entry import Entry
from web import labels

ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]00:00\b|\bUTC\b")
# every code the console could show raw; in a Chinese page any of them as a word is a raw code
CODE_KINDS = ("document_type", "status", "quarantine_kind", "pass_state", "site_kind", "decision", "alert_kind",
              "role", "reason")
CODES = {c for kind in CODE_KINDS for c in labels.codes(kind)}


def visible_text(page: str) -> str:
    """What a person reads: the text between tags, without scripts, styles and SVG markup."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def problems(page: str, username: str = "admin") -> list[str]:
    """What is wrong on a page; the logged-in user's name ("admin" in these tests) is not a code."""
    text = visible_text(page)
    found = [f"ISO/UTC time {m.group(0)!r}" for m in ISO_TIME.finditer(text)]
    found += [f"raw code {w!r}" for w in re.findall(r"[a-z][a-z_]+", text) if w in CODES and w != username]
    return found


async def _world(client: TestClient) -> dict[str, Any]:
    db = svc_of(client).db
    admin = {"Authorization": "Bearer " + await auth.create_token(db, role="admin", label="t")}
    await client.post("/api/v1/sites", headers=admin, json={
        "code": "HY-1", "name": "和园北门", "kind": "community", "policy": {"communities": ["HEYUAN"]}})
    await client.post("/api/v1/sites", headers=admin, json={
        "code": "FAB-1", "name": "东方精密", "kind": "factory", "policy": {"employers": ["DF"]}})
    person = await (await client.post("/api/v1/people", headers=admin, json={
        "name": "王建国", "document_type": "resident_id", "document_number": idcard.make("42010219900101123"),
        "community": "HEYUAN", "origin": "420100", "arrived_on": local_today().isoformat(),
        "address": "和园 3-201", "status": "green"})).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
    await client.post(f"/api/v1/people/{person['id']}/health-checks", headers=admin, json={"temperature": 36.6})
    token = (await (await client.post("/api/v1/sites/HY-1/enrolments", headers=admin, json={})).json())["token"]
    device = await (await client.post("/api/v1/devices/enroll", json={"token": token, "name": "北门"})).json()
    entry = Entry.chained(id=str(uuid.uuid4()), seq=1, prev_hash=GENESIS, device_id=device["device_id"], site="HY-1",
                          scanned_at=f"{local_today().isoformat()}T00:00:05+08:00", serial=issued["serial"],
                          text_hash=None, decision="deny", reason="fever", temperature=38.4,
                          clock_offset=0.2).to_json()
    resp = await client.post("/api/v1/entries", json={"entries": [entry]},
                             headers={"Authorization": "Bearer " + device["credential"]})
    assert resp.status == 200, await resp.text()
    return {"person": person, "serial": issued["serial"]}


async def test_no_console_page_shows_an_iso_time_or_a_raw_code(client: TestClient, admin: str) -> None:
    world = await _world(client)
    pid, serial = world["person"]["id"], world["serial"]
    pages = ["/console/people", "/console/people?filter=quarantine", f"/console/people/{pid}",
             f"/console/people/{pid}/edit", "/console/people/new", f"/console/people/{pid}/passes/{serial}/revoke",
             "/console/sites", "/console/sites/HY-1", "/console/sites/FAB-1", "/console/entries",
             "/console/alerts", "/console/audit", "/console/dashboard", "/console/key-areas", "/console/key-areas?end=42",
             "/console/today", "/console/reprints"]
    found = {}
    for path in pages:
        resp = await client.get(path)
        assert resp.status == 200, path
        if issues := problems(await resp.text()):
            found[path] = issues
    # pages a form answers: issuing and enrolling
    resp = await client.post(f"/console/people/{pid}/passes/{serial}/reissue", data={"csrf_token": admin})
    found.update({"reissued": p} if (p := problems(await resp.text())) else {})
    resp = await client.post("/console/sites/HY-1/enrolments", data={"csrf_token": admin})
    page = await resp.text()
    found.update({"enrolment": p} if (p := problems(page)) else {})
    assert not found, found
    assert 'id="enrol-token"' in page  # the token a guard can type, next to the QR


def test_the_scan_finds_what_it_looks_for() -> None:
    assert problems("<td>2026-12-01T19:21:22+00:00</td>") and problems("<td>resident_id</td>")
    assert problems("<span>green</span>") and problems("<td>wrong_site</td>")
    assert not problems("<td>2020-02-16 09:30</td><td>居民身份证</td><td>绿码</td>")


async def test_the_language_switch_is_real_and_remembered(client: TestClient, admin: str) -> None:
    zh = await (await client.get("/console/people")).text()
    assert '<html lang="zh-CN">' in zh and ">人员<" in zh and ">People<" not in zh
    resp = await client.post("/console/lang", data={"csrf_token": admin, "lang": "en", "next": "/console/sites"},
                             allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/console/sites"
    en = await (await client.get("/console/people")).text()  # another page: the choice is remembered
    assert '<html lang="en">' in en and ">People<" in en and ">人员<" not in en
    assert await svc_of(client).db.read.fetch_value("SELECT lang FROM accounts WHERE username = 'admin'") == "en"
    assert ">人员<" in await (await client.get("/console/people?lang=zh")).text()  # one page, not remembered
    assert ">People<" in await (await client.get("/console/people")).text()


async def test_the_register_form_names_regions_and_codes_in_words(client: TestClient, admin: str) -> None:
    page = await (await client.get("/console/people/new")).text()
    assert "湖北省 武汉市 (420100)" in page and "居民身份证" in page and "居家隔离" in page
    resp = await client.post("/console/people/new", data={
        "csrf_token": admin, "name": "李雷", "document_type": "resident_id", "document_number": GOOD_ID,
        "origin": "420100", "arrived_on": local_today().isoformat(), "status": "green"}, allow_redirects=False)
    assert resp.status == 303
    person = await (await client.get(resp.headers["Location"])).text()
    assert "湖北省 武汉市 (420100)" in person and csrf_of(person)


async def test_a_favicon_and_no_404_for_it(client: TestClient) -> None:
    resp = await client.get("/favicon.ico")
    assert resp.status == 200 and resp.content_type == "image/png"
    assert (await resp.read()).startswith(b"\x89PNG")
    assert 'rel="icon"' in await (await client.get("/console/login")).text()


async def test_the_audit_page_shows_a_site_replacement_field_by_field_old_to_new(client: TestClient,
                                                                                  admin: str) -> None:
    token = {"Authorization": "Bearer " + await auth.create_token(svc_of(client).db, role="admin", label="t")}
    await client.post("/api/v1/sites", headers=token, json={
        "code": "HY-1", "name": "和园北门", "kind": "community",
        "policy": {"communities": ["HEYUAN", "HEXI"], "open_from": "2020-02-10T08:00", "visitors": True}})
    resp = await client.put("/api/v1/sites/HY-1", headers=token, json={
        "name": "东方精密", "kind": "factory", "policy": {"employers": ["DF"], "holder_binding": "required"}})
    assert resp.status == 200, await resp.text()
    page = await (await client.get("/console/audit")).text()
    text = visible_text(page)
    assert "修改场所" in text and not problems(page)
    for said in ("类型: 社区 → 工厂", "名称: 和园北门 → 东方精密", "社区: HEYUAN，HEXI → —", "单位: — → DF",
                 "开放时间: 2020-02-10 08:00 → —", "允许访客: 是 → 否", "持有人绑定: 优先 → 必须"):
        assert said in text, said
    text = visible_text(await (await client.get("/console/audit?lang=en")).text())
    assert "Kind: Community → Factory" in text and "Visitors allowed: Yes → No" in text
