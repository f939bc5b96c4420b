"""The persistence boundary: our store interface, driver errors mapped, migrations per backend."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.db import Conflict, Database, migrations
from gateway.db.sql import bind, translate
from tests.pgserver import database_name

ROOT = Path(__file__).resolve().parents[2]
DRIVER_MODULES = {"aiosqlite", "sqlite3", "asyncpg"}
# the only modules that may talk to a database driver
BACKENDS = {ROOT / "gateway" / "db" / "sqlite.py", ROOT / "gateway" / "db" / "postgresql.py"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_no_driver_outside_the_backends() -> None:
    leaks = sorted(str(p.relative_to(ROOT)) for pkg in ("gateway", "web")
                   for p in (ROOT / pkg).rglob("*.py")
                   if p not in BACKENDS and _imports(p) & DRIVER_MODULES)
    assert leaks == []


def test_every_migration_exists_for_both_backends() -> None:
    """A schema change is written twice, once per dialect, under the same number and name."""
    sqlite = [name for _, name, _ in migrations("sqlite")]
    postgresql = [name for _, name, _ in migrations("postgresql")]
    assert sqlite == postgresql
    assert len({v for v, _, _ in migrations("sqlite")}) == len(sqlite)  # one file per number


def test_translate_names_and_question_marks() -> None:
    assert translate("SELECT * FROM t WHERE a = :a AND (b = :b OR c = :a)") == (
        "SELECT * FROM t WHERE a = $1 AND (b = $2 OR c = $1)", (("a", "value"), ("b", "value")), False)
    assert translate("INSERT INTO t VALUES (?, ?)") == (
        "INSERT INTO t VALUES ($1, $2)", ((0, "value"), (1, "value")), True)
    # literals, quoted names, comments and casts are left alone
    assert translate("SELECT ':x', \"a:b\", x::text -- :y ?\n FROM t WHERE c = ':z' || :w")[0] == (
        "SELECT ':x', \"a:b\", x::text -- :y ?\n FROM t WHERE c = ':z' || $1")
    assert bind("SELECT :b, :a, :b", {"a": 1, "b": 2}) == ("SELECT $1, $2, $1", [2, 1])
    with pytest.raises(ValueError, match="mixes"):
        translate("SELECT :a, ?")
    with pytest.raises(ValueError, match="missing"):
        bind("SELECT :a", {"b": 1})


def test_an_optional_filter_becomes_a_boolean_parameter() -> None:
    """PostgreSQL cannot type `$1 IS NULL` alone: the test on None is made in Python."""
    sql = "SELECT 1 WHERE (:site IS NULL OR site = :site) AND (? IS NOT NULL)" .replace("?", ":d")
    text, args = bind(sql, {"site": None, "d": 3})
    assert text == "SELECT 1 WHERE ($1 OR site = $2) AND ($3)"
    assert args == [True, None, True]
    assert bind("SELECT ? IS NULL, ?", [None, 5]) == ("SELECT $1, $2", [True, 5])


@given(st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), min_size=1, max_size=8),
       st.text(alphabet="abc ,=()':?", max_size=12))
def test_translate_numbers_each_name_once(names: list[str], literal: str) -> None:
    quoted = "'" + literal.replace("'", "''") + "'"
    sql = "SELECT " + ", ".join(f":{n}" for n in names) + f" WHERE x = {quoted}"
    text, slots, positional = translate(sql)
    assert [key for key, _ in slots] == list(dict.fromkeys(names)) and not positional
    assert text.endswith(f" WHERE x = {quoted}")
    assert ":" not in text.split(" WHERE ")[0]
    assert bind(sql, {n: n for n in names})[1] == list(dict.fromkeys(names))


async def test_driver_errors_arrive_as_store_errors(tmp_path: Path, database_url: str | None) -> None:
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    try:
        async with db.transaction() as tx:
            first = await tx.returning("INSERT INTO accounts (username, password_hash, role, created_at)"
                                       " VALUES (?, 'x', 'viewer', 't') RETURNING id", ["ann"])
        assert isinstance(first, int)
        with pytest.raises(Conflict):  # a foreign key
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO web_sessions (id_hash, account_id, csrf, created_at,"
                                 " expires_at) VALUES ('h', 999, 'c', 't', 't')")
        with pytest.raises(Conflict):
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO accounts (username, password_hash, role, created_at)"
                                 " VALUES (:u, 'x', 'viewer', 't')", {"u": "ann"})
        assert await db.read.fetch_value("SELECT COUNT(*) FROM accounts") == 1
    finally:
        await db.close()


async def test_an_acknowledged_write_is_durable(tmp_path: Path, database_url: str | None) -> None:
    """Issue #9 part 7: a committed transaction (an entry batch) survives a power cut.

    A power cut cannot be staged in CI; the setting is read back from the live connection that
    writes: SQLite in WAL mode with synchronous=FULL syncs the WAL at every COMMIT (NORMAL would
    not); PostgreSQL with synchronous_commit=on flushes the commit record before COMMIT returns.
    """
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    try:
        async with db.transaction() as tx:
            if db.backend == "sqlite":
                assert await tx.fetch_value("PRAGMA synchronous") == 2  # FULL
                assert await tx.fetch_value("PRAGMA journal_mode") == "wal"
            else:
                assert await tx.fetch_value("SHOW synchronous_commit") == "on"
    finally:
        await db.close()


async def test_insert_rows_writes_a_batch_in_one_statement(tmp_path: Path, database_url: str | None) -> None:
    """Issue #12 (ingestion): many rows in one call; ON CONFLICT skips stored keys, else Conflict."""
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    cols = ("username", "password_hash", "role", "created_at")
    rows = [{"username": f"u{i}", "password_hash": "x", "role": "viewer", "created_at": "t", "extra": i}
            for i in range(300)]
    try:
        async with db.transaction() as tx:
            await tx.insert_rows("accounts", cols, rows[:200])
        async with db.transaction() as tx:  # 100 stored already, 100 new: the stored ones are skipped
            await tx.insert_rows("accounts", cols, rows[100:], ignore_conflict_on="username")
            await tx.insert_rows("accounts", cols, [])
        assert await db.read.fetch_value("SELECT COUNT(*) FROM accounts") == 300
        assert {r[0] for r in await db.read.fetch_all("SELECT username FROM accounts")} == {
            f"u{i}" for i in range(300)}
        with pytest.raises(Conflict):  # without the clause a stored key refuses the whole batch
            async with db.transaction() as tx:
                await tx.insert_rows("accounts", cols, rows[:1])
        with pytest.raises(ValueError, match="identifier"):
            async with db.transaction() as tx:
                await tx.insert_rows("accounts; DROP TABLE people", cols, rows[:1])
        assert await db.read.fetch_value("SELECT COUNT(*) FROM accounts") == 300
    finally:
        await db.close()


async def test_insert_new_says_which_rows_it_stored(tmp_path: Path, database_url: str | None) -> None:
    """Issue #12: the stored keys come back from the insert itself; a stored key is skipped, not an error."""
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    cols = ("username", "password_hash", "role", "created_at")
    rows = [{"username": f"u{i}", "password_hash": "x", "role": "viewer", "created_at": "t"} for i in range(6)]
    try:
        async with db.transaction() as tx:
            assert await tx.insert_new("accounts", cols, rows[:3], key="username") == {"u0", "u1", "u2"}
        async with db.transaction() as tx:
            assert await tx.insert_new("accounts", cols, rows[1:], key="username") == {"u3", "u4", "u5"}
            assert await tx.insert_new("accounts", cols, [], key="username") == set()
        assert await db.read.fetch_value("SELECT COUNT(*) FROM accounts") == 6
        if db.backend == "postgresql":  # a row type must be the columns, in order
            with pytest.raises(ValueError, match="entry_row"):
                async with db.transaction() as tx:
                    await tx.insert_new("accounts", cols, rows[:1], key="username", row_type="entry_row")
    finally:
        await db.close()


async def test_rows_param_sends_a_table_whose_values_come_back_exact(tmp_path: Path,
                                                                    database_url: str | None) -> None:
    """Issue #12: rows the caller holds as a table in a statement (the shared-pass search's new entries):
    texts, NULLs and doubles come back as sent, so a comparison in SQL is the one made on stored values."""
    db = await Database.open(database_url or tmp_path / "g.sqlite3")
    times = [1581638400.123, 1581638400.1 + 0.2, 2.0 ** -1074, 1e300, -0.5, 1581640200.123 - 1800.0]
    rows = [(f"id{i}", None if i % 2 else "ab" * 12, "SITE ,'\"x", t) for i, t in enumerate(times)]
    try:
        item, params = db.read.rows_param("n", (("id", "TEXT"), ("serial", "TEXT"), ("site", "TEXT"),
                                                ("ts", "DOUBLE PRECISION")), rows)
        back = await db.read.fetch_all(f"SELECT n.id, n.serial, n.site, n.ts, n.ts = :t FROM {item} ORDER BY n.id",
                                       {**params, "t": times[0]})
        assert [tuple(r)[:4] for r in back] == rows
        assert [bool(r[4]) for r in back] == [t == times[0] for t in times]
        with pytest.raises(ValueError, match="identifier"):
            db.read.rows_param("n; DROP TABLE people", (("id", "TEXT"),), rows)
    finally:
        await db.close()


async def test_a_pooled_connection_keeps_its_durable_commits(database_url: str | None) -> None:
    """A connection back from the pool is not RESET ALL (a round trip per read, and it would undo
    synchronous_commit = on where the database's own default is off)."""
    if database_url is None:
        pytest.skip("PostgreSQL only: SQLite has no pool")
    import asyncpg  # the test sets the database's default as an operator would

    name = database_name(database_url)
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute(f"ALTER DATABASE \"{name}\" SET synchronous_commit = off")
    finally:
        await conn.close()
    db = await Database.open(database_url, pool_size=1)  # one connection: every call reuses it
    try:
        for _ in range(3):
            assert await db.read.fetch_value("SELECT COUNT(*) FROM people") == 0
            async with db.transaction() as tx:
                assert await tx.fetch_value("SHOW synchronous_commit") == "on"
    finally:
        await db.close()
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f"ALTER DATABASE \"{name}\" RESET synchronous_commit")
        finally:
            await conn.close()
