"""A factory's opening time edited in the console, in Chromium, changes a real gate's decision at its
next sync: the gate (scanner CLI, enrolled against the live gateway) denies `site_closed` before,
admits after; a bad value is refused at its field and changes nothing."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import LiveGateway
from playwright.sync_api import Browser, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, passes, registry, sites
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.services import Services
from scanner.cli import main as scanner

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("settings-live") / "data")).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    yield live
    live.stop()


async def _factory_worker_and_enrolment(svc: Services) -> tuple[str, str]:
    await sites.create_site(svc, {"code": "F1", "name": "东方电子厂", "kind": "factory",
                                  "policy": {"employers": ["E1"], "open_from": "2099-01-01T08:00"}}, CLI)
    person = await registry.register(svc, {"name": "王建国", "document_type": "resident_id",
                                           "document_number": GOOD_ID, "employer": "E1"}, CLI)
    issued = await passes.issue(svc, person.id, CLI, "http://unused")
    enrolment = await sites.create_enrolment(svc, "F1", {}, CLI, "http://unused")
    return issued.qr_text, enrolment.token


def _gate(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    code = scanner(argv)
    out = capsys.readouterr()
    assert code == 0, out.err + out.out
    return [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]


def _scan(data: Path, qr_text: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(qr_text + "\n"))
    (line,) = _gate(["run", "--data", str(data), "--stdin", "--headless", "--no-sync", "--no-sound"], capsys)
    return str(line["reason"])


def test_edit_a_factorys_opening_time_and_the_gate_follows_at_its_next_sync(
        gateway: LiveGateway, browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    qr_text, token = gateway.call(_factory_worker_and_enrolment)
    data = tmp_path / "gate"
    _gate(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data), "--name", "east gate"],
          capsys)
    _gate(["sync", "--data", str(data)], capsys)
    assert _scan(data, qr_text, capsys, monkeypatch) == "site_closed"

    console = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = console.new_page()
    page.goto(gateway.url + "/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(gateway.url + "/console/sites/F1")
    expect(page.locator("#policy")).to_contain_text("2099-01-01 08:00")  # local time, not ISO
    page.click("#edit-site")
    expect(page.locator("#f-open_from")).to_have_value("2099-01-01T08:00")
    expect(page.locator("#f-employers")).to_have_value("E1")
    expect(page.locator("#f-communities")).to_have_count(0)  # a factory admits by employer
    # a bad value is refused at its field; nothing else is lost or saved
    page.fill("#f-fever_threshold", "50")
    page.fill("#f-open_from", "2020-02-10T08:00")
    page.click("#site-edit-form button[type=submit]")
    expect(page.locator("#err-fever_threshold")).to_contain_text("发热阈值须为 35.0–42.0 °C")
    expect(page.locator("#f-open_from")).to_have_value("2020-02-10T08:00")
    page.fill("#f-fever_threshold", "37.3")
    page.fill("#f-reason", "经审批 2 月 10 日复工")
    page.click("#site-edit-form button[type=submit]")
    expect(page.locator("#policy")).to_contain_text("2020-02-10 08:00")

    # the gate still holds the old signed policy until it syncs
    assert _scan(data, qr_text, capsys, monkeypatch) == "site_closed"
    _gate(["sync", "--data", str(data)], capsys)
    assert _scan(data, qr_text, capsys, monkeypatch) == "ok"

    page.goto(gateway.url + "/console/audit")
    expect(page.locator("body")).to_contain_text("修改场所设置")  # the action in words (site.edit)
    expect(page.locator("body")).to_contain_text("2099-01-01 08:00")  # old -> new, in local time
    console.close()
