"""People: GB 11643, duplicates, masking and audited reveals, changes that reissue passes, health checks."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import idcard
from gateway.appkeys import db_key
from gateway.privacy import mask_document, mask_phone

from .conftest import Client, person_body, resident_id

# GB 11643-1999 examples published with the standard and widely reproduced
KNOWN_VALID = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("number", KNOWN_VALID)
def test_known_valid_numbers(number: str) -> None:
    assert idcard.problem(number) is None


@given(st.from_regex(r"\A[0-9]{17}\Z"))
def test_exactly_one_check_character_is_accepted(first17: str) -> None:
    good = [c for c in "0123456789X" if idcard.problem(first17 + c) is None]
    birth_ok = idcard.problem(idcard.make(first17)) is None
    assert good == ([idcard.check_digit(first17)] if birth_ok else [])


@given(st.text(max_size=30))
def test_problem_never_raises(text: str) -> None:
    assert idcard.problem(text) is None or isinstance(idcard.problem(text), str)


def test_masks() -> None:
    assert mask_document("32050219900101123X") == "3205**********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_document("E12345678") == "E1*****78"


async def test_bad_check_digit_names_the_field(client: Client, registrar: dict[str, str]) -> None:
    number = resident_id(5)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    resp = await client.post("/api/v1/people", headers=registrar,
                             json={**person_body(5), "document_number": wrong})
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["field"] == "document_number" and "check digit" in error["message"]


async def test_duplicate_documents_are_refused(client: Client, registrar: dict[str, str]) -> None:
    assert (await client.post("/api/v1/people", headers=registrar, json=person_body(11))).status == 201
    # the same number typed with spaces and a lower-case x is the same document
    body = person_body(11, name="李四")
    body["document_number"] = " ".join([body["document_number"][:6], body["document_number"][6:].lower()])
    resp = await client.post("/api/v1/people", headers=registrar, json=body)
    assert resp.status == 409
    assert (await resp.json())["error"] == {"code": "duplicate_document", "field": "document_number",
                                            "message": "a person with this document is already registered"}
    other = await (await client.post("/api/v1/people", headers=registrar, json=person_body(12))).json()
    resp = await client.patch(f"/api/v1/people/{other['id']}", headers=registrar,
                              json={"document_type": "resident_id", "document_number": resident_id(11)})
    assert resp.status == 409


async def test_numbers_are_encrypted_at_rest_and_masked_in_answers(
        client: Client, registrar: dict[str, str], viewer: dict[str, str], admin: dict[str, str],
        config: object) -> None:
    body = person_body(21, address="1 Lane")
    person = await (await client.post("/api/v1/people", headers=registrar, json=body)).json()
    assert person["document_number"] == mask_document(body["document_number"])
    assert person["phone"] == "138****0021"
    raw = await client.app[db_key].read.fetch_all("SELECT * FROM people")
    dump = repr([tuple(r) for r in raw])
    assert body["document_number"] not in dump and body["phone"] not in dump
    seen = await (await client.get(f"/api/v1/people/{person['id']}", headers=viewer)).json()
    assert seen["document_number"] == person["document_number"] and seen["address"] is None
    # only an admin may reveal, and every reveal is audited
    assert (await client.get(f"/api/v1/people/{person['id']}?reveal=1", headers=registrar)).status == 403
    revealed = await (await client.get(f"/api/v1/people/{person['id']}?reveal=1", headers=admin)).json()
    assert (revealed["document_number"], revealed["phone"]) == (body["document_number"], body["phone"])
    audit = await (await client.get("/api/v1/audit?action=person.reveal", headers=admin)).json()
    assert [(a["target"], a["actor"]) for a in audit["audit"]] == [(f"person:{person['id']}",
                                                                   "token:1(test-admin)")]
    assert body["document_number"] not in repr(audit)


async def test_lookup_by_document(client: Client, registrar: dict[str, str], viewer: dict[str, str]) -> None:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(31))).json()
    await client.post("/api/v1/people", headers=registrar, json=person_body(32))
    number = resident_id(31)
    found = await (await client.get(f"/api/v1/people?document_type=resident_id&document_number={number}",
                                    headers=registrar)).json()
    assert [p["id"] for p in found["people"]] == [person["id"]]
    resp = await client.get(f"/api/v1/people?document_type=resident_id&document_number={number}",
                            headers=viewer)
    assert resp.status == 403


async def test_status_change_reissues_the_live_pass(client: Client, registrar: dict[str, str],
                                                    admin: dict[str, str]) -> None:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(41))).json()
    first = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    assert (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).status == 409
    # a change the pass does not carry (the address) keeps the pass
    await client.patch(f"/api/v1/people/{person['id']}", headers=registrar, json={"address": "2 Road"})
    assert (await (await client.get(f"/api/v1/passes/{first['serial']}", headers=admin)).json())["state"] == "live"
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar,
                              json={"status": "red", "reason": "close contact"})
    changed = await resp.json()
    assert changed["status"] == "red" and changed["pass"]["serial"] != first["serial"]
    assert [h["status"] for h in changed["status_history"]] == ["green", "red"]
    assert changed["status_history"][1]["reason"] == "close contact"
    old = await (await client.get(f"/api/v1/passes/{first['serial']}", headers=admin)).json()
    assert (old["state"], old["replaced_by"]) == ("revoked", changed["pass"]["serial"])
    new = await (await client.get(f"/api/v1/passes/{changed['pass']['serial']}", headers=admin)).json()
    assert new["claims"]["status"] == "red"
    # the change of employer is carried too
    again = await (await client.patch(f"/api/v1/people/{person['id']}", headers=registrar,
                                      json={"employer": "F1"})).json()
    assert again["pass"]["serial"] != changed["pass"]["serial"]


async def test_end_quarantine_early_and_clear_are_audited(client: Client, registrar: dict[str, str],
                                                          admin: dict[str, str]) -> None:
    from tests.city import local_today
    arrived = local_today().toordinal() - 3
    from datetime import date
    body = person_body(51, origin="420100", arrived_on=date.fromordinal(arrived).isoformat())
    person = await (await client.post("/api/v1/people", headers=registrar, json=body)).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    path = f"/api/v1/people/{person['id']}"
    assert (await client.post(f"{path}/quarantine/end", headers=registrar, json={"reason": "x"})).status == 403
    assert (await client.post(f"{path}/quarantine/end", headers=admin, json={})).status == 422
    ended = await (await client.post(f"{path}/quarantine/end", headers=admin,
                                     json={"reason": "negative tests"})).json()
    assert ended["quarantine"]["end"] == local_today().isoformat() and ended["quarantine"]["ended_early"]
    assert ended["pass"]["serial"] != issued["serial"]
    assert (await client.post(f"{path}/quarantine/end", headers=admin, json={"reason": "again"})).status == 409
    cleared = await (await client.post(f"{path}/clear", headers=admin, json={"reason": "observation done"})).json()
    assert cleared["cleared"] and cleared["pass"]["serial"] != ended["pass"]["serial"]
    claims = (await (await client.get(f"/api/v1/passes/{cleared['pass']['serial']}", headers=admin)).json())["claims"]
    assert claims["cleared"] is True
    actions = [a["action"] for a in (await (await client.get(f"/api/v1/audit?target=person:{person['id']}",
                                                             headers=admin)).json())["audit"]]
    assert actions == ["person.register", "pass.issue", "person.quarantine_end", "pass.reissue",
                       "person.clear", "pass.reissue"]


async def test_health_checks(client: Client, registrar: dict[str, str], viewer: dict[str, str]) -> None:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(61))).json()
    path = f"/api/v1/people/{person['id']}/health-checks"
    resp = await client.post(path, headers=registrar, json={"temperature": 37.9, "symptoms": ["cough"]})
    assert resp.status == 201
    check = await resp.json()
    assert check["recorded_by"] == "token:2(test-registrar)" and check["symptoms"] == ["cough"]
    for bad in ({"temperature": "hot"}, {"temperature": 99}, {"temperature": 36.5, "symptoms": "x"},
                {"temperature": 36.5, "extra": 1}):
        resp = await client.post(path, headers=registrar, json=bad)
        assert resp.status == 422, bad
    listed = await (await client.get(path, headers=registrar)).json()
    assert [c["temperature"] for c in listed["health_checks"]] == [37.9]
    assert (await client.get(path, headers=viewer)).status == 403  # health data: not for a viewer
    assert (await client.post("/api/v1/people/999/health-checks", headers=registrar,
                              json={"temperature": 36.5})).status == 404


async def test_a_status_change_needs_a_reason(client: Client, registrar: dict[str, str],
                                              admin: dict[str, str]) -> None:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(43))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar, json={"status": "red"})
    assert resp.status == 422
    assert (await resp.json())["error"]["field"] == "reason"
    after = await (await client.get(f"/api/v1/people/{person['id']}", headers=admin)).json()
    assert (after["status"], after["pass"]["serial"]) == ("green", issued["serial"])  # nothing changed
    # the same status again is no change, and other fields need no reason
    resp = await client.patch(f"/api/v1/people/{person['id']}", headers=registrar,
                              json={"status": "green", "address": "3 Road"})
    assert resp.status == 200


async def test_a_viewer_never_gets_the_qr_text(client: Client, registrar: dict[str, str],
                                               viewer: dict[str, str]) -> None:
    person = await (await client.post("/api/v1/people", headers=registrar, json=person_body(44))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    path = f"/api/v1/passes/{issued['serial']}"
    staff = await (await client.get(path, headers=registrar)).json()
    assert staff["qr_text"] == issued["qr_text"]
    resp = await client.get(path, headers=viewer)
    seen = await resp.json()
    assert resp.status == 200 and seen["qr_text"] is None and seen["state"] == "live"
    assert issued["qr_text"] not in await resp.text()
