"""Site settings edited field by field (PATCH /api/v1/sites/{code}): validated per field, audited
old -> new, admins only, and the new policy signed into the site's next bundle."""

from __future__ import annotations

import base64
import json

from gateway.appkeys import db_key
from gateway.auth import create_token
from keys import TrustSet, load_policy

from .conftest import Client, bearer, enrol_device, make_site


async def test_one_field_changes_and_the_rest_stays(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "F1", "factory", employers=["E1"], open_from="2020-02-10",
                    fever_threshold=37.5)
    resp = await client.patch("/api/v1/sites/F1", headers=admin,
                              json={"policy": {"open_from": "2020-02-17T08:00"}, "reason": "复工推迟"})
    assert resp.status == 200, await resp.text()
    site = await resp.json()
    assert site["changed"] == ["open_from"]
    assert site["policy"]["open_from"] == "2020-02-17T08:00:00+08:00"
    assert site["policy"]["employers"] == ["E1"] and site["policy"]["fever_threshold"] == 37.5
    resp = await client.patch("/api/v1/sites/F1", headers=admin, json={
        "name": "east works", "policy": {"timezone": "Asia/Urumqi", "max_data_age": 7200, "visitors": True,
                                         "require_temperature": True, "employers": ["E1", "E2"],
                                         "schools": ["S9"], "fever_threshold": 37.2}})
    site = await resp.json()
    assert site["changed"] == ["employers", "fever_threshold", "max_data_age", "name", "require_temperature",
                               "schools", "timezone", "visitors"]
    assert site["name"] == "east works" and site["policy"]["timezone"] == "Asia/Urumqi"
    # an opening time given without an offset is read in the site's (new) time zone
    site = await (await client.patch("/api/v1/sites/F1", headers=admin,
                                     json={"policy": {"open_from": "2020-03-01T09:00"}})).json()
    assert site["policy"]["open_from"] == "2020-03-01T09:00:00+06:00"
    # nothing changed: nothing recorded
    same = await (await client.patch("/api/v1/sites/F1", headers=admin,
                                     json={"policy": {"visitors": True}})).json()
    assert same["changed"] == []
    rows = await client.app[db_key].read.fetch_all(
        "SELECT actor, reason, details FROM audit WHERE action = 'site.edit' ORDER BY id")
    assert len(rows) == 3
    first = json.loads(rows[0]["details"])
    assert first == {"changed": ["open_from"], "old": {"open_from": "2020-02-10T00:00:00+08:00"},
                     "new": {"open_from": "2020-02-17T08:00:00+08:00"}}
    assert rows[0]["reason"] == "复工推迟" and rows[0]["actor"].startswith("token:")
    second = json.loads(rows[1]["details"])
    assert second["old"]["max_data_age"] == 86400 and second["new"]["max_data_age"] == 7200
    assert second["old"]["name"] == "site F1" and second["new"]["name"] == "east works"


async def test_a_replacement_records_what_it_changed_and_what_it_took_away(client: Client,
                                                                          admin: dict[str, str]) -> None:
    """PUT replaces the whole site: its audit row lists each changed field old -> new, as an edit's does,
    so the lists and the opening time a replacement left out are seen going, not only the new policy."""
    await make_site(client, admin, "S1", "community", communities=["C1", "C2"], open_from="2020-02-10",
                    visitors=True)
    resp = await client.put("/api/v1/sites/S1", headers=admin, json={
        "name": "east works", "kind": "factory", "policy": {"employers": ["E1"], "fever_threshold": 37.5}})
    assert resp.status == 200, await resp.text()
    same = await client.put("/api/v1/sites/S1", headers=admin, json={
        "name": "east works", "kind": "factory", "policy": {"employers": ["E1"], "fever_threshold": 37.5}})
    assert same.status == 200
    rows = await client.app[db_key].read.fetch_all(
        "SELECT details FROM audit WHERE action = 'site.update' AND target = 'site:S1' ORDER BY id")
    replaced, again = (json.loads(r["details"]) for r in rows)
    changed = ["communities", "employers", "fever_threshold", "kind", "name", "open_from", "visitors"]
    assert replaced["changed"] == changed
    assert replaced["old"] == {"communities": ["C1", "C2"], "employers": [], "fever_threshold": 37.3,
                               "kind": "community", "name": "site S1", "open_from": "2020-02-10T00:00:00+08:00",
                               "visitors": True}
    assert replaced["new"] == {"communities": [], "employers": ["E1"], "fever_threshold": 37.5,
                               "kind": "factory", "name": "east works", "open_from": None, "visitors": False}
    assert again == {"changed": [], "old": {}, "new": {}}  # replaced by the same: recorded, nothing changed


async def test_each_bad_field_is_named(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "F1", "factory", employers=["E1"])
    cases = [({"policy": {"open_from": "soon"}}, "policy.open_from"),
             ({"policy": {"fever_threshold": 50}}, "policy.fever_threshold"),
             ({"policy": {"fever_threshold": "hot"}}, "policy.fever_threshold"),
             ({"policy": {"max_data_age": 10}}, "policy.max_data_age"),
             ({"policy": {"timezone": "Mars/Olympus"}}, "policy.timezone"),
             ({"policy": {"visitors": "yes"}}, "policy.visitors"),
             ({"policy": {"require_temperature": 1}}, "policy.require_temperature"),
             ({"policy": {"employers": "E1"}}, "policy.employers"),
             ({"policy": {"communities": ["bad\ncode"]}}, "policy.communities"),
             ({"policy": {"kind": "school"}}, "policy.kind"), ({"policy": {"site": "F2"}}, "policy.site"),
             ({"policy": {"colour": "red"}}, "policy.colour"), ({"policy": []}, "policy"),
             ({"name": ""}, "name"), ({"code": "F2"}, "code"), ({"reason": ""}, "reason")]
    for body, field in cases:
        resp = await client.patch("/api/v1/sites/F1", headers=admin, json=body)
        assert resp.status == 422, body
        error = (await resp.json())["error"]
        assert error["field"] == field and error["message"], body
    assert (await client.patch("/api/v1/sites/NOPE", headers=admin, json={"policy": {}})).status == 404
    stored = await (await client.get("/api/v1/sites/F1", headers=admin)).json()
    assert stored["policy"]["fever_threshold"] == 37.3 and stored["updated_at"] == stored["created_at"]


async def test_only_admins_edit_not_the_site_operator(client: Client, admin: dict[str, str],
                                                      registrar: dict[str, str]) -> None:
    await make_site(client, admin, "F1", "factory", employers=["E1"])
    db = client.app[db_key]
    operator = bearer(await create_token(db, role="registrar", label="factory hr", scope="site:F1"))
    for headers in (registrar, operator):
        resp = await client.patch("/api/v1/sites/F1", headers=headers, json={"policy": {"employers": ["E9"]}})
        assert resp.status == 403
    assert (await client.get("/api/v1/sites/F1", headers=operator)).status == 200


async def test_the_next_bundle_carries_the_edited_policy_signed(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "F1", "factory", employers=["E1"], open_from="2099-01-01")
    device = await enrol_device(client, admin, "F1")
    trust = TrustSet.from_jwks(device["jwks"])
    headers = bearer(device["credential"])
    before = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    assert load_policy(base64.b64decode(before["policy"]), trust).open_from.year == 2099
    await client.patch("/api/v1/sites/F1", headers=admin,
                       json={"policy": {"open_from": "2020-02-10T08:00", "fever_threshold": 37.0}})
    after = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    policy = load_policy(base64.b64decode(after["policy"]), trust)
    assert policy.open_from.isoformat() == "2020-02-10T08:00:00+08:00" and policy.fever_threshold == 37.0
