"""`GET /api/v1/reports/daily`: the daily report and zero report as JSON or CSV."""

from __future__ import annotations

from aiohttp import web

from .. import reports, scoped
from ..clock import now
from ..errors import Forbidden, InvalidInput
from ..validate import iso_date
from .common import authorise, json_response, query_text, reach, services

FORMATS = ("json", "csv")
CSV_BOM = "\ufeff"  # so that a spreadsheet opens the Chinese text as UTF-8


async def daily_report(request: web.Request) -> web.Response:
    principal = await authorise(request)
    raw_day = request.query.get("date")
    if raw_day is None:
        raise InvalidInput("date is required (YYYY-MM-DD)", field="date")
    day = iso_date(raw_day, "date")
    site = query_text(request, "site")
    scope = await reach(request, principal)
    if not scope.everything:
        if site is None:
            raise InvalidInput(f"site is required: your scope ({principal.scope.text()}) covers only "
                               f"some sites ({', '.join(sorted(scope.sites)) or 'none'})", field="site")
        if not scope.covers_site(site):
            raise Forbidden(f"site {site} is outside your scope", code="out_of_scope")
    fmt = request.query.get("format", "json")
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}", field="format")
    # a scoped caller's report counts health monitoring for their own people (the city's for the city)
    svc = services(request)
    report = await reports.daily_report(svc.db, day, now=now(), city_timezone=svc.config.timezone, site=site,
                                        visible=None if scope.everything else lambda p: scoped.covers(scope, p))
    if fmt == "json":
        return json_response(report)
    # the site code is printable but may hold anything else: keep the file name plain
    suffix = "" if site is None else "-" + "".join(c if (c.isascii() and c.isalnum()) or c in "-_" else "_" for c in site)
    return web.Response(text=CSV_BOM + reports.to_csv(report), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition":
                                 f'attachment; filename="qrgate-daily-{day.isoformat()}{suffix}.csv"'})
