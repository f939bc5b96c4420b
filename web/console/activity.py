"""What happened: entries at gates (filters), alerts, and the audit log (admins only)."""

from __future__ import annotations

import json
import math
from datetime import datetime, time
from zoneinfo import ZoneInfo
from urllib.parse import urlencode

from aiohttp import web

from gateway import scoped
from gateway.access import Reach
from gateway.store import alerts as alert_store
from gateway.store import audit as audit_store
from gateway.store import entries as entry_store

from .common import int_param, render, services, user

PAGE = 100


async def _reach(request: web.Request) -> Reach:
    return await scoped.reach(services(request).db.read, user(request).principal())


def _day_start(text: str, tz: ZoneInfo) -> float | None:
    """00:00 of a YYYY-MM-DD in the city's zone, or None for anything else."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        return None
    return datetime.combine(day, time(0), tzinfo=tz).timestamp()


def _short(value: str) -> str | None:
    value = value.strip()
    return value[:64] if value else None


async def entries(request: web.Request) -> web.Response:
    q = request.query
    tz = services(request).config.tz
    since = _day_start(q.get("from", ""), tz)
    until = _day_start(q.get("to", ""), tz)
    serial = _short(q.get("serial", "").lower())
    decision = q.get("decision")
    rows = await entry_store.search(
        services(request).db.read, site=_short(q.get("site", "")), device_id=_short(q.get("device", "")),
        serial=serial, since_ts=since, until_ts=until + 86400 if until else None,
        limit=PAGE, before=_cursor(q.get("before", "")),
        decision=decision if decision in ("allow", "deny") else None,
        sites=(await _reach(request)).site_list())
    filters = {k: q.get(k, "") for k in ("site", "device", "serial", "from", "to", "decision")}
    older = None
    if len(rows) == PAGE:
        older = urlencode({**{k: v for k, v in filters.items() if v},
                           "before": f"{rows[-1].scanned_ts!r}_{rows[-1].id}"})
    return render(request, "console/entries.html", {"rows": rows, "q": filters, "older": older})


def _cursor(text: str) -> tuple[float, str] | None:
    """The (scanned_ts, id) of the last row of the previous page; anything else means the first page."""
    ts, _, entry_id = text.partition("_")
    try:
        moment = float(ts)
    except ValueError:
        return None
    return (moment, entry_id[:64]) if math.isfinite(moment) and entry_id else None


ALERT_STATES = {"open": False, "handled": True, "all": None}


async def alerts(request: web.Request) -> web.Response:
    kind = request.query.get("kind") or None
    state = request.query.get("state", "all")
    state = state if state in ALERT_STATES else "all"
    rows = await alert_store.search(services(request).db.read, kind=kind if kind in (
        "fever", "shared_pass", "broken_chain") else None, site=_short(request.query.get("site", "")),
        after_id=int_param(request.query.get("after")), limit=PAGE, sites=(await _reach(request)).site_list(),
        handled=ALERT_STATES[state])
    return render(request, "console/alerts.html", {
        "rows": [(r, json.loads(r.details)) for r in rows], "kind": kind or "", "state": state,
        "states": tuple(ALERT_STATES), "next_after": rows[-1].id if len(rows) == PAGE else None})


async def audit(request: web.Request) -> web.Response:
    q = request.query
    rows = await audit_store.search(services(request).db.read, actor=_short(q.get("actor", "")),
                                    action=_short(q.get("action", "")), target=_short(q.get("target", "")),
                                    after_id=int_param(q.get("after")), limit=PAGE)
    return render(request, "console/audit.html", {
        "rows": rows, "q": {k: q.get(k, "") for k in ("actor", "action", "target")},
        "next_after": rows[-1].id if len(rows) == PAGE else None})


def setup(app: web.Application) -> None:
    app.router.add_get("/entries", entries)
    app.router.add_get("/alerts", alerts)
    app.router.add_get("/audit", audit)
