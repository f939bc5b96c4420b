"""Today and yesterday by the real clock: silent gates, new registrations, late uploads, bad requests."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from report_helpers import Client, Gate, by_site, make_site, register, report

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def _clear_of_midnight() -> datetime:
    """Now in Shanghai, at least a minute before midnight, so that the test stays within one day."""
    now = datetime.now(SHANGHAI)
    midnight = datetime.combine(now.date() + timedelta(days=1), time(0), tzinfo=SHANGHAI)
    if (midnight - now).total_seconds() < 60:
        await asyncio.sleep((midnight - now).total_seconds() + 1)
        now = datetime.now(SHANGHAI)
    return now


async def test_silent_gates_new_people_and_late_entries_by_the_real_clock(client: Client,
                                                                          tokens: dict[str, Any]) -> None:
    now = await _clear_of_midnight()
    today, yesterday = now.date(), now.date() - timedelta(days=1)
    admin = tokens["admin"]
    await make_site(client, admin, "T1", "community", communities=["C1"])
    await make_site(client, admin, "T2", "checkpoint")
    busy = await Gate.enrol(client, admin, "T1", "busy gate")
    quiet = await Gate.enrol(client, admin, "T1", "quiet gate")  # enrolled, never heard from again
    fetcher = await Gate.enrol(client, admin, "T2", "bundle only")
    await fetcher.sync()  # a gate that only fetched its bundle did sync
    await register(client, tokens["registrar"], 11, "陈一", community="C1")
    await register(client, tokens["registrar"], 12, "陈二", community="C7")

    busy.scan(f"{yesterday.isoformat()}T23:59:00+08:00")
    busy.scan(f"{today.isoformat()}T00:01:00+08:00")
    await busy.upload()

    rep = await report(client, admin, today.isoformat())
    t1, t2 = by_site(rep)["T1"], by_site(rep)["T2"]
    assert t1["entries"] == {"total": 1, "allowed": 1, "denied": 0, "late_uploads": 0}
    assert [d["device_id"] for d in t1["silent_devices"]] == [quiet.device_id]
    assert t1["silent_devices"][0] == {"device_id": quiet.device_id, "site": "T1", "name": "quiet gate",
                                       "last_seen_at": None, "update_problem": None}
    assert t2["silent_devices"] == []
    assert t1["people"]["newly_registered"] == 1 and rep["city"]["people"]["newly_registered"] == 2
    # nothing abnormal, but a silent gate is said out loud
    assert t1["zero_report"] is True
    assert t1["summary"]["zh"] == "无异常情况（零报告）；1 台设备当日未同步，数据可能不全"
    assert t2["summary"]["zh"] == "无异常情况（零报告）"
    assert rep["city"]["silent_devices"] == t1["silent_devices"]
    # today is not over: nothing is remembered yet, so nothing can have changed
    assert t1["first_produced"] is None and t1["changed_since_first_produced"] is False

    late = by_site(await report(client, admin, yesterday.isoformat()))["T1"]
    assert late["entries"] == {"total": 1, "allowed": 1, "denied": 0, "late_uploads": 1}
    assert late["silent_devices"] == []  # enrolled today: not yet in service yesterday


@pytest.mark.parametrize(("query", "status", "field"), [
    ({}, 422, "date"),
    ({"date": "2020-02-30"}, 422, "date"),
    ({"date": "14/02/2020"}, 422, "date"),
    ({"date": "1066-10-14"}, 422, "date"),
    ({"date": "2020-02-14", "format": "xml"}, 422, "format"),
    ({"date": "2020-02-14", "site": ""}, 422, "site"),
    ({"date": "2020-02-14", "site": "x" * 65}, 422, "site"),
    ({"date": "2020-02-14", "site": "NOPE"}, 404, "site"),
])
async def test_bad_requests_get_a_clear_error(client: Client, tokens: dict[str, Any], query: dict[str, str],
                                              status: int, field: str) -> None:
    resp = await client.get("/api/v1/reports/daily", headers=tokens["viewer"], params=query)
    assert resp.status == status
    assert (await resp.json())["error"]["field"] == field


async def test_every_role_reads_reports_within_its_scope(client: Client, tokens: dict[str, Any]) -> None:
    assert (await client.get("/api/v1/reports/daily?date=2020-02-14")).status == 401
    for role in ("admin", "registrar", "viewer"):  # city-wide tokens; scoped ones: test_access_matrix
        resp = await client.get("/api/v1/reports/daily?date=2020-02-14", headers=tokens[role])
        assert resp.status == 200
        assert (await resp.json())["sites"] == []  # no site yet: an empty, valid report
