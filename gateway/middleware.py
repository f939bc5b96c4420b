"""The one error edge: domain errors and HTTP errors become `{"error": {code, message, field}}`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from . import db
from .errors import (BadJson, Conflict, Forbidden, GatewayError, InvalidInput, LoginRefused, NotFound,
                     Throttled, Unauthenticated)

log = logging.getLogger("qrgate.gateway")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS: dict[type[GatewayError], int] = {
    InvalidInput: 422, BadJson: 400, NotFound: 404, Conflict: 409, Unauthenticated: 401, Forbidden: 403,
    Throttled: 429,
}
HTTP_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type"}
API_PREFIXES = ("/api/", "/.well-known/")


def error_response(status: int, code: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message, "field": field}},
                             status=status, headers=headers)


def _status(exc: GatewayError) -> int:
    if isinstance(exc, LoginRefused):
        return 429 if exc.retry_after else 401
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]  # type: ignore[index]
    return 400


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    api = request.path.startswith(API_PREFIXES)
    try:
        response = await handler(request)
    except GatewayError as exc:
        headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
        if isinstance(exc, (LoginRefused, Throttled)) and exc.retry_after:
            headers = {"Retry-After": str(int(exc.retry_after) + 1)}
        response = error_response(_status(exc), exc.code, exc.message, exc.field, headers)
    except (db.Conflict, db.Busy) as exc:
        if not api:
            raise
        if isinstance(exc, db.Conflict):  # a race another request won (two nodes, one constraint)
            response = error_response(409, "conflict", "a concurrent change won: the request was not applied")
        else:
            response = error_response(503, "busy", "the database is busy: try again", None,
                                      {"Retry-After": "1"})
    except web.HTTPException as exc:
        if not api or exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "www-authenticate")}
        message = exc.reason if exc.status != 413 else "the request body is too large"
        response = error_response(exc.status, HTTP_CODES.get(exc.status, f"http_{exc.status}"), message,
                                  None, headers)
    except Exception:
        if not api:
            raise
        log.exception("unexpected error on %s %s", request.method, request.path)  # no body: it may hold personal data
        response = error_response(500, "internal", "internal error: the request was not applied")
    if api:
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response
