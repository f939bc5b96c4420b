"""Resumption approval (复工审批) in the console: a firm applies with the five items, an approver decides
and may withdraw the approval again (关停)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway import resumption, scoped, sites
from gateway.errors import Conflict, InvalidInput, NotFound
from gateway.store.sites import SiteRow

from .common import error_words, form_body, int_param, redirect, render, say, services, user

MAX_SHOWN = 200


def site_state(row: SiteRow, history: list[resumption.Resumption]) -> str:
    """not_required | none | pending | approved | refused | withdrawn: what the site's page and lists say."""
    policy = sites.policy_of(row)
    if policy.resumption_approved:
        return "approved"
    if history:
        return history[0].row.state
    return "none" if policy.resumption_required else "not_required"


def _items(form: Any) -> dict[str, dict[str, Any]]:
    """The checklist as the API takes it: a box not ticked is an item not in place (refused by name)."""
    items: dict[str, dict[str, Any]] = {}
    for key in resumption.ITEMS:
        note = form.get(f"note_{key}")
        items[key] = {"done": form.get(f"item_{key}") == "yes",
                      "note": note.strip()[:2000] if isinstance(note, str) and note.strip() else None}
    return items


async def _site_page(request: web.Request, values: dict[str, Any], errors: dict[str, str],
                     status: int = 200) -> web.Response:
    svc = services(request)
    code = request.match_info["code"]
    await scoped.check_site(svc.db.read, user(request).principal(), code)
    row = await sites.get_site(svc, code)
    history = await resumption.listing(svc, user(request).principal(), site=row.code, limit=MAX_SHOWN)
    state = site_state(row, history)
    return render(request, "console/site_resumption.html", {
        "site": row, "history": history, "state": state, "items": resumption.ITEMS, "values": values,
        "errors": errors, "firm": row.kind in resumption.FIRM_KINDS,
        "may_apply": row.kind in resumption.FIRM_KINDS and state in ("none", "refused", "withdrawn", "not_required")}, status)


async def site_resumption(request: web.Request) -> web.Response:
    return await _site_page(request, {}, {})


async def apply(request: web.Request) -> web.Response:
    form = await request.post()
    values = form_body(form, ("open_from", "note", *(f"note_{k}" for k in resumption.ITEMS)))
    values.update({f"item_{k}": form.get(f"item_{k}") == "yes" for k in resumption.ITEMS})
    body: dict[str, Any] = {"items": _items(form)}
    for key in ("open_from", "note"):
        if values.get(key):
            body[key] = values[key]
    try:
        await resumption.apply(services(request), request.match_info["code"], body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        field = (exc.field or "_form").removeprefix("items.").replace(".note", "")
        return await _site_page(request, values, {field: error_words(request, exc)}, 422 if isinstance(exc, InvalidInput)
                                else 409)
    raise redirect(f"/console/sites/{request.match_info['code']}/resumption", done="applied")


async def resumption_list(request: web.Request) -> web.Response:
    asked = request.query.get("state", "pending")
    state = asked if asked in resumption.STATES else None  # anything else (?state=all): every state
    found = await resumption.listing(services(request), user(request).principal(), state=state, limit=MAX_SHOWN)
    return render(request, "console/resumptions.html", {"rows": found, "state": state,
                                                        "states": resumption.STATES})


async def _detail(request: web.Request, values: dict[str, Any], errors: dict[str, str],
                  status: int = 200) -> web.Response:
    found_id = int_param(request.match_info["resumption_id"])
    try:
        found = await resumption.get(services(request), found_id, user(request).principal())
    except NotFound:
        raise web.HTTPNotFound() from None
    defaults = {"decision": "approve", "open_from": _local_input(found.row.open_from)}
    return render(request, "console/resumption.html", {
        "r": found, "items": resumption.ITEMS, "values": {**defaults, **values}, "errors": errors}, status)


def _local_input(iso: str | None) -> str:
    """An ISO time as the datetime-local field shows it, in the time's own offset (the site's)."""
    return iso[:16] if iso else ""


async def resumption_page(request: web.Request) -> web.Response:
    return await _detail(request, {}, {})


async def decide(request: web.Request) -> web.Response:
    form = await request.post()
    values = form_body(form, ("decision", "reason", "open_from"))
    body: dict[str, Any] = {"decision": values.get("decision"), "reason": values.get("reason", "")}
    if values.get("decision") == "approve" and values.get("open_from"):
        body["open_from"] = values["open_from"]
    found_id = int_param(request.match_info["resumption_id"])
    try:
        await resumption.decide(services(request), found_id, body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        return await _detail(request, values, {exc.field or "_form": error_words(request, exc)},
                             422 if isinstance(exc, InvalidInput) else 409)
    except NotFound:
        raise web.HTTPNotFound() from None
    raise redirect(f"/console/resumptions/{found_id}", done="decided")


async def withdraw(request: web.Request) -> web.Response:
    """关停: the reason and a ticked confirmation; the gates deny site_closed from their next sync."""
    form = await request.post()
    values = {"reason": form_body(form, ("reason",)).get("reason", "")}
    found_id = int_param(request.match_info["resumption_id"])
    if form.get("confirm") != "yes":
        return await _detail(request, values, {"confirm": say(request, "请勾选确认", "Tick the box to confirm")}, 422)
    try:
        await resumption.withdraw(services(request), found_id, {"reason": values["reason"]},
                                  user(request).principal())
    except InvalidInput as exc:
        return await _detail(request, values, {exc.field or "_withdraw": error_words(request, exc)}, 422)
    except Conflict as exc:
        return await _detail(request, values, {"_withdraw": error_words(request, exc)}, 409)
    except NotFound:
        raise web.HTTPNotFound() from None
    raise redirect(f"/console/resumptions/{found_id}", done="withdrawn")


def setup(app: web.Application) -> None:
    site = r"/sites/{code:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}/resumption"
    app.router.add_get(site, site_resumption)
    app.router.add_post(site, apply)
    app.router.add_get("/resumptions", resumption_list)
    app.router.add_get(r"/resumptions/{resumption_id:[0-9]{1,18}}", resumption_page)
    app.router.add_post(r"/resumptions/{resumption_id:[0-9]{1,18}}/decision", decide)
    app.router.add_post(r"/resumptions/{resumption_id:[0-9]{1,18}}/withdrawal", withdraw)
