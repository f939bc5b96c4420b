"""Handlers for passes: issue, read, revoke, reissue."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .. import passes
from ..access import may
from ..passes import IssuedPassInfo
from ..store.passes import PassRow
from ..openapi import ref
from ..validate import REASON_BODY
from .common import authorise, base_url, json_response, read_json, services
from .spec import operation, path

def issued_json(info: IssuedPassInfo) -> dict[str, Any]:
    return {"serial": info.serial, "qr_text": info.qr_text, "issued_at": info.issued_at,
            "expires_at": info.expires_at, "resident_url": info.resident_url, "person_id": info.person_id,
            "replaces": info.replaced}


def pass_json(row: PassRow, *, with_qr: bool = True) -> dict[str, Any]:
    return {"serial": row.serial, "person_id": row.person_id, "state": row.state, "kid": row.kid,
            "qr_text": row.qr_text if with_qr else None, "claims": json.loads(row.claims), "issued_at": row.issued_at,
            "expires_at": row.expires_at, "revoked_at": row.revoked_at, "revoke_reason": row.revoke_reason,
            "replaced_by": row.replaced_by}


@operation("Issue a person's pass", ok=201, response=ref("IssuedPass"), errors=(409,),
           rules=(("person_id", "the person's pass fits a QR code (pass_too_large)"),))
async def issue_pass(request: web.Request) -> web.Response:
    principal = await authorise(request)
    info = await passes.issue(services(request), path(request, "person_id"), principal, base_url(request))
    return json_response(issued_json(info), status=201)


@operation("A pass (its QR text only to staff)", response=ref("Pass"))
async def get_pass(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await passes.get_for(services(request).db, principal, path(request, "serial"))
    # the QR text is the pass itself: whoever holds it can show it at a gate, so a viewer never gets it
    return json_response(pass_json(row, with_qr=may(principal.role, "pass.qr")))


async def _reason(request: web.Request) -> str:
    reason: str = REASON_BODY.check(await read_json(request))["reason"]
    return reason


@operation("A new resident link; the old one gives 404 at once (audited)", response=ref("ResidentLink"),
           body=REASON_BODY, errors=(409,))
async def rotate_resident_link(request: web.Request) -> web.Response:
    principal = await authorise(request)
    person_id = path(request, "person_id")
    url = await passes.rotate_resident_link(services(request), person_id, await _reason(request), principal,
                                            base_url(request))
    return json_response({"person_id": person_id, "resident_url": url})


@operation("Revoke a pass", response=ref("Pass"), body=REASON_BODY, errors=(409,))
async def revoke_pass(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await passes.revoke(services(request), path(request, "serial"), await _reason(request),
                              principal)
    return json_response(pass_json(row))


@operation("Reissue: new serial, old one revoked, one transaction", ok=201, response=ref("IssuedPass"),
           body=REASON_BODY, errors=(409,))
async def reissue_pass(request: web.Request) -> web.Response:
    principal = await authorise(request)
    info = await passes.reissue(services(request), path(request, "serial"), await _reason(request),
                                principal, base_url(request))
    return json_response(issued_json(info), status=201)
