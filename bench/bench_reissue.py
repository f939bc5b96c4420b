"""Bulk reissue after a key withdrawal: 100,000 live passes replaced by one job (gateway/reissue.py).

Setup writes synthetic people and live passes straight into a fresh gateway database (migrations
applied by the gateway's own Database.open). Timed: `keyops.withdraw` + `reissue.run` to the end —
every pass re-signed, the old one marked revoked, one audit row each, in batches of 200.
    python bench/bench_reissue.py [--passes N]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._report import write_section  # noqa: E402
from gateway import keyops, reissue  # noqa: E402
from gateway.auth import CLI  # noqa: E402
from gateway.config import GatewayConfig  # noqa: E402
from gateway.services import open_services  # noqa: E402
from gateway.store import passes as pass_store  # noqa: E402
from keys import Reason, decide  # noqa: E402


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def seed(database: Path, kid: str, count: int) -> None:
    """`count` people, each with one live pass signed (nominally) by `kid`; old QR texts are placeholders."""
    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("BEGIN")
    at = datetime.now(UTC)
    stamp, expires = _iso(at), _iso(at + timedelta(days=30))
    conn.executemany(
        "INSERT INTO people (id, name, document_type, document_enc, document_hmac, document_masked,"
        " document_last4, community, status, created_at, updated_at)"
        " VALUES (?, ?, 'resident_id', x'00', ?, '4201**********123X', '123X', ?, 'green', ?, ?)",
        [(i, f"居民{i}", f"hmac{i:08d}", f"C{i % 500:04d}", stamp, stamp) for i in range(1, count + 1)])
    conn.executemany(
        "INSERT INTO passes (serial, person_id, state, kid, qr_text, claims, issued_at, expires_at)"
        " VALUES (?, ?, 'live', ?, 'QG1:placeholder', '{}', ?, ?)",
        [(f"{i:024x}", i, kid, stamp, expires) for i in range(1, count + 1)])
    conn.execute("COMMIT")
    conn.close()


async def run(data: Path, count: int) -> tuple[float, float, int]:
    config = GatewayConfig.for_data_dir(data)
    async with open_services(config) as svc:
        kid = svc.keystore.signing_key().kid.hex()
    seed(config.database, kid, count)
    async with open_services(config) as svc:
        start, cpu = time.perf_counter(), time.process_time()
        done = await keyops.withdraw(svc, kid, "benchmark: key withdrawn", CLI)
        job = await reissue.run(svc, done.job.id)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert (job.state, job.done, job.total) == ("done", count, count), job
        trust = svc.keystore.trust_set()
        for person in (1, count // 2, count):  # the new passes are real, verifiable passes
            live = await pass_store.live_for(svc.db.read, person_id=person)
            assert live is not None and live.kid == done.signing_kid
            assert decide(live.qr_text, trust, None, None, now=datetime.now(UTC)).reason is Reason.OK
    return elapsed, cpu, job.done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, cpu, count = asyncio.run(run(Path(tmp) / "data", args.passes))
    rate = count / elapsed
    print(f"reissued {count:,} passes in {elapsed:.1f} s ({rate:,.0f} passes/s), {cpu:.1f} s CPU")
    body = (f"| live passes | job time (withdraw + reissue) | passes per second | CPU time of the process |\n"
            f"|---|---|---|---|\n| {count:,} | {elapsed:.1f} s | {rate:,.0f} | {cpu:.1f} s |\n\n"
            "Wall time well above CPU time means the shared machine kept the process waiting.\n"
            "One job, batches of 200 passes per transaction (SQLite WAL); each pass is signed anew (Ed25519),\n"
            "the old one marked revoked (not added to the revocation list: the key's withdrawal covers it)\n"
            "and one `pass.reissue` audit row is written. The gateway keeps serving between batches.")
    write_section("reissue", "Bulk reissue after a key withdrawal", body)


if __name__ == "__main__":
    main()
