"""A checkpoint world for tests: a checkpoint site and device, Hubei a key area, records as devices send them."""

from __future__ import annotations

import uuid
from typing import Any

from gateway import idcard
from keys.chain import GENESIS, entry_hash

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


class RecordChain:
    """A device's checkpoint chain as the scanner's RecordQueue keeps it (scanner/checkpoint.py)."""

    def __init__(self) -> None:
        self.seq, self.prev = 0, GENESIS

    def link(self, rec: dict[str, Any]) -> dict[str, Any]:
        """Give `rec` (in place) the next seq, the previous hash and its own hash; returns it."""
        self.seq += 1
        rec.update(seq=self.seq, prev_hash=self.prev)
        rec.pop("hash", None)
        rec["hash"] = self.prev = entry_hash(rec)
        return rec


_CHAINS: dict[str, RecordChain] = {}  # by the device's credential: each device its own chain


def chain_of(device: dict[str, str]) -> RecordChain:
    return _CHAINS.setdefault(device.get("Authorization", ""), RecordChain())


async def upload(client: Client, device: dict[str, str], *records: dict[str, Any]) -> Any:
    """Records not yet linked are linked into the device's chain first (a re-upload sends them as they are);
    a refused upload gives its links back, as the scanner keeps a refused record out of nothing."""
    chain = chain_of(device)
    before = (chain.seq, chain.prev)
    for rec in records:
        if "hash" not in rec:
            chain.link(rec)
    resp = await client.post(f"{R}/checkpoint/records", headers=device, json={"records": list(records)})
    if resp.status != 200:
        chain.seq, chain.prev = before
    return resp
