"""SQL about the schema itself (for `qrgate db copy`): tables, columns, keys, identity counters."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from ..db import Conn, Row

SKIPPED = {"schema_migrations"}  # each database keeps its own; the versions are compared instead


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    column_types: tuple[str, ...]
    references: frozenset[str]  # tables this one's foreign keys point at
    identity: str | None  # the column numbered by the database (id, seq), if any


def _quote(name: str) -> str:
    if not name.replace("_", "").isalnum():  # names come from the catalog, never from a request
        raise ValueError(f"unexpected name {name!r}")
    return f'"{name}"'


async def tables(conn: Conn) -> list[Table]:
    """Every table of ours, each after the tables its foreign keys reference."""
    found = await (_sqlite_tables(conn) if conn.backend == "sqlite" else _postgres_tables(conn))
    ordered: list[Table] = []
    pending = {t.name: t for t in found}
    while pending:
        ready = sorted(n for n, t in pending.items() if not (t.references & set(pending)) - {n})
        if not ready:
            raise ValueError(f"foreign keys form a cycle among {sorted(pending)}")
        ordered.extend(pending.pop(n) for n in ready)
    return ordered


async def _sqlite_tables(conn: Conn) -> list[Table]:
    names = [r[0] for r in await conn.fetch_all(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    out = []
    for name in names:
        if name in SKIPPED:
            continue
        cols = await conn.fetch_all(f"PRAGMA table_info({_quote(name)})")
        refs = await conn.fetch_all(f"PRAGMA foreign_key_list({_quote(name)})")
        out.append(Table(name, tuple(c["name"] for c in cols), tuple(str(c["type"]).upper() for c in cols),
                         frozenset(r["table"] for r in refs), None))  # SQLite numbers rows by itself
    return out


async def _postgres_tables(conn: Conn) -> list[Table]:
    names = [r[0] for r in await conn.fetch_all(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        " AND table_type = 'BASE TABLE' ORDER BY table_name")]
    out = []
    for name in names:
        if name in SKIPPED:
            continue
        cols = await conn.fetch_all(
            "SELECT column_name, data_type, is_identity FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = :t ORDER BY ordinal_position", {"t": name})
        refs = await conn.fetch_all(
            "SELECT DISTINCT ccu.table_name FROM information_schema.table_constraints tc"
            " JOIN information_schema.constraint_column_usage ccu"
            " ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema"
            " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = current_schema()"
            " AND tc.table_name = :t", {"t": name})
        identity = next((c["column_name"] for c in cols if c["is_identity"] == "YES"), None)
        out.append(Table(name, tuple(c["column_name"] for c in cols),
                         tuple(str(c["data_type"]).upper() for c in cols),
                         frozenset(r[0] for r in refs), identity))
    return out


def rows(conn: Conn, table: Table, columns: tuple[str, ...], size: int = 5000) -> AsyncIterator[list[Row]]:
    return conn.stream(f"SELECT {', '.join(_quote(c) for c in columns)} FROM {_quote(table.name)}",
                       size=size)


async def count(conn: Conn, table: str) -> int:
    return int(await conn.fetch_value(f"SELECT COUNT(*) FROM {_quote(table)}"))


async def insert_rows(conn: Conn, table: str, columns: tuple[str, ...], values: list[list[object]]) -> None:
    overriding = " OVERRIDING SYSTEM VALUE" if conn.backend == "postgresql" else ""
    await conn.execute_many(
        f"INSERT INTO {_quote(table)} ({', '.join(_quote(c) for c in columns)}){overriding}"
        f" VALUES ({', '.join('?' for _ in columns)})", values)


async def restart_identity(conn: Conn, table: Table) -> None:
    """After rows came in with their own ids, new ids continue after the largest (PostgreSQL)."""
    if conn.backend != "postgresql" or table.identity is None:
        return
    await conn.execute(
        f"SELECT setval(pg_get_serial_sequence(:t, :c), COALESCE(MAX({_quote(table.identity)}), 0) + 1, false)"
        f" FROM {_quote(table.name)}", {"t": table.name, "c": table.identity})


async def versions(conn: Conn) -> list[int]:
    return [int(r[0]) for r in await conn.fetch_all("SELECT version FROM schema_migrations ORDER BY version")]



async def delete_all(conn: Conn, table: str) -> None:
    await conn.execute(f"DELETE FROM {_quote(table)}")
