"""The OpenAPI 3 document of the gateway (hand-written; tests keep it equal to the routes and true)."""

from __future__ import annotations

from typing import Any

from keys import checkpoint as cp
from keys.entry import json_schema as entry_schema
from keys.policy import DIRECTIONS

from .registry import DOCUMENT_TYPES, QUARANTINE_KINDS, STATUSES
from .guardianships import CONSENT_BY, CONSENT_HOW, NEW_GUARDIAN
from .resumption import ITEMS as RESUMPTION_ITEMS
from .schools import CLASS_CHANGE, CLASS_INPUT, CONTACT_INPUT, ITEMS as FIVE_ITEMS, MEMBERS, MEMBERSHIP, STATES as FIVE_STATES

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
REASON_BODY = _obj({"reason": _str(minLength=1, maxLength=500)})

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
    "PersonInput": {"type": "object", "additionalProperties": False, "properties": {
        "name": _str(minLength=1, maxLength=64), "document_type": _str(enum=list(DOCUMENT_TYPES)),
        "document_number": _str(maxLength=40), "phone": _null(_str(maxLength=30)),
        "address": _null(_str(maxLength=200)), "community": _null(CODE), "employer": _null(CODE),
        "school": _null(CODE), "origin": _null(_str(maxLength=40, description="6-digit GB/T 2260 code")),
        "left_origin_on": _null(DATE),
        "arrived_on": _null(DATE), "status": _str(enum=list(STATUSES)),
        "quarantine_kind": _null(_str(enum=list(QUARANTINE_KINDS))),
        "quarantine_place": _null(_str(maxLength=200)), "reason": _null(_str(maxLength=500))}},
    "Person": _obj({
        "id": INT, "name": _str(), "document_type": _str(enum=list(DOCUMENT_TYPES)),
        "document_number": _str(description="masked unless revealed"), "phone": _null(_str()),
        "address": _null(_str()), "community": _null(_str()), "employer": _null(_str()),
        "school": _null(_str()), "school_class": _null(_str()),
        "school_member": _null(_str(enum=["student", "staff"])),
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
    "SchoolClass": _obj({"school": _str(), "code": _str(), "name": _str(), "grade": _null(_str()),
                         "teacher": _null(_str(description="the class teacher's account (role teacher)")),
                         "created_at": TIME, "updated_at": TIME}),
    "Contact": _obj({"id": INT, "person_id": INT, "contacted_at": TIME, "recorded_by": _str(), "caller": _str(),
                     "channel": _str(), "note": _str(), "health": _null(_str()), "plans": _null(_str())}),
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
    "KeyArea": _obj({"prefix": _str(), "name": _null(_str()), "from": DATE, "until": _null(DATE),
                     "updated_at": TIME, "updated_by": _str()}),
    "KeyAreaChange": _obj({"prefix": _str(), "people_recomputed": INT, "passes_reissued": INT,
                           "key_areas": {"type": "array", "items": _ref("KeyArea")}}),
    "HealthCheckInput": _obj({"temperature": {"type": "number", "minimum": 30, "maximum": 45},
                              "symptoms": {"type": "array", "maxItems": 20, "items": _str(maxLength=100)},
                              "checked_at": _null(TIME),
                              "taken_by": _null(_str(minLength=1, maxLength=64,
                                                     description="who took the temperature (a name)"))},
                             required=["temperature"]),
    "HealthCheck": _obj({"id": INT, "person_id": INT, "checked_at": TIME, "temperature": {"type": "number"},
                         "symptoms": {"type": "array", "items": _str()}, "recorded_by": _str(),
                         "taken_by": _null(_str()), "abnormal": BOOL}),
    "IssuedPass": _obj({"serial": _str(), "qr_text": _str(), "issued_at": TIME, "expires_at": TIME,
                        "resident_url": _str(), "person_id": INT, "replaces": _null(_str())}),
    "Pass": _obj({"serial": _str(), "person_id": INT, "state": _str(enum=["live", "revoked", "lapsed"]),
                  "kid": _str(), "qr_text": _null(_str(description="null for viewers")), "claims": {"type": "object"}, "issued_at": TIME,
                  "expires_at": TIME, "revoked_at": _null(TIME), "revoke_reason": _null(_str()),
                  "replaced_by": _null(_str())}),
    "SiteInput": _obj({"code": CODE, "name": _str(minLength=1, maxLength=100),
                       "kind": _str(enum=["community", "factory", "construction_site", "school", "checkpoint"]),
                       "policy": {"type": "object", "description": "keys.SitePolicy JSON form"}},
                      required=["code", "name", "kind"]),
    "Site": _obj({"code": _str(), "name": _str(), "kind": _str(), "policy": {"type": "object"},
                  "created_at": TIME, "updated_at": TIME}),
    "Resumption": _obj({"id": INT, "site": _str(), "site_name": _str(),
                        "state": _str(enum=["pending", "approved", "refused"]),
                        "items": _obj({k: _obj({"done": BOOL, "note": _null(_str())}) for k in RESUMPTION_ITEMS}),
                        "open_from": _null(TIME), "note": _null(_str()), "applied_by": _str(),
                        "applied_at": TIME, "decided_by": _null(_str()), "decided_at": _null(TIME),
                        "decision_reason": _null(_str()), "approved_open_from": _null(TIME)}),
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
    "Token": _obj({"id": INT, "role": _str(enum=["admin", "registrar", "viewer"]), "label": _str(),
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
    "CheckpointPerson": {"type": "object", "additionalProperties": False, "required": ["temperature", "decision", "reason"],
                         "description": "docs/checkpoint.md: a pass serial, else a document; a temperature always",
                         "properties": {
                             "role": _str(enum=list(cp.ROLES)), "name": _null(_str(minLength=1, maxLength=64)),
                             "serial": _null(_str(pattern="^[0-9a-f]{24}$")),
                             "document_type": _null(_str(enum=list(cp.DOCUMENT_TYPES))),
                             "document_number": _null(_str(maxLength=40)), "resident": _null(BOOL),
                             "temperature": {"type": "number", "minimum": cp.TEMPERATURE_RANGE[0],
                                             "maximum": cp.TEMPERATURE_RANGE[1]},
                             "decision": _str(enum=["allow", "deny"]), "reason": _str(),
                             "transport": _null(_str(enum=list(cp.TRANSPORTS))),
                             "clinic": _null(_str(minLength=1, maxLength=100))}},
    "CheckpointRecord": {"type": "object", "additionalProperties": False,
                         "required": ["id", "recorded_at", "vehicle_kind", "direction", "township", "community",
                                      "people"],
                         "properties": {
                             "id": _str(format="uuid"), "recorded_at": TIME, "clock_offset": _null({"type": "number"}),
                             "plate": _null(_str(maxLength=30, description="鄂A12345, 苏E·D12345")),
                             "vehicle_kind": _str(enum=list(cp.VEHICLE_KINDS)),
                             "direction": _str(enum=list(cp.DIRECTIONS)),
                             "origin": _null(_str(maxLength=40, description="6-digit GB/T 2260 code")),
                             "township": CODE, "community": CODE,
                             "people": {"type": "array", "minItems": 1, "maxItems": cp.MAX_PEOPLE,
                                        "items": _ref("CheckpointPerson")}}},
    "Handover": _obj({
        "id": INT, "kind": _str(enum=["handover", "referral"]),
        "state": _str(enum=["open", "acknowledged", "transferred", "closed"]),
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
                             "state": _str(enum=["pending", "delivered", "dead"]), "attempts": INT,
                             "next_try_ts": _null({"type": "number"}), "last_status": _null(INT),
                             "last_error": _null(_str()), "created_at": TIME, "delivered_at": _null(TIME)}),
    "AuditRow": _obj({"id": INT, "at": TIME, "actor": _str(), "action": _str(), "target": _str(),
                      "reason": _null(_str()), "details": {"type": "object"}}),
}


def _list(key: str, item: S, cursor: str, cursor_type: S) -> S:
    return _obj({key: {"type": "array", "items": item}, cursor: _null(cursor_type)})


def _json(schema: S) -> S:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> S:
    text = {400: "not JSON", 401: "no or unknown credential", 403: "wrong role or disabled device",
            404: "not found", 409: "conflict", 413: "body too large", 422: "invalid field"}
    return {str(c): {"description": text[c], **_json(_ref("Error"))} for c in codes}


def _op(summary: str, roles: str, ok: int, schema: S | None, *, body: S | None = None,
        params: list[S] | None = None, errors: tuple[int, ...] = (401, 403, 422), public: bool = False) -> S:
    op: S = {"summary": summary, "description": f"Roles: {roles}.",
             "responses": {str(ok): {"description": "ok", **(_json(schema) if schema else {})},
                           **_errors(*errors)}}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
        op["responses"].update(_errors(400, 413, 422))
    if params:
        op["parameters"] = params
    if public:
        op["security"] = []
    return op


def _with_304(op: S) -> S:
    """An answer that names its version in an ETag: If-None-Match with it gives 304 and no body."""
    op["responses"]["304"] = {"description": "not modified: the version named in If-None-Match is current"}
    op.setdefault("parameters", []).append({"name": "If-None-Match", "in": "header", "required": False,
                                            "schema": _str()})
    return op


def _q(name: str, schema: S) -> S:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _p(name: str, schema: S) -> S:
    return {"name": name, "in": "path", "required": True, "schema": schema}


PERSON_ID = _p("person_id", {"type": "integer", "minimum": 1})
SERIAL = _p("serial", _str())
SITE_CODE = _p("code", _str())
HANDOVER_ID = _p("handover_id", {"type": "integer", "minimum": 1})
PREFIX = _p("prefix", _str(pattern=r"^[0-9]{2,6}$"))
GUARDIANSHIP_ID = _p("guardianship_id", {"type": "integer", "minimum": 1})
SCHOOL = _p("school", _str())
RESUMPTION_ID = _p("resumption_id", {"type": "integer", "minimum": 1})
PAGE = [_q("after", {"type": "integer", "minimum": 0}), _q("limit", {"type": "integer", "minimum": 1})]
STAFF, ANYONE = "admin, registrar", "admin, registrar, viewer"


def _report_op() -> S:
    """Owned by gateway/reports.py; described loosely here so that every route is in the document."""
    op = _op("The daily report and zero report (docs/reports.md): JSON or CSV", "admin, viewer", 200,
             _obj({"date": DATE, "generated_at": TIME, "site": _null(_str()),
                   "sites": {"type": "array", "items": {"type": "object"}},
                   "city": _null({"type": "object"}),
                   "health_monitoring": _null({"type": "object"})}),
             params=[{**_q("date", DATE), "required": True}, _q("site", _str()),
                     _q("format", _str(enum=["json", "csv"]))], errors=(401, 403, 404, 422))
    op["responses"]["200"]["content"]["text/csv"] = {"schema": _str()}
    return op


def paths() -> dict[str, S]:
    api = "/api/v1"
    person = _ref("Person")
    return {
        f"{api}/people": {
            "post": _op("Register a person", STAFF, 201, person, body=_ref("PersonInput"), errors=(401, 403, 409)),
            "get": _op("List or look up people", ANYONE + " (look-ups by document or phone: admin, registrar)",
                       200, _list("people", person, "next_after", INT),
                       params=[_q("community", _str()), _q("status", _str()), _q("document_type", _str()),
                               _q("document_number", _str()), _q("phone", _str()), *PAGE])},
        f"{api}/people/import": {
            "post": {**_op("Import a household list (CSV or XLSX body); every row checked first", STAFF, 201,
                           {"type": "object"}, params=[_q("dry_run", _str()), _q("valid_only", _str()),
                                                       _q("filename", _str())], errors=(400, 401, 403, 409, 413, 422)),
                     "requestBody": {"required": True, "content": {
                         "text/csv": {"schema": {"type": "string"}},
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                             "schema": {"type": "string", "format": "binary"}}}}}},
        f"{api}/people/{{person_id}}": {
            "get": _op("A person's file, masked (admin: ?reveal=1, audited)", ANYONE, 200, person,
                       params=[PERSON_ID, _q("reveal", _str(enum=["0", "1", "true", "false"]))],
                       errors=(401, 403, 404, 422)),
            "patch": _op("Change a person; a change the pass carries reissues it; a status change needs a reason",
                         STAFF, 200, person,
                         body=_ref("PersonInput"), params=[PERSON_ID], errors=(401, 403, 404, 409))},
        f"{api}/people/{{person_id}}/health-checks": {
            "post": _op("Record a health check", STAFF, 201, _ref("HealthCheck"), body=_ref("HealthCheckInput"),
                        params=[PERSON_ID], errors=(401, 403, 404)),
            "get": _op("A person's health checks", ANYONE, 200,
                       _obj({"health_checks": {"type": "array", "items": _ref("HealthCheck")}}),
                       params=[PERSON_ID], errors=(401, 403, 404, 422))},
        f"{api}/people/{{person_id}}/class": {
            "put": _op("Put a person into a class of their school (school_class null: out of it), audited",
                       STAFF, 200, _obj({"person_id": INT, "school": _null(_str()), "school_class": _null(_str()),
                                         "member": _null(_str(enum=list(MEMBERS)))}),
                       body=MEMBERSHIP.schema(), params=[PERSON_ID], errors=(401, 403, 404, 409, 422))},
        f"{api}/people/{{person_id}}/contacts": {
            "post": _op("Record a daily contact with a person not yet back (§四 19), audited",
                        "admin, registrar, teacher", 201, _ref("Contact"), body=CONTACT_INPUT.schema(),
                        params=[PERSON_ID], errors=(401, 403, 404, 409, 422)),
            "get": _op("A person's contact log, newest first", "admin, registrar, teacher", 200,
                       _obj({"contacts": {"type": "array", "items": _ref("Contact")}}),
                       params=[PERSON_ID], errors=(401, 403, 404, 422))},
        f"{api}/schools/{{school}}/classes": {
            "get": _op("The school's classes the caller reaches (a teacher: theirs)", ANYONE + ", teacher", 200,
                       _obj({"classes": {"type": "array", "items": _ref("SchoolClass")}}),
                       params=[SCHOOL], errors=(401, 403, 422)),
            "post": _op("Make a class, with its class teacher (an account of role teacher scoped to it)", STAFF,
                        201, _ref("SchoolClass"), body=CLASS_INPUT.schema(), params=[SCHOOL],
                        errors=(401, 403, 409, 422))},
        f"{api}/schools/{{school}}/classes/{{class_code}}": {
            "patch": _op("Change a class's name, grade or class teacher", STAFF, 200, _ref("SchoolClass"),
                         body=CLASS_CHANGE.schema(), params=[SCHOOL, _p("class_code", _str())],
                         errors=(401, 403, 404, 422))},
        f"{api}/schools/{{school}}/file": {
            "get": _op("一校一档: the school's people the caller reaches, their class and five must-be-clear items",
                       ANYONE + ", teacher", 200, _ref("SchoolFile"),
                       params=[SCHOOL, _q("date", DATE), _q("class", _str())], errors=(401, 403, 422))},
        f"{api}/people/{{person_id}}/quarantine/end": {
            "post": _op("End a quarantine early (audited)", "admin", 200, person, body=REASON_BODY,
                        params=[PERSON_ID], errors=(401, 403, 404, 409))},
        f"{api}/people/{{person_id}}/clear": {
            "post": _op("Mark cleared by medical observation (audited)", "admin", 200, person, body=REASON_BODY,
                        params=[PERSON_ID], errors=(401, 403, 404, 409))},
        f"{api}/health/not-checked": {
            "get": _op("People with a daily health check due and none recorded (for the worker)", STAFF, 200,
                       _obj({"date": DATE, "people": {"type": "array", "items": _obj({
                           "person_id": INT, "name": _str(), "community": _null(_str()), "status": _str(),
                           "quarantine_end": _null(DATE), "checked_today": BOOL, "abnormal_today": BOOL,
                           "last_checked_at": _null(TIME)})}}),
                       params=[_q("date", DATE), _q("community", _str())])},
        f"{api}/key-areas": {
            "get": _op("Key epidemic areas (GB/T 2260 prefixes, with names and periods)", ANYONE, 200,
                       _obj({"key_areas": {"type": "array", "items": _ref("KeyArea")}}), errors=(401, 403))},
        f"{api}/key-areas/{{prefix}}": {
            "put": _op("Add a key area or change its period; recomputes quarantines (audited)", "admin", 200,
                       _ref("KeyAreaChange"), body=_obj({"from": DATE, "until": _null(DATE),
                                                        "reason": _str(minLength=1, maxLength=500)},
                                                       required=["from", "reason"]),
                       params=[PREFIX]),
            "delete": _op("Remove a key area; recomputes quarantines (audited)", "admin", 200,
                          _ref("KeyAreaChange"), body=REASON_BODY, params=[PREFIX], errors=(401, 403, 404))},
        f"{api}/people/{{person_id}}/passes": {
            "post": _op("Issue a person's pass", STAFF, 201, _ref("IssuedPass"), params=[PERSON_ID],
                        errors=(401, 403, 404, 409, 422))},
        f"{api}/people/{{person_id}}/resident-link/rotate": {
            "post": _op("A new resident link; the old one gives 404 at once (audited)", STAFF, 200,
                        _ref("ResidentLink"), body=REASON_BODY, params=[PERSON_ID], errors=(401, 403, 404, 409))},
        f"{api}/people/{{person_id}}/holder-binding/reset": {
            "post": _op("End a person's phone binding; its holder-bound pass is revoked (audited)", STAFF, 200,
                        _ref("BindingReset"), body=REASON_BODY, params=[PERSON_ID], errors=(401, 403, 404, 409))},
        f"{api}/passes/{{serial}}": {
            "get": _op("A pass", ANYONE, 200, _ref("Pass"), params=[SERIAL], errors=(401, 403, 404, 422))},
        f"{api}/passes/{{serial}}/revoke": {
            "post": _op("Revoke a pass", STAFF, 200, _ref("Pass"), body=REASON_BODY, params=[SERIAL],
                        errors=(401, 403, 404, 409))},
        f"{api}/passes/{{serial}}/reissue": {
            "post": _op("Reissue: new serial, old one revoked, one transaction", STAFF, 201, _ref("IssuedPass"),
                        body=REASON_BODY, params=[SERIAL], errors=(401, 403, 404, 409))},
        f"{api}/sites": {
            "post": _op("Create a site with its policy", "admin", 201, _ref("Site"), body=_ref("SiteInput"),
                        errors=(401, 403, 409)),
            "get": _op("List sites", ANYONE, 200, _obj({"sites": {"type": "array", "items": _ref("Site")}}),
                       errors=(401, 403))},
        f"{api}/sites/{{code}}": {
            "get": _op("A site", ANYONE, 200, _ref("Site"), params=[SITE_CODE], errors=(401, 403, 404)),
            "put": _op("Replace a site's name, kind and policy", "admin", 200, _ref("Site"),
                       body=_obj({k: v for k, v in SCHEMAS["SiteInput"]["properties"].items() if k != "code"},
                                 required=["name", "kind"]), params=[SITE_CODE], errors=(401, 403, 404)),
            "patch": _op("Edit a site's name and policy field by field (audited old -> new; gates get it at "
                         "their next sync)", "admin", 200,
                         _obj({**SCHEMAS["Site"]["properties"], "changed": {"type": "array", "items": _str()}}),
                         body=_obj({"name": _str(minLength=1, maxLength=100),
                                    "policy": {"type": "object",
                                               "description": "the keys.SitePolicy fields to change"},
                                    "reason": _str(minLength=1, maxLength=500)}, required=[]),
                         params=[SITE_CODE], errors=(401, 403, 404))},
        f"{api}/sites/{{code}}/enrolments": {
            "post": _op("A single-use device enrolment token", "admin", 201, _ref("Enrolment"),
                        body=_obj({"expires_in": {"type": "integer", "minimum": 60, "maximum": 604800},
                                   "direction": _str(enum=list(DIRECTIONS))},
                                  required=[]),
                        params=[SITE_CODE], errors=(401, 403, 404))},
        f"{api}/people/{{person_id}}/guardianships": {
            "get": _op("The person's guardianships (family passes), as guardian and as dependant, newest first",
                       ANYONE, 200, _obj({"guardianships": {"type": "array", "items": _ref("Guardianship")}}),
                       params=[PERSON_ID], errors=(401, 403, 404, 422)),
            "post": _op("A guardian (by id or document, in the caller's scope) holds this person's pass on their"
                        " resident page, with the consent given (audited; docs/checkpoint.md)", STAFF, 201,
                        _ref("Guardianship"), body=NEW_GUARDIAN.schema(), params=[PERSON_ID],
                        errors=(401, 403, 404, 409))},
        f"{api}/guardianships/{{guardianship_id}}/end": {
            "post": _op("End a guardianship: the guardian's page stops showing the pass (audited)", STAFF, 200,
                        _ref("Guardianship"), body=REASON_BODY, params=[GUARDIANSHIP_ID],
                        errors=(401, 403, 404, 409))},
        f"{api}/sites/{{code}}/resumptions": {
            "post": _op("Apply for resumption (复工审批) with the five items in place (docs/checkpoint.md)", STAFF,
                        201, _ref("Resumption"),
                        body=_obj({"items": _obj({k: _obj({"done": {"type": "boolean", "enum": [True]},
                                                           "note": _null(_str(maxLength=500))},
                                                          required=["done"]) for k in RESUMPTION_ITEMS}),
                                   "open_from": _null(_str(description="ISO 8601; no offset: site time")),
                                   "note": _null(_str(maxLength=500))}, required=["items"]),
                        params=[SITE_CODE], errors=(401, 403, 404, 409))},
        f"{api}/resumptions": {
            "get": _op("Resumption applications in the caller's scope, newest first", "all", 200,
                       _obj({"resumptions": {"type": "array", "items": _ref("Resumption")}}),
                       params=[_q("site", _str(minLength=1, maxLength=64)),
                               _q("state", _str(enum=["pending", "approved", "refused"])),
                               _q("limit", {"type": "integer", "minimum": 1, "maximum": 500})],
                       errors=(401, 403, 422))},
        f"{api}/resumptions/{{resumption_id}}": {
            "get": _op("A resumption application", "all", 200, _ref("Resumption"), params=[RESUMPTION_ID],
                       errors=(401, 403, 404, 422))},
        f"{api}/resumptions/{{resumption_id}}/decision": {
            "post": _op("Approve (the site's signed policy gets resumption_approved and open_from) or refuse",
                        "admin, approver", 200, _ref("Resumption"),
                        body=_obj({"decision": _str(enum=["approve", "refuse"]),
                                   "reason": _str(minLength=1, maxLength=500),
                                   "open_from": _null(_str(description="ISO 8601; approval only"))},
                                  required=["decision", "reason"]),
                        params=[RESUMPTION_ID], errors=(401, 403, 404, 409))},
        f"{api}/devices/enroll": {
            "post": _op("Exchange an enrolment token for a device credential", "none", 201,
                        _ref("EnrolledDevice"), body=_obj({"token": _str(), "name": _str(maxLength=100)},
                                                          required=["token"]),
                        errors=(403,), public=True)},
        f"{api}/devices/bundle": {
            "get": _with_304(_op("Key set, revocation index, policy (signed once per version; ETag)", "device",
                                 200, _ref("Bundle"),
                                 params=[_q("since", {"type": "integer", "minimum": 0}),
                                         _q("nonce", _str(pattern="^([0-9a-f]{2}){16,32}$"))],
                                 errors=(401, 403, 404, 422)))},
        f"{api}/devices/time": {
            "get": _op("The server's time signed with the gate's nonce, naming the current revocation index",
                       "device", 200, _ref("SignedTime"),
                       params=[{**_q("nonce", _str(pattern="^([0-9a-f]{2}){16,32}$")), "required": True}],
                       errors=(401, 403, 422))},
        f"{api}/revocations/{{part}}/{{digest}}": {
            "get": _with_304({**_op("A signed revocation part by its SHA-256 (public, immutable)", "none", 200,
                                    None, params=[_p("part", _str(pattern="^(all|[0-9a-f]{2})$")),
                                                  _p("digest", _str(pattern="^[0-9a-f]{64}$"))],
                                    errors=(404, 422), public=True),
                              })},
        f"{api}/devices/status": {
            "post": _op("A gate reports whether it can use its bundles (problem null) or why not", "device", 200,
                        _ref("Device"), body=_obj({"problem": _null(_str(maxLength=300))}),
                        errors=(401, 403, 422))},
        f"{api}/devices": {
            "get": _op("List devices", "admin", 200, _obj({"devices": {"type": "array", "items": _ref("Device")}}),
                       params=[_q("site", _str())])},
        f"{api}/devices/{{device_id}}/disable": {
            "post": _op("Disable a device", "admin", 200, _ref("Device"), body=REASON_BODY,
                        params=[_p("device_id", _str())], errors=(401, 403, 404))},
        f"{api}/entries": {
            "post": _op("Upload entries (idempotent on id; chain checked)", "device", 200,
                        _obj({"accepted": INT, "duplicates": INT, "alerts": {"type": "array", "items": _ref("Alert")}}),
                        body=_obj({"entries": {"type": "array", "minItems": 1, "maxItems": 1000,
                                               "items": _ref("Entry")}}),
                        errors=(401, 403)),
            "get": _op("Entry log, newest first", "admin, viewer", 200,
                       _list("entries", _ref("StoredEntry"), "next_before", _str()),
                       params=[_q("site", _str()), _q("device", _str()), _q("serial", _str()),
                               _q("decision", _str(enum=["allow", "deny"])),
                               _q("since", TIME), _q("until", TIME), _q("before", _str()),
                               _q("limit", {"type": "integer", "minimum": 1})])},
        f"{api}/checkpoint/records": {
            "post": _op("Upload road checkpoint records (idempotent on id); key-area people and fevers become "
                        "hand-overs and referrals", "device (of a checkpoint site)", 200,
                        _obj({"accepted": INT, "duplicates": INT, "handovers": {"type": "array", "items": INT},
                              "referrals": {"type": "array", "items": INT}}),
                        body=_obj({"records": {"type": "array", "minItems": 1, "maxItems": 200,
                                               "items": _ref("CheckpointRecord")}}),
                        errors=(401, 403))},
        f"{api}/handovers": {
            "get": _op("Checkpoint hand-overs and referrals to the caller's communities", ANYONE, 200,
                       _list("handovers", _ref("Handover"), "next_after", INT),
                       params=[_q("kind", _str(enum=["handover", "referral"])),
                               _q("state", _str(enum=["open", "acknowledged", "transferred", "closed"])),
                               _q("open", _str(enum=["0", "1", "true", "false"])), *PAGE])},
        f"{api}/handovers/{{handover_id}}": {
            "get": _op("One hand-over or referral", ANYONE, 200, _ref("Handover"),
                       params=[HANDOVER_ID], errors=(401, 403, 404, 422))},
        f"{api}/handovers/{{handover_id}}/steps": {
            "post": _op("Acknowledge, transfer (place: the observation point or clinic) or close (audited)",
                        STAFF, 200, _ref("Handover"),
                        body=_obj({"step": _str(enum=["acknowledge", "transfer", "close"]),
                                   "place": _null(_str(minLength=1, maxLength=200)),
                                   "note": _null(_str(minLength=1, maxLength=500))}, required=["step"]),
                        params=[HANDOVER_ID], errors=(401, 403, 404, 409))},
        f"{api}/major-events": {
            "get": _op("Major-event reports (重大事项报告) of the caller's sites and communities", ANYONE, 200,
                       _list("major_events", _ref("MajorEvent"), "next_after", INT),
                       params=[_q("open", _str(enum=["0", "1", "true", "false"])), *PAGE])},
        f"{api}/major-events/{{event_id}}/acknowledge": {
            "post": _op("Acknowledge a major-event report (audited)", STAFF, 200, _ref("MajorEvent"),
                        body=_obj({"note": _null(_str(minLength=1, maxLength=500))}, required=[]),
                        params=[_p("event_id", {"type": "integer", "minimum": 1})], errors=(401, 403, 404, 409))},
        f"{api}/webhooks": {
            "get": _op("Township webhooks (never the secret)", "admin", 200,
                       _obj({"webhooks": {"type": "array", "items": _ref("Webhook")}}), errors=(401, 403))},
        f"{api}/webhooks/{{township}}": {
            "put": _op("Set a township's webhook; a new secret is answered once (audited)", "admin", 200,
                       _obj({**SCHEMAS["Webhook"]["properties"], "secret": _null(_str())}),
                       body=_obj({"url": _str(minLength=1, maxLength=500), "secret": _null(_str(minLength=16, maxLength=200)),
                                  "new_secret": _null(BOOL), "enabled": _null(BOOL),
                                  "reason": _str(minLength=1, maxLength=500)}, required=["url", "reason"]),
                       params=[_p("township", CODE)])},
        f"{api}/webhook-deliveries": {
            "get": _op("Webhook deliveries (state=dead: the dead-letter list)", "admin", 200,
                       _list("deliveries", _ref("WebhookDelivery"), "next_after", INT),
                       params=[_q("state", _str(enum=["pending", "delivered", "dead"])), *PAGE])},
        f"{api}/webhook-deliveries/{{delivery_id}}/retry": {
            "post": _op("Send a dead delivery again (audited)", "admin", 200, _ref("WebhookDelivery"),
                        body=REASON_BODY, params=[_p("delivery_id", {"type": "integer", "minimum": 1})],
                        errors=(401, 403, 404, 409))},
        f"{api}/alerts": {
            "get": _op("Alerts", "admin, viewer", 200, _list("alerts", _ref("Alert"), "next_after", INT),
                       params=[_q("kind", _str()), _q("site", _str()), *PAGE])},
        f"{api}/audit": {
            "get": _op("Audit log", "admin", 200, _list("audit", _ref("AuditRow"), "next_after", INT),
                       params=[_q("actor", _str()), _q("action", _str()), _q("target", _str()), *PAGE])},
        f"{api}/tokens": {
            "get": _op("API tokens: never the secret", "admin", 200, _list("tokens", _ref("Token"), "next_after", INT),
                       params=PAGE)},
        f"{api}/tokens/{{token_id}}/revoke": {
            "post": _op("Revoke an API token: 401 with it from the next call (audited)", "admin", 200,
                        _ref("Token"), body=REASON_BODY, params=[_p("token_id", {"type": "integer", "minimum": 0})],
                        errors=(401, 403, 404, 409))},
        f"{api}/reports/daily": {"get": _report_op()},
        f"{api}/keys": {
            "get": _op("Issuer keys and their state", "admin", 200,
                       _obj({"keys": {"type": "array", "items": _ref("IssuerKey")}}))},
        f"{api}/keys/rotate": {
            "post": _op("A new signing key; the old one stays trusted until its passes expire (audited)", "admin",
                        201, _obj({"signing_kid": _str()}), body=REASON_BODY, errors=(401, 403, 409))},
        f"{api}/keys/{{kid}}/withdraw": {
            "post": _op("Withdraw a key at once (compromise) and start reissuing every live pass it signed"
                        " (audited; docs/keys.md)", "admin", 202,
                        _obj({"kid": _str(), "signing_kid": _str(), "job": _ref("ReissueJob")}),
                        body=REASON_BODY, params=[_p("kid", _str())], errors=(401, 403, 404, 409))},
        f"{api}/reissue-jobs": {
            "get": _op("Bulk reissue jobs, newest first", "admin", 200,
                       _obj({"jobs": {"type": "array", "items": _ref("ReissueJob")}}))},
        f"{api}/reissue-jobs/{{job_id}}": {
            "get": _op("One bulk reissue job and its progress", "admin", 200, _ref("ReissueJob"),
                       params=[_p("job_id", {"type": "integer", "minimum": 0})], errors=(401, 403, 404, 422))},
        "/.well-known/jwks.json": {
            "get": _op("The issuer trust set (JWKS)", "none", 200, _ref("Jwks"), errors=(), public=True)},
        f"{api}/openapi.json": {
            "get": _op("This document", "none", 200, {"type": "object"}, errors=(), public=True)},
        "/healthz": {"get": _op("Liveness: the process serves", "none", 200,
                                _obj({"status": _str(enum=["ok"])}), errors=(), public=True)},
        "/readyz": {"get": {**_op("Readiness: the database answers", "none", 200,
                                  _obj({"status": _str(enum=["ready"]), "database": _str()}), errors=(),
                                  public=True),
                            "responses": {"200": {"description": "ready", **_json(
                                _obj({"status": _str(enum=["ready"]), "database": _str()}))},
                                          "503": {"description": "the database does not answer",
                                                  **_json(_ref("Error"))}}}},
        "/metrics": {"get": {**_op("Prometheus metrics (text exposition format)", "admin, viewer", 200, None,
                                   errors=(401, 403)),
                             "responses": {"200": {"description": "ok", "content": {
                                 "text/plain": {"schema": {"type": "string"}}}},
                                 **_errors(401, 403)}}},
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "qrgate gateway", "version": "1",
                 "description": "People registry, passes, sites, devices and the device sync API. "
                                "See docs/gateway.md and docs/device-api.md."},
        "paths": paths(),
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                                      "description": "qgt_ API token or qgd_ device credential"}}},
        "security": [{"bearer": []}],
    }
