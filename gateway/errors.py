"""Domain errors of the gateway; `gateway/middleware.py` turns them into HTTP at the edge.

    GatewayError (code, message, field)
    ├── InvalidInput      422: a field's value is wrong (names the field)
    ├── BadJson           400: the body is not a JSON object
    ├── NotFound          404
    ├── Conflict          409: duplicate document, a live pass exists, site exists...
    ├── Unauthenticated   401: no or unknown credential
    ├── Forbidden         403: the credential may not do this
    ├── LoginRefused      401 / 429: wrong password, or throttled
    └── Throttled         429: too many requests of one kind (desk look-ups); retry_after in seconds
"""

from __future__ import annotations


class GatewayError(Exception):
    code = "error"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class InvalidInput(GatewayError):
    code = "invalid"


class BadJson(GatewayError):
    code = "bad_json"


class NotFound(GatewayError):
    code = "not_found"


class Conflict(GatewayError):
    code = "conflict"


class Unauthenticated(GatewayError):
    code = "unauthenticated"


class Forbidden(GatewayError):
    code = "forbidden"


class LoginRefused(GatewayError):
    code = "login_refused"

    def __init__(self, message: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message, code="login_throttled" if retry_after else "login_refused")
        self.retry_after = retry_after


class Throttled(GatewayError):
    code = "throttled"

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after
