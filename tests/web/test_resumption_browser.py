"""Resumption approval (复工审批) in Chromium, with a real gate: the factory's contact applies with the
five items, the approver (行业主管部门) refuses with a reason, the contact applies again, the approver
approves. The gate (scanner CLI enrolled against the live gateway) denies `site_closed` before approval
although `open_from` is long past, and admits after its next sync; nobody edits `open_from` by hand.
The dashboard lists the application while it waits. Then the approver withdraws the approval (关停):
the gate closes again at its next sync, and the firm's apply form is back."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from live import LiveGateway
from playwright.sync_api import Browser, Page, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, passes, registry, sites
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.resumption import ITEMS
from gateway.services import Services
from scanner.cli import main as scanner

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("resume-live") / "data")).start()
    yield live
    live.stop()


async def _world(svc: Services) -> tuple[str, str]:
    await sites.create_site(svc, {"code": "F1", "name": "东方电子厂", "kind": "factory",
                                  "policy": {"employers": ["E1"], "open_from": "2020-02-01T08:00",
                                             "resumption_required": True}}, CLI)
    await accounts.create_account(svc.db, "hr", PASSWORD, "registrar", scope="site:F1")
    await accounts.create_account(svc.db, "gxj", PASSWORD, "approver", scope="employer:E1")
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


def _synced_scan(data: Path, qr_text: str, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch) -> str:
    _gate(["sync", "--data", str(data)], capsys)
    monkeypatch.setattr("sys.stdin", io.StringIO(qr_text + "\n"))
    (line,) = _gate(["run", "--data", str(data), "--stdin", "--headless", "--no-sync", "--no-sound"], capsys)
    return str(line["reason"])


def _login(browser: Browser, url: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url + "/console/login")
    page.fill("#f-username", username)
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    return page


def _apply(page: Page, url: str, note: str) -> None:
    page.goto(url + "/console/sites/F1/resumption")
    for key in ITEMS:
        page.check(f"#f-item_{key}")
    page.fill("#f-note_entry_control", note)
    page.click("#resumption-form button[type=submit]")
    expect(page.locator("#resumption-state")).to_contain_text("待审批")


def _decide(page: Page, url: str, decision: str, reason: str) -> None:
    page.goto(url + "/console/dashboard")
    page.locator("#dash-resumptions a").first.click()
    page.check(f"#f-decision-{decision}")
    page.fill("#f-reason", reason)
    page.click("#decision-form button[type=submit]")
    expect(page.locator("#decision-reason")).to_have_text(reason)


def test_applied_refused_applied_approved_and_the_gate_follows(
        gateway: LiveGateway, browser: Browser, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    qr_text, token = gateway.call(_world)
    data = tmp_path / "gate"
    _gate(["enroll", "--gateway", gateway.url, "--token", token, "--data", str(data)], capsys)
    assert _synced_scan(data, qr_text, capsys, monkeypatch) == "site_closed"  # open_from is long past

    contact = _login(browser, gateway.url, "hr")
    # an item not ticked is refused at its line, and what was typed stays
    contact.goto(gateway.url + "/console/sites/F1/resumption")
    for key in ITEMS[:-1]:
        contact.check(f"#f-item_{key}")
    contact.fill("#f-note_conditions", "口罩储备 2 万只")
    contact.click("#resumption-form button[type=submit]")
    expect(contact.locator("#err-commitment")).to_be_visible()
    expect(contact.locator("#f-note_conditions")).to_have_value("口罩储备 2 万只")
    _apply(contact, gateway.url, "门岗登记，每日两次消杀")

    approver = _login(browser, gateway.url, "gxj")
    expect(approver).to_have_url(re.compile(r"/console/resumptions$"))  # the approver's work, not people
    expect(approver.locator("#resumptions")).to_contain_text("东方电子厂")
    _decide(approver, gateway.url, "refuse", "消毒台账不全")
    expect(approver.locator("#resumption-state")).to_have_text("未批准")
    assert _synced_scan(data, qr_text, capsys, monkeypatch) == "site_closed"

    _apply(contact, gateway.url, "消毒台账已补齐")
    expect(contact.locator("#resumption-history")).to_contain_text("消毒台账不全")
    approver.goto(gateway.url + "/console/dashboard")
    expect(approver.locator("#dash-resumptions")).to_contain_text("东方电子厂")
    _decide(approver, gateway.url, "approve", "五个到位，同意复工")
    expect(approver.locator("#resumption-state")).to_have_text("已批准复工")
    expect(approver.locator("#resumption-items li")).to_have_count(5)
    approver.goto(gateway.url + "/console/dashboard")
    expect(approver.locator("#dash-resumptions")).not_to_contain_text("东方电子厂")

    assert _synced_scan(data, qr_text, capsys, monkeypatch) == "ok"
    contact.goto(gateway.url + "/console/sites/F1")
    expect(contact.locator("#site-resumption")).to_contain_text("已批准复工")
    assert contact.locator("#edit-site").count() == 0  # the contact does not edit the site's policy

    # 关停: the approver withdraws the approval; the gate closes at its next sync; the firm may apply again
    approver.goto(gateway.url + "/console/resumptions?state=approved")
    approver.locator("#resumptions a").first.click()
    approver.fill("#f-reason", "拒不整改，依法关停")
    approver.check("#f-confirm")
    approver.click("#withdrawal-form button.danger")
    expect(approver.locator("#resumption-state")).to_have_text("已撤销")
    expect(approver.locator("#withdrawal-reason")).to_have_text("拒不整改，依法关停")
    assert _synced_scan(data, qr_text, capsys, monkeypatch) == "site_closed"
    contact.goto(gateway.url + "/console/sites/F1/resumption")
    expect(contact.locator("#resumption-state")).to_contain_text("已撤销")
    expect(contact.locator("#resumption-form")).to_be_visible()
