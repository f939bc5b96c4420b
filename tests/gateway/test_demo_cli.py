"""The demo seeds once through the domain rules; the CLI makes tokens that work."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway import demo
from gateway.appkeys import services_key
from gateway.config import GatewayConfig
from tests.city import local_today
from keys import Reason, decide
from keys.policy import SitePolicy

from .conftest import Client, bearer


async def test_demo_seeds_once_with_the_promised_people(client: Client) -> None:
    svc = client.app[services_key]
    login = await demo.seed(svc, "http://demo")
    again = await demo.seed(svc, "http://demo")
    assert again == login  # idempotent: nothing seeded twice
    assert stat.S_IMODE(os.stat(svc.config.data_dir / demo.LOGIN_FILE).st_mode) == 0o600
    headers = bearer(login["api_token"])
    people = (await (await client.get("/api/v1/people?limit=100", headers=headers)).json())["people"]
    assert len(people) == len(demo.PEOPLE)
    by_name = {p["name"]: p for p in people}
    today = local_today()
    assert by_name["王建国"]["quarantine"]["end"] == (today + timedelta(days=11)).isoformat()
    assert by_name["李秀英"]["quarantine"]["end"] == (today - timedelta(days=1)).isoformat()
    assert by_name["陈老师"]["cleared"] and by_name["赵红"]["status"] == "red"
    visitor = by_name["访客刘"]
    assert (visitor["community"], visitor["employer"], visitor["school"]) == (None, None, None)
    sites = {s["code"]: s for s in (await (await client.get("/api/v1/sites", headers=headers)).json())["sites"]}
    assert sites["FACTORY-1"]["policy"]["open_from"].startswith("2020-02-10")
    assert sites["BUILD-1"]["policy"]["open_from"].startswith("2020-02-20")
    assert sites["SCHOOL-1"]["policy"]["require_cleared"]
    # the decisions the demo is meant to show, at the community gate and the school, now
    trust = svc.keystore.trust_set()
    now = datetime.now(UTC)

    async def qr(name: str) -> str:
        serial = by_name[name]["pass"]["serial"]
        return (await (await client.get(f"/api/v1/passes/{serial}", headers=headers)).json())["qr_text"]

    community = SitePolicy.from_json(sites["HEYUAN"]["policy"])
    school = SitePolicy.from_json(sites["SCHOOL-1"]["policy"])
    assert decide(await qr("王建国"), trust, None, community, now=now).reason is Reason.QUARANTINE
    assert decide(await qr("李秀英"), trust, None, community, now=now).reason is Reason.OK
    assert decide(await qr("赵红"), trust, None, community, now=now).reason is Reason.STATUS_RED
    assert decide(await qr("访客刘"), trust, None, community, now=now).reason is Reason.WRONG_SITE
    assert decide(await qr("陈老师"), trust, None, school, now=now, temperature=36.5).reason is Reason.OK
    assert decide(await qr("陈老师"), trust, None, school, now=now).reason is Reason.TEMPERATURE_REQUIRED
    assert decide(await qr("黄敏"), trust, None, school, now=now).reason is Reason.NOT_CLEARED


def test_token_create_cli(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "qrgate.cli", "init", "--data", str(tmp_path / "d")], check=True,
                   capture_output=True)  # token create refuses a folder without a database (issue #9)
    out = subprocess.run([sys.executable, "-m", "qrgate.cli", "token", "create", "--role", "viewer", "--scope", "city",
                          "--data", str(tmp_path / "d")], capture_output=True, text=True, check=True)
    token = out.stdout.strip()
    assert token.startswith("qgt_") and len(token) > 40
    assert (tmp_path / "d" / "keys" / "keys.json").exists()  # init made the first issuer key

    async def check() -> str:
        from gateway.auth import principal_for
        from gateway.services import open_services
        async with open_services(GatewayConfig.for_data_dir(tmp_path / "d")) as svc:
            return (await principal_for(svc.db, token)).role

    assert asyncio.run(check()) == "viewer"
    bad = subprocess.run([sys.executable, "-m", "qrgate.cli", "token", "create", "--role", "root",
                          "--data", str(tmp_path / "d")], capture_output=True, text=True)
    assert bad.returncode == 2
