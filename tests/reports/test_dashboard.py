"""The console dashboard over a known day: figures, the SVG chart, quarantine ends, silent gates."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from report_helpers import PASSWORD, Client, Gate, console_login, console_login_existing, make_site, register

from gateway import accounts
from gateway.reports import CSV_COLUMNS
from gateway.appkeys import db_key
from test_daily_report import DAY, build_day

from web.dashboard import hour_chart
from gateway.store.reports import HourRow


def _rects(svg: str) -> list[tuple[float, str]]:
    return [(float(h), fill) for h, fill in re.findall(r'<rect [^>]*height="([\d.]+)" fill="(#[0-9a-f]+)"', svg)]


async def test_the_dashboard_shows_the_day(client: Client, tokens: dict[str, Any]) -> None:
    await build_day(client, tokens["admin"], tokens["registrar"])
    await console_login(client, "boss", "admin")
    resp = await client.get(f"/console/dashboard?date={DAY}")
    assert resp.status == 200
    html = await resp.text()
    assert 'id="fig-allowed">6<' in html and 'id="fig-denied">9<' in html
    assert 'id="fig-fevers">1<' in html and 'id="fig-alerts">2<' in html and 'id="fig-zero">3/5<' in html
    assert "王**" in html and "王小明" not in html  # fever: masked name only
    svg = html[html.index('<svg id="hour-chart"'):html.index("</svg>")]
    assert len(_rects(svg)) == 48  # 24 hours × (allowed, denied)
    assert "11:00 通行 0，拒绝 1" in svg  # the fever at 11:00 (one language: zh-CN by default)
    assert "08:00 通行 2，拒绝 1" in svg
    assert re.search(r'<tr id="site-S4" class="zero">.*?零报告', html, re.S)
    zero_row = re.search(r'<tr id="site-S4".*?</tr>', html, re.S).group(0)  # type: ignore[union-attr]
    assert zero_row.count("零报告") == 1 and "zero report" not in zero_row  # written once, in one language
    assert re.search(r'<tr id="site-S1" class="to-report">', html)
    ending = html.split('id="dash-ending"')[1].split("</table>")[0]
    assert ending.count("/console/people/") == 1 and ">周*</a>" in ending and "2020-02-14" in ending

    # daily health monitoring per community; the worker's list names who was not checked
    health = html.split('id="dash-health"')[1].split("</table>")[0]
    assert re.search(r'data-community="C1">.*?>1<.*?>1<.*?>0<.*?>1<', health, re.S)
    assert re.search(r'data-community="C9">.*?>2<.*?>1<.*?warn">1<.*?>0<', health, re.S)
    missing = html.split('id="dash-not-checked"')[1].split("</table>")[0]
    assert missing.count("data-person=") == 1 and ">钱六</a>" in missing and "C9" in missing

    resp = await client.get(f"/console/dashboard.csv?date={DAY}")
    assert resp.status == 200 and resp.content_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    assert [r["场所代码"] for r in rows] == ["S1", "S2", "S3", "S4", "S5", "*"]  # headed in the worker's words
    header = list(rows[0])
    assert header[:5] == ["日期", "场所代码", "名称", "时区", "零报告"] and "拒绝：隔离中" in header
    assert "原因：体温异常：请复测并送医" in header and "警报：发热" in header and len(set(header)) == len(header)
    assert not [h for h in header if re.fullmatch(r"[a-z_]+", h)]  # no field name left raw
    assert {r["零报告"] for r in rows} <= {"是", "否"} and rows[3]["零报告"] == "是"  # S4 had nothing to report
    english = list(csv.reader(io.StringIO((await (await client.get(
        f"/console/dashboard.csv?date={DAY}&lang=en")).read()).decode("utf-8-sig"))))
    assert english[0][:5] == ["Date", "Site", "Name", "Time zone", "Zero report"] and english[4][4] == "Yes"
    fields = list(csv.DictReader(io.StringIO((await (await client.get(
        f"/console/dashboard.csv?date={DAY}&header=fields")).read()).decode("utf-8-sig"))))
    assert list(fields[0]) == CSV_COLUMNS and [r["site"] for r in fields] == ["S1", "S2", "S3", "S4", "S5", "*"]
    assert fields[3]["zero_report"] == "true"  # for programs: the API's names and values


async def test_today_quarantine_ends_and_unsynced_gates(client: Client, tokens: dict[str, Any]) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    arrived = today - timedelta(days=13)  # quarantine ends tomorrow
    await make_site(client, tokens["admin"], "D1", "community", communities=["C1"])
    quiet = await Gate.enrol(client, tokens["admin"], "D1", "quiet gate")
    await register(client, tokens["registrar"], 21, "欧阳娜娜", community="C1", origin="420100",
                   left_origin_on=(arrived - timedelta(days=1)).isoformat(), arrived_on=arrived.isoformat())
    await console_login(client, "watcher", "viewer")
    html = await (await client.get("/console/dashboard")).text()
    ending = html.split('id="dash-ending"')[1].split("</table>")[0]
    assert "欧*** " not in ending and "欧***" in ending and (today + timedelta(days=1)).isoformat() in ending
    unsynced = html.split('id="dash-unsynced"')[1].split("</table>")[0]
    assert quiet.device_id in unsynced and "从未" in unsynced
    assert 'href="/console/dashboard"' in html  # in the nav for a viewer


async def test_registrars_see_their_dashboard_and_bad_dates_are_refused(client: Client,
                                                                         tokens: dict[str, Any]) -> None:
    # the report of her own gate is a registrar's too (limited to her scope, see test_access_matrix)
    await console_login(client, "worker", "registrar")
    resp = await client.get("/console/dashboard")
    assert resp.status == 200
    assert 'href="/console/dashboard"' in await (await client.get("/console/people")).text()
    await console_login(client, "boss", "admin")
    resp = await client.get("/console/dashboard?date=2020-02-30")
    assert resp.status == 422


def test_the_chart_scales_to_round_numbers() -> None:
    chart = hour_chart([HourRow(8, "allow", 70), HourRow(8, "deny", 10), HourRow(9, "deny", 5),
                        HourRow(30, "allow", 999)], 24)  # an hour past the day is ignored
    assert chart.total == 85 and [v for _, v in chart.ticks] == [0, 20, 40, 60, 80]  # busiest hour: 80
    eight, nine = chart.bars[8], chart.bars[9]
    assert eight.allowed_h + eight.denied_h == pytest.approx(chart.base - chart.ticks[-1][0])  # full height
    assert eight.allowed_h == pytest.approx(7 * eight.denied_h) and eight.denied_y + eight.denied_h == eight.allowed_y
    assert nine.allowed_h == 0 and nine.denied_h > 0 and chart.bars[0].allowed_h == chart.bars[0].denied_h == 0
    assert hour_chart([], 23).ticks[-1][1] == 4 and len(hour_chart([], 25).bars) == 25


async def test_the_not_checked_list_is_scoped_and_masked_for_a_viewer(client: Client, tokens: dict[str, Any]) -> None:
    await build_day(client, tokens["admin"], tokens["registrar"])
    await console_login(client, "watcher", "viewer")
    html = await (await client.get(f"/console/dashboard?date={DAY}")).text()
    missing = html.split('id="dash-not-checked"')[1].split("</table>")[0]
    assert "钱*" in missing and "钱六" not in missing and "/console/people/" not in missing
    # a worker of C1 sees her community only: everyone there was checked
    await accounts.create_account(client.app[db_key], "c1worker", PASSWORD, "registrar", scope="community:C1")
    await console_login_existing(client, "c1worker")
    html = await (await client.get(f"/console/dashboard?date={DAY}")).text()
    health = html.split('id="dash-health"')[1].split("</table>")[0]
    assert 'data-community="C1"' in health and 'data-community="C9"' not in health
    missing = html.split('id="dash-not-checked"')[1].split("</table>")[0]
    assert "data-person=" not in missing and "钱" not in missing
