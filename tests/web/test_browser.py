"""The whole resident and console flow in Debian's Chromium, against the real gateway on a port.

Screenshots go to test-artifacts/screenshots/ (see docs/web.md).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from live import LiveGateway
from playwright.sync_api import Browser, Page, expect
from web_helpers import BAD_ID, GOOD_ID, PASSWORD

from gateway import accounts
from gateway.config import GatewayConfig
from keys import decide
from tests import city

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("web-live") / "data")).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    yield live
    live.stop()


def _shot(page: Page, name: str, **kwargs: object) -> bytes:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return page.screenshot(path=str(SHOTS / name), **kwargs)  # type: ignore[arg-type]


def _login(page: Page, base: str) -> None:
    page.goto(base + "/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/today$"))  # login lands on Today
    page.click("nav.console-nav a[href='/console/people']")


def test_register_issue_show_offline_revoke(gateway: LiveGateway, browser: Browser) -> None:
    console = browser.new_context(viewport={"width": 1280, "height": 900})
    page = console.new_page()
    _login(page, gateway.url)

    # register: a bad ID number shows its error at the field, then a good one goes through
    page.click("#register-link")
    page.fill("#f-name", "王秀英")
    page.fill("#f-document_number", BAD_ID)
    page.fill("#f-community", "HEPING")
    page.click("#person-form button[type=submit]")
    error = page.locator("#field-document_number .field-error")
    expect(error).to_contain_text("GB 11643")
    expect(page.locator("#f-document_number")).to_have_attribute("aria-invalid", "true")
    page.fill("#f-document_number", GOOD_ID)
    page.click("#person-form button[type=submit]")
    expect(page.locator("#person-name")).to_contain_text("王秀英")

    # issue a pass; the page hands over the resident link
    page.click("#issue-form button")
    link = page.locator("#resident-link").get_attribute("href")
    serial = page.locator("#serial").inner_text()
    assert link and link.startswith(gateway.url + "/p/")
    page.goto(gateway.url + "/console/people")
    _shot(page, "console-people.png", full_page=True)

    # the resident opens the link on a phone
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    resident = phone.new_page()
    resident.goto(link)
    expect(resident.locator("#status")).to_have_attribute("data-state", "green")
    expect(resident.locator("#status-word")).to_have_text("绿码 可以通行")
    png = _shot(resident, "resident-pass.png")
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1
    trust = gateway.call(lambda svc: _trust(svc))
    decision = decide(found[0].text, trust, None, None, now=datetime.now(UTC))
    assert decision.allowed and decision.serial is not None and decision.serial.hex() == serial

    # the service worker keeps the page: offline, a reload still shows the pass
    resident.evaluate("navigator.serviceWorker.ready.then(() => true)")
    resident.reload()  # now controlled by the worker
    expect(resident.locator("#qr svg")).to_be_visible()
    phone.set_offline(True)
    resident.reload()
    expect(resident.locator("#name")).to_have_text("王秀英")
    expect(resident.locator("#qr svg")).to_be_visible()
    expect(resident.locator("#offline")).to_be_visible()
    _shot(resident, "resident-pass-offline.png")

    # revoke in the console; back online, the resident page shows the pass as revoked
    page.goto(gateway.url + "/console/people?q=王秀英")
    page.click("#people a")
    page.click(f"tr[data-serial='{serial}'] a.danger")
    page.fill("#f-reason", "证件遗失 lost phone")
    page.check("#f-confirm")
    page.click("#revoke-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("已作废")
    phone.set_offline(False)
    resident.reload()
    expect(resident.locator("#revoked-stamp")).to_be_visible()
    expect(resident.locator("#revoked-stamp")).to_contain_text("已作废")
    expect(resident.locator("#qr")).to_be_hidden()
    expect(resident.locator("#actions")).to_be_hidden()  # no card of a revoked pass
    _shot(resident, "resident-pass-revoked.png")
    # and the revoked state is what the worker keeps offline too
    phone.set_offline(True)
    resident.reload()
    expect(resident.locator("#revoked-stamp")).to_be_visible()
    phone.close()
    console.close()


def test_english_switch_and_print_card(gateway: LiveGateway, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    _login(page, gateway.url)
    page.goto(gateway.url + "/console/people/new")
    page.fill("#f-name", "Li Ming")
    page.select_option("#f-document_type", "passport")
    page.fill("#f-document_number", "E12345678")
    page.fill("#f-origin", "420100")  # Wuhan: 14 days of quarantine from arrival
    page.fill("#f-arrived_on", (city.local_today() - timedelta(days=4)).isoformat())
    page.click("#person-form button[type=submit]")
    page.click("#issue-form button")
    link = page.locator("#resident-link").get_attribute("href")
    assert link

    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    resident = phone.new_page()
    resident.goto(link)
    expect(resident.locator("#countdown")).to_contain_text("第5天/共14天")
    expect(resident.locator("#document")).to_have_text("**** 5678")  # the four the QR and the gate show
    resident.goto(link + "?lang=en")
    expect(resident.locator("#status-word")).to_have_text("IN QUARANTINE — not yet")
    resident.goto(link)  # remembered
    expect(resident.locator("#countdown")).to_contain_text("day 5 of 14 — you may pass from")
    _shot(resident, "resident-pass-en.png")

    resident.goto(link + "/card?lang=zh")
    resident.emulate_media(media="print")
    _shot(resident, "print-card.png", full_page=True)
    pdf = resident.pdf(prefer_css_page_size=True)  # Chromium's own print of the card page
    assert pdf.startswith(b"%PDF")
    phone.close()
    context.close()


def _trust(svc):  # type: ignore[no-untyped-def]
    async def get():  # type: ignore[no-untyped-def]
        return svc.keystore.trust_set()
    return get()
