"""Alerts raised by entries: fever at a gate, a shared pass, a broken hash chain."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from . import major_events
from .clock import iso, now
from .config import GatewayConfig
from .db import Conn
from .store import alerts as store
from .store import entries as entry_store
from .store.alerts import AlertRow
from .store.entries import Received

KINDS = ("fever", "shared_pass", "broken_chain", "health_check")


def alert_json(row: AlertRow) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "created_at": row.created_at, "site": row.site,
            "device_id": row.device_id, "entry_id": row.entry_id, "serial": row.serial,
            "details": json.loads(row.details)}


async def _raise(tx: Conn, out: list[dict[str, Any]], *, kind: str, row: Received,
                 details: dict[str, Any], key: str) -> None:
    stamp = iso(now())
    text = json.dumps(details, sort_keys=True)
    e = row.entry
    alert_id = await store.insert(tx, kind=kind, created_at=stamp, site=e.site, device_id=e.device_id,
                                  entry_id=e.id, serial=e.serial, details=text, dedupe_key=key)
    if alert_id is not None:
        out.append(alert_json(AlertRow(alert_id, kind, stamp, e.site, e.device_id, e.id, e.serial, text)))


async def for_entries(tx: Conn, config: GatewayConfig, rows: Sequence[Received],
                      broken: Sequence[tuple[Received, str]]) -> list[dict[str, Any]]:
    """Alerts for newly stored entries (inside the upload's transaction); returns the new ones."""
    out: list[dict[str, Any]] = []
    for row, problem in broken:
        await _raise(tx, out, kind="broken_chain", row=row, key=f"broken_chain:{row.entry.id}",
                     details={"seq": row.entry.seq, "problem": problem})
    for row in rows:
        if row.entry.reason == "fever":
            temperature = row.entry.temperature
            await _raise(tx, out, kind="fever", row=row, key=f"fever:{row.entry.id}",
                         details={"temperature": None if temperature is None else float(temperature),
                                  "scanned_at": row.entry.scanned_at})
    pairs = await entry_store.shared_pass_pairs(tx, entries=rows, window_seconds=config.shared_pass_minutes * 60.0)
    if pairs:
        by_id = {r.entry.id: r for r in rows}
        others = await entry_store.get_many(tx, ids=[other for _, other in pairs])
        for new_id, other_id in pairs:
            first, second = sorted((new_id, other_id))
            other = others[other_id]
            await _raise(tx, out, kind="shared_pass", row=by_id[new_id], key=f"shared_pass:{first}:{second}",
                         details={"other_entry": other_id, "other_site": other.site,
                                  "other_scanned_at": other.scanned_at,
                                  "window_minutes": config.shared_pass_minutes})
    await major_events.from_alerts(tx, config, out)
    return out


async def for_checkpoint_chain(tx: Conn, config: GatewayConfig, broken: Sequence[tuple[dict[str, Any], str]], *,
                               device_id: str, site: str) -> list[dict[str, Any]]:
    """A broken checkpoint chain (a record altered, dropped or replayed): the same broken_chain alert and
    major event as a gate's entry chain; `details.log` says which chain, `details.record` which record."""
    out: list[dict[str, Any]] = []
    for record, problem in broken:
        stamp = iso(now())
        text = json.dumps({"log": "checkpoint", "record": record["id"], "seq": record["seq"], "problem": problem},
                          sort_keys=True)
        alert_id = await store.insert(tx, kind="broken_chain", created_at=stamp, site=site, device_id=device_id,
                                      entry_id=None, serial=None, details=text,
                                      dedupe_key=f"broken_chain:checkpoint:{record['id']}")
        if alert_id is not None:
            out.append(alert_json(AlertRow(alert_id, "broken_chain", stamp, site, device_id, None, None, text)))
    await major_events.from_alerts(tx, config, out)
    return out


async def search(db_read: Conn, *, kind: str | None, site: str | None, after_id: int,
                 limit: int, sites: list[str] | None = None) -> list[dict[str, Any]]:
    """`sites`: only alerts of these sites (a caller's scope); None for every site."""
    return [alert_json(r) for r in await store.search(db_read, kind=kind, site=site, after_id=after_id,
                                                      limit=limit, sites=sites)]
