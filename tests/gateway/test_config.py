"""Settings are documented; the database opens in WAL with every migration applied once."""

from __future__ import annotations

import re
from pathlib import Path

from gateway.config import GatewayConfig, settings
from gateway.db import Database, migrations

DOC = Path(__file__).resolve().parents[2] / "docs" / "gateway.md"


def test_every_setting_is_in_the_docs_table() -> None:
    documented = set(re.findall(r"^\| `(\w+)` \|", DOC.read_text(), re.M))
    assert {name for name, _, _ in settings()} <= documented
    assert all(help_ for _, _, help_ in settings())


def test_for_data_dir_overrides() -> None:
    config = GatewayConfig.for_data_dir("/x", quarantine_days=21)
    assert (config.data_dir, config.quarantine_days) == (Path("/x"), 21)
    assert config.database == Path("/x/gateway.sqlite3")


async def test_database_is_wal_and_migrates_once(tmp_path: Path) -> None:
    for _ in range(2):
        db = await Database.open(tmp_path / "g.sqlite3")
        assert (await db.read.fetch_one("PRAGMA journal_mode"))[0] == "wal"
        versions = await db.read.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
        assert [r[0] for r in versions] == [v for v, _, _ in migrations()]
        await db.close()


async def test_a_failed_transaction_leaves_nothing(tmp_path: Path, database_url: str | None) -> None:
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    try:
        try:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO audit (at, actor, action, target, details)"
                                 " VALUES ('t', 'a', 'b', 'c', '{}')")
                raise RuntimeError("midway")
        except RuntimeError:
            pass
        assert (await db.read.fetch_one("SELECT COUNT(*) FROM audit"))[0] == 0
    finally:
        await db.close()
