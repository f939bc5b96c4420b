"""Fixtures shared by every test package, and the project's Hypothesis profile."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from hypothesis import HealthCheck, settings

from gateway.db import Database
from keys import IssuerKey, TrustSet
from tests.pgserver import PgServer, empty_tables, remember_seeds

# Hypothesis' deadline and too_slow health check are timing assertions: on a loaded 2-core
# machine they fail tests that are correct (a cold first example, a busy neighbour). The
# project never asserts on time, so both are off everywhere; the example counts stay as set.
settings.register_profile("qrgate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("qrgate")


@pytest.fixture
def issuer_key() -> IssuerKey:
    return IssuerKey.generate()


@pytest.fixture
def trust(issuer_key: IssuerKey) -> TrustSet:
    return TrustSet.of(issuer_key.public_key)


# --- the database behind the gateway: every gateway, web and report test runs on both ---------
# QRGATE_TEST_BACKENDS=sqlite (or postgresql) narrows a run while developing.
BACKENDS = tuple(b for b in os.environ.get("QRGATE_TEST_BACKENDS", "sqlite,postgresql").split(",") if b)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole run (Debian's package, started by the tests)."""
    server = PgServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_database(pg_server: PgServer) -> str:
    """One migrated database for the run; each test starts from its tables emptied."""
    async def create() -> str:
        url = await pg_server.create_database()
        db = await Database.open(url)
        await db.close()
        await remember_seeds(url)
        return url

    # first asked for from inside a test's event loop: run on a loop of its own
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, create()).result()


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest) -> str | None:
    """None: a fresh SQLite file in the test's data folder; else a PostgreSQL URL, tables empty."""
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("pg_database")
    await empty_tables(url)
    return url
