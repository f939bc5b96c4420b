"""Bundle latency at scale: 50 concurrent gates, a large revocation list, SQLite and PostgreSQL side by side.

A real `qrgate serve` per backend (a separate process); N revoked passes written straight to the
tables; 50 enrolled gates. Measured: the first (cold) bundle, which signs the index and every part
once; then each gate's sync when nothing changed (bundle with If-None-Match → 304, and the signed
time); then one revocation, after which each gate gets the new bundle (200) and fetches the one part
that changed. Target: p99 ≤ 50 ms at 50 gates and 1,000,000 revoked serials, unchanged answered 304.
Usage: python bench/bench_bundle.py [--revoked N] [--gates 50] [--rounds 10] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section  # noqa: E402
from gateway.idcard import make  # noqa: E402
from tests.pgserver import PgServer  # noqa: E402

BASE_ID = 50_000_000  # people ids far above what the API hands out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def qrgate(*args: str) -> str:
    return subprocess.run([sys.executable, "-m", "qrgate.cli", *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def _rows(n: int) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    at = datetime.now(UTC)
    stamp, expires = at.isoformat(timespec="seconds"), (at + timedelta(days=30)).isoformat(timespec="seconds")
    serials = [os.urandom(12).hex() for _ in range(n)]
    people = [(BASE_ID + i, f"seed{i}", "resident_id", b"\x00", f"seed{BASE_ID + i}", "4201**********123X", "123X",
               "C1", "green", stamp, stamp) for i in range(n)]
    passes = [(s, BASE_ID + i, "revoked", "00" * 8, "QG1:seed", "{}", stamp, expires) for i, s in enumerate(serials)]
    revs = [(s, stamp, expires) for s in serials]
    return people, passes, revs


PEOPLE_COLS = ("id", "name", "document_type", "document_enc", "document_hmac", "document_masked", "document_last4",
               "community", "status", "created_at", "updated_at")
PASS_COLS = ("serial", "person_id", "state", "kid", "qr_text", "claims", "issued_at", "expires_at")
REV_COLS = ("serial", "revoked_at", "expires_at")


def seed_sqlite(path: Path, n: int) -> None:
    people, passes, revs = _rows(n)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for table, cols, rows in (("people", PEOPLE_COLS, people), ("passes", PASS_COLS, passes),
                              ("revocations", REV_COLS, revs)):
        conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


async def seed_pg(url: str, n: int) -> None:
    people, passes, revs = _rows(n)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            for table, cols, rows in (("people", PEOPLE_COLS, people), ("passes", PASS_COLS, passes),
                                      ("revocations", REV_COLS, revs)):
                await conn.copy_records_to_table(table, records=rows, columns=list(cols))
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by a process and all its descendants still running."""
    pids, stack = set(), [str(pid)]
    while stack:
        one = stack.pop()
        pids.add(one)
        stack += subprocess.run(["pgrep", "-P", one], capture_output=True, text=True, check=False).stdout.split()
    total = 0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(len(values) * q) - 1))] * 1000


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(3000):  # a loaded machine can take minutes to start a process
            try:
                async with session.get(f"{url}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the gateway did not start")


class Gates:
    """One backend's gateway as the gates see it: the admin's token, the enrolled gates' credentials."""

    def __init__(self, url: str, admin_token: str, pids: list[int]) -> None:
        self.url, self.admin = url, {"Authorization": f"Bearer {admin_token}"}
        self.pids = pids  # the gateway process (and the database server's, if any): CPU is counted
        self.creds: list[dict[str, str]] = []
        self.etags: list[str] = []
        self.out: dict[str, Any] = {}
        self.first: dict[str, Any] = {}
        self.serial = ""

    async def call(self, s: aiohttp.ClientSession, method: str, path: str, headers: dict[str, str],
                   body: Any = None, expect: int = 200) -> Any:
        async with s.request(method, self.url + path, headers=headers, json=body) as resp:
            if resp.status != expect:
                raise RuntimeError(f"{method} {path}: {resp.status} {await resp.text()}")
            return await resp.json()

    async def setup(self, s: aiohttp.ClientSession, gates: int) -> None:
        await self.call(s, "POST", "/api/v1/sites", self.admin, {
            "code": "B1", "name": "bench", "kind": "community", "policy": {"communities": ["C1"]}}, 201)
        for _ in range(gates):
            enrol = await self.call(s, "POST", "/api/v1/sites/B1/enrolments", self.admin, {}, 201)
            device = await self.call(s, "POST", "/api/v1/devices/enroll", {}, {"token": enrol["token"], "name": "g"},
                                     201)
            self.creds.append({"Authorization": f"Bearer {device['credential']}"})
        person = await self.call(s, "POST", "/api/v1/people", self.admin, {
            "name": "测试", "document_type": "resident_id", "document_number": make("11010119800101001"),
            "community": "C1"}, 201)
        self.serial = (await self.call(s, "POST", f"/api/v1/people/{person['id']}/passes", self.admin, None,
                                       201))["serial"]

    async def cold(self, s: aiohttp.ClientSession) -> None:
        t0 = time.perf_counter()  # cold: the first request signs the index and every part
        async with s.get(self.url + "/api/v1/devices/bundle", headers=self.creds[0]) as resp:
            assert resp.status == 200
            self.first = await resp.json()
        out = self.out
        out["cold_s"] = time.perf_counter() - t0
        out["parts"] = len(self.first["revocation_parts"])
        t0 = time.perf_counter()  # a new gate downloads every part once
        sizes = []
        for part, digest in self.first["revocation_parts"].items():
            async with s.get(f"{self.url}/api/v1/revocations/{part}/{digest}") as resp:
                assert resp.status == 200
                sizes.append(len(await resp.read()))
        out["all_parts_s"], out["all_parts_bytes"] = time.perf_counter() - t0, sum(sizes)
        for cred in self.creds:  # every gate holds the current bundle
            async with s.get(self.url + "/api/v1/devices/bundle", headers=cred) as resp:
                assert resp.status == 200
                await resp.read()
                self.etags.append(resp.headers["ETag"])
        self.out.update(lat=[], tlat=[], statuses=[], wall=0.0, cpu=[0.0] * len(self.pids))

    async def unchanged_round(self) -> None:
        """Every gate syncs once, all at once: the bundle with If-None-Match, then the signed time."""
        out = self.out

        async def one(i: int) -> None:
            async with aiohttp.ClientSession() as own:
                t = time.perf_counter()
                async with own.get(self.url + "/api/v1/devices/bundle",
                                   headers={**self.creds[i], "If-None-Match": self.etags[i]}) as resp:
                    await resp.read()
                    out["statuses"].append(resp.status)
                out["lat"].append(time.perf_counter() - t)
                t = time.perf_counter()
                async with own.get(f"{self.url}/api/v1/devices/time?nonce={os.urandom(16).hex()}",
                                   headers=self.creds[i]) as resp:
                    assert resp.status == 200
                    await resp.read()
                out["tlat"].append(time.perf_counter() - t)

        t0, cpu0 = time.perf_counter(), [cpu_seconds(p) for p in self.pids]
        await asyncio.gather(*[one(i) for i in range(len(self.creds))])
        out["wall"] += time.perf_counter() - t0
        for i, pid in enumerate(self.pids):
            out["cpu"][i] += cpu_seconds(pid) - cpu0[i]

    async def after_revocation(self, s: aiohttp.ClientSession) -> None:
        out = self.out
        lat, tlat, statuses = out.pop("lat"), out.pop("tlat"), out.pop("statuses")
        out["unchanged"] = (pct(lat, .5), pct(lat, .99), len(lat) / out.pop("wall"))
        out["time"] = (pct(tlat, .5), pct(tlat, .99))
        out["304_ratio"] = statuses.count(304) / len(statuses)
        out["cpu_ms"] = [c / len(lat) * 1000 for c in out.pop("cpu")]  # per sync (bundle + time)
        await self.call(s, "POST", f"/api/v1/passes/{self.serial}/revoke", self.admin, {"reason": "bench"})
        t0 = time.perf_counter()
        async with s.get(self.url + "/api/v1/devices/bundle", headers=self.creds[0]) as resp:
            assert resp.status == 200
            newer = await resp.json()
        out["rebuild_s"] = time.perf_counter() - t0
        changed = [(p, d) for p, d in newer["revocation_parts"].items()
                   if self.first["revocation_parts"].get(p) != d]

        async def one(i: int, blat: list[float], plat: list[float]) -> None:
            async with aiohttp.ClientSession() as own:
                t = time.perf_counter()
                async with own.get(self.url + "/api/v1/devices/bundle",
                                   headers={**self.creds[i], "If-None-Match": self.etags[i]}) as resp:
                    assert resp.status == 200
                    await resp.read()
                blat.append(time.perf_counter() - t)
                for part, digest in changed:
                    t = time.perf_counter()
                    async with own.get(f"{self.url}/api/v1/revocations/{part}/{digest}") as resp:
                        assert resp.status == 200
                        await resp.read()
                    plat.append(time.perf_counter() - t)

        blat: list[float] = []
        plat: list[float] = []
        await asyncio.gather(*[one(i, blat, plat) for i in range(len(self.creds))])
        out["changed"] = (pct(blat, .5), pct(blat, .99))
        out["part"] = (pct(plat, .5), pct(plat, .99), len(changed))


async def scenario(targets: dict[str, Gates], gates: int, rounds: int) -> None:
    """Both backends' servers run at once; each phase runs on one, then the other, and the rounds of
    unchanged syncs alternate between them, so the machine's noise falls on both alike."""
    async with aiohttp.ClientSession() as s:
        for g in targets.values():
            await g.setup(s, gates)
        for g in targets.values():
            await g.cold(s)
        for _ in range(rounds):
            for g in targets.values():
                await g.unchanged_round()
        for g in targets.values():
            await g.after_revocation(s)


def start_backend(tmp: Path, backend: str, server: PgServer | None, args: argparse.Namespace
                  ) -> tuple[subprocess.Popen[bytes], Gates, float]:
    """Initialise, seed and start one backend's `qrgate serve`; (process, its gates, seconds to seed)."""
    data = tmp / backend
    extra: list[str] = []
    url_db = None
    if server is not None:
        url_db = asyncio.run(server.create_database())
        extra = ["--database", url_db]
    qrgate("init", "--data", str(data), *extra)
    token = qrgate("token", "create", "--role", "admin", "--data", str(data), *extra).splitlines()[-1]
    t0 = time.perf_counter()
    if url_db is None:
        seed_sqlite(data / "gateway.sqlite3", args.revoked)
    else:
        asyncio.run(seed_pg(url_db, args.revoked))
    seeded = time.perf_counter() - t0
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen([sys.executable, "-m", "qrgate.cli", "serve", "--data", str(data), "--port", str(port),
                             *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    asyncio.run(wait_up(url))
    return proc, Gates(url, token, [proc.pid] + ([server._process.pid] if server else [])), seeded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revoked", type=int, default=None)
    parser.add_argument("--gates", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    args.revoked = args.revoked or (20_000 if args.quick else 1_000_000)
    args.rounds = args.rounds or (4 if args.quick else 10)
    load_before = os.getloadavg()
    server = PgServer(tuning={"fsync": "on", "full_page_writes": "on"})
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[str, dict[str, Any]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            targets: dict[str, Gates] = {}
            for b in ("sqlite", "postgresql"):
                proc, gates, seeded = start_backend(Path(tmp), b, server if b == "postgresql" else None, args)
                procs.append(proc)
                targets[b] = gates
                gates.out["seed_s"] = seeded
            asyncio.run(scenario(targets, args.gates, args.rounds))
            results = {b: g.out for b, g in targets.items()}
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
            proc.wait(30)
        server.stop()
    load_after = os.getloadavg()
    rows = []
    for b, r in results.items():
        rows.append(
            f"| {b} | {r['cold_s']:.1f} s | **{r['unchanged'][0]:.1f} / {r['unchanged'][1]:.1f} ms** "
            f"({r['304_ratio']:.0%} 304, {r['unchanged'][2]:,.0f}/s) | {r['time'][0]:.1f} / {r['time'][1]:.1f} ms "
            f"| {r['rebuild_s'] * 1000:,.0f} ms | {r['changed'][0]:.1f} / {r['changed'][1]:.1f} ms "
            f"| {r['part'][0]:.1f} / {r['part'][1]:.1f} ms ({r['part'][2]} part) "
            f"| {r['cpu_ms'][0]:.1f} ms" + (f" + {r['cpu_ms'][1]:.1f} ms" if len(r["cpu_ms"]) > 1 else "") + " |")
    sq = results["sqlite"]
    verdict = "; ".join(
        f"{b} {'met' if r['unchanged'][1] <= 50 and r['304_ratio'] == 1 else 'not met'}"
        f" (p99 {r['unchanged'][1]:.1f} ms, {r['304_ratio']:.0%} answered 304)" for b, r in results.items())
    pg = results["postgresql"]
    worst = (f"at PostgreSQL's {pg['cpu_ms'][0]:.1f} ms per sync in the gateway that is"
             f" {args.gates * pg['cpu_ms'][0]:.0f} ms even on an idle machine, so p99 ≤ 50 ms at {args.gates}"
             f" simultaneous gates needs ≤ {50 / args.gates:.1f} ms per sync, or about"
             f" {math.ceil(args.gates * pg['cpu_ms'][0] / 50)} gateway processes (cores) sharing the burst"
             " (`qrgate serve` nodes behind nginx, docs/deployment.md); gates that sync at spread times"
             " (every 30 minutes, not all at once) see the single-request latency")
    body = f"""
{args.revoked:,} revoked serials written straight to the tables (SQLite {sq['seed_s']:.0f} s,
PostgreSQL {results['postgresql']['seed_s']:.0f} s); one `qrgate serve` per backend (one process, one event
loop), both running for the whole run; {args.gates} enrolled gates per backend, each with its own
connection, in one aiohttp client process on the same machine, so clients and servers share the 2 cores.
Each phase runs on one backend then the other, and the {args.rounds} rounds of unchanged syncs (all
{args.gates} gates at once) alternate between them. Load average before / after the run:
{load_before[0]:.1f} / {load_after[0]:.1f} (other engineers' jobs were running: figures are pessimistic and
noisy).

The list is {sq['parts']} parts ({sq['all_parts_bytes'] / 1e6:.1f} MB in all, a new gate's first
download: {sq['all_parts_s']:.1f} s over loopback on SQLite). A sync is two requests: the bundle with
`If-None-Match` and the signed time (the one signature made per request).

| backend | cold first bundle (signs index + all parts) | unchanged bundle p50 / p99 | signed time p50 / p99 | first bundle after a revocation (re-signs 1 part) | changed bundle, {args.gates} gates p50 / p99 | changed part fetch p50 / p99 | CPU per unchanged sync: gateway (+ PostgreSQL) |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

{args.gates} gates × {args.rounds} syncs each for the unchanged case. Target: p99 ≤ 50 ms with
unchanged documents answered 304: {verdict}. Before part 5 the bundle signed the whole list afresh on every
request (p99 155 ms at 200 serials, `gateway` section); at a million serials that would be a 12 MB
signature per request.

What it would take: {args.gates} gates syncing at the same instant put {args.gates} syncs' CPU on one
gateway process (one event loop), so the last answer waits for about {args.gates} × the CPU per sync;
{worst}. In front of nginx the parts are served from its cache (docs/deployment.md),
so after a revocation the nodes answer one part request per cache, not one per gate.
"""
    print(body)
    write_section("bundle", "Bundle latency at scale: 50 gates, a large revocation list, SQLite and PostgreSQL",
                  body)


if __name__ == "__main__":
    main()
