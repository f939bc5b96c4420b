"""Sites and scanner devices: create a site and its policy, enrol a scanner by QR, disable a device."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway import scoped, sites
from gateway.errors import Conflict, InvalidInput
from gateway.store import sites as site_store
from gateway.validate import reason as valid_reason

from .. import labels
from ..passview import qr_svg
from .common import form_body, lang_of, redirect, render, services, user
from .passes import _base_url

LIST_FIELDS = ("communities", "employers", "schools")


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()][:1000]


def _policy(form: dict[str, Any]) -> dict[str, Any]:
    """The policy's JSON form from the form's fields; the gateway validates every value."""
    policy: dict[str, Any] = {k: _codes(form.get(k)) for k in LIST_FIELDS}
    policy["visitors"] = form.get("visitors") == "yes"
    if form.get("require_cleared") == "yes":
        policy["require_cleared"] = True
    if form.get("open_from"):
        policy["open_from"] = form["open_from"]
    if form.get("fever_threshold"):
        try:
            policy["fever_threshold"] = float(form["fever_threshold"])
        except ValueError:
            policy["fever_threshold"] = form["fever_threshold"]
    return policy


async def _visible_sites(request: web.Request) -> list[site_store.SiteRow]:
    reach = await scoped.reach(services(request).db.read, user(request).principal())
    return [r for r in await site_store.list_sites(services(request).db.read) if reach.covers_site(r.code)]


async def site_list(request: web.Request) -> web.Response:
    rows = await _visible_sites(request)
    return render(request, "console/sites.html", {"rows": rows, "kinds": labels.options("site_kind", lang_of(request)), "values": {"kind": "community"},
                                                  "errors": {}})


async def create_site(request: web.Request) -> web.Response:
    form = await request.post()
    values = form_body(form, ("code", "name", "kind", "communities", "employers", "schools", "open_from",
                              "fever_threshold", "visitors", "require_cleared"))
    body = {"code": values.get("code"), "name": values.get("name"), "kind": values.get("kind"),
            "policy": _policy(values)}
    try:
        row = await sites.create_site(services(request), body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        field = (exc.field or "_form").removeprefix("policy.")
        rows = await _visible_sites(request)
        return render(request, "console/sites.html", {"rows": rows, "kinds": labels.options("site_kind", lang_of(request)), "values": values,
                                                      "errors": {field: exc.message}}, 422)
    raise redirect(f"/console/sites/{row.code}", done="site")


async def site_page(request: web.Request) -> web.Response:
    svc = services(request)
    await scoped.check_site(svc.db.read, user(request).principal(), request.match_info["code"])
    row = await sites.get_site(svc, request.match_info["code"])
    return render(request, "console/site.html", {
        "site": row, "policy": json.loads(row.policy),
        "devices": await sites.list_devices(svc, row.code), "root_fingerprint": sites.root_fingerprint(svc)})


async def enrol(request: web.Request) -> web.Response:
    svc = services(request)
    row = await sites.get_site(svc, request.match_info["code"])
    enrolment = await sites.create_enrolment(svc, row.code, {}, user(request).principal(), _base_url(request))
    return render(request, "console/enrolment.html", {"site": row, "enrolment": enrolment,
                                                      "qr_svg": qr_svg(enrolment.qr_text),
                                                      "gateway_url": svc.config.base_url})


async def disable(request: web.Request) -> web.Response:
    svc = services(request)
    form = await request.post()
    why = valid_reason(form.get("reason") or "disabled from the console")
    device = await sites.disable_device(svc, request.match_info["device_id"], why, user(request).principal())
    raise redirect(f"/console/sites/{device.site}", done="disabled")


def setup(app: web.Application) -> None:
    app.router.add_get("/sites", site_list)
    app.router.add_post("/sites", create_site)
    app.router.add_get(r"/sites/{code:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}", site_page)
    app.router.add_post(r"/sites/{code:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}/enrolments", enrol)
    app.router.add_post(r"/devices/{device_id:dev_[0-9a-f]{1,64}}/disable", disable)
