"""Sites and policies, single-use enrolment, the signed bundle (full and delta revocations)."""

from __future__ import annotations

import base64
import json

from gateway.appkeys import config_key
from keys import TrustSet, load_policy, load_revocations

from .conftest import Client, bearer, enrol_device, make_site, person_body


async def test_policy_is_validated_with_the_field(client: Client, admin: dict[str, str]) -> None:
    cases = [({"open_from": "soon"}, "policy.open_from"), ({"fever_threshold": 50}, "policy.fever_threshold"),
             ({"site": "OTHER"}, "policy.site"), ({"kind": "school"}, "policy.kind"),
             ({"colour": "red"}, "policy.colour"), ({"communities": "C1"}, "policy.communities")]
    for policy, field in cases:
        resp = await client.post("/api/v1/sites", headers=admin,
                                 json={"code": "F1", "name": "factory", "kind": "factory", "policy": policy})
        assert resp.status == 422, policy
        assert (await resp.json())["error"]["field"] == field
    site = await make_site(client, admin, "F1", "factory", employers=["E1"], open_from="2020-02-10")
    assert site["policy"]["open_from"] == "2020-02-10T00:00:00+08:00"
    resp = await client.post("/api/v1/sites", headers=admin,
                             json={"code": "F1", "name": "again", "kind": "factory", "policy": {}})
    assert resp.status == 409
    assert (await (await client.get("/api/v1/sites/F1", headers=admin)).json())["name"] == "site F1"
    assert (await client.get("/api/v1/sites/NOPE", headers=admin)).status == 404
    resp = await client.put("/api/v1/sites/F1", headers=admin,
                            json={"name": "factory", "kind": "factory", "policy": {"open_from": "2020-02-20"}})
    assert (await resp.json())["policy"]["open_from"] == "2020-02-20T00:00:00+08:00"


async def test_enrolment_is_single_use_and_expires(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1")
    resp = await client.post("/api/v1/sites/S1/enrolments", headers=admin, json={"expires_in": 60})
    enrolment = await resp.json()
    assert enrolment["qr_text"].startswith("QGENROLL:")
    payload = json.loads(enrolment["qr_text"].removeprefix("QGENROLL:"))
    # the configured address, never the Host header of the request that asked
    from gateway.appkeys import services_key
    assert payload == {"gateway": client.app[config_key].base_url, "token": enrolment["token"],
                       "root": client.app[services_key].authority.current_root().fingerprint}
    first = await client.post("/api/v1/devices/enroll", json={"token": enrolment["token"], "name": "east"})
    assert first.status == 201
    device = await first.json()
    assert device["credential"].startswith("qgd_") and device["site"] == "S1"
    assert TrustSet.from_jwks(device["jwks"])
    again = await client.post("/api/v1/devices/enroll", json={"token": enrolment["token"], "name": "east"})
    assert again.status == 403 and (await again.json())["error"]["code"] == "enrolment_invalid"
    unknown = await client.post("/api/v1/devices/enroll", json={"token": "qge_unknown"})
    assert unknown.status == 403
    # an expired token: made to expire by rewriting its time, as the clock would
    resp = await client.post("/api/v1/sites/S1/enrolments", headers=admin)
    token = (await resp.json())["token"]
    from gateway.appkeys import db_key
    async with client.app[db_key].transaction() as tx:
        await tx.execute("UPDATE enrolments SET expires_at = '2020-01-01T00:00:00+00:00'")
    expired = await client.post("/api/v1/devices/enroll", json={"token": token})
    assert expired.status == 403
    devices = await (await client.get("/api/v1/devices?site=S1", headers=admin)).json()
    assert [d["name"] for d in devices["devices"]] == ["east"]


async def test_bundle_full_then_delta(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    trust = TrustSet.from_jwks(device["jwks"])
    people = []
    for seed in (1, 2, 3):
        person = await (await client.post("/api/v1/people", headers=admin, json=person_body(seed))).json()
        people.append(await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json())
    await client.post(f"/api/v1/passes/{people[0]['serial']}/revoke", headers=admin, json={"reason": "a"})
    bundle = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    assert (bundle["revocations_kind"], bundle["revocations_seq"]) == ("full", 1)
    assert bundle["device_id"] == device["device_id"] and bundle["site"] == "S1"
    full = load_revocations(base64.b64decode(bundle["revocations"]), trust)
    assert full.serials == {bytes.fromhex(people[0]["serial"])}
    assert load_policy(base64.b64decode(bundle["policy"]), trust).communities == ("C1",)
    await client.post(f"/api/v1/passes/{people[1]['serial']}/revoke", headers=admin, json={"reason": "b"})
    delta = await (await client.get("/api/v1/devices/bundle?since=1", headers=headers)).json()
    assert (delta["revocations_kind"], delta["revocations_seq"]) == ("delta", 2)
    merged = load_revocations(base64.b64decode(delta["revocations"]), trust, full)
    assert merged.serials == {bytes.fromhex(p["serial"]) for p in people[:2]}
    # a version the gateway never gave out: a full list
    ahead = await (await client.get("/api/v1/devices/bundle?since=99", headers=headers)).json()
    assert ahead["revocations_kind"] == "full"
    for bad in ("-1", "x", "1.5", "²"):
        assert (await client.get(f"/api/v1/devices/bundle?since={bad}", headers=headers)).status == 422


async def test_jwks_is_public(client: Client) -> None:
    resp = await client.get("/.well-known/jwks.json")
    assert resp.status == 200 and TrustSet.from_jwks(await resp.json())


async def test_rotation_and_withdrawal_reach_the_next_bundle(client: Client, admin: dict[str, str]) -> None:
    from gateway.appkeys import services_key
    from keys import Reason, accept_keyset
    from keys.trust import b64url_decode
    await make_site(client, admin, "S1")
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    root = b64url_decode(device["root"])
    assert device["root_fingerprint"] == client.app[services_key].authority.current_root().fingerprint
    authority = client.app[services_key].authority
    enrolled = accept_keyset(base64.b64decode(device["keyset"]), [], root, None, now=None).keyset
    old_kid = authority.issuers.signing_key().kid.hex()
    authority.rotate()
    rotated = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    assert len(rotated["jwks"]["keys"]) == 2 and rotated["keyset_version"] == enrolled.version + 1
    held = accept_keyset(base64.b64decode(rotated["keyset"]), [], root, enrolled, now=None).keyset
    load_policy(base64.b64decode(rotated["policy"]), held.trust_set())  # signed by the new key
    events = authority.withdraw(old_kid, "leaked")
    assert "keys.withdraw" in [e.action for e in events]
    withdrawn = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    assert len(withdrawn["jwks"]["keys"]) == 1
    latest = accept_keyset(base64.b64decode(withdrawn["keyset"]), [], root, held, now=None).keyset
    assert latest.withdrawal(bytes.fromhex(old_kid)) is not None
    assert bytes.fromhex(old_kid) in latest.trust_set().withdrawn
    # a gate holding the newer set refuses the older one (a replay)
    import pytest

    from keys import DocumentError
    with pytest.raises(DocumentError, match="older"):
        accept_keyset(base64.b64decode(rotated["keyset"]), [], root, latest, now=None)
    assert Reason.KEY_WITHDRAWN.value == "key_withdrawn"