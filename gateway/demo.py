"""`qrgate demo`: seed demo data once (through the same domain functions as the API), then serve."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from . import accounts, auth, guardianships, passes, registry, schools, sites, startup
from .app import AppFactory
from .auth import Principal
from .clock import local_today
from .commands import serve_on
from .config import GatewayConfig
from .idcard import make
from .services import Services, open_services
from .store import sites as site_store

DEMO = Principal("cli", "demo", auth.ADMIN, "demo")
LOGIN_FILE = "demo-login.json"
SITES: list[dict[str, Any]] = [
    {"code": "HEYUAN", "name": "和园小区 north gate", "kind": "community",
     "policy": {"communities": ["C-HEYUAN"]}},
    {"code": "FACTORY-1", "name": "东方精密 factory", "kind": "factory",
     "policy": {"employers": ["E-DONGFANG"], "open_from": "2020-02-10"}},
    {"code": "BUILD-1", "name": "地铁5号线 construction site", "kind": "construction_site",
     "policy": {"employers": ["E-METRO5"], "open_from": "2020-02-20"}},
    {"code": "SCHOOL-1", "name": "实验小学", "kind": "school",
     "policy": {"schools": ["S-SHIYAN"], "require_cleared": True}},
    {"code": "CHECKPOINT-1", "name": "G312 road checkpoint", "kind": "checkpoint", "policy": {}},
]
# (name, community, employer, school, origin, days since arrival, status, cleared)
PEOPLE: list[tuple[str, str | None, str | None, str | None, str | None, int | None, str, bool]] = [
    ("王建国", "C-HEYUAN", None, None, "420100", 3, "green", False),     # Hubei returnee, day 3 of 14
    ("李秀英", "C-HEYUAN", None, None, "420500", 15, "green", False),    # 14 days ended yesterday
    ("陈老师", "C-HEYUAN", None, "S-SHIYAN", "421000", 20, "green", True),  # teacher, cleared
    ("赵红", "C-HEYUAN", None, None, None, None, "red", False),          # red status
    ("访客刘", None, None, None, None, None, "green", False),             # visitor, no affiliation
    ("张伟", "C-HEYUAN", "E-DONGFANG", None, None, None, "green", False),
    ("王芳", "C-HEYUAN", "E-DONGFANG", None, None, None, "green", False),
    ("李娜", "C-HEYUAN", None, None, "110101", 5, "green", False),
    ("刘洋", "C-HEYUAN", "E-METRO5", None, None, None, "green", False),
    ("陈静", "C-HEYUAN", "E-METRO5", None, "420100", 8, "green", False),
    ("杨磊", "C-HEYUAN", None, None, None, None, "yellow", False),
    ("黄敏", "C-HEYUAN", None, "S-SHIYAN", None, None, "green", False),
    ("周杰", None, "E-DONGFANG", None, None, None, "green", False),
    ("吴霞", None, "E-DONGFANG", None, "420900", 30, "green", False),
    ("徐强", None, "E-METRO5", None, None, None, "green", False),
    ("孙丽", "C-HEYUAN", None, None, None, None, "green", False),
    ("马超", "C-HEYUAN", None, None, "310101", 2, "green", False),
    ("朱琳", "C-HEYUAN", None, "S-SHIYAN", None, None, "green", False),
    ("胡斌", None, "E-METRO5", None, "420100", 14, "green", False),
    ("郭婷", "C-HEYUAN", None, None, None, None, "green", False),
]


def _write_private(path: Path, data: dict[str, Any]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)


async def _school_file(svc: Services, ids: dict[str, int]) -> dict[str, str]:
    """实验小学's class 3-2 with its class teacher (a console account scoped to the class): 一校一档."""
    password = secrets.token_urlsafe(12)
    if not await accounts.store.account_by_username(svc.db.read, username="chen"):
        await accounts.create_account(svc.db, "chen", password, auth.TEACHER, DEMO, scope="class:S-SHIYAN/3-2")
    await schools.create_class(svc, "S-SHIYAN", {"code": "3-2", "name": "三年级二班", "grade": "三年级",
                                                "teacher": "chen"}, DEMO)
    for name, member in (("陈老师", "staff"), ("黄敏", "student"), ("朱琳", "student")):
        await schools.set_class(svc, ids[name], {"school_class": "3-2", "member": member}, DEMO)
    return {"username": "chen", "password": password}


async def _family_and_desk(svc: Services, ids: dict[str, int]) -> dict[str, str]:
    """王芳 holds the passes of 李秀英 (elderly, no phone) and 黄敏 (a child) on her resident page, and a
    staffed desk of 和园 looks people up by ID number (family passes, issue 14)."""
    for dependant in ("李秀英", "黄敏"):
        await guardianships.add(svc, ids[dependant], {"guardian_id": ids["王芳"], "consent_by": "legal_guardian",
                                                      "consent_how": "signed_paper", "note": "demo"}, DEMO)
    password = secrets.token_urlsafe(12)
    if not await accounts.store.account_by_username(svc.db.read, username="desk"):
        await accounts.create_account(svc.db, "desk", password, auth.DESK, DEMO, scope="community:C-HEYUAN")
    return {"username": "desk", "password": password}


async def seed(svc: Services, base_url: str) -> dict[str, Any]:
    """Create the demo sites, people, passes and admin login, unless they exist; return the login."""
    login_path = svc.config.data_dir / LOGIN_FILE
    if await site_store.get_site(svc.db.read, code=SITES[0]["code"]) and login_path.exists():
        return dict(json.loads(login_path.read_text()))
    for site in SITES:
        if not await site_store.get_site(svc.db.read, code=site["code"]):
            await sites.create_site(svc, site, DEMO)
    today = local_today(svc.config.tz)
    links: dict[str, str] = {}
    ids: dict[str, int] = {}
    for i, (name, community, employer, school, origin, days, status, cleared) in enumerate(PEOPLE, 1):
        body: dict[str, Any] = {
            "name": name, "document_type": "resident_id",
            "document_number": make(f"32058319{80 + i % 20:02d}{i % 12 + 1:02d}{i % 28 + 1:02d}{i:03d}"),
            "phone": f"139{i:08d}", "community": community, "employer": employer, "school": school,
            "status": status, "reason": "demo data"}
        if origin is not None and days is not None:
            arrived = today - timedelta(days=days)
            body.update(origin=origin, arrived_on=arrived.isoformat(),
                        left_origin_on=(arrived - timedelta(days=1)).isoformat())
        person = await registry.register(svc, body, DEMO)
        ids[name] = person.id
        if cleared:
            await registry.clear(svc, person.id, {"reason": "demo: medical observation completed"}, DEMO)
        issued = await passes.issue(svc, person.id, DEMO, base_url)
        links[name] = issued.resident_url[len(base_url.rstrip("/")):]  # a path: the port may change
    password = secrets.token_urlsafe(12)
    if not await accounts.store.account_by_username(svc.db.read, username="admin"):
        await accounts.create_account(svc.db, "admin", password, auth.ADMIN, DEMO)
    token = await auth.create_token(svc.db, role=auth.ADMIN, label="demo admin", actor=DEMO)
    teacher = await _school_file(svc, ids)
    desk = await _family_and_desk(svc, ids)
    login = {"username": "admin", "password": password, "api_token": token, "class_teacher": teacher, "desk": desk,
             # 王芳's page holds 李秀英's and 黄敏's passes too (family passes)
             "resident_links": {k: links[k] for k in ("王建国", "李秀英", "陈老师", "赵红", "访客刘", "王芳")}}
    _write_private(login_path, login)
    return login


async def _seed(config: GatewayConfig) -> dict[str, Any]:
    async with open_services(config) as svc:
        return await seed(svc, config.base_url)


def _to_terminal(text: str) -> bool:
    """Write to the controlling terminal, never to stdout or stderr (often a log file); False if none."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(text + "\n")
    except OSError:
        return False
    return True


def run(config: GatewayConfig, app_factory: AppFactory) -> int:
    """Check and bind first (a taken port seeds nothing), seed, serve; the login once it listens."""
    sock = startup.prepare(config)
    try:
        login = asyncio.run(_seed(config))
    except BaseException:
        sock.close()
        raise

    def banner() -> str:
        links = "\n".join(f"    {name}: {config.base_url}{path}" for name, path in login["resident_links"].items())
        shown = _to_terminal(f"  Admin login: {login['username']} / {login['password']}\n"
                             f"  Admin API token: {login['api_token']}\n"
                             f"  Resident pages:\n{links}")
        # stdout may be a log: it names where the credentials are, not the credentials
        return (f"  Console:   {config.base_url}/console/\n"
                f"  Demo login, API token and resident links: {config.data_dir / LOGIN_FILE}"
                f" (readable by this user only){' and on this terminal' if shown else ''}")

    return serve_on(config, app_factory, sock, banner)
