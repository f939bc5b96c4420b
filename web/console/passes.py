"""Passes from the console: issue, revoke (reason + confirmation), reissue, print the card."""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiohttp import web

from gateway import bindings, passes, registry
from gateway.clock import now
from gateway.reports import mask_name
from gateway import reissue as bulk_reissue
from gateway.errors import InvalidInput
from gateway.validate import reason as valid_reason
from keys import Status

from ..card import card_pdf
from ..passview import ResidentPass, qr_svg
from .common import error_words, redirect, render, say, services, user


def _base_url(request: web.Request) -> str:
    """The resident link's origin: the configured public URL, else the address the gateway listens on
    (never the request's Host header, which the sender chooses)."""
    return services(request).config.base_url


async def _pass_of_person(request: web.Request) -> tuple[int, str]:
    person_id, serial = int(request.match_info["person_id"]), request.match_info["serial"]
    row = await passes.get_for(services(request).db, user(request).principal(), serial)
    if row.person_id != person_id:
        raise web.HTTPNotFound()
    return person_id, serial


def _issued(request: web.Request, info: passes.IssuedPassInfo) -> web.Response:
    # the resident link is the holder's bearer secret: shown once, to the worker who hands it over
    return render(request, "console/issued.html", {"info": info, "qr_svg": qr_svg(info.qr_text)})


async def issue(request: web.Request) -> web.Response:
    person_id = int(request.match_info["person_id"])
    info = await passes.issue(services(request), person_id, user(request).principal(), _base_url(request))
    return _issued(request, info)


async def revoke_confirm(request: web.Request) -> web.Response:
    person_id, serial = await _pass_of_person(request)
    person = await registry.get_for(services(request), user(request).principal(), person_id)
    return render(request, "console/revoke.html", {"p": person, "serial": serial, "errors": {}, "values": {}})


async def revoke(request: web.Request) -> web.Response:
    person_id, serial = await _pass_of_person(request)
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
        person = await registry.get_for(services(request), user(request).principal(), person_id)
        return render(request, "console/revoke.html", {
            "p": person, "serial": serial, "errors": errors,
            "values": {"reason": why if isinstance(why, str) else ""}}, 422)
    await passes.revoke(services(request), serial, str(why), user(request).principal())
    raise redirect(f"/console/people/{person_id}", done="revoked")


async def reissue(request: web.Request) -> web.Response:
    _, serial = await _pass_of_person(request)
    form = await request.post()
    why = valid_reason(form.get("reason") or "reissued from the console")
    info = await passes.reissue(services(request), serial, why, user(request).principal(), _base_url(request))
    return _issued(request, info)


async def holder_reset(request: web.Request) -> web.Response:
    """End the person's phone binding (lost or new phone); the resident binds again from the link."""
    person_id = int(request.match_info["person_id"])
    form = await request.post()
    await bindings.reset(services(request), person_id, valid_reason(form.get("reason")), user(request).principal())
    raise redirect(f"/console/people/{person_id}", done="holder_reset")


async def rotate_link(request: web.Request) -> web.Response:
    """A new resident link (the old one stops at once), audited with its reason; the file shows the new QR."""
    person_id = int(request.match_info["person_id"])
    form = await request.post()
    await passes.rotate_resident_link(services(request), person_id, valid_reason(form.get("reason")),
                                      user(request).principal(), _base_url(request))
    raise web.HTTPSeeOther(f"/console/people/{person_id}?done=rotated#resident-link-section")


async def slip(request: web.Request) -> web.Response:
    """A printable slip to hand a resident: masked name, the link's QR, how to use it (zh and en)."""
    person_id = int(request.match_info["person_id"])
    svc = services(request)
    person = await registry.get_for(svc, user(request).principal(), person_id)
    link = await passes.resident_link(svc, person_id, user(request).principal(), _base_url(request))
    if link is None:
        raise web.HTTPNotFound()
    return render(request, "console/slip.html", {"p": person, "masked_name": mask_name(person.name),
                                                 "link_qr": qr_svg(link), "printed": now()})


async def card(request: web.Request) -> web.Response:
    person_id, serial = await _pass_of_person(request)
    svc = services(request)
    row = await passes.get(svc.db, serial)
    if row.state != "live":
        raise web.HTTPNotFound()
    person = await registry.get_for(svc, user(request).principal(), person_id)
    view = ResidentPass(serial=row.serial, qr_text=row.qr_text, name=person.name,
                        document=person.document_last4, status=Status(person.status),
                        expires_at=datetime.fromisoformat(row.expires_at), revoked=False, tz=svc.config.tz)
    pdf = await asyncio.to_thread(card_pdf, view)
    await bulk_reissue.cards_printed(svc.db, [row.serial], user(request).principal())  # for the reprint list
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="qrgate-pass-{serial[:8]}.pdf"'})


def setup(app: web.Application) -> None:
    person = r"/people/{person_id:\d{1,12}}"
    one = person + r"/passes/{serial:[0-9a-f]{24}}"
    app.router.add_post(person + "/passes", issue)
    app.router.add_post(person + "/holder-reset", holder_reset)
    app.router.add_post(person + "/resident-link/rotate", rotate_link)
    app.router.add_get(person + "/slip", slip)
    app.router.add_get(one + "/revoke", revoke_confirm)
    app.router.add_post(one + "/revoke", revoke)
    app.router.add_post(one + "/reissue", reissue)
    app.router.add_get(one + "/card.pdf", card)
