"""Every console page, the newest included, read as a worker reads it: no ISO/UTC time, no raw code.

The walk takes the console's GET routes from the app itself, so a page added without a place in this walk
fails `test_the_walk_reaches_every_console_page` until it is given data here and scanned.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from test_words import problems
from web_helpers import GOOD_ID, login, svc_of

from gateway import auth, idcard
from gateway.config import GatewayConfig
from keys.chain import GENESIS, entry_hash
from qrgate.app import create_app
from tests.city import local_today
from web import labels

R = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]
# downloads, not pages (their words are checked where they are made: CSV, PDF and template tests)
NOT_PAGES = {"/console/dashboard.csv", "/console/people/import/template.csv",
             "/console/people/{person_id}/passes/{serial}/card.pdf", "/console/schools/{school}/file.xlsx",
             "/console/schools/{school}/file.pdf"}
# the codes of the newer vocabularies too, beside test_words' own
NEWER_KINDS = ("handover_kind", "handover_state", "resumption_state", "major_event_rule", "vehicle_kind")
NEWER_CODES = {c for kind in NEWER_KINDS for c in labels.codes(kind) if "_" in c or len(c) > 6}


def console_pages(app: web.Application) -> set[str]:
    found: set[str] = set()
    for resource in app.router.resources():
        if isinstance(resource, web.PrefixedSubAppResource):
            found |= console_pages(resource._app)
            continue
        if resource.canonical.startswith("/console") and any(r.method == "GET" for r in resource):
            found.add(re.sub(r"\{(\w+):[^}]*\}", r"{\1}", resource.canonical))
    return found


def page_problems(page: str) -> list[str]:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S))
    newer = [f"raw code {w!r}" for w in re.findall(r"[a-z][a-z_]+", text) if w in NEWER_CODES]
    return problems(page) + newer


async def _world(client: TestClient) -> dict[str, Any]:
    """One of everything a console page lists: people and passes, gates and a fever, a checkpoint's
    hand-over and referral, a resumption application, a major event, a dead webhook delivery."""
    svc = svc_of(client)
    admin = {"Authorization": "Bearer " + await auth.create_token(svc.db, role="admin", label="t")}

    async def ok(resp: Awaitable[aiohttp.ClientResponse]) -> Any:
        answer = await resp
        assert answer.status in (200, 201), await answer.text()
        return await answer.json()

    async def device(site: str) -> dict[str, str]:
        token = (await ok(client.post(f"{R}/sites/{site}/enrolments", headers=admin, json={})))["token"]
        enrolled = await ok(client.post(f"{R}/devices/enroll", json={"token": token, "name": "北门"}))
        return {"Authorization": "Bearer " + enrolled["credential"], "id": enrolled["device_id"]}

    await ok(client.put(f"{R}/key-areas/42", headers=admin, json={"from": "2020-01-23", "reason": "湖北"}))
    await ok(client.post(f"{R}/sites", headers=admin, json={
        "code": "HY-1", "name": "和园北门", "kind": "community", "policy": {"communities": ["HEYUAN"]}}))
    await ok(client.post(f"{R}/sites", headers=admin, json={
        "code": "FAB-1", "name": "东方精密", "kind": "factory",
        "policy": {"employers": ["DF"], "resumption_required": True}}))
    await ok(client.post(f"{R}/sites", headers=admin, json={
        "code": "CP-G312", "name": "G312 检查站", "kind": "checkpoint", "policy": {}}))
    person = await ok(client.post(f"{R}/people", headers=admin, json={
        "name": "王建国", "document_type": "resident_id", "document_number": idcard.make("42010219900101123"),
        "community": "HEYUAN", "origin": "420100", "arrived_on": local_today().isoformat(),
        "address": "和园 3-201", "status": "green"}))
    issued = await ok(client.post(f"{R}/people/{person['id']}/passes", headers=admin))
    await ok(client.post(f"{R}/people/{person['id']}/health-checks", headers=admin, json={"temperature": 36.6}))
    gate = await device("HY-1")
    entry: dict[str, Any] = {
        "id": str(uuid.uuid4()), "seq": 1, "device_id": gate["id"], "site": "HY-1",
        "scanned_at": f"{local_today().isoformat()}T00:00:05+08:00", "serial": issued["serial"],
        "text_hash": None, "decision": "deny", "reason": "fever", "temperature": 38.4, "clock_offset": 0.2,
        "prev_hash": GENESIS}
    entry["hash"] = entry_hash(entry)
    await ok(client.post(f"{R}/entries", json={"entries": [entry]}, headers={"Authorization": gate["Authorization"]}))
    # a road checkpoint: a Wuhan car (a hand-over to HEYUAN, a major event) and a fever (a referral)
    await ok(client.put(f"{R}/webhooks/T-BC", headers=admin, json={
        "url": "http://127.0.0.1:9/hook", "reason": "乡镇系统"}))
    checkpoint = await device("CP-G312")
    people = [{"role": "driver", "decision": "allow", "reason": "ok", "temperature": 36.5,
               "name": "李武汉", "document_type": "resident_id", "document_number": idcard.make("42010219850612123")},
              {"role": "passenger", "decision": "allow", "reason": "ok", "temperature": 38.6,
               "name": "赵发热", "document_type": "resident_id", "document_number": GOOD_ID}]
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()), "recorded_at": f"{local_today().isoformat()}T00:00:05+08:00", "clock_offset": 0.2,
        "plate": "鄂A·12345", "vehicle_kind": "car", "direction": "in", "origin": "420100", "township": "T-BC",
        "community": "HEYUAN", "people": people, "seq": 1, "prev_hash": GENESIS}  # the device's first link
    record["hash"] = entry_hash(record)
    await ok(client.post(f"{R}/checkpoint/records", headers={"Authorization": checkpoint["Authorization"]},
                         json={"records": [record]}))
    async with svc.db.transaction() as tx:  # as the sender leaves one after its eighth try
        await tx.execute("UPDATE webhook_deliveries SET state = 'dead', attempts = 8, last_error = 'HTTP 503'")
    # a factory asks to resume
    await ok(client.post(f"{R}/sites/FAB-1/resumptions", headers=admin, json={
        "items": {k: {"done": True, "note": "已落实"} for k in
                  ("conditions", "entry_control", "notices", "briefings", "commitment")}}))
    # a school class with a pupil back from Hubei
    await ok(client.post(f"{R}/schools/S1/classes", headers=admin, json={"code": "1A", "name": "一年级一班",
                                                                         "grade": "一年级"}))
    pupil = await ok(client.post(f"{R}/people", headers=admin, json={
        "name": "王小明", "document_type": "resident_id", "document_number": idcard.make("42010220100101123"),
        "school": "S1", "origin": "420102", "arrived_on": local_today().isoformat()}))
    await ok(client.put(f"{R}/people/{pupil['id']}/class", headers=admin, json={"school_class": "1A"}))
    handover = await svc.db.read.fetch_value("SELECT MIN(id) FROM handovers")
    resumption = await svc.db.read.fetch_value("SELECT MIN(id) FROM resumptions")
    assert handover and resumption
    return {"person": person["id"], "serial": issued["serial"], "handover": handover, "resumption": resumption,
            "resident_url": issued["resident_url"]}


async def test_every_console_page_speaks_words_and_local_times(
        aiohttp_client: Callable[..., Awaitable[TestClient]], config: GatewayConfig) -> None:
    client = await aiohttp_client(create_app(replace(config, webhook_interval_seconds=3600)))
    csrf = await login(client, "admin", "admin")
    world = await _world(client)
    pid, serial = world["person"], world["serial"]
    kid = svc_of(client).keystore.signing_key().kid.hex()
    pages = {
        "/console/": "/console/", "/console/login": None, "/console/people": "/console/people?filter=quarantine",
        "/console/people/new": "/console/people/new", "/console/people/{person_id}": f"/console/people/{pid}",
        "/console/people/{person_id}/edit": f"/console/people/{pid}/edit",
        "/console/people/{person_id}/slip": f"/console/people/{pid}/slip",
        "/console/people/{person_id}/passes/{serial}/revoke": f"/console/people/{pid}/passes/{serial}/revoke",
        "/console/people/import": "/console/people/import", "/console/sites": "/console/sites",
        "/console/sites/{code}": "/console/sites/CP-G312", "/console/sites/{code}/edit": "/console/sites/HY-1/edit",
        "/console/sites/{code}/resumption": "/console/sites/FAB-1/resumption",
        "/console/resumptions": "/console/resumptions?state=all",
        "/console/resumptions/{resumption_id}": f"/console/resumptions/{world['resumption']}",
        "/console/handovers": "/console/handovers", "/console/handovers/{handover_id}":
            f"/console/handovers/{world['handover']}",
        "/console/entries": "/console/entries", "/console/alerts": "/console/alerts",
        "/console/audit": "/console/audit", "/console/dashboard": "/console/dashboard",
        "/console/key-areas": "/console/key-areas?end=42", "/console/keys": "/console/keys",
        "/console/keys/{kid}/withdraw": f"/console/keys/{kid}/withdraw", "/console/today": "/console/today",
        "/console/reprints": "/console/reprints", "/console/webhooks": "/console/webhooks",
        "/console/major-events": "/console/major-events", "/console/reissue/{job_id}": None,
        "/console/desk": "/console/desk", "/console/schools": "/console/schools",
        "/console/schools/{school}": "/console/schools/S1"}
    missing = console_pages(client.server.app) - set(pages) - NOT_PAGES
    assert not missing, f"console pages the walk does not scan: {missing}"
    found: dict[str, list[str]] = {}
    for route, path in pages.items():
        if path is None or route not in console_pages(client.server.app):
            continue
        resp = await client.get(path)
        assert resp.status == 200, (path, resp.status)
        if issues := page_problems(await resp.text()):
            found[path] = issues
    for extra in ("/console/sites/FAB-1", "/console/sites/HY-1", "/console/sites/FAB-1/edit"):
        if issues := page_problems(await (await client.get(extra)).text()):
            found[extra] = issues
    # pages a form answers: an import preview with errors, an enrolment, a key withdrawn and its job
    form = aiohttp.FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("file", io.BytesIO(f"姓名,证件号码,社区,来自地区\n张三,{GOOD_ID},HEYUAN,420100\n"
                                      "李四,110105194912310021,HEYUAN,\n".encode()),
                   filename="list.csv", content_type="text/csv")
    resp = await client.post("/console/people/import", data=form)
    found.update({"import preview": p} if (p := page_problems(await resp.text())) else {})
    resp = await client.post("/console/sites/HY-1/enrolments", data={"csrf_token": csrf})
    found.update({"enrolment": p} if (p := page_problems(await resp.text())) else {})
    resp = await client.post(f"/console/keys/{kid}/withdraw", data={"csrf_token": csrf, "reason": "泄露",
                                                                    "confirm": "yes"})
    assert resp.status == 200 and "/console/reissue/" in str(resp.url)
    found.update({"reissue job": p} if (p := page_problems(await resp.text())) else {})
    resp = await client.post("/console/desk", data={"csrf_token": csrf, "document_type": "resident_id",
                                                    "document_number": idcard.make("42010219900101123")})
    found.update({"desk answer": p} if (p := page_problems(await resp.text())) else {})
    # the resident's own page and card: local human times, words (the page a returnee keeps on the phone)
    link = "/p/" + world["resident_url"].split("/p/", 1)[1]
    for path in (link, link + "/card", link + "?lang=en"):  # English words are no codes on an English page
        resp = await client.get(path)
        assert resp.status == 200, path
        issues = [p for p in page_problems(await resp.text()) if "lang=en" not in path or p.startswith("ISO")]
        found.update({path: issues} if issues else {})
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", await resp.text()), path  # valid until, as a person reads it
    resp = await client.get("/console/login")  # logged in: the login page still renders in words
    found.update({"login": p} if (p := page_problems(await resp.text())) else {})
    assert not found, "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_walk_knows_the_newer_codes() -> None:
    assert "checkpoint_key_area" in NEWER_CODES and "acknowledged" in NEWER_CODES
    assert page_problems("<td>checkpoint_key_area</td>") and not page_problems("<td>重点地区人员移交</td>")


def test_every_audit_action_has_words() -> None:
    """The audit page names each action; the gateway's actions are found in its source, the composed ones
    (handover.<step>, resumption.<decision>) from their vocabularies."""
    from gateway import handovers, resumption
    actions = set()
    for path in (ROOT / "gateway").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        actions |= set(re.findall(r'audit\.record\(\s*\w+,\s*[^,]+,\s*"([a-z_]+\.[a-z_]+)"', text))
        for one, other in re.findall(r'action(?:: str)? = "([a-z_]+\.[a-z_]+)"(?: if [^\n]* else "([a-z_.]+)")?',
                                     text):
            actions |= {one, other} - {""}
    actions |= {f"handover.{step}" for step in handovers.STEPS} | {f"resumption.{d}" for d in resumption.DECISIONS}
    assert len(actions) > 40
    assert sorted(actions - set(labels.codes("audit_action"))) == []


def test_audit_details_targets_and_system_reasons_in_words() -> None:
    details = {"kind": "referral", "community": "HEYUAN", "transport": "own_car",
               "links": ["origin:420100", "plate:42"], "quarantine_kind": "central"}
    words = labels.describe(details, ZoneInfo("Asia/Shanghai"))
    assert "发热人员转诊" in words and "原车隔离" in words and "湖北省 武汉市" in words and "湖北省" in words
    assert "集中隔离" in words or "集中" in words
    assert labels.describe({"kind": "factory"}, ZoneInfo("Asia/Shanghai")) == "类型: 工厂"  # a site's kind still reads as one
    assert labels.target_text("handover:12") == "交接 12" and labels.target_text("handover:12", "en") == "Hand-over 12"
    assert labels.target_text("something:x") == "something:x"
    assert labels.reason_text("registered at a road checkpoint") == "在道路卡口登记"
    assert labels.reason_text("我的原因 my reason") == "我的原因 my reason"  # a person's words stay theirs
