"""Sites and policies, single-use enrolment, the signed bundle (full and delta revocations)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from typing import Any

from gateway.appkeys import config_key
from keys import TrustSet, load_policy, open_document

from .bundles import revocations_of, seed_revoked
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


async def test_bundle_is_assembled_from_documents_signed_once(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    trust = TrustSet.from_jwks(device["jwks"])
    people = []
    for seed in (1, 2, 3):
        person = await (await client.post("/api/v1/people", headers=admin, json=person_body(seed))).json()
        people.append(await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json())
    await client.post(f"/api/v1/passes/{people[0]['serial']}/revoke", headers=admin, json={"reason": "a"})
    first = await client.get("/api/v1/devices/bundle", headers=headers)
    bundle = await first.json()
    assert bundle["revocations_seq"] == 1 and "time" not in bundle
    assert bundle["device_id"] == device["device_id"] and bundle["site"] == "S1"
    assert (await revocations_of(client, bundle, trust)).serials == {bytes.fromhex(people[0]["serial"])}
    assert load_policy(base64.b64decode(bundle["policy"]), trust).communities == ("C1",)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    # unchanged: 304, no body; and the same documents, byte for byte, without If-None-Match
    again = await client.get("/api/v1/devices/bundle", headers={**headers, "If-None-Match": etag})
    assert again.status == 304 and again.headers["ETag"] == etag and await again.read() == b""
    assert await (await client.get("/api/v1/devices/bundle", headers=headers)).json() == bundle

    # a revocation changes the ETag and the index; the old ETag now gets the whole new bundle
    await client.post(f"/api/v1/passes/{people[1]['serial']}/revoke", headers=admin, json={"reason": "b"})
    changed = await client.get("/api/v1/devices/bundle", headers={**headers, "If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag
    newer = await changed.json()
    assert newer["revocations_seq"] == 2 and newer["revocations_index"] != bundle["revocations_index"]
    assert newer["policy"] == bundle["policy"]  # the policy did not change: not signed again
    merged = await revocations_of(client, newer, trust)
    assert merged.serials == {bytes.fromhex(p["serial"]) for p in people[:2]}
    # `since` (a delta's base, before partitions) is still accepted and validated
    assert (await client.get("/api/v1/devices/bundle?since=1", headers=headers)).status == 200
    for bad in ("-1", "x", "1.5", "²"):
        assert (await client.get(f"/api/v1/devices/bundle?since={bad}", headers=headers)).status == 422


async def test_revocation_parts_are_public_and_named_by_digest(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    person = await (await client.post("/api/v1/people", headers=admin, json=person_body(1))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
    await client.post(f"/api/v1/passes/{issued['serial']}/revoke", headers=admin, json={"reason": "a"})
    bundle = await (await client.get("/api/v1/devices/bundle", headers=bearer(device["credential"]))).json()
    ((part, digest),) = bundle["revocation_parts"].items()
    assert part == "all"  # a short list is one part
    resp = await client.get(f"/api/v1/revocations/all/{digest}")  # no credential
    body = await resp.read()
    assert resp.status == 200 and resp.headers["ETag"] == f'"{digest}"' and hashlib.sha256(body).hexdigest() == digest
    assert (await client.get(f"/api/v1/revocations/all/{digest}", headers={"If-None-Match": f'"{digest}"'})).status == 304
    assert (await client.get(f"/api/v1/revocations/all/{'0' * 64}")).status == 404
    for bad in (f"/api/v1/revocations/zz/{digest}", "/api/v1/revocations/all/xyz", f"/api/v1/revocations/ALL/{digest}"):
        resp = await client.get(bad)
        assert resp.status == 422, bad


async def test_signed_time_names_the_current_index(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    trust = TrustSet.from_jwks(device["jwks"])
    bundle = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    resp = await client.get("/api/v1/devices/time?nonce=" + "ab" * 16, headers=headers)
    assert resp.status == 200 and resp.headers["Cache-Control"] == "no-store"
    opened = open_document(base64.b64decode((await resp.json())["time"]), trust, "qrgate/time")
    index = base64.b64decode(bundle["revocations_index"])
    assert opened.body["nonce"] == bytes.fromhex("ab" * 16) and opened.body["device"] == device["device_id"]
    assert opened.body["revocations"] == hashlib.sha256(index).digest()
    for query in ("", "?nonce=ab", "?nonce=" + "zz" * 16):
        assert (await client.get("/api/v1/devices/time" + query, headers=headers)).status == 422, query
    assert (await client.get("/api/v1/devices/time?nonce=" + "ab" * 16)).status == 401


async def test_a_sync_is_one_request_the_bundle_carries_the_signed_time(client: Client,
                                                                       admin: dict[str, str]) -> None:
    """With Qrgate-Time-Nonce the bundle answers the signed time in Qrgate-Time, 304 or not (#12)."""
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    trust = TrustSet.from_jwks(device["jwks"])

    def opened(resp: Any, nonce: str) -> Any:
        doc = open_document(base64.b64decode(resp.headers["Qrgate-Time"]), trust, "qrgate/time")
        assert doc.body["nonce"] == bytes.fromhex(nonce) and doc.body["device"] == device["device_id"]
        return doc

    first = await client.get("/api/v1/devices/bundle", headers={**headers, "Qrgate-Time-Nonce": "01" * 16})
    bundle = await first.json()
    index = base64.b64decode(bundle["revocations_index"])
    assert first.status == 200 and first.headers["Cache-Control"] == "private, no-cache" and "time" not in bundle
    assert opened(first, "01" * 16).body["revocations"] == hashlib.sha256(index).digest()
    unchanged = await client.get("/api/v1/devices/bundle", headers={
        **headers, "If-None-Match": first.headers["ETag"], "Qrgate-Time-Nonce": "02" * 32})
    assert unchanged.status == 304 and await unchanged.read() == b""
    assert unchanged.headers["ETag"] == first.headers["ETag"]
    assert opened(unchanged, "02" * 32).body["revocations"] == hashlib.sha256(index).digest()
    # without the header, no time; a bad nonce is refused by name; the old /devices/time still answers
    plain = await client.get("/api/v1/devices/bundle", headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert plain.status == 304 and "Qrgate-Time" not in plain.headers
    for bad in ("ab", "zz" * 16, "ab" * 33, ""):
        resp = await client.get("/api/v1/devices/bundle", headers={**headers, "Qrgate-Time-Nonce": bad})
        assert resp.status == 422 and (await resp.json())["error"]["field"] == "Qrgate-Time-Nonce", bad
    assert (await client.get("/api/v1/devices/time?nonce=" + "ab" * 16, headers=headers)).status == 200


async def test_jwks_is_public(client: Client) -> None:
    resp = await client.get("/.well-known/jwks.json")
    assert resp.status == 200 and TrustSet.from_jwks(await resp.json())


async def test_a_burst_of_syncs_shares_one_read_and_misses_no_revocation(client: Client,
                                                                        admin: dict[str, str]) -> None:
    """#12 proof (bundle latency): gates syncing at once share the read of the list's seq; each gets
    the current list (304 when unchanged), and a sync after a revocation sees it."""
    await make_site(client, admin, "S1", communities=["C1"])
    devices = [await enrol_device(client, admin, "S1") for _ in range(6)]
    person = await (await client.post("/api/v1/people", headers=admin, json=person_body(7))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
    first = [await client.get("/api/v1/devices/bundle", headers=bearer(d["credential"])) for d in devices]
    etags = [r.headers["ETag"] for r in first]

    async def sync(i: int) -> tuple[int, str]:
        headers = {**bearer(devices[i]["credential"]), "If-None-Match": etags[i]}
        resp = await client.get("/api/v1/devices/bundle", headers=headers)
        await resp.read()
        return resp.status, resp.headers["ETag"]

    burst = await asyncio.gather(*(sync(i % 6) for i in range(30)))
    assert burst == [(304, etags[i % 6]) for i in range(30)]
    await client.post(f"/api/v1/passes/{issued['serial']}/revoke", headers=admin, json={"reason": "a"})
    after = await asyncio.gather(*(sync(i % 6) for i in range(30)))
    assert all(status == 200 and etag != etags[i % 6] for i, (status, etag) in enumerate(after))
    changed = await client.get("/api/v1/devices/bundle", headers=bearer(devices[0]["credential"]))
    assert (await changed.json())["revocations_seq"] == 1


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

async def test_a_large_list_is_partitioned_and_a_revocation_changes_one_part(client: Client,
                                                                              admin: dict[str, str]) -> None:
    from gateway.appkeys import db_key
    await make_site(client, admin, "S1", communities=["C1"])
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    trust = TrustSet.from_jwks(device["jwks"])
    seeded = await seed_revoked(client.app[db_key], 5000)  # beyond documents.PART_MIN: 256 parts by first byte
    before = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    assert set(before["revocation_parts"]) == {s[:2] for s in seeded} and len(before["revocation_parts"]) > 250
    assert (await revocations_of(client, before, trust)).serials == {bytes.fromhex(s) for s in seeded}

    person = await (await client.post("/api/v1/people", headers=admin, json=person_body(1))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
    await client.post(f"/api/v1/passes/{issued['serial']}/revoke", headers=admin, json={"reason": "lost"})
    after = await (await client.get("/api/v1/devices/bundle", headers=headers)).json()
    changed = {p for p, d in after["revocation_parts"].items() if before["revocation_parts"].get(p) != d}
    assert changed == {issued["serial"][:2]}  # a gate fetches that part only
    listed = await revocations_of(client, after, trust)
    assert len(listed) == 5001 and bytes.fromhex(issued["serial"]) in listed
