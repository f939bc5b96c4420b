"""The daily report of a city-sized day: one million entries across 2,000 gates (target: under 5 s).

Setup writes synthetic rows straight into a fresh database (migrations applied by the gateway's own
Database.open); only `gateway.reports.daily_report` (plus the CSV) is timed.
    python bench/bench_reports.py [--entries N] [--gates N] [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section  # noqa: E402
from gateway.config import DEFAULT_TIMEZONE  # noqa: E402
from gateway.db import Database  # noqa: E402
from gateway.reports import daily_report, to_csv  # noqa: E402

DAY = date(2020, 2, 14)
TZ = ZoneInfo("Asia/Shanghai")
GATES_PER_SITE = 2
# a plausible mix for a city under control measures: nearly everyone passes
REASONS = [("ok", 0.955), ("quarantine", 0.008), ("revoked", 0.002), ("unreadable", 0.006),
           ("expired", 0.003), ("status_red", 0.002), ("status_yellow", 0.004), ("wrong_site", 0.01),
           ("site_closed", 0.002), ("fever", 0.0005), ("not_cleared", 0.001), ("stale_data", 0.001),
           ("duplicate", 0.0055)]


ENTRY_INSERT = ("INSERT INTO entries (id, device_id, site, seq, scanned_at, scanned_ts, received_at, serial,"
                " text_hash, decision, reason, temperature, clock_offset, prev_hash, hash, chain_ok)"
                " VALUES (" + ", ".join("?" * 16) + ")")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def build(path: Path, entries: int, gates: int, people: int) -> None:
    """Sites, gates, people, the day's entries (+10% on the day before), fever alerts, sync slots."""
    rng = random.Random(20200214)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: random entry ids would otherwise thrash
    conn.execute("BEGIN")
    sites = gates // GATES_PER_SITE
    enrolled = _iso(datetime(2020, 2, 1, tzinfo=TZ))
    for i in range(sites):
        code = f"S{i:04d}"
        policy = {"kind": "community", "site": code, "communities": [f"C{i:04d}"]}
        conn.execute("INSERT INTO sites (code, name, kind, policy, created_at, updated_at)"
                     " VALUES (?, ?, 'community', ?, ?, ?)",
                     (code, f"site {i}", json.dumps(policy), enrolled, enrolled))
    devices = [(f"dev_{i:06d}", f"S{i // GATES_PER_SITE:04d}") for i in range(gates)]
    conn.executemany("INSERT INTO devices (id, site, name, credential_hash, enrolled_at) VALUES (?, ?, ?, ?, ?)",
                     [(d, s, f"gate {d}", uuid.uuid4().hex, enrolled) for d, s in devices])
    # 95% of gates talk to the gateway every half hour; the rest are silent that day
    start = datetime(2020, 2, 14, tzinfo=TZ).timestamp()
    conn.executemany("INSERT INTO device_syncs (device_id, slot) VALUES (?, ?)",
                     [(d, int(start) + 1800 * k) for i, (d, _) in enumerate(devices) if i % 20
                      for k in range(48)])
    conn.executemany(
        "INSERT INTO people (id, name, document_type, document_enc, document_hmac, document_masked,"
        " document_last4, community, status, quarantine_start, quarantine_end, created_at, updated_at)"
        " VALUES (?, ?, 'resident_id', x'00', ?, '4201**********0000', '0000', ?, 'green', ?, ?, ?, ?)",
        [(p, f"居民{p}", f"h{p}", f"C{p % sites:04d}",
          "2020-02-05" if p % 40 == 0 else None, "2020-02-19" if p % 40 == 0 else None,
          enrolled, enrolled) for p in range(1, people + 1)])
    conn.execute("INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at, expires_at)"
                 " VALUES ('000000000000000000000001', 1, 'live', 'k', 'q', '{}', ?, ?)", (enrolled, enrolled))
    codes, weights = zip(*REASONS, strict=True)
    received = _iso(datetime(2020, 2, 15, 1, tzinfo=TZ))
    batch: list[tuple[object, ...]] = []
    alerts: list[tuple[object, ...]] = []
    seqs = dict.fromkeys((d for d, _ in devices), 0)
    total = entries + entries // 10
    for n in range(total):
        device, site = devices[rng.randrange(gates)]
        ts = start - 86400 + rng.random() * 86400 if n >= entries else start + rng.random() * 86400
        reason = rng.choices(codes, weights)[0]
        seqs[device] += 1
        entry_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        temperature = 38.1 if reason == "fever" else 36.5
        batch.append((entry_id, device, site, seqs[device], _iso(datetime.fromtimestamp(ts, TZ)), ts, received,
                      "000000000000000000000001", None, "allow" if reason == "ok" else "deny", reason,
                      temperature, 0.1, "0" * 64, "0" * 64, 1))
        if reason == "fever":
            alerts.append(("fever", received, site, device, entry_id, None, "{}", f"fever:{entry_id}"))
        if len(batch) == 50_000:
            conn.executemany(ENTRY_INSERT, batch)
            batch.clear()
    conn.executemany(ENTRY_INSERT, batch)
    conn.executemany("INSERT INTO alerts (kind, created_at, site, device_id, entry_id, serial, details,"
                     " dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", alerts)
    conn.execute("COMMIT")
    conn.close()


async def measure(path: Path, runs: int) -> tuple[list[float], dict[str, object]]:
    db = await Database.open(path)
    try:
        now = datetime(2020, 2, 16, tzinfo=UTC)
        times = []
        report: dict[str, object] = {}
        for _ in range(runs):
            t0 = time.perf_counter()
            report = await daily_report(db, DAY, now=now, city_timezone=DEFAULT_TIMEZONE)
            to_csv(report)
            times.append(time.perf_counter() - t0)
        return times, report
    finally:
        await db.close()


async def prepare(path: Path) -> None:
    db = await Database.open(path)  # creates the schema through the real migrations
    await db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--gates", type=int, default=2000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gateway.sqlite3"
        asyncio.run(prepare(path))
        t0 = time.perf_counter()
        build(path, args.entries, args.gates, args.people)
        setup = time.perf_counter() - t0
        times, report = asyncio.run(measure(path, args.runs))
    city = report["city"]
    assert isinstance(city, dict)
    median = statistics.median(times)
    body = (
        f"A city-sized day: {args.entries:,} entries on 14 Feb 2020 (plus {args.entries // 10:,} the day before)"
        f" across {args.gates:,} gates at {args.gates // GATES_PER_SITE:,} sites, {args.people:,} people,"
        f" {city['alerts']['total']:,} fever alerts; a fresh SQLite file (setup {setup:.0f} s, not timed).\n"
        f"Timed: `gateway.reports.daily_report` for the whole city (every site's figures, fevers, people,"
        f" silent gates, alerts, fingerprints) plus its CSV, {args.runs} runs.\n\n"
        f"| figure | value |\n|---|---|\n"
        f"| median report time | **{median:.2f} s** (target: under 5 s) |\n"
        f"| fastest / slowest run | {min(times):.2f} s / {max(times):.2f} s |\n"
        f"| entries counted (city) | {city['entries']['total']:,} |\n"
        f"| denied (city) | {city['entries']['denied']:,} |\n"
        f"| silent gates | {len(city['silent_devices']):,} |\n"
        f"| zero-report sites | {city['zero_report_sites']:,} |\n")
    print(body)
    write_section("reports", "Daily report of a city-sized day", body)


if __name__ == "__main__":
    main()
