"""Family passes in Debian's Chromium (issue 14 part 2's proof): a guardian's page with two
dependants, offline, one tap per tab, each QR screenshotted, decoded by zxing-cpp and admitted by a
real enrolled gate (its signed bundle: key set, revocation list, site policy)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from live import LiveGateway
from PIL import Image
from playwright.sync_api import Browser, Locator, expect
from web_helpers import PASSWORD

from gateway import accounts, guardianships, idcard, passes, registry, sites
from gateway.auth import CLI
from gateway.clock import local_today
from gateway.config import GatewayConfig
from scanner.gate import Gate
from scanner.log import EntryLog
from scanner.state import DeviceState
from scanner.sync import enroll, sync_once

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
SITE = {"code": "KS-F001", "name": "Heyuan gate", "kind": "community",
        "policy": {"kind": "community", "site": "KS-F001", "communities": ["HEYUAN"], "allow_reentry": True}}
FAMILY = (("王女儿", "0101123"), ("王奶奶", "0202123"), ("王小宝", "0303123"))


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path_factory.mktemp("family-live") / "data")).start()
    live.call(lambda svc: accounts.create_account(svc.db, "admin", PASSWORD, "admin"))
    live.call(lambda svc: sites.create_site(svc, SITE, CLI))
    yield live
    live.stop()


def _family(gateway: LiveGateway, seeds: tuple[str, ...] = ()) -> tuple[str, list[int]]:
    people = [(name, seeds[i] if seeds else seed) for i, (name, seed) in enumerate(FAMILY)]

    async def make(svc):  # type: ignore[no-untyped-def]
        ids, link = [], ""
        for name, seed in people:
            person = await registry.register(svc, {
                "name": name, "document_type": "resident_id", "community": "HEYUAN",
                "document_number": idcard.make(f"4201021990{seed}")}, CLI)
            info = await passes.issue(svc, person.id, CLI, gateway.url)
            ids.append(person.id)
            link = link or info.resident_url
        for dependant in ids[1:]:
            await guardianships.add(svc, dependant, {"guardian_id": ids[0], "consent_by": "legal_guardian",
                                                     "consent_how": "signed_paper"}, CLI)
        return link, ids

    return gateway.call(make)  # type: ignore[no-any-return]


def _gate(gateway: LiveGateway, folder: Path) -> Gate:
    enrolment = gateway.call(lambda svc: sites.create_enrolment(svc, SITE["code"], {}, CLI, gateway.url))
    enroll(gateway.url, enrolment.token, folder)
    sync_once(folder)
    state = DeviceState(folder)
    snap = state.load()
    return Gate(state.device(), EntryLog(state.log_path), lambda: snap)


def _decoded(qr: Locator, name: str) -> str:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = qr.screenshot(path=str(SHOTS / name))
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)).convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert len(found) == 1, f"one QR code in {name}"
    text: str = found[0].text
    assert text.startswith("QG1:")
    return text


def test_a_guardians_page_with_two_dependants_offline_each_admitted(gateway: LiveGateway, browser: Browser,
                                                                     tmp_path: Path) -> None:
    link, (guardian, grandma, child) = _family(gateway)
    gate = _gate(gateway, tmp_path / "gate")
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(link)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now controlled by the worker, which keeps this copy of the page
    expect(page.locator("#family-tabs [role=tab]")).to_have_count(3)

    phone.set_offline(True)
    page.reload()  # the worker's copy: every pass of the family is in it
    expect(page.locator("#offline")).to_be_visible()
    expect(page.locator("#pass")).to_be_visible()
    people = {grandma: "王奶奶", child: "王小宝"}
    for person, name in people.items():
        page.locator(f"#tab-{person}").tap()  # one tap switches
        panel = page.locator(f"#family-{person}")
        expect(panel).to_be_visible()
        expect(page.locator("#pass")).to_be_hidden()
        expect(page.locator(f"#tab-{person}")).to_have_attribute("aria-selected", "true")
        expect(panel.locator(".name")).to_have_text(name)
        expect(panel.locator(".status-word")).to_have_text("绿码 可以通行")
        expect(panel.locator(".family-offline")).to_be_visible()  # this is the saved copy, on every tab
        page.screenshot(path=str(SHOTS / f"family-tab-{person}.png"))
        code = _decoded(panel.locator(".family-qr svg"), f"family-qr-{person}.png")
        result = gate.decide(code, temperature=36.5)
        assert result.decision.allowed, result.to_json()
        assert result.decision.holder is not None and result.decision.holder.name == name
    # and back to the guardian's own pass, still offline
    page.locator("#tab-me").tap()
    expect(page.locator("#pass")).to_be_visible()
    expect(page.locator(f"#family-{child}")).to_be_hidden()
    own = gate.decide(_decoded(page.locator("#qr svg"), "family-qr-guardian.png"), temperature=36.5)
    assert own.decision.allowed and own.decision.holder is not None and own.decision.holder.name == "王女儿"
    phone.close()
    assert guardian


def test_offline_each_tab_follows_the_calendar(gateway: LiveGateway, browser: Browser) -> None:
    """Days offline: a dependant's quarantine ends on the tab by itself, and an expired pass loses its QR."""
    async def make(svc):  # type: ignore[no-untyped-def]
        today = local_today(svc.config.tz)
        guardian = await registry.register(svc, {"name": "李儿子", "document_type": "resident_id",
                                                 "community": "HEYUAN",
                                                 "document_number": idcard.make("42010219900404123")}, CLI)
        elder = await registry.register(svc, {"name": "李爷爷", "document_type": "resident_id", "community": "HEYUAN",
                                              "document_number": idcard.make("42010219900505123"),
                                              "origin": "420100", "arrived_on": (today - timedelta(days=12)).isoformat()},
                                        CLI)
        link = (await passes.issue(svc, guardian.id, CLI, gateway.url)).resident_url
        await passes.issue(svc, elder.id, CLI, gateway.url)
        await guardianships.add(svc, elder.id, {"guardian_id": guardian.id, "consent_by": "dependant",
                                                "consent_how": "in_person"}, CLI)
        return link, elder.id, svc.config.pass_validity_days

    link, elder, validity = gateway.call(make)
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.clock.install(time=datetime.now(UTC))
    page.goto(link)
    page.locator(f"#tab-{elder}").tap()
    panel = page.locator(f"#family-{elder}")
    expect(panel).to_have_attribute("data-state", "quarantine")
    expect(panel.locator(".status-word")).to_have_text("隔离中 暂不可通行")
    expect(page.locator(f"#tab-{elder}")).to_have_attribute("data-state", "quarantine")
    phone.set_offline(True)
    page.clock.fast_forward(3 * 86_400_000)  # three days later, still offline: the quarantine has ended
    expect(panel).to_have_attribute("data-state", "green")
    expect(panel.locator(".status-word")).to_have_text("绿码 可以通行")
    expect(panel.locator(".countdown")).to_be_hidden()
    expect(panel.locator(".family-qr")).to_be_visible()
    page.screenshot(path=str(SHOTS / "family-offline-quarantine-over.png"))
    page.clock.fast_forward(validity * 86_400_000)  # past the pass's expiry: no QR, no card
    expect(panel).to_have_attribute("data-state", "expired")
    expect(panel.locator(".expired-stamp")).to_be_visible()
    expect(panel.locator(".family-qr")).to_be_hidden()
    expect(panel.locator(".actions")).to_be_hidden()
    phone.close()


def test_online_a_reissued_dependant_pass_replaces_the_old_one_by_itself(gateway: LiveGateway,
                                                                         browser: Browser) -> None:
    link, (_, grandma, _) = _family(gateway, seeds=("0606123", "0707123", "0808123"))
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.goto(link)
    page.locator(f"#tab-{grandma}").tap()
    panel = page.locator(f"#family-{grandma}")
    old = panel.get_attribute("data-serial")

    async def reissue(svc):  # type: ignore[no-untyped-def]
        return (await passes.reissue(svc, old, "card torn", CLI, gateway.url)).serial

    new = gateway.call(reissue)
    page.evaluate("window.dispatchEvent(new Event('online'))")  # resident.js fetches pass.json now
    expect(page.locator(f"#family-{grandma}")).to_have_attribute("data-serial", new, timeout=15000)
    expect(page.locator(f"#family-{grandma}")).to_be_visible()  # the same tab stays open after the reload
    expect(page.locator(f"#family-{grandma} .serial")).to_have_text(new)
    phone.close()
