"""Handlers for /people: register, read (masked unless revealed), change, health checks, clearances."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .. import passes, people_import, registry
from ..access import may
from ..auth import Principal
from ..errors import Conflict, Forbidden, InvalidInput
from ..services import Services
from ..store import audit
from ..store import people as store
from ..store.people import PersonRow
from ..openapi import INT, array, obj, page, ref
from ..validate import CODE, REASON_BODY, Choice, Flag, Integer, Text
from .common import authorise, json_response, reach, read_json, services
from .spec import operation, path, query

PERSON = ref("Person")
PAGE = {"after": Integer(0, 2**62), "limit": Integer(1, 500)}

async def person_json(svc: Services, person: PersonRow, principal: Principal, *,
                      reveal: bool = False, history: bool = False) -> dict[str, Any]:
    document, phone = person.document_masked, person.phone_masked
    if reveal:
        document, phone = registry.reveal(svc, person)
    live = await passes.store.live_for(svc.db.read, person_id=person.id)
    data: dict[str, Any] = {
        "id": person.id, "name": person.name, "document_type": person.document_type,
        "document_number": document, "phone": phone,
        # least privilege: a viewer sees who and what status, not where they live
        "address": person.address if may(principal.role, "people.address") else None,
        "community": person.community, "employer": person.employer, "school": person.school,
        "school_class": person.school_class, "school_member": person.school_member,
        "origin": person.origin, "left_origin_on": person.left_origin_on, "arrived_on": person.arrived_on,
        "status": person.status,
        "quarantine": None if person.quarantine_end is None else {
            "kind": person.quarantine_kind, "place": person.quarantine_place, "start": person.quarantine_start, "end": person.quarantine_end,
            "ended_early": bool(person.quarantine_ended_early)},
        "cleared": bool(person.cleared), "cleared_at": person.cleared_at,
        "pass": None if live is None else {"serial": live.serial, "expires_at": live.expires_at},
        "revealed": reveal, "created_at": person.created_at, "updated_at": person.updated_at,
    }
    if history:
        data["status_history"] = [
            {"status": h.status, "changed_at": h.changed_at, "changed_by": h.changed_by, "reason": h.reason}
            for h in await store.status_history(svc.db.read, person_id=person.id)]
    return data


@operation("Register a person", ok=201, response=PERSON, body=registry.NEW_PERSON, errors=(409,),
           rules=registry.PERSON_RULES)
async def create_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.register(svc, await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True), status=201)


@operation("List or look up people (look-ups by document or phone: admin, registrar)",
           response=page("people", PERSON, "next_after", INT),
           query={"community": CODE, "status": Choice(registry.STATUSES),
                  "document_type": Choice(registry.DOCUMENT_TYPES), "document_number": registry.DOCUMENT_NUMBER,
                  "phone": registry.PHONE_NUMBER, **PAGE},
           rules=(("document_type", "document_type is required with document_number"),
                  registry.PERSON_RULES[0]))
async def list_people(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    q = query(request)
    doc_type, doc_number, phone = q.get("document_type"), q.get("document_number"), q.get("phone")
    if (doc_number or phone) and not may(principal.role, "people.lookup_number"):
        raise Forbidden("looking people up by document or phone needs the registrar or admin role")
    doc_hmac = None
    if doc_number is not None:
        if doc_type is None:
            raise InvalidInput("document_type is required with document_number", field="document_type")
        doc_hmac = registry.lookup_document(svc, doc_type, doc_number)
    rows = await store.search(
        svc.db.read, community=q.get("community"), status=q.get("status"), document_hmac=doc_hmac,
        reach=await reach(request, principal),
        phone_hmac=registry.lookup_phone(svc, phone) if phone else None,
        after_id=q.get("after", 0), limit=q.get("limit", 50))
    items = [await person_json(svc, p, principal) for p in rows]
    return json_response({"people": items, "next_after": rows[-1].id if rows else None})


@operation("A person's file, masked (admin: ?reveal=1, audited)", response=PERSON, query={"reveal": Flag()})
async def get_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    reveal = query(request).get("reveal", False)
    if reveal and not may(principal.role, "people.reveal"):
        raise Forbidden("only an admin may see full document and phone numbers")
    person = await registry.get_for(svc, principal, path(request, "person_id"))
    if reveal:  # audited before the data leaves: a failed audit write means no reveal
        async with svc.db.transaction() as tx:
            await audit.record(tx, principal.actor, "person.reveal", f"person:{person.id}", None,
                               {"fields": ["document_number", "phone"]})
    return json_response(await person_json(svc, person, principal, reveal=reveal, history=True))


@operation("Change a person; a change the pass carries reissues it; a status change needs a reason",
           response=PERSON, body=registry.PERSON_CHANGE, errors=(409,), rules=registry.PERSON_RULES)
async def update_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.update(svc, path(request, "person_id"), await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True))


def _check_json(check: store.HealthCheck) -> dict[str, Any]:
    return {"id": check.id, "person_id": check.person_id, "checked_at": check.checked_at,
            "temperature": check.temperature, "symptoms": json.loads(check.symptoms),
            "recorded_by": check.recorded_by, "taken_by": check.taken_by, "abnormal": bool(check.abnormal)}


HEALTH_CHECK = ref("HealthCheck")


@operation("Record a health check", ok=201, response=HEALTH_CHECK, body=registry.HEALTH_CHECK,
           rules=registry.HEALTH_CHECK_RULES)
async def add_health_check(request: web.Request) -> web.Response:
    principal = await authorise(request)
    check = await registry.add_health_check(services(request), path(request, "person_id"),
                                            await read_json(request), principal)
    return json_response(_check_json(check), status=201)


@operation("A person's health checks", response=obj({"health_checks": array(HEALTH_CHECK)}))
async def list_health_checks(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.get_for(svc, principal, path(request, "person_id"))
    checks = await store.health_checks(svc.db.read, person_id=person.id)
    return json_response({"health_checks": [_check_json(c) for c in checks]})


@operation("End a quarantine early (audited)", response=PERSON, body=REASON_BODY, errors=(409,))
async def end_quarantine(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.end_quarantine(svc, path(request, "person_id"), await read_json(request),
                                           principal)
    return json_response(await person_json(svc, person, principal, history=True))


@operation("Mark cleared by medical observation (audited)", response=PERSON, body=REASON_BODY, errors=(409,))
async def clear_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.clear(svc, path(request, "person_id"), await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True))


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_ANSWER = {"type": "object", "description": "dry_run, imported and every row's check"}


@operation("Import a household list (CSV or XLSX body); every row checked first", ok=201,
           response=IMPORT_ANSWER, query={"dry_run": Flag(), "valid_only": Flag(), "filename": Text(100)},
           request_content={"text/csv": {"type": "string"}, XLSX: {"type": "string", "format": "binary"}},
           responses={"200": {"description": "a dry run: nothing imported",
                              "content": {"application/json": {"schema": IMPORT_ANSWER}}},
                      "409": {"description": "a row has errors: nothing imported (every row's errors)",
                              "content": {"application/json": {"schema": {
                                  "type": "object", "required": ["error"],
                                  "properties": {"error": ref("ErrorDetail")}}}}}},
           rules=(("file", "a CSV (UTF-8 or GBK) or XLSX household list with its header row"),))
async def import_people(request: web.Request) -> web.Response:
    """A household list (CSV or XLSX as the body): ?dry_run=1 checks only; ?valid_only=1 imports the
    valid rows; otherwise a list with any bad row imports nothing (409 with every row's errors)."""
    principal = await authorise(request)
    svc = services(request)
    data = await request.read()  # 413 above max_body_bytes
    q = query(request)
    name = q.get("filename")
    rows = people_import.read_table(data, name)
    if q.get("dry_run"):
        checked = await people_import.check(svc, rows, principal)
        return json_response({"dry_run": True, "imported": 0, **checked.to_json()})
    try:
        done = await people_import.run(svc, rows, principal, valid_only=q.get("valid_only", False),
                                       file_name=name)
    except Conflict as exc:
        if exc.code != "import_has_errors":
            raise
        checked = await people_import.check(svc, rows, principal)
        return json_response({"error": {"code": exc.code, "message": exc.message, "field": None},
                              **checked.to_json()}, status=409)
    return json_response({"dry_run": False, "imported": done.imported, **done.checked.to_json()}, status=201)
