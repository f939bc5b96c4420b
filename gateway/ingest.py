"""Entry uploads from devices: validated, idempotent on the entry id, hash chain checked, alerts raised."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from keys import Reason
from keys.chain import GENESIS, entry_hash
from keys.policy import DIRECTIONS

from . import alerts
from .auth import Principal
from .clock import iso_ms, now
from .errors import Forbidden, InvalidInput
from .services import Services
from .store import entries as store
from .store import sites as site_store
from .validate import aware_datetime, choice, integer, number, reject_unknown

HEX64 = re.compile(r"^[0-9a-f]{64}$")
HEX24 = re.compile(r"^[0-9a-f]{24}$")
REQUIRED = ("id", "seq", "device_id", "site", "scanned_at", "decision", "reason", "prev_hash", "hash")
OPTIONAL = ("serial", "text_hash", "temperature", "clock_offset", "direction", "latency_ms")
REASONS = tuple(r.value for r in Reason)
FUTURE_LEEWAY = 3600.0  # seconds: a corrected time further ahead than this is a broken clock


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    alerts: list[dict[str, Any]]


def _hex(value: object, field: str, pattern: re.Pattern[str], what: str, *, nullable: bool) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or not pattern.match(value):
        raise InvalidInput(f"{field} must be {what}", field=field)
    return value


def _gate_time(value: object, field: str) -> datetime:
    """The gate's clock as sent: any year from 1900 (a gate without a real-time clock says 1970)."""
    return aware_datetime(value, field, first_year=1900)


def place(gate_ts: float, offset: float | None, received_ts: float, *, retention_days: int,
          field: str) -> tuple[float, str | None]:
    """(corrected time the entry is stored and reported at, flag); refuses a time in the future."""
    corrected = gate_ts + (offset or 0.0)
    if corrected > received_ts + FUTURE_LEEWAY:
        ahead = (corrected - received_ts) / 3600
        raise InvalidInput(f"{field} is {ahead:.0f} h in the future even after the gate's clock offset:"
                           " the gate's clock is wrong; the entry stays in the gate's log",
                           field=field, code="entry_in_future")
    if offset is not None:  # measured against the gateway: trusted, however late the upload
        return corrected, None
    if corrected < received_ts - retention_days * 86400.0:
        return received_ts, "implausible"  # no offset and older than anything kept: a clock never set
    return corrected, "offset_unknown"


def parse_entry(raw: object, index: int, device: Principal, received_at: str, *,
                retention_days: int = 28) -> dict[str, Any]:
    """One entry as an `entries` row; 422/403 naming `entries[i].field` on anything wrong."""
    where = f"entries[{index}]"
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    reject_unknown(raw, REQUIRED + OPTIONAL, prefix=where + ".")
    for key in REQUIRED:
        if key not in raw:
            raise InvalidInput(f"{where}.{key} is required", field=f"{where}.{key}")
    entry_id = raw["id"]
    try:
        if not isinstance(entry_id, str) or len(entry_id) > 64:
            raise ValueError
        # one spelling per id (lower case, hyphenated): the id is under the entry's hash, so it is refused,
        # not rewritten, and "{...}", "urn:uuid:…" or upper-case twins cannot be stored as other entries
        if str(uuid.UUID(entry_id)) != entry_id:
            raise ValueError
    except ValueError:
        raise InvalidInput(f"{where}.id must be a UUID in its canonical form (lower case, hyphenated)",
                           field=f"{where}.id") from None
    if raw["device_id"] != device.id:
        raise Forbidden(f"{where}.device_id is not the calling device", field=f"{where}.device_id",
                        code="wrong_device")
    if raw["site"] != device.site:
        raise Forbidden(f"{where}.site is not the calling device's site", field=f"{where}.site",
                        code="wrong_site")
    scanned = _gate_time(raw["scanned_at"], f"{where}.scanned_at")
    if raw.get("latency_ms") is not None:  # the gate's own figure: checked, covered by the hash, not stored
        number(raw["latency_ms"], f"{where}.latency_ms", low=0.0, high=1e9)
    temperature = raw.get("temperature")
    offset = None if raw.get("clock_offset") is None else number(
        raw["clock_offset"], f"{where}.clock_offset", low=-1e9, high=1e9)
    placed, flag = place(scanned.timestamp(), offset, datetime.fromisoformat(received_at).timestamp(),
                         retention_days=retention_days, field=f"{where}.scanned_at")
    return {
        "id": entry_id,
        "device_id": device.id,
        "site": device.site,
        "seq": integer(raw["seq"], f"{where}.seq", low=1, high=2**53),
        "scanned_at": raw["scanned_at"],
        "scanned_ts": placed,
        "gate_ts": scanned.timestamp(),
        "time_flag": flag,
        "received_at": received_at,
        "serial": _hex(raw.get("serial"), f"{where}.serial", HEX24, "24 lowercase hex characters or null",
                       nullable=True),
        "text_hash": _hex(raw.get("text_hash"), f"{where}.text_hash", HEX64, "64 lowercase hex or null",
                          nullable=True),
        "decision": choice(raw["decision"], f"{where}.decision", ("allow", "deny")),
        "reason": choice(raw["reason"], f"{where}.reason", REASONS),
        # any finite reading is kept: a gate's odd value is evidence, not a reason to lose the entry
        "temperature": None if temperature is None else number(temperature, f"{where}.temperature",
                                                                low=-100.0, high=200.0),
        "clock_offset": offset,
        "direction": None if raw.get("direction") is None else choice(
            raw["direction"], f"{where}.direction", DIRECTIONS),
        "prev_hash": _hex(raw["prev_hash"], f"{where}.prev_hash", HEX64, "64 lowercase hex", nullable=False),
        "hash": _hex(raw["hash"], f"{where}.hash", HEX64, "64 lowercase hex", nullable=False),
        "chain_ok": 1,
    }


def _chain_problem(row: dict[str, Any], raw: Mapping[str, Any], known: dict[int, list[str]],
                   seen_seq: dict[int, str]) -> str | None:
    if entry_hash(raw) != row["hash"]:
        return "hash_mismatch"
    seq = row["seq"]
    if seq in seen_seq and seen_seq[seq] != row["hash"]:
        return "seq_reused"
    if seq == 1:
        return None if row["prev_hash"] == GENESIS else "prev_mismatch"
    previous = known.get(seq - 1)
    if not previous:
        return "gap"
    return None if row["prev_hash"] in previous else "prev_mismatch"


async def ingest(svc: Services, device: Principal, body: dict[str, Any]) -> IngestResult:
    reject_unknown(body, ("entries",))
    raws = body.get("entries")
    limit = svc.config.max_entries_per_batch
    if not isinstance(raws, list) or not 1 <= len(raws) <= limit:
        raise InvalidInput(f"entries must be a list of 1..{limit} entries", field="entries")
    received_at = iso_ms(now())
    rows = [parse_entry(raw, i, device, received_at, retention_days=svc.config.retention_days)
            for i, raw in enumerate(raws)]
    async with svc.db.transaction() as tx:
        await tx.serialise(f"entries:{device.id}")  # one batch of a device at a time, on any node
        current = await site_store.get_device(tx, device_id=device.id)
        if current is None or current.disabled_at is not None:  # disabled while the batch was in flight
            raise Forbidden("this device has been disabled", code="device_disabled")
        existing = await store.existing_ids(tx, ids=[r["id"] for r in rows])
        fresh: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
        seen_ids = set(existing)
        for row, raw in zip(rows, raws, strict=True):
            if row["id"] not in seen_ids:
                seen_ids.add(row["id"])
                fresh.append((row, raw))
        fresh.sort(key=lambda pair: pair[0]["seq"])
        batch_seqs = {row["seq"] for row, _ in fresh}
        wanted = sorted({row["seq"] - 1 for row, _ in fresh} | batch_seqs)
        known = await store.hashes_at(tx, device_id=device.id, seqs=wanted)
        seen_seq = {seq: hashes[0] for seq, hashes in known.items() if seq in batch_seqs}
        broken: list[tuple[dict[str, Any], str]] = []
        for row, raw in fresh:
            problem = _chain_problem(row, raw, known, seen_seq)
            if problem:
                row["chain_ok"] = 0
                broken.append((row, problem))
            known.setdefault(row["seq"], []).append(row["hash"])
            seen_seq.setdefault(row["seq"], row["hash"])
        await store.insert_many(tx, rows=[row for row, _ in fresh])
        raised = await alerts.for_entries(tx, svc.config, [row for row, _ in fresh], broken)
        await site_store.touch_device(tx, device_id=device.id, at=received_at)
    return IngestResult(len(fresh), len(rows) - len(fresh), raised)
