"""The checkpoint inbox: hand-overs and referrals to the user's communities, worked step by step."""

from __future__ import annotations

from aiohttp import web

from gateway import handovers
from gateway.clock import now
from gateway.errors import Conflict, InvalidInput

from .common import error_words, form_body, int_param, redirect, render, services, user

PAGE = 100


async def inbox(request: web.Request) -> web.Response:
    q = request.query
    kind = q.get("kind") if q.get("kind") in handovers.KINDS else None
    state = q.get("state") if q.get("state") in handovers.STATES else None
    show_closed = q.get("closed") == "1"
    rows = await handovers.listing(services(request), user(request).principal(), kind=kind, state=state,
                                   open_only=not show_closed and state is None,
                                   after_id=int_param(q.get("after")), limit=PAGE)
    at = now().timestamp()
    return render(request, "console/handovers.html", {
        "rows": [(r, handovers.overdue(r, at)) for r in rows], "kind": kind or "", "state": state or "",
        "closed": show_closed, "next_after": rows[-1].id if len(rows) == PAGE else None})


async def _page(request: web.Request, handover_id: int, errors: dict[str, str] | None = None,
                status: int = 200) -> web.Response:
    row = await handovers.get_for(services(request), user(request).principal(), handover_id)
    return render(request, "console/handover.html", {
        "h": row, "data": handovers.handover_json(row), "overdue": handovers.overdue(row, now().timestamp()),
        "steps": [s for s, (sources, _) in handovers.STEPS.items() if row.state in sources],
        "errors": errors or {}}, status)


async def detail(request: web.Request) -> web.Response:
    return await _page(request, int_param(request.match_info["handover_id"]))


async def step(request: web.Request) -> web.StreamResponse:
    handover_id = int_param(request.match_info["handover_id"])
    body = form_body(await request.post(), ("step", "place", "note"))
    try:
        await handovers.take_step(services(request), user(request).principal(), handover_id, body)
    except (InvalidInput, Conflict) as exc:
        if isinstance(exc, InvalidInput) or exc.code == "wrong_state":
            return await _page(request, handover_id, {exc.field or "step": error_words(request, exc)}, 422)
        raise
    raise redirect(f"/console/handovers/{handover_id}", done="handover_step")


def setup(app: web.Application) -> None:
    app.router.add_get("/handovers", inbox)
    app.router.add_get("/handovers/{handover_id}", detail)
    app.router.add_post("/handovers/{handover_id}/steps", step)
