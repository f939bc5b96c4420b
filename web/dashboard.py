"""The console dashboard: today's figures per site, entries per hour (server-side SVG), what needs doing."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from gateway import access, major_events, monitoring, reports, resumption, scoped
from gateway.access import Reach
from gateway.errors import Forbidden
from gateway.clock import iso, now
from gateway.store import reports as report_store
from gateway.store.reports import HourRow
from gateway.validate import iso_date


from . import labels
from .console.common import lang_of, render, services, user

UNSYNCED_AFTER = timedelta(hours=1)  # a gate syncs every few minutes when online
MAX_ENDING = 200
MAX_PENDING = 100
# chart geometry, in SVG user units
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 240, 48, 28, 12


@dataclass(frozen=True, slots=True)
class Bar:
    hour: int
    x: float
    width: float
    allowed: int
    denied: int
    allowed_y: float
    allowed_h: float
    denied_y: float
    denied_h: float


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value) of the horizontal grid lines
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    base: float = HEIGHT - BOTTOM

    @property
    def total(self) -> int:
        return sum(b.allowed + b.denied for b in self.bars)


def _nice_max(value: int) -> int:
    """The top of the axis: 4 grid steps of 1, 2, 2.5 or 5 × 10ⁿ (whole numbers), at or above `value`."""
    step = 1
    while True:
        for m in (1.0, 2.0, 2.5, 5.0):
            if (m * step).is_integer() and 4 * m * step >= value:
                return int(4 * m * step)
        step *= 10


def hour_chart(rows: list[HourRow], hours: int) -> Chart:
    """Stacked bars (allowed below, denied above) per hour of the day."""
    allowed, denied = [0] * hours, [0] * hours
    for row in rows:
        if 0 <= row.hour < hours:
            (allowed if row.decision == "allow" else denied)[row.hour] += row.count
    top = _nice_max(max((a + d for a, d in zip(allowed, denied, strict=True)), default=0))
    plot_h = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT - 8) / hours
    base = HEIGHT - BOTTOM
    bars = []
    for h in range(hours):
        ah, dh = allowed[h] / top * plot_h, denied[h] / top * plot_h
        bars.append(Bar(h, LEFT + h * slot + slot * 0.12, slot * 0.76, allowed[h], denied[h],
                        base - ah, ah, base - ah - dh, dh))
    ticks = [(base - plot_h * k / 4, top * k // 4) for k in range(5)]  # top is a multiple of 4
    return Chart(bars, ticks)


def _day(request: web.Request, moment: datetime) -> date:
    """?date=, else the city's today."""
    raw = request.query.get("date")
    return iso_date(raw, "date") if raw else moment.astimezone(services(request).config.tz).date()


async def _scoped_site(request: web.Request) -> tuple[Reach, str | None]:
    """The caller's reach, and the site a scoped caller looks at (theirs; ?site= picks among them)."""
    reach = await scoped.reach(services(request).db.read, user(request).principal())
    if reach.everything:
        return reach, None
    wanted = request.query.get("site", "")
    if wanted in reach.sites:
        return reach, wanted
    if not reach.sites:
        raise Forbidden(f"no site is in your scope ({user(request).scope.text()})")
    return reach, sorted(reach.sites)[0]


def _as_city(report: dict[str, Any]) -> dict[str, Any]:
    """A one-site report shaped like the city's figures, for a scoped caller's dashboard."""
    figures = dict(report["sites"][0])
    figures.update({"sites": 1, "zero_report_sites": int(bool(figures.get("zero_report")))})
    return {**report, "city": figures}


async def dashboard(request: web.Request) -> web.Response:
    svc = services(request)
    moment = now()
    tz = svc.config.timezone
    day = _day(request, moment)
    reach, site = await _scoped_site(request)
    visible = None if reach.everything else (lambda person: scoped.covers(reach, person))
    report = await reports.daily_report(svc.db, day, now=moment, city_timezone=tz, site=site, visible=visible)
    if site is not None:
        report = _as_city(report)
    # the worker's list: who has a check due and none yet, by name for staff (a viewer sees initials)
    missing = await monitoring.not_checked(svc.db, day=day, tz=svc.config.tz, visible=visible)
    full_names = access.may(user(request).role, "health.list")
    window = reports.day_window(day, tz)
    hours = round((window.end_ts - window.start_ts) / 3600)  # 23 or 25 on a DST change
    chart = hour_chart(await report_store.hourly(svc.db.read, window=window, sites=reach.site_list()), hours)
    ending = await report_store.quarantine_ending(
        svc.db.read, days=[day.isoformat(), (day + timedelta(days=1)).isoformat()], limit=MAX_ENDING, reach=reach)
    unsynced = [d for d in await report_store.unsynced_devices(svc.db.read, since_iso=iso(moment - UNSYNCED_AFTER))
                if reach.covers_site(d.site)]
    # 重大事项报告: every open one of the caller's scope, first, whatever day is shown
    open_events = await major_events.listing(svc, user(request).principal(), open_only=True, limit=200)
    context: dict[str, Any] = {
        "major_events": [major_events.event_json(e) for e in open_events],
        "day": day, "prev_day": day - timedelta(days=1), "next_day": day + timedelta(days=1),
        "timezone": tz, "report": report, "city": report["city"], "chart": chart, "site_choice": site,
        "ending": [(p, reports.mask_name(p.name)) for p in ending], "ending_limit": MAX_ENDING,
        "health": report["health_monitoring"], "full_names": full_names,
        "not_checked": [(p, p.name if full_names else reports.mask_name(p.name)) for p in missing[:MAX_ENDING]],
        "not_checked_total": len(missing),
        "unsynced": unsynced, "unsynced_hours": int(UNSYNCED_AFTER.total_seconds() // 3600),
        "generated": datetime.fromtimestamp(moment.timestamp(), ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M"),
        "pending_resumptions": await resumption.listing(svc, user(request).principal(), state="pending",
                                                        limit=MAX_PENDING),
    }
    return render(request, "dashboard.html", context)


async def dashboard_csv(request: web.Request) -> web.Response:
    """The day's report as CSV, for a logged-in console user (the API wants a token)."""
    moment = now()
    day = _day(request, moment)
    _, site = await _scoped_site(request)
    svc = services(request)
    report = await reports.daily_report(svc.db, day, now=moment, city_timezone=svc.config.timezone, site=site)
    rows = reports.csv_rows(report)
    if request.query.get("header") != "fields":  # ?header=fields: the API's column names, for programs
        rows = labelled_csv(rows, lang_of(request))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return web.Response(text="\ufeff" + buffer.getvalue(), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="qrgate-daily-{day.isoformat()}.csv"'})


YES_NO_COLUMNS = ("zero_report", "changed_since_first_produced")


def labelled_csv(rows: list[list[str]], lang: str) -> list[list[str]]:
    """The report's rows with the header in the worker's words and yes/no cells as 是/否."""
    header = rows[0]
    flags = [i for i, name in enumerate(header) if name in YES_NO_COLUMNS]
    out = [[labels.report_column(name, lang) for name in header]]
    for row in rows[1:]:
        row = list(row)
        for i in flags:
            if row[i] in ("true", "false"):
                row[i] = labels.label("yes_no", "True" if row[i] == "true" else "False", lang)
        out.append(row)
    return out


def setup(console: web.Application) -> None:
    console.router.add_get("/dashboard", dashboard)
    console.router.add_get("/dashboard.csv", dashboard_csv)
