"""Key areas in the console: listed for everyone, changed by an admin through the same domain function as
the API and the CLI (audited, the people from the area recomputed, their passes reissued)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from web_helpers import csrf_of, login, svc_of

from gateway import auth, idcard
from tests.city import local_today


async def _api(client: TestClient) -> dict[str, str]:
    return {"Authorization": "Bearer " + await auth.create_token(svc_of(client).db, role="admin", label="t")}


async def _person(client: TestClient, headers: dict[str, str], origin: str, seed: int) -> dict:
    body = {"name": f"张{seed}", "document_type": "resident_id", "community": "C1",
            "document_number": idcard.make(f"3205831990010{seed % 10}12{seed % 10}"), "origin": origin,
            "arrived_on": local_today().isoformat()}
    resp = await client.post("/api/v1/people", headers=headers, json=body)
    assert resp.status == 201, await resp.text()
    person = await resp.json()
    resp = await client.post(f"/api/v1/people/{person['id']}/passes", headers=headers)
    assert resp.status == 201, await resp.text()
    return person


async def test_an_admin_adds_a_key_area_by_name_and_the_people_from_it_are_quarantined(
        client: TestClient, admin: str) -> None:
    api = await _api(client)
    person = await _person(client, api, "330106", 1)  # 杭州市西湖区: not a key area yet
    assert person["quarantine"] is None or not person["quarantine"].get("end")
    page = await client.get("/console/key-areas")
    text = await page.text()
    assert page.status == 200 and "湖北省" in text and 'list="region-prefixes"' in text
    resp = await client.post("/console/key-areas", data={
        "csrf_token": admin, "prefix": "浙江省 杭州市", "from": "2020-01-20", "reason": "outbreak"},
        allow_redirects=False)
    assert resp.status == 303, await resp.text()
    assert "people=1" in resp.headers["Location"] and "reissued=1" in resp.headers["Location"]
    done = await (await client.get(resp.headers["Location"])).text()
    assert "浙江省 杭州市 (3301)" in done and "1 人重新计算隔离" in done
    areas = (await (await client.get("/api/v1/key-areas", headers=api)).json())["key_areas"]
    assert {"prefix": "3301", "from": "2020-01-20", "until": None} in \
        [{k: a[k] for k in ("prefix", "from", "until")} for a in areas]
    after = await (await client.get(f"/api/v1/people/{person['id']}", headers=api)).json()
    assert after["quarantine"] and after["quarantine"]["end"] > local_today().isoformat()
    audit = (await (await client.get("/api/v1/audit", headers=api)).json())["audit"]
    assert any(r["action"] == "key_area.set" and r["target"] == "key_area:3301" and r["actor"] == "account:admin"
               for r in audit), audit


async def test_ending_and_removing_a_key_area_recompute_the_people(client: TestClient, admin: str) -> None:
    api = await _api(client)
    person = await _person(client, api, "420106", 2)  # Wuhan, arrived today: quarantined
    before = await (await client.get(f"/api/v1/people/{person['id']}", headers=api)).json()
    assert before["quarantine"]
    form = await (await client.get("/console/key-areas?end=42")).text()
    assert 'action="/console/key-areas/42/end"' in form and local_today().isoformat() in form
    # the area ends before today's arrival: she is no longer quarantined, her pass is reissued
    resp = await client.post("/console/key-areas/42/end", data={
        "csrf_token": admin, "until": "2020-04-08", "reason": "Wuhan reopened"}, allow_redirects=False)
    assert resp.status == 303 and "reissued=1" in resp.headers["Location"], await resp.text()
    after = await (await client.get(f"/api/v1/people/{person['id']}", headers=api)).json()
    assert not after["quarantine"]
    areas = {a["prefix"]: a for a in (await (await client.get("/api/v1/key-areas", headers=api)).json())["key_areas"]}
    assert areas["42"]["until"] == "2020-04-08" and areas["42"]["from"] == "2020-01-24"
    resp = await client.post("/console/key-areas/42/remove", data={"csrf_token": admin, "reason": "typed by mistake"},
                             allow_redirects=False)
    assert resp.status == 303
    assert "42" not in {a["prefix"] for a in (await (await client.get("/api/v1/key-areas", headers=api)).json())["key_areas"]}
    actions = [r["action"] for r in (await (await client.get("/api/v1/audit", headers=api)).json())["audit"]]
    assert "key_area.remove" in actions and "key_area.set" in actions


async def test_bad_input_is_shown_at_its_field_and_changes_nothing(client: TestClient, admin: str) -> None:
    api = await _api(client)
    before = (await (await client.get("/api/v1/key-areas", headers=api)).json())["key_areas"]
    cases = [({"prefix": "朝阳区", "from": "2020-01-20", "reason": "x"}, "prefix", "有几个地区都叫"),
             ({"prefix": "火星", "from": "2020-01-20", "reason": "x"}, "prefix", "没有名为"),
             ({"prefix": "99", "from": "2020-01-20", "reason": "x"}, "prefix", "省级"),
             ({"prefix": "4299", "from": "2020-01-20", "reason": "x"}, "prefix", "没有以此开头"),
             ({"prefix": "４２０１", "reason": "x"}, "from", "请填写开始日期"),
             ({"prefix": "4201", "from": "2020-02-01", "until": "2020-01-01", "reason": "x"}, "until", "不能早于"),
             ({"prefix": "4201", "from": "2020-02-01"}, "reason", "请填写原因")]
    for data, field, words in cases:
        resp = await client.post("/console/key-areas", data={"csrf_token": admin, **data})
        text = await resp.text()
        assert resp.status == 422, (data, text)
        assert f'id="field-{field}"' in text and "field-error" in text and words in text, (data, field)
    resp = await client.post("/console/key-areas/42/end", data={"csrf_token": admin, "until": "2019-01-01",
                                                                "reason": "x"})
    assert resp.status == 422 and "不能早于" in await resp.text()
    assert (await client.post("/console/key-areas/31/end", data={"csrf_token": admin, "reason": "x"})).status == 404
    assert (await (await client.get("/api/v1/key-areas", headers=api)).json())["key_areas"] == before


async def test_a_registrar_sees_the_list_but_cannot_change_it(client: TestClient) -> None:
    csrf = await login(client, "desk", "registrar")
    page = await client.get("/console/key-areas")
    text = await page.text()
    assert page.status == 200 and "湖北省" in text and "key-area-form" not in text
    resp = await client.post("/console/key-areas", data={"csrf_token": csrf, "prefix": "31", "from": "2020-01-20",
                                                         "reason": "x"})
    assert resp.status == 403
    resp = await client.post("/console/key-areas/42/remove", data={"csrf_token": csrf, "reason": "x"})
    assert resp.status == 403
    assert csrf_of(await (await client.get("/console/key-areas?edit=42")).text())
