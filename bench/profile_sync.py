"""The gateway's CPU per unchanged one-request sync, and where it goes: source trees side by side.

Starts a real `qrgate serve` (one process, one event loop) per source tree and backend, enrols
gates, and sends unchanged syncs as the scanner does (GET /devices/bundle with If-None-Match and
Qrgate-Time-Nonce, answered 304 with the signed time), `--gates` at once. The CPU of each server
process is read from /proc around each round (every thread: aiosqlite's too); rounds alternate
between the servers, so the machine's load falls on all alike; the figure is the median of the
rounds' CPU per sync (and its quartiles). `--ref` (a commit, extracted with git archive) and
`--tree` (a source folder), each as often as wanted, say what to compare: before and after a
change is `--ref main~1 --tree .`. `--profile DIR` then runs as many rounds again on each server
under cProfile (CPU time of the event loop's thread; aiosqlite's thread is not in it), writes
DIR/NAME-BACKEND.prof and prints the functions that spent the most.

Usage: python bench/profile_sync.py [--ref REF ...] [--tree PATH ...] [--backends sqlite,postgresql]
                                    [--revoked 20000] [--gates 50] [--rounds 20] [--keep-alive] [--profile DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import pstats
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIME_NONCE, TIME = "Qrgate-Time-Nonce", "Qrgate-Time"


def child(tree: str, prof: str | None, argv: list[str]) -> int:
    """Run `qrgate serve` from `tree`; SIGUSR1 starts the profiler, SIGUSR2 stops it and writes `prof`."""
    sys.path.insert(0, tree)
    import cProfile

    from qrgate.cli import main

    profiler = cProfile.Profile(time.thread_time)  # CPU of the loop's thread, not the wall clock

    def start(*_: object) -> None:
        profiler.enable()

    def stop(*_: object) -> None:
        profiler.disable()
        if prof:
            profiler.dump_stats(prof)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    return main(["serve", *argv])


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    sys.exit(child(sys.argv[2], sys.argv[3] or None, sys.argv[4:]))

import aiohttp  # noqa: E402

sys.path.insert(0, str(ROOT))
from bench.bench_bundle import cpu_seconds, free_port, seed_pg, seed_sqlite, wait_up  # noqa: E402
from tests.pgserver import PgServer  # noqa: E402


class Server:
    """One tree's gateway on one backend, and the gates enrolled on it."""

    def __init__(self, name: str, tree: Path, backend: str, data: Path, db_url: str | None,
                 prof: Path | None) -> None:
        self.name, self.tree, self.backend, self.data, self.db_url = name, tree, backend, data, db_url
        self.prof = prof
        self.env = {**os.environ, "PYTHONPATH": str(tree)}
        self.extra = ["--database", db_url] if db_url else []
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.admin: dict[str, str] = {}
        self.gates: list[tuple[dict[str, str], str]] = []  # (credential header, etag held)
        self.cpu: list[float] = []  # CPU per sync of each measured round, in seconds
        self.db_cpu: list[float] = []  # the PostgreSQL server's (all its processes), likewise
        self.db_pid: int | None = None

    def qrgate(self, *args: str) -> str:
        return subprocess.run([sys.executable, "-m", "qrgate.cli", *args, "--data", str(self.data), *self.extra],
                              capture_output=True, text=True, check=True, env=self.env, cwd=self.tree).stdout.strip()

    def start(self, revoked: int) -> None:
        self.qrgate("init")
        self.admin = {"Authorization": "Bearer " + self.qrgate("token", "create", "--role", "admin").splitlines()[-1]}
        if self.db_url is None:
            seed_sqlite(self.data / "gateway.sqlite3", revoked)
        else:
            asyncio.run(seed_pg(self.db_url, revoked))
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "child", str(self.tree), str(self.prof or ""),
             "--data", str(self.data), "--port", str(port), *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=self.env, cwd=self.tree)
        asyncio.run(wait_up(self.url))

    async def enrol(self, s: aiohttp.ClientSession, gates: int) -> None:
        async def call(path: str, headers: dict[str, str], body: object, expect: int) -> dict[str, str]:
            async with s.post(self.url + path, headers=headers, json=body) as resp:
                assert resp.status == expect, await resp.text()
                out: dict[str, str] = await resp.json()
                return out

        await call("/api/v1/sites", self.admin, {"code": "B1", "name": "bench", "kind": "community",
                                                 "policy": {"communities": ["C1"]}}, 201)
        for _ in range(gates):
            token = (await call("/api/v1/sites/B1/enrolments", self.admin, {}, 201))["token"]
            device = await call("/api/v1/devices/enroll", {}, {"token": token, "name": "g"}, 201)
            cred = {"Authorization": f"Bearer {device['credential']}"}
            async with s.get(self.url + "/api/v1/devices/bundle", headers=cred) as resp:
                assert resp.status == 200
                await resp.read()
                self.gates.append((cred, resp.headers["ETag"]))

    async def round(self, sessions: list[aiohttp.ClientSession] | None, measured: bool) -> None:
        """Every gate syncs at once, nothing having changed; CPU of the server per sync. Each on a
        connection of its own, new (as bench_bundle.py does) or kept alive from the round before."""

        async def one(s: aiohttp.ClientSession | None, cred: dict[str, str], etag: str) -> None:
            headers = {**cred, "If-None-Match": etag, TIME_NONCE: os.urandom(16).hex()}
            async with contextlib.AsyncExitStack() as stack:
                if s is None:
                    s = await stack.enter_async_context(aiohttp.ClientSession())
                async with s.get(self.url + "/api/v1/devices/bundle", headers=headers) as resp:
                    await resp.read()
                    assert resp.status == 304 and TIME in resp.headers, resp.status

        assert self.proc is not None
        cpu0 = cpu_seconds(self.proc.pid)
        db0 = cpu_seconds(self.db_pid) if self.db_pid else 0.0
        await asyncio.gather(*[one(sessions[i] if sessions else None, c, e) for i, (c, e) in enumerate(self.gates)])
        if measured:
            self.cpu.append((cpu_seconds(self.proc.pid) - cpu0) / len(self.gates))
            if self.db_pid:
                self.db_cpu.append((cpu_seconds(self.db_pid) - db0) / len(self.gates))

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(30)


async def scenario(servers: list[Server], gates: int, rounds: int, keep_alive: bool) -> None:
    async with aiohttp.ClientSession() as s:
        for server in servers:
            await server.enrol(s, gates)
    pools = {id(server): [aiohttp.ClientSession() for _ in range(gates if keep_alive else 0)] for server in servers}
    try:
        for server in servers:  # warm every path once, unmeasured
            await server.round(pools[id(server)], False)
        for _ in range(rounds):
            for server in servers:
                await server.round(pools[id(server)], True)
        for server in servers:  # then the same rounds again under the profiler, not measured
            if server.prof and server.proc is not None:
                os.kill(server.proc.pid, signal.SIGUSR1)
                for _ in range(rounds):
                    await server.round(pools[id(server)], False)
                os.kill(server.proc.pid, signal.SIGUSR2)
    finally:
        for sessions in pools.values():
            for one in sessions:
                await one.close()


def extract(ref: str, folder: Path) -> Path:
    """The files of commit `ref` of this repository, in `folder`."""
    folder.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else values * 3
    return q[0], statistics.median(values), q[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", action="append", default=[], help="a commit of this repository to run")
    parser.add_argument("--tree", action="append", type=Path, help="a source tree to run (default: this one, "
                        "unless --ref is given)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--revoked", type=int, default=20_000)
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep-alive", action="store_true",
                        help="each gate keeps its connection from one round to the next (default: a new one per sync)")
    parser.add_argument("--profile", type=Path, help="a folder for the cProfile files")
    parser.add_argument("--top", type=int, default=30, help="functions to print per profile")
    args = parser.parse_args()
    given = [(t.resolve().name, t.resolve()) for t in (args.tree or ([] if args.ref else [ROOT]))]
    names = [*args.ref, *(name for name, _ in given)]
    if len(set(names)) != len(names):
        parser.error("--ref, --tree: give each once, and trees whose folder names differ (the name labels the figures)")
    backends = [b for b in args.backends.split(",") if b]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    pg = PgServer(tuning={"fsync": "on", "full_page_writes": "on"}) if "postgresql" in backends else None
    servers: list[Server] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            trees = [(ref, extract(ref, Path(tmp) / f"ref{i}")) for i, ref in enumerate(args.ref)] + given
            for backend in backends:
                for name, tree in trees:
                    url = asyncio.run(pg.create_database()) if backend == "postgresql" and pg else None
                    label = name.replace("/", "_").replace("~", "-").replace("^", "-")
                    prof = args.profile.resolve() / f"{label}-{backend}.prof" if args.profile else None
                    server = Server(name, tree, backend, Path(tmp) / f"{label}-{backend}", url, prof)
                    server.db_pid = pg._process.pid if url and pg else None
                    servers.append(server)
                    server.start(args.revoked)
            t0 = time.process_time()
            asyncio.run(scenario(servers, args.gates, args.rounds, args.keep_alive))
            client_cpu = time.process_time() - t0
            for server in servers:
                server.stop()
    finally:
        for server in servers:
            if server.proc is not None and server.proc.poll() is None:
                server.proc.kill()
        if pg is not None:
            pg.stop()
    print(f"{args.gates} gates at once, {args.rounds} rounds, {args.revoked:,} revoked, "
          f"{'kept-alive' if args.keep_alive else 'a new'} connection per sync; gateway CPU per unchanged "
          f"one-request sync, median of the rounds (quartiles); client CPU {client_cpu:.1f} s")
    for server in servers:
        low, mid, high = quartiles([c * 1000 for c in server.cpu])
        db = f"   + PostgreSQL {statistics.median(server.db_cpu) * 1000:.3f} ms" if server.db_cpu else ""
        print(f"  {server.backend:10} {server.name:24} {mid:.3f} ms  ({low:.3f}-{high:.3f}){db}")
    for server in servers:
        if server.prof and server.prof.exists():
            print(f"\n== {server.prof.name} (own CPU time) ==")
            pstats.Stats(str(server.prof)).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
