"""Key epidemic areas from the console: everyone sees the list, an admin adds, edits, ends or removes one.

Every change goes through gateway/key_areas.py, as the API and `qrgate key-areas` do: audited, the
people from the area re-evaluated and their passes reissued in the same transaction.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from gateway import key_areas, regions
from gateway.clock import local_today
from gateway.errors import InvalidInput

from .. import labels
from .common import error_words, form_body, int_param, lang_of, redirect, render, say, services, user

def _prefix_param(request: web.Request) -> str:
    try:
        return key_areas.prefix_of(request.match_info["prefix"])
    except InvalidInput as exc:
        raise web.HTTPNotFound() from exc


async def _page(request: web.Request, *, mode: str = "set", target: str | None = None,
                values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                status: int = 200) -> web.Response:
    svc = services(request)
    areas = await key_areas.listing(svc)
    lang = lang_of(request)
    done = None
    if request.query.get("done") == "key_area":
        done = say(request, "已保存重点疫区：{p} 人重新计算隔离，{r} 张通行证已换发",
                   "Key area saved: {p} people's quarantine recomputed, {r} passes reissued").format(
            p=int_param(request.query.get("people")), r=int_param(request.query.get("reissued")))
    return render(request, "console/key_areas.html", {
        "areas": [{**a, "label": labels.region(a["prefix"], lang)} for a in areas],
        "mode": mode, "target": target, "target_label": labels.region(target, lang) if target else "",
        "values": values or {}, "errors": errors or {}, **({"flash": done} if done else {}),
        "choices": labels.region_prefixes(lang), "today": local_today(services(request).config.tz).isoformat()}, status)


async def area_list(request: web.Request) -> web.Response:
    """The list; ?edit=P, ?end=P or ?remove=P opens that form for area P (an admin's page only)."""
    areas = {a["prefix"]: a for a in await key_areas.listing(services(request))}
    for mode, key in (("set", "edit"), ("end", "end"), ("remove", "remove")):
        chosen = request.query.get(key, "")
        if chosen in areas and user(request).role == "admin":
            area = areas[chosen]
            values = {"prefix": chosen, "from": area["from"], "until": area["until"] or ""}
            if mode == "end":
                values["until"] = local_today(services(request).config.tz).isoformat()
            return await _page(request, mode=mode, target=chosen, values=values)
    return await _page(request)


def _resolve(text: str | None) -> str:
    """The prefix an admin chose: a code (any width) or a region's name, e.g. 湖北省 → 42."""
    if not text:
        raise InvalidInput("choose a region: its name or its GB/T 2260 code", field="prefix")
    found = regions.prefix_for(text)
    if found is None:
        return key_areas.prefix_of(text)
    return found


def _done(result: key_areas.ChangeResult) -> web.HTTPSeeOther:
    return redirect("/console/key-areas", done="key_area", people=str(result.people),
                    reissued=str(result.reissued))


async def set_area(request: web.Request) -> web.Response:
    values = form_body(await request.post(), ("prefix", "from", "until", "reason"))
    try:
        prefix = _resolve(values.get("prefix"))
        result = await key_areas.set_area(services(request), prefix, {
            "from": values.get("from"), "until": values.get("until"), "reason": values.get("reason")},
            user(request).principal())
    except InvalidInput as exc:
        return await _page(request, values=values, errors={exc.field or "_form": error_words(request, exc)}, status=422)
    raise _done(result)


async def end_area(request: web.Request) -> web.Response:
    prefix = _prefix_param(request)
    values = form_body(await request.post(), ("until", "reason"))
    try:
        result = await key_areas.end_area(services(request), prefix, values, user(request).principal())
    except InvalidInput as exc:
        return await _page(request, mode="end", target=prefix, values=values,
                           errors={exc.field or "_form": error_words(request, exc)}, status=422)
    raise _done(result)


async def remove_area(request: web.Request) -> web.Response:
    prefix = _prefix_param(request)
    values = form_body(await request.post(), ("reason",))
    try:
        result = await key_areas.remove_area(services(request), prefix, values, user(request).principal())
    except InvalidInput as exc:
        return await _page(request, mode="remove", target=prefix, values=values,
                           errors={exc.field or "_form": error_words(request, exc)}, status=422)
    raise _done(result)


def setup(app: web.Application) -> None:
    prefix = r"/key-areas/{prefix:[0-9]{2,6}}"
    app.router.add_get("/key-areas", area_list)
    app.router.add_post("/key-areas", set_area)
    app.router.add_post(prefix + "/end", end_area)
    app.router.add_post(prefix + "/remove", remove_area)
