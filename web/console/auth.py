"""Console login and logout: the gateway's accounts (scrypt, throttling), our session cookie."""

from __future__ import annotations

from aiohttp import web

from gateway import access, accounts
from gateway.clock import now
from gateway.errors import LoginRefused
from gateway.forwarded import client_address

from .. import sessions
from .common import csrf_key, redirect, render, say, services, user, user_key


def landing(role: str | None) -> str:
    """Where a role's work starts: Today; an approver (who reaches no people) the applications; a class
    teacher their class's file (一校一档); the desk its look-up."""
    return {access.APPROVER: "/console/resumptions", access.TEACHER: "/console/schools",
            access.DESK: "/console/desk"}.get(role or "", "/console/today")


def _next(target: str | None, role: str | None = None) -> str:
    """Only a console path: never an open redirect to another site."""
    if target and target.startswith("/console/") and not target.startswith("//") and "\\" not in target \
            and len(target) < 500:
        return target
    return landing(role)  # login lands on what needs doing


async def login_page(request: web.Request) -> web.Response:
    if request.get(user_key) is not None:
        raise redirect(_next(request.query.get("next"), request[user_key].role))
    return _login_form(request, {}, None, 200)


def _login_form(request: web.Request, values: dict[str, str], error: str | None, status: int) -> web.Response:
    token = sessions.login_csrf(request)
    request[csrf_key] = token
    response = render(request, "console/login.html", {"values": values, "error": error,
                                                      "next": request.query.get("next", "")}, status)
    sessions.set_cookie(response, request, sessions.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    username = form.get("username")
    password = form.get("password")
    svc = services(request)
    try:
        account = await accounts.authenticate(
            svc.db, username if isinstance(username, str) else "",
            password if isinstance(password, str) else "",
            client_address(request.remote, request.headers.get("X-Forwarded-For"), svc.config.trusted_proxies),
            config=svc.config)
    except LoginRefused as exc:
        values = {"username": username[:64] if isinstance(username, str) else ""}
        if exc.retry_after:
            wait = int(exc.retry_after) + 1
            response = _login_form(request, values, say(request, f"登录失败次数过多，请 {wait} 秒后再试。",
                                                        f"Too many failed logins: try again in {wait} s."), 429)
            response.headers["Retry-After"] = str(int(exc.retry_after) + 1)
            return response
        return _login_form(request, values, say(request, "用户名或密码错误", "Wrong username or password"), 401)
    cookie = await sessions.open_session(svc.db, account_id=account.id, now=now())
    response = redirect(_next(request.query.get("next"), account.role))
    sessions.set_cookie(response, request, sessions.SESSION_COOKIE, cookie,
                        max_age=int(sessions.SESSION_TTL.total_seconds()))
    sessions.clear_cookie(response, sessions.LOGIN_CSRF_COOKIE)
    raise response


async def logout(request: web.Request) -> web.Response:
    current = request.get(user_key)
    if current is not None:
        await sessions.close_session(services(request).db, user(request))
    response = redirect("/console/login")
    sessions.clear_cookie(response, sessions.SESSION_COOKIE)
    raise response
