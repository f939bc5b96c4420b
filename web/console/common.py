"""What every console page shares: the logged-in user, role checks, forms and rendering."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from gateway import access
from gateway.appkeys import services_key
from gateway.auth import ADMIN, REGISTRAR
from gateway.errors import GatewayError
from gateway.services import Services

from .. import labels
from ..sessions import ConsoleUser

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
user_key = web.RequestKey("qg_console_user", ConsoleUser)
csrf_key = web.RequestKey("qg_console_csrf", str)

WRITE = (ADMIN, REGISTRAR)
MAX_FIELD = 2000  # longer than any field the gateway accepts: its validators give the precise error

# a short code in the redirect's query string becomes a message (web/labels.py "flash"): nothing
# user-written is echoed
FLASH = frozenset(("registered", "saved", "issued", "revoked", "reissued", "checked", "site", "disabled",
                   "cleared", "ended", "lang", "holder_reset", "imported", "handled", "rotated",
                   "handover_step", "no_cards", "too_many_cards", "applied", "decided", "withdrawn", "guardian_added",
                   "guardian_ended", "class_created", "class_set", "contacted"))


def services(request: web.Request) -> Services:
    return request.config_dict[services_key]


def user(request: web.Request) -> ConsoleUser:
    return request[user_key]


def lang_of(request: web.Request) -> str:
    """'zh' or 'en': ?lang= for this page, else the account's choice, else Chinese."""
    asked = request.query.get("lang")
    if asked in ("zh", "zh-CN", "en"):
        return "en" if asked == "en" else "zh"
    current = request.get(user_key)
    return "en" if current is not None and labels.pick(current.lang) == "en" else "zh"


def say(request: web.Request, zh: str, en: str) -> str:
    """One message in the page's language (for messages made in Python, not in templates)."""
    return en if lang_of(request) == "en" else zh


def error_words(request: web.Request, exc: GatewayError, form: str | None = None) -> str:
    """A gateway error in the page's language (web/labels.py `error_text`), a field named by the
    words of the `form` it is shown on (a labels kind, e.g. "class_field")."""
    return labels.error_text(exc.message, exc.field, lang_of(request), type(exc).__name__, form)


def words(lang: str, tz: ZoneInfo) -> dict[str, Any]:
    """What templates use to speak one language: t(zh, en), label(kind, code), region(code)."""
    code = "en" if lang == "en" else labels.DEFAULT
    return {"t": (lambda zh, en: en if lang == "en" else zh),
            "label": (lambda kind, value: labels.label(kind, value, code)),
            "region": (lambda value: labels.region(value, code)), "codes": labels.codes,
            "options": (lambda kind: labels.options(kind, code)),
            "describe": (lambda details: labels.describe(details, tz, code)),
            "err": (lambda message, field=None: labels.error_text(message, field, code)),
            "reason_text": (lambda reason: labels.reason_text(reason, code)),
            "target_text": (lambda target: labels.target_text(target, code)),
            "scope_words": (lambda scope: labels.label("scope_kind", "city", code) if scope.city else "，".join(
                f"{labels.label('scope_kind', kind, code)} {value}" for kind, value in sorted(scope.entries)))}


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    current = request.get(user_key)
    lang = lang_of(request)
    base = {"lang": lang, **words(lang, services(request).config.tz), "user": current, "csrf_token": request.get(csrf_key, ""),
            "here": request.path_qs[:400],
            "flash": labels.label("flash", done, lang) if (done := request.query.get("done", "")) in FLASH else None, "may_write": bool(current and current.role in WRITE),
            "is_admin": bool(current and current.role == ADMIN),
            # the matrix decides what a page offers, as it decides what a route allows
            "may": lambda action: bool(current and access.may(current.role, action))}
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)


def form_body(form: MultiDictProxy[Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Form fields as a JSON-like body for the gateway: empty means 'not given', text only."""
    body: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            body[name] = value.strip()[:MAX_FIELD]
    return body


def redirect(path: str, **query: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(path + ("?" + urlencode(query) if query else ""))


def int_param(value: str | None, default: int = 0, high: int = 2**62) -> int:
    # str.isdigit() accepts '²' and other digits int() refuses: only ASCII 0-9 here
    if value is None or not 0 < len(value) <= 18 or not value.isascii() or not value.isdigit():
        return default
    return min(int(value), high)
