"""Every route checks its role: 401 without a credential, 403 with the wrong one; console logins."""

from __future__ import annotations

import asyncio

import pytest

from gateway import accounts
from gateway.api.routes import ROUTES
from gateway.appkeys import db_key
from gateway.auth import hash_secret
from gateway.store import passes as pass_store
from gateway.store import sites as site_store
from gateway.config import GatewayConfig
from gateway.errors import LoginRefused

from .conftest import Client, bearer, enrol_device, make_site, person_body

# the gateway's own routes; other packages (reports) test the roles of theirs
OWN = [r for r in ROUTES if r[2].__module__.rsplit(".", 1)[-1] in {"people", "passes", "sites", "monitor", "tokens"}]
PUBLIC = {("GET", "/.well-known/jwks.json"), ("GET", "/api/v1/openapi.json"),
          ("POST", "/api/v1/devices/enroll"), ("GET", "/api/v1/revocations/{part}/{digest}")}
# who may call what; everything not listed for a role must give 403
ALLOWED = {
    "admin": {r[:2] for r in OWN} - {("GET", "/api/v1/devices/bundle"), ("GET", "/api/v1/devices/time"),
                                     ("POST", "/api/v1/entries"),
                                     ("POST", "/api/v1/devices/status")},
    "registrar": {("POST", "/api/v1/people"), ("POST", "/api/v1/people/import"), ("GET", "/api/v1/people"),
                  ("GET", "/api/v1/people/{person_id}"), ("PATCH", "/api/v1/people/{person_id}"),
                  ("POST", "/api/v1/people/{person_id}/health-checks"),
                  ("GET", "/api/v1/people/{person_id}/health-checks"),
                  ("POST", "/api/v1/people/{person_id}/passes"), ("GET", "/api/v1/passes/{serial}"),
                  ("POST", "/api/v1/people/{person_id}/resident-link/rotate"),
                  ("POST", "/api/v1/passes/{serial}/revoke"), ("POST", "/api/v1/passes/{serial}/reissue"),
                  ("GET", "/api/v1/sites"), ("GET", "/api/v1/sites/{code}"),
                  # the entries and alerts of the registrar's own sites (the console showed them already)
                  ("GET", "/api/v1/entries"), ("GET", "/api/v1/alerts")},
    # health checks are health data: a viewer sees who and what status
    "viewer": {("GET", "/api/v1/people"), ("GET", "/api/v1/people/{person_id}"), ("GET", "/api/v1/passes/{serial}"),
               ("GET", "/api/v1/sites"), ("GET", "/api/v1/sites/{code}"), ("GET", "/api/v1/entries"),
               ("GET", "/api/v1/alerts")},
    # the resumption approver (行业主管部门): sites and applications, no people
    "approver": {("GET", "/api/v1/sites"), ("GET", "/api/v1/sites/{code}")},
    # the class teacher (班主任): their class's people, its daily temperature checks, the sites
    "teacher": {("GET", "/api/v1/people"), ("GET", "/api/v1/people/{person_id}"),
                ("GET", "/api/v1/people/{person_id}/health-checks"),
                ("POST", "/api/v1/people/{person_id}/health-checks"), ("GET", "/api/v1/sites"),
                ("GET", "/api/v1/sites/{code}")},
    # the staffed desk looks people up in the console and has no API route at all
    "desk": set(),
    "device": {("GET", "/api/v1/devices/bundle"), ("GET", "/api/v1/devices/time"), ("POST", "/api/v1/entries"),
               ("POST", "/api/v1/devices/status")},
}
PROTECTED = sorted({r[:2] for r in OWN} - PUBLIC)


def concrete(path: str) -> str:
    return (path.replace("{person_id}", "1").replace("{serial}", "0" * 24).replace("{code}", "S1")
            .replace("{device_id}", "dev_0").replace("{token_id}", "999"))


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_no_credential_gives_401(client: Client, method: str, path: str) -> None:
    for headers in ({}, bearer("qgt_not-a-token"), bearer("qgd_not-a-device"), {"Authorization": "Basic x"}):
        resp = await client.request(method, concrete(path), headers=headers, json={})
        assert resp.status == 401, (method, path, headers)
        body = await resp.json()
        assert body["error"]["code"] == "unauthenticated"
        assert resp.headers["WWW-Authenticate"] == "Bearer"


async def test_each_role_gets_403_outside_its_routes(client: Client, tokens: dict[str, str],
                                                     admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1")
    device = await enrol_device(client, admin, "S1")
    credentials = {**tokens, "device": device["credential"]}
    for role, credential in credentials.items():
        for method, path in PROTECTED:
            resp = await client.request(method, concrete(path), headers=bearer(credential), json={})
            if (method, path) in ALLOWED[role]:
                assert resp.status not in (401, 403), (role, method, path, await resp.text())
            else:
                assert resp.status == 403, (role, method, path)
                assert (await resp.json())["error"]["code"] == "forbidden"


async def test_disabled_device_is_refused_everywhere(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1")
    device = await enrol_device(client, admin, "S1")
    headers = bearer(device["credential"])
    assert (await client.get("/api/v1/devices/bundle", headers=headers)).status == 200
    resp = await client.post(f"/api/v1/devices/{device['device_id']}/disable", headers=admin,
                             json={"reason": "stolen"})
    assert resp.status == 200 and (await resp.json())["disabled_at"]
    for method, path in (("GET", "/api/v1/devices/bundle"), ("POST", "/api/v1/entries")):
        resp = await client.request(method, path, headers=headers, json={"entries": []})
        assert resp.status == 403
        assert (await resp.json())["error"]["code"] == "device_disabled"


async def test_devices_syncing_at_once_share_reads_and_each_gets_its_own(client: Client, admin: dict[str, str]) -> None:
    """A burst of device requests is read in a few shared queries (gateway/device_reads.py): each
    still gets its own device and site, an unknown credential its 401, and a device disabled
    before the burst its 403 — every read begins after the requests it answers arrived."""
    await make_site(client, admin, "S1")
    await make_site(client, admin, "S2")
    devices = [await enrol_device(client, admin, "S1" if i % 2 else "S2") for i in range(6)]
    resp = await client.post(f"/api/v1/devices/{devices[0]['device_id']}/disable", headers=admin,
                             json={"reason": "stolen"})
    assert resp.status == 200
    callers = [*devices * 3, {"credential": "qgd_unknown"}]
    answers = await asyncio.gather(*[client.get("/api/v1/devices/bundle", headers=bearer(d["credential"]))
                                     for d in callers])
    for device, resp in zip(callers, answers):
        body = await resp.json()
        if device is devices[0]:
            assert resp.status == 403 and body["error"]["code"] == "device_disabled"
        elif "device_id" not in device:
            assert resp.status == 401
        else:
            assert resp.status == 200 and (body["device_id"], body["site"]) == (device["device_id"], device["site"])


async def test_devices_by_credentials_reads_any_batch_size(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "S1")
    device = await enrol_device(client, admin, "S1")
    known = hash_secret(device["credential"])
    db = client.app[db_key]
    seq = await pass_store.revocation_seq(db.read)
    for size in (1, 2, 3, 17, 64):
        hashes = [known, *(hash_secret(f"qgd_other{i}") for i in range(size - 1))]
        found = await site_store.devices_by_credentials(db.read, hashes[::-1])
        assert list(found) == [known]
        read = found[known]
        assert (read.device.id, read.device.disabled_at, read.site and read.site.code, read.revocation_seq) == (
            device["device_id"], None, "S1", seq)
    for wrong in ([], [known] * 65):
        with pytest.raises(ValueError):
            await site_store.devices_by_credentials(db.read, wrong)


async def test_tokens_are_stored_hashed(client: Client, tokens: dict[str, str]) -> None:
    db = client.app[db_key]
    stored = [r[0] for r in await db.read.fetch_all("SELECT token_hash FROM api_tokens")]
    assert stored and not set(stored) & set(tokens.values())


async def test_login_with_scrypt_and_throttling(client: Client) -> None:
    db = client.app[db_key]
    config = GatewayConfig(login_max_failures=3, login_lockout_seconds=60)
    await accounts.create_account(db, "Alice", "correct horse battery", "registrar")
    account = await accounts.authenticate(db, "alice", "correct horse battery", "10.0.0.1", config=config)
    assert (account.username, account.role) == ("alice", "registrar")
    assert (await db.read.fetch_one("SELECT password_hash FROM accounts"))[0].startswith("scrypt$")
    for _ in range(3):
        with pytest.raises(LoginRefused) as refused:
            await accounts.authenticate(db, "alice", "wrong password!", "10.0.0.1", config=config)
        assert refused.value.retry_after == 0 or refused.value.code == "login_throttled"
    # locked now for this account from this client: even the right password is refused
    with pytest.raises(LoginRefused) as refused:
        await accounts.authenticate(db, "alice", "correct horse battery", "10.0.0.1", config=config)
    assert refused.value.retry_after > 0 and refused.value.code == "login_throttled"
    # but not for anyone else: alice from her own desk, bob from the same address
    assert (await accounts.authenticate(db, "alice", "correct horse battery", "10.0.0.2", config=config))
    await accounts.create_account(db, "bob", "bobs good password", "viewer")
    assert (await accounts.authenticate(db, "bob", "bobs good password", "10.0.0.1", config=config))
    # an unknown user is refused like a wrong password, with no hint which one it was
    with pytest.raises(LoginRefused) as refused:
        await accounts.authenticate(db, "nobody", "whatever-long", "10.0.0.9", config=config)
    assert refused.value.message == "wrong username or password"


async def test_password_change_and_short_passwords(client: Client) -> None:
    db = client.app[db_key]
    await accounts.create_account(db, "carol", "first password", "viewer")
    await accounts.set_password(db, "carol", "second password")
    assert (await accounts.authenticate(db, "carol", "second password", "1.1.1.1")).role == "viewer"
    with pytest.raises(LoginRefused):
        await accounts.authenticate(db, "carol", "first password", "1.1.1.1")
    from gateway.errors import Conflict, InvalidInput
    with pytest.raises(InvalidInput):
        await accounts.create_account(db, "dave", "short", "viewer")
    with pytest.raises(Conflict):
        await accounts.create_account(db, "CAROL", "another password", "viewer")


async def test_people_registered_by_a_registrar_carry_their_actor(client: Client, registrar: dict[str, str],
                                                                  admin: dict[str, str]) -> None:
    resp = await client.post("/api/v1/people", headers=registrar, json=person_body(3))
    person = await resp.json()
    assert person["status_history"][0]["changed_by"] == "token:2(test-registrar)"
    audit = await (await client.get("/api/v1/audit?action=person.register", headers=admin)).json()
    assert [a["actor"] for a in audit["audit"]] == ["token:2(test-registrar)"]
