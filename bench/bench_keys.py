"""Benchmark keys/: gate decisions per second on one core, issuance per second, 1M revocation list load.

Run: .venv/bin/python bench/bench_keys.py   (about a minute; writes its section of docs/benchmarks.md)
     .venv/bin/python bench/bench_keys.py --issuance   (seconds: only the issuance table, in place)
"""

from __future__ import annotations

import hashlib
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _before import import_keys_at  # noqa: E402
from _report import DOC, git_rev, write_section  # noqa: E402
from _report import load as load_average  # noqa: E402
from nacl.bindings import crypto_sign_open  # noqa: E402

from keys import (IssuerKey, PassClaims, SitePolicy, TrustSet, decide, issue_pass,  # noqa: E402
                  load_revocations, sign_revocations)
from keys import base45, cose  # noqa: E402
from keys.passes import PREFIX, parse_claims, parse_claims_plain  # noqa: E402
from keys.render import render_png, render_svg  # noqa: E402  # the product's renderer (zxing-cpp's writer)
from keys.trust import raw_public  # noqa: E402

REPEATS = 7
KEY = IssuerKey.from_private_bytes(hashlib.sha256(b"qrgate bench key").digest())
TRUST = TrustSet.of(KEY.public_key)
NOW = datetime(2020, 2, 20, 1, 0, tzinfo=UTC)
HOLDER = PassClaims(name="张伟明华", document="123X", quarantine_end=date(2020, 2, 15),
                    community="KS-C0012", employer="KS-F0042")
POLICY = SitePolicy.from_json({"kind": "community", "site": "KS-C0012", "communities": ["KS-C0012"]})
MILLION = 1_000_000
# the last commit before the gate's verify moved to libsodium and its parsing was sped up (issue #15)
BEFORE = os.environ.get("QRGATE_BENCH_BEFORE", "5cfd347")


def _loop(fn: Callable[[], object], n: int) -> float:
    # CPU time of this process: on a shared 2-core machine, other people's processes stealing
    # the core would otherwise count as ours
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - t0) / n


def interleaved(fns: dict[str, Callable[[], object]], n: int) -> dict[str, list[float]]:
    """Seconds per call of each function, REPEATS times, the loops interleaved so that they share the noise."""
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(REPEATS):
        for name, fn in fns.items():
            samples[name].append(_loop(fn, n))
    return samples


def per_call(fn: Callable[[], object], n: int) -> float:
    """Median over REPEATS of the mean seconds per call in a loop of n calls."""
    return statistics.median(interleaved({"fn": fn}, n)["fn"])


def make_revocation_doc(path: Path, serials_blob: bytes) -> None:
    serials = [serials_blob[i:i + 12] for i in range(0, len(serials_blob), 12)]
    path.write_bytes(sign_revocations(KEY, serials, seq=1, issued_at=NOW - timedelta(hours=1)))


LOAD_CHILD = """
import resource, sys, time, tracemalloc
from pathlib import Path
from keys import TrustSet, load_revocations
from keys.trust import b64url_decode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
trust = TrustSet.of(Ed25519PublicKey.from_public_bytes(bytes.fromhex(sys.argv[2])))

def status_kb(field):
    # VmHWM is this process's own peak: ru_maxrss would carry the parent's peak across fork+exec
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

rss0 = status_kb("VmRSS")
doc = Path(sys.argv[1]).read_bytes()
t0 = time.perf_counter()
revoked = load_revocations(doc, trust)
seconds = time.perf_counter() - t0
rss1 = status_kb("VmHWM")
assert len(revoked) == 1_000_000
tracemalloc.start()
again = load_revocations(doc, trust)
peak = tracemalloc.get_traced_memory()[1]
print(seconds, (rss1 - rss0) / 1024, peak / 2**20)
"""


def bench_load(doc: Path) -> tuple[float, float, float]:
    from keys.trust import raw_public
    rows = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", LOAD_CHILD, str(doc), raw_public(KEY.public_key).hex()],
                             capture_output=True, text=True, check=True).stdout.split()
        rows.append(tuple(float(x) for x in out))
    return tuple(statistics.median(r[i] for r in rows) for i in range(3))  # type: ignore[return-value]


def bench_gate(doc: bytes, blob: bytes) -> str:
    """decide today vs decide at BEFORE, and the raw verify of each library, all interleaved in one run."""
    revocations = load_revocations(doc, TRUST)
    qr_text = issue_pass(KEY, HOLDER, now=NOW - timedelta(days=1), valid_for=timedelta(days=30)).qr_text
    assert decide(qr_text, TRUST, revocations, POLICY, now=NOW, temperature=36.6).allowed
    revoked_pass = issue_pass(KEY, HOLDER, now=NOW - timedelta(days=1), valid_for=timedelta(days=30),
                              serial=blob[:12]).qr_text
    assert not decide(revoked_pass, TRUST, revocations, POLICY, now=NOW).allowed
    b45 = qr_text[len(PREFIX):]
    data = base45.decode(b45)
    sign1 = cose.parse(data)
    message = cose.sig_structure(sign1.protected_raw, sign1.payload)
    public, raw = KEY.public_key, raw_public(KEY.public_key)
    fns: dict[str, Callable[[], object]] = {
        "decide": lambda: decide(qr_text, TRUST, revocations, POLICY, now=NOW, temperature=36.6),
        "sodium": lambda: crypto_sign_open(sign1.signature + message, raw),
        "openssl": lambda: public.verify(sign1.signature, message),
    }
    old = import_keys_at(BEFORE)
    if old is not None:
        old_trust = old.TrustSet.of(public)
        old_revocations = old.load_revocations(doc, old_trust)
        old_policy = old.SitePolicy.from_json({"kind": "community", "site": "KS-C0012",
                                               "communities": ["KS-C0012"]})
        assert old.decide(qr_text, old_trust, old_revocations, old_policy, now=NOW, temperature=36.6).allowed
        fns["before"] = lambda: old.decide(qr_text, old_trust, old_revocations, old_policy, now=NOW,
                                           temperature=36.6)
    gate = interleaved(fns, 3000)
    med = {name: statistics.median(times) for name, times in gate.items()}

    def overhead(decide_name: str, verify_name: str) -> float:
        return statistics.median(d - v for d, v in zip(gate[decide_name], gate[verify_name], strict=True))

    old_claims = (lambda: old.passes.parse_claims(sign1.payload)) if old else None
    parts = {"of which Base45 decode": (lambda: base45.decode(b45), lambda: old.base45.decode(b45)),
             "of which COSE_Sign1 parse": (lambda: cose.parse_canonical(data), lambda: old.cose.parse(data)),
             "of which CWT claims parse": (lambda: parse_claims(sign1.payload), old_claims),
             "(not on this path: the same claims by the plain reader, cbor2 + re-encoding)":
                 (lambda: parse_claims_plain(sign1.payload), old_claims)}
    miss, hit = os.urandom(12), blob[:12]
    lookup = per_call(lambda: (miss in revocations, hit in revocations), 3000)
    us = 1e6
    now_overhead = overhead("decide", "sodium")
    rows = [f"| `decide` (Base45 + COSE + CBOR + Ed25519 + 1M-list lookup + policy) | {med['decide'] * us:.1f} | "
            f"**{1 / med['decide']:,.0f}** | " + (f"{med['before'] * us:.1f} | {1 / med['before']:,.0f} |"
                                                 if old else "– | – |"),
            f"| raw Ed25519 verify: libsodium (PyNaCl `crypto_sign_open`) today, OpenSSL (`cryptography`) "
            f"before | {med['sodium'] * us:.1f} | {1 / med['sodium']:,.0f} | {med['openssl'] * us:.1f} | "
            f"{1 / med['openssl']:,.0f} |",
            f"| our overhead (median of per-repeat `decide` − its verify) | **{now_overhead * us:.1f}** | | "
            + (f"{overhead('before', 'openssl') * us:.1f} | |" if old else "– | |")]
    # every part, today's and before's, in the same interleaved loops: the rows share the noise
    part_fns = {(name, when): fn for name, fns_ in parts.items()
                for when, fn in zip(("now", "before"), fns_, strict=True) if old or when == "now"}
    part_times = {key: statistics.median(times) for key, times in interleaved(part_fns, 3000).items()}
    for name in parts:
        old_t = f"{part_times[name, 'before'] * us:.1f}" if old else "–"
        rows.append(f"| {name} | {part_times[name, 'now'] * us:.1f} | | {old_t} | |")
    rows.append(f"| two revocation lookups (a miss and a hit) | {lookup * us:.2f} | | | |")
    table = "\n".join(rows)
    verdict_overhead = "met" if now_overhead < 35e-6 else "NOT met"
    verdict_rate = "met" if 1 / med["decide"] >= 10_000 else "NOT met"
    slow_verify = ("" if med["sodium"] < 100e-6 else
                   f" The raw verify alone exceeds the 100 µs that 10,000 decisions/s leave: on this run no"
                   f" overhead could meet the throughput target; our overhead was {now_overhead * us:.1f} µs.")
    return f"""
The pass is the typical one of the size test (four-character Chinese name, two affiliations,
a quarantine date: {len(qr_text)} characters); the gate holds a signed list of {MILLION:,} revoked serials.
"Before" is `keys/` at commit `{BEFORE}` (OpenSSL verify, the earlier parsing), imported from git
into the same process and measured in the same interleaved loops (`bench/_before.py`).
"Before" also does less: today's `decide` checks key withdrawal, the one accepted encoding of the
pass (its claims re-encoded and compared) and the QG2 holder binding, which were added since.

| gate decision (one core) | today µs | today per second | before µs | before per second |
|---|---:|---:|---:|---:|
{table}

Fastest of the {REPEATS} loops (the least disturbed by other processes): `decide` {min(gate['decide']) * us:.1f} µs,
libsodium verify {min(gate['sodium']) * us:.1f} µs, difference {(min(gate['decide']) - min(gate['sodium'])) * us:.1f} µs.

Where today's overhead went (issue #15): the signature is checked by libsodium (`Sign1.verify_raw`,
PyNaCl); Base45 decodes all triplets in one big-integer multiply (`keys/base45.py`); the deterministic
COSE_Sign1 is read by slicing (`cose.parse_canonical`); the claims as the issuer writes them are read
in one pass that also proves their one encoding (`passes.parse_canonical_claims`: the fixed part in one
`struct` unpack, the holder's map by its heads), any other claims through cbor2 and a re-encoding as
before (`passes.parse_claims_plain`, its own row in the table); the quarantine end is compared with a cached UTC
midnight (`keys/decide.py`). Each shortcut has a property test against the plain code
(`tests/keys/test_fast_paths.py`). What remains is Base45, building the result objects (three frozen
dataclasses) and the interpreter around a verify that evicts its caches: in the interleaved loops
`decide` costs more than the sum of its parts measured alone. PyNaCl binds no detached verify, so the
raw row and `decide` both call `crypto_sign_open` on signature + Sig_structure.

Targets (issue #15): overhead on top of the raw verify < 35 µs — {verdict_overhead};
≥ 10,000 decisions/s — {verdict_rate} (the raw libsodium verify alone took {med['sodium'] * us:.0f} µs in this run,
which caps a core at {1 / med['sodium']:,.0f} verifies/s).{slow_verify}
"""


def issuance() -> str:
    """The issuance table: signing alone, and signing + the product's renderer (keys/render.py), one core."""
    t_sign = per_call(lambda: issue_pass(KEY, HOLDER, now=NOW, valid_for=timedelta(days=30)), 1000)
    t_svg = per_call(lambda: render_svg(issue_pass(KEY, HOLDER, now=NOW, valid_for=timedelta(days=30)).qr_text),
                     30)
    t_png = per_call(lambda: render_png(issue_pass(KEY, HOLDER, now=NOW, valid_for=timedelta(days=30)).qr_text),
                     30)
    return f"""| issuance (one core; render: `keys/render.py`, zxing-cpp's writer) | ms per pass | passes per second |
|---|---:|---:|
| sign only (`issue_pass`) | {t_sign * 1e3:.3f} | {1 / t_sign:,.0f} |
| sign + render SVG | {t_svg * 1e3:.2f} | {1 / t_svg:,.0f} |
| sign + render PNG | {t_png * 1e3:.2f} | {1 / t_png:,.0f} |"""


def issuance_only() -> None:
    """Measure only the issuance table and put it in place in the keys section (the rest stays as it was run)."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    table = issuance()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = (f"(This table alone: `python bench/bench_keys.py --issuance`, {stamp}, commit {git_rev()}, "
            f"load average {load_average()}; the rest of the section is from the run above.)")
    text = DOC.read_text()
    section = re.search(r"<!-- bench:keys -->.*?<!-- /bench:keys -->", text, re.S)
    if section is None:
        raise SystemExit("no keys section in docs/benchmarks.md yet: run bench/bench_keys.py once whole")
    rows = r"\| issuance \(one core[^\n]*\n(?:\|[^\n]*\n)+(?:\n\(This table alone:[^\n]*\n)?"
    body = re.sub(rows, lambda _: table + "\n\n" + note + "\n", section.group(0), count=1)
    DOC.write_text(text[:section.start()] + body + text[section.end():])
    print(table + "\n" + note)


def main() -> None:
    load = os.getloadavg()[0]
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})  # one core, as a gate device would give us
    blob = os.urandom(12 * MILLION)
    with tempfile.TemporaryDirectory() as tmp:
        doc_path = Path(tmp) / "revocations-1m.cbor"
        make_revocation_doc(doc_path, blob)
        doc = doc_path.read_bytes()
        load_s, load_rss, load_peak = bench_load(doc_path)
        doc_mb = doc_path.stat().st_size / 2**20

    gate = bench_gate(doc, blob)

    issuance_table = issuance()

    body = f"""
Pinned to one core (`os.sched_setaffinity(0, {{0}})`); times are CPU time of the process
(`time.process_time`), so that other processes sharing the core do not count; each figure is the median of {REPEATS} loops;
`decide` and the raw verify loops are interleaved so that they share the machine's noise
(load average at the start: {load:.1f} on {os.cpu_count()} cores).
{gate}
{issuance_table}

| 1M-entry signed revocation list ({doc_mb:.1f} MB document), fresh process, median of 5 | |
|---|---:|
| verify + load time | **{load_s:.3f} s** (target < 1 s) |
| peak RSS growth: read the file + verify + load (`VmHWM` − `VmRSS` before) | **{load_rss:.1f} MB** (target < 100 MB) |
| peak Python allocations during the load (tracemalloc) | {load_peak:.1f} MB |

The list stays in its signed form (sorted 12-byte serials) with a 65,536-bucket index on the
first two bytes; a lookup is one `bytes.find` inside a bucket of ~15 serials (`keys/revocations.py`).
"""
    print(body)
    write_section("keys", "keys: gate decisions, issuance, revocation list", body)


if __name__ == "__main__":
    issuance_only() if sys.argv[1:] == ["--issuance"] else main()
