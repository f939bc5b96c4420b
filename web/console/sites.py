"""Sites and scanner devices: create a site and its policy, enrol a scanner by QR, disable a device."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway import resumption, scoped, sites
from gateway.errors import Conflict, InvalidInput
from gateway.store import sites as site_store
from gateway.validate import reason as valid_reason

from .. import labels
from ..passview import qr_svg
from .common import error_words, form_body, lang_of, redirect, render, services, user
from .passes import _base_url
from .resumption import site_state

LIST_FIELDS = ("communities", "employers", "schools")
# the create form's fields that show their own error; any other field's error is shown above the form
CREATE_FIELDS = ("code", "name", "kind", *LIST_FIELDS, "open_from", "fever_threshold")


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").replace("，", ",").split(",") if c.strip()][:1000]


def _policy(form: dict[str, Any]) -> dict[str, Any]:
    """The policy's JSON form from the form's fields; the gateway validates every value."""
    policy: dict[str, Any] = {k: _codes(form.get(k)) for k in LIST_FIELDS}
    policy["visitors"] = form.get("visitors") == "yes"
    if form.get("require_cleared") == "yes":
        policy["require_cleared"] = True
    if form.get("resumption_required") == "yes":
        policy["resumption_required"] = True
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
                              "fever_threshold", "visitors", "require_cleared", "resumption_required"))
    body = {"code": values.get("code"), "name": values.get("name"), "kind": values.get("kind"),
            "policy": _policy(values)}
    try:
        row = await sites.create_site(services(request), body, user(request).principal())
    except (InvalidInput, Conflict) as exc:
        field = (exc.field or "_form").removeprefix("policy.")
        rows = await _visible_sites(request)
        return render(request, "console/sites.html", {"rows": rows, "kinds": labels.options("site_kind", lang_of(request)), "values": values,
                                                      "errors": {field if field in CREATE_FIELDS else "_form":
                                                                 error_words(request, exc, "site_field")}}, 422)
    raise redirect(f"/console/sites/{row.code}", done="site")


async def site_page(request: web.Request) -> web.Response:
    svc = services(request)
    await scoped.check_site(svc.db.read, user(request).principal(), request.match_info["code"])
    row = await sites.get_site(svc, request.match_info["code"])
    history = await resumption.listing(svc, user(request).principal(), site=row.code, limit=1)
    return render(request, "console/site.html", {
        "site": row, "policy": json.loads(row.policy), "firm": row.kind in resumption.FIRM_KINDS,
        "resumption_state": site_state(row, history),
        "devices": await sites.list_devices(svc, row.code), "root_fingerprint": sites.root_fingerprint(svc)})


# the affiliation lists each kind admits by (a checkpoint may list any, or none: open to anyone)
KIND_LISTS = {"community": ("communities",), "factory": ("employers",), "construction_site": ("employers",),
              "school": ("schools",), "checkpoint": LIST_FIELDS}
CHECKS = ("visitors", "require_temperature", "require_cleared", "allow_reentry", "resumption_required")
NUMBERS = ("fever_threshold", "max_data_age", "passback_minutes", "fever_hold_minutes", "code_max_age",
           "code_max_ahead")
EDIT_FIELDS = ("name", "reason", "open_from", "timezone", "holder_binding", *LIST_FIELDS, *CHECKS, *NUMBERS)
TIMEZONES = ("Asia/Shanghai", "Asia/Urumqi", "Asia/Hong_Kong", "UTC")  # suggested; the city's own comes first


def _number(text: str | None) -> Any:
    """An int or a float from the form; anything else goes on as it is, for the gateway's field error."""
    if text is None:
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def _shown_lists(kind: str, policy: dict[str, Any]) -> tuple[str, ...]:
    """The lists of the site's kind, and any other list that already holds codes."""
    return tuple(k for k in LIST_FIELDS if k in KIND_LISTS.get(kind, LIST_FIELDS) or policy.get(k))


def _form_values(row: site_store.SiteRow) -> dict[str, Any]:
    """The edit form's values from the stored policy; the opening time in the site's own time zone."""
    policy = sites.policy_of(row)
    values: dict[str, Any] = {k: v for k, v in policy.to_json().items() if k in NUMBERS}
    values.update({k: ",".join(getattr(policy, k)) for k in LIST_FIELDS})
    values.update({k: getattr(policy, k) for k in CHECKS})
    values.update(name=row.name, timezone=policy.timezone, holder_binding=policy.holder_binding.value,
                  open_from=policy.open_from.astimezone(policy.tz).strftime("%Y-%m-%dT%H:%M")
                  if policy.open_from else "")
    return values


def _edit_body(form: Any, shown: tuple[str, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the PATCH body, the values to show again) from the posted form."""
    values = form_body(form, EDIT_FIELDS)
    patch: dict[str, Any] = {k: _codes(values.get(k)) for k in shown}
    patch.update({k: form.get(k) == "yes" for k in CHECKS})
    patch.update({k: _number(values.get(k)) for k in NUMBERS if values.get(k) is not None})
    patch["open_from"] = values.get("open_from")  # empty: open, no opening time
    for key in ("timezone", "holder_binding"):
        if values.get(key):
            patch[key] = values[key]
    body: dict[str, Any] = {"name": values.get("name", ""), "policy": patch}
    if values.get("reason"):
        body["reason"] = values["reason"]
    return body, {**values, **{k: form.get(k) == "yes" for k in CHECKS}}


def _edit_page(request: web.Request, row: site_store.SiteRow, values: dict[str, Any],
               errors: dict[str, str], status: int = 200) -> web.Response:
    policy = json.loads(row.policy)
    return render(request, "console/site_edit.html", {
        "site": row, "values": values, "errors": errors, "lists": _shown_lists(row.kind, policy),
        "checks": CHECKS, "timezones": tuple(dict.fromkeys((services(request).config.timezone, *TIMEZONES))), "bindings": labels.options("holder_binding", lang_of(request))},
        status)


async def edit_form(request: web.Request) -> web.Response:
    row = await sites.get_site(services(request), request.match_info["code"])
    return _edit_page(request, row, _form_values(row), {})


async def edit(request: web.Request) -> web.Response:
    svc = services(request)
    row = await sites.get_site(svc, request.match_info["code"])
    body, values = _edit_body(await request.post(), _shown_lists(row.kind, json.loads(row.policy)))
    try:
        await sites.edit_site(svc, row.code, body, user(request).principal())
    except InvalidInput as exc:
        field = (exc.field or "_form").removeprefix("policy.")
        return _edit_page(request, row, values, {field if field in EDIT_FIELDS else "_form": error_words(request, exc, "site_field")}, 422)
    raise redirect(f"/console/sites/{row.code}", done="saved")


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
    app.router.add_get(r"/sites/{code:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}/edit", edit_form)
    app.router.add_post(r"/sites/{code:[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}}/edit", edit)
    app.router.add_post(r"/devices/{device_id:dev_[0-9a-f]{1,64}}/disable", disable)
