"""Helpers for the report tests: sites, enrolled gates with hash-chained entries, people, reports."""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient

from gateway import accounts, idcard
from gateway.appkeys import db_key
from keys.chain import GENESIS
from keys.entry import Entry

Client = TestClient  # type: ignore[type-arg]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_site(client: Client, admin: dict[str, str], code: str, kind: str,
                    **policy: Any) -> None:
    resp = await client.post("/api/v1/sites", headers=admin, json={
        "code": code, "name": f"场所 {code}", "kind": kind, "policy": {"kind": kind, "site": code, **policy}})
    assert resp.status == 201, await resp.text()


class Gate:
    """An enrolled scanner: builds its hash-chained entries as docs/device-api.md says, uploads them."""

    def __init__(self, client: Client, device_id: str, credential: str, site: str) -> None:
        self.client, self.device_id, self.site = client, device_id, site
        self.headers = bearer(credential)
        self.seq, self.prev = 0, GENESIS
        self.pending: list[dict[str, Any]] = []

    @classmethod
    async def enrol(cls, client: Client, admin: dict[str, str], site: str, name: str) -> Gate:
        resp = await client.post(f"/api/v1/sites/{site}/enrolments", headers=admin, json={})
        assert resp.status == 201, await resp.text()
        token = (await resp.json())["token"]
        resp = await client.post("/api/v1/devices/enroll", json={"token": token, "name": name})
        assert resp.status == 201, await resp.text()
        body = await resp.json()
        return cls(client, body["device_id"], body["credential"], site)

    def scan(self, scanned_at: str, *, reason: str = "ok", serial: str | None = None,
             temperature: float | None = 36.5) -> None:
        """Record an entry offline (kept until `upload`)."""
        self.seq += 1
        unreadable = reason == "unreadable"
        entry = Entry.chained(
            id=str(uuid.uuid4()), seq=self.seq, prev_hash=self.prev, device_id=self.device_id, site=self.site,
            scanned_at=scanned_at, serial=None if unreadable else serial or uuid.uuid4().hex[:24],
            text_hash=uuid.uuid4().hex * 2 if unreadable else None, decision="allow" if reason == "ok" else "deny",
            reason=reason, temperature=temperature, clock_offset=0.2).to_json()
        self.prev = entry["hash"]
        self.pending.append(entry)

    async def upload(self) -> dict[str, Any]:
        resp = await self.client.post("/api/v1/entries", headers=self.headers, json={"entries": self.pending})
        assert resp.status == 200, await resp.text()
        self.pending = []
        return await resp.json()

    async def sync(self) -> None:
        resp = await self.client.get("/api/v1/devices/bundle", headers=self.headers)
        assert resp.status == 200, await resp.text()


async def register(client: Client, registrar: dict[str, str], seed: int, name: str, **extra: Any) -> int:
    number = idcard.make(f"420102199001{seed % 28 + 1:02d}{seed % 1000:03d}")
    resp = await client.post("/api/v1/people", headers=registrar, json={
        "name": name, "document_type": "resident_id", "document_number": number, **extra})
    assert resp.status == 201, await resp.text()
    return int((await resp.json())["id"])


async def issue(client: Client, registrar: dict[str, str], person_id: int) -> str:
    resp = await client.post(f"/api/v1/people/{person_id}/passes", headers=registrar)
    assert resp.status == 201, await resp.text()
    return str((await resp.json())["serial"])


async def report(client: Client, headers: dict[str, str], day: str, **query: str) -> dict[str, Any]:
    resp = await client.get("/api/v1/reports/daily", headers=headers, params={"date": day, **query})
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "application/json"
    return await resp.json()


async def report_csv(client: Client, headers: dict[str, str], day: str, **query: str) -> list[dict[str, str]]:
    resp = await client.get("/api/v1/reports/daily", headers=headers,
                            params={"date": day, "format": "csv", **query})
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/csv"
    assert f"qrgate-daily-{day}" in resp.headers["Content-Disposition"]
    text = (await resp.read()).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def by_site(rep: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["site"]: s for s in rep["sites"]}


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "correct horse battery"


async def console_login(client: Client, username: str, role: str) -> None:
    """Create a console account and log in through the real form (CSRF included)."""
    await accounts.create_account(client.app[db_key], username, PASSWORD, role)
    await console_login_existing(client, username)


async def console_login_existing(client: Client, username: str) -> None:
    """Log an existing account in through the real form, in a fresh browser."""
    client.session.cookie_jar.clear()  # a fresh browser: whoever was logged in before is gone
    page = await client.get("/console/login")
    match = CSRF.search(await page.text())
    assert match, "no CSRF token on the login page"
    resp = await client.post("/console/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": match.group(1)}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
