"""Holder binding in Debian's Chromium: bind on a phone, screenshot the live code, decode it, decide at a
real enrolled scanner; replay, expiry, offline rotation, and a console reset reaching the gate."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp
from live import LiveGateway
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from web_helpers import GOOD_ID, PASSWORD

from gateway import accounts, bindings, passes, registry, sites
from gateway.auth import CLI
from gateway.config import GatewayConfig
from keys import Reason
from scanner.clock import boot_clock
from scanner.gate import Gate, local_now
from scanner.log import EntryLog
from scanner.state import DeviceState
from scanner.sync import enroll, sync_once

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
# re-entry allowed: anti-passback (`duplicate`) would otherwise hide what the codes themselves do
SITE = {"code": "KS-C0012", "name": "North gate", "kind": "community",
        "policy": {"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"], "allow_reentry": True}}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    # a short period keeps the test quick; the default is 30 s
    config = GatewayConfig.for_data_dir(tmp_path_factory.mktemp("holder-live") / "data", code_period_seconds=3)
    live = LiveGateway(config).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    live.call(lambda svc: sites.create_site(svc, SITE, CLI))
    yield live
    live.stop()


def _resident(gateway: LiveGateway) -> tuple[int, str]:
    body = {"name": "张伟明华", "document_type": "resident_id", "document_number": GOOD_ID,
            "community": "KS-C0012"}

    async def make(svc):  # type: ignore[no-untyped-def]
        person = await registry.register(svc, body, CLI)
        info = await passes.issue(svc, person.id, CLI, gateway.url)
        return person.id, info.resident_url

    return gateway.call(make)


def _scanner(gateway: LiveGateway, folder: Path) -> DeviceState:
    enrolment = gateway.call(lambda svc: sites.create_enrolment(svc, SITE["code"], {}, CLI, gateway.url))
    enroll(gateway.url, enrolment.token, folder)
    sync_once(folder)
    return DeviceState(folder)


def _gate(state: DeviceState, shift: timedelta = timedelta(0)) -> Gate:
    snap = state.load()
    # the gate's time runs on its boot clock (a wall clock moved alone is a jump it holds back), so time moves
    # forward on both
    ahead = shift.total_seconds()

    def boot() -> tuple[str, float]:
        boot_id, seconds = boot_clock()
        return boot_id, seconds + ahead

    return Gate(state.device(), EntryLog(state.log_path), lambda: snap, clock=lambda: local_now() + shift,
                boot=boot)


def _live_code(page: Page, name: str) -> str:
    """The QR on the phone's screen, read from a screenshot by zxing-cpp: what a gate camera gets."""
    shot = page.locator("#live-qr").screenshot()
    SHOTS.mkdir(parents=True, exist_ok=True)
    (SHOTS / name).write_bytes(page.screenshot(full_page=True))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"))
    assert len(found) == 1, "one QR code on the phone"
    text = found[0].text
    assert text.startswith("QG2:")
    return text


def test_bind_scan_replay_expiry_offline_and_reset(gateway: LiveGateway, browser: Browser,
                                                   tmp_path: Path) -> None:
    person_id, url = _resident(gateway)
    state = _scanner(gateway, tmp_path / "gate")
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(url)
    page.locator("#bind").click()
    expect(page.locator("#live-code")).to_be_visible()
    expect(page.locator("#qr")).to_be_hidden()  # the static code is not shown beside the live one
    code = _live_code(page, "holder-live-code.png")

    gate = _gate(state)
    first = gate.decide(code)
    assert first.decision.allowed and first.decision.bound, first.to_json()
    assert first.decision.holder is not None and first.decision.holder.name == "张伟明华"
    again = gate.decide(code)  # the same code a second time at this gate, within its window
    assert not again.decision.allowed and again.decision.reason is Reason.CODE_REPLAYED
    later = _gate(state, timedelta(minutes=5)).decide(code)  # a screenshot shown 5 minutes later
    assert later.decision.reason is Reason.CODE_EXPIRED
    assert later.to_json()["message"] == {"zh": "请出示手机上的实时通行码", "en": "Show the live code on the phone"}

    # no network: the phone keeps making codes, and they verify
    phone.set_offline(True)
    page.wait_for_function("(old) => document.getElementById('live-qr').dataset.code !== old", arg=code,
                           timeout=15000)
    offline_code = _live_code(page, "holder-live-code-offline.png")
    assert offline_code != code
    assert _gate(state).decide(offline_code).decision.allowed
    page.reload()  # the service worker's copy, the key from IndexedDB: still a live code
    expect(page.locator("#live-code")).to_be_visible()
    _live_code(page, "holder-live-code-reloaded.png")  # still a live QG2 code after the reload
    phone.set_offline(False)

    # a worker resets the binding from the console: the old phone's codes fail after the gate's next sync
    console = browser.new_context(viewport={"width": 1280, "height": 900})
    admin = console.new_page()
    admin.goto(gateway.url + "/console/login")
    admin.fill("input[name=username]", "admin")
    admin.fill("input[name=password]", PASSWORD)
    admin.click("button[type=submit]")
    admin.goto(f"{gateway.url}/console/people/{person_id}")
    admin.fill("#holder-reset input[name=reason]", "phone lost")
    admin.click("#holder-reset button[type=submit]")
    expect(admin.locator("#holder-state")).to_contain_text("—")
    # a code this gate has not seen yet (the phone may still show the one decided above: that is a replay)
    page.wait_for_function("(seen) => !seen.includes(document.getElementById('live-qr').dataset.code)",
                           arg=[code, offline_code], timeout=15000)
    before_sync = page.locator("#live-qr").get_attribute("data-code")
    assert before_sync is not None
    # until it syncs, an offline gate cannot know (it admits, as it would a revoked paper pass)
    assert _gate(state).decide(before_sync).decision.allowed
    page.wait_for_function("(old) => document.getElementById('live-qr').dataset.code !== old", arg=before_sync,
                           timeout=15000)
    after_sync = page.locator("#live-qr").get_attribute("data-code")
    assert after_sync is not None
    sync_once(tmp_path / "gate")
    assert _gate(state).decide(after_sync).decision.reason is Reason.REVOKED
    assert gateway.call(lambda svc: bindings.for_person(svc.db.read, person_id)) is None
    console.close()
    phone.close()
