"""Loading province-sized data for bench_store: generated inside the database, not through the API.

The loading is not what is measured: millions of rows go in with one INSERT ... SELECT over
generate_series (PostgreSQL) or a recursive CTE (SQLite), and on PostgreSQL the entries' secondary
indexes and foreign key are dropped for the load and put back after (their definitions read back
from pg_indexes and pg_constraint, so the schema measured is the migrations' own).
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from bench.bench_reports import DAY, GATES_PER_SITE, REASONS, TZ
import asyncpg

from gateway.db import Conn, Database
from gateway.db.sql import bind

STAMP = "2020-02-01T00:00:00+00:00"


class _Loader(Conn):
    """The store's `execute`/`fetch_all` on a plain connection without the pool's 60 s command timeout
    (loading millions of rows takes minutes); PostgreSQL only, setup only."""

    backend = "postgresql"

    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql, params=None):  # type: ignore[no-untyped-def]
        text, args = bind(sql, params)
        await self._conn.execute(text, *args, timeout=None)

    async def fetch_all(self, sql, params=None):  # type: ignore[no-untyped-def]
        text, args = bind(sql, params)
        return list(await self._conn.fetch(text, *args, timeout=None))

    async def execute_many(self, sql, rows):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def insert_rows(self, table, columns, rows, *, ignore_conflict_on=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def fetch_one(self, sql, params=None):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def serialise(self, name):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def json_list(self, param, sql_type="TEXT"):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def stream(self, sql, params=None, size=5000):  # type: ignore[no-untyped-def]
        raise NotImplementedError


@asynccontextmanager
async def _loading(db: Database) -> AsyncIterator[Conn]:
    """One transaction for the load: on PostgreSQL a connection of its own without a timeout."""
    if db.backend != "postgresql":
        async with db.transaction() as tx:
            yield tx
        return
    conn = await asyncpg.connect(db.url)  # type: ignore[attr-defined]
    try:
        async with conn.transaction():
            yield _Loader(conn)
    finally:
        await conn.close()


def _reason_case(column: str) -> str:
    """A CASE picking a reason code from a uniform [0, 1) `column` with bench_reports' weights."""
    total = sum(w for _, w in REASONS)
    parts, edge = [], 0.0
    for code, weight in REASONS[:-1]:
        edge += weight / total
        parts.append(f"WHEN {column} < {edge:.6f} THEN '{code}'")
    return f"CASE {' '.join(parts)} ELSE '{REASONS[-1][0]}' END"


async def people(db: Database, count: int, sample: int = 2000) -> list[str]:
    """`count` people with random document hashes, inserted in hash order (a dense index, as after
    a REINDEX); returns `sample` of their hashes in random order, for look-ups."""
    async with _loading(db) as tx:
        if db.backend == "postgresql":
            await tx.execute(
                "INSERT INTO people (name, document_type, document_enc, document_hmac, document_masked,"
                " document_last4, created_at, updated_at)"
                " SELECT 'p' || g, 'resident_id', '\\x00'::bytea, h, '3205**********0001', '0001', :at, :at"
                " FROM (SELECT g, md5(g::text || 'a') || md5(g::text || 'b') AS h"
                "       FROM generate_series(1, CAST(:n AS INTEGER)) AS g) AS x ORDER BY h",
                {"n": count, "at": STAMP})
        else:
            await tx.execute(
                "INSERT INTO people (name, document_type, document_enc, document_hmac, document_masked,"
                " document_last4, created_at, updated_at)"
                " SELECT 'p' || x, 'resident_id', x'00', h, '3205**********0001', '0001', :at, :at"
                " FROM (WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < :n)"
                "       SELECT x, lower(hex(randomblob(32))) AS h FROM g) ORDER BY h",
                {"n": count, "at": STAMP})
    async with _loading(db) as tx:
        await tx.execute("ANALYZE people")
    step = max(1, count // sample)
    hashes = [r[0] for r in await db.read.fetch_all(
        "SELECT document_hmac FROM people WHERE id % :step = 0 LIMIT :k", {"step": step, "k": sample})]
    random.Random(1).shuffle(hashes)
    return hashes


async def province_day(db: Database, entries: int, gates: int, people_count: int) -> None:
    """bench_reports' day at any size on PostgreSQL: sites, gates, sync slots, people, the day's entries
    (+10 % the day before), fever alerts; the same shape and reason mix as bench_reports.build."""
    assert db.backend == "postgresql"
    sites = gates // GATES_PER_SITE
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=TZ).timestamp()
    received = datetime(DAY.year, DAY.month, DAY.day + 1, 1, tzinfo=TZ).astimezone(UTC).isoformat(
        timespec="seconds")
    async with _loading(db) as tx:
        await tx.execute("SET LOCAL maintenance_work_mem = '512MB'")
        await tx.execute(
            "INSERT INTO sites (code, name, kind, policy, created_at, updated_at)"
            " SELECT 'S' || lpad(i::text, 6, '0'), 'site ' || i, 'community',"
            " '{\"kind\": \"community\", \"communities\": [\"C' || lpad(i::text, 6, '0') || '\"]}', :at, :at"
            " FROM generate_series(0, CAST(:s AS INTEGER) - 1) AS i", {"s": sites, "at": STAMP})
        await tx.execute(
            "INSERT INTO devices (id, site, name, credential_hash, enrolled_at)"
            " SELECT 'dev_' || lpad(d::text, 6, '0'), 'S' || lpad((d / :per)::text, 6, '0'), 'gate ' || d,"
            " md5(d::text), :at FROM generate_series(0, CAST(:g AS INTEGER) - 1) AS d",
            {"g": gates, "per": GATES_PER_SITE, "at": STAMP})
        # 95 % of gates talk to the gateway every half hour; the rest are silent that day
        await tx.execute(
            "INSERT INTO device_syncs (device_id, slot) SELECT 'dev_' || lpad(d::text, 6, '0'),"
            " CAST(:start AS BIGINT) + 1800 * k"
            " FROM generate_series(0, CAST(:g AS INTEGER) - 1) AS d, generate_series(0, 47) AS k WHERE d % 20 <> 0",
            {"g": gates, "start": int(start)})
        await tx.execute(
            "INSERT INTO people (id, name, document_type, document_enc, document_hmac, document_masked,"
            " document_last4, community, status, quarantine_start, quarantine_end, created_at, updated_at)"
            " SELECT p, '居民' || p, 'resident_id', '\\x00'::bytea, 'h' || p, '4201**********0000', '0000',"
            " 'C' || lpad((p % :s)::text, 6, '0'), 'green',"
            " CASE WHEN p % 40 = 0 THEN '2020-02-05' END, CASE WHEN p % 40 = 0 THEN '2020-02-19' END, :at, :at"
            " FROM generate_series(1, CAST(:n AS INTEGER)) AS p", {"n": people_count, "s": sites, "at": STAMP})
        await tx.execute("INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at,"
                         " expires_at) VALUES ('000000000000000000000001', 1, 'live', 'k', 'q', '{}', :at, :at)",
                         {"at": STAMP})
        found = await tx.fetch_all("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'entries'"
                                   " AND indexname <> 'entries_pkey'")
        definitions = [r[1] for r in found]
        for name in [r[0] for r in found]:
            await tx.execute(f"DROP INDEX {name}")
        foreign = await tx.fetch_all("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                                     " WHERE conrelid = CAST('entries' AS regclass) AND contype = 'f'")
        for name, _ in foreign:  # checked once for the whole table below, not once per row
            await tx.execute(f"ALTER TABLE entries DROP CONSTRAINT {name}")
        await tx.execute(
            "INSERT INTO entries (id, device_id, site, seq, scanned_at, scanned_ts, received_at, serial,"
            " text_hash, decision, reason, temperature, clock_offset, prev_hash, hash, chain_ok)"
            " SELECT md5(g::text)::uuid::text, 'dev_' || lpad(d::text, 6, '0'),"
            " 'S' || lpad((d / :per)::text, 6, '0'), g,"
            " to_char(to_timestamp(ts) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"'),"
            " ts, :received, '000000000000000000000001', NULL,"
            " CASE WHEN reason = 'ok' THEN 'allow' ELSE 'deny' END, reason,"
            " CASE WHEN reason = 'fever' THEN 38.1 ELSE 36.5 END, 0.1, :zero, :zero, 1"
            " FROM (SELECT g, d, ts, " + _reason_case("r") + " AS reason FROM ("
            "   SELECT g, floor(random() * CAST(:g AS INTEGER))::int AS d, random() AS r,"
            "   CAST(:start AS DOUBLE PRECISION) - CASE WHEN g > CAST(:n AS INTEGER) THEN 86400 ELSE 0 END"
            "   + random() * 86400 AS ts"
            "   FROM generate_series(1, CAST(:total AS INTEGER)) AS g) AS a) AS b",
            {"per": GATES_PER_SITE, "received": received, "zero": "0" * 64, "g": gates, "n": entries,
             "start": start, "total": entries + entries // 10})
        for definition in definitions:
            await tx.execute(definition)
        for name, definition in foreign:
            await tx.execute(f"ALTER TABLE entries ADD CONSTRAINT {name} {definition}")
        await tx.execute(
            "INSERT INTO alerts (kind, created_at, site, device_id, entry_id, serial, details, dedupe_key)"
            " SELECT 'fever', received_at, site, device_id, id, NULL, '{}', 'fever:' || id FROM entries"
            " WHERE reason = 'fever'")
    # as autovacuum leaves a finished day: statistics, and the visibility map that lets the report's
    # counts read the entries_report index alone (VACUUM cannot run inside a transaction). Only the
    # tables written here: autovacuum never visits a table nothing was written to, and a vacuumed
    # empty checkpoint_people (0 rows known, not "never counted") makes PostgreSQL plan the report's
    # NOT EXISTS as a nested loop over it, a rescan per entry (0.93 s instead of 0.66 s per 1,000,000)
    conn = await asyncpg.connect(db.url)  # type: ignore[attr-defined]
    try:
        await conn.execute("VACUUM ANALYZE sites, devices, device_syncs, people, passes, entries, alerts",
                           timeout=None)
    finally:
        await conn.close()
