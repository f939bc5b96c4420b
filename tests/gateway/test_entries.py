"""Entry uploads: idempotent, chain-checked, alerts for fever, shared passes and broken chains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from gateway import retention
from keys.chain import entry_hash
from gateway.appkeys import config_key, db_key
from gateway.store.entries import runs

from .conftest import Chain, Client, bearer, enrol_device, make_site

SERIAL = "ab" * 12


async def setup_gate(client: Client, admin: dict[str, str], site: str = "S1") -> tuple[dict[str, str], Chain]:
    if (await client.get(f"/api/v1/sites/{site}", headers=admin)).status == 404:
        await make_site(client, admin, site)
    device = await enrol_device(client, admin, site)
    return bearer(device["credential"]), Chain(device["device_id"], site)


async def upload(client: Client, headers: dict[str, str], entries: list[dict[str, Any]]) -> dict[str, Any]:
    resp = await client.post("/api/v1/entries", headers=headers, json={"entries": entries})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def test_retried_batch_adds_nothing_twice(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    batch = [chain.entry(serial=SERIAL) for _ in range(5)]
    assert await upload(client, headers, batch) == {"accepted": 5, "duplicates": 0, "alerts": []}
    assert await upload(client, headers, batch) == {"accepted": 0, "duplicates": 5, "alerts": []}
    more = [chain.entry() for _ in range(2)]
    result = await upload(client, headers, batch[3:] + more)  # overlap, as a flaky network gives
    assert (result["accepted"], result["duplicates"], result["alerts"]) == (2, 2, [])
    listed = await (await client.get("/api/v1/entries?site=S1", headers=admin)).json()
    assert sorted(e["seq"] for e in listed["entries"]) == list(range(1, 8))
    assert all(e["chain_ok"] for e in listed["entries"])
    assert all(e["received_at"] and e["scanned_at"] == batch[0]["scanned_at"] for e in listed["entries"])


async def test_gap_and_broken_links_raise_alerts_but_keep_entries(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    await upload(client, headers, [chain.entry(), chain.entry()])
    chain.entry()  # seq 3 is never uploaded: a gap
    gap = chain.entry()
    result = await upload(client, headers, [gap])
    assert [(a["kind"], a["details"]["problem"]) for a in result["alerts"]] == [("broken_chain", "gap")]
    # an entry edited after hashing
    tampered = chain.entry(decision="deny", reason="status_red")
    tampered["decision"] = "allow"
    forged_link = chain.entry()
    forged_link["prev_hash"] = "f" * 64
    from keys.chain import entry_hash
    forged_link["hash"] = entry_hash(forged_link)
    result = await upload(client, headers, [tampered, forged_link])
    problems = sorted(a["details"]["problem"] for a in result["alerts"])
    assert problems == ["hash_mismatch", "prev_mismatch"] and result["accepted"] == 2
    listed = await (await client.get("/api/v1/entries", headers=admin)).json()
    flags = {e["seq"]: e["chain_ok"] for e in listed["entries"]}
    assert flags == {1: True, 2: True, 4: False, 5: False, 6: False}
    stored = await (await client.get("/api/v1/alerts?kind=broken_chain", headers=admin)).json()
    assert len(stored["alerts"]) == 3
    # a retry of the broken batch raises nothing new
    assert (await upload(client, headers, [tampered, forged_link]))["alerts"] == []


async def test_fever_alert(client: Client, admin: dict[str, str], viewer: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    result = await upload(client, headers, [chain.entry(serial=SERIAL, decision="deny", reason="fever",
                                                        temperature=38.4)])
    assert [(a["kind"], a["details"]["temperature"]) for a in result["alerts"]] == [("fever", 38.4)]
    listed = await (await client.get("/api/v1/alerts?kind=fever", headers=viewer)).json()
    assert [a["serial"] for a in listed["alerts"]] == [SERIAL]


async def test_shared_pass_alert_within_the_window(client: Client, admin: dict[str, str]) -> None:
    north, north_chain = await setup_gate(client, admin, "NORTH")
    south, south_chain = await setup_gate(client, admin, "SOUTH")
    await upload(client, north, [north_chain.entry(serial=SERIAL, scanned_at="2020-02-14T08:00:00+08:00")])
    # 40 minutes later elsewhere: outside the 30-minute window
    far = await upload(client, south, [south_chain.entry(serial=SERIAL, scanned_at="2020-02-14T08:40:00+08:00")])
    assert far["alerts"] == []
    # denied elsewhere within the window is no admission, so no alert
    denied = await upload(client, south, [south_chain.entry(serial=SERIAL, decision="deny", reason="revoked",
                                                            scanned_at="2020-02-14T00:10:00+00:00")])
    assert denied["alerts"] == []
    # 10 minutes later at another site, written with another offset: a shared pass
    near = await upload(client, south, [south_chain.entry(serial=SERIAL, scanned_at="2020-02-14T00:10:00Z")])
    assert [(a["kind"], a["details"]["other_site"]) for a in near["alerts"]] == [("shared_pass", "NORTH")]
    # a second device at the same site is not a shared pass
    north2, north2_chain = await setup_gate(client, admin, "NORTH")
    same = await upload(client, north2, [north2_chain.entry(serial=SERIAL, scanned_at="2020-02-14T08:01:00+08:00")])
    assert [a["kind"] for a in same["alerts"]] == ["shared_pass"]  # only against SOUTH's 08:10 entry
    assert same["alerts"][0]["details"]["other_site"] == "SOUTH"


async def test_the_shared_pass_window_edge_is_where_the_stored_times_put_it(client: Client,
                                                                          admin: dict[str, str]) -> None:
    """The search takes the new entries' times from the upload, not from the table (#12): the same doubles,
    so an entry at the window's very edge is in it exactly when the stored times say so."""
    north, north_chain = await setup_gate(client, admin, "NORTH")
    south, south_chain = await setup_gate(client, admin, "SOUTH")
    first = "2020-02-14T08:00:00.123+08:00"
    await upload(client, north, [north_chain.entry(serial=SERIAL, scanned_at=first)])
    start = datetime.fromisoformat(first).timestamp()
    window = 30 * 60.0
    for later in ("2020-02-14T08:30:00.123+08:00", "2020-02-14T08:30:00.124+08:00",
                  "2020-02-14T08:30:00.122+08:00", "2020-02-14T00:30:00.123Z"):
        at = datetime.fromisoformat(later).timestamp()
        within = at - window <= start <= at + window  # the SQL's BETWEEN, in the same doubles
        result = await upload(client, south, [south_chain.entry(serial=SERIAL, scanned_at=later)])
        assert [a["kind"] for a in result["alerts"]] == (["shared_pass"] if within else []), later


async def test_entries_of_another_device_are_refused(client: Client, admin: dict[str, str]) -> None:
    headers, _ = await setup_gate(client, admin)
    _, other_chain = await setup_gate(client, admin)
    resp = await client.post("/api/v1/entries", headers=headers, json={"entries": [other_chain.entry()]})
    assert resp.status == 403
    assert (await resp.json())["error"]["code"] == "wrong_device"


async def test_bad_entries_are_refused_whole_with_the_field(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    good = chain.entry()
    cases = [({**good, "seq": "1"}, "entries[1].seq"), ({**good, "scanned_at": "2020-02-14T08:00:00"},
             "entries[1].scanned_at"), ({**good, "reason": "because"}, "entries[1].reason"),
             ({**good, "serial": "XYZ"}, "entries[1].serial"), ({**good, "extra": 1}, "entries[1].extra"),
             ({**good, "id": "not-a-uuid"}, "entries[1].id"), ("text", "entries[1]"),
             # other spellings of a UUID are refused: one spelling per entry id is stored
             ({**good, "id": good["id"].upper()}, "entries[1].id"),
             ({**good, "id": "{" + good["id"] + "}"}, "entries[1].id"),
             ({**good, "id": "urn:uuid:" + good["id"]}, "entries[1].id"),
             ({**good, "id": good["id"].replace("-", "")}, "entries[1].id"),
             ({**good, "latency_ms": -1}, "entries[1].latency_ms"),
             ({**good, "latency_ms": "4"}, "entries[1].latency_ms")]
    for bad, field in cases:
        resp = await client.post("/api/v1/entries", headers=headers, json={"entries": [good, bad]})
        assert resp.status == 422, bad
        assert (await resp.json())["error"]["field"] == field
    for body in ({"entries": []}, {"entries": [good] * 1001}, {"entries": {}}, {}):
        assert (await client.post("/api/v1/entries", headers=headers, json=body)).status == 422
    # nothing of a refused batch was stored
    assert (await upload(client, headers, [good]))["accepted"] == 1


async def test_a_gate_latency_is_accepted_inside_the_chain(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    timed = [chain.entry(), chain.entry()]
    for entry in timed:  # as the scanner writes it: the latency is one of the hashed fields
        entry["latency_ms"] = 4.2
        entry["prev_hash"] = timed[0]["hash"] if entry is timed[1] else entry["prev_hash"]
        entry["hash"] = entry_hash(entry)
    result = await upload(client, headers, timed)
    assert result["accepted"] == 2 and result["alerts"] == []


async def test_retention_purges_old_entries(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    old = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    await upload(client, headers, [chain.entry(scanned_at=old), chain.entry(scanned_at=recent)])
    removed = await retention.purge(client.app[db_key], client.app[config_key])
    assert removed == 1
    listed = await (await client.get("/api/v1/entries", headers=admin)).json()
    assert [e["scanned_at"] for e in listed["entries"]] == [recent]


async def test_entry_paging(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    times = [f"2020-02-14T08:{m:02d}:00+08:00" for m in range(7)]
    await upload(client, headers, [chain.entry(scanned_at=t) for t in times])
    seen: list[str] = []
    url = "/api/v1/entries?limit=3"
    while True:
        page = await (await client.get(url, headers=admin)).json()
        seen += [e["scanned_at"] for e in page["entries"]]
        if not page["entries"]:
            break
        url = f"/api/v1/entries?limit=3&before={page['next_before']}"
    assert seen == sorted(times, reverse=True)


async def test_decision_filter_reaches_past_newer_entries(client: Client, admin: dict[str, str]) -> None:
    headers, chain = await setup_gate(client, admin)
    denied = [chain.entry(decision="deny", reason="quarantine", scanned_at=f"2020-02-14T07:0{m}:00+08:00")
              for m in range(3)]
    allowed = [chain.entry(scanned_at=f"2020-02-14T08:0{m}:00+08:00") for m in range(5)]
    await upload(client, headers, denied + allowed)
    page = await (await client.get("/api/v1/entries?decision=deny&limit=2", headers=admin)).json()
    assert [e["id"] for e in page["entries"]] == [denied[2]["id"], denied[1]["id"]]
    bad = await client.get("/api/v1/entries?decision=maybe", headers=admin)
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "decision"


@given(st.sets(st.integers(1, 60), max_size=30))
def test_runs_cover_exactly_the_seqs_asked(seqs: set[int]) -> None:
    """The chain look-up asks for runs of seqs (one index range each, #12): the same set, nothing more."""
    spans = runs(list(seqs))
    assert {n for lo, hi in spans for n in range(lo, hi + 1)} == seqs
    assert all(a[1] + 1 < b[0] for a, b in zip(spans, spans[1:]))  # separate runs, in order


async def test_a_batch_of_scattered_seqs_is_checked_against_each_stored_neighbour(
        client: Client, admin: dict[str, str]) -> None:
    """seqs 1-3 stored; a batch of 4, 6 and 9-10 (5, 7 and 8 never uploaded): 6 and 9 are gaps, 4 and
    10 link to what is stored or sent."""
    headers, chain = await setup_gate(client, admin)
    first = [chain.entry() for _ in range(3)]
    await upload(client, headers, first)
    rest = [chain.entry() for _ in range(7)]  # seqs 4..10
    result = await upload(client, headers, [rest[6], rest[0], rest[2], rest[5]])  # 10, 4, 6, 9
    assert result["accepted"] == 4
    assert sorted((a["details"]["seq"], a["details"]["problem"]) for a in result["alerts"]) == [
        (6, "gap"), (9, "gap")]


async def test_a_batch_half_stored_already_stores_the_other_half_once(client: Client, admin: dict[str, str]) -> None:
    """Another node (or an earlier try) stored the first half: the INSERT says which ids it stored (#12),
    and only those are counted, chain-checked and alerted on."""
    north, north_chain = await setup_gate(client, admin, "NORTH")
    south, south_chain = await setup_gate(client, admin, "SOUTH")
    await upload(client, north, [north_chain.entry(serial=SERIAL)])
    batch = [south_chain.entry(serial=SERIAL) for _ in range(10)]
    first = await upload(client, south, batch[:5])
    assert first["accepted"] == 5 and [a["kind"] for a in first["alerts"]] == ["shared_pass"] * 5
    whole = await upload(client, south, batch + batch[7:8])  # the whole batch, one entry twice
    assert (whole["accepted"], whole["duplicates"]) == (5, 6)
    assert sorted(a["entry_id"] for a in whole["alerts"]) == sorted(e["id"] for e in batch[5:])
    assert {a["kind"] for a in whole["alerts"]} == {"shared_pass"}
    listed = await (await client.get("/api/v1/entries?site=SOUTH", headers=admin)).json()
    assert sorted(e["seq"] for e in listed["entries"]) == list(range(1, 11))
    assert all(e["chain_ok"] for e in listed["entries"])


async def test_a_stored_id_sent_again_altered_is_no_link_for_the_next(client: Client, admin: dict[str, str]) -> None:
    """An entry reusing a stored id with other content is a duplicate, not stored; the entry after it,
    chained to the altered one, is checked against what is stored: prev_mismatch."""
    headers, chain = await setup_gate(client, admin)
    stored = [chain.entry() for _ in range(3)]
    await upload(client, headers, stored)
    altered = {**stored[2], "decision": "deny", "reason": "revoked"}
    altered["hash"] = entry_hash(altered)
    after = {**chain.entry(), "prev_hash": altered["hash"]}
    after["hash"] = entry_hash(after)
    result = await upload(client, headers, [altered, after])
    assert (result["accepted"], result["duplicates"]) == (1, 1)
    assert [(a["details"]["seq"], a["details"]["problem"]) for a in result["alerts"]] == [(4, "prev_mismatch")]
    listed = await (await client.get("/api/v1/entries", headers=admin)).json()
    assert {e["seq"]: (e["chain_ok"], e["decision"]) for e in listed["entries"]} == {
        1: (True, "allow"), 2: (True, "allow"), 3: (True, "allow"), 4: (False, "allow")}
