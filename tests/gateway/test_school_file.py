"""The school file (一校一档, #14 part 4) through the API, on SQLite and PostgreSQL: classes with their
class teacher, a teacher who reaches their class only, the five must-be-clear items and what is
missing, the daily contact log of people not yet back, the temperature check with who took it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from gateway import accounts, retention
from gateway.appkeys import config_key, db_key
from gateway.auth import ROLES, create_token
from tests.city import local_today

from .conftest import Client, bearer, person_body

R = "/api/v1"


async def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def _school(client: Client, admin: dict[str, str]) -> dict[str, Any]:
    """School S1: class 1A (teacher wang, with 王小明 back and checked, 李雷 not back) and class 1B (韩梅梅)."""
    db = client.app[db_key]
    await accounts.create_account(db, "wang", "correct horse battery", "teacher", scope="class:S1/1A")
    await _ok(await client.post(f"{R}/schools/S1/classes", headers=admin,
                                json={"code": "1A", "name": "一年级一班", "grade": "一年级", "teacher": "wang"}), 201)
    await _ok(await client.post(f"{R}/schools/S1/classes", headers=admin,
                                json={"code": "1B", "name": "一年级二班"}), 201)
    ids = {}
    for seed, name, klass, extra in (
            (21, "王小明", "1A", {"address": "昆山市前进路1号", "origin": "420102",
                                  "arrived_on": local_today().isoformat()}),
            (22, "李雷", "1A", {"origin": "310101", "phone": None}),  # not back, no phone, no address
            (23, "韩梅梅", "1B", {"address": "昆山市人民路2号", "origin": "320583"})):
        body = person_body(seed, name=name, school="S1", **extra)
        person = await _ok(await client.post(f"{R}/people", headers=admin, json=body), 201)
        await _ok(await client.put(f"{R}/people/{person['id']}/class", headers=admin, json={"school_class": klass}))
        ids[name] = person["id"]
    return ids


async def test_a_class_teacher_sees_only_their_class(client: Client, admin: dict[str, str]) -> None:
    ids = await _school(client, admin)
    teacher = bearer(await create_token(client.app[db_key], role="teacher", label="wang", scope="class:S1/1A"))
    people = await _ok(await client.get(f"{R}/people", headers=teacher))
    assert sorted(p["name"] for p in people["people"]) == ["李雷", "王小明"]
    assert all(p["school_class"] == "1A" for p in people["people"])
    # another class's person is not found, as if missing; their checks and contacts too
    other = ids["韩梅梅"]
    assert (await client.get(f"{R}/people/{other}", headers=teacher)).status == 404
    assert (await client.post(f"{R}/people/{other}/health-checks", headers=teacher,
                              json={"temperature": 36.5})).status == 404
    assert (await client.get(f"{R}/people/{other}/contacts", headers=teacher)).status == 404
    classes = await _ok(await client.get(f"{R}/schools/S1/classes", headers=teacher))
    assert [c["code"] for c in classes["classes"]] == ["1A"] and classes["classes"][0]["teacher"] == "wang"
    file = await _ok(await client.get(f"{R}/schools/S1/file", headers=teacher))
    assert sorted(p["name"] for p in file["people"]) == ["李雷", "王小明"]
    # a teacher neither registers people nor makes classes, nor moves anyone into their class
    assert (await client.post(f"{R}/people", headers=teacher, json=person_body(30, school="S1"))).status == 403
    assert (await client.post(f"{R}/schools/S1/classes", headers=teacher,
                              json={"code": "1C", "name": "x"})).status == 403
    assert (await client.put(f"{R}/people/{other}/class", headers=teacher,
                             json={"school_class": "1A"})).status == 403
    # a class scope is a teacher's only, and a teacher has nothing else
    db = client.app[db_key]
    for role, scope in (("registrar", "class:S1/1A"), ("teacher", "city"), ("teacher", "community:C1"),
                        ("teacher", "class:S1"), ("teacher", "class:S1/1A/x")):
        try:
            await create_token(db, role=role, label="bad", scope=scope)
        except Exception as exc:  # InvalidInput, named by the scope field
            assert getattr(exc, "field", None) == "scope", exc
        else:
            raise AssertionError(f"{role} {scope} accepted")


async def test_the_five_items_and_what_is_missing(client: Client, admin: dict[str, str],
                                                  registrar: dict[str, str]) -> None:
    ids = await _school(client, admin)
    teacher = bearer(await create_token(client.app[db_key], role="teacher", label="wang", scope="class:S1/1A"))

    def items(file: dict[str, Any], name: str) -> dict[str, tuple[str, str]]:
        person = next(p for p in file["people"] if p["name"] == name)
        return {i["item"]: (i["state"], i["reason"]) for i in person["items"]}

    file = await _ok(await client.get(f"{R}/schools/S1/file", headers=admin))
    assert items(file, "王小明") == {"name": ("clear", "ok"), "contact": ("clear", "ok"),
                                     "address": ("clear", "ok"), "health": ("missing", "no_check_today"),
                                     "travel": ("clear", "key_area_arrival")}
    assert items(file, "李雷") == {"name": ("clear", "ok"), "contact": ("missing", "no_phone"),
                                   "address": ("missing", "no_address"), "health": ("missing", "no_contact_today"),
                                   "travel": ("missing", "no_contact_today")}
    assert file["missing"] == 3
    # the class teacher takes the temperature (named) and calls the one not yet back
    check = await _ok(await client.post(f"{R}/people/{ids['王小明']}/health-checks", headers=teacher,
                                        json={"temperature": 36.4, "taken_by": "王老师"}), 201)
    wang = f"{len(ROLES) + 1}(wang)"  # the token made after the fixture's one per role
    assert check["taken_by"] == "王老师" and check["recorded_by"] == f"token:{wang}"
    bad = await client.post(f"{R}/people/{ids['王小明']}/contacts", headers=teacher, json={"note": "在家"})
    assert bad.status == 409 and (await bad.json())["error"]["code"] == "already_back"
    for body, field in (({}, "note"), ({"note": "x" * 501}, "note"), ({"note": "ok", "channel": "fax"}, "channel"),
                        ({"note": "ok", "contacted_at": "2999-01-01T00:00:00+08:00"}, "contacted_at"),
                        ({"note": "ok", "extra": 1}, "extra")):
        resp = await client.post(f"{R}/people/{ids['李雷']}/contacts", headers=teacher, json=body)
        assert resp.status == 422 and (await resp.json())["error"]["field"] == field, (body, await resp.text())
    contact = await _ok(await client.post(f"{R}/people/{ids['李雷']}/contacts", headers=teacher, json={
        "note": "在上海家中，情绪稳定", "health": "无发热", "plans": "开学前一周返昆", "channel": "wechat"}), 201)
    assert contact["caller"] == wang and contact["recorded_by"] == f"token:{wang}"
    listed = await _ok(await client.get(f"{R}/people/{ids['李雷']}/contacts", headers=teacher))
    assert [c["note"] for c in listed["contacts"]] == ["在上海家中，情绪稳定"]

    file = await _ok(await client.get(f"{R}/schools/S1/file", headers=admin))
    assert items(file, "王小明")["health"] == ("clear", "checked")
    health = next(i for p in file["people"] if p["name"] == "王小明" for i in p["items"] if i["item"] == "health")
    assert health["detail"]["taken_by"] == "王老师" and health["detail"]["temperature"] == 36.4
    assert items(file, "李雷")["health"] == ("clear", "told_by_contact")
    assert items(file, "李雷")["travel"] == ("clear", "not_back_contacted")
    assert next(p for p in file["people"] if p["name"] == "李雷")["missing"] == ["contact", "address"]
    # a fever is an alert, not a clear item
    await _ok(await client.post(f"{R}/people/{ids['韩梅梅']}/health-checks", headers=registrar,
                                json={"temperature": 38.2}), 201)
    file = await _ok(await client.get(f"{R}/schools/S1/file?class=1B", headers=admin))
    assert [p["name"] for p in file["people"]] == ["韩梅梅"]
    assert items(file, "韩梅梅")["health"] == ("alert", "fever")
    # another day: nothing checked, nobody contacted
    yesterday = await _ok(await client.get(f"{R}/schools/S1/file?date=2020-02-01", headers=admin))
    assert items(yesterday, "王小明")["health"] == ("missing", "no_check_today")


async def test_classes_and_membership_are_validated(client: Client, admin: dict[str, str],
                                                    registrar: dict[str, str]) -> None:
    ids = await _school(client, admin)
    for body, field in (({"code": "1A", "name": "again"}, "code"), ({"code": "a b", "name": "x"}, "code"),
                        ({"name": "x"}, "code"), ({"code": "2A"}, "name"),
                        ({"code": "2A", "name": "x", "teacher": "nobody"}, "teacher")):
        resp = await client.post(f"{R}/schools/S1/classes", headers=admin, json=body)
        assert resp.status in (409, 422) and (await resp.json())["error"]["field"] == field, await resp.text()
    # a teacher account scoped to another class is not this class's teacher
    resp = await client.patch(f"{R}/schools/S1/classes/1B", headers=admin, json={"teacher": "wang"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "teacher"
    changed = await _ok(await client.patch(f"{R}/schools/S1/classes/1B", headers=registrar, json={"grade": "一年级"}))
    assert changed["grade"] == "一年级"
    assert (await client.patch(f"{R}/schools/S1/classes/9Z", headers=admin, json={"grade": "x"})).status == 404
    resp = await client.put(f"{R}/people/{ids['韩梅梅']}/class", headers=admin, json={"school_class": "9Z"})
    assert resp.status == 422 and (await resp.json())["error"]["field"] == "school_class"
    nobody = await _ok(await client.post(f"{R}/people", headers=admin, json=person_body(40)), 201)
    resp = await client.put(f"{R}/people/{nobody['id']}/class", headers=admin, json={"school_class": "1A"})
    assert resp.status == 409 and (await resp.json())["error"]["code"] == "no_school"
    # moving a person to another school takes them out of their class
    moved = await _ok(await client.patch(f"{R}/people/{ids['韩梅梅']}", headers=admin, json={"school": "S2"}))
    assert moved["school"] == "S2" and moved["school_class"] is None
    audit = await _ok(await client.get(f"{R}/audit", headers=admin))
    actions = {a["action"] for a in audit["audit"]}
    assert {"school.class_create", "school.class_update", "person.class"} <= actions


async def test_retention_blanks_what_was_said_in_old_contacts(client: Client, admin: dict[str, str]) -> None:
    """Past retention_days a contact keeps when, by whom and how; what the person said goes (audited)."""
    ids = await _school(client, admin)
    who = ids["李雷"]
    long_ago = (datetime.now(UTC) - timedelta(days=60)).isoformat(timespec="seconds")
    old = await _ok(await client.post(f"{R}/people/{who}/contacts", headers=admin, json={
        "note": "在上海家中", "health": "无发热", "plans": "下周返昆", "contacted_at": long_ago}), 201)
    new = await _ok(await client.post(f"{R}/people/{who}/contacts", headers=admin, json={
        "note": "已订车票", "health": "正常", "plans": "明天返昆"}), 201)
    assert old["redacted"] is False
    await retention.purge(client.app[db_key], client.app[config_key])
    listed = {c["id"]: c for c in (await _ok(await client.get(f"{R}/people/{who}/contacts",
                                                                headers=admin)))["contacts"]}
    gone, kept = listed[old["id"]], listed[new["id"]]
    assert (gone["note"], gone["health"], gone["plans"], gone["redacted"]) == ("", None, None, True)
    assert (gone["contacted_at"], gone["caller"], gone["channel"]) == (
        old["contacted_at"], old["caller"], old["channel"])
    assert (kept["note"], kept["health"], kept["plans"], kept["redacted"]) == ("已订车票", "正常", "明天返昆", False)
    audit = (await _ok(await client.get(f"{R}/audit?action=contact.redact", headers=admin)))["audit"]
    assert [(r["actor"], r["details"]["contacts"]) for r in audit] == [("system:retention", 1)]
    assert "在上海家中" not in str(audit)
    await retention.purge(client.app[db_key], client.app[config_key])  # nothing more to blank: no new row
    assert len((await _ok(await client.get(f"{R}/audit?action=contact.redact", headers=admin)))["audit"]) == 1
