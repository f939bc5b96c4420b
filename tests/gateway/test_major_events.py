"""Major-event rules: a fever at a school gate, a broken gate log chain, a shared pass (and a key-area person
at a checkpoint, test_checkpoint_end_to_end.py) each make one report for the responsible scope; rules are
configurable; acknowledged once, audited."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gateway.appkeys import db_key
from gateway.auth import create_token
from gateway.config import GatewayConfig
from tests.city import local_today
from qrgate.app import create_app

from .conftest import Chain, Client, bearer, enrol_device, make_site, person_body

R = "/api/v1"


async def _gates(client: Client, admin: dict[str, str]) -> dict[str, tuple[Chain, dict[str, str]]]:
    gates = {}
    for code, kind, lists in (("SCHOOL-1", "school", {"schools": ["SCH1"]}),
                              ("COMM-1", "community", {"communities": ["C1"]}),
                              ("COMM-2", "community", {"communities": ["C1"]})):
        await make_site(client, admin, code, kind=kind, **lists)
        device = await enrol_device(client, admin, code)
        gates[code] = (Chain(device["device_id"], code), bearer(device["credential"]))
    return gates


async def _send(client: Client, gate: tuple[Chain, dict[str, str]], *entries: dict[str, Any]) -> None:
    resp = await client.post(f"{R}/entries", headers=gate[1], json={"entries": list(entries)})
    assert resp.status == 200, await resp.text()


async def test_each_rule_makes_one_report_for_its_scope(client: Client, admin: dict[str, str],
                                                       registrar: dict[str, str]) -> None:
    gates = await _gates(client, admin)
    today = f"{local_today().isoformat()}T00:00:05+08:00"
    school, comm = gates["SCHOOL-1"], gates["COMM-1"]
    await _send(client, school, school[0].entry(decision="deny", reason="fever", temperature=38.2, scanned_at=today))
    await _send(client, comm, comm[0].entry(decision="deny", reason="fever", temperature=38.2, scanned_at=today))
    broken = comm[0].entry(scanned_at=today)
    broken["prev_hash"] = "f" * 64  # an entry that does not follow the one before it
    await _send(client, comm, broken)
    person = await (await client.post(f"{R}/people", headers=registrar, json=person_body(3))).json()
    serial = (await (await client.post(f"{R}/people/{person['id']}/passes", headers=registrar)).json())["serial"]
    other = gates["COMM-2"]
    await _send(client, comm, comm[0].entry(serial=serial, scanned_at=today))
    await _send(client, other, other[0].entry(serial=serial, scanned_at=f"{local_today().isoformat()}T00:05:00+08:00"))

    events = (await (await client.get(f"{R}/major-events", headers=admin)).json())["major_events"]
    assert sorted((e["rule"], e["site"]) for e in events) == [
        ("broken_chain", "COMM-1"), ("school_fever", "SCHOOL-1"), ("shared_pass", "COMM-2")]
    # a community gate's fever is an alert, not a major event; the school's is, for the school's scope
    school_viewer = bearer(await create_token(client.app[db_key], role="viewer", label="s", scope="school:SCH1"))
    seen = (await (await client.get(f"{R}/major-events", headers=school_viewer)).json())["major_events"]
    assert [e["rule"] for e in seen] == ["school_fever"]
    assert seen[0]["details"]["temperature"] == 38.2
    assert (await client.post(f"{R}/major-events/{seen[0]['id']}/acknowledge", headers=school_viewer,
                              json={})).status == 403  # viewers read
    school_staff = bearer(await create_token(client.app[db_key], role="registrar", label="t", scope="school:SCH1"))
    broken_id = next(e["id"] for e in events if e["rule"] == "broken_chain")
    assert (await client.post(f"{R}/major-events/{broken_id}/acknowledge", headers=school_staff,
                              json={})).status == 404  # not theirs
    resp = await client.post(f"{R}/major-events/{seen[0]['id']}/acknowledge", headers=school_staff,
                             json={"note": "校医已复测"})
    assert resp.status == 200 and (await resp.json())["acknowledged_by"].endswith("(t)")
    again = await client.post(f"{R}/major-events/{seen[0]['id']}/acknowledge", headers=school_staff, json={})
    assert again.status == 409
    assert [e["id"] for e in (await (await client.get(f"{R}/major-events?open=1", headers=admin)).json())[
        "major_events"]] == sorted(e["id"] for e in events if e["rule"] != "school_fever")
    report = await (await client.get(f"{R}/reports/daily?date={local_today().isoformat()}", headers=admin)).json()
    assert len(report["city"]["major_events"]) == 3
    assert [e["rule"] for e in next(s for s in report["sites"] if s["site"] == "SCHOOL-1")["major_events"]] == [
        "school_fever"]


async def test_rules_are_configurable(aiohttp_client: Any, config: GatewayConfig) -> None:
    client = await aiohttp_client(create_app(replace(config, major_event_rules=("broken_chain",))))
    admin = bearer(await create_token(client.app[db_key], role="admin", label="boss"))
    gates = await _gates(client, admin)
    school = gates["SCHOOL-1"]
    await _send(client, school, school[0].entry(decision="deny", reason="fever", temperature=39.0))
    assert (await (await client.get(f"{R}/major-events", headers=admin)).json())["major_events"] == []
    with pytest.raises(ValueError, match="unknown rule"):
        replace(config, major_event_rules=("fever_anywhere",))
