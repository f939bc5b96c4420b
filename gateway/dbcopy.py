"""`qrgate db copy`: move a city between databases (SQLite → PostgreSQL and back), verified.

The target must be empty (nothing but the rows its own migrations seeded, which give way to the
city's) and at the same schema version. Every table is copied in one target
transaction (all or nothing), then counted and checksummed on both sides. The checksum is
independent of row order (a sum of row hashes), so collations and physical order cannot make two
equal tables differ, and it reads each table once, as a stream.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .db import Database, Row
from .errors import GatewayError
from .store import catalog

FLOAT_TYPES = ("REAL", "DOUBLE PRECISION", "DOUBLE", "FLOAT")
MASK = (1 << 128) - 1


class CopyRefused(GatewayError):
    code = "copy_refused"


@dataclass(frozen=True, slots=True)
class TableResult:
    name: str
    rows_from: int
    rows_to: int
    checksum_from: str
    checksum_to: str

    @property
    def equal(self) -> bool:
        return self.rows_from == self.rows_to and self.checksum_from == self.checksum_to


def _canonical(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, float):
        return {"float": repr(value)}
    return value


def row_hash(row: Sequence[Any]) -> int:
    text = json.dumps([_canonical(v) for v in row], ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


async def table_sum(db: Database, table: catalog.Table) -> tuple[int, str]:
    """(rows, checksum) of one table, its columns in name order."""
    count, total = 0, 0
    async for batch in catalog.rows(db.read, table, tuple(sorted(table.columns))):
        for row in batch:
            total = (total + row_hash(tuple(_float_of(row, table)))) & MASK
            count += 1
    return count, f"{total:032x}"


def _float_of(row: Row, table: catalog.Table) -> list[Any]:
    """Values with float columns as floats (SQLite may hand back an integral REAL as int)."""
    types = dict(zip(table.columns, table.column_types, strict=True))
    names = sorted(table.columns)
    return [float(v) if v is not None and types[n].startswith(FLOAT_TYPES) else v
            for n, v in zip(names, row, strict=True)]


def _converters(target: catalog.Table) -> list[Callable[[Any], Any]]:
    def as_float(v: Any) -> Any:
        return None if v is None else float(v)

    def same(v: Any) -> Any:
        return bytes(v) if isinstance(v, memoryview) else v

    return [as_float if t.startswith(FLOAT_TYPES) else same for t in target.column_types]


async def _sum_of(db: Database, table: catalog.Table) -> str:
    return (await table_sum(db, table))[1]


async def _fresh_seeds() -> dict[str, tuple[int, str]]:
    """(rows, checksum) of each table a freshly migrated database already has rows in."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = await Database.open(Path(tmp) / "fresh.sqlite3")
        try:
            return {t.name: await table_sum(fresh, t) for t in await catalog.tables(fresh.read)
                    if await catalog.count(fresh.read, t.name)}
        finally:
            await fresh.close()


async def copy(source: Database, target: Database,
               progress: Callable[[str, int], None] | None = None) -> list[TableResult]:
    """Copy every table of `source` into the empty `target`; the per-table comparison."""
    have, want = await catalog.versions(source.read), await catalog.versions(target.read)
    if have != want:
        raise CopyRefused(f"schema versions differ: source {have[-1:]} target {want[-1:]}; "
                          "run the same qrgate version on both")
    tables = await catalog.tables(source.read)
    targets = {t.name: t for t in await catalog.tables(target.read)}
    if {t.name for t in tables} != set(targets):
        raise CopyRefused(f"the databases have different tables: {sorted({t.name for t in tables} ^ set(targets))}")
    seeds = await _fresh_seeds()
    for table in tables:
        if set(table.columns) != set(targets[table.name].columns):
            raise CopyRefused(f"table {table.name} has different columns on the two sides")
        count = await catalog.count(target.read, table.name)
        if count and (count, await _sum_of(target, targets[table.name])) != seeds.get(table.name):
            raise CopyRefused(f"the target is not empty (table {table.name} has rows): refusing to mix two cities")
    async with target.transaction() as tx:
        for table in tables:
            if table.name in seeds:  # what the target's migrations seeded gives way to the city's own rows
                await catalog.delete_all(tx, table.name)
        for table in tables:
            into = targets[table.name]
            convert = _converters(into)
            copied = 0
            async for batch in catalog.rows(source.read, table, into.columns):
                await catalog.insert_rows(tx, table.name, into.columns,
                                          [[f(v) for f, v in zip(convert, row, strict=True)] for row in batch])
                copied += len(batch)
                if progress:
                    progress(table.name, copied)
            await catalog.restart_identity(tx, into)
    results = []
    for table in tables:
        rows_from, sum_from = await table_sum(source, table)
        rows_to, sum_to = await table_sum(target, targets[table.name])
        results.append(TableResult(table.name, rows_from, rows_to, sum_from, sum_to))
    return results
