"""Handlers for sites, enrolments and devices (admin), and for the devices themselves."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .. import ingest, sites, sync
from .. import scoped
from ..metrics import metrics_key
from ..store import sites as site_store
from ..store.sites import DeviceRow, SiteRow
from ..errors import InvalidInput, NotFound
from ..validate import reason, reject_unknown
from .common import authorise, base_url, json_response, query_int, query_text, reach, read_json, \
    read_optional_json, services


def site_json(row: SiteRow) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "kind": row.kind, "policy": json.loads(row.policy),
            "created_at": row.created_at, "updated_at": row.updated_at}


def device_json(row: DeviceRow) -> dict[str, Any]:
    return {"device_id": row.id, "site": row.site, "name": row.name, "enrolled_at": row.enrolled_at,
            "disabled_at": row.disabled_at, "last_seen_at": row.last_seen_at,
            "update_problem": row.update_problem, "update_problem_at": row.update_problem_at,
            "direction": row.direction}


async def create_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await sites.create_site(services(request), await read_json(request), principal)
    return json_response(site_json(row), status=201)


async def list_sites(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await site_store.list_sites(services(request).db.read)
    scope = await reach(request, principal)
    return json_response({"sites": [site_json(r) for r in rows if scope.covers_site(r.code)]})


async def get_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    await scoped.check_site(services(request).db.read, principal, request.match_info["code"])
    return json_response(site_json(await sites.get_site(services(request), request.match_info["code"])))


async def update_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await sites.update_site(services(request), request.match_info["code"], await read_json(request),
                                  principal)
    return json_response(site_json(row))


async def edit_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    edit = await sites.edit_site(services(request), request.match_info["code"], await read_json(request),
                                 principal)
    return json_response({**site_json(edit.row), "changed": sorted(edit.changes)})


async def create_enrolment(request: web.Request) -> web.Response:
    principal = await authorise(request)
    enrolment = await sites.create_enrolment(services(request), request.match_info["code"],
                                             await read_optional_json(request), principal, base_url(request))
    return json_response({"token": enrolment.token, "expires_at": enrolment.expires_at,
                          "site": enrolment.site, "qr_text": enrolment.qr_text}, status=201)


async def enroll_device(request: web.Request) -> web.Response:
    device = await sites.enroll(services(request), await read_json(request))
    return json_response({"device_id": device.device_id, "credential": device.credential,
                          "site": device.site, "server_time": device.server_time, "jwks": device.jwks,
                          **device.trust, "direction": device.direction}, status=201)


async def list_devices(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await sites.list_devices(services(request), query_text(request, "site"))
    return json_response({"devices": [device_json(r) for r in rows]})


async def disable_device(request: web.Request) -> web.Response:
    principal = await authorise(request)
    body = await read_json(request)
    reject_unknown(body, ("reason",))
    row = await sites.disable_device(services(request), request.match_info["device_id"],
                                     reason(body.get("reason")), principal)
    return json_response(device_json(row))


BUNDLE_CACHE = "private, no-cache"  # a gate's own bundle: revalidate each time (If-None-Match, 304)
PART_CACHE = "public, max-age=31536000, immutable"  # named by its digest: never changes


async def device_bundle(request: web.Request) -> web.Response:
    device = await authorise(request)
    # `since` was the base of a delta (before the list was partitioned): accepted, and not needed
    query_int(request, "since", default=None, low=0, high=2**53)
    nonce = query_text(request, "nonce", max_len=64)
    answer = await sync.bundle(services(request), device, if_none_match=request.headers.get("If-None-Match"),
                               nonce=sync.parse_nonce(nonce))
    counter = request.config_dict[metrics_key].bundles
    if answer.body is None:
        counter.labels("304").inc()
        return web.Response(status=304, headers={"ETag": f'"{answer.etag}"', "Cache-Control": BUNDLE_CACHE})
    counter.labels("200").inc()
    response = json_response(answer.body)
    if nonce is None:
        response.headers.update({"ETag": f'"{answer.etag}"', "Cache-Control": BUNDLE_CACHE})
    else:  # the signed time inside answers this request only
        response.headers["Cache-Control"] = "no-store"
    return response


async def device_time(request: web.Request) -> web.Response:
    device = await authorise(request)
    nonce = sync.parse_nonce(query_text(request, "nonce", max_len=64))
    if nonce is None:
        raise InvalidInput("nonce is required", field="nonce")
    response = json_response(await sync.signed_time(services(request), device, nonce))
    response.headers["Cache-Control"] = "no-store"
    return response


async def revocation_part(request: web.Request) -> web.Response:
    """A signed revocation part by its digest: the same bytes for every gate, cacheable for ever."""
    served = await sync.revocation_part(services(request), request.match_info["part"],
                                        request.match_info["digest"])
    if served is None:
        raise NotFound("no such revocation part (the list has changed: fetch the bundle again)")
    headers = {"ETag": f'"{served.etag}"', "Cache-Control": PART_CACHE}
    if served.etag in sync.etags(request.headers.get("If-None-Match") or ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=served.body, content_type="application/cose", headers=headers)


async def device_status(request: web.Request) -> web.Response:
    device = await authorise(request)
    row = await sites.report_status(services(request), device, await read_json(request))
    return json_response(device_json(row))


async def upload_entries(request: web.Request) -> web.Response:
    device = await authorise(request)
    result = await ingest.ingest(services(request), device, await read_json(request))
    request.config_dict[metrics_key].entries.labels("stored").inc(result.accepted)
    request.config_dict[metrics_key].entries.labels("duplicate").inc(result.duplicates)
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates,
                          "alerts": result.alerts})
