"""Entries are stored and reported at their corrected time (gate clock + offset) — issue #10."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.clock import now
from tests.city import local_today
from keys.chain import entry_hash

from .conftest import Chain, Client, bearer, enrol_device, make_site

CST = ZoneInfo("Asia/Shanghai")


def _entry(chain: Chain, scanned_at: str, offset: float | None) -> dict[str, Any]:
    entry = chain.entry(scanned_at=scanned_at)
    entry["clock_offset"] = offset
    entry["hash"] = entry_hash({k: v for k, v in entry.items() if k != "hash"})
    chain.prev = entry["hash"]
    return entry


async def _gate(client: Client, admin: dict[str, str]) -> tuple[Chain, dict[str, str]]:
    await make_site(client, admin, "T1", communities=["C1"])
    device = await enrol_device(client, admin, "T1")
    return Chain(device["device_id"], "T1"), bearer(device["credential"])


async def _entries(client: Client, admin: dict[str, str]) -> list[dict[str, Any]]:
    return (await (await client.get("/api/v1/entries", headers=admin)).json())["entries"]


async def test_a_gate_six_years_off_is_counted_on_the_true_day(client: Client, admin: dict[str, str]) -> None:
    chain, device = await _gate(client, admin)
    true_time = datetime.combine(local_today(), datetime.min.time(), tzinfo=CST).replace(hour=9)
    if true_time > now():
        true_time -= timedelta(days=1)
    gate_time = true_time.replace(year=2020)
    offset = true_time.timestamp() - gate_time.timestamp()  # what the gate measured at its last sync
    entry = _entry(chain, gate_time.isoformat(timespec="milliseconds"), offset)
    resp = await client.post("/api/v1/entries", headers=device, json={"entries": [entry]})
    assert resp.status == 200, await resp.text()
    stored = (await _entries(client, admin))[0]
    assert stored["scanned_at"] == entry["scanned_at"]  # the gate's raw clock is kept
    assert datetime.fromisoformat(stored["corrected_at"]) == true_time.astimezone(UTC)
    assert stored["time_flag"] is None
    today = true_time.date().isoformat()
    report = await (await client.get("/api/v1/reports/daily", headers=admin, params={"date": today})).json()
    assert report["city"]["entries"]["total"] == 1
    old = await (await client.get("/api/v1/reports/daily", headers=admin,
                                  params={"date": gate_time.date().isoformat()})).json()
    assert old["city"]["entries"]["total"] == 0


async def test_an_entry_in_the_future_is_refused_with_a_reason(client: Client, admin: dict[str, str]) -> None:
    chain, device = await _gate(client, admin)
    ahead = (now() + timedelta(days=2)).isoformat()
    for offset in (0.0, None, 3600.0 * 24):
        entry = _entry(Chain(chain.device_id, "T1"), ahead, offset)
        resp = await client.post("/api/v1/entries", headers=device, json={"entries": [entry]})
        assert resp.status == 422
        error = (await resp.json())["error"]
        assert (error["field"], error["code"]) == ("entries[0].scanned_at", "entry_in_future")
        assert "in the future" in error["message"]
    entry = _entry(Chain(chain.device_id, "T1"), "2200-01-01T00:00:00+00:00", -1e9)  # still 2168
    assert (await client.post("/api/v1/entries", headers=device, json={"entries": [entry]})).status == 422
    assert await _entries(client, admin) == []


async def test_a_gate_without_a_clock_is_kept_flagged_and_placed_at_receipt(
        client: Client, admin: dict[str, str]) -> None:
    chain, device = await _gate(client, admin)
    no_rtc = _entry(chain, "1970-01-01T00:00:05.000+00:00", None)
    recent = _entry(chain, (now() - timedelta(minutes=5)).isoformat(timespec="milliseconds"), None)
    resp = await client.post("/api/v1/entries", headers=device, json={"entries": [no_rtc, recent]})
    assert resp.status == 200 and (await resp.json())["accepted"] == 2, await resp.text()
    stored = {e["id"]: e for e in await _entries(client, admin)}
    kept = stored[no_rtc["id"]]
    assert kept["time_flag"] == "implausible" and kept["scanned_at"] == "1970-01-01T00:00:05.000+00:00"
    received = datetime.fromisoformat(kept["received_at"])
    assert abs((datetime.fromisoformat(kept["corrected_at"]) - received).total_seconds()) < 1
    assert stored[recent["id"]]["time_flag"] == "offset_unknown"
    report = await (await client.get("/api/v1/reports/daily", headers=admin,
                                     params={"date": received.astimezone(CST).date().isoformat()})).json()
    assert report["city"]["entries"]["total"] >= 1  # counted on the day it arrived, not in 1970
