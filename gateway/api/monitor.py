"""Read-only handlers: entries, alerts, audit, the public JWKS and the OpenAPI document."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from .. import alerts, openapi
from ..appkeys import services_key
from ..errors import InvalidInput
from ..store import audit as audit_store
from ..store import entries as entry_store
from ..store.entries import EntryRow
from ..validate import aware_datetime
from .common import authorise, json_response, query_int, query_text, reach, services


def entry_json(row: EntryRow) -> dict[str, Any]:
    return {"id": row.id, "seq": row.seq, "device_id": row.device_id, "site": row.site,
            "scanned_at": row.scanned_at, "received_at": row.received_at, "serial": row.serial,
            "text_hash": row.text_hash, "decision": row.decision, "reason": row.reason,
            "temperature": row.temperature, "clock_offset": row.clock_offset,
            # where the gateway places it: gate time + offset (or receipt time, see time_flag)
            "corrected_at": datetime.fromtimestamp(row.scanned_ts, UTC).isoformat(timespec="milliseconds"),
            "time_flag": row.time_flag, "direction": row.direction, "chain_ok": bool(row.chain_ok)}


def _time(request: web.Request, name: str) -> datetime | None:
    raw = query_text(request, name, max_len=40)
    return None if raw is None else aware_datetime(raw, name)


async def list_entries(request: web.Request) -> web.Response:
    principal = await authorise(request)
    since, until = _time(request, "since"), _time(request, "until")
    before = None
    if (cursor := query_text(request, "before", max_len=120)) is not None:
        ts, _, entry_id = cursor.partition("_")
        try:
            before = (float(ts), entry_id)
        except ValueError:
            raise InvalidInput("before must be the next_before value of a previous page",
                               field="before") from None
    decision = query_text(request, "decision")
    if decision is not None and decision not in ("allow", "deny"):
        raise InvalidInput("decision must be allow or deny", field="decision")
    rows = await entry_store.search(
        services(request).db.read, site=query_text(request, "site"), device_id=query_text(request, "device"),
        decision=decision,
        serial=query_text(request, "serial"), since_ts=since.timestamp() if since else None,
        until_ts=until.timestamp() if until else None,
        limit=query_int(request, "limit", default=100, low=1, high=1000) or 100, before=before,
        sites=(await reach(request, principal)).site_list())
    cursor_out = f"{rows[-1].scanned_ts!r}_{rows[-1].id}" if rows else None
    return json_response({"entries": [entry_json(r) for r in rows], "next_before": cursor_out})


async def list_alerts(request: web.Request) -> web.Response:
    principal = await authorise(request)
    kind = query_text(request, "kind")
    if kind is not None and kind not in alerts.KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(alerts.KINDS)}", field="kind")
    items = await alerts.search(services(request).db.read, kind=kind, site=query_text(request, "site"),
                                after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
                                limit=query_int(request, "limit", default=100, low=1, high=1000) or 100,
                                sites=(await reach(request, principal)).site_list())
    return json_response({"alerts": items, "next_after": items[-1]["id"] if items else None})


async def list_audit(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await audit_store.search(
        services(request).db.read, actor=query_text(request, "actor", max_len=200),
        action=query_text(request, "action"), target=query_text(request, "target", max_len=200),
        after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
        limit=query_int(request, "limit", default=100, low=1, high=1000) or 100)
    items = [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "target": r.target,
              "reason": r.reason, "details": json.loads(r.details)} for r in rows]
    return json_response({"audit": items, "next_after": rows[-1].id if rows else None})


async def jwks(request: web.Request) -> web.Response:
    return json_response(request.app[services_key].keystore.trust_set().to_jwks())


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.document())
