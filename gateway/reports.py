"""The daily report (日报告) and zero report (零报告): per site and for the whole city, for any day.

Pure functions turn rows from gateway/store/reports.py into figures; `daily_report` fetches the
rows and remembers each finished day's first fingerprint. See docs/reports.md for every figure.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from keys import PolicyError, Reason

from . import major_events, monitoring
from .clock import iso
from .config import MAJOR_EVENT_RULES
from .db import Database
from .errors import NotFound
from .sites import policy_of
from .store import checkpoint as checkpoint_store
from .store import reports as store
from .store import sites as site_store
from .store.reports import AlertRow, CountRow, DayRow, DeviceRow, FeverRow, PeopleRow, Window

_Sited = TypeVar("_Sited", CountRow, FeverRow, DeviceRow, AlertRow)
CITY = "*"  # the fingerprint scope of the whole city
ALERT_KINDS = ("fever", "shared_pass", "broken_chain", "health_check")

# denial groups a report shows, in order; every deny reason of keys.Reason is in exactly one
REASON_GROUPS: dict[str, tuple[Reason, ...]] = {
    "quarantine": (Reason.QUARANTINE,),
    "revoked": (Reason.REVOKED,),
    "no_valid_pass": (Reason.UNREADABLE, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY, Reason.KEY_WITHDRAWN, Reason.EXPIRED,
                      Reason.NOT_YET_VALID, Reason.BAD_HOLDER_SIGNATURE, Reason.CODE_EXPIRED,
                      Reason.CODE_NOT_YET_VALID, Reason.BINDING_REQUIRED, Reason.NO_DOCUMENT),
    "health_status": (Reason.STATUS_RED, Reason.STATUS_YELLOW),
    "wrong_site": (Reason.WRONG_SITE,),
    "site_closed": (Reason.SITE_CLOSED,),
    "fever": (Reason.FEVER,),
    "temperature_required": (Reason.TEMPERATURE_REQUIRED,),
    "not_cleared": (Reason.NOT_CLEARED,),
    "cannot_verify": (Reason.STALE_DATA,),
    "duplicate": (Reason.DUPLICATE, Reason.CODE_REPLAYED),
}
GROUP_OF = {reason.value: group for group, reasons in REASON_GROUPS.items() for reason in reasons}
DENY_REASONS = tuple(reason.value for reasons in REASON_GROUPS.values() for reason in reasons)
OTHER = "other"  # group and reason of a denial recorded without a deny reason
ZERO_LINE = {"zh": "无异常情况（零报告）", "en": "Nothing to report (zero report)"}


@dataclass(frozen=True, slots=True)
class SiteInfo:
    code: str
    name: str
    kind: str
    timezone: str
    communities: frozenset[str]
    employers: frozenset[str]
    schools: frozenset[str]


def site_info(row: site_store.SiteRow, city_timezone: str) -> SiteInfo:
    """What the report needs of a site; a policy that does not read counts in the city's zone."""
    try:
        policy = policy_of(row)
    except (PolicyError, ValueError):  # a hand-edited policy must not stop the report
        return SiteInfo(row.code, row.name, row.kind, city_timezone, frozenset(), frozenset(), frozenset())
    return SiteInfo(row.code, row.name, row.kind, policy.timezone, frozenset(policy.communities),
                    frozenset(policy.employers), frozenset(policy.schools))


def day_window(day: date, timezone: str) -> Window:
    """00:00 to 24:00 of `day` in the time zone (23 or 25 hours on a DST change)."""
    tz = ZoneInfo(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    return Window(start.timestamp(), end.timestamp(), iso(start), iso(end))


def mask_name(name: str | None) -> str | None:
    """张三丰 → 张**, Li Wei → L****: the first character only, whatever the script or spacing.

    Spaces are dropped rather than kept, so the mask does not give away how a name is split into words.
    """
    if not name:
        return None
    chars = [c for c in name if not c.isspace()]
    if not chars:
        return None
    return chars[0] + "*" * max(1, len(chars) - 1)


def _local(ts: float | None, timezone: str) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, ZoneInfo(timezone)).isoformat(timespec="seconds")


def fever_json(row: FeverRow, timezone: str) -> dict[str, Any]:
    return {"site": row.site, "device_id": row.device_id, "scanned_at": _local(row.scanned_ts, timezone),
            "temperature": row.temperature, "serial": row.serial, "person_id": row.person_id,
            "name": mask_name(row.name), "document": row.document_masked}


def alert_json(row: AlertRow, timezone: str) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "site": row.site, "device_id": row.device_id,
            "created_at": row.created_at, "happened_at": _local(row.happened_ts, timezone)}


def device_json(row: DeviceRow) -> dict[str, Any]:
    return {"device_id": row.id, "site": row.site, "name": row.name, "last_seen_at": row.last_seen_at,
            "update_problem": row.update_problem}


def people_figures(rows: Iterable[PeopleRow]) -> dict[str, int]:
    out = {"in_quarantine": 0, "quarantine_ending": 0, "newly_registered": 0}
    for row in rows:
        out["in_quarantine"] += row.in_quarantine
        out["quarantine_ending"] += row.quarantine_ending
        out["newly_registered"] += row.newly_registered
    return out


def entry_figures(counts: Iterable[CountRow]) -> dict[str, Any]:
    """Allowed, denied, late uploads, denials by group and by raw reason (zeros included)."""
    reasons: Counter[str] = Counter({r: 0 for r in (*DENY_REASONS, OTHER)})
    allowed = denied = late = 0
    for row in counts:
        late += row.late
        if row.decision == "allow":
            allowed += row.count
        else:  # a denial under a code that is no deny reason (a faulty gate) still counts, as "other"
            denied += row.count
            reasons[row.reason if row.reason in GROUP_OF else OTHER] += row.count
    groups: Counter[str] = Counter({g: 0 for g in (*REASON_GROUPS, OTHER)})
    for reason, n in reasons.items():
        groups[GROUP_OF.get(reason, OTHER)] += n
    return {"entries": {"total": allowed + denied, "allowed": allowed, "denied": denied, "late_uploads": late},
            "denials": dict(groups), "denial_reasons": dict(reasons)}


def summary(denied: int, fevers: int, alerts: int, silent: int) -> dict[str, str]:
    """The report's one line: 零报告 when nothing happened, else what did."""
    if denied == fevers == alerts == 0:
        line = dict(ZERO_LINE)
    else:
        line = {"zh": f"有异常情况：拒绝通行 {denied} 人次，发热 {fevers} 人次，警报 {alerts} 条",
                "en": f"To report: {denied} denied, {fevers} fever(s), {alerts} alert(s)"}
    if silent:  # a silent gate may hide what happened there
        line["zh"] += f"；{silent} 台设备当日未同步，数据可能不全"
        line["en"] += f"; {silent} device(s) did not sync, figures may be incomplete"
    return line


def figures(window: Window, timezone: str, counts: Sequence[CountRow], fevers: Sequence[FeverRow],
            people: dict[str, int], silent: Sequence[DeviceRow], alerts: Sequence[AlertRow],
            measured: int = 0, ways: Iterable[tuple[str, int]] = ()) -> dict[str, Any]:
    """Every figure of one scope (a site, or the city) for one day."""
    out = entry_figures(counts)
    out["temperatures"] = {"taken": measured, "fevers": len(fevers)}
    directions = {"in": 0, "out": 0, "both": 0}
    for way, n in ways:
        directions[way if way in directions else "both"] += n
    out["directions"] = directions
    by_kind: Counter[str] = Counter({k: 0 for k in ALERT_KINDS})
    by_kind.update(a.kind for a in alerts)
    denied = out["entries"]["denied"]
    zero = denied == 0 and not fevers and not alerts
    out.update({
        "timezone": timezone,
        "day_start": _local(window.start_ts, timezone), "day_end": _local(window.end_ts, timezone),
        "fevers": [fever_json(f, timezone) for f in fevers],
        "people": people,
        "silent_devices": [device_json(d) for d in silent],
        "alerts": {"total": len(alerts), "by_kind": dict(by_kind),
                   "items": [alert_json(a, timezone) for a in alerts]},
        "zero_report": zero,
        "summary": summary(denied, len(fevers), len(alerts), len(silent)),
    })
    return out


def fingerprint(figs: dict[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the figures (nothing about when or how often asked)."""
    body = {k: v for k, v in figs.items() if k not in ("fingerprint", "first_produced",
                                                        "changed_since_first_produced")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def mark(figs: dict[str, Any], first: tuple[str, str] | None) -> None:
    """Add the fingerprint and whether it differs from the first report of the day."""
    figs["fingerprint"] = fp = fingerprint(figs)
    figs["first_produced"] = None if first is None else {"fingerprint": first[0], "at": first[1]}
    figs["changed_since_first_produced"] = first is not None and first[0] != fp


@dataclass(frozen=True, slots=True)
class _Rows:
    window: Window
    counts: list[CountRow]
    fevers: list[FeverRow]
    people: list[PeopleRow]
    silent: list[DeviceRow]
    alerts: list[AlertRow]
    temperatures: list[tuple[str, int]]
    directions: list[tuple[str, str, int]]


def tallies(rows: Iterable[DayRow]) -> tuple[list[CountRow], list[tuple[str, int]], list[tuple[str, str, int]]]:
    """The day's entry rows as counts by (site, decision, reason), temperatures taken by site, and
    entries by (site, direction)."""
    counts: dict[tuple[str, str, str], list[int]] = {}
    measured: Counter[str] = Counter()
    ways: Counter[tuple[str, str]] = Counter()
    for row in rows:
        found = counts.setdefault((row.site, row.decision, row.reason), [0, 0])
        found[0] += row.count
        found[1] += row.late
        measured[row.site] += row.measured
        ways[(row.site, row.direction)] += row.count
    return ([CountRow(site, decision, reason, n, late) for (site, decision, reason), (n, late) in counts.items()],
            [(site, n) for site, n in measured.items() if n],
            [(site, way, n) for (site, way), n in ways.items()])


async def _rows(db: Database, day: date, timezone: str, codes: list[str] | None) -> _Rows:
    window = day_window(day, timezone)
    lookback = iso(datetime.fromtimestamp(window.start_ts - store.ALERT_LOOKBACK, UTC))
    conn = db.read
    counts, measured, ways = tallies(await store.day_entries(conn, window=window, sites=codes))
    return _Rows(window, counts,
                 await store.fevers(conn, window=window, sites=codes),
                 await store.people(conn, day=day.isoformat(), window=window),
                 await store.silent_devices(conn, window=window, sites=codes),
                 await store.alerts(conn, window=window, lookback_iso=lookback, sites=codes),
                 measured, ways)


async def daily_report(db: Database, day: date, *, now: datetime, city_timezone: str, site: str | None = None,
                       visible: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
    """The report of `day` for every site (and the city), or for one site; NotFound for an unknown site.

    Each site's day is its policy's zone; the city's day is `city_timezone` (`GatewayConfig.timezone`).

    `health_monitoring` covers the city in the city's report; in one site's report, the people a
    scoped caller reaches (`visible(person)`), or nothing (null) without one."""
    sites = [site_info(r, city_timezone) for r in await site_store.list_sites(db.read)]
    if site is not None:
        sites = [s for s in sites if s.code == site]
        if not sites:
            raise NotFound(f"there is no site {site!r}", field="site")
    by_tz: dict[str, list[SiteInfo]] = defaultdict(list)
    for s in sites:
        by_tz[s.timezone].append(s)
    if site is None:
        by_tz.setdefault(city_timezone, [])  # the city's own day, for people and site-less alerts
    fetched: dict[str, _Rows] = {}
    for tz, members in by_tz.items():
        # one time zone (the usual case): no site filter, so the city sees every row
        codes = None if len(by_tz) == 1 else [s.code for s in members]
        fetched[tz] = await _rows(db, day, tz, codes)

    reports: list[dict[str, Any]] = []
    finished: dict[str, bool] = {}
    for tz, members in by_tz.items():
        rows = fetched[tz]
        counts, fevers = _by_site(rows.counts), _by_site(rows.fevers)
        silent, alerts = _by_site(rows.silent), _by_site(rows.alerts)
        people = people_by_site(members, rows.people)
        measured = dict(rows.temperatures)
        ways: dict[str, list[tuple[str, int]]] = defaultdict(list)  # by site: 10,000 sites × their rows otherwise
        for code, way, n in rows.directions:
            ways[code].append((way, n))
        for s in members:
            figs = figures(rows.window, tz, counts.get(s.code, []), fevers.get(s.code, []),
                           people_figures(people.get(s.code, [])), silent.get(s.code, []),
                           alerts.get(s.code, []), measured.get(s.code, 0), ways.get(s.code, []))
            reports.append({"site": s.code, "name": s.name, "kind": s.kind, **figs})
            finished[s.code] = now.timestamp() >= rows.window.end_ts
    reports.sort(key=lambda r: r["site"])

    city: dict[str, Any] | None = None
    if site is None:
        home = fetched[city_timezone]
        every = [rows for rows in fetched.values()]
        city = figures(home.window, city_timezone,
                       [c for rows in every for c in rows.counts],
                       sorted((f for rows in every for f in rows.fevers), key=lambda f: f.scanned_ts),
                       people_figures(home.people),
                       [d for rows in every for d in rows.silent],
                       _unique_alerts(rows.alerts for rows in every),
                       sum(n for rows in every for _, n in rows.temperatures),
                       [(way, n) for rows in every for _, way, n in rows.directions])
        city.update({"sites": len(reports), "zero_report_sites": sum(r["zero_report"] for r in reports)})
        finished[CITY] = all(now.timestamp() >= rows.window.end_ts for rows in every)

    await _checkpoints_and_major_events(db, reports, city, sites, fetched, city_timezone)
    firsts = await store.first_fingerprints(db.read, day=day.isoformat())
    scoped = [(r["site"], r) for r in reports] + ([(CITY, city)] if city is not None else [])
    for scope, figs in scoped:
        mark(figs, firsts.get(scope))
    new = {scope: figs["fingerprint"] for scope, figs in scoped if finished[scope] and scope not in firsts}
    if new:
        async with db.transaction() as tx:
            await store.remember_fingerprints(tx, day=day.isoformat(), produced_at=iso(now), fingerprints=new)
        for scope, figs in scoped:
            if scope in new:  # this report is the first one: say so, unchanged
                mark(figs, (new[scope], iso(now)))
    # who must be checked daily, who was not, who was abnormal: by community, city-wide or the caller's own
    health = (await monitoring.day_summary(db, day, ZoneInfo(city_timezone), mask_name, visible=visible)
              if site is None or visible is not None else None)
    return {"date": day.isoformat(), "generated_at": iso(now), "site": site, "sites": reports, "city": city,
            "health_monitoring": health}


async def _checkpoints_and_major_events(db: Database, reports: list[dict[str, Any]], city: dict[str, Any] | None,
                                       sites: list[SiteInfo], fetched: dict[str, _Rows], city_timezone: str) -> None:
    """Road checkpoints' figures (per checkpoint site and the city) and the day's major-event reports.

    Either makes a day something to report: a checkpoint's denials, fevers, hand-overs, or any
    major event (重大事项报告) take the scope off the zero report."""
    kinds = {s.code: s for s in sites}
    by_zone: dict[str, dict[str, list[major_events.MajorEventRow]]] = {}
    for figs in reports:
        info = kinds[figs["site"]]
        window = fetched[info.timezone].window
        if info.timezone not in by_zone:
            by_zone[info.timezone] = await major_events.of_day_by_site(db.read, start_ts=window.start_ts,
                                                                       end_ts=window.end_ts)
        events = by_zone[info.timezone].get(info.code, [])
        if info.kind == "checkpoint":
            figs["checkpoint"] = await checkpoint_store.counts_between(
                db.read, start_ts=window.start_ts, end_ts=window.end_ts, sites=[info.code])
        _add(figs, events, info.timezone)
    if city is not None:
        window = fetched[city_timezone].window
        city["checkpoint"] = await checkpoint_store.counts_between(db.read, start_ts=window.start_ts,
                                                                   end_ts=window.end_ts, sites=None)
        _add(city, await major_events.of_day(db.read, start_ts=window.start_ts, end_ts=window.end_ts),
             city_timezone)


def _add(figs: dict[str, Any], events: list[Any], timezone: str) -> None:
    figs["major_events"] = [{**major_events.event_json(e), "local_time": _local(e.created_ts, timezone)}
                            for e in events]
    found = figs.get("checkpoint") or {}
    worth = {k: found.get(k, 0) for k in ("denied", "fevers", "handovers", "referrals")}
    if any(worth.values()) or events:
        figs["zero_report"] = False
        figs["summary"] = {"zh": figs["summary"]["zh"].replace(ZERO_LINE["zh"], "有异常情况"),
                           "en": figs["summary"]["en"].replace(ZERO_LINE["en"], "To report")}
        if any(worth.values()):
            figs["summary"]["zh"] += (f"；卡口：拒绝 {worth['denied']} 人，发热 {worth['fevers']} 人，"
                                      f"重点地区人员移交 {worth['handovers']} 件，发热转诊 {worth['referrals']} 件")
            figs["summary"]["en"] += (f"; checkpoint: {worth['denied']} denied, {worth['fevers']} fever(s), "
                                      f"{worth['handovers']} key-area hand-over(s), {worth['referrals']} referral(s)")
        if events:
            figs["summary"]["zh"] += f"；重大事项报告 {len(events)} 件"
            figs["summary"]["en"] += f"; {len(events)} major-event report(s)"


def _by_site(rows: Iterable[_Sited]) -> dict[str, list[_Sited]]:
    out: dict[str, list[_Sited]] = defaultdict(list)
    for row in rows:
        if row.site is not None:
            out[row.site].append(row)
    return out


def people_by_site(sites: Iterable[SiteInfo], rows: Iterable[PeopleRow]) -> dict[str, list[PeopleRow]]:
    """People rows of each site: those whose community, employer or school the site's policy lists."""
    index: dict[tuple[str, str], list[str]] = defaultdict(list)
    for s in sites:
        for kind, codes in (("community", s.communities), ("employer", s.employers), ("school", s.schools)):
            for code in codes:
                index[(kind, code)].append(s.code)
    out: dict[str, list[PeopleRow]] = defaultdict(list)
    for row in rows:
        found: set[str] = set()  # a person listed twice by one site counts once there
        for kind, value in (("community", row.community), ("employer", row.employer), ("school", row.school)):
            if value is not None:
                found.update(index.get((kind, value), ()))
        for site in found:
            out[site].append(row)
    return out


def _unique_alerts(groups: Iterable[list[AlertRow]]) -> list[AlertRow]:
    seen: dict[int, AlertRow] = {}
    for rows in groups:
        for row in rows:
            seen.setdefault(row.id, row)
    return sorted(seen.values(), key=lambda a: a.id)


CHECKPOINT_FIGURES = ("vehicles", "people", "denied", "no_document", "fevers", "key_area_people", "handovers",
                      "referrals")
HEALTH_FIGURES = ("monitored", "checked", "not_checked", "abnormal")
CSV_COLUMNS = (
    ["date", "site", "name", "timezone", "zero_report", "entries_total", "allowed", "denied", "late_uploads"]
    + [f"denied_{g}" for g in (*REASON_GROUPS, OTHER)]
    + [f"reason_{r}" for r in (*DENY_REASONS, OTHER)]
    + ["fevers", "temperatures_taken", "entries_in", "entries_out", "entries_both", "in_quarantine", "quarantine_ending", "newly_registered", "silent_devices", "alerts"]
    + [f"alerts_{k}" for k in ALERT_KINDS]
    # road checkpoints (blank for a site that is no checkpoint), major-event reports, health monitoring
    # (the city row, or a one-site report's row; blank elsewhere): what the JSON report has beside the entries
    + [f"checkpoint_{k}" for k in CHECKPOINT_FIGURES]
    + ["major_events", "major_events_open"] + [f"major_events_{r}" for r in MAJOR_EVENT_RULES]
    + [f"health_{k}" for k in HEALTH_FIGURES]
    + ["summary_zh", "summary_en", "changed_since_first_produced", "fingerprint"])


def _cell(value: Any) -> str:
    """Text as a spreadsheet shows it; a leading = + - @ is quoted so it is never run as a formula."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_rows(report: dict[str, Any]) -> list[list[str]]:
    """The header, one row per site, and a city total row (site `*`) when the report covers the city."""
    scopes = [(r["site"], r["name"], r) for r in report["sites"]]
    if report["city"] is not None:
        scopes.append((CITY, "全市合计 City total", report["city"]))
    out = [list(CSV_COLUMNS)]
    health = report.get("health_monitoring")
    health_scope = CITY if report["city"] is not None else (report["sites"][0]["site"] if report["sites"] else None)
    for code, name, f in scopes:
        row = [report["date"], code, name, f["timezone"], f["zero_report"], f["entries"]["total"],
               f["entries"]["allowed"], f["entries"]["denied"], f["entries"]["late_uploads"]]
        row += [f["denials"][g] for g in (*REASON_GROUPS, OTHER)]
        row += [f["denial_reasons"][r] for r in (*DENY_REASONS, OTHER)]
        row += [len(f["fevers"]), f["temperatures"]["taken"], f["directions"]["in"], f["directions"]["out"],
                f["directions"]["both"], f["people"]["in_quarantine"], f["people"]["quarantine_ending"],
                f["people"]["newly_registered"], len(f["silent_devices"]), f["alerts"]["total"]]
        row += [f["alerts"]["by_kind"].get(k, 0) for k in ALERT_KINDS]
        found = f.get("checkpoint")
        row += [found.get(k, 0) if found is not None else "" for k in CHECKPOINT_FIGURES]
        events = f.get("major_events", [])
        row += [len(events), sum(1 for e in events if e["acknowledged_at"] is None)]
        row += [sum(1 for e in events if e["rule"] == r) for r in MAJOR_EVENT_RULES]
        shown = health if health is not None and code == health_scope else None
        row += [shown[k] if shown is not None else "" for k in HEALTH_FIGURES]
        row += [f["summary"]["zh"], f["summary"]["en"], f["changed_since_first_produced"], f["fingerprint"]]
        out.append([_cell(v) for v in row])
    return out


def to_csv(report: dict[str, Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(report))
    return buffer.getvalue()
