"""Daily health monitoring (issue #10): abnormal checks alert, mark and reissue; who was not checked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from gateway.clock import now
from tests.city import local_today

from .conftest import Client, person_body


async def _person(client: Client, headers: dict[str, str], seed: int, **extra: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/people", headers=headers, json=person_body(seed, **extra))
    assert resp.status == 201, await resp.text()
    return await resp.json()


def _quarantined(**extra: Any) -> dict[str, Any]:
    return {"origin": "420106", "arrived_on": (local_today() - timedelta(days=2)).isoformat(), **extra}


async def _check(client: Client, headers: dict[str, str], person_id: int, temperature: float,
                 symptoms: list[str] | None = None, **extra: Any) -> Any:
    return await client.post(f"/api/v1/people/{person_id}/health-checks", headers=headers,
                             json={"temperature": temperature, "symptoms": symptoms or [], **extra})


async def test_a_fever_with_cough_in_quarantine_alerts_marks_and_reissues(
        client: Client, registrar: dict[str, str], admin: dict[str, str]) -> None:
    person = await _person(client, registrar, 41, **_quarantined())
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    resp = await _check(client, registrar, person["id"], 38.2, ["咳嗽"])
    assert resp.status == 201 and (await resp.json())["abnormal"] is True
    alerts = (await (await client.get("/api/v1/alerts", headers=admin, params={"kind": "health_check"})).json())
    assert len(alerts["alerts"]) == 1
    details = alerts["alerts"][0]["details"]
    assert (details["person_id"], details["temperature"], details["why"]) == (person["id"], 38.2, ["38.2 °C", "咳嗽"])
    after = await (await client.get(f"/api/v1/people/{person['id']}", headers=admin)).json()
    assert after["status"] == "yellow"
    assert after["status_history"][-1]["reason"] == "abnormal health check: 38.2 °C, 咳嗽"
    assert after["pass"]["serial"] != issued["serial"]  # the pass now says yellow
    new_pass = await (await client.get(f"/api/v1/passes/{after['pass']['serial']}", headers=admin)).json()
    assert new_pass["state"] == "live"


async def test_a_normal_check_changes_nothing(client: Client, registrar: dict[str, str], admin: dict[str, str]
                                             ) -> None:
    person = await _person(client, registrar, 42, **_quarantined())
    resp = await _check(client, registrar, person["id"], 36.6, ["headache"])
    assert resp.status == 201 and (await resp.json())["abnormal"] is False
    assert (await (await client.get("/api/v1/alerts", headers=admin)).json())["alerts"] == []
    assert (await (await client.get(f"/api/v1/people/{person['id']}", headers=admin)).json())["status"] == "green"


async def test_a_symptom_alone_is_abnormal_in_any_spelling(client: Client, registrar: dict[str, str]) -> None:
    person = await _person(client, registrar, 43, **_quarantined())
    resp = await _check(client, registrar, person["id"], 36.8, ["  Cough "])
    assert (await resp.json())["abnormal"] is True


async def test_health_checks_cannot_be_dated_in_the_future(client: Client, registrar: dict[str, str]) -> None:
    person = await _person(client, registrar, 44, **_quarantined())
    for when in ("2200-01-01T08:00:00+08:00", (now() + timedelta(hours=1)).isoformat()):
        resp = await _check(client, registrar, person["id"], 36.6, checked_at=when)
        assert resp.status == 422 and (await resp.json())["error"]["field"] == "checked_at"
    listed = await (await client.get(f"/api/v1/people/{person['id']}/health-checks", headers=registrar)).json()
    assert listed["health_checks"] == []


async def test_the_not_checked_list_names_exactly_the_people_without_a_check(
        client: Client, registrar: dict[str, str], admin: dict[str, str], viewer: dict[str, str]) -> None:
    a = await _person(client, registrar, 45, name="赵一", **_quarantined())
    b = await _person(client, registrar, 46, name="钱二", **_quarantined())
    c = await _person(client, registrar, 47, name="孙三", community="C2", **_quarantined())
    observed = await _person(client, registrar, 48, name="李四")
    await client.patch(f"/api/v1/people/{observed['id']}", headers=registrar,
                       json={"status": "yellow", "reason": "close contact, under observation"})
    await _person(client, registrar, 49, name="周五")  # green, no quarantine: nothing due
    yesterday = (now() - timedelta(days=1)).isoformat()
    assert (await _check(client, registrar, b["id"], 36.5, checked_at=yesterday)).status == 201  # not today
    assert (await _check(client, registrar, a["id"], 36.5)).status == 201

    resp = await client.get("/api/v1/health/not-checked", headers=registrar)
    assert resp.status == 200
    names = [p["name"] for p in (await resp.json())["people"]]
    assert sorted(names) == sorted(["钱二", "孙三", "李四"])
    c1 = await (await client.get("/api/v1/health/not-checked", headers=registrar,
                                 params={"community": "C1"})).json()
    assert sorted(p["name"] for p in c1["people"]) == ["李四", "钱二"]
    missing = {p["name"]: p for p in c1["people"]}
    assert missing["钱二"]["last_checked_at"] is not None and missing["李四"]["last_checked_at"] is None
    assert (await client.get("/api/v1/health/not-checked", headers=viewer)).status == 403

    report = await (await client.get("/api/v1/reports/daily", headers=admin,
                                     params={"date": local_today().isoformat()})).json()
    health = report["health_monitoring"]
    assert (health["monitored"], health["checked"], health["not_checked"], health["abnormal"]) == (4, 1, 3, 0)
    by_community = {c["community"]: c for c in health["communities"]}
    assert (by_community["C1"]["monitored"], by_community["C1"]["checked"], by_community["C1"]["not_checked"]) \
        == (3, 1, 2)
    assert sorted(p["name"] for p in by_community["C1"]["not_checked_people"]) == ["李*", "钱*"]  # masked
    assert c["id"] in {p["person_id"] for p in by_community["C2"]["not_checked_people"]}

    await _check(client, registrar, c["id"], 37.9)
    report = await (await client.get("/api/v1/reports/daily", headers=admin,
                                     params={"date": local_today().isoformat()})).json()
    health = report["health_monitoring"]
    assert health["abnormal"] == 1 and health["abnormal_checks"][0]["name"] == "孙*"
    assert health["abnormal_checks"][0]["temperature"] == 37.9
    city = report["city"]
    assert city["alerts"]["by_kind"]["health_check"] == 1
