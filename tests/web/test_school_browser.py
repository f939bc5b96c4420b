"""The school file (一校一档) in Chromium against a live gateway: an admin makes a class with its class
teacher and places two students; the teacher logs in, lands on their class's file, sees what is
missing, takes a temperature (named) and calls the student not yet back; the download of the XLSX
export opens in openpyxl and no longer lists those items."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from live import LiveGateway
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, idcard, registry
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.services import Services

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("school-live") / "data")).start()
    yield live
    live.stop()


async def _world(svc: Services) -> dict[str, int]:
    await accounts.create_account(svc.db, "boss", PASSWORD, "admin")
    await accounts.create_account(svc.db, "wang", PASSWORD, "teacher", scope="class:S1/1A")
    ids = {}
    for number, name, extra in ((GOOD_ID, "王小明", {"address": "前进路1号", "phone": "13800000001",
                                                                  "origin": "320583"}),
                                (idcard.make("11010519491231003"), "李雷", {"origin": "310101"}),
                                (idcard.make("11010519491231005"), "韩梅梅", {})):
        person = await registry.register(svc, {"name": name, "document_type": "resident_id",
                                               "document_number": number, "school": "S1", **extra}, CLI)
        ids[name] = person.id
    return ids


def _login(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.goto(url + "/console/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    return page


def test_a_class_teacher_keeps_the_school_file(gateway: LiveGateway, browser: Browser) -> None:
    ids = gateway.call(_world)
    url = gateway.url
    boss = _login(browser, url, "boss")
    boss.goto(url + "/console/schools/S1")
    boss.fill("#f-code", "1A")
    boss.fill("#f-name", "一年级一班")
    boss.fill("#f-teacher", "wang")
    boss.click("#class-form button[type=submit]")
    expect(boss.locator("#classes")).to_contain_text("一年级一班")
    for name in ("王小明", "李雷"):
        boss.goto(f"{url}/console/people/{ids[name]}")
        boss.select_option("#f-school_class", "1A")
        boss.click("#class-member-form button[type=submit]")
        expect(boss.locator("#school-file h2").first).to_contain_text("S1/1A")

    teacher = _login(browser, url, "wang")
    expect(teacher).to_have_url(re.compile(r"/console/schools/S1$"))  # the teacher's work: their class
    people = teacher.locator("#school-people")
    expect(people).to_contain_text("王小明")
    expect(people).to_contain_text("李雷")
    expect(people).not_to_contain_text("韩梅梅")
    expect(teacher.locator("#missing-count")).to_contain_text("2")
    teacher.goto(f"{url}/console/people/{ids['王小明']}")
    expect(teacher.locator('#five-items tr[data-item="health"]')).to_contain_text("今日未测体温")
    teacher.fill("#f-temperature", "36.5")
    teacher.fill("#f-taken_by", "王老师")
    teacher.click("#health-form button[type=submit]")
    expect(teacher.locator('#five-items tr[data-item="health"]')).to_contain_text("王老师")
    expect(teacher.locator("#five-missing")).to_contain_text("无")
    teacher.goto(f"{url}/console/people/{ids['李雷']}")
    teacher.fill("#f-note", "在上海家中，情绪稳定")
    teacher.fill("#f-health", "无发热")
    teacher.fill("#f-plans", "开学前一周返昆")
    teacher.click("#contact-form button[type=submit]")
    expect(teacher.locator("#contacts")).to_contain_text("在上海家中，情绪稳定")
    expect(teacher.locator('#five-items tr[data-item="travel"]')).to_contain_text("开学前一周返昆")
    # another class's person is not there for the teacher
    assert teacher.goto(f"{url}/console/people/{ids['韩梅梅']}").status == 404

    teacher.goto(url + "/console/schools/S1")
    with teacher.expect_download() as info:
        teacher.click("#export-xlsx")
    assert re.fullmatch(r"school-S1-\d{4}-\d{2}-\d{2}\.xlsx", info.value.suggested_filename)
    with open(info.value.path(), "rb") as fh:
        ws = load_workbook(fh).active
    assert ws is not None
    rows = [[("" if c is None else str(c)) for c in r] for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "班级")
    by_name = {r[3]: dict(zip(header, r)) for r in rows[rows.index(header) + 1:]}
    assert set(by_name) == {"王小明", "李雷"}
    assert by_name["王小明"]["未清事项"] == "—"
    assert by_name["李雷"]["未清事项"] == "联系方式（无联系电话）；居住地址（无居住地址）"
