"""SQLite through aiosqlite: WAL, foreign keys, versioned migrations, one serialized writer."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

Conn = aiosqlite.Connection
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


async def _connect(path: Path) -> Conn:
    conn = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN ourselves
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL; a crash loses no committed data
    return conn


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in gateway/migrations, in order."""
    found = []
    for item in resources.files("gateway.migrations").iterdir():
        match = MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """A writer connection (serialized by a lock) and a reader connection (WAL snapshot reads)."""

    def __init__(self, path: Path, writer: Conn, reader: Conn) -> None:
        self.path = path
        self._writer = writer
        self.read = reader
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"Database({str(self.path)!r})"

    @classmethod
    async def open(cls, path: Path) -> Database:
        path.parent.mkdir(parents=True, exist_ok=True)
        writer = await _connect(path)
        try:
            await writer.execute("PRAGMA journal_mode = WAL")
            await _migrate(writer)
            reader = await _connect(path)
        except BaseException:
            await writer.close()
            raise
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self.read.close()
        await self._writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """BEGIN IMMEDIATE ... COMMIT on the one writer; ROLLBACK on any exception."""
        async with self._lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")


async def _migrate(conn: Conn) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {row[0] for row in await cur.fetchall()}
    for version, name, sql in migrations():
        if version in applied:
            continue
        # one script = one transaction: a failing migration leaves the schema as it was
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{sql}\n;INSERT INTO schema_migrations (version, name, applied_at) "
                f"VALUES ({version}, '{name}', strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));\nCOMMIT;")
        except BaseException:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
