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
from .common import (authorise, json_response, path_int, query_flag, query_int, query_text, reach,
                     read_json, services)

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


async def create_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.register(svc, await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True), status=201)


async def list_people(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    doc_type, doc_number = query_text(request, "document_type"), query_text(request, "document_number")
    phone = query_text(request, "phone", max_len=30)
    if (doc_number or phone) and not may(principal.role, "people.lookup_number"):
        raise Forbidden("looking people up by document or phone needs the registrar or admin role")
    doc_hmac = None
    if doc_number is not None:
        if doc_type is None:
            raise InvalidInput("document_type is required with document_number", field="document_type")
        doc_hmac = registry.lookup_document(svc, doc_type, doc_number)
    status = query_text(request, "status")
    if status is not None and status not in registry.STATUSES:
        raise InvalidInput("status must be green, yellow or red", field="status")
    rows = await store.search(
        svc.db.read, community=query_text(request, "community"), status=status, document_hmac=doc_hmac,
        reach=await reach(request, principal),
        phone_hmac=registry.lookup_phone(svc, phone) if phone else None,
        after_id=query_int(request, "after", default=0, low=0, high=2**62) or 0,
        limit=query_int(request, "limit", default=50, low=1, high=500) or 50)
    items = [await person_json(svc, p, principal) for p in rows]
    return json_response({"people": items, "next_after": rows[-1].id if rows else None})


async def get_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    reveal = query_flag(request, "reveal")
    if reveal and not may(principal.role, "people.reveal"):
        raise Forbidden("only an admin may see full document and phone numbers")
    person = await registry.get_for(svc, principal, path_int(request, "person_id"))
    if reveal:  # audited before the data leaves: a failed audit write means no reveal
        async with svc.db.transaction() as tx:
            await audit.record(tx, principal.actor, "person.reveal", f"person:{person.id}", None,
                               {"fields": ["document_number", "phone"]})
    return json_response(await person_json(svc, person, principal, reveal=reveal, history=True))


async def update_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.update(svc, path_int(request, "person_id"), await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True))


def _check_json(check: store.HealthCheck) -> dict[str, Any]:
    return {"id": check.id, "person_id": check.person_id, "checked_at": check.checked_at,
            "temperature": check.temperature, "symptoms": json.loads(check.symptoms),
            "recorded_by": check.recorded_by, "taken_by": check.taken_by, "abnormal": bool(check.abnormal)}


async def add_health_check(request: web.Request) -> web.Response:
    principal = await authorise(request)
    check = await registry.add_health_check(services(request), path_int(request, "person_id"),
                                            await read_json(request), principal)
    return json_response(_check_json(check), status=201)


async def list_health_checks(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.get_for(svc, principal, path_int(request, "person_id"))
    checks = await store.health_checks(svc.db.read, person_id=person.id)
    return json_response({"health_checks": [_check_json(c) for c in checks]})


async def end_quarantine(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.end_quarantine(svc, path_int(request, "person_id"), await read_json(request),
                                           principal)
    return json_response(await person_json(svc, person, principal, history=True))


async def clear_person(request: web.Request) -> web.Response:
    principal = await authorise(request)
    svc = services(request)
    person = await registry.clear(svc, path_int(request, "person_id"), await read_json(request), principal)
    return json_response(await person_json(svc, person, principal, history=True))


async def import_people(request: web.Request) -> web.Response:
    """A household list (CSV or XLSX as the body): ?dry_run=1 checks only; ?valid_only=1 imports the
    valid rows; otherwise a list with any bad row imports nothing (409 with every row's errors)."""
    principal = await authorise(request)
    svc = services(request)
    data = await request.read()  # 413 above max_body_bytes
    name = query_text(request, "filename", max_len=100)
    rows = people_import.read_table(data, name)
    if query_flag(request, "dry_run"):
        checked = await people_import.check(svc, rows, principal)
        return json_response({"dry_run": True, "imported": 0, **checked.to_json()})
    try:
        done = await people_import.run(svc, rows, principal, valid_only=query_flag(request, "valid_only"),
                                       file_name=name)
    except Conflict as exc:
        if exc.code != "import_has_errors":
            raise
        checked = await people_import.check(svc, rows, principal)
        return json_response({"error": {"code": exc.code, "message": exc.message, "field": None},
                              **checked.to_json()}, status=409)
    return json_response({"dry_run": False, "imported": done.imported, **done.checked.to_json()}, status=201)
