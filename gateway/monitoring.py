"""Daily health monitoring (每日健康监测): who must be checked, who was not, which checks are abnormal.

A person in quarantine, or under observation (status yellow), has a check due every day (site
time zone of the city). A check at or above `health_fever_threshold`, or naming a symptom of
`health_symptoms`, is abnormal: it raises a `health_check` alert, turns a green person
`health_abnormal_status` (yellow by default) with a status-history reason, reissues the pass, and
appears in the daily report. `not_checked` is the worker's list (the console's Today page uses it).
"""

from __future__ import annotations

import json
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from . import passes
from .auth import Principal
from .clock import iso, now
from .config import GatewayConfig
from .db import Conn, Database
from .store import alerts as alert_store
from .store import audit
from .store import monitoring as store
from .store import people as people_store
from .store.monitoring import MonitoredRow



@dataclass(frozen=True, slots=True)
class Monitored:
    person_id: int
    name: str
    community: str | None
    status: str
    quarantine_end: str | None
    checked_today: bool
    abnormal_today: bool
    last_checked_at: str | None

    def to_json(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "name": self.name, "community": self.community,
                "status": self.status, "quarantine_end": self.quarantine_end,
                "checked_today": self.checked_today, "abnormal_today": self.abnormal_today,
                "last_checked_at": self.last_checked_at}


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def abnormal_because(config: GatewayConfig, temperature: float, symptoms: Sequence[str]) -> list[str]:
    """Why a check is abnormal (empty: it is normal)."""
    why = []
    if temperature >= config.health_fever_threshold:
        why.append(f"{temperature:.1f} °C")
    listed = {_fold(s) for s in config.health_symptoms}
    why.extend(s for s in symptoms if _fold(s) in listed)
    return why


def day_bounds(day: date, tz: ZoneInfo) -> tuple[str, str]:
    """00:00 to 24:00 of `day` in the city's zone `tz`, as stored (UTC)."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    return iso(start), iso(start + timedelta(days=1))


async def on_abnormal(tx: Conn, config: GatewayConfig, svc: Any, person_id: int, check_id: int,
                      temperature: float, why: list[str], actor: Principal) -> None:
    """Inside the check's transaction: alert, mark the person, reissue the pass."""
    person = await people_store.get(tx, person_id=person_id)
    assert person is not None
    details = {"person_id": person_id, "check_id": check_id, "temperature": temperature, "why": why,
               "community": person.community}
    await alert_store.insert(tx, kind="health_check", created_at=iso(now()), site=None, device_id=None,
                             entry_id=None, serial=None, details=json.dumps(details, ensure_ascii=False,
                                                                            sort_keys=True),
                             dedupe_key=f"health_check:{check_id}")
    target = config.health_abnormal_status
    rank = {"green": 0, "yellow": 1, "red": 2}
    if target and rank[target] > rank[person.status]:
        reason = "abnormal health check: " + ", ".join(why)
        stamp = iso(now())
        await people_store.update(tx, person_id=person_id, values={"status": target, "updated_at": stamp})
        await people_store.add_status(tx, person_id=person_id, status=target, changed_at=stamp,
                                      changed_by=actor.actor, reason=reason)
        await audit.record(tx, actor.actor, "person.status_health", f"person:{person_id}", reason,
                           {"status": target, "check": check_id})
        await passes.refresh(svc, tx, person_id, actor, reason)


def _monitored(row: MonitoredRow) -> Monitored:
    return Monitored(row.id, row.name, row.community, row.status, row.quarantine_end, row.checks > 0,
                     bool(row.abnormal), row.last_checked_at)


async def monitored_on(db: Database, day: date, tz: ZoneInfo, *, visible: Any = None) -> list[Monitored]:
    """Everyone with a check due on `day` (in the city's zone `tz`); `visible(row)` filters to a caller's scope."""
    start, end = day_bounds(day, tz)
    rows = await store.monitored(db.read, day=day.isoformat(), start_iso=start, end_iso=end)
    return [_monitored(r) for r in rows if visible is None or visible(
        {"community": r.community, "employer": r.employer, "school": r.school})]


async def not_checked(db: Database, *, day: date, tz: ZoneInfo, community: str | None = None,
                      visible: Any = None) -> list[Monitored]:
    """The worker's list: people with a check due on `day` and none recorded yet."""
    people = await monitored_on(db, day, tz, visible=visible)
    return [p for p in people if not p.checked_today and (community is None or p.community == community)]


def community_figures(people: Iterable[Monitored], masker: Any) -> list[dict[str, Any]]:
    groups: dict[str, list[Monitored]] = defaultdict(list)
    for p in people:
        groups[p.community or ""].append(p)
    out = []
    for community in sorted(groups):
        members = groups[community]
        missing = [p for p in members if not p.checked_today]
        out.append({"community": community or None, "monitored": len(members),
                    "checked": len(members) - len(missing), "not_checked": len(missing),
                    "abnormal": sum(p.abnormal_today for p in members),
                    "not_checked_people": [{"person_id": p.person_id, "name": masker(p.name)} for p in missing]})
    return out


async def day_summary(db: Database, day: date, tz: ZoneInfo, masker: Any, *,
                      visible: Any = None) -> dict[str, Any]:
    """What the daily report shows of health monitoring (names masked by `masker`); `visible(row)`
    keeps a scoped caller's people (their communities, employers, schools) only."""
    people = await monitored_on(db, day, tz, visible=visible)
    start, end = day_bounds(day, tz)
    abnormal = [a for a in await store.abnormal_checks(db.read, start_iso=start, end_iso=end)
                if visible is None or visible({"community": a.community, "employer": a.employer,
                                               "school": a.school})]
    return {
        "monitored": len(people), "checked": sum(p.checked_today for p in people),
        "not_checked": sum(not p.checked_today for p in people),
        "abnormal": len({a.person_id for a in abnormal}),
        "communities": community_figures(people, masker),
        "abnormal_checks": [{"person_id": a.person_id, "name": masker(a.name), "community": a.community,
                             "checked_at": datetime.fromisoformat(a.checked_at).astimezone(tz)
                             .isoformat(timespec="seconds"),
                             "temperature": a.temperature, "symptoms": json.loads(a.symptoms)}
                            for a in abnormal],
    }
