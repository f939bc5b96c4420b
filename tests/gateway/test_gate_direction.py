"""Gate direction (issue #10): devices enrolled in/out/both; the shared-pass alert ignores trips."""

from __future__ import annotations

from typing import Any

from keys.chain import entry_hash

from .conftest import Chain, Client, bearer, make_site, person_body


async def _device(client: Client, admin: dict[str, str], site: str, direction: str | None) -> dict[str, Any]:
    body = {} if direction is None else {"direction": direction}
    resp = await client.post(f"/api/v1/sites/{site}/enrolments", headers=admin, json=body)
    assert resp.status == 201, await resp.text()
    resp = await client.post("/api/v1/devices/enroll", json={"token": (await resp.json())["token"], "name": site})
    assert resp.status == 201
    return await resp.json()


def _scan(chain: Chain, serial: str, at: str, direction: str) -> dict[str, Any]:
    entry = chain.entry(serial=serial, scanned_at=at)
    entry["direction"] = direction
    entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    chain.prev = entry["hash"]
    return entry


async def test_enrolment_sets_the_direction(client: Client, admin: dict[str, str]) -> None:
    await make_site(client, admin, "D1")
    assert (await _device(client, admin, "D1", None))["direction"] == "both"
    assert (await _device(client, admin, "D1", "out"))["direction"] == "out"
    resp = await client.post("/api/v1/sites/D1/enrolments", headers=admin, json={"direction": "sideways"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "direction"
    devices = (await (await client.get("/api/v1/devices", headers=admin)).json())["devices"]
    assert sorted(d["direction"] for d in devices) == ["both", "out"]


async def test_a_trip_home_to_school_is_no_shared_pass_but_two_entries_in_are(
        client: Client, admin: dict[str, str], registrar: dict[str, str]) -> None:
    await make_site(client, admin, "HOME", communities=["C1"])
    await make_site(client, admin, "SCHOOL", "factory", visitors=True)
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(61))).json()
    serial = (await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json())["serial"]
    home_in, home_out = await _device(client, admin, "HOME", "in"), await _device(client, admin, "HOME", "out")
    school = await _device(client, admin, "SCHOOL", "in")
    chains = {name: Chain(d["device_id"], site) for name, d, site in
              (("in", home_in, "HOME"), ("out", home_out, "HOME"), ("school", school, "SCHOOL"))}

    async def upload(device: dict[str, Any], entry: dict[str, Any]) -> list[dict[str, Any]]:
        resp = await client.post("/api/v1/entries", headers=bearer(device["credential"]), json={"entries": [entry]})
        assert resp.status == 200, await resp.text()
        return (await resp.json())["alerts"]

    assert await upload(home_in, _scan(chains["in"], serial, "2020-02-14T07:40:00+08:00", "in")) == []
    assert await upload(home_out, _scan(chains["out"], serial, "2020-02-14T07:50:00+08:00", "out")) == []
    # in at school 10 minutes after leaving home: a trip
    assert await upload(school, _scan(chains["school"], serial, "2020-02-14T08:00:00+08:00", "in")) == []
    # back in at home 5 minutes later without leaving school: two places at once
    alerts = await upload(home_in, _scan(chains["in"], serial, "2020-02-14T08:05:00+08:00", "in"))
    assert [a["kind"] for a in alerts] == ["shared_pass"]

    report = await (await client.get("/api/v1/reports/daily", headers=admin, params={"date": "2020-02-14"})).json()
    home = next(s for s in report["sites"] if s["site"] == "HOME")
    assert home["directions"] == {"in": 2, "out": 1, "both": 0}
    assert report["city"]["directions"] == {"in": 3, "out": 1, "both": 0}
