"""The school file in the console (#14 part 4): a class teacher lands on their class, sees only its
people, gets not-found for another class's person, records a named temperature check and a contact."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp.test_utils import TestClient

from gateway import accounts, idcard, retention
from gateway.auth import create_token
from tests.city import local_today

from web_helpers import GOOD_ID, PASSWORD, csrf_of, svc_of

R = "/api/v1"


async def _ok(resp: Any, status: int = 200) -> Any:
    assert resp.status == status, await resp.text()
    return await resp.json()


async def _world(client: TestClient) -> dict[str, int]:
    db = svc_of(client).db
    admin = {"Authorization": "Bearer " + await create_token(db, role="admin", label="setup")}
    await accounts.create_account(db, "wang", PASSWORD, "teacher", scope="class:S1/1A")
    await _ok(await client.post(f"{R}/schools/S1/classes", headers=admin,
                                json={"code": "1A", "name": "一年级一班", "teacher": "wang"}), 201)
    await _ok(await client.post(f"{R}/schools/S1/classes", headers=admin, json={"code": "1B", "name": "一年级二班"}), 201)
    ids = {}
    for number, name, klass, extra in ((GOOD_ID, "王小明", "1A", {"address": "前进路1号", "arrived_on": local_today().isoformat(),
                                                               "origin": "420102"}),
                                       (idcard.make("11010519491231003"), "李雷", "1A", {"origin": "310101"}),
                                       (idcard.make("11010519491231005"), "韩梅梅", "1B", {"address": "人民路2号"})):
        person = await _ok(await client.post(f"{R}/people", headers=admin, json={
            "name": name, "document_type": "resident_id", "document_number": number, "school": "S1", **extra}), 201)
        await _ok(await client.put(f"{R}/people/{person['id']}/class", headers=admin, json={"school_class": klass}))
        ids[name] = person["id"]
    return ids


async def _login_teacher(client: TestClient) -> tuple[str, str]:
    page = await client.get("/console/login")
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": "wang", "password": PASSWORD, "csrf_token": csrf_of(await page.text())})
    assert resp.status == 303, await resp.text()
    landing = await client.get(resp.headers["Location"])  # /console/ → /console/schools → the one school
    assert landing.status == 200 and landing.url.path == "/console/schools/S1", landing.url
    html = await landing.text()
    return csrf_of(html), html


async def test_a_class_teacher_sees_only_their_class(client: TestClient) -> None:
    ids = await _world(client)
    csrf, school = await _login_teacher(client)
    table = school[school.index('id="school-people"'):]
    assert "王小明" in table and "李雷" in table and "韩梅梅" not in table
    assert "一年级二班" not in school  # nor the other class in the class list
    assert 'id="class-form"' not in school  # making classes is not a teacher's
    people = await (await client.get("/console/people")).text()
    assert "王小明" in people and "韩梅梅" not in people
    # another class's person: not found, as if missing; and nothing can be recorded for them
    assert (await client.get(f"/console/people/{ids['韩梅梅']}")).status == 404
    resp = await client.post(f"/console/people/{ids['韩梅梅']}/health-checks", allow_redirects=False,
                             data={"csrf_token": csrf, "temperature": "36.5"})
    assert resp.status == 404
    resp = await client.post(f"/console/people/{ids['韩梅梅']}/class", allow_redirects=False,
                             data={"csrf_token": csrf, "school_class": "1A"})
    assert resp.status == 403
    assert (await client.get("/console/dashboard")).status == 403
    # in their class: the five items, a temperature check with who took it, a contact with one not back
    page = await (await client.get(f"/console/people/{ids['王小明']}")).text()
    assert 'id="five-items"' in page and "今日未测体温" in page and 'id="contact-form"' not in page
    resp = await client.post(f"/console/people/{ids['王小明']}/health-checks", allow_redirects=False,
                             data={"csrf_token": csrf, "temperature": "36.6", "taken_by": "王老师"})
    assert resp.status == 303, await resp.text()
    page = await (await client.get(f"/console/people/{ids['王小明']}")).text()
    assert "王老师" in page and "今日已测体温" in page
    page = await (await client.get(f"/console/people/{ids['李雷']}")).text()
    assert 'id="contact-form"' in page and "尚未返昆，今日未联系" in page
    resp = await client.post(f"/console/people/{ids['李雷']}/contacts", allow_redirects=False, data={
        "csrf_token": csrf, "note": "在上海家中，情绪稳定", "health": "无发热", "plans": "开学前返昆",
        "channel": "phone", "caller": "王老师"})
    assert resp.status == 303, await resp.text()
    page = await (await client.get(f"/console/people/{ids['李雷']}")).text()
    contacts = page[page.index('id="contacts"'):]
    assert "在上海家中，情绪稳定" in contacts and "王老师" in contacts
    missing = re.search(r'id="five-missing">(.*?)</p>', page, re.S)
    assert missing and "联系方式" in missing.group(1) and "居住地址" in missing.group(1)
    assert "健康状况" not in missing.group(1)
    # the file in English names the same items
    english = await (await client.get("/console/schools/S1?lang=en")).text()
    assert "Five items not clear: 1" in english or "Five items not clear: 2" in english
    # past retention the row stays and says what became of what was said
    svc = svc_of(client)
    await retention.purge(svc.db, svc.config, at=datetime.now(UTC) + timedelta(days=svc.config.retention_days + 1))
    page = await (await client.get(f"/console/people/{ids['李雷']}")).text()
    contacts = page[page.index('id="contacts"'):page.index("</table>", page.index('id="contacts"'))]
    assert "在上海家中" not in contacts and "已过保留期，内容已删除" in contacts and "王老师" in contacts


async def test_the_school_file_export_lists_missing_items(client: TestClient) -> None:
    import io

    import pypdfium2 as pdfium
    from openpyxl import load_workbook

    from gateway.store import audit as audit_store

    ids = await _world(client)
    csrf, _ = await _login_teacher(client)
    resp = await client.post(f"/console/people/{ids['王小明']}/health-checks", allow_redirects=False,
                             data={"csrf_token": csrf, "temperature": "38.1", "taken_by": "王老师"})
    assert resp.status == 303
    # the class teacher's export: their class only
    resp = await client.get("/console/schools/S1/file.xlsx")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert 'filename="school-S1-' in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await resp.read()))
    ws = book.active
    assert ws is not None
    cells = [[("" if c is None else str(c)) for c in row] for row in ws.iter_rows(values_only=True)]
    assert cells[0][0] == "一校一档 S1"
    header = next(r for r in cells if r and r[0] == "班级")
    assert header[3:] == ["姓名", "身份", "人员姓名", "联系方式", "居住地址", "健康状况", "出行动向", "未清事项"]
    body = cells[cells.index(header) + 1:]
    by_name = {r[3]: dict(zip(header, r)) for r in body}
    assert set(by_name) == {"王小明", "李雷"}  # not 韩梅梅, of class 1B
    lei = by_name["李雷"]
    assert lei["班级"] == "1A" and lei["班级名称"] == "一年级一班" and lei["班主任"] == "wang"
    assert "联系方式（无联系电话）" in lei["未清事项"] and "居住地址（无居住地址）" in lei["未清事项"]
    assert "健康状况（尚未返昆，今日未联系）" in lei["未清事项"] and lei["联系方式"].startswith("缺")
    ming = by_name["王小明"]
    assert ming["健康状况"].startswith("异常：今日体温异常 38.1 °C 王老师")
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", ming["健康状况"])  # local time, human form
    assert ming["未清事项"] == "联系方式（无联系电话）；健康状况（今日体温异常）"
    assert "隔离至" in ming["出行动向"]
    assert ming["居住地址"] == "已清：已登记 前进路1号"  # a teacher may see addresses (people.address)

    # the PDF says the same in text a reader can search
    resp = await client.get("/console/schools/S1/file.pdf")
    assert resp.status == 200 and resp.headers["Content-Type"] == "application/pdf"
    doc = pdfium.PdfDocument(await resp.read())
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    flat = re.sub(r"\s+", "", text)
    assert "一校一档S1" in flat and "李雷" in flat and "王小明" in flat and "韩梅梅" not in flat
    assert "居住地址（无居住地址）" in flat and "联系方式（无联系电话）" in flat
    assert "五个必清未清人数：2" in flat

    # in English on request; every export is in the audit log
    english = load_workbook(io.BytesIO(await (await client.get("/console/schools/S1/file.xlsx?lang=en")).read()))
    ews = english.active
    assert ews is not None
    assert any(row and row[0] == "Class" and "Not clear" in row for row in ews.iter_rows(values_only=True))
    rows = await audit_store.search(svc_of(client).db.read, actor=None, action="school.file_export", target=None,
                                    after_id=0, limit=10)
    assert len(rows) == 3 and all(r.actor == "account:wang" and r.target == "school:S1" for r in rows)
    # a viewer's export (no people.address) says the address is on file, not what it is
    from gateway import schools
    from gateway.auth import CLI
    from web import school_export
    found = await schools.school_file(svc_of(client), "S1", CLI)
    hidden = school_export.sheet(found, show_address=False)
    assert not any("前进路1号" in cell for row in hidden.rows for cell in row)
    assert any("前进路1号" in cell for row in school_export.sheet(found, show_address=True).rows for cell in row)
    # another school's file names nobody of this one
    other = await client.get("/console/schools/S2/file.xlsx")
    assert other.status == 200
    ows = load_workbook(io.BytesIO(await other.read())).active
    assert ows is not None
    assert not any("李雷" in str(c) for row in ows.iter_rows(values_only=True) for c in row if c)


async def test_the_class_form_names_its_fields_in_its_own_words(client: TestClient, admin: str) -> None:
    """An error about the class code says 班级代码, the one about its name 班级名称 (not 场所代码, 姓名)."""
    page = await (await client.get("/console/schools/S1")).text()
    assert '<label for="f-code">班级代码' in page and '<label for="f-name">班级名称' in page
    resp = await client.post("/console/schools/S1/classes", data={"csrf_token": admin, "code": "一 班",
                                                                  "name": "一年级一班"})
    text = await resp.text()
    assert resp.status == 422 and 'id="err-code" role="alert">班级代码只能由' in text
    resp = await client.post("/console/schools/S1/classes", data={"csrf_token": admin, "code": "1A"})
    text = await resp.text()
    assert resp.status == 422 and 'id="err-name" role="alert">请填写班级名称' in text
