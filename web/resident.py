"""The resident pass page /p/{token}: the page, its JSON, manifest, service worker and card."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from importlib import resources
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from gateway import bindings
from gateway.api.common import read_json
from gateway.appkeys import services_key
from gateway import reissue
from gateway.clock import now
from gateway.validate import reject_unknown

from .card import card_pdf
from .i18n import LANG_COOKIE, Lang, pick, words
from .passview import PassState, ResidentPass, qr_svg, state_words
from .sessions import cookie_secure
from .sources import DependantPass, dependant_passes, resident_pass

TOKEN = r"[A-Za-z0-9_-]{16,128}"
# the token in the URL is the resident's bearer secret: never sent on as a referrer, never indexed
PRIVATE_HEADERS = {"Cache-Control": "no-cache, private", "Referrer-Policy": "no-referrer",
                   "X-Robots-Tag": "noindex, nofollow"}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")


def _lang(request: web.Request) -> tuple[Lang, bool]:
    """(language, whether to remember it): ?lang= wins, then the cookie, then Chinese."""
    asked = request.query.get("lang")
    if asked in ("zh", "en"):
        return pick(asked), True
    return pick(request.cookies.get(LANG_COOKIE)), False


def _finish(response: web.StreamResponse, request: web.Request, lang: Lang, remember: bool) -> None:
    response.headers.update(PRIVATE_HEADERS)
    response.headers["Content-Security-Policy"] = CSP
    if remember:
        response.set_cookie(LANG_COOKIE, lang, path="/p/", max_age=365 * 86400, samesite="Lax",
                            secure=cookie_secure(request), httponly=True)


async def _load(request: web.Request) -> ResidentPass:
    found = await resident_pass(request.config_dict[services_key], request.match_info["token"])
    if found is None:
        lang, _ = _lang(request)
        raise web.HTTPNotFound(text=aiohttp_jinja2.render_string(
            "resident_missing.html", request, {"lang": lang, "w": words(lang)}),
            content_type="text/html", headers=PRIVATE_HEADERS)
    return found


def _family_tab(d: DependantPass, at: datetime, lang: Lang) -> dict[str, Any]:
    """What one dependant's tab shows (rendered at once: the page's offline copy holds every QR)."""
    p = d.current
    if p is None:
        return {"id": d.person_id, "name": d.name, "p": None, "state": "none", "state_word": words(lang)["no_pass"]}
    state = p.state(at)
    return {"id": d.person_id, "name": d.name, "p": p, "state": state.value, "state_word": state_words(state, lang),
            "countdown": p.countdown(at, lang),
            "qr_svg": "" if state in (PassState.REVOKED, PassState.EXPIRED) else qr_svg(p.qr_text),
            # what family.js needs to recompute the state offline (expiry, the end of a quarantine)
            "data": {"status": p.status.value, "revoked": p.revoked, "expires_at": p.expires_at.isoformat(),
                     "quarantine_start": p.quarantine_start.isoformat() if p.quarantine_start else None,
                     "quarantine_end": p.quarantine_end.isoformat() if p.quarantine_end else None}}


async def page(request: web.Request) -> web.Response:
    p = await _load(request)
    lang, remember = _lang(request)
    at = now()
    state = p.state(at)
    token = request.match_info["token"]
    svc = request.config_dict[services_key]
    family = await dependant_passes(svc, p.person_id) if p.person_id is not None else []
    tabs = await asyncio.to_thread(lambda: [_family_tab(d, at, lang) for d in family])
    context = {
        "lang": lang, "w": words(lang), "token": token, "p": p, "state": state.value,
        "state_word": state_words(state, lang), "countdown": p.countdown(at, lang),
        "qr_svg": "" if p.revoked else await asyncio.to_thread(qr_svg, p.qr_text),
        "family": tabs,
        "page_data": {"token": token, "lang": lang, "tz": p.tz.key, "words": words(lang), "pass": p.to_json(at),
                      "code_period": request.config_dict[services_key].config.code_period_seconds},
    }
    response = aiohttp_jinja2.render_template("resident_pass.html", request, context)
    _finish(response, request, lang, remember)
    return response


async def pass_json(request: web.Request) -> web.Response:
    p = await _load(request)
    at = now()
    body = p.to_json(at)
    if p.person_id is not None:  # a guardian's page compares these with its tabs (family.js)
        family = await dependant_passes(request.config_dict[services_key], p.person_id)
        body["dependants"] = [{"person_id": d.person_id, "serial": d.current.serial if d.current else None,
                               "revoked": d.current.revoked if d.current else False} for d in family]
    response = web.json_response(body)
    response.headers.update(PRIVATE_HEADERS)
    return response


async def bind(request: web.Request) -> web.Response:
    """This phone's public key for the person behind the link: a holder-bound pass back (docs/web.md)."""
    # JSON only: a cross-site form cannot send it without a CORS preflight, which we never answer
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="application/json only", headers=PRIVATE_HEADERS)
    body = await read_json(request)
    reject_unknown(body, ("alg", "public_key"))
    key = bindings.parse_key(body.get("alg"), body.get("public_key"))
    bound = await bindings.bind(request.config_dict[services_key], request.match_info["token"], key)
    response = web.json_response({"bound": bound.to_json(),
                                  "server_time": now().isoformat(timespec="milliseconds")})
    response.headers.update(PRIVATE_HEADERS)
    return response


async def manifest(request: web.Request) -> web.Response:
    await _load(request)
    lang, _ = _lang(request)
    token = request.match_info["token"]
    body = {
        "name": f"qrgate {words(lang)['pass_title']}", "short_name": words(lang)["pass_title"],
        "start_url": f"/p/{token}", "scope": f"/p/{token}", "display": "standalone",
        "background_color": "#ffffff", "theme_color": "#ffffff", "lang": lang,
        "icons": [{"src": "/static/web/icon-192.png", "sizes": "192x192", "type": "image/png"},
                  {"src": "/static/web/icon-512.png", "sizes": "512x512", "type": "image/png"}],
    }
    response = web.Response(text=json.dumps(body, ensure_ascii=False),
                            content_type="application/manifest+json")
    response.headers.update(PRIVATE_HEADERS)
    return response


async def _printed(request: web.Request, p: ResidentPass) -> None:
    """The printable card was produced: if its pass is later voided, the holder is on the reprint list."""
    await reissue.cards_printed(request.config_dict[services_key].db, [p.serial], "resident")


async def _load_dependant(request: web.Request) -> ResidentPass:
    """A dependant's pass behind the guardian's link: only the guardian's own dependants, else 404."""
    guardian = await _load(request)
    raw = request.match_info["person_id"]
    if guardian.person_id is not None and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        for d in await dependant_passes(request.config_dict[services_key], guardian.person_id):
            if d.person_id == int(raw) and d.current is not None:
                return d.current
    lang, _ = _lang(request)
    raise web.HTTPNotFound(text=aiohttp_jinja2.render_string(
        "resident_missing.html", request, {"lang": lang, "w": words(lang)}),
        content_type="text/html", headers=PRIVATE_HEADERS)


async def card(request: web.Request) -> web.Response:
    dependant = "person_id" in request.match_info
    p = await (_load_dependant(request) if dependant else _load(request))
    lang, remember = _lang(request)
    if p.revoked:
        raise web.HTTPGone(text="revoked", headers=PRIVATE_HEADERS)
    base = f"/p/{request.match_info['token']}" + (f"/d/{p.person_id}" if dependant else "")
    context = {"lang": lang, "w": words(lang), "token": request.match_info["token"], "p": p, "base": base,
               "qr_svg": await asyncio.to_thread(qr_svg, p.qr_text)}
    await _printed(request, p)
    response = aiohttp_jinja2.render_template("resident_card.html", request, context)
    _finish(response, request, lang, remember)
    return response


async def card_download(request: web.Request) -> web.Response:
    p = await (_load_dependant(request) if "person_id" in request.match_info else _load(request))
    if p.revoked:  # a paper copy of a revoked pass would outlive the revocation at every offline gate
        raise web.HTTPGone(text="revoked", headers=PRIVATE_HEADERS)
    pdf = await asyncio.to_thread(card_pdf, p)  # Pillow work stays off the event loop
    await _printed(request, p)
    response = web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="qrgate-pass-{p.serial[:8]}.pdf"'})
    response.headers.update(PRIVATE_HEADERS)
    return response


async def service_worker(request: web.Request) -> web.Response:
    script = resources.files("web").joinpath("static/sw.js").read_text(encoding="utf-8")
    return web.Response(text=script, content_type="application/javascript",
                        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/p/"})


def setup(app: web.Application) -> None:
    app.router.add_get("/p/sw.js", service_worker)
    app.router.add_get(f"/p/{{token:{TOKEN}}}", page)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/pass.json", pass_json)
    app.router.add_post(f"/p/{{token:{TOKEN}}}/bind", bind)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/manifest.webmanifest", manifest)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/card", card)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/card.pdf", card_download)
    # a dependant's card, from the guardian's link (family passes, docs/web.md)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/d/{{person_id:[0-9]{{1,18}}}}/card", card)
    app.router.add_get(f"/p/{{token:{TOKEN}}}/d/{{person_id:[0-9]{{1,18}}}}/card.pdf", card_download)
