"""The embedded backend: SQLite through aiosqlite, WAL, one serialised writer, durable commits."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import aiosqlite

from . import Busy, Conflict, Conn, Database, Params, Result, Row, StoreError, identifiers, migrations


def _raise(error: sqlite3.Error) -> NoReturn:
    if isinstance(error, sqlite3.IntegrityError):
        raise Conflict(str(error)) from error
    message = str(error)
    if isinstance(error, sqlite3.OperationalError) and ("locked" in message or "busy" in message):
        raise Busy(message) from error
    raise StoreError(str(error)) from error


def _params(params: Params) -> Any:
    return () if params is None else params


T = TypeVar("T")


def _rowcount(raw: sqlite3.Connection, sql: str, params: Any) -> int:
    cur = raw.execute(sql, params)
    try:
        return cur.rowcount
    finally:
        cur.close()


def _first(raw: sqlite3.Connection, sql: str, params: Any) -> Row | None:
    cur = raw.execute(sql, params)
    try:
        row: Row | None = cur.fetchone()
        return row
    finally:
        cur.close()


def _all(raw: sqlite3.Connection, sql: str, params: Any) -> list[Row]:
    cur = raw.execute(sql, params)
    try:
        return list(cur.fetchall())
    finally:
        cur.close()


class SQLiteConn(Conn):
    """The store interface over one aiosqlite connection (`:name` and `?` are SQLite's own)."""

    backend = "sqlite"

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def _run(self, fn: Callable[[sqlite3.Connection, str, Any], T], sql: str, params: Params) -> T:
        """Execute, fetch and close in ONE hand-off to aiosqlite's thread.

        Its cursor API takes three (execute, fetchone, close), each a queue put, a thread wake-up
        and a call back into the loop: 147 us of CPU for a one-row read against 65 us in one trip
        (measured here), most of what a gate's sync cost the gateway. `_execute` is aiosqlite's own
        queueing (the function its public methods use); `fn` runs on its thread, on its connection.
        """
        raw = self._conn._conn
        try:
            result: T = await self._conn._execute(fn, raw, sql, _params(params))
            return result
        except sqlite3.Error as error:
            _raise(error)

    async def serialise(self, name: str) -> None:
        return None

    def json_list(self, param: str, sql_type: str = "TEXT") -> str:
        return f"(SELECT value FROM json_each({param}))"

    def rows_param(self, name: str, columns: Sequence[tuple[str, str]],
                   rows: Sequence[Sequence[Any]]) -> tuple[str, dict[str, Any]]:
        # one JSON text of row arrays; a float comes back exactly (Python writes its shortest repr,
        # SQLite reads it to the same double: tests/gateway/test_store_boundary.py)
        identifiers(name, *(c for c, _ in columns))
        picks = ", ".join(f"json_extract(value, '$[{i}]') AS {c}" for i, (c, _) in enumerate(columns))
        return f"(SELECT {picks} FROM json_each(:{name})) AS {name}", {name: json.dumps([list(r) for r in rows])}

    async def execute(self, sql: str, params: Params = None) -> Result:
        return Result(await self._run(_rowcount, sql, params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        try:
            await self._conn.executemany(sql, [_params(r) for r in rows])
        except sqlite3.Error as error:
            _raise(error)

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                          ignore_conflict_on: str | None = None) -> None:
        # in process, executemany is one C loop over one prepared statement: no round trips to save
        identifiers(table, *columns)
        conflict = f" ON CONFLICT ({ignore_conflict_on}) DO NOTHING" if ignore_conflict_on else ""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}){conflict}"
        try:
            await self._conn.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
        except sqlite3.Error as error:
            _raise(error)

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        return await self._run(_first, sql, params)

    async def stream(self, sql: str, params: Params = None, size: int = 5000) -> AsyncIterator[list[Row]]:
        try:
            async with self._conn.execute(sql, _params(params)) as cur:
                while batch := await cur.fetchmany(size):
                    rows: list[Row] = list(batch)
                    yield rows
        except sqlite3.Error as error:
            _raise(error)

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]:
        return await self._run(_all, sql, params)


async def _connect(path: Path, *, synchronous: str) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)  # we issue BEGIN ourselves
    conn.row_factory = aiosqlite.Row
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


class SQLiteDatabase(Database):
    """A writer connection (serialised by a lock) and a reader connection (WAL snapshot reads).

    The writer runs with synchronous=FULL: a COMMIT returns only once the WAL is on disk, so
    whatever the gateway acknowledges (an entry batch above all) survives a power cut.
    """

    backend = "sqlite"

    def __init__(self, path: Path, writer: aiosqlite.Connection,
                 reader: aiosqlite.Connection) -> None:
        self.path = path
        self._raw_writer = writer
        self._raw_reader = reader
        self._writer = SQLiteConn(writer)
        self.read = SQLiteConn(reader)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"SQLiteDatabase({str(self.path)!r})"

    @classmethod
    async def connect(cls, path: str | Path, *, synchronous: str = "FULL") -> SQLiteDatabase:
        """Open (and migrate) the file; `synchronous` is FULL except where a benchmark measures its cost."""
        if synchronous not in ("FULL", "NORMAL"):
            raise ValueError("synchronous must be FULL or NORMAL")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            writer = await _connect(path, synchronous=synchronous)
            try:
                await writer.execute("PRAGMA journal_mode = WAL")
                await _migrate(writer)
                reader = await _connect(path, synchronous="NORMAL")  # it never writes
            except BaseException:
                await writer.close()
                raise
        except sqlite3.Error as error:
            _raise(error)
        return cls(path, writer, reader)

    async def close(self) -> None:
        await self._raw_reader.close()
        await self._raw_writer.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """BEGIN IMMEDIATE ... COMMIT on the one writer; ROLLBACK on any exception."""
        async with self._lock:
            try:
                await self._raw_writer.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                _raise(error)
            try:
                yield self._writer
            except BaseException:
                await self._raw_writer.execute("ROLLBACK")
                raise
            try:
                await self._raw_writer.execute("COMMIT")
            except sqlite3.Error as error:
                if self._raw_writer.in_transaction:
                    await self._raw_writer.execute("ROLLBACK")
                _raise(error)


async def _migrate(conn: aiosqlite.Connection) -> None:
    await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                       "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {row[0] for row in await cur.fetchall()}
    for version, name, sql in migrations("sqlite"):
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
