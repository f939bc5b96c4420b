"""Resumption approval (复工审批, issue #14 part 3) through the API, with the gate's own decision.

A factory whose policy requires approval is closed (`site_closed`) at its gate whatever `open_from`
says; it applies with the five items in place, is refused, applies again, is approved: the next
bundle's signed policy carries `resumption_approved` and the approved opening time, and the same
pass is admitted. Nobody touches `open_from` by hand. Every step is audited.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from gateway.appkeys import db_key
from gateway.auth import create_token
from gateway.db import Conflict
from gateway.resumption import ITEMS
from gateway.store import sites as site_store
from keys import Reason, TrustSet, decide, load_policy

from .bundles import revocations_of
from .conftest import Client, bearer, enrol_device, make_site, person_body

FIVE = {k: {"done": True, "note": f"{k} 已落实"} for k in ITEMS}


async def _gate_decides(client: Client, device: dict[str, Any], qr_text: str) -> Reason:
    """What the gate decides after a sync: its bundle's signed documents, verified, then keys.decide."""
    trust = TrustSet.from_jwks(device["jwks"])
    bundle = await (await client.get("/api/v1/devices/bundle", headers=bearer(device["credential"]))).json()
    policy = load_policy(base64.b64decode(bundle["policy"]), trust)
    revocations = await revocations_of(client, bundle, trust)
    return decide(qr_text, trust, revocations, policy, now=datetime.now(UTC)).reason


async def _world(client: Client, admin: dict[str, str]) -> tuple[dict[str, str], dict[str, str], dict[str, Any], str]:
    # open_from long past: only the missing approval keeps the gate closed
    await make_site(client, admin, "F1", "factory", employers=["E1"], open_from="2020-02-01",
                    resumption_required=True)
    await make_site(client, admin, "F2", "factory", employers=["E2"], resumption_required=True)
    db = client.app[db_key]
    contact = bearer(await create_token(db, role="registrar", label="F1 contact", scope="site:F1"))
    approver = bearer(await create_token(db, role="approver", label="工信局", scope="employer:E1"))
    person = await (await client.post("/api/v1/people", headers=admin,
                                      json=person_body(5, community=None, employer="E1"))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json()
    return contact, approver, await enrol_device(client, admin, "F1"), issued["qr_text"]


async def test_refused_then_approved_the_gate_denies_before_and_admits_after(client: Client,
                                                                            admin: dict[str, str]) -> None:
    contact, approver, device, qr_text = await _world(client, admin)
    assert await _gate_decides(client, device, qr_text) is Reason.SITE_CLOSED

    resp = await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})
    assert resp.status == 201, await resp.text()
    first = await resp.json()
    assert first["state"] == "pending" and first["items"]["briefings"]["note"] == "briefings 已落实"
    pending = await (await client.get("/api/v1/resumptions?state=pending", headers=approver)).json()
    assert [r["id"] for r in pending["resumptions"]] == [first["id"]]
    again = await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})
    assert again.status == 409 and (await again.json())["error"]["code"] == "resumption_pending"

    resp = await client.post(f"/api/v1/resumptions/{first['id']}/decision", headers=approver,
                             json={"decision": "refuse", "reason": "消毒记录不全"})
    assert resp.status == 200 and (await resp.json())["state"] == "refused"
    assert await _gate_decides(client, device, qr_text) is Reason.SITE_CLOSED
    resp = await client.post(f"/api/v1/resumptions/{first['id']}/decision", headers=approver,
                             json={"decision": "approve", "reason": "too late"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_decided"

    second = await (await client.post("/api/v1/sites/F1/resumptions", headers=contact,
                                      json={"items": FIVE, "open_from": "2020-02-10T08:00",
                                            "note": "补齐消毒台账"})).json()
    resp = await client.post(f"/api/v1/resumptions/{second['id']}/decision", headers=approver,
                             json={"decision": "approve", "reason": "五个到位，同意复工"})
    approved = await resp.json()
    assert approved["state"] == "approved" and approved["approved_open_from"] == "2020-02-10T08:00:00+08:00"
    assert await _gate_decides(client, device, qr_text) is Reason.OK
    site = await (await client.get("/api/v1/sites/F1", headers=admin)).json()
    assert site["policy"]["resumption_approved"] is True
    assert site["policy"]["open_from"] == "2020-02-10T08:00:00+08:00"

    rows = await client.app[db_key].read.fetch_all(
        "SELECT actor, action, target, reason, details FROM audit WHERE action LIKE 'resumption.%'"
        " OR (action = 'site.edit' AND target = 'site:F1') ORDER BY id")
    assert [(r["action"], r["target"]) for r in rows] == [
        ("resumption.apply", "site:F1"), ("resumption.refuse", f"resumption:{first['id']}"),
        ("resumption.apply", "site:F1"), ("site.edit", "site:F1"), ("resumption.approve", f"resumption:{second['id']}")]
    assert rows[1]["reason"] == "消毒记录不全" and "工信局" in rows[1]["actor"]
    edit = json.loads(rows[3]["details"])
    assert edit["old"] == {"open_from": "2020-02-01T00:00:00+08:00", "resumption_approved": False}
    assert edit["new"] == {"open_from": "2020-02-10T08:00:00+08:00", "resumption_approved": True}
    # approved: no second application
    resp = await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_approved"


async def test_every_item_must_be_in_place_and_input_is_checked(client: Client, admin: dict[str, str]) -> None:
    contact, approver, _, _ = await _world(client, admin)
    missing = {k: v for k, v in FIVE.items() if k != "notices"}
    cases = [({"items": missing}, "items.notices"),
             ({"items": {**FIVE, "commitment": {"done": False}}}, "items.commitment"),
             ({"items": {**FIVE, "conditions": {"done": True, "note": "x" * 501}}}, "items.conditions.note"),
             ({"items": {**FIVE, "extra": {"done": True}}}, "items.extra"), ({"items": []}, "items"),
             ({"items": FIVE, "open_from": "next week"}, "open_from"),
             ({"items": FIVE, "colour": "red"}, "colour")]
    for body, field in cases:
        resp = await client.post("/api/v1/sites/F1/resumptions", headers=contact, json=body)
        assert resp.status == 422, body
        assert (await resp.json())["error"]["field"] == field, body
    applied = await (await client.post("/api/v1/sites/F1/resumptions", headers=contact,
                                       json={"items": FIVE})).json()
    for body, field in [({"decision": "maybe", "reason": "x"}, "decision"), ({"decision": "approve"}, "reason"),
                        ({"decision": "refuse", "reason": "x", "open_from": "2020-02-10"}, "open_from"),
                        ({"decision": "approve", "reason": "x", "open_from": "soon"}, "open_from")]:
        resp = await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=approver, json=body)
        assert resp.status == 422 and (await resp.json())["error"]["field"] == field, body
    # a community is not a firm
    await make_site(client, admin, "C1", "community", communities=["C1"])
    resp = await client.post("/api/v1/sites/C1/resumptions", headers=admin, json={"items": FIVE})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "not_a_firm"
    # the approval flag is the approver's: an edit may not set it
    resp = await client.patch("/api/v1/sites/F2", headers=admin, json={"policy": {"resumption_approved": True}})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "set_by_approval"


async def test_scope_roles_and_the_approver(client: Client, admin: dict[str, str], registrar: dict[str, str],
                                            tokens: dict[str, str]) -> None:
    contact, approver, _, _ = await _world(client, admin)
    db = client.app[db_key]
    # the F1 contact cannot apply for F2 (outside the scope: as if it did not exist)
    resp = await client.post("/api/v1/sites/F2/resumptions", headers=contact, json={"items": FIVE})
    assert resp.status == 404
    applied = await (await client.post("/api/v1/sites/F2/resumptions", headers=admin, json={"items": FIVE})).json()
    # the E1 approver neither sees nor decides F2's application
    assert (await (await client.get("/api/v1/resumptions", headers=approver)).json())["resumptions"] == []
    assert (await client.get(f"/api/v1/resumptions/{applied['id']}", headers=approver)).status == 404
    resp = await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=approver,
                             json={"decision": "approve", "reason": "x"})
    assert resp.status == 404
    # a registrar or a viewer reads but does not decide; an approver does not apply or read people
    viewer = bearer(tokens["viewer"])
    for headers in (registrar, viewer):
        resp = await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=headers,
                                 json={"decision": "approve", "reason": "x"})
        assert resp.status == 403
    assert (await client.get(f"/api/v1/resumptions/{applied['id']}", headers=viewer)).status == 200
    city_approver = bearer(await create_token(db, role="approver", label="city", scope="city"))
    assert (await client.post("/api/v1/sites/F2/resumptions", headers=city_approver,
                              json={"items": FIVE})).status == 403
    assert (await client.get("/api/v1/people", headers=city_approver)).status == 403
    resp = await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=city_approver,
                             json={"decision": "approve", "reason": "全市统一审批"})
    assert resp.status == 200


async def test_a_withdrawn_approval_closes_the_gate_again_and_the_firm_applies_again(
        client: Client, admin: dict[str, str], registrar: dict[str, str]) -> None:
    """关停 (Kunshan directive of October 2020 §一 item 8): the approver takes the approval back."""
    contact, approver, device, qr_text = await _world(client, admin)
    refused = await (await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})).json()
    await client.post(f"/api/v1/resumptions/{refused['id']}/decision", headers=approver,
                      json={"decision": "refuse", "reason": "消毒记录不全"})
    applied = await (await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})).json()
    withdrawal = f"/api/v1/resumptions/{applied['id']}/withdrawal"
    resp = await client.post(withdrawal, headers=approver, json={"reason": "too early"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "not_approved"  # still pending
    resp = await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=approver,
                             json={"decision": "approve", "reason": "五个到位，同意复工"})
    assert resp.status == 200
    assert await _gate_decides(client, device, qr_text) is Reason.OK

    # the reason is required; a registrar does not withdraw; another employer's approver finds nothing
    for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": "x", "colour": "red"}):
        resp = await client.post(withdrawal, headers=approver, json=body)
        assert resp.status == 422, body
        assert (await resp.json())["error"]["field"] == ("colour" if "colour" in body else "reason"), body
    for headers in (registrar, contact):
        assert (await client.post(withdrawal, headers=headers, json={"reason": "x"})).status == 403
    other = bearer(await create_token(client.app[db_key], role="approver", label="E2", scope="employer:E2"))
    assert (await client.post(withdrawal, headers=other, json={"reason": "x"})).status == 404
    assert (await client.post("/api/v1/resumptions/999999/withdrawal", headers=admin,
                              json={"reason": "x"})).status == 404
    resp = await client.post(f"/api/v1/resumptions/{refused['id']}/withdrawal", headers=approver,
                             json={"reason": "x"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "not_approved"
    assert await _gate_decides(client, device, qr_text) is Reason.OK  # nothing above changed the policy

    resp = await client.post(withdrawal, headers=approver, json={"reason": "拒不整改，依法关停"})
    assert resp.status == 200, await resp.text()
    withdrawn = await resp.json()
    assert withdrawn["state"] == "withdrawn" and withdrawn["withdrawal_reason"] == "拒不整改，依法关停"
    assert "工信局" in withdrawn["withdrawn_by"] and withdrawn["withdrawn_at"]
    assert withdrawn["decision_reason"] == "五个到位，同意复工"  # the approval stays on the record
    assert await _gate_decides(client, device, qr_text) is Reason.SITE_CLOSED
    site = await (await client.get("/api/v1/sites/F1", headers=admin)).json()
    assert site["policy"]["resumption_approved"] is False and site["policy"]["resumption_required"] is True
    resp = await client.post(withdrawal, headers=approver, json={"reason": "again"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "already_withdrawn"
    listed = await (await client.get("/api/v1/resumptions?state=withdrawn", headers=approver)).json()
    assert [r["id"] for r in listed["resumptions"]] == [applied["id"]]
    # still no edit sets the flag back
    resp = await client.patch("/api/v1/sites/F1", headers=admin, json={"policy": {"resumption_approved": True}})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "set_by_approval"

    rows = await client.app[db_key].read.fetch_all(
        "SELECT actor, action, target, reason, details FROM audit WHERE id > (SELECT MAX(id) FROM audit"
        " WHERE action = 'resumption.approve') AND (action LIKE 'resumption.%' OR action = 'site.edit') ORDER BY id")
    assert [(r["action"], r["target"]) for r in rows] == [
        ("site.edit", "site:F1"), ("resumption.withdraw", f"resumption:{applied['id']}")]
    edit = json.loads(rows[0]["details"])
    assert (edit["old"], edit["new"]) == ({"resumption_approved": True}, {"resumption_approved": False})
    assert rows[0]["reason"] == f"resumption {applied['id']} withdrawn: 拒不整改，依法关停"
    assert rows[1]["reason"] == "拒不整改，依法关停" and "工信局" in rows[1]["actor"]

    # put right, the firm applies again and is approved again
    resp = await client.post("/api/v1/sites/F1/resumptions", headers=contact, json={"items": FIVE})
    assert resp.status == 201, await resp.text()
    again = await resp.json()
    resp = await client.post(f"/api/v1/resumptions/{again['id']}/decision", headers=approver,
                             json={"decision": "approve", "reason": "整改到位"})
    assert resp.status == 200 and (await resp.json())["state"] == "approved"
    assert await _gate_decides(client, device, qr_text) is Reason.OK


async def test_only_the_approval_the_site_stands_on_is_withdrawn(client: Client, admin: dict[str, str]) -> None:
    """A site whose policy lost its approval otherwise (a hand-edited database: no route does that) has
    none to withdraw; a later approval supersedes."""
    await _world(client, admin)
    first = await (await client.post("/api/v1/sites/F2/resumptions", headers=admin, json={"items": FIVE})).json()
    await client.post(f"/api/v1/resumptions/{first['id']}/decision", headers=admin,
                      json={"decision": "approve", "reason": "同意"})
    db = client.app[db_key]
    async with db.transaction() as tx:
        row = await site_store.get_site(tx, code="F2")
        assert row is not None
        await site_store.update_site(tx, code="F2", name=row.name, kind=row.kind, at=row.updated_at,
                                     policy=json.dumps({**json.loads(row.policy), "resumption_approved": False}))
    resp = await client.post(f"/api/v1/resumptions/{first['id']}/withdrawal", headers=admin, json={"reason": "x"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "site_not_approved"
    second = await (await client.post("/api/v1/sites/F2/resumptions", headers=admin, json={"items": FIVE})).json()
    await client.post(f"/api/v1/resumptions/{second['id']}/decision", headers=admin,
                      json={"decision": "approve", "reason": "同意"})
    resp = await client.post(f"/api/v1/resumptions/{first['id']}/withdrawal", headers=admin, json={"reason": "x"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "superseded"
    resp = await client.post(f"/api/v1/resumptions/{second['id']}/withdrawal", headers=admin, json={"reason": "关停"})
    assert resp.status == 200 and (await resp.json())["state"] == "withdrawn"
    site = await (await client.get("/api/v1/sites/F2", headers=admin)).json()
    assert site["policy"]["resumption_approved"] is False


async def test_a_firm_approved_without_needing_it_is_closed_by_the_withdrawal(client: Client,
                                                                              admin: dict[str, str]) -> None:
    await make_site(client, admin, "F3", "factory", employers=["E1"], open_from="2020-02-01")
    device = await enrol_device(client, admin, "F3")
    person = await (await client.post("/api/v1/people", headers=admin,
                                      json=person_body(6, community=None, employer="E1"))).json()
    qr_text = (await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=admin)).json())["qr_text"]
    applied = await (await client.post("/api/v1/sites/F3/resumptions", headers=admin, json={"items": FIVE})).json()
    await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=admin,
                      json={"decision": "approve", "reason": "同意"})
    assert await _gate_decides(client, device, qr_text) is Reason.OK
    resp = await client.post(f"/api/v1/resumptions/{applied['id']}/withdrawal", headers=admin,
                             json={"reason": "关停"})
    assert resp.status == 200
    site = await (await client.get("/api/v1/sites/F3", headers=admin)).json()
    assert site["policy"]["resumption_required"] is True and site["policy"]["resumption_approved"] is False
    assert await _gate_decides(client, device, qr_text) is Reason.SITE_CLOSED


async def test_the_role_migration_keeps_accounts_tokens_and_sessions(tmp_path: Any) -> None:
    """A database from before 0470 (roles listed in CHECKs) upgrades with every row kept, then takes an approver."""
    import sqlite3

    from gateway import accounts
    from gateway.db import Database, migrations

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL)")
    for version, name, sql in migrations("sqlite"):
        if version < 470:
            raw.executescript(f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', 'x');"
                              "\nCOMMIT;")
    raw.execute("INSERT INTO accounts (id, username, password_hash, role, created_at, scope, lang)"
                " VALUES (7, 'li', 'h', 'viewer', '2020-02-01', 'community:C1', 'en')")
    raw.execute("INSERT INTO web_sessions VALUES ('s1', 7, 'csrf', '2020-02-01', '2099-01-01')")
    raw.execute("INSERT INTO api_tokens (id, token_hash, role, label, created_at, scope)"
                " VALUES (3, 'th', 'registrar', 'desk', '2020-02-01', 'site:F1')")
    raw.commit()
    try:
        raw.execute("INSERT INTO accounts (username, password_hash, role, created_at) VALUES ('x', 'h', 'approver', 'y')")
        raise AssertionError("the old schema lists the roles")
    except sqlite3.IntegrityError:
        pass
    raw.close()
    db = await Database.open(path)
    try:
        account = dict(await db.read.fetch_one("SELECT * FROM accounts WHERE id = 7"))
        assert account == {"id": 7, "username": "li", "password_hash": "h", "role": "viewer",
                           "created_at": "2020-02-01", "disabled_at": None, "scope": "community:C1", "lang": "en"}
        assert dict(await db.read.fetch_one("SELECT * FROM web_sessions"))["account_id"] == 7
        assert (await db.read.fetch_one("SELECT scope FROM api_tokens WHERE id = 3"))[0] == "site:F1"
        await accounts.create_account(db, "gxj", "correct horse battery", "approver", scope="employer:E1")
        assert await db.read.fetch_value("SELECT role FROM accounts WHERE username = 'gxj'") == "approver"
        async with db.transaction() as tx:  # the session still points at its account
            await tx.execute("DELETE FROM web_sessions")
            await tx.execute("DELETE FROM accounts WHERE id = 7")
    finally:
        await db.close()


async def test_the_withdrawal_migration_keeps_every_application(tmp_path: Any) -> None:
    """A database from before 0580 (three states in the CHECK) upgrades with its rows, ids and indexes kept."""
    import sqlite3

    from gateway.db import Database, migrations

    path = tmp_path / "old.db"
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA foreign_keys = ON")
    raw.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL)")
    for version, name, sql in migrations("sqlite"):
        if version < 580:
            raw.executescript(f"BEGIN;\n{sql}\n;INSERT INTO schema_migrations VALUES ({version}, '{name}', 'x');"
                              "\nCOMMIT;")
    raw.execute("INSERT INTO sites (code, name, kind, policy, created_at, updated_at)"
                " VALUES ('F1', 'works', 'factory', '{}', 'x', 'x')")
    raw.execute("INSERT INTO resumptions VALUES (12, 'F1', 'approved', '{}', NULL, 'n', 'hr', 'a', 'gxj', 'd',"
                " 'ok', '2020-02-10T08:00:00+08:00')")
    raw.execute("INSERT INTO resumptions (id, site, state, items, applied_by, applied_at)"
                " VALUES (13, 'F1', 'pending', '{}', 'hr', 'b')")
    raw.commit()
    try:
        raw.execute("UPDATE resumptions SET state = 'withdrawn' WHERE id = 12")
        raise AssertionError("the old schema has three states")
    except sqlite3.IntegrityError:
        pass
    raw.close()
    db = await Database.open(path)
    try:
        rows = [dict(r) for r in await db.read.fetch_all("SELECT * FROM resumptions ORDER BY id")]
        assert [(r["id"], r["state"], r["decision_reason"], r["withdrawn_by"]) for r in rows] == [
            (12, "approved", "ok", None), (13, "pending", None, None)]
        async with db.transaction() as tx:
            await tx.execute("UPDATE resumptions SET state = 'withdrawn', withdrawn_by = 'gxj' WHERE id = 12")
        try:  # one pending application per site, still enforced
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO resumptions (site, state, items, applied_by, applied_at)"
                                 " VALUES ('F1', 'pending', '{}', 'hr', 'c')")
            raise AssertionError("a second pending application was taken")
        except Conflict:
            pass
    finally:
        await db.close()


async def test_an_admin_neither_gives_nor_takes_an_approval_by_creating_or_replacing_a_site(
        client: Client, admin: dict[str, str]) -> None:
    """POST may not create a site approved; PUT keeps the approval the site has (GET, edit, PUT back
    is fine) and may not change it: only an approval and its withdrawal do (audited as such)."""
    await _world(client, admin)
    resp = await client.post("/api/v1/sites", headers=admin, json={
        "code": "F9", "name": "F9", "kind": "factory", "policy": {"resumption_required": True,
                                                                  "resumption_approved": True}})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "set_by_approval", await resp.text()
    assert (await client.get("/api/v1/sites/F9", headers=admin)).status == 404
    body = {"name": "F2 新名", "kind": "factory", "policy": {"employers": ["E2"], "resumption_required": True}}
    resp = await client.put("/api/v1/sites/F2", headers=admin, json={
        **body, "policy": {**body["policy"], "resumption_approved": True}})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "policy.resumption_approved"
    applied = await (await client.post("/api/v1/sites/F2/resumptions", headers=admin, json={"items": FIVE})).json()
    await client.post(f"/api/v1/resumptions/{applied['id']}/decision", headers=admin,
                      json={"decision": "approve", "reason": "同意"})
    resp = await client.put("/api/v1/sites/F2", headers=admin, json=body)  # silent on approval: kept
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["policy"]["resumption_approved"] is True
    site = await (await client.get("/api/v1/sites/F2", headers=admin)).json()
    assert site["name"] == "F2 新名" and site["policy"]["resumption_approved"] is True
    resp = await client.put("/api/v1/sites/F2", headers=admin, json={"name": site["name"], "kind": "factory",
                                                                      "policy": site["policy"]})
    assert resp.status == 200, await resp.text()  # what GET gave, back unchanged
    resp = await client.put("/api/v1/sites/F2", headers=admin, json={
        **body, "policy": {**body["policy"], "resumption_approved": False}})
    assert resp.status == 422 and (await resp.json())["error"]["code"] == "set_by_approval"
    site = await (await client.get("/api/v1/sites/F2", headers=admin)).json()
    assert site["policy"]["resumption_approved"] is True
    resp = await client.post(f"/api/v1/resumptions/{applied['id']}/withdrawal", headers=admin, json={"reason": "关停"})
    assert resp.status == 200 and (await resp.json())["state"] == "withdrawn"
