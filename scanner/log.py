"""The gate's local entry log: SQLite (WAL, synchronous=FULL), hash-chained as docs/device-api.md says.

Every decision is committed here before the guard sees it. All SQL of the scanner lives in this module.
One EntryLog per thread (sqlite3 connections are not shared across threads).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from keys.chain import GENESIS, entry_hash
from keys.entry import Entry

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    seq        INTEGER PRIMARY KEY,          -- the chain position, 1, 2, 3 ...
    id         TEXT NOT NULL UNIQUE,         -- uuid4: makes retried uploads idempotent
    body       TEXT NOT NULL,                -- the entry exactly as hashed and sent
    hash       TEXT NOT NULL,
    serial     TEXT,
    decision   TEXT NOT NULL,
    decided_at REAL NOT NULL,                -- corrected (gateway) time, epoch seconds: for passback
    wall_at    REAL NOT NULL,                -- the local clock, epoch seconds: to see it jump back
    sent       INTEGER NOT NULL DEFAULT 0    -- 0 unsent, 1 at the gateway, 2 refused by it (kept here)
);
CREATE INDEX IF NOT EXISTS entries_allowed ON entries (serial, decided_at) WHERE decision = 'allow';
CREATE INDEX IF NOT EXISTS entries_unsent ON entries (seq) WHERE sent = 0;
CREATE TABLE IF NOT EXISTS admitted_codes (  -- QG2 codes admitted here: one code admits once
    code_id    TEXT PRIMARY KEY,             -- hex of keys Decision.code_id (pass hash + code time)
    at         REAL NOT NULL                 -- corrected epoch seconds of the admission
);
CREATE INDEX IF NOT EXISTS entries_denied ON entries (serial, decided_at) WHERE decision = 'deny';
CREATE TABLE IF NOT EXISTS events (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    kind   TEXT NOT NULL,                    -- clock_skew, clock_jump, sync_failed, ...
    detail TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Stored:
    seq: int
    entry: dict[str, Any]


class EntryLog:
    """Append-only, hash-chained entry log with a `sent` flag for sync."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # a shown answer must survive a power cut
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EntryLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def append(self, fields: Mapping[str, Any], *, decided_at: float, wall_at: float) -> dict[str, Any]:
        """Chain and commit one entry (keys/entry.py); `fields` is every field but id, seq, prev_hash and hash.

        A field the entry does not allow raises EntryError before anything is written."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")  # one writer: seq and prev_hash cannot race
        try:
            row = db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
            made = Entry.chained(**fields, id=str(uuid.uuid4()), seq=seq, prev_hash=prev)
            entry = made.to_json()
            db.execute(
                "INSERT INTO entries (seq, id, body, hash, serial, decision, decided_at, wall_at)"
                " VALUES (:seq, :id, :body, :hash, :serial, :decision, :decided_at, :wall_at)",
                {"seq": seq, "id": entry["id"], "body": json.dumps(entry, sort_keys=True),
                 "hash": entry["hash"], "serial": entry.get("serial"), "decision": entry["decision"],
                 "decided_at": decided_at, "wall_at": wall_at})
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return entry

    def last_allowed_at(self, serial: str) -> float | None:
        """When this pass was last admitted here (corrected epoch seconds)."""
        row = self._db.execute(
            "SELECT max(decided_at) FROM entries WHERE serial = :serial AND decision = 'allow'",
            {"serial": serial}).fetchone()
        return row[0]

    def latencies(self, wall_from: float, wall_to: float) -> tuple[list[float], int]:
        """The logged capture-to-decision times (ms) of entries with `wall_from <= wall_at < wall_to`,
        and how many entries of that span have none (logged before latencies were, or typed in)."""
        rows = self._db.execute(
            "SELECT json_extract(body, '$.latency_ms') FROM entries"
            " WHERE wall_at >= :start AND wall_at < :end", {"start": wall_from, "end": wall_to}).fetchall()
        found = [float(v) for (v,) in rows if isinstance(v, (int, float))]
        return found, len(rows) - len(found)

    def code_admitted(self, code_id: bytes) -> bool:
        row = self._db.execute("SELECT 1 FROM admitted_codes WHERE code_id = :c", {"c": code_id.hex()}).fetchone()
        return row is not None

    def remember_code(self, code_id: bytes, at: float, *, keep: float) -> None:
        """Remember an admitted code; forget those admitted more than `keep` seconds ago."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM admitted_codes WHERE at < :old", {"old": at - keep})
            self._db.execute("INSERT INTO admitted_codes (code_id, at) VALUES (:c, :at)"
                             " ON CONFLICT (code_id) DO NOTHING", {"c": code_id.hex(), "at": at})
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def last_fever_at(self, serial: str) -> float | None:
        """When this pass was last denied here for fever (corrected epoch seconds)."""
        row = self._db.execute(
            "SELECT max(decided_at) FROM entries WHERE serial = :serial AND decision = 'deny'"
            " AND json_extract(body, '$.reason') = 'fever'", {"serial": serial}).fetchone()
        return row[0]

    def last_allowed(self, serial: str) -> tuple[float | None, str | None]:
        """When and which way this pass last went through here (corrected epoch seconds, direction)."""
        row = self._db.execute(
            "SELECT decided_at, json_extract(body, '$.direction') FROM entries"
            " WHERE serial = :serial AND decision = 'allow' ORDER BY decided_at DESC, seq DESC LIMIT 1",
            {"serial": serial}).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def last_wall_time(self) -> float | None:
        row = self._db.execute("SELECT wall_at FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def unsent(self, limit: int) -> list[Stored]:
        rows = self._db.execute("SELECT seq, body FROM entries WHERE sent = 0 ORDER BY seq LIMIT :n",
                                {"n": limit}).fetchall()
        return [Stored(seq, json.loads(body)) for seq, body in rows]

    def mark_sent(self, seqs: list[int]) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("UPDATE entries SET sent = 1 WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def mark_refused(self, seq: int, why: str, at: datetime) -> None:
        """The gateway will never take this entry: keep it here, flagged, and say so in the events."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("UPDATE entries SET sent = 2 WHERE seq = :seq", {"seq": seq})
            self._db.execute("INSERT INTO events (at, kind, detail) VALUES (:at, 'entry_refused', :detail)",
                             {"at": at.isoformat(), "detail": f"seq {seq}: {why}"})
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def refused(self) -> list[int]:
        return [seq for (seq,) in self._db.execute("SELECT seq FROM entries WHERE sent = 2 ORDER BY seq")]

    def count(self, *, unsent_only: bool = False) -> int:
        sql = "SELECT count(*) FROM entries" + (" WHERE sent = 0" if unsent_only else "")
        return self._db.execute(sql).fetchone()[0]

    def entries(self) -> list[dict[str, Any]]:
        return [json.loads(b) for (b,) in self._db.execute("SELECT body FROM entries ORDER BY seq")]

    def verify_chain(self) -> int | None:
        """The seq of the first entry that breaks the chain, or None if it is intact."""
        prev = GENESIS
        for expected, entry in enumerate(self.entries(), start=1):
            if entry["seq"] != expected or entry["prev_hash"] != prev or entry_hash(entry) != entry["hash"]:
                return expected
            prev = entry["hash"]
        return None

    def record_event(self, kind: str, detail: str, at: datetime) -> None:
        self._db.execute("INSERT INTO events (at, kind, detail) VALUES (:at, :kind, :detail)",
                         {"at": at.isoformat(), "kind": kind, "detail": detail[:500]})

    def events(self, kind: str | None = None) -> list[tuple[str, str, str]]:
        sql = "SELECT at, kind, detail FROM events" + (" WHERE kind = :kind" if kind else "") + " ORDER BY id"
        return list(self._db.execute(sql, {"kind": kind}))
