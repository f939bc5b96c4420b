"""Guardianships (family passes, issue 14 part 2): recorded with consent, scoped, capped, audited."""

from __future__ import annotations

from typing import Any

from gateway import guardianships
from gateway.appkeys import db_key
from gateway.auth import create_token

from .conftest import Client, bearer, person_body, resident_id

R = "/api/v1"
CONSENT = {"consent_by": "dependant", "consent_how": "in_person"}


async def _person(client: Client, headers: dict[str, str], seed: int, **extra: Any) -> dict[str, Any]:
    resp = await client.post(f"{R}/people", headers=headers, json=person_body(seed, **extra))
    assert resp.status == 201, await resp.text()
    return await resp.json()


def _by_document(seed: int) -> dict[str, Any]:
    return {"guardian_document_type": "resident_id", "guardian_document_number": resident_id(seed), **CONSENT}


async def test_a_registrar_records_a_guardian_by_document_with_consent(client: Client, registrar: dict[str, str],
                                                                       admin: dict[str, str]) -> None:
    guardian = await _person(client, registrar, 1, name="王女儿")
    grandma = await _person(client, registrar, 2, name="王奶奶")
    resp = await client.post(f"{R}/people/{grandma['id']}/guardianships", headers=registrar, json={
        **_by_document(1), "consent_how": "signed_paper", "consent_at": "2020-02-10T09:30:00+08:00",
        "note": "form 12 in the folder"})
    assert resp.status == 201, await resp.text()
    care = await resp.json()
    assert (care["guardian_id"], care["guardian_name"], care["dependant_id"]) == (guardian["id"], "王女儿",
                                                                                 grandma["id"])
    assert care["consent"] == {"by": "dependant", "how": "signed_paper", "at": "2020-02-10T01:30:00+00:00"}
    assert care["active"] and care["recorded_by"] == "token:2(test-registrar)"
    # both files list it
    for person in (guardian, grandma):
        listed = await (await client.get(f"{R}/people/{person['id']}/guardianships", headers=registrar)).json()
        assert [c["id"] for c in listed["guardianships"]] == [care["id"]]
    # audited, with no full document number
    audit = await (await client.get(f"{R}/audit?action=guardianship.add", headers=admin)).json()
    row = audit["audit"][-1]
    assert row["target"] == f"person:{grandma['id']}" and row["details"]["guardian"] == guardian["id"]
    assert resident_id(1) not in str(audit)
    # ended with a reason: inactive, audited, and it can't end twice
    resp = await client.post(f"{R}/guardianships/{care['id']}/end", headers=registrar, json={"reason": "moved in"})
    assert resp.status == 200 and not (await resp.json())["active"]
    resp = await client.post(f"{R}/guardianships/{care['id']}/end", headers=registrar, json={"reason": "again"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_ended"
    audit = await (await client.get(f"{R}/audit?action=guardianship.end", headers=admin)).json()
    assert audit["audit"][-1]["reason"] == "moved in"


async def test_limits_self_duplicate_cap_and_several_guardians(client: Client, registrar: dict[str, str]) -> None:
    guardian = await _person(client, registrar, 1)
    child = await _person(client, registrar, 2)
    url = f"{R}/people/{child['id']}/guardianships"
    resp = await client.post(f"{R}/people/{guardian['id']}/guardianships", headers=registrar,
                             json={"guardian_id": guardian["id"], **CONSENT})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "own_dependant"
    assert (await client.post(url, headers=registrar, json={"guardian_id": guardian["id"], **CONSENT})).status == 201
    resp = await client.post(url, headers=registrar, json={"guardian_id": guardian["id"], **CONSENT})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_guardian"
    # a second guardian for the same child is fine
    other = await _person(client, registrar, 3)
    assert (await client.post(url, headers=registrar, json={"guardian_id": other["id"], **CONSENT})).status == 201
    # the cap: MAX_DEPENDANTS per guardian, then a clear refusal
    for seed in range(4, 4 + guardianships.MAX_DEPENDANTS - 1):
        dependant = await _person(client, registrar, seed)
        resp = await client.post(f"{R}/people/{dependant['id']}/guardianships", headers=registrar,
                                 json={"guardian_id": guardian["id"], **CONSENT})
        assert resp.status == 201, await resp.text()
    one_more = await _person(client, registrar, 40)
    resp = await client.post(f"{R}/people/{one_more['id']}/guardianships", headers=registrar,
                             json={"guardian_id": guardian["id"], **CONSENT})
    body = await resp.json()
    assert resp.status == 409 and body["error"]["code"] == "too_many_dependants"
    assert str(guardianships.MAX_DEPENDANTS) in body["error"]["message"]


async def test_bad_input_is_a_clear_422(client: Client, registrar: dict[str, str]) -> None:
    guardian = await _person(client, registrar, 1)
    child = await _person(client, registrar, 2)
    url = f"{R}/people/{child['id']}/guardianships"
    cases: list[tuple[Any, str]] = [
        ({**CONSENT}, "guardian_id"),
        ({"guardian_id": guardian["id"], **_by_document(1)}, "guardian_id"),
        ({"guardian_id": guardian["id"], "consent_by": "neighbour", "consent_how": "phone"}, "consent_by"),
        ({"guardian_id": guardian["id"], "consent_by": "dependant"}, "consent_how"),
        ({"guardian_id": guardian["id"], **CONSENT, "consent_at": "2999-01-01T00:00:00+08:00"}, "consent_at"),
        ({"guardian_id": guardian["id"], **CONSENT, "consent_at": "yesterday"}, "consent_at"),
        ({"guardian_id": "1", **CONSENT}, "guardian_id"),
        ({"guardian_id": guardian["id"], **CONSENT, "extra": 1}, "extra"),
        ({"guardian_document_type": "resident_id", **CONSENT}, "guardian_document_type"),
        ({"guardian_document_type": "resident_id", "guardian_document_number": "12345678901234567X", **CONSENT},
         "document_number"),
        ([1, 2], ""),
    ]
    for body, field in cases:
        resp = await client.post(url, headers=registrar, json=body)
        assert resp.status == 422, (body, await resp.text())
        assert field in ((await resp.json())["error"]["field"] or ""), (body, await resp.text())
    resp = await client.post(f"{R}/guardianships/1/end", headers=registrar, json={})
    assert resp.status == 422
    # an unknown guardian: 404 naming the field
    resp = await client.post(url, headers=registrar, json=_by_document(99))
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "guardian_not_found"


async def test_scope_the_dependant_and_the_guardian_must_be_reached(client: Client, admin: dict[str, str]) -> None:
    db = client.app[db_key]
    inside = bearer(await create_token(db, role="registrar", label="c1", scope="community:C1"))
    viewer = bearer(await create_token(db, role="viewer", label="v1", scope="community:C1"))
    guardian_in = await _person(client, admin, 1, name="IN-GUARDIAN")
    guardian_out = await _person(client, admin, 2, name="OUT-GUARDIAN", community="C2")
    child_in = await _person(client, admin, 3)
    child_out = await _person(client, admin, 4, community="C2")
    # a dependant outside the scope: not found, whatever the guardian
    resp = await client.post(f"{R}/people/{child_out['id']}/guardianships", headers=inside,
                             json={"guardian_id": guardian_in["id"], **CONSENT})
    assert resp.status == 404
    # a guardian outside the scope: answered as unknown, by id and by document alike
    for body in ({"guardian_id": guardian_out["id"], **CONSENT}, _by_document(2)):
        resp = await client.post(f"{R}/people/{child_in['id']}/guardianships", headers=inside, json=body)
        assert resp.status == 404 and "OUT-GUARDIAN" not in await resp.text()
    # an admin links across communities; the registrar then sees the care without the other's name
    resp = await client.post(f"{R}/people/{child_in['id']}/guardianships", headers=admin,
                             json={"guardian_id": guardian_out["id"], **CONSENT})
    assert resp.status == 201
    care = await resp.json()
    listed = await (await client.get(f"{R}/people/{child_in['id']}/guardianships", headers=inside)).json()
    assert listed["guardianships"][0]["guardian_name"] is None and "OUT-GUARDIAN" not in str(listed)
    assert (await client.get(f"{R}/people/{child_out['id']}/guardianships", headers=inside)).status == 404
    # a viewer reads, never changes
    assert (await client.get(f"{R}/people/{child_in['id']}/guardianships", headers=viewer)).status == 200
    resp = await client.post(f"{R}/guardianships/{care['id']}/end", headers=viewer, json={"reason": "x"})
    assert resp.status == 403
    # a registrar of the guardian's community only cannot end a care of a dependant outside her scope
    other = bearer(await create_token(db, role="registrar", label="c2", scope="community:C2"))
    resp = await client.post(f"{R}/guardianships/{care['id']}/end", headers=other, json={"reason": "x"})
    assert resp.status == 404
