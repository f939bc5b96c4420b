"""A person at a road checkpoint is counted once in the daily report: a pass shown there is an entry
of the gate's log and a checkpoint person, and the report counts the person among the checkpoint's
figures only; a plain gate scan at the same site (no checkpoint record) stays an entry. Both backends."""

from __future__ import annotations

import uuid
from typing import Any

from report_helpers import Client, Gate, by_site, make_site, report, report_csv

from gateway import idcard
from gateway.reports import CHECKPOINT_FIGURES, CSV_COLUMNS, HEALTH_FIGURES
from web.labels import report_column
from keys.chain import GENESIS, entry_hash
from tests.city import local_today

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


async def test_the_csv_has_the_checkpoint_major_event_and_health_figures(
        client: Client, tokens: dict[str, dict[str, str]]) -> None:
    admin = tokens["admin"]
    await make_site(client, admin, "CP", "checkpoint")
    await make_site(client, admin, "S1", "community", communities=["C1"])
    gate = await Gate.enrol(client, admin, "CP", "G312 checkpoint")
    gate.scan(f"{DAY}T09:00:10+08:00")
    gate.scan(f"{DAY}T09:00:20+08:00", reason="fever", temperature=38.5)
    scanned = list(gate.pending)
    await gate.upload()
    first = _record(scanned)
    gap = {**_record(scanned), "id": str(uuid.uuid4()), "seq": 3, "prev_hash": first["hash"]}
    gap["people"] = gap["people"][2:]  # one person on foot... in a car whose record 2 never came
    gap.pop("hash")
    gap["hash"] = entry_hash(gap)
    resp = await client.post("/api/v1/checkpoint/records", headers=gate.headers, json={"records": [first, gap]})
    assert resp.status == 200, await resp.text()
    assert [a["kind"] for a in (await resp.json())["alerts"]] == ["broken_chain"]

    rows = {r["site"]: r for r in await report_csv(client, admin, DAY)}
    rep = await report(client, admin, DAY)
    for code, figs in (("CP", by_site(rep)["CP"]), ("*", rep["city"])):
        row = rows[code]
        assert {k: int(row[f"checkpoint_{k}"]) for k in CHECKPOINT_FIGURES} == figs["checkpoint"]
        assert row["checkpoint_people"] == "4" and row["checkpoint_fevers"] == "1"
    assert rows["S1"]["checkpoint_people"] == ""  # no checkpoint there
    # a major event counts on the day it was reported (today), like the JSON report's list
    today = {r["site"]: r for r in await report_csv(client, admin, local_today().isoformat())}
    for code in ("CP", "*"):
        row = today[code]
        assert (row["major_events"], row["major_events_open"], row["major_events_broken_chain"]) == ("1", "1", "1")
    assert today["S1"]["major_events"] == "0"
    health = rep["health_monitoring"]
    assert [rows["*"][f"health_{k}"] for k in HEALTH_FIGURES] == [str(health[k]) for k in HEALTH_FIGURES]
    assert rows["CP"]["health_monitored"] == ""  # the city's figure, in the city row only
    for column in CSV_COLUMNS:  # every column has its words in both languages
        assert report_column(column, "zh-CN") != column and report_column(column, "en") != column, column
    assert report_column("checkpoint_people", "zh-CN") == "卡口：人员"
    assert report_column("major_events_broken_chain", "en") == "Major events: Gate log chain broken"
