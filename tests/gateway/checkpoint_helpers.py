"""A checkpoint world for tests: a checkpoint site and device, Hubei a key area, records as devices send them."""

from __future__ import annotations

import uuid
from typing import Any

from gateway import idcard

from .conftest import Client, bearer, enrol_device, make_site

R = "/api/v1"
HUBEI_ID = idcard.make("42010219850612123")    # a Wuhan ID card, no file yet
ZHEJIANG_ID = idcard.make("33010219790304567")  # the driver from elsewhere


def person(temperature: float | None = 36.5, **extra: Any) -> dict[str, Any]:
    found: dict[str, Any] = {"role": "passenger", "decision": "allow", "reason": "ok", **extra}
    if temperature is not None:
        found["temperature"] = temperature
    return found


def record(people: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "recorded_at": "2020-02-14T08:00:01+08:00", "clock_offset": 0.2,
            "plate": "鄂A·12345", "vehicle_kind": "car", "direction": "in", "origin": "420100",
            "township": "T-BC", "community": "C-DEST", "people": people, **extra}


async def checkpoint_world(client: Client, admin: dict[str, str]) -> dict[str, str]:
    """Hubei is a key area; a checkpoint site with an enrolled device; its credential header."""
    resp = await client.put(f"{R}/key-areas/42", headers=admin, json={"from": "2020-01-23", "reason": "Hubei"})
    assert resp.status == 200, await resp.text()
    await make_site(client, admin, "CP-G312", kind="checkpoint")
    device = await enrol_device(client, admin, "CP-G312")
    return bearer(device["credential"])


async def upload(client: Client, device: dict[str, str], *records: dict[str, Any]) -> Any:
    return await client.post(f"{R}/checkpoint/records", headers=device, json={"records": list(records)})
