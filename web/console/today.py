"""Today (工作台): the page a worker lands on after login — what needs doing, within their scope."""

from __future__ import annotations

from aiohttp import web

from gateway import today
from gateway.clock import now

from .common import int_param, redirect, render, services, user


async def today_page(request: web.Request) -> web.Response:
    moment = now()
    board = await today.for_principal(services(request).db, user(request).principal(), moment=moment,
                                        tz=services(request).config.tz)
    return render(request, "console/today.html", {"board": board, "tomorrow": board.ending_tomorrow,
                                                  "silent_hours": int(today.SILENT_AFTER.total_seconds() // 3600)})


async def handle_alert(request: web.Request) -> web.Response:
    alert_id = int_param(request.match_info["alert_id"])
    await today.handle_alert(services(request).db, alert_id, user(request).principal(), at=now())
    back = "/console/alerts" if (await request.post()).get("back") == "alerts" else "/console/today"
    raise redirect(back, done="handled")


def setup(app: web.Application) -> None:
    app.router.add_get("/today", today_page)
    app.router.add_post(r"/alerts/{alert_id:\d{1,12}}/handled", handle_alert)
