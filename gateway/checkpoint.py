"""Road checkpoint records from devices (directive §二 9–11): validated, idempotent on the record id.

Every vehicle is stopped and every person in it measured (每车必拦、每车必检、每人必测). A person
linked to a key area — by the vehicle's origin, their ID number's region, or the plate's province
(鄂 is Hubei) — gets a file on the spot (quarantine pending: central observation from today) and a
**hand-over** to the destination township and community; a fever gets a **referral** (own car as
isolation, or 120 to the named fever clinic). Both are worked through in the console inbox
(gateway/handovers.py). The device decides at the roadside; the gateway records what it decided and
derives the hand-overs from the facts (readings, documents, key areas), not from the device's words.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from keys import Reason
from keys.checkpoint import (DIRECTIONS, MAX_PEOPLE, ROLES, TEMPERATURE_RANGE, TRANSPORTS, VEHICLE_KINDS,
                             PlateError, normalise_plate)

from . import alerts, bindings, handovers as inbox, key_areas, major_events, passes, quarantine, registry, webhooks
from .auth import Principal
from .clock import iso, iso_ms, local_today, now
from .config import GatewayConfig
from .db import Conn
from .errors import Forbidden, InvalidInput
from .ingest import chain_problem, place
from .privacy import mask_document
from .services import Services
from .store import audit
from .store import checkpoint as store
from .store import passes as pass_store
from .store import people as people_store
from .store import sites as site_store
from .validate import (CODE, Array, Boolean, Choice, Integer, Moment, Nullable, Number, Obj, Spec, Text,
                       reject_unknown)

REASONS = tuple(r.value for r in Reason)
MAX_RECORDS = 200
T = TypeVar("T")


@dataclass(frozen=True)
class Reading(Spec):
    """A person's temperature in °C: a number a person can have, else a coded refusal."""

    def check(self, value: object, field: str) -> float:
        if value is None:
            raise InvalidInput(f"{field} is required: every person's temperature is taken (每人必测)",
                               field=field, code="temperature_required")
        low, high = TEMPERATURE_RANGE
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            raise InvalidInput(f"{field} must be a reading in °C between {low} and {high}: "
                               f"{str(value)[:20]!r} cannot be a person's temperature", field=field,
                               code="temperature_impossible")
        return float(value)

    def schema(self) -> dict[str, Any]:
        return {"type": "number", "minimum": TEMPERATURE_RANGE[0], "maximum": TEMPERATURE_RANGE[1]}


@dataclass(frozen=True)
class Plate(Spec):
    """A Chinese civil number plate (GA 36, new-energy plates too): (plate as stored, province code)."""

    def check(self, value: object, field: str) -> tuple[str, str]:
        try:
            return normalise_plate(value)  # type: ignore[arg-type]
        except PlateError as exc:
            raise InvalidInput(f"{field}: {exc}", field=field, code="bad_plate") from None

    def schema(self) -> dict[str, Any]:
        return {"type": "string", "minLength": 1, "maxLength": 30,
                "description": "a number plate: 鄂A12345, 苏E·D12345 (fullwidth, lower case and separators fold)"}


# one spelling per id (lower case, hyphenated), as a gate entry's: a twin spelling is not another record
RECORD_ID = Text(36, 36, pattern="[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", trim=False,
                 what="a UUID in its canonical form (lower case, hyphenated)")
# docs/checkpoint.md: one definition of a record's and a person's fields (the check and the schema)
PERSON = Obj({
    "role": Choice(ROLES), "name": Nullable(Text(64)),
    "serial": Nullable(Text(24, 24, pattern="[0-9a-f]{24}", what="a pass serial (24 lowercase hex) or null",
                            trim=False)),
    "document_type": Nullable(Choice(registry.DOCUMENT_TYPES)),
    "document_number": Nullable(registry.DOCUMENT_NUMBER), "resident": Nullable(Boolean()),
    "temperature": Reading(), "decision": Choice(("allow", "deny")), "reason": Choice(REASONS),
    "transport": Nullable(Choice(TRANSPORTS)), "clinic": Nullable(Text(100)),
    # the gate-log entry of the pass shown, if any: the daily report then counts the person once
    "entry_id": Nullable(RECORD_ID),
}, required=("temperature", "decision", "reason"),
    description="docs/checkpoint.md: a pass serial, else a document; a temperature always")
HASH = Text(64, 64, pattern="[0-9a-f]{64}", trim=False, what="64 lowercase hex")
CHAIN_FIELDS = ("seq", "prev_hash", "hash")  # the record's link in the device's checkpoint chain (keys/chain.py)
RECORD = Obj({
    "id": RECORD_ID, "seq": Integer(1, 2**53), "prev_hash": HASH, "hash": HASH, "recorded_at": Moment(first_year=1900), "clock_offset": Nullable(Number(-1e9, 1e9)),
    "plate": Nullable(Plate()), "vehicle_kind": Choice(VEHICLE_KINDS), "direction": Choice(DIRECTIONS),
    "origin": Nullable(registry.ORIGIN_CODE), "township": CODE, "community": CODE,
    "people": Array(PERSON, MAX_PEOPLE, 1),
}, required=("id", *CHAIN_FIELDS, "recorded_at", "vehicle_kind", "direction", "township", "community", "people"),
    description="docs/checkpoint.md: a link of the device's checkpoint chain (seq, prev_hash, hash as keys/chain.py)")
UPLOAD = Obj({"records": Array(RECORD, MAX_RECORDS, 1)}, required=("records",))
# what no schema says (a 422 naming one of these answers a schema-valid upload)
UPLOAD_RULES = (
    ("records[].recorded_at", "after its clock offset, at most an hour ahead and within the retention period"),
    ("records[].plate", "required for a vehicle and null on foot (vehicle_kind none); a GA 36 plate"),
    ("records[].origin", "a GB/T 2260 region code in use"),
    ("records[].people[].document_type", "document_type and document_number come together"),
    ("records[].people[].document_number", "document_type and document_number come together; "
                                           "a resident ID number's region, birth date and check digit (GB 11643)"),
)


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    accepted: int
    duplicates: int
    handovers: list[int]
    referrals: list[int]
    alerts: list[dict[str, Any]]


def _field(where: str, fn: Callable[[], T]) -> T:
    """Run a validator whose error names a bare field; the error then names `where.field`."""
    try:
        return fn()
    except InvalidInput as exc:
        message = exc.message.replace(exc.field, where, 1) if exc.field and exc.field in exc.message else ""
        raise InvalidInput(message if message.startswith(where) else f"{where}: {exc.message}",
                           field=where, code=exc.code) from None


def parse_person(raw: object, where: str) -> dict[str, Any]:
    if isinstance(raw, dict) and "temperature" not in raw:
        Reading().check(None, f"{where}.temperature")
    checked = PERSON.check(raw, where)
    document: tuple[str, str] | None = None
    kind, number = checked.get("document_type"), checked.get("document_number")
    if kind is not None or number is not None:
        if kind is None or number is None:
            missing = "document_type" if kind is None else "document_number"
            raise InvalidInput(f"{where}.{missing} is required with the other", field=f"{where}.{missing}")
        document = (kind, _field(f"{where}.document_number", lambda: registry.normalise_document(kind, number)))
    return {
        "role": checked.get("role", "passenger"), "name": checked.get("name"), "serial": checked.get("serial"),
        "document": document, "resident": checked.get("resident"), "temperature": checked["temperature"],
        "decision": checked["decision"], "reason": checked["reason"], "transport": checked.get("transport"),
        "clinic": checked.get("clinic"), "entry_id": checked.get("entry_id"),
    }


def parse_record(raw: object, index: int, received_at: str, *, retention_days: int) -> dict[str, Any]:
    """One record, checked whole; 422 naming `records[i].field` (people: `records[i].people[j].field`)."""
    where = f"records[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("people"), list):  # the coded temperature answers first
        for j, person in enumerate(raw["people"]):
            if isinstance(person, dict) and "temperature" not in person:
                Reading().check(None, f"{where}.people[{j}].temperature")
    if isinstance(raw, dict):
        for key in CHAIN_FIELDS:
            if raw.get(key) is None:
                raise InvalidInput(f"{where}.{key} is required: every record is a link of the device's checkpoint"
                                   " chain (docs/checkpoint.md)", field=f"{where}.{key}")
    checked = RECORD.check(raw, where)
    recorded = checked["recorded_at"]
    placed, _flag = place(recorded.timestamp(), checked.get("clock_offset"),
                          datetime.fromisoformat(received_at).timestamp(),
                          retention_days=retention_days, field=f"{where}.recorded_at")
    kind = checked["vehicle_kind"]
    plate = province = None
    if kind == "none":
        if checked.get("plate") is not None:
            raise InvalidInput(f"{where}.plate must be null for a person on foot (vehicle_kind none)",
                               field=f"{where}.plate")
    elif checked.get("plate") is None:
        raise InvalidInput(f"{where}.plate is required: every vehicle is stopped and registered",
                           field=f"{where}.plate")
    else:
        plate, province = checked["plate"]
    origin = None if checked.get("origin") is None else _field(
        f"{where}.origin", lambda: registry.normalise_origin(checked["origin"]))
    people = raw["people"]  # type: ignore[index]
    return {
        "id": checked["id"], "seq": checked["seq"], "prev_hash": checked["prev_hash"], "hash": checked["hash"],
        "chain_ok": 1, "recorded_at": raw["recorded_at"], "recorded_ts": placed,  # type: ignore[index]
        "received_at": received_at, "plate": plate, "plate_province": province, "vehicle_kind": kind,
        "direction": checked["direction"], "origin": origin,
        "township": checked["township"], "community": checked["community"],
        "people": [parse_person(p, f"{where}.people[{j}]") for j, p in enumerate(people)],
    }


def key_area_links(record: dict[str, Any], person: dict[str, Any], areas: list[quarantine.KeyArea], *,
                   today: date, days: int) -> list[str]:
    """What links this person to a key area now: `origin:CODE`, `document:CODE`, `plate:PROVINCE`."""
    def active(code_: str) -> bool:
        return quarantine.from_key_area(code_, areas, today=today, days=days)

    links = []
    if record["origin"] and active(record["origin"]):
        links.append(f"origin:{record['origin']}")
    document = person["document"]
    if document and document[0] == "resident_id" and active(document[1][:6]):
        links.append(f"document:{document[1][:6]}")
    province = record["plate_province"]
    if province and any(a.prefix[:2] == province and active(a.prefix) for a in areas):
        links.append(f"plate:{province}")
    return links


async def ingest(svc: Services, device: Principal, body: dict[str, Any]) -> CheckpointResult:
    reject_unknown(body, ("records",))
    raws = body.get("records")
    if not isinstance(raws, list) or not 1 <= len(raws) <= MAX_RECORDS:
        raise InvalidInput(f"records must be a list of 1..{MAX_RECORDS} records", field="records")
    received_at = iso_ms(now())
    records = [parse_record(raw, i, received_at, retention_days=svc.config.retention_days)
               for i, raw in enumerate(raws)]
    handovers: list[int] = []
    referrals: list[int] = []
    async with svc.db.transaction() as tx:
        await tx.serialise(f"checkpoint:{device.id}")
        current = await site_store.get_device(tx, device_id=device.id)
        if current is None or current.disabled_at is not None:
            raise Forbidden("this device has been disabled", code="device_disabled")
        site = await site_store.get_site(tx, code=current.site)
        if site is None or site.kind != "checkpoint":
            raise Forbidden("checkpoint records come from a device of a checkpoint site", code="not_a_checkpoint")
        existing = await store.existing_ids(tx, ids=[r["id"] for r in records])
        fresh: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for record, raw in zip(records, raws, strict=True):
            if record["id"] not in existing:  # stored once, however often it comes
                existing.add(record["id"])
                fresh.append((record, raw))
        fresh.sort(key=lambda pair: pair[0]["seq"])
        broken = await _check_chain(tx, device.id, fresh)
        areas = await key_areas.current(tx)
        for record, _raw in fresh:
            made = await _store_record(svc, tx, device, current.site, record, areas)
            handovers += made[0]
            referrals += made[1]
        raised = await alerts.for_checkpoint_chain(tx, svc.config, broken, device_id=device.id, site=current.site)
        await site_store.touch_device(tx, device_id=device.id, at=received_at)
    return CheckpointResult(len(fresh), len(records) - len(fresh), handovers, referrals, raised)


async def _check_chain(tx: Conn, device_id: str, fresh: list[tuple[dict[str, Any], dict[str, Any]]]
                       ) -> list[tuple[dict[str, Any], str]]:
    """The device's checkpoint chain checked exactly as its entry chain is (gateway/ingest.py): a
    record altered, dropped or replayed is stored with chain_ok 0 and named in the list returned."""
    batch_seqs = {record["seq"] for record, _ in fresh}
    wanted = sorted({record["seq"] - 1 for record, _ in fresh} | batch_seqs)
    known = await store.hashes_at(tx, device_id=device_id, seqs=wanted)
    seen_seq = {seq: hashes[0] for seq, hashes in known.items() if seq in batch_seqs}
    broken: list[tuple[dict[str, Any], str]] = []
    for record, raw in fresh:
        problem = chain_problem(record["seq"], record["prev_hash"], record["hash"], raw, known, seen_seq)
        if problem:
            record["chain_ok"] = 0
            broken.append((record, problem))
        known.setdefault(record["seq"], []).append(record["hash"])
        seen_seq.setdefault(record["seq"], record["hash"])
    return broken


async def _store_record(svc: Services, tx: Conn, device: Principal, site: str, record: dict[str, Any],
                        areas: list[quarantine.KeyArea]) -> tuple[list[int], list[int]]:
    people = record.pop("people")
    await store.insert_record(tx, values={**record, "device_id": device.id, "site": site, "people": len(people)})
    today = local_today(svc.config.tz)
    stamp = now()
    handovers: list[int] = []
    referrals: list[int] = []
    for position, person in enumerate(people, start=1):
        links = key_area_links(record, person, areas, today=today, days=svc.config.quarantine_days)
        fever = person["temperature"] >= svc.config.health_fever_threshold
        person_id = await _known_person(svc, tx, person)
        document = person["document"]
        resident = person["resident"]
        if document and document[0] == "resident_id":
            resident = document[1].startswith(svc.config.city_region_prefix)
        if links and person_id is None and document is not None:
            person_id = await _new_file(svc, tx, device, record, person, today)
        elif links and person_id is not None:
            await _quarantine_pending(svc, tx, device, person_id, record, today)
        cp_id = await store.insert_person(tx, values={
            "record_id": record["id"], "position": position, "role": person["role"], "name": person["name"],
            "serial": person["serial"], "document_type": document[0] if document else None,
            "document_enc": svc.cipher.encrypt("document", document[1]) if document else None,
            "document_hmac": svc.cipher.lookup("document", f"{document[0]}:{document[1]}") if document else None,
            "document_masked": mask_document(document[1]) if document else None,
            "resident": None if resident is None else int(resident), "temperature": person["temperature"],
            "decision": person["decision"], "reason": person["reason"], "entry_id": person["entry_id"],
            "key_area": json.dumps(links) if links else None, "fever": int(fever), "person_id": person_id})
        common = {"record_id": record["id"], "checkpoint_person_id": cp_id, "person_id": person_id,
                  "site": site, "township": record["township"], "community": record["community"],
                  "state": "open", "created_at": iso(stamp), "created_ts": stamp.timestamp(),
                  "ack_due_ts": (stamp + timedelta(minutes=svc.config.handover_ack_minutes)).timestamp(),
                  "close_due_ts": (stamp + timedelta(hours=svc.config.handover_close_hours)).timestamp()}
        if links:
            hid = await store.insert_handover(tx, values={
                **common, "kind": "handover", "basis": json.dumps({"key_area": links}),
                "transport": None, "clinic": None})
            handovers.append(hid)
            await _forward(tx, svc.config, hid)
            await audit.record(tx, device.actor, "handover.open", f"handover:{hid}", None,
                               {"kind": "handover", "community": record["community"], "links": links,
                                "person": person_id, "record": record["id"]})
        if fever:
            transport = person["transport"] or ("ambulance_120" if record["vehicle_kind"] == "none" else "own_car")
            clinic = person["clinic"] or (svc.config.fever_clinic if transport == "ambulance_120" else None)
            hid = await store.insert_handover(tx, values={
                **common, "kind": "referral", "basis": json.dumps({"temperature": person["temperature"]}),
                "transport": transport, "clinic": clinic})
            referrals.append(hid)
            await _forward(tx, svc.config, hid)
            await audit.record(tx, device.actor, "handover.open", f"handover:{hid}", None,
                               {"kind": "referral", "community": record["community"], "transport": transport,
                                "person": person_id, "record": record["id"]})
    return handovers, referrals


async def _forward(tx: Conn, config: GatewayConfig, handover_id: int) -> None:
    """Queue the new hand-over or referral for its township's webhook (sent later, never inline); a major event?"""
    row = await store.get(tx, handover_id=handover_id)
    assert row is not None
    await webhooks.enqueue(tx, row.township, handover_id, f"{row.kind}.opened", inbox.handover_json(row))
    await major_events.from_handover(tx, config, row)


async def _known_person(svc: Services, tx: Conn, person: dict[str, Any]) -> int | None:
    """The registry's file of this person: by the pass shown, else by the document."""
    if person["serial"]:
        row = await pass_store.get(tx, serial=person["serial"])
        if row is not None:
            return row.person_id
    if person["document"]:
        kind, number_ = person["document"]
        found = await people_store.by_document(tx, document_hmac=svc.cipher.lookup("document", f"{kind}:{number_}"))
        if found is not None:
            return found.id
    return None


def _quarantine_values(svc: Services, today: date) -> dict[str, Any]:
    return {"quarantine_start": today.isoformat(),
            "quarantine_end": (today + timedelta(days=svc.config.quarantine_days)).isoformat(),
            "quarantine_ended_early": 0, "quarantine_kind": "central", "quarantine_place": None}


async def _new_file(svc: Services, tx: Conn, device: Principal, record: dict[str, Any], person: dict[str, Any],
                    today: date) -> int:
    """Register on the spot: a new file, quarantine pending (central, place set at the transfer)."""
    kind, number_ = person["document"]
    stamp = iso(now())
    origin = record["origin"] or (number_[:6] if kind == "resident_id" else None)
    values: dict[str, Any] = {
        "name": person["name"] or f"卡口登记 {mask_document(number_)}", **registry.document_columns(svc, kind, number_),
        "phone_enc": None, "phone_hmac": None, "phone_masked": None, "address": None,
        "community": record["community"], "employer": None, "school": None, "origin": origin,
        "left_origin_on": None, "arrived_on": today.isoformat(), "status": "green",
        **_quarantine_values(svc, today), "created_at": stamp, "updated_at": stamp}
    person_id = await people_store.insert(tx, values=values)
    await people_store.add_status(tx, person_id=person_id, status="green", changed_at=stamp,
                                  changed_by=device.actor, reason="registered at a road checkpoint")
    await audit.record(tx, device.actor, "person.register", f"person:{person_id}", "registered at a road checkpoint",
                       {"document": values["document_masked"], "status": "green", "record": record["id"],
                        "quarantine_kind": "central"})  # pending: the hand-over takes them there
    return person_id


async def _quarantine_pending(svc: Services, tx: Conn, device: Principal, person_id: int, record: dict[str, Any],
                              today: date) -> None:
    """A known person linked to a key area and not in quarantine now: central observation from today."""
    current = await people_store.get(tx, person_id=person_id)
    if current is None or (current.quarantine_end is not None and current.quarantine_end > today.isoformat()):
        return
    values = {**_quarantine_values(svc, today), "arrived_on": today.isoformat(), "updated_at": iso(now())}
    if current.origin is None and record["origin"]:
        values["origin"] = record["origin"]
    await people_store.update(tx, person_id=person_id, values=values)
    await audit.record(tx, device.actor, "person.quarantine_start", f"person:{person_id}",
                       "linked to a key area at a road checkpoint", {"record": record["id"], "kind": "central"})
    await passes.refresh(svc, tx, person_id, device, "quarantine from a road checkpoint")
    await bindings.refresh(svc, tx, person_id, device, "quarantine from a road checkpoint")
