"""The daily report's scan of a day's entries reads the entries_report index alone (migration 0490).

A city's day is a million entries, read once for the counts by site/decision/reason, the
temperatures taken and the directions; the scan also leaves out the entries a checkpoint person
names, so it reads direction, temperature and id as well. When an index lacks one of them the
database reads the table row by row (SQLite: 2.8 s → 8–22 s for a million entries,
docs/benchmarks.md). The test records the SQL the real report runs and asks each database for its
plan. Both backends."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from report_helpers import Client, Gate, make_site, report

from gateway.appkeys import db_key
from gateway.config import DEFAULT_TIMEZONE
from gateway.db import Conn, Params, Result, Row
from gateway.reports import daily_report

DAY = "2020-02-14"
# a scan of the day's entries by scanner time (fevers go through their own partial index, entries_fever)
DAY_SCAN = re.compile(r"\bFROM entries WHERE scanned_ts >= :start AND scanned_ts < :end\b")


class Recording(Conn):
    """The reader of a real database, keeping the SQL (and parameters) of every read made through it."""

    def __init__(self, inner: Conn) -> None:
        self.inner, self.backend = inner, inner.backend
        self.reads: list[tuple[str, Params]] = []

    async def execute(self, sql: str, params: Params = None) -> Result:
        return await self.inner.execute(sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        await self.inner.execute_many(sql, rows)

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                          ignore_conflict_on: str | None = None) -> None:
        await self.inner.insert_rows(table, columns, rows, ignore_conflict_on=ignore_conflict_on)

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        self.reads.append((sql, params))
        return await self.inner.fetch_one(sql, params)

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]:
        self.reads.append((sql, params))
        return await self.inner.fetch_all(sql, params)

    async def serialise(self, name: str) -> None:
        await self.inner.serialise(name)

    def json_list(self, param: str, sql_type: str = "TEXT") -> str:
        return self.inner.json_list(param, sql_type)

    def stream(self, sql: str, params: Params = None, size: int = 5000) -> AsyncIterator[list[Row]]:
        self.reads.append((sql, params))
        return self.inner.stream(sql, params, size)


async def _day_scans(client: Client, tokens: dict[str, dict[str, str]]) -> list[tuple[str, Params]]:
    """The scans of the day's entries the city's daily report makes, over a day with entries of every kind."""
    admin = tokens["admin"]
    await make_site(client, admin, "S1", "community", communities=["C1"])
    gate = await Gate.enrol(client, admin, "S1", "north gate")
    gate.scan(f"{DAY}T08:00:00+08:00")
    gate.scan(f"{DAY}T09:00:00+08:00", reason="fever", temperature=38.4)
    gate.scan(f"{DAY}T10:00:00+08:00", reason="quarantine", temperature=None)
    await gate.upload()
    assert (await report(client, admin, DAY))["city"]["entries"]["total"] == 3  # the day is really there

    db = client.app[db_key]
    real = db.read
    db.read = recording = Recording(real)
    try:
        await daily_report(db, date.fromisoformat(DAY), now=datetime(2020, 2, 16, tzinfo=UTC),
                           city_timezone=DEFAULT_TIMEZONE)
    finally:
        db.read = real
    scans = [(sql, params) for sql, params in recording.reads if DAY_SCAN.search(sql)]
    # one scan gives counts, temperatures and directions: if the SQL changes shape, this test must follow it
    assert len(scans) == 1, [sql for sql, _ in recording.reads]
    return scans


async def test_the_day_scan_reads_the_covering_index_alone(client: Client,
                                                           tokens: dict[str, dict[str, str]]) -> None:
    scans = await _day_scans(client, tokens)
    db = client.app[db_key]
    for sql, params in scans:
        if db.backend == "sqlite":
            plan = [r[3] for r in await db.read.fetch_all("EXPLAIN QUERY PLAN " + sql, params)]
            on_entries = [step for step in plan if re.match(r"(SEARCH|SCAN) entries\b", step)]
            assert on_entries == ["SEARCH entries USING COVERING INDEX entries_report"
                                  " (scanned_ts>? AND scanned_ts<?)"], (sql, plan)
        else:
            # PostgreSQL's choice follows its statistics (a three-row table is read whole, and so is a bench
            # table holding little more than the day); with sequential and bitmap scans ruled out and the
            # visibility map set (as autovacuum leaves a finished day), an index-only scan is possible only
            # when the index covers the query
            await db.read.execute("VACUUM ANALYZE entries")
            async with db.transaction() as tx:
                await tx.execute("SET LOCAL enable_seqscan = off")
                await tx.execute("SET LOCAL enable_bitmapscan = off")
                plan = [r[0] for r in await tx.fetch_all("EXPLAIN " + sql, params)]
            on_entries = [step.strip(" ->") for step in plan if re.search(r" on entries\b", step)]
            assert len(on_entries) == 1 and on_entries[0].startswith(
                "Index Only Scan using entries_report on entries"), (sql, plan)
        # the checkpoint people are looked up by their entry_id index, never read whole
        assert not any(re.search(r"SCAN (checkpoint_people|cp)\b|Seq Scan on checkpoint_people", step)
                       for step in plan), (sql, plan)
