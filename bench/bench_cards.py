"""Cards in bulk: cards per second drawn into one PDF (A6 and A4 sheets of four), the raster cards of
commit BEFORE beside today's vector cards in the same run, and the gateway's answer time to /healthz
while a community's PDF streams from the console (the drawing runs in a worker thread, so the event
loop keeps serving).

Run: .venv/bin/python bench/bench_cards.py [CARDS]   (default 200; writes its section of docs/benchmarks.md)
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import aiohttp  # noqa: E402
from _before import import_web_module_at  # noqa: E402
from _report import write_section  # noqa: E402
from aiohttp import web  # noqa: E402

from gateway import accounts, idcard, passes, registry  # noqa: E402
from gateway.appkeys import services_key  # noqa: E402
from gateway.auth import CLI  # noqa: E402
from gateway.config import GatewayConfig  # noqa: E402
from keys import IssuerKey, PassClaims, Status, issue_pass  # noqa: E402
from qrgate.app import create_app  # noqa: E402
from web.card import CardsPdf  # noqa: E402
from web.passview import ResidentPass  # noqa: E402

REPEATS = 3
PASSWORD = "bench password 1"
BEFORE = "cf38378"  # the last raster card: each card pictured by Pillow at 300 dpi, one 1-bit image a card
KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate bench key").digest())
SURNAMES, GIVEN = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"


def residents(n: int) -> list[ResidentPass]:
    """n different cards (names, documents, serials, passes), as a community's print has."""
    now = datetime.now(UTC)
    cards = []
    for i in range(n):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[i % len(GIVEN)] + GIVEN[(i * 7 + 3) % len(GIVEN)]
        issued = issue_pass(KEY, PassClaims(name=name, document=f"{i % 1000:03d}X", community="KS-C0012"),
                            now=now + timedelta(seconds=i), valid_for=timedelta(days=30))
        cards.append(ResidentPass(serial=issued.serial_hex, qr_text=issued.qr_text, name=name,
                                  document=f"{i % 1000:03d}X", status=Status.GREEN, expires_at=issued.expires_at,
                                  revoked=False))
    return cards


def direct(make: type[CardsPdf], layout: str, cards: list[ResidentPass]) -> tuple[float, int]:
    """(CPU seconds, PDF bytes) drawing `cards` into one PDF in this thread."""
    pdf = make(layout)
    start = time.process_time()  # CPU time: the other engineers' processes on the shared cores do not count
    size = len(pdf.start()) + sum(len(pdf.add(view)) for view in cards) + len(pdf.finish())
    return time.process_time() - start, size


async def _healthz_times(session: aiohttp.ClientSession, url: str, stop: asyncio.Event) -> list[float]:
    times = []
    while not stop.is_set():
        start = time.perf_counter()
        async with session.get(url + "/healthz") as resp:
            await resp.read()
        times.append(time.perf_counter() - start)
        await asyncio.sleep(0.02)
    return times


async def through_the_gateway(cards: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = replace(GatewayConfig.for_data_dir(Path(tmp) / "data"), host="127.0.0.1", port=port)
        runner = web.AppRunner(create_app(config))
        await runner.setup()
        await web.SockSite(runner, sock).start()
        svc = runner.app[services_key]
        try:
            await accounts.create_account(svc.db, "bench", PASSWORD, "admin")
            for i in range(cards):
                person = await registry.register(svc, {
                    "name": f"居民{i}", "document_type": "resident_id", "community": "KS-C0012",
                    "document_number": idcard.make(f"320583{1950 + i % 50}{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 1000:03d}")},
                    CLI)
                await passes.issue(svc, person.id, CLI, config.base_url)
            url = f"http://127.0.0.1:{port}"
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:  # an IP host
                page = await (await session.get(url + "/console/login")).text()
                token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                await session.post(url + "/console/login", data={"username": "bench", "password": PASSWORD,
                                                                 "csrf_token": token})
                page = await (await session.get(url + "/console/people")).text()
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
                idle_stop = asyncio.Event()
                idle = asyncio.create_task(_healthz_times(session, url, idle_stop))
                await asyncio.sleep(1.0)
                idle_stop.set()
                idle_times = await idle
                busy_stop = asyncio.Event()
                busy = asyncio.create_task(_healthz_times(session, url, busy_stop))
                start = time.perf_counter()
                async with session.post(url + "/console/people/cards.pdf", data={
                        "csrf_token": csrf, "community": "KS-C0012"}) as resp:
                    body = await resp.read()
                elapsed = time.perf_counter() - start
                busy_stop.set()
                busy_times = await busy
                assert resp.status == 200 and body.count(b"/Type /Page ") == cards, resp.status
        finally:
            await runner.cleanup()
    return {"cards_per_s": cards / elapsed, "seconds": elapsed,
            "idle_median_ms": statistics.median(idle_times) * 1000, "idle_max_ms": max(idle_times) * 1000,
            "busy_median_ms": statistics.median(busy_times) * 1000, "busy_max_ms": max(busy_times) * 1000,
            "pings": len(busy_times)}


def main(count: int) -> None:
    before = import_web_module_at(BEFORE, "card")
    if before is None:
        raise SystemExit(f"bench_cards needs git and commit {BEFORE} to measure the raster cards beside")
    cards = residents(count)
    affinity = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(affinity)})  # one core, the drawing as the worker thread does it
    rows, per_card = [], {}
    for layout in ("a6", "a4"):
        runs: dict[str, list[tuple[float, int]]] = {"raster": [], "vector": []}
        for _ in range(REPEATS):  # interleaved: both share the machine's noise
            runs["raster"].append(direct(before.CardsPdf, layout, cards))
            runs["vector"].append(direct(CardsPdf, layout, cards))
        rate = {k: count / statistics.median(r[0] for r in v) for k, v in runs.items()}
        size = {k: v[0][1] / count / 1024 for k, v in runs.items()}
        per_card[layout] = 1000 / rate["vector"]
        rows.append(f"| {layout.upper()} ({'one card a page' if layout == 'a6' else 'four cards a sheet'}) | "
                    f"{rate['raster']:.1f} | **{rate['vector']:.1f}** | **{rate['vector'] / rate['raster']:.1f}×** | "
                    f"{size['raster']:.1f} → {size['vector']:.1f} KiB |")
        print(rows[-1], flush=True)
    os.sched_setaffinity(0, affinity)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    gw = asyncio.run(through_the_gateway(count))
    print(gw)
    body = f"""
Load average at the end of the drawing loops: {load} (1, 5, 15 min) on {os.cpu_count()} cores shared with
other engineers' test suites; hence CPU time of the process below, not the wall clock.

{count} different cards (names, serials, passes) drawn into one PDF, pinned to one core, CPU time of the
process (`time.process_time`), median of {REPEATS} interleaved runs. *Raster*: `web.card.CardsPdf` as
it was at commit {BEFORE} (imported from git into the same process, `bench/_before.py`): each card
pictured by Pillow at 300 dpi, made 1-bit, one Flate image a card. *Vector*: today's — the frame
stroked, the QR one filled path of module rectangles, each text line a small 1-bit image mask, the
two lines every card shares written once a PDF, each card one form XObject placed on its page.

| layout | raster cards/s | vector cards/s | speed-up | PDF size per card |
|---|---:|---:|---:|---:|
{chr(10).join(rows)}

Through the gateway: `POST /console/people/cards.pdf` for a community of {count} people with a live pass
(SQLite, the admin's session, vector cards), streamed card by card with each card drawn in a worker
thread (`asyncio.to_thread`), wall clock: **{gw['cards_per_s']:.1f} cards/s** ({gw['seconds']:.1f} s for the
PDF). Meanwhile a client asked `/healthz` every 20 ms ({gw['pings']:.0f} answers): median
{gw['busy_median_ms']:.1f} ms, slowest {gw['busy_max_ms']:.0f} ms (idle gateway: median
{gw['idle_median_ms']:.1f} ms, slowest {gw['idle_max_ms']:.0f} ms). Drawing a card takes about
{per_card['a6']:.1f} ms of CPU; through the gateway the rest is the database reads, the thread
hand-off per card and the shared machine. The console prints at most 5,000 cards a PDF (one community
at a time): about {5000 / gw['cards_per_s'] / 60:.1f} minutes of streaming at this rate.
"""
    write_section("cards", "Cards in bulk (one PDF for a selection)", body)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
