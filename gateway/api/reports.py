"""`GET /api/v1/reports/daily`: the daily report and zero report as JSON or CSV."""

from __future__ import annotations

from aiohttp import web

from .. import reports, scoped
from ..clock import now
from ..errors import Forbidden, InvalidInput
from ..openapi import DATE, TIME, array, nullable, obj, string
from ..validate import CODE, Choice, Day
from .common import authorise, json_response, reach, services
from .spec import operation, query

FORMATS = ("json", "csv")
CSV_BOM = "\ufeff"  # so that a spreadsheet opens the Chinese text as UTF-8


REPORT = obj({"date": DATE, "generated_at": TIME, "site": nullable(string()), "sites": array({"type": "object"}),
              "city": nullable({"type": "object"}), "health_monitoring": nullable({"type": "object"})})


@operation("The daily report and zero report (docs/reports.md): JSON or CSV", response=REPORT,
           response_content={"text/csv": {"type": "string"}},
           query={"date": Day(), "site": CODE, "format": Choice(FORMATS)}, required_query=("date",),
           errors=(404,), rules=(("site", "a token scoped to some sites names one of them"),))
async def daily_report(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    day, site = q["date"], q.get("site")
    scope = await reach(request, principal)
    if not scope.everything:
        if site is None:
            raise InvalidInput(f"site is required: your scope ({principal.scope.text()}) covers only "
                               f"some sites ({', '.join(sorted(scope.sites)) or 'none'})", field="site")
        if not scope.covers_site(site):
            raise Forbidden(f"site {site} is outside your scope", code="out_of_scope")
    fmt = q.get("format", "json")
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
