"""Major-event reports (重大事项报告, directive §四(二)): rules turn events into reports that reach the
command centre at once.

A rule is a name in `major_event_rules` (the setting: remove one to turn it off):

    school_fever          a fever alert at a gate of a school site
    checkpoint_key_area   a person linked to a key area found at a road checkpoint (a hand-over)
    checkpoint_fever      a fever at a road checkpoint (a referral); not on by default
    broken_chain          a gate's log chain broken (an entry altered, missing or replayed)
    shared_pass           the same pass admitted at two sites too close in time

Each report names its responsible scope — the site it happened at and, for a hand-over, the
destination community — and is shown on the dashboard of that scope and of every admin until someone
there acknowledges it (audited); every report of the day is listed in the daily report.
"""

from __future__ import annotations

import json
from typing import Any

from . import scoped
from .access import Reach
from .auth import Principal
from .clock import iso, now
from .config import MAJOR_EVENT_RULES, GatewayConfig
from .db import Conn
from .errors import Conflict, NotFound
from .services import Services
from .store import audit
from .store import major_events as store
from .store import sites as site_store
from .store.checkpoint import HandoverRow
from .store.major_events import MajorEventRow
from .validate import Nullable, Obj, Text

RULES = MAJOR_EVENT_RULES
ALERT_RULES = {"broken_chain": "broken_chain", "shared_pass": "shared_pass"}  # alert kind -> rule


ACKNOWLEDGE = Obj({"note": Nullable(Text(500))})


def event_json(row: MajorEventRow) -> dict[str, Any]:
    return {"id": row.id, "rule": row.rule, "created_at": row.created_at, "site": row.site,
            "community": row.community, "source": row.source, "details": json.loads(row.details),
            "acknowledged_at": row.acknowledged_at, "acknowledged_by": row.acknowledged_by}


async def _report(tx: Conn, config: GatewayConfig, rule: str, *, site: str | None, community: str | None,
                  source: str, details: dict[str, Any]) -> int | None:
    if rule not in config.major_event_rules:
        return None
    stamp = now()
    return await store.insert(tx, rule=rule, at=iso(stamp), ts=stamp.timestamp(), site=site, community=community,
                              source=source, details=json.dumps(details, ensure_ascii=False, sort_keys=True),
                              key=f"{rule}:{source}")


async def from_alerts(tx: Conn, config: GatewayConfig, alerts: list[dict[str, Any]]) -> None:
    """Inside the upload's transaction: the new alerts that are major events."""
    kinds: dict[str, str] = {}
    for alert in alerts:
        rule = ALERT_RULES.get(alert["kind"])
        if alert["kind"] == "fever" and alert["site"]:
            if alert["site"] not in kinds:
                site = await site_store.get_site(tx, code=alert["site"])
                kinds[alert["site"]] = site.kind if site else ""
            rule = "school_fever" if kinds[alert["site"]] == "school" else None
        if rule is not None:
            await _report(tx, config, rule, site=alert["site"], community=None, source=f"alert:{alert['id']}",
                          details={"alert": alert["kind"], "entry": alert["entry_id"], **alert["details"]})


async def from_handover(tx: Conn, config: GatewayConfig, row: HandoverRow) -> None:
    """Inside the checkpoint upload's transaction: a key-area person or a fever found at a checkpoint."""
    rule = "checkpoint_key_area" if row.kind == "handover" else "checkpoint_fever"
    details: dict[str, Any] = {"handover": row.id, "kind": row.kind, "township": row.township,
                               "plate": row.plate, "name": row.name, "document": row.document_masked}
    details.update(json.loads(row.basis))
    await _report(tx, config, rule, site=row.site, community=row.community, source=f"handover:{row.id}",
                  details=details)


def _reach_lists(reach: Reach) -> tuple[list[str] | None, list[str] | None]:
    if reach.everything:
        return None, None
    return sorted(reach.sites), sorted(reach.communities)


def covers(reach: Reach, row: MajorEventRow) -> bool:
    return reach.everything or (row.site is not None and row.site in reach.sites) \
        or (row.community is not None and row.community in reach.communities)


async def listing(svc: Services, principal: Principal, *, open_only: bool = False, after_id: int = 0,
                  limit: int = 100) -> list[MajorEventRow]:
    sites, communities = _reach_lists(await scoped.reach(svc.db.read, principal))
    return await store.search(svc.db.read, sites=sites, communities=communities, open_only=open_only,
                              after_id=after_id, limit=limit)


DAY_LIMIT = 10_000  # reports of one scope a daily report lists at most


async def of_day(conn: Conn, *, start_ts: float, end_ts: float, site: str | None = None) -> list[MajorEventRow]:
    """Every report made in a day's window (the city's, or one site's), for the daily report."""
    return await store.search(conn, sites=None if site is None else [site], communities=None if site is None else [],
                              open_only=False, start_ts=start_ts, end_ts=end_ts, limit=DAY_LIMIT)


async def of_day_by_site(conn: Conn, *, start_ts: float, end_ts: float) -> dict[str, list[MajorEventRow]]:
    """`of_day(site=code)` of every site at once: one query for a province's 10,000 sites, not one each."""
    out: dict[str, list[MajorEventRow]] = {}
    after = 0
    while True:
        rows = await store.search(conn, sites=None, communities=None, open_only=False, start_ts=start_ts,
                                  end_ts=end_ts, after_id=after, limit=DAY_LIMIT)
        for row in rows:
            if row.site is not None:
                found = out.setdefault(row.site, [])
                if len(found) < DAY_LIMIT:
                    found.append(row)
        if len(rows) < DAY_LIMIT:
            return out
        after = rows[-1].id


async def acknowledge(svc: Services, principal: Principal, event_id: int, body: dict[str, Any]) -> MajorEventRow:
    note = ACKNOWLEDGE.check(body).get("note")
    async with svc.db.transaction() as tx:
        row = await store.get(tx, event_id=event_id)
        if row is None or not covers(await scoped.reach(tx, principal), row):
            raise NotFound(f"no major event {event_id}")
        if not await store.acknowledge(tx, event_id=event_id, at=iso(now()), by=principal.actor):
            raise Conflict(f"major event {event_id} was already acknowledged", code="already_acknowledged")
        await audit.record(tx, principal.actor, "major_event.acknowledge", f"major_event:{event_id}", note,
                           {"rule": row.rule, "site": row.site, "community": row.community})
        found = await store.get(tx, event_id=event_id)
    assert found is not None
    return found
