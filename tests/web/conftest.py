"""Fixtures for the web tests: the real gateway app on a fresh data folder."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from playwright.sync_api import Browser, sync_playwright
from web_helpers import login

from qrgate.app import create_app
from gateway.config import GatewayConfig


@pytest.fixture
def config(tmp_path: Path, database_url: str | None) -> GatewayConfig:
    return GatewayConfig.for_data_dir(tmp_path / "data", purge_interval_seconds=3600,
                                      database_url=database_url)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]], config: GatewayConfig) -> TestClient:
    return await aiohttp_client(create_app(config))


@pytest.fixture
async def admin(client: TestClient) -> AsyncIterator[str]:
    yield await login(client, "admin", "admin")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, one per test module (each test opens its own context)."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
