"""The OpenAPI 3 document of the gateway, built from the routes themselves.

Every route of gateway/api/routes.py is an operation: its parameters and body come from the
handler's `@operation` declaration (gateway/api/spec.py), whose field specs (gateway/validate.py)
are the very checks the handler runs; its security and roles from the access matrix
(gateway/access.py); its error responses from what the route implies. The answer shapes
(components below) are written here: they describe what the handlers build.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from keys.entry import json_schema as entry_schema
from keys.policy import DIRECTIONS

from . import access
from .middleware import API_PREFIXES
from .handovers import KINDS as HANDOVER_KINDS, STATES as HANDOVER_STATES
from .guardianships import CONSENT_BY, CONSENT_HOW
from .registry import DOCUMENT_TYPES, STATUSES
from .schools import ITEMS as FIVE_ITEMS, MEMBERS, STATES as FIVE_STATES
from .resumption import ITEMS as RESUMPTION_ITEMS, STATES as RESUMPTION_STATES
from .webhooks import STATES as DELIVERY_STATES

S = dict[str, Any]


def _ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


def _str(**kw: Any) -> S:
    return {"type": "string", **kw}


def _null(schema: S) -> S:
    return {**schema, "nullable": True}


def _obj(props: S, required: list[str] | None = None, closed: bool = True) -> S:
    schema: S = {"type": "object", "properties": props, "required": required if required is not None
                 else list(props)}
    if closed:
        schema["additionalProperties"] = False
    return schema


TIME = _str(description="ISO 8601 time")
DATE = _str(format="date")
CODE = _str(minLength=1, maxLength=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
INT = {"type": "integer"}
BOOL = {"type": "boolean"}

# docs/device-api.md: the root-signed key set and the chain of root announcements
TRUST_DOCS: S = {"root": _str(), "root_fingerprint": _str(), "keyset": _str(format="byte"), "keyset_version": INT,
                 "root_chain": {"type": "array", "items": _str(format="byte")}}
BUNDLE: S = {"device_id": _str(), "site": _str(), "jwks": {"$ref": "#/components/schemas/Jwks"},
             **TRUST_DOCS, "revocations_index": _str(format="byte"), "revocations_seq": INT,
             "revocation_parts": {"type": "object", "description": "part ('all' or 2 hex digits) -> SHA-256 (hex)",
                                  "additionalProperties": _str(pattern="^[0-9a-f]{64}$")},
             "policy": _str(format="byte"),
             "time": _str(format="byte"), "server_time": TIME}  # the last two only when a nonce was sent
SIGNED_TIME: S = {"time": _str(format="byte"), "server_time": TIME, "device_id": _str(), "revocations_seq": INT}

SCHEMAS: dict[str, S] = {
    "Error": _obj({"error": _obj({"code": _str(), "message": _str(), "field": _null(_str())})}),
    "Person": _obj({
        "id": INT, "name": _str(), "document_type": _str(enum=list(DOCUMENT_TYPES)),
        "document_number": _str(description="masked unless revealed"), "phone": _null(_str()),
        "address": _null(_str()), "community": _null(_str()), "employer": _null(_str()),
        "school": _null(_str()), "school_class": _null(_str()),
        "school_member": _null(_str(enum=list(MEMBERS))),
        "origin": _null(_str()), "left_origin_on": _null(DATE),
        "arrived_on": _null(DATE), "status": _str(enum=list(STATUSES)),
        "quarantine": _null(_obj({"kind": _null(_str()), "place": _null(_str()), "start": _null(DATE),
                                  "end": DATE, "ended_early": BOOL})),
        "cleared": BOOL, "cleared_at": _null(TIME),
        "pass": _null(_obj({"serial": _str(), "expires_at": TIME})), "revealed": BOOL,
        "created_at": TIME, "updated_at": TIME,
        "status_history": {"type": "array", "items": _obj({
            "status": _str(), "changed_at": TIME, "changed_by": _str(), "reason": _null(_str())})}},
        required=["id", "name", "document_type", "document_number", "status", "quarantine", "cleared",
                  "pass", "revealed"]),
    "KeyArea": _obj({"prefix": _str(), "name": _null(_str()), "from": DATE, "until": _null(DATE),
                     "updated_at": TIME, "updated_by": _str()}),
    "KeyAreaChange": _obj({"prefix": _str(), "people_recomputed": INT, "passes_reissued": INT,
                           "key_areas": {"type": "array", "items": _ref("KeyArea")}}),
    "HealthCheck": _obj({"id": INT, "person_id": INT, "checked_at": TIME, "temperature": {"type": "number"},
                         "symptoms": {"type": "array", "items": _str()}, "recorded_by": _str(),
                         "taken_by": _null(_str()), "abnormal": BOOL}),
    "IssuedPass": _obj({"serial": _str(), "qr_text": _str(), "issued_at": TIME, "expires_at": TIME,
                        "resident_url": _str(), "person_id": INT, "replaces": _null(_str())}),
    "Pass": _obj({"serial": _str(), "person_id": INT, "state": _str(enum=["live", "revoked", "lapsed"]),
                  "kid": _str(), "qr_text": _null(_str(description="null for viewers")), "claims": {"type": "object"}, "issued_at": TIME,
                  "expires_at": TIME, "revoked_at": _null(TIME), "revoke_reason": _null(_str()),
                  "replaced_by": _null(_str())}),
    "Site": _obj({"code": _str(), "name": _str(), "kind": _str(), "policy": {"type": "object"},
                  "created_at": TIME, "updated_at": TIME}),
    "Resumption": _obj({"id": INT, "site": _str(), "site_name": _str(),
                        "state": _str(enum=list(RESUMPTION_STATES)),
                        "items": _obj({k: _obj({"done": BOOL, "note": _null(_str())}) for k in RESUMPTION_ITEMS}),
                        "open_from": _null(TIME), "note": _null(_str()), "applied_by": _str(),
                        "applied_at": TIME, "decided_by": _null(_str()), "decided_at": _null(TIME),
                        "decision_reason": _null(_str()), "approved_open_from": _null(TIME),
                        "withdrawn_by": _null(_str()), "withdrawn_at": _null(TIME),
                        "withdrawal_reason": _null(_str())}),
    "SchoolClass": _obj({"school": _str(), "code": _str(), "name": _str(), "grade": _null(_str()),
                         "teacher": _null(_str(description="the class teacher's account (role teacher)")),
                         "created_at": TIME, "updated_at": TIME}),
    "Contact": _obj({"id": INT, "person_id": INT, "contacted_at": TIME, "recorded_by": _str(), "caller": _str(),
                     "channel": _str(), "note": _str(), "health": _null(_str()), "plans": _null(_str()),
                     "redacted": {"type": "boolean", "description":
                                  "older than retention_days: note, health and plans have been blanked"}}),
    "SchoolFile": _obj({
        "school": _str(), "date": DATE, "generated_at": TIME,
        "classes": {"type": "array", "items": {"$ref": "#/components/schemas/SchoolClass"}},
        "missing": INT,
        "people": {"type": "array", "items": _obj({
            "person_id": INT, "name": _str(), "school": _null(_str()), "school_class": _null(_str()),
            "class_name": _null(_str()), "member": _null(_str(enum=list(MEMBERS))), "status": _str(),
            "not_back": BOOL, "missing": {"type": "array", "items": _str(enum=list(FIVE_ITEMS))},
            "items": {"type": "array", "items": _obj({
                "item": _str(enum=list(FIVE_ITEMS)), "state": _str(enum=list(FIVE_STATES)), "reason": _str(),
                "detail": {"type": "object"}})}})}}),
    "Guardianship": _obj({"id": INT, "guardian_id": INT, "guardian_name": _null(_str()), "dependant_id": INT,
                          "dependant_name": _null(_str(description="null: outside the caller's scope")),
                          "consent": _obj({"by": _str(enum=list(CONSENT_BY)), "how": _str(enum=list(CONSENT_HOW)),
                                           "at": TIME}),
                          "note": _null(_str()), "recorded_by": _str(), "recorded_at": TIME, "active": BOOL,
                          "ended_at": _null(TIME), "ended_by": _null(_str()), "end_reason": _null(_str())}),
    "Enrolment": _obj({"token": _str(), "expires_at": TIME, "site": _str(), "qr_text": _str()}),
    "EnrolledDevice": _obj({"device_id": _str(), "credential": _str(), "site": _str(), "server_time": TIME,
                            "jwks": _ref("Jwks"), **TRUST_DOCS, "direction": _str(enum=list(DIRECTIONS))}),
    "Device": _obj({"device_id": _str(), "site": _str(), "name": _str(), "enrolled_at": TIME,
                    "disabled_at": _null(TIME), "last_seen_at": _null(TIME),
                    "update_problem": _null(_str()), "update_problem_at": _null(TIME),
                    "direction": _str(enum=list(DIRECTIONS))}),
    "Jwks": _obj({"keys": {"type": "array", "items": {"type": "object"}}}),
    "Bundle": _obj(BUNDLE, required=[k for k in BUNDLE if k not in ("time", "server_time")]),
    "SignedTime": _obj(SIGNED_TIME, required=list(SIGNED_TIME)),
    "Entry": entry_schema(),  # keys/entry.py: the one definition, shared with the scanner
    "StoredEntry": _obj({"id": _str(), "seq": INT, "device_id": _str(), "site": _str(), "scanned_at": _str(),
                         "received_at": TIME, "serial": _null(_str()), "text_hash": _null(_str()),
                         "decision": _str(), "reason": _str(), "temperature": _null({"type": "number"}),
                         "clock_offset": _null({"type": "number"}), "corrected_at": TIME,
                         "direction": _null(_str()),
                         "time_flag": _null(_str(enum=["offset_unknown", "implausible"])), "chain_ok": BOOL}),
    "Alert": _obj({"id": INT, "kind": _str(enum=["fever", "shared_pass", "broken_chain", "health_check"]), "created_at": TIME,
                   "site": _null(_str()), "device_id": _null(_str()), "entry_id": _null(_str()),
                   "serial": _null(_str()), "details": {"type": "object"}}),
    "Token": _obj({"id": INT, "role": _str(enum=list(access.ROLES)), "label": _str(),
                   "created_at": TIME, "expires_at": _null(TIME), "last_used_at": _null(TIME),
                   "revoked_at": _null(TIME), "state": _str(enum=["active", "revoked", "expired"]),
                   "scope": _str()}),
    "IssuerKey": _obj({"kid": _str(), "state": _str(enum=["active", "retired", "withdrawn"]), "created": TIME,
                       "trusted_until": _null(TIME), "reason": _null(_str(description="why it was withdrawn"))}),
    "ReissueJob": _obj({"id": INT, "kid": _str(), "reason": _str(), "actor": _str(),
                        "state": _str(enum=["running", "done"]), "total": INT, "done": INT,
                        "fraction": {"type": "number"}, "created_at": TIME, "updated_at": TIME,
                        "finished_at": _null(TIME)}),
    "ResidentLink": _obj({"person_id": INT, "resident_url": _str()}),
    "BindingReset": _obj({"person_id": INT, "bound": {"type": "boolean"}, "revoked": _null(_str())}),
    "Handover": _obj({
        "id": INT, "kind": _str(enum=list(HANDOVER_KINDS)), "state": _str(enum=list(HANDOVER_STATES)),
        "overdue": _null(_str(enum=["acknowledge", "close"])), "site": _str(), "township": _str(),
        "community": _str(), "record_id": _str(), "person_id": _null(INT), "name": _null(_str()),
        "document_number": _null(_str(description="masked")), "temperature": _null({"type": "number"}),
        "plate": _null(_str()), "vehicle_kind": _null(_str()), "origin": _null(_str()),
        "recorded_at": _null(_str()), "basis": {"type": "object"}, "transport": _null(_str()),
        "clinic": _null(_str()), "place": _null(_str()), "note": _null(_str()), "created_at": TIME,
        "acknowledged_at": _null(TIME), "acknowledged_by": _null(_str()), "transferred_at": _null(TIME),
        "transferred_by": _null(_str()), "closed_at": _null(TIME), "closed_by": _null(_str())}),
    "MajorEvent": _obj({"id": INT, "rule": _str(), "created_at": TIME, "site": _null(_str()),
                        "community": _null(_str()), "source": _str(), "details": {"type": "object"},
                        "acknowledged_at": _null(TIME), "acknowledged_by": _null(_str())}),
    "Webhook": _obj({"township": _str(), "url": _str(), "enabled": BOOL, "updated_at": TIME, "updated_by": _str()}),
    "WebhookDelivery": _obj({"id": INT, "township": _str(), "handover_id": INT, "event": _str(),
                             "state": _str(enum=list(DELIVERY_STATES)), "attempts": INT,
                             "next_try_ts": _null({"type": "number"}), "last_status": _null(INT),
                             "last_error": _null(_str()), "created_at": TIME, "delivered_at": _null(TIME)}),
    "AuditRow": _obj({"id": INT, "at": TIME, "actor": _str(), "action": _str(), "target": _str(),
                      "reason": _null(_str()), "details": {"type": "object"}}),
}


SCHEMAS["ErrorDetail"] = _obj({
    "code": _str(description="a stable code: invalid, bad_json, not_found, conflict, forbidden, ..."),
    "message": _str(description="for a person: what is wrong and what to do"),
    "field": _null(_str(description="the field, query or path parameter at fault"))})
SCHEMAS["Error"] = _obj({"error": _ref("ErrorDetail")})

ERROR_TEXT = {400: "the body is not JSON", 401: "no, unknown, revoked or expired credential",
              403: "the credential's role may not do this, or the device is disabled",
              404: "not found, or outside the credential's scope", 409: "conflicts with the current state",
              413: "the body is larger than the server takes", 422: "a field, query or path parameter is invalid",
              503: "the database is busy or does not answer: retry"}
SECURITY_SCHEMES: S = {
    "apiToken": {"type": "http", "scheme": "bearer",
                 "description": "An API token (qgt_…) from `qrgate token create`; its role and scope decide"},
    "deviceCredential": {"type": "http", "scheme": "bearer",
                         "description": "A gate's credential (qgd_…) from POST /api/v1/devices/enroll"},
    "consoleSession": {"type": "apiKey", "in": "cookie", "name": "qg_session",
                       "description": "The console's login session: it opens the pages under /console, "
                                      "not this API (docs/console.md)"},
}


def _json(schema: S) -> S:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> S:
    out: S = {str(c): {"description": ERROR_TEXT[c], **_json(_ref("Error"))} for c in sorted(set(codes))}
    if "401" in out:  # gateway/middleware.py: every 401 says which scheme
        out["401"]["headers"] = {"WWW-Authenticate": {"required": True, "schema": _str(enum=["Bearer"])}}
    return out


# gateway/middleware.py sets these on every answer under its API prefixes
API_HEADERS: S = {"Cache-Control": {"required": True, "schema": _str(enum=["no-store"])},
                  "X-Content-Type-Options": {"required": True, "schema": _str(enum=["nosniff"])}}


def _who(method: str, path: str) -> tuple[str, list[S]]:
    """The roles sentence and the security requirement, from the access matrix."""
    action = access.action_for(method, path)
    if action is None:
        return "Roles: none (no entry in the access matrix: refused to everyone).", [{"apiToken": []}]
    if action == access.PUBLIC:
        return "Roles: public (no credential).", []
    if action == access.DEVICE_ONLY:
        return "Roles: an enrolled gate's device credential.", [{"deviceCredential": []}]
    roles = ", ".join(r for r in access.ROLES if access.may(r, action))
    return f"Roles: {roles} (access matrix action `{action}`; a scope narrows the data).", [{"apiToken": []}]


def _operation(method: str, path: str, handler: object) -> S:
    from .api.spec import PATH_PARAMS, Operation, operation_of

    declared = operation_of(handler)
    op_spec = declared or Operation((getattr(handler, "__doc__", None) or path).strip().splitlines()[0])
    roles, security = _who(method, path)
    description = roles
    if op_spec.rules:
        description += " Checked beyond this schema (a 422 names the field): " + "; ".join(
            f"{f}: {why}" for f, why in op_spec.rules) + "."
    ok: S = {"description": "ok"}
    if op_spec.response is not None:
        ok.update(_json(op_spec.response))
    if op_spec.response_content:
        ok.setdefault("content", {}).update({k: {"schema": v} for k, v in op_spec.response_content.items()})
    errors = list(op_spec.errors)
    params: list[S] = []
    for name in re.findall(r"\{(\w+)\}", path):
        params.append({"name": name, "in": "path", "required": True, "schema": PATH_PARAMS[name].schema()})
        errors += [404, 422]
    for name, spec in op_spec.query.items():
        params.append({"name": name, "in": "query", "required": name in op_spec.required_query,
                       "schema": spec.schema()})
    if op_spec.query:
        errors.append(422)
    for name, schema in op_spec.request_headers.items():
        params.append({"name": name, "in": "header", "required": False, "schema": schema})
    out: S = {"summary": op_spec.summary, "description": description, "operationId": _operation_id(method, path),
              "responses": {str(op_spec.ok): ok, **{k: dict(v) for k, v in op_spec.responses.items()}}}
    if security:
        errors += [401, 403]
    if op_spec.body is not None or op_spec.request_content:
        content = ({"application/json": {"schema": op_spec.body.schema()}} if op_spec.body is not None
                   else {k: {"schema": v} for k, v in op_spec.request_content.items()})  # type: ignore[union-attr]
        out["requestBody"] = {"required": op_spec.body_required, "content": content}
        errors += [400, 413, 422]
    out["responses"].update({k: v for k, v in _errors(*errors).items() if k not in out["responses"]})
    if op_spec.ok_headers:
        ok["headers"] = dict(op_spec.ok_headers)
    if path.startswith(API_PREFIXES):  # the middleware adds a header only where the handler set none
        for response in out["responses"].values():
            response["headers"] = {**API_HEADERS, **response.get("headers", {})}
    if params:
        out["parameters"] = params
    out["security"] = security
    if op_spec.rules:
        out["x-qrgate-rules"] = [{"field": f, "rule": why} for f, why in op_spec.rules]
    if declared is None:
        out["x-qrgate-undeclared"] = True  # tests/gateway/test_openapi.py fails on this
    return out


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[{}]", "", path.removeprefix("/api/v1")).strip("/").replace(".", "_")
    return method.lower() + "_" + re.sub(r"[^A-Za-z0-9]+", "_", words)


def paths() -> dict[str, S]:
    from .api.routes import ROUTES

    out: dict[str, S] = {}
    for method, path, handler in ROUTES:
        out.setdefault(path, {})[method.lower()] = _operation(method, path, handler)
    return out


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "qrgate gateway", "version": "1",
                 "description": "People registry, passes, sites, devices and the device sync API. "
                                "Built from the handlers' own checks and the access matrix: see "
                                "docs/gateway.md and docs/device-api.md."},
        "paths": paths(),
        "components": {"schemas": SCHEMAS, "securitySchemes": SECURITY_SCHEMES},
        "security": [{"apiToken": []}],
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (built once per process; a copy each call)."""
    import copy

    return copy.deepcopy(_document())


# for the handlers' @operation declarations: the answer shapes
ref, obj, nullable, string = _ref, _obj, _null, _str


def array(item: S) -> S:
    return {"type": "array", "items": item}


def page(key: str, item: S, cursor: str, cursor_type: S) -> S:
    """A page of `key` items and the cursor of the next page (null on the last)."""
    return _obj({key: array(item), cursor: _null(cursor_type)})
