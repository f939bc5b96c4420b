"""Fixtures: the real app on a fresh database per test (SQLite and PostgreSQL), real keys, tokens."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway import idcard
from qrgate.app import create_app
from gateway.appkeys import db_key
from gateway.auth import ROLES, create_token
from gateway.config import GatewayConfig
from keys.chain import GENESIS
from keys.entry import Entry

Client = TestClient  # type: ignore[type-arg]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def resident_id(seed: int) -> str:
    """A valid GB 11643 number, different for every seed."""
    return idcard.make(f"420102199001{seed % 28 + 1:02d}{seed % 1000:03d}")


def person_body(seed: int = 1, **extra: Any) -> dict[str, Any]:
    return {"name": f"张{seed}", "document_type": "resident_id", "document_number": resident_id(seed),
            "phone": f"138{seed:08d}", "community": "C1", **extra}


@pytest.fixture
def config(tmp_path: Path, database_url: str | None) -> GatewayConfig:
    return GatewayConfig.for_data_dir(tmp_path / "data", database_url=database_url)


@pytest.fixture
async def client(aiohttp_client: Callable[..., Awaitable[Client]], config: GatewayConfig) -> Client:
    return await aiohttp_client(create_app(config))


@pytest.fixture
async def tokens(client: Client) -> dict[str, str]:
    db = client.app[db_key]
    # a class teacher is always scoped to classes (gateway/auth.scope_for)
    return {role: await create_token(db, role=role, label=f"test-{role}",
                                     scope="class:S1/1A" if role == "teacher" else "city") for role in ROLES}


@pytest.fixture
def admin(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["admin"])


@pytest.fixture
def registrar(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["registrar"])


@pytest.fixture
def viewer(tokens: dict[str, str]) -> dict[str, str]:
    return bearer(tokens["viewer"])


async def make_site(client: Client, admin: dict[str, str], code: str, kind: str = "community",
                    **policy: Any) -> dict[str, Any]:
    resp = await client.post("/api/v1/sites", headers=admin,
                             json={"code": code, "name": f"site {code}", "kind": kind, "policy": policy})
    assert resp.status == 201, await resp.text()
    return await resp.json()


async def enrol_device(client: Client, admin: dict[str, str], site: str) -> dict[str, Any]:
    resp = await client.post(f"/api/v1/sites/{site}/enrolments", headers=admin, json={})
    assert resp.status == 201, await resp.text()
    token = (await resp.json())["token"]
    resp = await client.post("/api/v1/devices/enroll", json={"token": token, "name": "north gate"})
    assert resp.status == 201, await resp.text()
    return await resp.json()


class Chain:
    """Builds a device's hash-chained entries exactly as docs/device-api.md describes."""

    def __init__(self, device_id: str, site: str) -> None:
        self.device_id, self.site, self.seq, self.prev = device_id, site, 0, GENESIS

    def entry(self, *, serial: str | None = None, decision: str = "allow", reason: str = "ok",
              scanned_at: str = "2020-02-14T08:00:01.250+08:00", temperature: float | None = 36.6,
              ) -> dict[str, Any]:
        self.seq += 1
        # a gate from before directions and latencies: those two fields are left out (keys/entry.py)
        entry = Entry.chained(id=str(uuid.uuid4()), seq=self.seq, prev_hash=self.prev, device_id=self.device_id,
                              site=self.site, scanned_at=scanned_at, serial=serial,
                              text_hash=None if serial else "0" * 64, decision=decision, reason=reason,
                              temperature=temperature, clock_offset=0.4).to_json()
        self.prev = entry["hash"]
        return entry
