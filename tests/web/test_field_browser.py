"""Issue #10 in the console, in Chromium: the form asks for the arrival date from a key area."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from live import LiveGateway
from playwright.sync_api import Browser, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts
from gateway.config import GatewayConfig
from tests import city

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("field-live") / "data")).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    yield live
    live.stop()


def test_a_key_area_origin_asks_for_the_arrival_date(gateway: LiveGateway, browser: Browser) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(gateway.url + "/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/today$"))  # login lands on Today
    page.goto(gateway.url + "/console/people/new")
    page.fill("#f-name", "钱多多")
    page.fill("#f-document_number", GOOD_ID)
    arrived = page.locator("#f-arrived_on")
    page.fill("#f-origin", "110101")
    assert arrived.evaluate("e => e.required") is False
    page.fill("#f-origin", "４２０１００")  # fullwidth Wuhan
    assert arrived.evaluate("e => e.required") is True
    # the gateway refuses it too, at the field, when the browser's check is bypassed
    arrived.evaluate("e => { e.required = false; }")
    page.click("#person-form button[type=submit]")
    error = page.locator("#field-arrived_on .field-error")
    expect(error).to_contain_text("重点疫区")  # the gateway's message, in the page's language
    page.fill("#f-arrived_on", city.local_today().isoformat())
    page.click("#person-form button[type=submit]")
    expect(page.locator("#person-name")).to_contain_text("钱多多")


def test_an_admin_edits_key_areas_and_the_person_form_follows(gateway: LiveGateway, browser: Browser) -> None:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(gateway.url + "/console/login")
    page.fill("#f-username", "admin")
    page.fill("#f-password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/console/today$"))  # login lands on Today
    page.click("a[href='/console/key-areas']")
    expect(page.locator("#key-areas")).to_contain_text("湖北省")
    # the region is chosen by its name; a wrong period is refused at its field
    page.fill("#f-prefix", "浙江省 杭州市")
    page.fill("#f-from", "2020-02-01")
    page.fill("#f-until", "2020-01-01")
    page.fill("#f-reason", "outbreak")
    page.click("#key-area-form button[type=submit]")
    expect(page.locator("#field-until .field-error")).to_contain_text("不能早于")
    page.fill("#f-until", "")
    page.click("#key-area-form button[type=submit]")
    expect(page.locator(".flash")).to_be_visible()
    row = page.locator("#key-areas tr[data-prefix='3301']")
    expect(row).to_contain_text("浙江省 杭州市")
    expect(row).to_contain_text("2020-02-01")
    # the person form now asks for the arrival date for a Hangzhou origin
    page.goto(gateway.url + "/console/people/new")
    page.fill("#f-origin", "330106")
    assert page.locator("#f-arrived_on").evaluate("e => e.required") is True
    # edit the period, then end the area
    page.goto(gateway.url + "/console/key-areas")
    page.locator("#key-areas tr[data-prefix='3301'] a.edit").click()
    expect(page.locator("#f-prefix")).to_have_value("3301")
    page.fill("#f-from", "2020-01-25")
    page.fill("#f-reason", "earlier start")
    page.click("#key-area-form button[type=submit]")
    expect(page.locator("#key-areas tr[data-prefix='3301']")).to_contain_text("2020-01-25")
    page.locator("#key-areas tr[data-prefix='3301'] a.end").click()
    page.fill("#f-until", "2020-04-08")
    page.fill("#f-reason", "reopened")
    page.click("#key-area-form button[type=submit]")
    expect(page.locator("#key-areas tr[data-prefix='3301']")).to_contain_text("2020-04-08")
    page.goto(gateway.url + "/console/people/new")  # an arrival now is after the area's end: no date needed
    page.fill("#f-origin", "330106")
    assert page.locator("#f-arrived_on").evaluate("e => e.required") is False
    page.goto(gateway.url + "/console/key-areas")
    page.locator("#key-areas tr[data-prefix='3301'] a.remove").click()
    page.fill("#f-reason", "entered for the test")
    page.click("#key-area-form button[type=submit]")
    expect(page.locator("#key-areas tr[data-prefix='3301']")).to_have_count(0)
