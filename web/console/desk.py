"""The staffed desk (服务台) in the console: a document number in, a person's status and pass out."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from gateway import desk
from gateway.clock import iso, local_today, now
from gateway.errors import InvalidInput, Throttled

from ..passview import qr_svg
from .common import error_words, render, say, services, user


def _page(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    base: dict[str, Any] = {"values": {"document_type": "resident_id"}, "errors": {}, "searched": False,
                            "throttled": None, "answer": None, "qr": None, "today": local_today(services(request).config.tz).isoformat()}
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
    except Throttled as exc:
        wait = int(exc.retry_after) + 1
        config = services(request).config
        limit, every = config.desk_lookup_limit, config.desk_lookup_window_seconds / config.desk_lookup_limit
        pace = f"{every:.0f}" if every >= 10 else f"{every:.1f}"
        response = _page(request, 429, values={"document_type": kind if isinstance(kind, str) else ""},
                         throttled=say(request, f"查询过于频繁：每个账号连续最多查询 {limit} 次，之后每 {pace} 秒"
                                                f"可查询 1 次。请 {wait} 秒后再试。本次未查询。",
                                       f"Too many look-ups: one account may make {limit} in a row, then one "
                                       f"every {pace} s. Try again in {wait} s. Nothing was looked up."))
        response.headers["Retry-After"] = str(wait)
        return response
    qr = None
    current = answer.current if answer is not None else None
    if current is not None and current.state == "live" and current.expires_at > iso(now()):
        qr = await asyncio.to_thread(qr_svg, current.qr_text)
    return _page(request, values={"document_type": kind}, searched=True, answer=answer, qr=qr)


def setup(app: web.Application) -> None:
    app.router.add_get("/desk", desk_page)
    app.router.add_post("/desk", desk_lookup)
