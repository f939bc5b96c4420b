"""A scoped registrar's day in Debian's Chromium: log in and land on Today (only her community's
items),
follow an item to its action, import a household list with errors, fix it, import it, issue a pass
and hand over the link (its QR on the file and the slip, decoded), print her community's cards
(decoded), switch the language; no page shows an ISO/UTC time or a raw code.

Screenshots: test-artifacts/screenshots/today.png, import-preview.png, resident-slip.png, console-en.png.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pypdfium2
import pytest
import zxingcpp
from live import LiveGateway
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from test_words import problems
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, idcard, registry, sites
from gateway.auth import CLI
from gateway.config import GatewayConfig
from tests import city

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("day") / "data")).start()

    async def seed(svc):  # type: ignore[no-untyped-def]
        await sites.create_site(svc, {"code": "HY-1", "name": "和园北门", "kind": "community",
                                      "policy": {"communities": ["HEYUAN"]}}, CLI)
        await sites.create_site(svc, {"code": "FAB-1", "name": "东方精密", "kind": "factory",
                                      "policy": {"employers": ["DF"]}}, CLI)
        await accounts.create_account(svc.db, "liu", PASSWORD, "registrar", scope="community:HEYUAN")
        # two returnees from Wuhan, 13 days ago: a check is due today, quarantine ends tomorrow
        for name, community, number in (("陈春梅", "HEYUAN", "42010219850505123"), ("赵外人", "OTHER", "42010219860606123")):
            await registry.register(svc, {"name": name, "document_type": "resident_id",
                                          "document_number": idcard.make(number), "community": community,
                                          "origin": "420100", "status": "green",
                                          "arrived_on": (city.local_today() - timedelta(days=13)).isoformat()}, CLI)

    live.call(seed)
    yield live
    live.stop()


def _clean(page: Page) -> None:
    """The page as a person reads it has no ISO/UTC time and no raw code (the gateway's own error
    messages, in English, are left out: they are sentences, not codes)."""
    text = page.evaluate("""() => { const b = document.body.cloneNode(true);
        b.querySelectorAll('.field-error, .form-error').forEach(e => e.remove()); return b.innerText; }""")
    assert not problems(f"<body>{text}</body>", username="liu"), (page.url, problems(text, username="liu"))


def _broken_values(page: Page) -> list[str]:
    """The texts of .nowrap and .mono values (not .long) that the browser laid out on more than one line."""
    return page.evaluate("""() => [...document.querySelectorAll('.nowrap, .mono:not(.long)')].filter(e => {
        if (!e.textContent.trim()) return false;
        const r = document.createRange(); r.selectNodeContents(e);
        const tops = new Set([...r.getClientRects()].filter(b => b.width > 0).map(b => Math.round(b.top)));
        return tops.size > 1; }).map(e => e.textContent.trim())""")


def _qr(png: bytes) -> str:
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    return code.text


def test_a_scoped_registrars_day(gateway: LiveGateway, browser: Browser, tmp_path: Path) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()
    page.goto(gateway.url + "/console/login")
    page.fill("#f-username", "liu")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/today$"))  # login lands on Today
    expect(page.locator(".who")).to_contain_text("社区 HEYUAN")
    expect(page.locator("#today-checks")).to_contain_text("陈春梅")
    expect(page.locator("#today-ending")).to_contain_text("陈春梅")
    expect(page.locator("body")).not_to_contain_text("赵外人")  # another community: not on her Today
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "today.png"), full_page=True)
    _clean(page)
    # follow the item to its action: the check is recorded, and Today no longer lists it
    page.click("#today-checks a:has-text('记录检查')")
    expect(page.locator("#person-name")).to_contain_text("陈春梅")
    page.fill("#f-temperature", "36.5")
    page.click("#health-form button[type=submit]")
    expect(page.locator(".flash")).to_contain_text("已记录健康检查")
    page.click("#nav-today")
    expect(page.locator("#today-checks")).not_to_contain_text("陈春梅")
    expect(page.locator("#today-checks")).to_contain_text("都已检查")
    page.click("nav.console-nav a[href='/console/people']")
    # a household list with errors: a bad check digit, and someone of another community
    other = idcard.make("42010219900101123")
    bad = tmp_path / "household.csv"
    bad.write_text(f"姓名,证件号码,社区\n张三,{GOOD_ID},HEYUAN\n李四,110105194912310021,HEYUAN\n"
                   f"王五,{other},OTHER\n", encoding="gbk")
    page.click("#import-link")
    page.set_input_files("#f-file", str(bad))
    page.click("#import-form button[type=submit]")
    expect(page.locator("#import-summary")).to_contain_text("有错 2 行")
    expect(page.locator('tr[data-line="3"]')).to_contain_text("GB 11643")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "import-preview.png"), full_page=True)
    _clean(page)
    # fixed: every row good, all imported
    good = tmp_path / "household-fixed.csv"
    good.write_text(f"姓名,证件号码,社区\n张三,{GOOD_ID},HEYUAN\n王五,{other},HEYUAN\n", encoding="utf-8")
    page.goto(gateway.url + "/console/people/import")
    page.set_input_files("#f-file", str(good))
    page.click("#import-form button[type=submit]")
    page.click("#import-all")
    expect(page.locator(".flash")).to_contain_text("已导入")
    expect(page.locator("#people")).to_contain_text("张三")
    expect(page.locator("#people")).to_contain_text("王五")
    page.click("text=张三")
    expect(page.locator("#person-name")).to_contain_text("张三")
    _clean(page)
    # her pass, and the link handed over: its QR on the file and on the slip open her pass page
    page.click("#issue-form button[type=submit]")
    link = page.locator("#resident-link").inner_text()
    page.click("text=返回")
    assert _qr(page.locator("#resident-link-qr").screenshot()) == link
    _clean(page)
    page.click("#slip-link")
    expect(page.locator("#slip")).to_contain_text("张*")
    expect(page.locator("#slip")).not_to_contain_text("张三")
    assert _qr(page.locator("#slip .slip-qr").screenshot()) == link
    page.screenshot(path=str(SHOTS / "resident-slip.png"), full_page=True)
    _clean(page)
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True).new_page()
    phone.goto(link)
    expect(phone.locator("#name")).to_have_text("张三")  # her own page: her name
    # the cards of her community in one PDF (A4 sheets of four): the QR on it is her pass
    page.goto(gateway.url + "/console/people?community=HEYUAN")
    page.select_option("#f-layout", "a4")
    with page.expect_download() as download:
        page.click("#cards-form button[type=submit]")
    pdf = pypdfium2.PdfDocument(download.value.path())
    codes = [c.text for c in zxingcpp.read_barcodes(pdf[0].render(scale=2).to_pil(),
                                                     formats=zxingcpp.BarcodeFormat.QRCode)]
    assert len(pdf) == 1 and len(codes) == 1 and codes[0].startswith("QG1:")
    for path in ("/console/sites", "/console/entries", "/console/alerts", "/console/dashboard", "/console/today",
                 "/console/reprints"):
        page.goto(gateway.url + path)
        _clean(page)
    expect(page.locator("body")).not_to_contain_text("东方精密")  # another site: not in her scope
    # on a phone-sized window no number, serial or time breaks across lines
    page.set_viewport_size({"width": 360, "height": 800})
    for path in ("/console/people", "/console/alerts", "/console/entries", "/console/today", "/console/people"):
        page.goto(gateway.url + path)
        assert _broken_values(page) == [], (page.url, _broken_values(page))
    page.click("text=张三")  # her file: masked number, phone, serial, times
    expect(page.locator("#person-name")).to_contain_text("张三")
    assert page.locator(".nowrap, .mono:not(.long)").count() > 3  # the check has values to look at
    assert _broken_values(page) == [], (page.url, _broken_values(page))
    probe = browser.new_page()  # a blank page (the console's CSP would refuse the inline styles)
    probe.set_content('<p style="width:3em"><span class="mono" style="word-break:break-all">110105194912310021</span></p>')
    assert _broken_values(probe) == ["110105194912310021"]  # and sees a number broken in two
    probe.close()
    page.set_viewport_size({"width": 1280, "height": 900})
    # the language switch, remembered on the next page
    page.click("#lang-switch")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(gateway.url + "/console/people")
    expect(page.locator("nav.console-nav")).to_contain_text("People")
    expect(page.locator("nav.console-nav")).not_to_contain_text("人员")
    page.screenshot(path=str(SHOTS / "console-en.png"), full_page=True)
