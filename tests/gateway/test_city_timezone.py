"""The city's time zone is one setting (GatewayConfig.timezone, `--timezone`, QRGATE_TIMEZONE).

A gateway set to another zone counts today, the console's times, the city's daily report and new
sites' policies in that zone. The zone is chosen so that its date differs from Shanghai's at the
moment the test runs: each test here would fail with a zone hard-coded anywhere on its path.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import given
from hypothesis import strategies as st

from gateway.clock import local_today
from gateway.config import DEFAULT_TIMEZONE, GatewayConfig, check_timezone
from gateway.auth import create_token
from gateway.store import audit
from qrgate.app import create_app
from tests.gateway.conftest import bearer, person_body
from tests.web.web_helpers import login, svc_of
from web import labels

ROOT = Path(__file__).resolve().parents[2]
# UTC+14 and UTC−11 are 25 hours apart: at any moment one of them is on another day than Shanghai (UTC+8)
FAR_ZONES = ("Pacific/Kiritimati", "Pacific/Pago_Pago")


def other_day_zone() -> str:
    home = local_today(ZoneInfo(DEFAULT_TIMEZONE))
    return next(z for z in FAR_ZONES if local_today(ZoneInfo(z)) != home)


@pytest.fixture
def zone() -> str:
    return other_day_zone()


@pytest.fixture
async def city(aiohttp_client: Callable[..., Awaitable[TestClient]], tmp_path: Path, database_url: str | None,
               zone: str) -> TestClient:
    config = GatewayConfig.for_data_dir(tmp_path / "data", database_url=database_url, timezone=zone)
    return await aiohttp_client(create_app(config))


async def test_api_days_are_the_citys(city: TestClient, zone: str) -> None:
    admin = bearer(await create_token(svc_of(city).db, role="admin", label="t"))
    today = local_today(ZoneInfo(zone))
    # a new site's policy starts in the city's zone; one that names its own keeps it
    made = await (await city.post("/api/v1/sites", headers=admin, json={
        "code": "S1", "name": "gate", "kind": "community", "policy": {"communities": ["C1"]}})).json()
    assert made["policy"]["timezone"] == zone
    own = await (await city.post("/api/v1/sites", headers=admin, json={
        "code": "S2", "name": "gate", "kind": "community", "policy": {"timezone": "UTC"}})).json()
    assert own["policy"]["timezone"] == "UTC"
    # the health list's default day
    listed = await (await city.get("/api/v1/health/not-checked", headers=admin)).json()
    assert listed["date"] == today.isoformat()
    # ending a quarantine early ends it today, the city's today
    person = await (await city.post("/api/v1/people", headers=admin, json=person_body(
        7, origin="420100", arrived_on=(today - timedelta(days=3)).isoformat()))).json()
    ended = await (await city.post(f"/api/v1/people/{person['id']}/quarantine/end", headers=admin,
                                   json={"reason": "test"})).json()
    assert ended["quarantine"]["end"] == today.isoformat()
    # the city's report counts the city's day
    report = await (await city.get(f"/api/v1/reports/daily?date={today.isoformat()}", headers=admin)).json()
    start = datetime.combine(today, datetime.min.time(), tzinfo=ZoneInfo(zone))
    assert report["city"]["timezone"] == zone
    assert report["city"]["day_start"] == start.isoformat(timespec="seconds")
    assert {s["site"]: s["timezone"] for s in report["sites"]} == {"S1": zone, "S2": "UTC"}


async def test_console_days_and_times_are_the_citys(city: TestClient, zone: str) -> None:
    await login(city, "chief", "admin")
    today = local_today(ZoneInfo(zone)).isoformat()
    board = await (await city.get("/console/today")).text()
    assert f'<span class="nowrap">{today}</span></h1>' in board
    dash = await (await city.get("/console/dashboard")).text()
    assert re.search(rf"<h1>[^<]*· {today}", dash), dash[:2000]
    # a stored UTC time is shown in the city's zone (the login above is in the audit log)
    at = (await audit.search(svc_of(city).db.read, actor=None, action=None, target=None, after_id=0,
                             limit=1))[0].at
    page = await (await city.get("/console/audit")).text()
    shown, shanghai = labels.local(at, ZoneInfo(zone)), labels.local(at, ZoneInfo(DEFAULT_TIMEZONE))
    assert shown != shanghai and shown in page and shanghai not in page


@given(st.text(max_size=80))
def test_a_zone_is_an_iana_name_or_one_value_error(name: str) -> None:
    try:
        zone = check_timezone(name)
    except ValueError as exc:
        assert "is not a time zone" in str(exc) and "\n" not in str(exc)
        with pytest.raises(ValueError):
            GatewayConfig(timezone=name)
    else:
        assert GatewayConfig(timezone=name).tz == zone


@pytest.mark.parametrize("name", ["Asia/Shanghai", "Asia/Urumqi", "UTC"])
def test_known_zones_are_accepted(name: str) -> None:
    assert GatewayConfig(timezone=name).tz.key == name


def _qrgate(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QRGATE_")}
    return subprocess.run([sys.executable, "-m", "qrgate.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**clean, "PYTHONPATH": str(ROOT), "QRGATE_KEY_PASSPHRASE": "k", **env})


def test_the_command_line_sets_the_zone(tmp_path: Path) -> None:
    """`--timezone` and QRGATE_TIMEZONE reach the report a real `qrgate report daily` prints; the flag wins."""
    data = str(tmp_path / "data")
    assert _qrgate("init", "--data", data).returncode == 0
    for args, env, zone in ((["--timezone", "Asia/Urumqi"], {}, "Asia/Urumqi"),
                            ([], {"QRGATE_TIMEZONE": "UTC"}, "UTC"),
                            (["--timezone", "Asia/Urumqi"], {"QRGATE_TIMEZONE": "UTC"}, "Asia/Urumqi")):
        done = _qrgate("report", "daily", "--data", data, "--date", "2020-02-14", *args, **env)
        assert done.returncode == 0, done.stderr
        city = json.loads(done.stdout)["city"]
        offset = datetime(2020, 2, 14, tzinfo=ZoneInfo(zone)).isoformat()[-6:]
        assert (city["timezone"], city["day_start"]) == (zone, f"2020-02-14T00:00:00{offset}")
