"""Every mutating API route, called successfully, adds an audit row naming its actor.

The walk is over the route table itself: a new POST/PUT/PATCH/DELETE route fails this test until
it has a recipe here (or a written reason why its record lives elsewhere).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.api.routes import ROUTES
from gateway.appkeys import db_key
from tests.city import local_today

from .conftest import Chain, Client, bearer, enrol_device, make_site, person_body

MUTATING = sorted((m, p) for m, p, _ in ROUTES if m in {"POST", "PUT", "PATCH", "DELETE"} and p.startswith("/api/v1/"))
# an entry upload is the record itself: each entry keeps its device, site, scan time and receipt time
# (test_entry_uploads_are_their_own_record); an audit row per entry would double the write load
RECORDED_ELSEWHERE = {("POST", "/api/v1/entries")}
# a checkpoint record is its own record too (device, site, its time and the receipt time); the files and
# hand-overs it opens are audited under the device (tests/gateway/test_checkpoint.py)
RECORDED_ELSEWHERE |= {("POST", "/api/v1/checkpoint/records")}
ADMIN_ACTOR, REGISTRAR_ACTOR = "token:1(test-admin)", "token:2(test-registrar)"


@dataclass
class World:
    """One gateway with a site, an enrolled device and a Hubei returnee holding a pass."""

    client: Client
    tokens: dict[str, str]
    person_id: int = 0
    serial: str = ""
    device: dict[str, Any] = field(default_factory=dict)

    def headers(self, role: str) -> dict[str, str]:
        return bearer(self.tokens[role])

    async def post(self, path: str, role: str, body: Any) -> dict[str, Any]:
        resp = await self.client.post(path, headers=self.headers(role), json=body)
        assert resp.status < 300, (path, await resp.text())
        return await resp.json()


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    actor: str | Callable[[dict[str, Any]], str]  # a device's actor is known only from the answer


Recipe = Callable[[World], Awaitable[Call]]
R = "/api/v1"


async def _new_person(w: World) -> Call:
    return Call("POST", f"{R}/people", w.headers("registrar"), person_body(8), REGISTRAR_ACTOR)


async def _patch(w: World) -> Call:
    return Call("PATCH", f"{R}/people/{w.person_id}", w.headers("registrar"), {"address": "2 Lane"}, REGISTRAR_ACTOR)


async def _health(w: World) -> Call:
    return Call("POST", f"{R}/people/{w.person_id}/health-checks", w.headers("registrar"),
                {"temperature": 36.6, "symptoms": []}, REGISTRAR_ACTOR)


async def _end_quarantine(w: World) -> Call:
    return Call("POST", f"{R}/people/{w.person_id}/quarantine/end", w.headers("admin"),
                {"reason": "tested negative twice"}, ADMIN_ACTOR)


async def _clear(w: World) -> Call:
    return Call("POST", f"{R}/people/{w.person_id}/clear", w.headers("admin"), {"reason": "observed"}, ADMIN_ACTOR)


async def _issue(w: World) -> Call:
    other = await w.post(f"{R}/people", "registrar", person_body(9))
    return Call("POST", f"{R}/people/{other['id']}/passes", w.headers("registrar"), None, REGISTRAR_ACTOR)


async def _rotate(w: World) -> Call:
    return Call("POST", f"{R}/people/{w.person_id}/resident-link/rotate", w.headers("registrar"),
                {"reason": "leaked"}, REGISTRAR_ACTOR)


async def _reset_binding(w: World) -> Call:
    # a phone binds through the resident link first (its own audit row comes before the one checked)
    link = await w.post(f"{R}/people/{w.person_id}/resident-link/rotate", "registrar", {"reason": "test"})
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    resp = await w.client.post(urlsplit(link["resident_url"]).path + "/bind",
                               json={"alg": "Ed25519", "public_key": base64.urlsafe_b64encode(raw).decode().rstrip("=")})
    assert resp.status == 200, await resp.text()
    return Call("POST", f"{R}/people/{w.person_id}/holder-binding/reset", w.headers("registrar"),
                {"reason": "phone lost"}, REGISTRAR_ACTOR)


async def _revoke(w: World) -> Call:
    return Call("POST", f"{R}/passes/{w.serial}/revoke", w.headers("registrar"), {"reason": "lost"}, REGISTRAR_ACTOR)


async def _reissue(w: World) -> Call:
    return Call("POST", f"{R}/passes/{w.serial}/reissue", w.headers("registrar"), {"reason": "torn"},
                REGISTRAR_ACTOR)


async def _site(w: World) -> Call:
    return Call("POST", f"{R}/sites", w.headers("admin"), {"code": "S2", "name": "east", "kind": "factory"},
                ADMIN_ACTOR)


async def _put_site(w: World) -> Call:
    return Call("PUT", f"{R}/sites/S1", w.headers("admin"), {"name": "renamed", "kind": "community"}, ADMIN_ACTOR)


async def _patch_site(w: World) -> Call:
    return Call("PATCH", f"{R}/sites/S1", w.headers("admin"), {"policy": {"fever_threshold": 37.0}}, ADMIN_ACTOR)


async def _enrolment(w: World) -> Call:
    return Call("POST", f"{R}/sites/S1/enrolments", w.headers("admin"), {}, ADMIN_ACTOR)


async def _enroll(w: World) -> Call:
    enrolment = await w.post(f"{R}/sites/S1/enrolments", "admin", {})
    return Call("POST", f"{R}/devices/enroll", {}, {"token": enrolment["token"], "name": "south"},
                lambda answer: f"device:{answer['device_id']}")


async def _disable(w: World) -> Call:
    return Call("POST", f"{R}/devices/{w.device['device_id']}/disable", w.headers("admin"), {"reason": "stolen"},
                ADMIN_ACTOR)


async def _device_status(w: World) -> Call:
    return Call("POST", f"{R}/devices/status", bearer(w.device["credential"]), {"problem": "key set: bad signature"},
                f"device:{w.device['device_id']}")


async def _revoke_token(w: World) -> Call:
    return Call("POST", f"{R}/tokens/3/revoke", w.headers("admin"), {"reason": "leaked"}, ADMIN_ACTOR)


async def _put_key_area(w: World) -> Call:
    return Call("PUT", f"{R}/key-areas/4201", w.headers("admin"), {"from": "2020-01-23", "reason": "Wuhan"},
                ADMIN_ACTOR)


async def _delete_key_area(w: World) -> Call:
    return Call("DELETE", f"{R}/key-areas/42", w.headers("admin"), {"reason": "no longer a key area"},
                ADMIN_ACTOR)


async def _rotate_key(w: World) -> Call:
    return Call("POST", f"{R}/keys/rotate", w.headers("admin"), {"reason": "yearly"}, ADMIN_ACTOR)


async def _withdraw_key(w: World) -> Call:
    keys = (await (await w.client.get(f"{R}/keys", headers=w.headers("admin"))).json())["keys"]
    return Call("POST", f"{R}/keys/{keys[0]['kid']}/withdraw", w.headers("admin"), {"reason": "leaked"},
                ADMIN_ACTOR)


async def _import(w: World) -> Call:
    body = person_body(2)  # a household list of one (CSV bytes, not JSON)
    csv = f"姓名,证件号码,社区\n{body['name']},{body['document_number']},C1\n".encode()
    return Call("POST", f"{R}/people/import", w.headers("registrar"), csv, REGISTRAR_ACTOR)


async def _handover_step(w: World) -> Call:
    from .checkpoint_helpers import checkpoint_world, person, record, upload

    device = await checkpoint_world(w.client, w.headers("admin"))
    answer = await (await upload(w.client, device, record([person()]))).json()
    return Call("POST", f"{R}/handovers/{answer['handovers'][0]}/steps", w.headers("registrar"),
                {"step": "acknowledge"}, REGISTRAR_ACTOR)


async def _put_webhook(w: World) -> Call:
    return Call("PUT", f"{R}/webhooks/T-BC", w.headers("admin"), {"url": "http://127.0.0.1:9/hook", "reason": "set up"},
                ADMIN_ACTOR)


async def _retry_webhook(w: World) -> Call:
    import time

    import aiohttp

    from gateway import webhooks
    from gateway.appkeys import services_key

    resp = await w.client.put(f"{R}/webhooks/T-BC", headers=w.headers("admin"),
                              json={"url": "http://127.0.0.1:9/hook", "reason": "port 9: nobody answers"})
    assert resp.status == 200
    await _handover_step(w)  # a record whose hand-over is queued for T-BC
    at = time.time()
    async with aiohttp.ClientSession() as session:
        for attempt in range(1, webhooks.MAX_ATTEMPTS + 1):
            await webhooks.deliver_due(w.client.app[services_key], session, at=at)
            at += webhooks.backoff(attempt)
    dead = (await (await w.client.get(f"{R}/webhook-deliveries?state=dead", headers=w.headers("admin"))).json())
    return Call("POST", f"{R}/webhook-deliveries/{dead['deliveries'][0]['id']}/retry", w.headers("admin"),
                {"reason": "township back"}, ADMIN_ACTOR)


async def _ack_major_event(w: World) -> Call:
    await _handover_step(w)  # a key-area person found at a checkpoint: a major-event report
    events = await (await w.client.get(f"{R}/major-events", headers=w.headers("admin"))).json()
    return Call("POST", f"{R}/major-events/{events['major_events'][0]['id']}/acknowledge", w.headers("registrar"),
                {"note": "seen"}, REGISTRAR_ACTOR)


FIVE_IN_PLACE = {k: {"done": True} for k in ("conditions", "entry_control", "notices", "briefings", "commitment")}
APPROVER_ACTOR = "token:4(test-approver)"


async def _apply_resumption(w: World) -> Call:
    await w.post(f"{R}/sites", "admin", {"code": "F1", "name": "works", "kind": "factory",
                                         "policy": {"resumption_required": True}})
    return Call("POST", f"{R}/sites/F1/resumptions", w.headers("registrar"), {"items": FIVE_IN_PLACE},
                REGISTRAR_ACTOR)


async def _decide_resumption(w: World) -> Call:
    await w.post(f"{R}/sites", "admin", {"code": "F1", "name": "works", "kind": "factory",
                                         "policy": {"resumption_required": True}})
    applied = await w.post(f"{R}/sites/F1/resumptions", "registrar", {"items": FIVE_IN_PLACE})
    return Call("POST", f"{R}/resumptions/{applied['id']}/decision", w.headers("approver"),
                {"decision": "approve", "reason": "five in place"}, APPROVER_ACTOR)


async def _withdraw_resumption(w: World) -> Call:
    await w.post(f"{R}/sites", "admin", {"code": "F1", "name": "works", "kind": "factory",
                                         "policy": {"resumption_required": True}})
    applied = await w.post(f"{R}/sites/F1/resumptions", "registrar", {"items": FIVE_IN_PLACE})
    await w.post(f"{R}/resumptions/{applied['id']}/decision", "approver",
                 {"decision": "approve", "reason": "five in place"})
    return Call("POST", f"{R}/resumptions/{applied['id']}/withdrawal", w.headers("approver"),
                {"reason": "拒不整改"}, APPROVER_ACTOR)


async def _add_guardian(w: World) -> Call:
    guardian = await w.post(f"{R}/people", "registrar", person_body(9))
    return Call("POST", f"{R}/people/{w.person_id}/guardianships", w.headers("registrar"),
                {"guardian_id": guardian["id"], "consent_by": "dependant", "consent_how": "in_person"},
                REGISTRAR_ACTOR)


async def _end_guardian(w: World) -> Call:
    guardian = await w.post(f"{R}/people", "registrar", person_body(9))
    care = await w.post(f"{R}/people/{w.person_id}/guardianships", "registrar",
                        {"guardian_id": guardian["id"], "consent_by": "legal_guardian", "consent_how": "phone"})
    return Call("POST", f"{R}/guardianships/{care['id']}/end", w.headers("registrar"), {"reason": "moved away"},
                REGISTRAR_ACTOR)


TEACHER_ACTOR = "token:5(test-teacher)"  # scoped to class:S1/1A (conftest)


async def _school_class(w: World) -> int:
    """Class 1A of school S1 with a student not yet back (an origin, no arrival): the teacher's class."""
    await w.post(f"{R}/schools/S1/classes", "admin", {"code": "1A", "name": "一年级一班"})
    person = await w.post(f"{R}/people", "registrar", person_body(9, school="S1", origin="310101"))
    resp = await w.client.put(f"{R}/people/{person['id']}/class", headers=w.headers("admin"),
                              json={"school_class": "1A"})
    assert resp.status == 200, await resp.text()
    return int(person["id"])


async def _create_class(w: World) -> Call:
    return Call("POST", f"{R}/schools/S1/classes", w.headers("registrar"), {"code": "2B", "name": "二年级二班"},
                REGISTRAR_ACTOR)


async def _update_class(w: World) -> Call:
    await _school_class(w)
    return Call("PATCH", f"{R}/schools/S1/classes/1A", w.headers("registrar"), {"grade": "一年级"},
                REGISTRAR_ACTOR)


async def _set_class(w: World) -> Call:
    await w.post(f"{R}/schools/S1/classes", "admin", {"code": "1A", "name": "一年级一班"})
    resp = await w.client.patch(f"{R}/people/{w.person_id}", headers=w.headers("admin"), json={"school": "S1"})
    assert resp.status == 200, await resp.text()
    return Call("PUT", f"{R}/people/{w.person_id}/class", w.headers("registrar"),
                {"school_class": "1A", "member": "staff"}, REGISTRAR_ACTOR)


async def _contact(w: World) -> Call:
    person_id = await _school_class(w)
    return Call("POST", f"{R}/people/{person_id}/contacts", w.headers("teacher"),
                {"note": "在武汉家中，情绪稳定", "health": "无发热", "plans": "疫情结束后返昆"}, TEACHER_ACTOR)


RECIPES: dict[tuple[str, str], Recipe] = {
    ("POST", f"{R}/people/{{person_id}}/guardianships"): _add_guardian,
    ("POST", f"{R}/guardianships/{{guardianship_id}}/end"): _end_guardian,
    ("POST", f"{R}/schools/{{school}}/classes"): _create_class,
    ("PATCH", f"{R}/schools/{{school}}/classes/{{class_code}}"): _update_class,
    ("PUT", f"{R}/people/{{person_id}}/class"): _set_class,
    ("POST", f"{R}/people/{{person_id}}/contacts"): _contact,
    ("POST", f"{R}/major-events/{{event_id}}/acknowledge"): _ack_major_event,
    ("PUT", f"{R}/webhooks/{{township}}"): _put_webhook,
    ("POST", f"{R}/webhook-deliveries/{{delivery_id}}/retry"): _retry_webhook,
    ("POST", f"{R}/handovers/{{handover_id}}/steps"): _handover_step,
    ("POST", f"{R}/sites/{{code}}/resumptions"): _apply_resumption,
    ("POST", f"{R}/resumptions/{{resumption_id}}/decision"): _decide_resumption,
    ("POST", f"{R}/resumptions/{{resumption_id}}/withdrawal"): _withdraw_resumption,
    ("PUT", f"{R}/key-areas/{{prefix}}"): _put_key_area,
    ("DELETE", f"{R}/key-areas/{{prefix}}"): _delete_key_area,
    ("POST", f"{R}/people"): _new_person,
    ("POST", f"{R}/people/import"): _import,
    ("PATCH", f"{R}/people/{{person_id}}"): _patch,
    ("POST", f"{R}/people/{{person_id}}/health-checks"): _health,
    ("POST", f"{R}/people/{{person_id}}/quarantine/end"): _end_quarantine,
    ("POST", f"{R}/people/{{person_id}}/clear"): _clear,
    ("POST", f"{R}/people/{{person_id}}/passes"): _issue,
    ("POST", f"{R}/people/{{person_id}}/resident-link/rotate"): _rotate,
    ("POST", f"{R}/people/{{person_id}}/holder-binding/reset"): _reset_binding,
    ("POST", f"{R}/passes/{{serial}}/revoke"): _revoke,
    ("POST", f"{R}/passes/{{serial}}/reissue"): _reissue,
    ("POST", f"{R}/sites"): _site,
    ("PUT", f"{R}/sites/{{code}}"): _put_site,
    ("PATCH", f"{R}/sites/{{code}}"): _patch_site,
    ("POST", f"{R}/sites/{{code}}/enrolments"): _enrolment,
    ("POST", f"{R}/devices/enroll"): _enroll,
    ("POST", f"{R}/devices/{{device_id}}/disable"): _disable,
    ("POST", f"{R}/devices/status"): _device_status,
    ("POST", f"{R}/tokens/{{token_id}}/revoke"): _revoke_token,
    ("POST", f"{R}/keys/rotate"): _rotate_key,
    ("POST", f"{R}/keys/{{kid}}/withdraw"): _withdraw_key,
}


async def _world(client: Client, tokens: dict[str, str]) -> World:
    w = World(client, tokens)
    await make_site(client, bearer(tokens["admin"]), "S1", communities=["C1"])
    w.device = await enrol_device(client, bearer(tokens["admin"]), "S1")
    person = await w.post(f"{R}/people", "registrar", person_body(
        1, origin="420100", arrived_on=local_today().isoformat()))
    w.person_id = person["id"]
    w.serial = (await w.post(f"{R}/people/{w.person_id}/passes", "registrar", None))["serial"]
    return w


async def _last_audit_id(client: Client) -> int:
    row = await client.app[db_key].read.fetch_one("SELECT COALESCE(MAX(id), 0) FROM audit")
    return int(row[0])


def test_every_mutating_route_is_walked() -> None:
    assert set(RECIPES) | RECORDED_ELSEWHERE == set(MUTATING)
    assert len(MUTATING) >= 16


@pytest.mark.parametrize(("method", "path"), sorted(set(MUTATING) - RECORDED_ELSEWHERE))
async def test_each_successful_change_is_audited_with_its_actor(client: Client, tokens: dict[str, str],
                                                                method: str, path: str) -> None:
    assert (method, path) in RECIPES, f"{method} {path}: a mutating route with no audit recipe"
    w = await _world(client, tokens)
    call = await RECIPES[method, path](w)
    assert (call.method, call.path.split("/")[3]) == (method, path.split("/")[3])
    before = await _last_audit_id(client)
    kwargs: dict[str, Any] = ({} if call.body is None else {"data": call.body} if isinstance(call.body, bytes)
                              else {"json": call.body})
    resp = await client.request(call.method, call.path, headers=call.headers, **kwargs)
    assert resp.status < 300, (method, path, await resp.text())
    actor = call.actor(await resp.json()) if callable(call.actor) else call.actor
    listed = await client.get(f"{R}/audit?after={before}", headers=w.headers("admin"))
    rows = (await listed.json())["audit"]
    assert rows, f"{method} {path} succeeded but wrote no audit row"
    assert actor in {r["actor"] for r in rows}, (method, path, rows)
    for row in rows:
        assert row["at"] and row["action"] and row["target"]


async def test_entry_uploads_are_their_own_record(client: Client, tokens: dict[str, str]) -> None:
    w = await _world(client, tokens)
    chain = Chain(w.device["device_id"], "S1")
    batch = [chain.entry(serial=w.serial), chain.entry(decision="deny", reason="quarantine")]
    resp = await client.post(f"{R}/entries", headers=bearer(w.device["credential"]), json={"entries": batch})
    assert resp.status == 200 and (await resp.json())["accepted"] == 2
    listed = await (await client.get(f"{R}/entries", headers=w.headers("admin"))).json()
    stored = {e["id"]: e for e in listed["entries"]}
    for sent in batch:
        row = stored[sent["id"]]
        assert (row["device_id"], row["site"], row["scanned_at"]) == (w.device["device_id"], "S1",
                                                                       sent["scanned_at"])
        assert row["received_at"] and row["chain_ok"]
