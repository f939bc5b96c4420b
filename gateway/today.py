"""Today (工作台): what a worker has to do today, limited to what their scope reaches.

Five lists, each item naming its action: health checks due today and not yet recorded
(`monitoring.not_checked`), quarantines whose first day out is today or tomorrow, open alerts
(fevers first; marking one handled is audited as `alert.handle`), gates that did not sync within
`SILENT_AFTER` or reported that they cannot update (POST /api/v1/devices/status), and cards to
reprint (the reprint list). A list the caller's role may not see is None, not empty.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import access, monitoring, reissue, scoped
from .access import Reach
from .auth import Principal
from .clock import iso
from .db import Conn, Database
from .errors import NotFound
from .monitoring import Monitored
from .store import alerts as alert_store
from .store import audit
from .store import people as people_store
from .store import reports as report_store
from .store.alerts import OpenAlertRow
from .store.reissue import ReprintRow
from .store.reports import DeviceRow, EndingRow

SILENT_AFTER = timedelta(hours=1)  # a gate online syncs every few minutes
LIMIT = 200  # items per list; the page says when there are more


@dataclass(frozen=True, slots=True)
class AlertItem:
    row: OpenAlertRow
    details: dict[str, Any]
    person_id: int | None  # whose alert it is, when the caller may open their file
    name: str | None


@dataclass(frozen=True, slots=True)
class Today:
    day: date
    not_checked: list[Monitored] | None
    ending_today: list[EndingRow]
    ending_tomorrow: list[EndingRow]
    alerts: list[AlertItem] | None
    gates: list[DeviceRow]
    reprints: list[ReprintRow] | None
    limit: int = LIMIT


async def _person_in_reach(conn: Conn, reach: Reach, person_id: Any) -> tuple[int, str] | None:
    if not isinstance(person_id, int):
        return None
    person = await people_store.get(conn, person_id=person_id)
    if person is None or not scoped.covers(reach, person):
        return None
    return person.id, person.name


async def _alerts(conn: Conn, reach: Reach) -> list[AlertItem]:
    rows = await alert_store.open_alerts(conn, sites=reach.site_list(), limit=LIMIT * 2)
    items = []
    for row in rows:
        details = json.loads(row.details)
        owner = await _person_in_reach(conn, reach, row.person_id if row.person_id is not None
                                       else details.get("person_id"))
        if row.site is None and owner is None:
            continue  # a health-check alert of someone outside the scope
        items.append(AlertItem(row, details, *(owner or (None, None))))
    return items[:LIMIT]


async def for_principal(db: Database, principal: Principal, *, moment: datetime, tz: ZoneInfo) -> Today:
    """The caller's Today at `moment`, on the local day of the city's zone `tz`."""
    read = db.read
    reach = await scoped.reach(read, principal)
    day = moment.astimezone(tz).date()
    tomorrow = day + timedelta(days=1)
    role = principal.role
    not_checked = None
    if access.may(role, "health.list"):
        not_checked = (await monitoring.not_checked(
            db, day=day, tz=tz, visible=lambda person: scoped.covers(reach, person)))[:LIMIT]
    ending = await report_store.quarantine_ending(read, days=[day.isoformat(), tomorrow.isoformat()],
                                                  limit=LIMIT * 2, reach=reach)
    gates = [d for d in await report_store.unsynced_devices(read, since_iso=iso(moment - SILENT_AFTER))
             if reach.covers_site(d.site)][:LIMIT]
    reprints = await reissue.reprint_list(db, limit=LIMIT, reach=reach) \
        if access.may(role, "cards.reprint") else None
    return Today(day, not_checked, [p for p in ending if p.quarantine_end == day.isoformat()][:LIMIT],
                 [p for p in ending if p.quarantine_end == tomorrow.isoformat()][:LIMIT],
                 await _alerts(read, reach) if access.may(role, "alerts.list") else None, gates, reprints)


async def handle_alert(db: Database, alert_id: int, principal: Principal, *, at: datetime) -> None:
    """Mark an open alert handled (audited); one outside the caller's scope, or already handled, is not found."""
    async with db.transaction() as tx:
        reach = await scoped.reach(tx, principal)
        row = await alert_store.get_open(tx, alert_id=alert_id)
        in_scope = row is not None and (
            reach.everything or (row.site is not None and reach.covers_site(row.site))
            or (row.site is None and await _person_in_reach(tx, reach, json.loads(row.details).get("person_id"))))
        if row is None or not in_scope:
            raise NotFound(f"no open alert {alert_id}")
        await alert_store.mark_handled(tx, alert_id=alert_id, at=iso(at), by=principal.actor)
        await audit.record(tx, principal.actor, "alert.handle", f"alert:{alert_id}", None,
                           {"kind": row.kind, "site": row.site})
