"""The persistence boundary: the store interface the domain talks to, whatever database is behind it.

Store functions (gateway/store/*, web/store.py) take a `Conn` — the reader (`db.read`) or a
transaction (`async with db.transaction() as tx`) — and run SQL through four calls:

    await conn.execute(sql, params)        -> Result (rowcount)
    await conn.execute_many(sql, rows)
    await conn.insert_rows(table, columns, rows, ignore_conflict_on="id")   -> one statement, many rows
    await conn.fetch_one(sql, params)      -> Row | None
    await conn.fetch_all(sql, params)      -> list[Row]
    await conn.returning(sql, params)      -> the first column of the one row of `INSERT ... RETURNING x`

SQL is written once, with `:name` (dict) or `?` (sequence) placeholders; each backend translates
them (gateway/db/sql.py). A Row reads by position (`row[0]`) and by name (`row["id"]`, `dict(row)`).
Driver errors never leave the store: they arrive as the exceptions below.

    StoreError
     ├── Unavailable     the database cannot be reached or opened (server down, refused login)
     ├── Busy            the database is locked or the transaction lost a race: try again later
     └── Conflict        a constraint (unique, foreign key, check) refused the write
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

Params = Mapping[str, Any] | Sequence[Any] | None
BACKENDS = ("sqlite", "postgresql")
MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def identifiers(*names: str) -> None:
    """Refuse a table or column name that is not a plain lower-case identifier (a programming error)."""
    for name in names:
        if not IDENTIFIER.match(name):
            raise ValueError(f"not an identifier: {name!r}")


class StoreError(Exception):
    """A database failure, whatever the driver."""


class Unavailable(StoreError):
    """The database cannot be reached or opened: nothing was done (the message names it, never a password)."""


class Busy(StoreError):
    """The database is locked, or the transaction was serialised out: nothing was written."""


class Conflict(StoreError):
    """A constraint refused the write (a unique key, a foreign key, a check)."""


class Row(Protocol):
    """One result row: by position, by column name, and as `dict(row)`."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def keys(self) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Result:
    """What a write reports: how many rows it touched."""

    rowcount: int


class Conn(ABC):
    """A connection-like object of ours: the reader or an open transaction."""

    backend: str  # "sqlite" or "postgresql", for the rare query that must differ

    @abstractmethod
    async def execute(self, sql: str, params: Params = None) -> Result: ...

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None: ...

    @abstractmethod
    async def insert_rows(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                          ignore_conflict_on: str | None = None) -> None:
        """INSERT many rows (dicts holding at least `columns`) as cheaply as the backend allows.

        `ignore_conflict_on` (a column list, e.g. "id") adds ON CONFLICT (...) DO NOTHING: a row
        whose key exists is skipped, which is what keeps an upload exactly-once across nodes.
        Table and column names come from our code, never from a request.
        """

    async def insert_new(self, table: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]], *,
                         key: str, row_type: str | None = None) -> set[Any]:
        """INSERT the rows whose `key` (a TEXT column with a unique index) is not stored yet; the keys stored.

        Rows must not repeat a key. `row_type`: a composite type whose attributes are `columns` in
        order (PostgreSQL sends the rows as one array of it; SQLite has none and ignores it). This form (the stored keys looked up, then insert_rows) is exact
        where one writer runs at a time (SQLite); PostgreSQL asks the INSERT itself (RETURNING), which
        also leaves out a row another transaction stored meanwhile.
        """
        identifiers(table, key)
        if not rows:
            return set()
        stored = {r[0] for r in await self.fetch_all(
            f"SELECT {key} FROM {table} WHERE {key} IN {self.json_list(':keys')}",
            {"keys": json.dumps([row[key] for row in rows])})}
        new = [row for row in rows if row[key] not in stored]
        await self.insert_rows(table, columns, new, ignore_conflict_on=key)
        return {row[key] for row in new}

    @abstractmethod
    async def fetch_one(self, sql: str, params: Params = None) -> Row | None: ...

    @abstractmethod
    async def fetch_all(self, sql: str, params: Params = None) -> list[Row]: ...

    @abstractmethod
    async def serialise(self, name: str) -> None:
        """Hold `name` until this transaction ends: transactions on the same name run one by one.

        A no-op on SQLite (one writer runs at a time anyway); on PostgreSQL an advisory lock, for
        the few writes that must be ordered across gateway processes, not only kept unique.
        """

    @abstractmethod
    def json_list(self, param: str, sql_type: str = "TEXT") -> str:
        """A subquery of the values of a JSON array parameter: `x IN {conn.json_list(':ids')}`."""

    def rows_param(self, name: str, columns: Sequence[tuple[str, str]],
                   rows: Sequence[Sequence[Any]]) -> tuple[str, dict[str, Any]]:
        """(FROM item, its parameters): `rows` as a table `name` whose columns are (column, SQL type).

        `FROM {item} JOIN entries o ON o.serial = name.serial`: values the caller holds already, sent
        with the statement instead of read back from a table (PostgreSQL: one array per column).
        """
        raise NotImplementedError(f"{type(self).__name__} has no rows_param")

    @abstractmethod
    def stream(self, sql: str, params: Params = None, size: int = 5000) -> AsyncIterator[list[Row]]:
        """The rows of a large result, `size` at a time, without holding them all."""

    async def fetch_value(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row, or None when there is no row."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def returning(self, sql: str, params: Params = None) -> Any:
        """Run `INSERT/UPDATE ... RETURNING x`; the first column of its row (None if no row)."""
        return await self.fetch_value(sql, params)


class Database(ABC):
    """An open database: a reader for reads, and write transactions."""

    backend: str
    read: Conn

    @staticmethod
    async def open(target: str | Path, *, pool_size: int = 10) -> Database:
        """Open (creating and migrating if needed) a SQLite file path or a postgresql:// URL."""
        if is_url(target):
            from .postgresql import PostgresDatabase

            return await PostgresDatabase.connect(str(target), max_size=pool_size)
        from .sqlite import SQLiteDatabase

        return await SQLiteDatabase.connect(Path(target))

    def pool_stats(self) -> tuple[int, int]:
        """(connections open, connections idle), for the metrics."""
        return 2, 2

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[Conn]:
        """BEGIN ... COMMIT; ROLLBACK on any exception. Commit means durable (survives a power cut)."""



def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return parts._replace(netloc=netloc).geturl()


def is_url(target: object) -> bool:
    """True for a PostgreSQL URL (postgresql://…), False for a SQLite file path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def migrations(backend: str = "sqlite") -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in gateway/migrations/BACKEND, in order."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}")
    found = []
    for item in resources.files("gateway.migrations").joinpath(backend).iterdir():
        match = MIGRATION_NAME.match(item.name)
        if match:
            found.append((int(match.group(1)), item.name, item.read_text(encoding="utf-8")))
    return sorted(found)
