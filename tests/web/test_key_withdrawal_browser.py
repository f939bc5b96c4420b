"""A key withdrawn from the console, in Chromium: the bulk reissue job runs with its progress page,
the resident page picks up the new pass at its next online visit (and keeps it offline), and the
reprint list gives one PDF of the new cards whose QR is the new pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pypdfium2
import pytest
import zxingcpp
from live import LiveGateway
from playwright.sync_api import Browser, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, passes, registry
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.services import Services
from keys import Reason, decide

pytestmark = pytest.mark.browser


@pytest.fixture
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("withdraw-live") / "data")).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    yield live
    live.stop()


async def _person_with_pass(svc: Services) -> passes.IssuedPassInfo:
    person = await registry.register(svc, {"name": "李桂兰", "document_type": "resident_id",
                                           "document_number": GOOD_ID, "community": "HEPING"}, CLI)
    return await passes.issue(svc, person.id, CLI, "http://unused")


def test_withdraw_from_the_console_reissues_and_the_resident_page_follows(gateway: LiveGateway,
                                                                          browser: Browser) -> None:
    issued = gateway.call(_person_with_pass)
    link = gateway.url + "/p/" + issued.resident_url.rsplit("/", 1)[1]
    old_kid = gateway.call(lambda svc: _signing(svc))

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    resident = phone.new_page()
    resident.goto(link)
    resident.evaluate("navigator.serviceWorker.ready.then(() => true)")
    resident.reload()  # now controlled by the worker, which caches the page
    expect(resident.locator("#serial")).to_have_text(issued.serial)
    resident.goto(link + "/card")  # the resident prints a paper card of this pass
    expect(resident.locator("body")).to_contain_text(issued.serial)
    resident.goto(link)

    console = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = console.new_page()
    page.goto(gateway.url + "/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    page.click("a[href='/console/keys']")
    page.click(f"a[href='/console/keys/{old_kid}/withdraw']")
    page.fill("#f-reason", "密钥文件被复制 key file copied")
    page.check("#f-confirm")
    page.click("#withdraw-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/reissue/\d+$"))
    expect(page.locator("#progress-text")).to_contain_text("已完成", timeout=30_000)  # the page refreshes itself
    expect(page.locator("#done")).to_have_text("1")

    # the resident's next online visit shows the new pass; the worker keeps that one offline
    resident.reload()
    new_serial = resident.locator("#serial").inner_text()
    assert new_serial != issued.serial
    phone.set_offline(True)
    resident.reload()
    expect(resident.locator("#offline")).to_be_visible()
    expect(resident.locator("#serial")).to_have_text(new_serial)
    phone.set_offline(False)

    # the reprint list names her; one PDF holds her new card, whose QR is the new, valid pass
    page.goto(gateway.url + "/console/reprints")
    expect(page.locator("#reprints")).to_contain_text("李桂兰")
    expect(page.locator("#reprints")).to_contain_text(new_serial)
    with page.expect_download() as download:
        page.click("#reprint-form button[type=submit]")
    pdf = pypdfium2.PdfDocument(download.value.path())
    assert len(pdf) == 1
    image = pdf[0].render(scale=2).to_pil()
    (code,) = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    trust = gateway.call(lambda svc: _trust(svc))
    decision = decide(code.text, trust, None, None, now=datetime.now(UTC))
    assert decision.reason is Reason.OK and decision.serial is not None and decision.serial.hex() == new_serial
    assert decide(issued.qr_text, trust, None, None, now=datetime.now(UTC)).allowed is False
    page.goto(gateway.url + "/console/reprints")
    expect(page.locator("#reprints")).not_to_contain_text("李桂兰")  # printed: off the list
    phone.close()
    console.close()


async def _signing(svc: Services) -> str:
    return svc.keystore.signing_key().kid.hex()


async def _trust(svc: Services) -> object:
    return svc.keystore.trust_set()


