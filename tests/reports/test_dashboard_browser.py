"""The dashboard in Debian's Chromium against the real gateway on a port; a screenshot for review.

The screenshot goes to test-artifacts/screenshots/dashboard.png (the folder the web tests use).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.sync_api import expect, sync_playwright
from report_helpers import PASSWORD, bearer
from test_daily_report import DAY, build_day

from gateway import accounts
from gateway.auth import create_token
from gateway.config import GatewayConfig
from gateway.services import Services

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "web"))
from live import LiveGateway  # noqa: E402  (the web tests' real server on a port, reused)

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[LiveGateway]:
    live = LiveGateway(GatewayConfig.for_data_dir(tmp_path / "data")).start()
    yield live
    live.stop()


def _seed(live: LiveGateway) -> None:
    async def seed(svc: Services) -> None:
        await accounts.create_account(svc.db, "chief", PASSWORD, "viewer")
        admin = bearer(await create_token(svc.db, role="admin", label="dashboard test"))
        registrar = bearer(await create_token(svc.db, role="registrar", label="dashboard test"))
        async with aiohttp.ClientSession(base_url=live.url) as http:  # the real API over TCP
            await build_day(http, admin, registrar)  # type: ignore[arg-type]
    live.call(seed)


def test_the_dashboard_in_a_browser(gateway: LiveGateway) -> None:
    _seed(gateway)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = chromium.new_context(viewport={"width": 1280, "height": 900}).new_page()
        blocked: list[str] = []  # nothing may come from the network but the gateway itself
        page.on("request", lambda r: None if r.url.startswith(gateway.url) else blocked.append(r.url))
        page.goto(gateway.url + "/console/login")
        page.fill("#f-username", "chief")
        page.fill("#f-password", PASSWORD)
        page.click("button[type=submit]")
        page.click("a[href='/console/dashboard']")
        page.goto(f"{gateway.url}/console/dashboard?date={DAY}")
        expect(page.locator("#fig-allowed")).to_have_text("6")
        expect(page.locator("#fig-zero")).to_have_text("3/5")
        expect(page.locator("#site-S4")).to_contain_text("零报告")
        chart = page.locator("#hour-chart")
        box = chart.bounding_box()
        assert box is not None and box["width"] > 600 and box["height"] > 150  # drawn, and big enough
        expect(page.locator("#hour-chart rect")).to_have_count(48)
        expect(page.locator("#dash-unsynced")).to_contain_text("从未")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)
        assert blocked == []
        chromium.close()
