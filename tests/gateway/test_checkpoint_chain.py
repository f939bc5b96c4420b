"""Checkpoint records are a tamper-evident chain per device, checked at ingest exactly as a gate's
entries are: a dropped, altered or replayed record is stored flagged, with a broken_chain alert and
major event; a record is stored once however often it comes. Both backends."""

from __future__ import annotations

from typing import Any

from gateway.appkeys import db_key

from .checkpoint_helpers import HUBEI_ID, R, RecordChain, chain_of, checkpoint_world, person, record, upload
from .conftest import Client


async def _stored(client: Client) -> list[tuple[Any, ...]]:
    return list(await client.app[db_key].read.fetch_all(
        "SELECT seq, chain_ok, id FROM checkpoint_records ORDER BY seq, id"))


async def _broken_events(client: Client, admin: dict[str, str]) -> list[dict[str, Any]]:
    events = (await (await client.get(f"{R}/major-events", headers=admin)).json())["major_events"]
    return [e for e in events if e["rule"] == "broken_chain"]


async def test_an_intact_chain_verifies(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    cars = [record([person()]) for _ in range(3)]
    first = await (await upload(client, device, *cars[:2])).json()
    second = await (await upload(client, device, cars[2])).json()  # the next batch links to the stored one
    assert (first["accepted"], first["alerts"], second["accepted"], second["alerts"]) == (2, [], 1, [])
    assert [(seq, ok) for seq, ok, _ in await _stored(client)] == [(1, 1), (2, 1), (3, 1)]
    assert await _broken_events(client, admin) == []


async def test_a_dropped_record_is_a_gap(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    chain = chain_of(device)
    one, dropped, three = (chain.link(record([person()])) for _ in range(3))
    answer = await (await upload(client, device, one, three)).json()  # record 2 never arrives
    assert answer["accepted"] == 2
    [alert] = answer["alerts"]
    assert (alert["kind"], alert["details"]) == ("broken_chain", {"log": "checkpoint", "record": three["id"],
                                                                  "seq": 3, "problem": "gap"})
    assert [(seq, ok) for seq, ok, _ in await _stored(client)] == [(1, 1), (3, 0)]  # kept, flagged
    [event] = await _broken_events(client, admin)
    assert event["site"] == "CP-G312" and event["details"]["record"] == three["id"]
    assert dropped["seq"] == 2


async def test_an_altered_record_is_detected(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    chain = chain_of(device)
    one = chain.link(record([person()]))
    two = chain.link(record([person(38.9, decision="deny", reason="fever")]))
    two["people"][0].update(temperature=36.5, decision="allow", reason="ok")  # the fever edited away
    answer = await (await upload(client, device, one, two)).json()
    assert [(a["kind"], a["details"]["problem"], a["details"]["seq"]) for a in answer["alerts"]] == \
        [("broken_chain", "hash_mismatch", 2)]
    assert len(await _broken_events(client, admin)) == 1
    # a forged link after it: the prev_hash of a record the gateway never had
    forged = RecordChain()
    forged.seq, forged.prev = 2, "f" * 64
    answer = await (await upload(client, device, forged.link(record([person()])))).json()
    assert [a["details"]["problem"] for a in answer["alerts"]] == ["prev_mismatch"]
    # a replayed seq with other contents
    replay = RecordChain()
    replay.seq, replay.prev = 0, "0" * 64
    answer = await (await upload(client, device, replay.link(record([person()])))).json()
    assert [a["details"]["problem"] for a in answer["alerts"]] == ["seq_reused"]


async def test_a_record_is_stored_once(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    car = record([person(document_type="resident_id", document_number=HUBEI_ID)])
    first = await (await upload(client, device, car)).json()
    again = await (await upload(client, device, car, car)).json()  # a retry, and the record twice in it
    assert (first["accepted"], len(first["handovers"])) == (1, 1)
    assert (again["accepted"], again["duplicates"], again["handovers"], again["alerts"]) == (0, 2, [], [])
    assert len(await _stored(client)) == 1
    count = await client.app[db_key].read.fetch_value("SELECT COUNT(*) FROM handovers")
    assert count == 1


async def test_a_record_outside_the_chain_is_refused(client: Client, admin: dict[str, str]) -> None:
    device = await checkpoint_world(client, admin)
    bare = {**record([person()]), "hash": None}
    resp = await client.post(f"{R}/checkpoint/records", headers=device, json={"records": [bare]})
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["field"] == "records[0].seq" and "chain" in error["message"]
