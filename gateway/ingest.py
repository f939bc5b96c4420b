"""Entry uploads from devices: validated, idempotent on the entry id, hash chain checked, alerts raised."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from keys.chain import GENESIS, entry_hash
from keys.entry import Entry, EntryError

from . import alerts
from .auth import Principal
from .clock import iso_ms, now
from .errors import Forbidden, InvalidInput
from .services import Services
from .store import entries as store
from .store import sites as site_store
from .config import GatewayConfig
from .store.entries import Received
from .validate import Array, Free, Obj, reject_unknown

HEX24 = re.compile(r"^[0-9a-f]{24}$")  # a pass serial (gateway/checkpoint.py)
# the upload's body for the OpenAPI document: each entry is keys.entry's own schema (the component Entry,
# keys.entry.json_schema(), which from_json's tests keep exact); the list's bounds are checked below
UPLOAD = Obj({"entries": Array(Free({"$ref": "#/components/schemas/Entry"}), GatewayConfig.max_entries_per_batch,
                               1)}, required=("entries",))
UPLOAD_RULES = (("entries", "an entry's scanned_at, after its clock offset, is at most an hour ahead "
                            "(entry_in_future)"),)
FUTURE_LEEWAY = 3600.0  # seconds: a corrected time further ahead than this is a broken clock


@dataclass(frozen=True, slots=True)
class IngestResult:
    accepted: int
    duplicates: int
    alerts: list[dict[str, Any]]


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
                retention_days: int = 28, received_ts: float | None = None) -> Received:
    """One uploaded entry (keys/entry.py) and where it is counted; 422/403 naming `entries[i].field`.

    `received_ts`: `received_at` as a timestamp, read once per batch by the caller (else here)."""
    where = f"entries[{index}]"
    try:
        entry = Entry.from_json(raw)
    except EntryError as exc:
        path, sentence = exc.at(where)
        raise InvalidInput(sentence, field=path) from None
    if entry.device_id != device.id:
        raise Forbidden(f"{where}.device_id is not the calling device", field=f"{where}.device_id",
                        code="wrong_device")
    if entry.site != device.site:
        raise Forbidden(f"{where}.site is not the calling device's site", field=f"{where}.site",
                        code="wrong_site")
    gate_ts = entry.gate_time.timestamp()
    if received_ts is None:
        received_ts = datetime.fromisoformat(received_at).timestamp()
    placed, flag = place(gate_ts, entry.clock_offset, received_ts, retention_days=retention_days,
                         field=f"{where}.scanned_at")
    return Received(entry, scanned_ts=placed, gate_ts=gate_ts, time_flag=flag, received_at=received_at)


def chain_problem(seq: int, prev_hash: str, hash_: str, raw: Mapping[str, Any], known: dict[int, list[str]],
                  seen_seq: dict[int, str]) -> str | None:
    """What breaks a per-device chain at this link (hash_mismatch, seq_reused, gap, prev_mismatch), or None.

    The one check of both chains a device keeps: its entries and its checkpoint records (gateway/checkpoint.py)."""
    # the bytes the gate sent: its JSON form is to_json() for every form a gate writes (keys/entry.py),
    # and the hash is checked over what arrived all the same
    if entry_hash(raw) != hash_:
        return "hash_mismatch"
    if seq in seen_seq and seen_seq[seq] != hash_:
        return "seq_reused"
    if seq == 1:
        return None if prev_hash == GENESIS else "prev_mismatch"
    previous = known.get(seq - 1)
    if not previous:
        return "gap"
    return None if prev_hash in previous else "prev_mismatch"


async def ingest(svc: Services, device: Principal, body: dict[str, Any]) -> IngestResult:
    reject_unknown(body, ("entries",))
    raws = body.get("entries")
    limit = svc.config.max_entries_per_batch
    if not isinstance(raws, list) or not 1 <= len(raws) <= limit:
        raise InvalidInput(f"entries must be a list of 1..{limit} entries", field="entries")
    received_at = iso_ms(now())
    received_ts = datetime.fromisoformat(received_at).timestamp()
    parsed = [parse_entry(raw, i, device, received_at, retention_days=svc.config.retention_days,
                          received_ts=received_ts) for i, raw in enumerate(raws)]
    async with svc.db.transaction() as tx:
        await tx.serialise(f"entries:{device.id}")  # one batch of a device at a time, on any node
        current = await site_store.get_device(tx, device_id=device.id)
        if current is None or current.disabled_at is not None:  # disabled while the batch was in flight
            raise Forbidden("this device has been disabled", code="device_disabled")
        unique: list[tuple[Received, Mapping[str, Any]]] = []  # each id once (its first occurrence)
        seen_ids: set[str] = set()
        for received, raw in zip(parsed, raws, strict=True):
            if received.entry.id not in seen_ids:
                seen_ids.add(received.entry.id)
                unique.append((received, raw))
        unique.sort(key=lambda pair: pair[0].entry.seq)  # chain order (stable: a reused seq keeps its order)
        # the stored hashes at every seq of the batch and the one before each, read before the insert:
        # a superset of what the fresh entries' links need
        known = await store.hashes_at(tx, device_id=device.id,
                                      seqs=[s for r, _ in unique for s in (r.entry.seq - 1, r.entry.seq)])
        # stored with chain_ok set; the ids the INSERT stored are the fresh ones (a retry, or another node,
        # stored the rest), and only their links are checked, as if nothing else had come
        new_ids = await store.insert_new(tx, entries=[r for r, _ in unique])
        fresh = [(r, raw) for r, raw in unique if r.entry.id in new_ids]
        batch_seqs = {r.entry.seq for r, _ in fresh}
        seen_seq = {seq: hashes[0] for seq, hashes in known.items() if seq in batch_seqs}
        stored: list[Received] = []
        broken: list[tuple[Received, str]] = []
        for received, raw in fresh:
            entry = received.entry
            problem = chain_problem(entry.seq, entry.prev_hash, entry.hash, raw, known, seen_seq)
            if problem:
                received = replace(received, chain_ok=False)
                broken.append((received, problem))
            stored.append(received)
            known.setdefault(entry.seq, []).append(entry.hash)
            seen_seq.setdefault(entry.seq, entry.hash)
        if broken:  # rare: a tampered, missing or replayed link
            await store.mark_broken(tx, ids=[r.entry.id for r, _ in broken])
        raised = await alerts.for_entries(tx, svc.config, stored, broken)
        await site_store.touch_device(tx, device_id=device.id, at=received_at)
    return IngestResult(len(stored), len(parsed) - len(stored), raised)
