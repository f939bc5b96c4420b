"""SQL for road checkpoints: records, the people in them, and their hand-overs and referrals."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from ..db import Conn
from .sqlparts import in_list


@dataclass(frozen=True, slots=True)
class HandoverRow:
    id: int
    kind: str
    record_id: str
    checkpoint_person_id: int
    person_id: int | None
    site: str
    township: str
    community: str
    basis: str
    transport: str | None
    clinic: str | None
    state: str
    created_at: str
    created_ts: float
    ack_due_ts: float
    close_due_ts: float
    acknowledged_at: str | None
    acknowledged_by: str | None
    transferred_at: str | None
    transferred_by: str | None
    place: str | None
    closed_at: str | None
    closed_by: str | None
    note: str | None
    # from the record and the person at the checkpoint
    plate: str | None = None
    vehicle_kind: str | None = None
    origin: str | None = None
    recorded_at: str | None = None
    name: str | None = None
    document_masked: str | None = None
    temperature: float | None = None


_H = ", ".join(f"h.{f.name}" for f in fields(HandoverRow)[:24])
# a person who showed a pass is named from their file
_SELECT = (f"SELECT {_H}, r.plate, r.vehicle_kind, r.origin, r.recorded_at, COALESCE(p.name, f.name),"
           " COALESCE(p.document_masked, f.document_masked), p.temperature FROM handovers h"
           " JOIN checkpoint_records r ON r.id = h.record_id JOIN checkpoint_people p ON p.id = h.checkpoint_person_id"
           " LEFT JOIN people f ON f.id = h.person_id")


async def existing_ids(conn: Conn, *, ids: list[str]) -> set[str]:
    rows = await conn.fetch_all(f"SELECT id FROM checkpoint_records WHERE id IN {conn.json_list(':ids')}",
                                {"ids": json.dumps(ids)})
    return {r[0] for r in rows}


async def hashes_at(conn: Conn, *, device_id: str, seqs: list[int]) -> dict[int, list[str]]:
    """Stored hashes by seq of one device's checkpoint chain (a seq repeats only on a broken chain)."""
    found: dict[int, list[str]] = {}
    for seq, hash_ in await conn.fetch_all(
            "SELECT seq, hash FROM checkpoint_records WHERE device_id = :d"
            f" AND seq IN {conn.json_list(':seqs', 'BIGINT')}",
            {"d": device_id, "seqs": json.dumps(seqs)}):
        found.setdefault(int(seq), []).append(hash_)
    return found


async def insert_record(conn: Conn, *, values: dict[str, Any]) -> None:
    names = list(values)
    await conn.execute(f"INSERT INTO checkpoint_records ({', '.join(names)})"
                       f" VALUES ({', '.join(':' + n for n in names)})", values)


async def insert_person(conn: Conn, *, values: dict[str, Any]) -> int:
    names = list(values)
    return int(await conn.returning(f"INSERT INTO checkpoint_people ({', '.join(names)})"
                                    f" VALUES ({', '.join(':' + n for n in names)}) RETURNING id", values))


async def insert_handover(conn: Conn, *, values: dict[str, Any]) -> int:
    names = list(values)
    return int(await conn.returning(f"INSERT INTO handovers ({', '.join(names)})"
                                    f" VALUES ({', '.join(':' + n for n in names)}) RETURNING id", values))


async def get(conn: Conn, *, handover_id: int) -> HandoverRow | None:
    row = await conn.fetch_one(f"{_SELECT} WHERE h.id = :id", {"id": handover_id})
    return None if row is None else HandoverRow(*row)


async def search(conn: Conn, *, communities: list[str] | None, kind: str | None, state: str | None,
                 open_only: bool, after_id: int, limit: int) -> list[HandoverRow]:
    """`communities`: only hand-overs to these (a caller's scope); None for every community."""
    params: dict[str, Any] = {"kind": kind, "state": state, "after": after_id, "limit": limit}
    within = "1 = 1" if communities is None else in_list("h.community", communities, "cm", params)
    still = "h.state <> 'closed'" if open_only else "1 = 1"
    rows = await conn.fetch_all(
        f"{_SELECT} WHERE {within} AND {still} AND (:kind IS NULL OR h.kind = :kind)"
        " AND (:state IS NULL OR h.state = :state) AND h.id > :after ORDER BY h.id LIMIT :limit", params)
    return [HandoverRow(*r) for r in rows]


async def step(conn: Conn, *, handover_id: int, from_states: tuple[str, ...], values: dict[str, Any]) -> bool:
    """Move a hand-over on, only from one of `from_states`; False when it was elsewhere (a race lost)."""
    params: dict[str, Any] = {**values, "id": handover_id}
    sets = ", ".join(f"{k} = :{k}" for k in values)
    states = in_list("state", from_states, "st", params)
    result = await conn.execute(f"UPDATE handovers SET {sets} WHERE id = :id AND {states}", params)
    return result.rowcount == 1


async def counts_between(conn: Conn, *, start_ts: float, end_ts: float,
                         sites: list[str] | None) -> dict[str, int]:
    """What a day at the checkpoints gave: vehicles, people, denials, fevers, hand-overs, referrals."""
    params: dict[str, Any] = {"a": start_ts, "b": end_ts}
    within = "1 = 1" if sites is None else in_list("r.site", sites, "sc", params)
    row = await conn.fetch_one(
        "SELECT COUNT(DISTINCT CASE WHEN r.vehicle_kind <> 'none' THEN r.id END), COUNT(p.id),"
        " COALESCE(SUM(CASE WHEN p.decision = 'deny' THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(CASE WHEN p.reason = 'no_document' THEN 1 ELSE 0 END), 0),"
        " COALESCE(SUM(p.fever), 0),"
        " COALESCE(SUM(CASE WHEN p.key_area IS NOT NULL THEN 1 ELSE 0 END), 0)"
        " FROM checkpoint_records r LEFT JOIN checkpoint_people p ON p.record_id = r.id"
        f" WHERE r.recorded_ts >= :a AND r.recorded_ts < :b AND {within}", params)
    params2: dict[str, Any] = {"a": start_ts, "b": end_ts}
    within2 = "1 = 1" if sites is None else in_list("site", sites, "sc", params2)
    kinds = {r[0]: int(r[1]) for r in await conn.fetch_all(
        "SELECT kind, COUNT(*) FROM handovers WHERE created_ts >= :a AND created_ts < :b"
        f" AND {within2} GROUP BY kind", params2)}
    assert row is not None
    return {"vehicles": int(row[0]), "people": int(row[1]), "denied": int(row[2]), "no_document": int(row[3]),
            "fevers": int(row[4]), "key_area_people": int(row[5]), "handovers": kinds.get("handover", 0),
            "referrals": kinds.get("referral", 0)}


async def redact_before(conn: Conn, *, before_ts: float) -> int:
    """Drop the names and document numbers of people stopped before `before_ts` whose hand-overs are
    all closed (or who had none): the counts stay, the personal data goes."""
    result = await conn.execute(
        "UPDATE checkpoint_people SET name = NULL, document_enc = NULL, document_hmac = NULL"
        " WHERE (document_enc IS NOT NULL OR name IS NOT NULL)"
        " AND record_id IN (SELECT id FROM checkpoint_records WHERE recorded_ts < :b)"
        " AND NOT EXISTS (SELECT 1 FROM handovers h WHERE h.checkpoint_person_id = checkpoint_people.id"
        " AND h.state <> 'closed')", {"b": before_ts})
    return result.rowcount
