"""Hook called at the end of the gateway's `create_app`: templates, static files, pages."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web

from . import resident, sessions
from .console import create_console

STATIC = Path(__file__).parent / "static"


def setup_web(app: web.Application) -> None:
    """Resident pages under /p/, the admin console under /console/, assets under /static/web/."""
    aiohttp_jinja2.setup(app, loader=jinja2.PackageLoader("web", "templates"),
                         autoescape=jinja2.select_autoescape(default=True), undefined=jinja2.StrictUndefined)
    app.router.add_static("/static/web/", STATIC, append_version=False)
    resident.setup(app)
    app.add_subapp("/console/", create_console())
    app.cleanup_ctx.append(sessions.purge_ctx)
