"""The admin console under /console/: a sub-application with its own session and CSRF middleware."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from gateway import access
from gateway.clock import now
from gateway.errors import Conflict, Forbidden, GatewayError, InvalidInput, NotFound

from gateway.store import accounts as account_store

from .. import dashboard, labels, sessions
from . import activity, auth, cards, desk, guardianships, handovers, imports, key_areas, keys, major_events, passes, \
    people, resumption, schools, sites, today, webhooks
from .common import Handler, csrf_key, error_words, redirect, render, say, services, user_key

PUBLIC = ("/console/login",)
log = logging.getLogger("qrgate.gateway")
SECURITY_HEADERS = {
    "Cache-Control": "no-store", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
                               " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
}


def _refuse(request: web.Request, status: int, message: str) -> web.Response:
    response = render(request, "console/error.html", {"status": status, "message": message}, status)
    response.headers.update(SECURITY_HEADERS)
    return response


def _cross_origin(request: web.Request) -> bool:
    """An Origin that is neither this request's own nor the gateway's public URL (behind a TLS proxy
    the browser says https://public-name while the proxy forwards plain http)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    public = urlsplit(services(request).config.base_url)
    return origin not in (f"{request.scheme}://{request.host}", f"{public.scheme}://{public.netloc}")


@web.middleware
async def console_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Who is logged in; CSRF on every POST; login required; domain errors as pages."""
    current = await sessions.current_user(services(request).db, request, now=now())
    if current is not None:
        request[user_key] = current
        request[csrf_key] = current.csrf
    if request.method == "POST":
        try:
            form = await request.post()
        except web.HTTPRequestEntityTooLarge:
            limit = services(request).config.max_body_bytes // (1024 * 1024)
            return _refuse(request, 413, say(request, f"文件太大：最多 {limit} MB，请分成几个文件",
                                             f"The file is too large: at most {limit} MB, split it"))
        expected = request.cookies.get(sessions.LOGIN_CSRF_COOKIE) if request.path in PUBLIC \
            else (current.csrf if current else None)
        if _cross_origin(request) or not sessions.same_token(expected, form.get(sessions.CSRF_FIELD)):
            return _refuse(request, 403, say(request, "表单已失效，请刷新页面后重试。",
                                             "The form's security token is missing or wrong (CSRF): reload the "
                                             "page and try again."))
    resource = request.match_info.route.resource
    action = access.action_for(request.method, resource.canonical if resource else "")
    if current is None and action != access.PUBLIC:
        if request.method == "GET" and action is not None:
            raise redirect("/console/login", next=request.path_qs[:400])
        if action is not None:
            return _refuse(request, 403, say(request, "请先登录", "Please log in"))
    if action is None:
        if resource is None or request.match_info.http_exception is not None:
            return _refuse(request, 404, say(request, "找不到", "Not found"))
        log.error("console route %s %s has no entry in gateway/access.py: refused", request.method,
                  resource.canonical)
        return _refuse(request, 403, "forbidden")
    if current is not None and action != access.PUBLIC and not access.may(current.role, action):
        return _refuse(request, 403, say(request, "您的角色无权执行此操作", "Your role may not do this"))
    try:
        response = await handler(request)
    except web.HTTPForbidden as exc:
        return _refuse(request, 403, exc.reason or "forbidden")
    except (web.HTTPNotFound, NotFound) as exc:
        return _refuse(request, 404, say(request, "找不到", "Not found") if isinstance(exc, web.HTTPNotFound)
                        else error_words(request, exc))
    except Forbidden as exc:
        return _refuse(request, 403, error_words(request, exc))
    except (Conflict, InvalidInput) as exc:
        return _refuse(request, 409 if isinstance(exc, Conflict) else 422, error_words(request, exc))
    except GatewayError as exc:
        return _refuse(request, 400, error_words(request, exc))
    response.headers.update(SECURITY_HEADERS)
    return response


async def home(request: web.Request) -> web.StreamResponse:
    raise redirect(auth.landing(request[user_key].role))


async def set_language(request: web.Request) -> web.StreamResponse:
    """Remember the account's language (zh-CN or en) and go back to the page it was chosen on."""
    form = await request.post()
    chosen = labels.pick(form.get("lang") if isinstance(form.get("lang"), str) else None)  # type: ignore[arg-type]
    me = request[user_key]
    async with services(request).db.transaction() as tx:
        await account_store.set_lang(tx, account_id=me.account_id, lang=chosen)
    back = form.get("next")
    target = auth._next(back if isinstance(back, str) else None)
    raise web.HTTPSeeOther(target)


def create_console() -> web.Application:
    console = web.Application(middlewares=[console_middleware])
    console.router.add_get("/", home)
    console.router.add_get("/login", auth.login_page)
    console.router.add_post("/login", auth.login)
    console.router.add_post("/logout", auth.logout)
    console.router.add_post("/lang", set_language)
    imports.setup(console)  # before people: /people/import is not a person id
    schools.setup(console)
    people.setup(console)
    guardianships.setup(console)
    cards.setup(console)
    passes.setup(console)
    sites.setup(console)
    resumption.setup(console)
    activity.setup(console)
    handovers.setup(console)
    webhooks.setup(console)
    major_events.setup(console)
    keys.setup(console)
    key_areas.setup(console)
    dashboard.setup(console)
    today.setup(console)
    desk.setup(console)
    return console
