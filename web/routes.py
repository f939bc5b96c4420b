"""Hook called at the end of the gateway's `create_app`: templates, static files, pages."""

from __future__ import annotations

import json
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway.appkeys import config_key

from . import labels, resident, sessions
from .console import create_console

STATIC = Path(__file__).parent / "static"


async def favicon(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "icon-192.png", headers={"Content-Type": "image/png",
                                                              "Cache-Control": "public, max-age=86400"})


def setup_web(app: web.Application) -> None:
    """Resident pages under /p/, the admin console under /console/, assets under /static/web/."""
    env = aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("web", "templates"),
                               autoescape=jinja2.select_autoescape(default=True), undefined=jinja2.StrictUndefined)
    tz = app[config_key].tz  # the city's: every console time is shown in it
    env.filters["local"] = lambda value: labels.local(value, tz)  # 2020-02-16 09:30
    env.filters["fromjson"] = json.loads
    env.filters["local_time"] = lambda value: labels.local(value, tz)[11:] if value else "—"
    app.router.add_static("/static/web/", STATIC, append_version=False)
    app.router.add_get("/favicon.ico", favicon)  # browsers ask for it whatever the page says
    resident.setup(app)
    app.add_subapp("/console/", create_console())
    app.cleanup_ctx.append(sessions.purge_ctx)
