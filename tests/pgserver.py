"""A throw-away PostgreSQL server from Debian's postgresql package, for tests and benchmarks.

initdb and postgres refuse to run as root, and CI runs as root: then both run as the `postgres`
user (runuser). The server listens on a unix socket in its own temporary folder only (no TCP
port, so parallel runs never collide) and is tuned for tests: fsync off. That does not weaken
what the tests check: commits stay synchronous (the durability test reads synchronous_commit
from the live connection); only the server's own flush to disk is skipped.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg


def binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and postgres, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0)
    return Path(found[-1]).parent if found else None


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


class PgServer:
    """One running server; `url(db)` names a database on it."""

    def __init__(self, tuning: dict[str, str] | None = None) -> None:
        bindir = binaries()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (./dev setup installs Debian's postgresql)")
        self.bindir = bindir
        self.version = bindir.parent.name  # the major version, e.g. "15"
        self.base = Path(tempfile.mkdtemp(prefix="qrgate-pg-"))
        self.data = self.base / "data"
        self.socket_dir = self.base
        self.log = self.base / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.base, "postgres", "postgres")
        self._run([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--locale=C", "--no-sync"])
        settings = {"listen_addresses": "", "unix_socket_directories": str(self.socket_dir),
                    "fsync": "off", "full_page_writes": "off", "max_connections": "300",
                    "shared_buffers": "128MB", **(tuning or {})}
        args = [str(bindir / "postgres"), "-D", str(self.data)]
        for name, value in settings.items():
            args += ["-c", f"{name}={value}"]
        with open(self.log, "ab") as log:
            self._process = subprocess.Popen(self._user(args), stdout=log, stderr=subprocess.STDOUT)
        self._wait()

    def _user(self, args: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *args] if self._as_postgres else args

    def _run(self, args: list[str]) -> None:
        subprocess.run(self._user(args), check=True, capture_output=True)

    def _wait(self) -> None:
        for _ in range(300):
            if self._process.poll() is not None:
                raise RuntimeError(f"postgres exited: {self.log.read_text(errors='replace')[-2000:]}")
            ready = subprocess.run([str(self.bindir / "pg_isready"), "-q", "-h", str(self.socket_dir)],
                                   check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError("postgres did not start in 30 s")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    async def create_database(self, template: str | None = None) -> str:
        """A fresh empty (or template-copied) database; its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        conn = await asyncpg.connect(self.url())
        try:
            suffix = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{suffix}")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, url: str) -> None:
        name = database_name(url)
        conn = await asyncpg.connect(self.url())
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            await conn.close()

    def stop(self) -> None:
        if self._process.poll() is None:
            subprocess.run(self._user([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                                       "-w", "stop"]), check=False, capture_output=True)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        shutil.rmtree(self.base, ignore_errors=True)


_SEEDS: dict[str, list[tuple[str, list[asyncpg.Record]]]] = {}  # url -> rows the migrations wrote


async def remember_seeds(url: str) -> None:
    """Keep the rows the migrations put in (e.g. the first key area): empty_tables restores them."""
    conn = await asyncpg.connect(url)
    try:
        seeds = []
        for name in await _tables(conn):
            rows = await conn.fetch(f'SELECT * FROM "{name}"')
            if rows:
                seeds.append((name, list(rows)))
        _SEEDS[url] = seeds
    finally:
        await conn.close()


async def _tables(conn: asyncpg.Connection) -> list[str]:
    return [r[0] for r in await conn.fetch(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")]


async def empty_tables(url: str) -> None:
    """Every table as the migrations left it (seed rows only), identities restarted: a fresh gateway."""
    conn = await asyncpg.connect(url)
    try:
        names = await _tables(conn)
        if names:
            await conn.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
        for name, rows in _SEEDS.get(url, []):
            columns = list(rows[0].keys())
            await conn.copy_records_to_table(name, records=[tuple(r) for r in rows], columns=columns)
    finally:
        await conn.close()
