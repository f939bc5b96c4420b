"""The console's entry log pages back through every entry, keeping its filters."""

from __future__ import annotations

import re
import uuid
from typing import Any

from aiohttp.test_utils import TestClient
from web_helpers import svc_of

from gateway import auth
from keys.chain import GENESIS, entry_hash


async def _upload(client: TestClient, count: int) -> None:
    admin = {"Authorization": "Bearer " + await auth.create_token(svc_of(client).db, role="admin", label="t")}
    resp = await client.post("/api/v1/sites", headers=admin, json={
        "code": "S1", "name": "north gate", "kind": "community",
        "policy": {"kind": "community", "site": "S1", "communities": ["C1"]}})
    assert resp.status == 201, await resp.text()
    token = (await (await client.post("/api/v1/sites/S1/enrolments", headers=admin, json={})).json())["token"]
    device = await (await client.post("/api/v1/devices/enroll", json={"token": token, "name": "g"})).json()
    prev, entries = GENESIS, []
    for seq in range(1, count + 1):
        entry: dict[str, Any] = {
            "id": str(uuid.uuid4()), "seq": seq, "device_id": device["device_id"], "site": "S1",
            "scanned_at": f"2020-02-14T{8 + seq // 60:02d}:{seq % 60:02d}:00+08:00", "serial": None,
            "text_hash": "0" * 64, "decision": "deny" if seq % 2 else "allow",
            "reason": "unreadable" if seq % 2 else "ok", "temperature": None, "clock_offset": 0.0,
            "prev_hash": prev}
        entry["hash"] = prev = entry_hash(entry)
        entries.append(entry)
    resp = await client.post("/api/v1/entries", json={"entries": entries},
                             headers={"Authorization": "Bearer " + device["credential"]})
    assert resp.status == 200, await resp.text()


async def test_entries_page_back_to_the_first_entry(client: TestClient, admin: str) -> None:
    # a measured clock offset (0) makes 2020 entries trustworthy; without one they would count at receipt
    await _upload(client, 230)  # 115 denials
    seen: list[str] = []
    url: str | None = "/console/entries?decision=deny&site=S1"
    while url:
        page = await (await client.get(url)).text()
        # local time, minutes (each test entry has its own minute), and the decision in words
        rows = re.findall(r'<tr><td class="nowrap">(2020-02-14 \d\d:\d\d)</td>', page)
        assert rows and "<td>放行</td>" not in page and "<td>拒绝</td>" in page
        seen += rows
        older = re.search(r'id="older" href="([^"]+)"', page)
        url = "/console/entries" + older.group(1).replace("&amp;", "&") if older else None
        if url:
            assert "decision=deny" in url and "site=S1" in url
    assert len(seen) == 115 and len(set(seen)) == 115 and seen == sorted(seen, reverse=True)


async def test_a_bad_cursor_is_the_first_page(client: TestClient, admin: str) -> None:
    for cursor in ("nan_x", "inf_x", "1e400_x", "abc", "_", "12_"):
        assert (await client.get(f"/console/entries?before={cursor}")).status == 200
