"""What each API handler accepts and answers, declared once beside it with `@operation(...)`.

The declaration is used twice: `query(request)` and `path(request, name)` check the request with it
(unknown query parameters are refused), and `gateway/openapi.py` builds the operation's OpenAPI
entry from it, with the roles from the access matrix. A route whose handler has no declaration
still appears in the document (from its path and the matrix), and tests/gateway/test_openapi.py
fails until it has one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

from ..errors import InvalidInput
from ..key_areas import PREFIX
from ..validate import CODE, Integer, Spec, Text

S = dict[str, Any]
H = TypeVar("H", bound=Callable[[web.Request], Awaitable[web.StreamResponse]])

# a path parameter is the same thing wherever it appears: one spec per name
ID = Integer(1, 10**18 - 1)
PATH_PARAMS: dict[str, Spec] = {
    "person_id": ID, "token_id": ID, "job_id": ID,
    "serial": Text(24, 24, pattern="[0-9a-f]{24}", what="24 lowercase hex characters", trim=False),
    "code": CODE, "prefix": PREFIX,
    "device_id": Text(20, 20, pattern="dev_[0-9a-f]{16}", what="a device id (dev_ and 16 hex characters)",
                      trim=False),
    "kid": Text(40, pattern="[0-9a-fA-F]{16}", what="16 hex characters, as 'qrgate keys list' shows it"),
    "resumption_id": ID, "handover_id": ID, "guardianship_id": ID, "school": CODE, "class_code": CODE, "event_id": ID, "delivery_id": ID, "township": CODE,
    "part": Text(3, 2, pattern="all|[0-9a-f]{2}", what="'all' or two lower-case hex digits", trim=False),
    "digest": Text(64, 64, pattern="[0-9a-f]{64}", what="64 lower-case hex digits", trim=False),
}


@dataclass(frozen=True)
class Operation:
    """One API operation. `rules`: checks on a schema-valid request that no JSON Schema can say
    (a check digit, one field against another), each as (field, what) — a 422 naming such a field
    answers a schema-valid request; any other 422 means the schema is looser than the handler."""

    summary: str
    ok: int = 200
    response: S | None = None
    query: Mapping[str, Spec] = field(default_factory=dict)
    required_query: tuple[str, ...] = ()
    body: Spec | None = None
    body_required: bool = True
    request_content: Mapping[str, S] | None = None  # a non-JSON body (a CSV or XLSX file)
    response_content: Mapping[str, S] | None = None  # other media types of the ok answer
    errors: tuple[int, ...] = ()  # beyond what the route implies (401/403, 404 for a path, 400/413/422)
    rules: tuple[tuple[str, str], ...] = ()
    responses: Mapping[str, S] = field(default_factory=dict)  # whole responses beside the ok one
    request_headers: Mapping[str, S] = field(default_factory=dict)  # optional request headers it reads
    ok_headers: Mapping[str, S] = field(default_factory=dict)  # the ok answer's headers (over the middleware's)


def operation(summary: str, **kwargs: Any) -> Callable[[H], H]:
    """Declare what a handler accepts and answers (see Operation)."""
    def attach(handler: H) -> H:
        handler.operation = Operation(summary, **kwargs)  # type: ignore[attr-defined]
        return handler
    return attach


def operation_of(handler: object) -> Operation | None:
    return getattr(handler, "operation", None)


def _declared(request: web.Request) -> Operation:
    op = operation_of(request.match_info.handler)
    if op is None:
        raise RuntimeError(f"{request.match_info.handler!r} has no @operation declaration")
    return op


def query(request: web.Request) -> dict[str, Any]:
    """The query parameters the handler declares, checked; unknown or repeated ones are refused."""
    op = _declared(request)
    out: dict[str, Any] = {}
    for name in request.query:
        if name not in op.query:
            raise InvalidInput(f"unknown query parameter {name[:40]!r}", field=name[:40])
        values = request.query.getall(name)
        if len(values) > 1:
            raise InvalidInput(f"{name} is given more than once", field=name)
        out[name] = op.query[name].from_query(values[0], name)
    for name in op.required_query:
        if name not in out:
            raise InvalidInput(f"{name} is required", field=name)
    return out


def path(request: web.Request, name: str) -> Any:
    """A path parameter, checked by its one spec in PATH_PARAMS."""
    return PATH_PARAMS[name].from_query(request.match_info[name], name)
