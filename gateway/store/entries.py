"""SQL for the entry log: idempotent inserts, chain look-ups, shared-pass search, retention."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from keys.entry import Entry

from ..db import Conn
from .sqlparts import in_list

COLUMNS = ("id", "device_id", "site", "seq", "scanned_at", "scanned_ts", "received_at", "serial",
           "text_hash", "decision", "reason", "temperature", "clock_offset", "prev_hash", "hash",
           "chain_ok", "gate_ts", "time_flag", "direction")


@dataclass(frozen=True, slots=True)
class EntryRow:
    id: str
    device_id: str
    site: str
    seq: int
    scanned_at: str
    scanned_ts: float
    received_at: str
    serial: str | None
    text_hash: str | None
    decision: str
    reason: str
    temperature: float | None
    clock_offset: float | None
    prev_hash: str
    hash: str
    chain_ok: int
    gate_ts: float | None = None  # the gate's raw clock; scanned_ts is the corrected time
    time_flag: str | None = None  # offset_unknown | implausible (placed at receipt) | None
    direction: str | None = None  # in | out | both (None: sent by a gate from before directions)


def runs(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers: [1, 2, 3, 7] -> [(1, 3), (7, 7)]."""
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


async def hashes_at(conn: Conn, *, device_id: str, seqs: Sequence[int]) -> dict[int, list[str]]:
    """Stored hashes by seq for one device (a seq can repeat only on a broken chain).

    A batch's seqs are one run (501 numbers with the one before it): asked as runs, one index range
    each, not one probe per number (#12: 6 us of server CPU per entry)."""
    if not seqs:
        return {}
    span, params = conn.rows_param("r", (("lo", "BIGINT"), ("hi", "BIGINT")), runs(seqs))
    found: dict[int, list[str]] = {}
    for seq, hash_ in await conn.fetch_all(
            f"SELECT e.seq, e.hash FROM {span} JOIN entries e"
            " ON e.device_id = :d AND e.seq BETWEEN r.lo AND r.hi", {**params, "d": device_id}):
        found.setdefault(seq, []).append(hash_)
    return found


@dataclass(frozen=True, slots=True)
class Received:
    """An uploaded entry as stored: the gate's `Entry` (keys/entry.py) and what the gateway adds."""

    entry: Entry
    scanned_ts: float  # the corrected time the entry is counted at
    gate_ts: float  # the gate's raw clock
    time_flag: str | None  # offset_unknown | implausible | None
    received_at: str
    chain_ok: bool = True

    def row(self) -> dict[str, Any]:
        e = self.entry
        # numbers as the columns hold them: a gate's integer reading is stored as a float
        return {"id": e.id, "device_id": e.device_id, "site": e.site, "seq": e.seq, "scanned_at": e.scanned_at,
                "scanned_ts": self.scanned_ts, "received_at": self.received_at, "serial": e.serial,
                "text_hash": e.text_hash, "decision": e.decision, "reason": e.reason,
                "temperature": None if e.temperature is None else float(e.temperature),
                "clock_offset": None if e.clock_offset is None else float(e.clock_offset),
                "prev_hash": e.prev_hash, "hash": e.hash, "chain_ok": int(self.chain_ok), "gate_ts": self.gate_ts,
                "time_flag": self.time_flag, "direction": e.direction}


async def insert_new(conn: Conn, *, entries: Sequence[Received]) -> set[str]:
    """Store the entries whose id is not stored yet (a retried batch, or another node won); the ids stored.

    One statement for the batch; `entries` must not repeat an id."""
    return set(await conn.insert_new("entries", COLUMNS, [r.row() for r in entries], key="id", row_type="entry_row"))


async def mark_broken(conn: Conn, *, ids: Sequence[str]) -> None:
    """chain_ok = 0 for entries this transaction stored whose link the chain check refused."""
    await conn.execute(f"UPDATE entries SET chain_ok = 0 WHERE id IN {conn.json_list(':ids')}",
                       {"ids": json.dumps(list(ids))})


async def shared_pass_pairs(conn: Conn, *, entries: Sequence[Received],
                            window_seconds: float) -> list[tuple[str, str]]:
    """(new entry, other entry): the same serial allowed at another site within the window.

    The new entries (stored in this transaction) are the ones allowed in (not out) with a serial; their
    serial, site and time come with the statement, not read back from entries by id (#12: that was half
    the search's reads per entry)."""
    going_in = [(r.entry.id, r.entry.serial, r.entry.site, r.scanned_ts) for r in entries
                if r.entry.decision == "allow" and r.entry.serial is not None and r.entry.direction != "out"]
    if not going_in:
        return []
    new, params = conn.rows_param("n", (("id", "TEXT"), ("serial", "TEXT"), ("site", "TEXT"),
                                        ("scanned_ts", "DOUBLE PRECISION")), going_in)
    return [(r[0], r[1]) for r in await conn.fetch_all(
            f"SELECT n.id, o.id FROM {new} JOIN entries o"
            " ON o.serial = n.serial AND o.site <> n.site AND o.decision = 'allow'"
            " AND COALESCE(o.direction, 'in') <> 'out'"
            " AND o.scanned_ts BETWEEN n.scanned_ts - :w AND n.scanned_ts + :w"
            # a way out of the first site between the two entries makes it a trip, not a shared pass
            " WHERE NOT EXISTS (SELECT 1 FROM entries x WHERE x.serial = n.serial AND x.direction = 'out'"
            "   AND x.decision = 'allow' AND ((x.site = o.site AND x.scanned_ts BETWEEN o.scanned_ts AND n.scanned_ts)"
            "   OR (x.site = n.site AND x.scanned_ts BETWEEN n.scanned_ts AND o.scanned_ts)))",
            {**params, "w": window_seconds})]


async def get_many(conn: Conn, *, ids: Sequence[str]) -> dict[str, EntryRow]:
    return {r["id"]: EntryRow(**dict(r)) for r in await conn.fetch_all(f"SELECT * FROM entries WHERE id IN {conn.json_list(':ids')}",
                            {"ids": json.dumps(list(ids))})}


async def search(conn: Conn, *, site: str | None, device_id: str | None, serial: str | None,
                 since_ts: float | None, until_ts: float | None, limit: int,
                 before: tuple[float, str] | None, decision: str | None = None,
                 sites: list[str] | None = None) -> list[EntryRow]:
    """Newest first; `before` = (scanned_ts, id) of the last row of the previous page;
    `sites`: only these sites (a caller's scope), None for every site."""
    params: dict[str, Any] = {}
    within = "1 = 1" if sites is None else in_list("site", sites, "sc", params)
    sql = ("SELECT * FROM entries WHERE (:site IS NULL OR site = :site)"
           f" AND {within}"
           " AND (:dev IS NULL OR device_id = :dev) AND (:serial IS NULL OR serial = :serial)"
           " AND (:decision IS NULL OR decision = :decision)"
           " AND (:since IS NULL OR scanned_ts >= :since) AND (:until IS NULL OR scanned_ts < :until)"
           " AND (:bts IS NULL OR scanned_ts < :bts OR (scanned_ts = :bts AND id < :bid))"
           " ORDER BY scanned_ts DESC, id DESC LIMIT :limit")
    params.update({"site": site, "dev": device_id, "serial": serial, "since": since_ts, "until": until_ts,
                   "bts": before[0] if before else None, "bid": before[1] if before else None,
                   "limit": limit, "decision": decision})
    return [EntryRow(**dict(r)) for r in await conn.fetch_all(sql, params)]


async def purge(conn: Conn, *, before_ts: float) -> int:
    cur = await conn.execute("DELETE FROM entries WHERE scanned_ts < :ts", {"ts": before_ts})
    return cur.rowcount
