"""Road checkpoint records: key-area people handed over to their destination community, fevers
referred, each step audited; bad plates, documents, temperatures refused naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.appkeys import db_key
from gateway.auth import create_token

from .checkpoint_helpers import HUBEI_ID, R, ZHEJIANG_ID, checkpoint_world, person, record, upload
from .conftest import Client, bearer, enrol_device, make_site, person_body


async def _scoped(client: Client, role: str, scope: str) -> dict[str, str]:
    return bearer(await create_token(client.app[db_key], role=role, label=f"{role}-{scope}", scope=scope))


async def test_a_hubei_car_is_handed_over_to_its_destination_community(client: Client, admin: dict[str, str],
                                                                      registrar: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    holder = await (await client.post(f"{R}/people", headers=registrar, json=person_body(5))).json()
    serial = (await (await client.post(f"{R}/people/{holder['id']}/passes", headers=registrar)).json())["serial"]
    car = record([person(38.6, role="driver", document_type="resident_id", document_number=ZHEJIANG_ID,
                         name="王驾驶", decision="deny", reason="fever"),
                  person(serial=serial),
                  person(document_type="resident_id", document_number=HUBEI_ID, name="李乘客")])
    resp = await upload(client, device, car)
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    assert (answer["accepted"], answer["duplicates"], len(answer["handovers"]), len(answer["referrals"])) == (1, 0, 3, 1)
    # the same upload again (a retry after a lost answer): nothing new
    again = await (await upload(client, device, car)).json()
    assert (again["accepted"], again["duplicates"], again["handovers"]) == (0, 1, [])

    inbox = await _scoped(client, "registrar", "community:C-DEST")
    other = await _scoped(client, "registrar", "community:C-OTHER")
    mine = (await (await client.get(f"{R}/handovers", headers=inbox)).json())["handovers"]
    assert sorted(h["kind"] for h in mine) == ["handover", "handover", "handover", "referral"]
    assert (await (await client.get(f"{R}/handovers", headers=other)).json())["handovers"] == []
    assert (await client.get(f"{R}/handovers/{mine[0]['id']}", headers=other)).status == 404
    resp = await client.post(f"{R}/handovers/{mine[0]['id']}/steps", headers=other, json={"step": "acknowledge"})
    assert resp.status == 404

    # the ID-card passenger has a new file: quarantine pending (central, no place yet), in C-DEST
    new = next(h for h in mine if h["name"] == "李乘客")
    assert new["basis"]["key_area"] == ["origin:420100", "document:420102", "plate:42"]
    assert new["document_number"] != HUBEI_ID and HUBEI_ID not in str(mine)
    file = await (await client.get(f"{R}/people/{new['person_id']}", headers=admin)).json()
    assert (file["community"], file["quarantine"]["kind"], file["quarantine"]["place"]) == ("C-DEST", "central", None)
    # the pass holder's own file now has the quarantine too, and a reissued pass
    held = await (await client.get(f"{R}/people/{holder['id']}", headers=admin)).json()
    assert held["quarantine"]["kind"] == "central" and held["pass"]["serial"] != serial
    referral = next(h for h in mine if h["kind"] == "referral")
    assert (referral["name"], referral["temperature"], referral["transport"]) == ("王驾驶", 38.6, "own_car")

    # worked to closure: each step timed, named and audited; the transfer sets the person's place
    for step, extra in (("acknowledge", {}), ("transfer", {"place": "昆山市集中隔离医学观察点一"}),
                        ("close", {"note": "已入住"})):
        resp = await client.post(f"{R}/handovers/{new['id']}/steps", headers=inbox, json={"step": step, **extra})
        assert resp.status == 200, await resp.text()
    done = await resp.json()
    assert done["state"] == "closed" and done["acknowledged_at"] and done["transferred_at"] and done["closed_at"]
    assert done["closed_by"].endswith("(registrar-community:C-DEST)")
    file = await (await client.get(f"{R}/people/{new['person_id']}", headers=admin)).json()
    assert file["quarantine"]["place"] == "昆山市集中隔离医学观察点一"
    audit = (await (await client.get(f"{R}/audit?target=handover:{new['id']}", headers=admin)).json())["audit"]
    assert [a["action"] for a in audit] == ["handover.open", "handover.acknowledge", "handover.transfer",
                                            "handover.close"]
    resp = await client.post(f"{R}/handovers/{new['id']}/steps", headers=inbox, json={"step": "close"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "wrong_state"
    # a transfer of a hand-over names where the person went
    resp = await client.post(f"{R}/handovers/{referral['id']}/steps", headers=inbox, json={"step": "transfer"})
    assert resp.status == 409  # not acknowledged yet
    viewer = await _scoped(client, "viewer", "community:C-DEST")
    assert (await client.post(f"{R}/handovers/{referral['id']}/steps", headers=viewer,
                              json={"step": "acknowledge"})).status == 403


async def test_on_foot_with_a_fever_goes_by_120_to_the_clinic(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    walker = record([person(39.1, role="pedestrian", decision="deny", reason="fever", resident=True)],
                    plate=None, vehicle_kind="none", origin=None)
    answer = await (await upload(client, device, walker)).json()
    assert answer["handovers"] == [] and len(answer["referrals"]) == 1
    row = await (await client.get(f"{R}/handovers/{answer['referrals'][0]}", headers=admin)).json()
    assert (row["transport"], row["clinic"]) == ("ambulance_120", "昆山市第一人民医院发热门诊")
    assert row["person_id"] is None and row["overdue"] is None


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("plate", {"plate": "鄂I12345"}, "records[0].plate", "bad_plate"),
    ("plate", {"plate": "AB12345"}, "records[0].plate", "bad_plate"),
    ("plate", {"plate": "鄂A" + "1" * 40}, "records[0].plate", "bad_plate"),
    ("plate", {"plate": None}, "records[0].plate", "invalid"),
    ("origin", {"origin": "990000"}, "records[0].origin", "invalid"),
    ("community", {"community": "C DEST"}, "records[0].community", "invalid"),
    ("people", {"people": []}, "records[0].people", "invalid"),
]


@pytest.mark.parametrize(("what", "change", "field", "code"), BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
async def test_a_bad_record_is_refused_naming_its_field(client: Client, admin: dict[str, str], what: str,
                                                       change: dict[str, Any], field: str, code: str) -> None:
    device = await checkpoint_world(client, admin)
    resp = await upload(client, device, {**record([person()]), **change})
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert (error["field"], error["code"]) == (field, code), error


PEOPLE_BAD: list[tuple[dict[str, Any], str, str]] = [
    (person(None), "records[0].people[0].temperature", "temperature_required"),
    (person(52.0), "records[0].people[0].temperature", "temperature_impossible"),
    (person(True), "records[0].people[0].temperature", "temperature_impossible"),  # type: ignore[arg-type]
    (person(document_type="resident_id", document_number=HUBEI_ID[:-1] + ("0" if HUBEI_ID[-1] != "0" else "1")),
     "records[0].people[0].document_number", "invalid"),
    (person(document_type="resident_id"), "records[0].people[0].document_number", "invalid"),
    (person(document_type="passport", document_number="E1"), "records[0].people[0].document_number", "invalid"),
    (person(name="x" * 65), "records[0].people[0].name", "invalid"),
    (person(name="a\u0000b"), "records[0].people[0].name", "invalid"),
    (person(clinic="c" * 101), "records[0].people[0].clinic", "invalid"),
    (person(reason="because"), "records[0].people[0].reason", "invalid"),
    (person(serial="NOT-A-SERIAL"), "records[0].people[0].serial", "invalid"),
    (person(extra=1), "records[0].people[0].extra", "invalid"),
]


@pytest.mark.parametrize(("bad", "field", "code"), PEOPLE_BAD, ids=[str(i) for i in range(len(PEOPLE_BAD))])
async def test_a_bad_person_is_refused_with_a_clear_reason(client: Client, admin: dict[str, str], bad: dict[str, Any],
                                                          field: str, code: str) -> None:
    device = await checkpoint_world(client, admin)
    resp = await upload(client, device, record([bad]))
    assert resp.status == 422, await resp.text()
    error = (await resp.json())["error"]
    assert (error["field"], error["code"]) == (field, code), error
    assert error["message"].startswith((field, "unknown field"))
    count = await client.app[db_key].read.fetch_value("SELECT COUNT(*) FROM checkpoint_records")
    assert count == 0  # a batch is all or nothing


async def test_only_a_checkpoint_device_uploads_records(client: Client, admin: dict[str, str]) -> None:
    await checkpoint_world(client, admin)
    await make_site(client, admin, "GATE", communities=["C1"])
    gate = await enrol_device(client, admin, "GATE")
    resp = await upload(client, bearer(gate["credential"]), record([person()]))
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "not_a_checkpoint"
    assert (await upload(client, admin, record([person()]))).status == 403


async def test_retention_drops_checkpoint_personal_data_once_closed(client: Client, admin: dict[str, str]) -> None:
    from datetime import datetime, timedelta

    from gateway import retention
    from gateway.appkeys import config_key

    device = await checkpoint_world(client, admin)
    answer = await (await upload(client, device, record([
        person(document_type="resident_id", document_number=HUBEI_ID, name="李乘客"),
        person(document_type="resident_id", document_number=ZHEJIANG_ID, name="王")], plate="苏E12345",
        origin=None))).json()
    assert len(answer["handovers"]) == 1  # the Hubei ID only
    db = client.app[db_key]
    later = datetime.now().astimezone() + timedelta(days=3650)
    await retention.purge(db, client.app[config_key], at=later)
    rows = await db.read.fetch_all("SELECT name, document_enc IS NULL FROM checkpoint_people ORDER BY position")
    assert [tuple(r) for r in rows] == [("李乘客", 0), (None, 1)]  # an open hand-over keeps its person
    for step, extra in (("acknowledge", {}), ("close", {})):
        await client.post(f"{R}/handovers/{answer['handovers'][0]}/steps", headers=admin, json={"step": step, **extra})
    await retention.purge(db, client.app[config_key], at=later)
    rows = await db.read.fetch_all("SELECT name, document_enc IS NULL FROM checkpoint_people ORDER BY position")
    assert [tuple(r) for r in rows] == [(None, 1), (None, 1)]
    count = await db.read.fetch_value("SELECT COUNT(*) FROM checkpoint_people")
    assert count == 2  # the day's figures stay
