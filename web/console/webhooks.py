"""Township webhooks (admins): set one, see what is queued, and the dead letters sent again."""

from __future__ import annotations

from aiohttp import web

from gateway import webhooks
from gateway.errors import Conflict, InvalidInput

from .common import error_words, form_body, int_param, redirect, render, services, user


async def _page(request: web.Request, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                secret: str | None = None, status: int = 200) -> web.Response:
    svc = services(request)
    return render(request, "console/webhooks.html", {
        "hooks": await webhooks.listing(svc), "dead": await webhooks.deliveries(svc, state="dead"),
        "pending": await webhooks.deliveries(svc, state="pending"), "values": values or {"enabled": "yes"},
        "errors": errors or {}, "secret": secret}, status)


async def page(request: web.Request) -> web.Response:
    return await _page(request)


async def configure(request: web.Request) -> web.Response:
    form = form_body(await request.post(), ("township", "url", "secret", "enabled", "reason"))
    body = {"url": form.get("url"), "reason": form.get("reason"), "enabled": form.get("enabled") == "yes"}
    if form.get("secret"):
        body["secret"] = form["secret"]
    try:
        done = await webhooks.configure(services(request), form.get("township", ""), body, user(request).principal())
    except InvalidInput as exc:
        return await _page(request, values=form, errors={exc.field or "township": error_words(request, exc)}, status=422)
    # a secret made here is shown this once: the township's system needs it to check signatures
    return await _page(request, secret=done.secret)


async def retry(request: web.Request) -> web.StreamResponse:
    form = form_body(await request.post(), ("reason",))
    try:
        await webhooks.retry(services(request), int_param(request.match_info["delivery_id"]),
                             {"reason": form.get("reason", "sent again from the console")}, user(request).principal())
    except Conflict as exc:
        return await _page(request, errors={"retry": error_words(request, exc)}, status=409)
    raise redirect("/console/webhooks", done="saved")


def setup(app: web.Application) -> None:
    app.router.add_get("/webhooks", page)
    app.router.add_post("/webhooks", configure)
    app.router.add_post("/webhook-deliveries/{delivery_id}/retry", retry)
