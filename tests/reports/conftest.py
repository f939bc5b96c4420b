"""Fixtures for the report tests: the real app on a fresh database (both backends), tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from report_helpers import bearer

from qrgate.app import create_app
from gateway.appkeys import db_key
from gateway.auth import ROLES, create_token
from gateway.config import GatewayConfig


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[TestClient]], tmp_path: Path,
                 database_url: str | None) -> TestClient:
    return await aiohttp_client(create_app(GatewayConfig.for_data_dir(tmp_path / "data",
                                                                      database_url=database_url)))


@pytest.fixture
async def tokens(client: TestClient) -> dict[str, dict[str, str]]:
    db = client.app[db_key]
    return {role: bearer(await create_token(db, role=role, label=f"report-test-{role}",
                                            scope="class:S1/1A" if role == "teacher" else "city"))
            for role in ROLES}
