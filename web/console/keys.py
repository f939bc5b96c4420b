"""Issuer keys from the console (admin): list, withdraw with a reason, the reissue job, the reprint list."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from gateway import keyops, reissue, scoped
from gateway.access import Reach
from gateway.appkeys import reissue_runner_key
from gateway.errors import InvalidInput
from gateway.store.reissue import ReprintRow
from gateway.validate import reason as valid_reason

from . import cards
from .common import error_words, int_param, redirect, render, say, services, user

PAGE = 500  # reprint-list rows read at a time while the PDF streams


async def key_list(request: web.Request) -> web.Response:
    svc = services(request)
    return render(request, "console/keys.html", {"keys": keyops.list_keys(svc),
                                                 "jobs": await reissue.list_jobs(svc.db)})


def _kid(request: web.Request) -> str:
    kid = request.match_info["kid"]
    if kid not in {k.kid for k in keyops.list_keys(services(request))}:
        raise web.HTTPNotFound()
    return kid


async def withdraw_confirm(request: web.Request) -> web.Response:
    return render(request, "console/withdraw.html", {"kid": _kid(request), "errors": {}, "values": {}})


async def withdraw(request: web.Request) -> web.Response:
    kid = _kid(request)
    form = await request.post()
    errors: dict[str, str] = {}
    why = form.get("reason")
    try:
        why = valid_reason(why)
    except InvalidInput as exc:
        errors["reason"] = error_words(request, exc)
    if form.get("confirm") != "yes":
        errors["confirm"] = say(request, "请勾选确认", "Tick the box to confirm")
    if errors:
        return render(request, "console/withdraw.html", {
            "kid": kid, "errors": errors, "values": {"reason": why if isinstance(why, str) else ""}}, 422)
    done = await keyops.withdraw(services(request), kid, str(why), user(request).principal())
    request.config_dict[reissue_runner_key].schedule(done.job.id)
    raise redirect(f"/console/reissue/{done.job.id}")


async def job_page(request: web.Request) -> web.Response:
    job = await reissue.get(services(request).db, int(request.match_info["job_id"]))
    return render(request, "console/reissue.html", {"job": job, "percent": round(reissue.fraction(job) * 100)})


async def _reach(request: web.Request) -> Reach:
    return await scoped.reach(services(request).db.read, user(request).principal())


async def reprint_list(request: web.Request) -> web.Response:
    after = int_param(request.query.get("after"))
    rows = await reissue.reprint_list(services(request).db, after_person=after, limit=100,
                                      reach=await _reach(request))
    return render(request, "console/reprints.html", {
        "rows": rows, "next_after": rows[-1].person_id if len(rows) == 100 else None})


async def reprint_cards(request: web.Request) -> web.StreamResponse:
    """One PDF of every card on the reprint list (of the caller's scope), streamed card by card; they
    leave the list once it is sent whole."""
    svc = services(request)
    reach = await _reach(request)
    layout = cards.layout_of((await request.post()).get("layout"))
    first = await reissue.reprint_list(svc.db, limit=PAGE, reach=reach)
    if not first:
        raise redirect("/console/reprints")

    async def rows() -> AsyncIterator[ReprintRow]:
        batch = first
        while batch:
            for row in batch:
                yield row
            batch = await reissue.reprint_list(svc.db, after_person=batch[-1].person_id, limit=PAGE, reach=reach)

    async def done(sent: list[str]) -> None:
        # recorded before the end of the response, so whoever has the whole PDF sees the list without them
        await reissue.cards_reprinted(svc.db, sent, user(request).principal())

    return await cards.stream(request, rows(), layout=layout, filename="qrgate-reprint-cards.pdf", done=done)


def setup(app: web.Application) -> None:
    kid = r"/keys/{kid:[0-9a-f]{16}}"
    app.router.add_get("/keys", key_list)
    app.router.add_get(kid + "/withdraw", withdraw_confirm)
    app.router.add_post(kid + "/withdraw", withdraw)
    app.router.add_get(r"/reissue/{job_id:\d{1,12}}", job_page)
    app.router.add_get("/reprints", reprint_list)
    app.router.add_post("/reprints/cards.pdf", reprint_cards)
