"""`qrgate db copy`: the demo city with gate entries, SQLite → PostgreSQL → SQLite, all equal."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway import dbcopy, demo
from qrgate.app import create_app
from gateway.auth import create_token
from gateway.config import GatewayConfig
from gateway.db import Database
from gateway.services import open_services
from gateway.store import catalog
from tests.gateway.conftest import Chain, bearer, enrol_device, make_site
from tests.pgserver import empty_tables
from tests.scanner.gatewayproc import ROOT

pytestmark = pytest.mark.slow
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}  # a copy needs no keys


def qrgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "qrgate.cli", *args], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=300)


async def _city(data: Path) -> None:
    """The demo city, plus a gate that uploaded a day of entries (with a fever and an alert)."""
    config = GatewayConfig.for_data_dir(data)
    async with open_services(config) as svc:
        await demo.seed(svc, config.base_url)
    client = TestClient(TestServer(create_app(config)))
    await client.start_server()
    try:
        from gateway.appkeys import db_key

        admin = bearer(await create_token(client.app[db_key], role="admin", label="copy test"))
        await make_site(client, admin, "COPY-1", communities=["C1"])
        device = await enrol_device(client, admin, "COPY-1")
        chain = Chain(device["device_id"], "COPY-1")
        batch = [chain.entry(serial=f"{i:024x}", scanned_at=f"2020-02-14T08:{i:02d}:01.250+08:00")
                 for i in range(40)]
        batch.append(chain.entry(decision="deny", reason="fever", temperature=38.4))
        resp = await client.post("/api/v1/entries", headers=bearer(device["credential"]),
                                 json={"entries": batch})
        assert resp.status == 200, await resp.text()
    finally:
        await client.close()


async def _sums(target: str | Path) -> dict[str, tuple[int, str]]:
    db = await Database.open(target)
    try:
        return {t.name: await dbcopy.table_sum(db, t) for t in await catalog.tables(db.read)}
    finally:
        await db.close()


async def test_copy_sqlite_to_postgresql_and_back(tmp_path: Path, pg_database: str) -> None:
    await empty_tables(pg_database)
    data = tmp_path / "city"
    await _city(data)
    before = await _sums(data / "gateway.sqlite3")
    assert before["entries"][0] == 41 and before["people"][0] == 20 and before["passes"][0] >= 20

    there = qrgate("db", "copy", "--from", str(data), "--to", pg_database)
    assert there.returncode == 0, there.stderr
    assert "tables equal" in there.stdout
    assert await _sums(pg_database) == before

    back = tmp_path / "back"
    again = qrgate("db", "copy", "--from", pg_database, "--to", str(back))
    assert again.returncode == 0, again.stderr
    assert await _sums(back / "gateway.sqlite3") == before

    # the copy keeps working: new ids continue after the copied ones on PostgreSQL
    db = await Database.open(pg_database)
    try:
        async with db.transaction() as tx:
            new_id = await tx.returning("INSERT INTO audit (at, actor, action, target, details)"
                                        " VALUES ('t', 'a', 'b', 'c', '{}') RETURNING id")
        assert new_id == before["audit"][0] + 1
    finally:
        await db.close()


async def test_copy_refuses_a_target_that_is_not_empty(tmp_path: Path) -> None:
    data = tmp_path / "city"
    await _city(data)
    twice = tmp_path / "twice"
    assert qrgate("db", "copy", "--from", str(data), "--to", str(twice)).returncode == 0
    refused = qrgate("db", "copy", "--from", str(data), "--to", str(twice))
    assert refused.returncode == 1 and "not empty" in refused.stderr
    missing = qrgate("db", "copy", "--from", str(tmp_path / "nowhere"), "--to", str(tmp_path / "x"))
    assert missing.returncode == 78 and "no gateway database" in missing.stderr
    assert not (tmp_path / "nowhere").exists()
