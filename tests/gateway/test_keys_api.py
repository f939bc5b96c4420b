"""The admin API for keys: list, rotate, withdraw (202 + a background reissue job), jobs."""

from __future__ import annotations

from gateway.appkeys import reissue_runner_key

from .conftest import Client, person_body


async def _live_pass(client: Client, registrar: dict[str, str], seed: int) -> dict[str, object]:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(seed))).json()
    return await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()


async def test_withdraw_over_the_api_reissues_in_the_background(client: Client, admin: dict[str, str],
                                                                registrar: dict[str, str]) -> None:
    issued = [await _live_pass(client, registrar, seed) for seed in (1, 2)]
    keys = (await (await client.get("/api/v1/keys", headers=admin)).json())["keys"]
    assert [k["state"] for k in keys] == ["active"]
    kid = keys[0]["kid"]
    assert (await client.post(f"/api/v1/keys/{kid}/withdraw", headers=registrar, json={"reason": "x"})).status == 403
    assert (await client.post(f"/api/v1/keys/{kid}/withdraw", headers=admin, json={})).status == 422
    assert (await client.post(f"/api/v1/keys/{'0' * 16}/withdraw", headers=admin,
                              json={"reason": "x"})).status == 404
    resp = await client.post(f"/api/v1/keys/{kid}/withdraw", headers=admin, json={"reason": "leaked"})
    assert resp.status == 202
    body = await resp.json()
    assert body["kid"] == kid and body["signing_kid"] != kid and body["job"]["total"] == 2
    job = await client.app[reissue_runner_key].wait(body["job"]["id"])
    assert job.state == "done"
    shown = await (await client.get(f"/api/v1/reissue-jobs/{job.id}", headers=admin)).json()
    assert (shown["state"], shown["done"], shown["total"], shown["fraction"]) == ("done", 2, 2, 1.0)
    assert [j["id"] for j in (await (await client.get("/api/v1/reissue-jobs", headers=admin)).json())["jobs"]] \
        == [job.id]
    for info in issued:
        old = await (await client.get(f"/api/v1/passes/{info['serial']}", headers=admin)).json()
        assert (old["state"], old["revoke_reason"]) == ("revoked", "key_withdrawn") and old["replaced_by"]
        new = await (await client.get(f"/api/v1/passes/{old['replaced_by']}", headers=admin)).json()
        assert new["state"] == "live" and new["kid"] == body["signing_kid"]
    again = await client.post(f"/api/v1/keys/{kid}/withdraw", headers=admin, json={"reason": "again"})
    assert again.status == 409
    assert (await client.get("/api/v1/reissue-jobs/99", headers=admin)).status == 404
    audit = (await (await client.get("/api/v1/audit?action=keys.withdraw", headers=admin)).json())["audit"]
    assert [(r["actor"], r["target"], r["reason"]) for r in audit] == [("token:1(test-admin)", f"key:{kid}",
                                                                        "leaked")]


async def test_rotate_over_the_api(client: Client, admin: dict[str, str]) -> None:
    resp = await client.post("/api/v1/keys/rotate", headers=admin, json={"reason": "yearly"})
    assert resp.status == 201
    keys = (await (await client.get("/api/v1/keys", headers=admin)).json())["keys"]
    assert [k["state"] for k in keys] == ["retired", "active"]
    assert keys[1]["kid"] == (await resp.json())["signing_kid"]
