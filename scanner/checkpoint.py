"""Checkpoint mode (道路卡口): one record per vehicle, every person in it measured and decided.

Each person shows a pass (decided like any gate scan, and logged as an entry), or an identity
document, or neither: a non-resident with neither is denied `no_document` (directive §二 10); a
reading at or above the site's fever threshold is denied `fever`; no reading, no record (每人必测).
Records queue in `checkpoint.db` in the data folder and are uploaded when the gateway answers
(`POST /api/v1/checkpoint/records`, idempotent on the record id), like the entry log. Both modes
(JSON lines on stdin, and the camera window with its terminal form, `checkpoint_form.py`) go
through `Checkpoint`.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from keys import Reason
from keys.chain import GENESIS, entry_hash
from keys.policy import DEFAULT_FEVER
from keys.checkpoint import (DIRECTIONS, ROLES, TEMPERATURE_RANGE, VEHICLE_KINDS, normalise_document,
                             normalise_plate)

from .gate import Gate, corrected_offset
from .state import Device

BATCH = 100


class CheckpointInputError(ValueError):
    """What the guard typed cannot be recorded; the message says what to fix."""


@dataclass(frozen=True)
class Vehicle:
    plate: str | None
    kind: str
    direction: str
    origin: str | None
    township: str
    community: str


def vehicle(plate: str | None, kind: str, direction: str, origin: str | None, township: str, community: str) -> Vehicle:
    if kind not in VEHICLE_KINDS:
        raise CheckpointInputError(f"vehicle kind must be one of {', '.join(VEHICLE_KINDS)}")
    if direction not in DIRECTIONS:
        raise CheckpointInputError("direction must be in or out")
    if kind == "none":
        if plate:
            raise CheckpointInputError("a person on foot has no plate")
        stored = None
    else:
        if not plate:
            raise CheckpointInputError("the plate is required: every vehicle is registered")
        try:
            stored = normalise_plate(plate)[0]
        except ValueError as exc:
            raise CheckpointInputError(f"plate: {exc}") from None
    if origin is not None and not (len(origin) == 6 and origin.isascii() and origin.isdigit()):
        raise CheckpointInputError("origin must be a 6-digit region code")
    return Vehicle(stored, kind, direction, origin, township, community)


def _temperature(value: object) -> float:
    if value is None:
        raise CheckpointInputError("temperature required: take every person's temperature (每人必测)")
    if isinstance(value, bool) or not isinstance(value, int | float) or \
            not TEMPERATURE_RANGE[0] <= value <= TEMPERATURE_RANGE[1]:
        raise CheckpointInputError(f"temperature must be {TEMPERATURE_RANGE[0]}..{TEMPERATURE_RANGE[1]} °C: measure again")
    return float(value)


def decide_person(gate: Gate, raw: dict[str, Any], *, fever_threshold: float, car: bool,
                  direction: str | None = None) -> dict[str, Any]:
    """One person of the record as sent; CheckpointInputError for what cannot be recorded."""
    unknown = set(raw) - {"role", "pass", "document_type", "document_number", "name", "resident", "temperature"}
    if unknown:
        raise CheckpointInputError(f"unknown field {sorted(unknown)[0][:40]!r}")
    temperature = _temperature(raw.get("temperature"))
    role = raw.get("role", "driver" if car else "pedestrian")
    if role not in ROLES:
        raise CheckpointInputError(f"role must be one of {', '.join(ROLES)}")
    person: dict[str, Any] = {"role": role, "temperature": temperature}
    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 64 or not name.isprintable():
            raise CheckpointInputError("name: 1..64 printable characters")
        person["name"] = name.strip()
    if raw.get("pass"):
        outcome = gate.decide(str(raw["pass"]), temperature, direction=direction)
        decision = outcome.decision
        # the scan is an entry of the gate's log too: naming it lets the report count this person once
        person.update(serial=decision.serial.hex() if decision.serial else None, decision=decision.decision,
                      reason=decision.reason.value, entry_id=outcome.entry["id"])
        return person
    if raw.get("document_type") or raw.get("document_number"):
        try:
            number = normalise_document(str(raw.get("document_type")), str(raw.get("document_number") or ""))
        except ValueError as exc:
            raise CheckpointInputError(f"document: {exc}") from None
        person.update(document_type=raw["document_type"], document_number=number)
    elif raw.get("resident") is not None:
        person["resident"] = bool(raw["resident"])
    if temperature >= fever_threshold:
        person.update(decision="deny", reason=Reason.FEVER.value)
    elif "document_number" in person or person.get("resident"):
        person.update(decision="allow", reason=Reason.OK.value)
    else:  # directive §二 10: a non-resident without a document may not enter
        person.update(decision="deny", reason=Reason.NO_DOCUMENT.value)
    return person


def make_record(gate: Gate, car: Vehicle, people: list[dict[str, Any]]) -> dict[str, Any]:
    if not people:
        raise CheckpointInputError("a record has at least one person")
    wall = gate.clock()
    snap = gate.snapshot()
    offset, _ = corrected_offset(wall, snap, gate.boot())
    return {"id": str(uuid.uuid4()), "recorded_at": wall.isoformat(timespec="milliseconds"),
            "clock_offset": round(offset, 3) if snap.clock_offset is not None or snap.anchor else None,
            "plate": car.plate, "vehicle_kind": car.kind, "direction": car.direction, "origin": car.origin,
            "township": car.township, "community": car.community, "people": people}


QUEUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    id        TEXT PRIMARY KEY,      -- uuid4: uploads are idempotent on it
    body      TEXT NOT NULL,         -- the record exactly as hashed and sent; '{}' once the gateway has it
    queued_at TEXT NOT NULL,
    sent_at   TEXT,
    refused   TEXT,
    seq       INTEGER UNIQUE,        -- the chain position, 1, 2, 3 ... (NULL: sent before the chain)
    hash      TEXT                   -- kept when the body is emptied: the next record links to it
);
"""


class RecordQueue:
    """Records waiting for the gateway, kept on the device (the document numbers only until sent).

    The records form the device's checkpoint chain, hash-linked as the entry log is (keys/chain.py):
    its own chain beside the entry log's, so neither log nor upload waits for the other (docs/checkpoint.md).
    """

    def __init__(self, data_dir: Path) -> None:
        self.db = sqlite3.connect(Path(data_dir) / "checkpoint.db", timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # a queued record must survive a power cut
        self.db.execute("PRAGMA busy_timeout=30000")
        self.db.executescript(QUEUE_SCHEMA)
        self._upgrade()

    def _upgrade(self) -> None:
        """A queue from before the chain: add its columns, and chain the records still waiting, in order."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(records)")}
        if {"seq", "hash"} <= columns:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for name in ("seq", "hash"):
                if name not in columns:
                    self.db.execute(f"ALTER TABLE records ADD COLUMN {name} {'INTEGER' if name == 'seq' else 'TEXT'}")
            self.db.execute("CREATE UNIQUE INDEX IF NOT EXISTS records_seq ON records (seq)")
            waiting = self.db.execute("SELECT id, body FROM records WHERE sent_at IS NULL AND refused IS NULL"
                                      " ORDER BY queued_at, rowid").fetchall()
            for _id, body in waiting:
                self._link(json.loads(body))
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> RecordQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _link(self, record: dict[str, Any]) -> dict[str, Any]:
        """Inside a write transaction: give the record its place in the chain and store it."""
        row = self.db.execute("SELECT seq, hash FROM records WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        linked = {k: v for k, v in record.items() if k not in ("seq", "prev_hash", "hash")}
        linked.update(seq=seq, prev_hash=prev)
        linked["hash"] = entry_hash(linked)
        self.db.execute(
            "INSERT INTO records (id, body, queued_at, seq, hash) VALUES (:id, :body, :at, :seq, :hash)"
            " ON CONFLICT (id) DO UPDATE SET body = excluded.body, seq = excluded.seq, hash = excluded.hash",
            {"id": linked["id"], "body": json.dumps(linked, ensure_ascii=False), "seq": seq, "hash": linked["hash"],
             "at": datetime.now().astimezone().isoformat()})
        return linked

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        """Chain and commit one record; returns it as stored and sent (with seq, prev_hash and hash)."""
        self.db.execute("BEGIN IMMEDIATE")  # one writer: seq and prev_hash cannot race
        try:
            linked = self._link(record)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return linked

    def unsent(self, limit: int = BATCH) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT body FROM records WHERE sent_at IS NULL AND refused IS NULL"
                               " ORDER BY seq, queued_at LIMIT ?", (limit,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def mark_sent(self, ids: list[str]) -> None:
        # once the gateway has a record, the device keeps no document number of it (its hash stays)
        with self._write():
            self.db.executemany("UPDATE records SET sent_at = ?, body = '{}' WHERE id = ?",
                                [(datetime.now().astimezone().isoformat(), i) for i in ids])

    def mark_refused(self, record_id: str, why: str) -> None:
        with self._write():
            self.db.execute("UPDATE records SET refused = ? WHERE id = ?", (why[:500], record_id))

    def count(self, *, unsent_only: bool = False) -> int:
        where = " WHERE sent_at IS NULL AND refused IS NULL" if unsent_only else ""
        return int(self.db.execute(f"SELECT COUNT(*) FROM records{where}").fetchone()[0])

    def verify_chain(self) -> int | None:
        """The seq of the first record that breaks the local chain, or None if it is intact (a sent
        record's body is gone: its stored hash still links; a body kept must hash to it)."""
        prev = GENESIS
        rows = self.db.execute("SELECT seq, body, hash FROM records WHERE seq IS NOT NULL ORDER BY seq")
        for expected, (seq, body, hash_) in enumerate(rows, start=1):
            record = json.loads(body)
            if seq != expected or (record and (record.get("seq") != seq or record.get("prev_hash") != prev
                                               or entry_hash(record) != hash_ or record.get("hash") != hash_)):
                return expected
            prev = hash_
        return None

    def _write(self) -> _Write:
        return _Write(self.db)


class _Write:
    """One write transaction on an autocommit connection (BEGIN IMMEDIATE ... COMMIT, or ROLLBACK)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.db.execute("ROLLBACK" if kind is not None else "COMMIT")


def push_records(queue: RecordQueue, device: Device) -> tuple[int, int]:
    """Upload queued records one batch at a time; a record the gateway refuses is set aside, not retried."""
    from .sync import REFUSED_INPUT, GatewayRefused, _request

    accepted = duplicates = 0
    while batch := queue.unsent():
        try:
            answer = _request("POST", device.gateway + "/api/v1/checkpoint/records", {"records": batch},
                              credential=device.credential)
        except GatewayRefused as exc:
            if exc.status not in REFUSED_INPUT:
                raise
            if len(batch) == 1:
                queue.mark_refused(batch[0]["id"], str(exc))
                continue
            for record in batch:  # find the refused one: each alone
                try:
                    one = _request("POST", device.gateway + "/api/v1/checkpoint/records", {"records": [record]},
                                   credential=device.credential)
                    accepted += int(one.get("accepted", 0))
                    duplicates += int(one.get("duplicates", 0))
                    queue.mark_sent([record["id"]])
                except GatewayRefused as inner:
                    if inner.status not in REFUSED_INPUT:
                        raise
                    queue.mark_refused(record["id"], str(inner))
            continue
        queue.mark_sent([r["id"] for r in batch])
        accepted += int(answer.get("accepted", 0))
        duplicates += int(answer.get("duplicates", 0))
    return accepted, duplicates


def shown(person: dict[str, Any]) -> dict[str, Any]:
    """A decided person as the guard's screen may show it: never a full document number."""
    return {k: v for k, v in person.items() if k != "document_number"}


class Checkpoint:
    """The one path of both modes (stdin JSON lines and the window's form): each person decided as
    they come, each vehicle's record made and queued in checkpoint.db for the next sync."""

    def __init__(self, gate: Gate, data_dir: Path) -> None:
        self.gate, self.data_dir = gate, Path(data_dir)

    def person(self, car: Vehicle, raw: dict[str, Any]) -> dict[str, Any]:
        # the threshold of the policy in use now: a window runs for hours while syncs replace it
        return decide_person(self.gate, raw, fever_threshold=fever_threshold(self.gate), car=car.kind != "none",
                             direction=car.direction)

    def record(self, car: Vehicle, people: list[dict[str, Any]]) -> dict[str, Any]:
        record = make_record(self.gate, car, people)
        with RecordQueue(self.data_dir) as queue:
            return queue.append(record)


def fever_threshold(gate: Gate) -> float:
    """The site's signed threshold; before the first sync, the default."""
    policy = gate.snapshot().policy
    return float(policy.fever_threshold) if policy is not None else DEFAULT_FEVER


