"""Rotating a leaked resident link: a new link, the old one 404 at once, the pass unchanged, audited."""

from __future__ import annotations

import json
from typing import Any

from gateway import passes
from gateway.appkeys import db_key

from .conftest import Client, person_body


def token_of(url: str) -> str:
    return url.rsplit("/p/", 1)[1]


async def _person_with_pass(client: Client, headers: dict[str, str], seed: int = 1) -> dict[str, Any]:
    person = await (await client.post("/api/v1/people", headers=headers, json=person_body(seed))).json()
    resp = await client.post(f"/api/v1/people/{person['id']}/passes", headers=headers)
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def _rotate(client: Client, headers: dict[str, str], person_id: int, body: Any) -> Any:
    return await client.post(f"/api/v1/people/{person_id}/resident-link/rotate", headers=headers, json=body)


async def test_rotation_kills_the_old_link_at_once(client: Client, registrar: dict[str, str],
                                                   admin: dict[str, str]) -> None:
    issued = await _person_with_pass(client, registrar)
    other = await _person_with_pass(client, registrar, seed=2)
    old = token_of(issued["resident_url"])
    assert (await client.get(f"/p/{old}")).status == 200
    resp = await _rotate(client, registrar, issued["person_id"], {"reason": "link posted in a group chat"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert body["person_id"] == issued["person_id"]
    new = token_of(body["resident_url"])
    assert new != old and len(new) >= 32
    assert (await client.get(f"/p/{old}")).status == 404
    assert await passes.by_resident_token(client.app[db_key], old) is None
    assert (await client.get(f"/p/{new}")).status == 200
    found = await passes.by_resident_token(client.app[db_key], new)
    assert found is not None and (found.serial, found.state) == (issued["serial"], "live")  # the pass is unchanged
    # someone else's link is untouched
    assert (await client.get(f"/p/{token_of(other['resident_url'])}")).status == 200
    # a reissue keeps the person's new link
    reissued = await client.post(f"/api/v1/passes/{issued['serial']}/reissue", headers=registrar,
                                 json={"reason": "photo of the QR shared too"})
    assert token_of((await reissued.json())["resident_url"]) == new
    audit = (await (await client.get("/api/v1/audit?action=person.resident_link_rotate",
                                     headers=admin)).json())["audit"]
    assert [(a["actor"], a["target"], a["reason"]) for a in audit] == [
        ("token:2(test-registrar)", f"person:{issued['person_id']}", "link posted in a group chat")]
    # the audit log must not itself open the pass
    assert old not in json.dumps(audit) and new not in json.dumps(audit)


async def test_admin_may_rotate_viewer_may_not(client: Client, admin: dict[str, str],
                                               viewer: dict[str, str]) -> None:
    issued = await _person_with_pass(client, admin)
    resp = await _rotate(client, viewer, issued["person_id"], {"reason": "x"})
    assert resp.status == 403
    assert (await client.get(f"/p/{token_of(issued['resident_url'])}")).status == 200
    resp = await _rotate(client, admin, issued["person_id"], {"reason": "x"})
    assert resp.status == 200


async def test_rotation_errors_change_nothing(client: Client, registrar: dict[str, str],
                                              admin: dict[str, str]) -> None:
    issued = await _person_with_pass(client, registrar)
    no_pass = await (await client.post("/api/v1/people", headers=registrar, json=person_body(5))).json()
    pid = issued["person_id"]
    cases: list[tuple[Any, Any, int, str]] = [
        (pid, {}, 422, "invalid"), (pid, {"reason": ""}, 422, "invalid"), (pid, {"reason": 5}, 422, "invalid"),
        (pid, {"reason": "x", "token": "mine"}, 422, "invalid"), (pid, [], 422, "invalid"),
        (999, {"reason": "x"}, 404, "not_found"), ("abc", {"reason": "x"}, 422, "invalid"),
        (no_pass["id"], {"reason": "x"}, 409, "no_resident_link")]
    for person_id, body, status, code in cases:
        resp = await _rotate(client, registrar, person_id, body)
        assert resp.status == status, (person_id, body, await resp.text())
        assert (await resp.json())["error"]["code"] == code
    resp = await client.post(f"/api/v1/people/{pid}/resident-link/rotate", headers=registrar, data=b"{nope")
    assert resp.status == 400
    assert (await client.get(f"/p/{token_of(issued['resident_url'])}")).status == 200
    audit = (await (await client.get("/api/v1/audit?action=person.resident_link_rotate",
                                     headers=admin)).json())["audit"]
    assert audit == []
