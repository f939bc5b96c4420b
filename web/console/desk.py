"""The staffed desk (服务台) in the console: a document number in, a person's status and pass out."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gateway import desk
from gateway.clock import iso, local_today, now
from gateway.errors import InvalidInput

from ..passview import qr_svg
from .common import error_words, render, services, user


def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    base: dict[str, Any] = {"values": {"document_type": "resident_id"}, "errors": {}, "searched": False,
                            "answer": None, "qr": None, "today": local_today(services(request).config.tz).isoformat()}
    return render(request, "console/desk.html", {**base, **context}, status)


async def desk_page(request: web.Request) -> web.Response:
    return _page(request)


async def desk_lookup(request: web.Request) -> web.Response:
    form = await request.post()
    kind, number = form.get("document_type"), form.get("document_number")
    number = number.strip()[:100] if isinstance(number, str) else number
    try:
        answer = await desk.lookup(services(request), kind, number, user(request).principal())
    except InvalidInput as exc:
        # the typed number is not echoed back into the page: only the field's error
        return _page(request, 422, values={"document_type": kind if isinstance(kind, str) else ""},
                     errors={exc.field or "document_number": error_words(request, exc)})
    qr = None
    current = answer.current if answer is not None else None
    if current is not None and current.state == "live" and current.expires_at > iso(now()):
        qr = await asyncio.to_thread(qr_svg, current.qr_text)
    return _page(request, values={"document_type": kind}, searched=True, answer=answer, qr=qr)


def setup(app: web.Application) -> None:
    app.router.add_get("/desk", desk_page)
    app.router.add_post("/desk", desk_lookup)
