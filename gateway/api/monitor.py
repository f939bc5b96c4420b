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
from ..openapi import INT, page, ref, string
from ..validate import CODE, Choice, Integer, Moment, Text
from .common import authorise, json_response, reach, services
from .spec import operation, query

FILTER = Text(64, trim=False)
PAGE = {"after": Integer(0, 2**62), "limit": Integer(1, 1000)}


def entry_json(row: EntryRow) -> dict[str, Any]:
    return {"id": row.id, "seq": row.seq, "device_id": row.device_id, "site": row.site,
            "scanned_at": row.scanned_at, "received_at": row.received_at, "serial": row.serial,
            "text_hash": row.text_hash, "decision": row.decision, "reason": row.reason,
            "temperature": row.temperature, "clock_offset": row.clock_offset,
            # where the gateway places it: gate time + offset (or receipt time, see time_flag)
            "corrected_at": datetime.fromtimestamp(row.scanned_ts, UTC).isoformat(timespec="milliseconds"),
            "time_flag": row.time_flag, "direction": row.direction, "chain_ok": bool(row.chain_ok)}


@operation("Entry log, newest first", response=page("entries", ref("StoredEntry"), "next_before", string()),
           query={"site": CODE, "device": FILTER, "serial": FILTER, "decision": Choice(("allow", "deny")),
                  "since": Moment(), "until": Moment(), "before": Text(120, trim=False),
                  "limit": Integer(1, 1000)},
           rules=(("before", "the next_before value of a previous page"),))
async def list_entries(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    since, until = q.get("since"), q.get("until")
    before = None
    if (cursor := q.get("before")) is not None:
        ts, _, entry_id = cursor.partition("_")
        try:
            before = (float(ts), entry_id)
        except ValueError:
            raise InvalidInput("before must be the next_before value of a previous page",
                               field="before") from None
    rows = await entry_store.search(
        services(request).db.read, site=q.get("site"), device_id=q.get("device"), decision=q.get("decision"),
        serial=q.get("serial"), since_ts=since.timestamp() if since else None,
        until_ts=until.timestamp() if until else None, limit=q.get("limit", 100), before=before,
        sites=(await reach(request, principal)).site_list())
    cursor_out = f"{rows[-1].scanned_ts!r}_{rows[-1].id}" if rows else None
    return json_response({"entries": [entry_json(r) for r in rows], "next_before": cursor_out})


@operation("Alerts", response=page("alerts", ref("Alert"), "next_after", INT),
           query={"kind": Choice(tuple(alerts.KINDS)), "site": CODE, **PAGE})
async def list_alerts(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    items = await alerts.search(services(request).db.read, kind=q.get("kind"), site=q.get("site"),
                                after_id=q.get("after", 0), limit=q.get("limit", 100),
                                sites=(await reach(request, principal)).site_list())
    return json_response({"alerts": items, "next_after": items[-1]["id"] if items else None})


@operation("Audit log", response=page("audit", ref("AuditRow"), "next_after", INT),
           query={"actor": Text(200, trim=False), "action": FILTER, "target": Text(200, trim=False), **PAGE})
async def list_audit(request: web.Request) -> web.Response:
    await authorise(request)
    q = query(request)
    rows = await audit_store.search(
        services(request).db.read, actor=q.get("actor"), action=q.get("action"), target=q.get("target"),
        after_id=q.get("after", 0), limit=q.get("limit", 100))
    items = [{"id": r.id, "at": r.at, "actor": r.actor, "action": r.action, "target": r.target,
              "reason": r.reason, "details": json.loads(r.details)} for r in rows]
    return json_response({"audit": items, "next_after": rows[-1].id if rows else None})


@operation("The issuer trust set (JWKS)", response=ref("Jwks"))
async def jwks(request: web.Request) -> web.Response:
    return json_response(request.app[services_key].keystore.trust_set().to_jwks())


@operation("This document", response={"type": "object"})
async def openapi_document(request: web.Request) -> web.Response:
    return json_response(openapi.document())
