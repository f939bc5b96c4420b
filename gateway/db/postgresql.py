"""The server backend: PostgreSQL through an asyncpg pool; no process lock, the database decides.

Each transaction runs on its own pooled connection (READ COMMITTED); whatever must be unique
(an entry id, a live pass per person, an enrolment token used once) is a constraint, so two
gateway processes on one database cannot both win. Commits are durable: every connection runs
with synchronous_commit = on (an acknowledged entry batch is on disk before the answer leaves).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from operator import itemgetter
from typing import Any, NoReturn

import asyncpg

from . import (Busy, Conflict, Conn, Database, Params, Result, Row, StoreError, Unavailable, identifiers,
               migrations, redacted)
from .sql import bind

MIGRATION_LOCK = 0x71726761  # "qrga": nodes starting together migrate one after the other
BUSY = (asyncpg.exceptions.SerializationError, asyncpg.exceptions.DeadlockDetectedError,
        asyncpg.exceptions.LockNotAvailableError, asyncpg.exceptions.QueryCanceledError,
        asyncpg.exceptions.TooManyConnectionsError)


def _raise(error: Exception) -> NoReturn:
    if isinstance(error, asyncpg.exceptions.IntegrityConstraintViolationError):
        raise Conflict(str(error)) from error
    if isinstance(error, BUSY):
        raise Busy(str(error)) from error
    raise StoreError(f"{type(error).__name__}: {error}") from error


DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)


def _why(error: BaseException) -> str:
    """The driver's reason in words: 'Connection refused', not '[Errno 111] Connect call failed (…)'."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


def _rowcount(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresConn(Conn):
    """The store interface over a pool (each call on any free connection) or one connection."""

    backend = "postgresql"

    def __init__(self, conn: asyncpg.Pool | asyncpg.Connection,
                 column_types: dict[str, dict[str, str]] | None = None) -> None:
        self._conn = conn
        self._types = {} if column_types is None else column_types  # table -> column -> SQL type

    async def _column_types(self, table: str) -> dict[str, str]:
        if table not in self._types:  # read once per database: the schema is fixed by the migrations
            rows = await self.fetch_all(
                "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
                " WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                {"t": table})
            self._types[table] = {r[0]: r[1] for r in rows}
        return self._types[table]

    async def _unnest_insert(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]],
                             tail: str) -> tuple[str, list[list[Any]]]:
        identifiers(table, *columns)
        types = await self._column_types(table)
        arrays = ", ".join(f"${i}::{types[c]}[]" for i, c in enumerate(columns, 1))
        sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest({arrays}){tail}"
        return sql, [[row[c] for row in rows] for c in columns]

    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                          ignore_conflict_on: str | None = None) -> None:
        """One INSERT ... SELECT FROM unnest(array per column): one statement and one round trip
        whatever the number of rows (executemany runs the statement once per row on the server)."""
        if not rows:
            return
        conflict = f" ON CONFLICT ({ignore_conflict_on}) DO NOTHING" if ignore_conflict_on else ""
        sql, arrays = await self._unnest_insert(table, columns, rows, conflict)
        try:
            await self._conn.execute(sql, *arrays)
        except DRIVER_ERRORS as error:
            _raise(error)

    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                         key: str, row_type: str | None = None) -> set[Any]:
        # the INSERT says what it stored: no look-up of the stored keys first (a probe of the key's
        # index per row that ON CONFLICT makes again), and a row another transaction stored is left out
        identifiers(key)
        if not rows:
            return set()
        tail = f" ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
        if row_type is None:
            sql, args = await self._unnest_insert(table, columns, rows, tail)
        else:  # one array of rows: one parameter to encode and to decode, not one per column
            identifiers(table, row_type, *columns)
            if list(await self._column_types(row_type)) != list(columns):
                raise ValueError(f"type {row_type}'s attributes are not {', '.join(columns)}")
            sql = f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM unnest($1::{row_type}[]){tail}"
            pick = itemgetter(*columns)  # a tuple per row, in C (for two columns or more)
            args = [[pick(row) for row in rows] if len(columns) > 1 else [(row[columns[0]],) for row in rows]]
        try:
            return {r[0] for r in await self._conn.fetch(sql, *args)}
        except DRIVER_ERRORS as error:
            _raise(error)

    async def serialise(self, name: str) -> None:
        await self.execute("SELECT pg_advisory_xact_lock(hashtext(:name))", {"name": name})

    def rows_param(self, name: str, columns: Sequence[tuple[str, str]],
                   rows: Sequence[Sequence[Any]]) -> tuple[str, dict[str, Any]]:
        # unnest(array, array, ...): binary arrays, nothing for the server to parse (a JSON text would be)
        identifiers(name, *(c for c, _ in columns))
        arrays = ", ".join(f"CAST(:{name}_{i} AS {sql_type}[])" for i, (_, sql_type) in enumerate(columns))
        item = f"unnest({arrays}) AS {name} ({', '.join(c for c, _ in columns)})"
        return item, {f"{name}_{i}": [row[i] for row in rows] for i in range(len(columns))}

    def json_list(self, param: str, sql_type: str = "TEXT") -> str:
        return (f"(SELECT CAST(value AS {sql_type})"
                f" FROM jsonb_array_elements_text(CAST({param} AS jsonb)) AS value)")

    async def execute(self, sql: str, params: Params = None) -> Result:
        text, args = bind(sql, params)
        try:
            return Result(_rowcount(await self._conn.execute(text, *args)))
        except DRIVER_ERRORS as error:
            _raise(error)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        bound = [bind(sql, r) for r in rows]
        if not bound:
            return
        try:
            await self._conn.executemany(bound[0][0], [args for _, args in bound])
        except DRIVER_ERRORS as error:
            _raise(error)

    async def fetch_one(self, sql: str, params: Params = None) -> Row | None:
        text, args = bind(sql, params)
        try:
            row: Row | None = await self._conn.fetchrow(text, *args)
            return row
        except DRIVER_ERRORS as error:
            _raise(error)

    async def stream(self, sql: str, params: Params = None, size: int = 5000) -> AsyncIterator[list[Row]]:
        text, args = bind(sql, params)
        try:
            if isinstance(self._conn, asyncpg.Pool):
                async with self._conn.acquire() as conn, conn.transaction():
                    cursor = await conn.cursor(text, *args)
                    while rows := await cursor.fetch(size):
                        yield list(rows)
            else:
                cursor = await self._conn.cursor(text, *args)
                while rows := await cursor.fetch(size):
                    yield list(rows)
        except DRIVER_ERRORS as error:
            _raise(error)

    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]:
        text, args = bind(sql, params)
        try:
            return list(await self._conn.fetch(text, *args))
        except DRIVER_ERRORS as error:
            _raise(error)


async def _init(conn: asyncpg.Connection) -> None:
    await conn.execute("SET synchronous_commit = on")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """On release to the pool: nothing to undo (asyncpg still rolls back a transaction left open).

    asyncpg's default reset runs `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on
    every release: a second round trip for each one-statement read (a person look-up took twice its
    query), and RESET ALL would undo _init's synchronous_commit on a server whose default is off.
    The store leaves no session state behind: advisory locks are transaction-scoped
    (pg_advisory_xact_lock), cursors live inside transactions, nothing LISTENs or SETs.
    """


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database."""

    backend = "postgresql"

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.pool = pool
        self._column_types: dict[str, dict[str, str]] = {}
        self.read = PostgresConn(pool, self._column_types)

    def __repr__(self) -> str:
        return f"PostgresDatabase({redacted(self.url)!r})"

    @classmethod
    async def connect(cls, url: str, *, min_size: int = 1, max_size: int = 10,
                      command_timeout: float = 60) -> PostgresDatabase:
        """`command_timeout`: seconds one statement may take (a benchmark's province report, more)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size, init=_init,
                                             reset=_keep_session, command_timeout=command_timeout)
        except DRIVER_ERRORS as error:
            raise Unavailable(f"cannot connect to {redacted(url)}: {_why(error)}") from error
        try:
            async with pool.acquire() as conn:
                await _migrate(conn)
        except BaseException as error:
            await pool.close()
            if isinstance(error, DRIVER_ERRORS):
                _raise(error)
            raise
        return cls(url, pool)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Conn]:
        """BEGIN ... COMMIT on a pooled connection; ROLLBACK on any exception."""
        try:
            async with self.pool.acquire() as conn:
                async with conn.transaction():
                    yield PostgresConn(conn, self._column_types)
        except DRIVER_ERRORS as error:
            _raise(error)

    def pool_stats(self) -> tuple[int, int]:
        """(connections open, connections idle)."""
        return self.pool.get_size(), self.pool.get_idle_size()


async def _migrate(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations ("
                           "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        applied = {r[0] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        for version, name, sql in migrations("postgresql"):
            if version in applied:
                continue
            await conn.execute(sql)  # all pending files in one transaction: whole or not at all
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2,"
                " to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))",
                version, name)

