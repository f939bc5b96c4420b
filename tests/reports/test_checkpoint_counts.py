"""A person at a road checkpoint is counted once in the daily report: a pass shown there is an entry
of the gate's log and a checkpoint person, and the report counts the person among the checkpoint's
figures only; a plain gate scan at the same site (no checkpoint record) stays an entry. Both backends."""

from __future__ import annotations

import uuid
from typing import Any

from report_helpers import Client, Gate, by_site, make_site, report

from gateway import idcard
from keys.chain import GENESIS, entry_hash

DAY = "2020-02-14"


def _record(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The checkpoint scanner's record of one car: two people with a pass (their entries named), one with an ID card."""
    people = [{"role": "driver", "serial": entries[0]["serial"], "entry_id": entries[0]["id"], "temperature": 36.5,
               "decision": "allow", "reason": "ok"},
              {"role": "passenger", "serial": entries[1]["serial"], "entry_id": entries[1]["id"], "temperature": 38.5,
               "decision": "deny", "reason": "fever"},
              {"role": "passenger", "document_type": "resident_id", "document_number": idcard.make("32058319800101123"),
               "temperature": 36.6, "decision": "allow", "reason": "ok"}]
    rec: dict[str, Any] = {"id": str(uuid.uuid4()), "seq": 1, "prev_hash": GENESIS,
                           "recorded_at": f"{DAY}T09:00:30+08:00", "clock_offset": 0.2, "plate": "苏E12345",
                           "vehicle_kind": "car", "direction": "in", "origin": None, "township": "T1",
                           "community": "C1", "people": people}
    rec["hash"] = entry_hash(rec)
    return rec


async def test_a_checkpoint_person_is_counted_once(client: Client, tokens: dict[str, dict[str, str]]) -> None:
    admin = tokens["admin"]
    await make_site(client, admin, "CP", "checkpoint")
    gate = await Gate.enrol(client, admin, "CP", "G312 checkpoint")
    gate.scan(f"{DAY}T09:00:10+08:00")                                   # the driver's pass
    gate.scan(f"{DAY}T09:00:20+08:00", reason="fever", temperature=38.5)  # a passenger's pass, fever
    gate.scan(f"{DAY}T11:00:00+08:00")  # a pass scanned by the plain gate mode: no checkpoint record
    scanned = list(gate.pending)
    await gate.upload()
    resp = await client.post("/api/v1/checkpoint/records", headers=gate.headers, json={"records": [_record(scanned)]})
    assert resp.status == 200, await resp.text()

    rep = await report(client, admin, DAY)
    for figs in (by_site(rep)["CP"], rep["city"]):
        assert figs["checkpoint"]["people"] == 3 and figs["checkpoint"]["fevers"] == 1
        assert figs["checkpoint"]["denied"] == 1
        # only the plain scan is an entry; the two passes shown at the checkpoint are its people
        assert (figs["entries"]["total"], figs["entries"]["allowed"], figs["entries"]["denied"]) == (1, 1, 0)
        assert figs["fevers"] == [] and figs["temperatures"]["taken"] == 1
        assert figs["directions"]["in"] + figs["directions"]["both"] == 1
        assert "发热 0 人次" in figs["summary"]["zh"] and "发热 1 人" in figs["summary"]["zh"]
