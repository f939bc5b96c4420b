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
from ..errors import NotFound
from ..openapi import SCHEMAS, array, obj, ref, string
from ..validate import CODE, REASON_BODY, Integer, Text
from .common import authorise, authorise_with_site, base_url, json_response, reach, read_json, read_optional_json, services
from .spec import operation, path, query

SITE = ref("Site")


def site_json(row: SiteRow) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "kind": row.kind, "policy": json.loads(row.policy),
            "created_at": row.created_at, "updated_at": row.updated_at}


def device_json(row: DeviceRow) -> dict[str, Any]:
    return {"device_id": row.id, "site": row.site, "name": row.name, "enrolled_at": row.enrolled_at,
            "disabled_at": row.disabled_at, "last_seen_at": row.last_seen_at,
            "update_problem": row.update_problem, "update_problem_at": row.update_problem_at,
            "direction": row.direction}


@operation("Create a site with its policy", ok=201, response=SITE, body=sites.NEW_SITE, errors=(409,),
           rules=sites.SITE_RULES)
async def create_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await sites.create_site(services(request), await read_json(request), principal)
    return json_response(site_json(row), status=201)


@operation("List sites", response=obj({"sites": array(SITE)}))
async def list_sites(request: web.Request) -> web.Response:
    principal = await authorise(request)
    rows = await site_store.list_sites(services(request).db.read)
    scope = await reach(request, principal)
    return json_response({"sites": [site_json(r) for r in rows if scope.covers_site(r.code)]})


@operation("A site", response=SITE)
async def get_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    site_code = path(request, "code")
    await scoped.check_site(services(request).db.read, principal, site_code)
    return json_response(site_json(await sites.get_site(services(request), site_code)))


@operation("Replace a site's name, kind and policy", response=SITE, body=sites.SITE_REPLACE,
           rules=sites.SITE_RULES)
async def update_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    row = await sites.update_site(services(request), path(request, "code"), await read_json(request),
                                  principal)
    return json_response(site_json(row))


@operation("Edit a site's name and policy field by field (audited old -> new; gates get it at their next sync)",
           response=obj({**SCHEMAS["Site"]["properties"], "changed": array(string())}), body=sites.SITE_EDIT,
           rules=sites.SITE_RULES)
async def edit_site(request: web.Request) -> web.Response:
    principal = await authorise(request)
    edit = await sites.edit_site(services(request), path(request, "code"), await read_json(request),
                                 principal)
    return json_response({**site_json(edit.row), "changed": sorted(edit.changes)})


@operation("A single-use device enrolment token", ok=201, response=ref("Enrolment"), body=sites.ENROLMENT,
           body_required=False)
async def create_enrolment(request: web.Request) -> web.Response:
    principal = await authorise(request)
    enrolment = await sites.create_enrolment(services(request), path(request, "code"),
                                             await read_optional_json(request), principal, base_url(request))
    return json_response({"token": enrolment.token, "expires_at": enrolment.expires_at,
                          "site": enrolment.site, "qr_text": enrolment.qr_text}, status=201)


@operation("Exchange an enrolment token for a device credential", ok=201, response=ref("EnrolledDevice"),
           body=sites.ENROL, errors=(403,))
async def enroll_device(request: web.Request) -> web.Response:
    device = await sites.enroll(services(request), await read_json(request))
    return json_response({"device_id": device.device_id, "credential": device.credential,
                          "site": device.site, "server_time": device.server_time, "jwks": device.jwks,
                          **device.trust, "direction": device.direction}, status=201)


@operation("List devices", response=obj({"devices": array(ref("Device"))}), query={"site": CODE})
async def list_devices(request: web.Request) -> web.Response:
    await authorise(request)
    rows = await sites.list_devices(services(request), query(request).get("site"))
    return json_response({"devices": [device_json(r) for r in rows]})


@operation("Disable a device", response=ref("Device"), body=REASON_BODY)
async def disable_device(request: web.Request) -> web.Response:
    principal = await authorise(request)
    device_id = path(request, "device_id")
    row = await sites.disable_device(services(request), device_id,
                                     REASON_BODY.check(await read_json(request))["reason"], principal)
    return json_response(device_json(row))


BUNDLE_CACHE = "private, no-cache"  # a gate's own bundle: revalidate each time (If-None-Match, 304)
PART_CACHE = "public, max-age=31536000, immutable"  # named by its digest: never changes
NONCE = Text(64, 32, pattern="(?:[0-9a-fA-F]{2}){16,32}", what="16 to 32 bytes in hex", trim=False)
IF_NONE_MATCH = {"If-None-Match": string(description="the ETag of the copy the gate holds")}
TIME_NONCE, TIME = "Qrgate-Time-Nonce", "Qrgate-Time"  # a sync in one request (docs/device-api.md)
TIME_HEADER = {TIME: {"required": False, "schema": string(
    description=f"the signed time (base64), answering {TIME_NONCE}: as GET /devices/time gives it")}}
ETAG = {"ETag": {"required": True, "schema": string()}}
NOT_MODIFIED = "not modified: the version named in If-None-Match is current (no body)"


@operation("Key set, revocation index, policy (signed once per version; ETag, If-None-Match gives 304)",
           response=ref("Bundle"),
           # `since` was the base of a delta (before the list was partitioned): accepted, and not needed
           query={"since": Integer(0, 2**53), "nonce": NONCE},
           request_headers={**IF_NONE_MATCH, TIME_NONCE: NONCE.schema() | {
               "description": f"a fresh nonce (hex): the signed time comes back in {TIME}, 304 or not"}},
           ok_headers={"Cache-Control": {"required": True, "schema": string(enum=[BUNDLE_CACHE, "no-store"])},
                       "ETag": {"required": False, "schema": string()}, **TIME_HEADER},
           responses={"304": {"description": NOT_MODIFIED, "headers": {
               **ETAG, "Cache-Control": {"required": True, "schema": string(enum=[BUNDLE_CACHE])},
               **TIME_HEADER}}})
async def device_bundle(request: web.Request) -> web.Response:
    device, read = await authorise_with_site(request)
    nonce = query(request).get("nonce")
    answer = await sync.bundle(services(request), device, read, if_none_match=request.headers.get("If-None-Match"),
                               nonce=sync.parse_nonce(nonce),
                               time_nonce=sync.parse_nonce(request.headers.get(TIME_NONCE), TIME_NONCE))
    # the time answers this request's nonce only: a copy of it kept by a cache is worth nothing to
    # anyone (the gate checks the nonce), so the bundle keeps its Cache-Control
    time = {} if answer.time is None else {TIME: sync.time_header(answer.time)}
    metrics = request.config_dict[metrics_key]
    if answer.body is None:
        metrics.bundles_304.inc()
        return web.Response(status=304, headers={"ETag": f'"{answer.etag}"', "Cache-Control": BUNDLE_CACHE,
                                                 **time})
    metrics.bundles_200.inc()
    response = json_response(answer.body)
    response.headers.update(time)
    if nonce is None:
        response.headers.update({"ETag": f'"{answer.etag}"', "Cache-Control": BUNDLE_CACHE})
    else:  # the signed time inside answers this request only
        response.headers["Cache-Control"] = "no-store"
    return response


@operation("The server's time signed with the gate's nonce, naming the current revocation index",
           response=ref("SignedTime"), query={"nonce": NONCE}, required_query=("nonce",))
async def device_time(request: web.Request) -> web.Response:
    device = await authorise(request)
    nonce = sync.parse_nonce(query(request)["nonce"])
    assert nonce is not None
    response = json_response(await sync.signed_time(services(request), device, nonce))
    response.headers["Cache-Control"] = "no-store"
    return response


@operation("A signed revocation part by its SHA-256 (public, immutable: cacheable by any proxy)",
           response_content={"application/cose": string(format="binary")}, request_headers=IF_NONE_MATCH,
           ok_headers={**ETAG, "Cache-Control": {"required": True, "schema": string(enum=[PART_CACHE])}},
           responses={"304": {"description": NOT_MODIFIED, "headers": {
               **ETAG, "Cache-Control": {"required": True, "schema": string(enum=[PART_CACHE])}}}})
async def revocation_part(request: web.Request) -> web.Response:
    """A signed revocation part by its digest: the same bytes for every gate, cacheable for ever."""
    served = await sync.revocation_part(services(request), path(request, "part"), path(request, "digest"))
    if served is None:
        raise NotFound("no such revocation part (the list has changed: fetch the bundle again)")
    headers = {"ETag": f'"{served.etag}"', "Cache-Control": PART_CACHE}
    if served.etag in sync.etags(request.headers.get("If-None-Match") or ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=served.body, content_type="application/cose", headers=headers)


@operation("A gate reports whether it can use its bundles (problem null) or why not", response=ref("Device"),
           body=sites.DEVICE_STATUS)
async def device_status(request: web.Request) -> web.Response:
    device = await authorise(request)
    row = await sites.report_status(services(request), device, await read_json(request))
    return json_response(device_json(row))


@operation("Upload entries (idempotent on id; chain checked)",
           response=obj({"accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                         "alerts": array(ref("Alert"))}),
           body=ingest.UPLOAD, errors=(409,), rules=ingest.UPLOAD_RULES)
async def upload_entries(request: web.Request) -> web.Response:
    device = await authorise(request)
    result = await ingest.ingest(services(request), device, await read_json(request))
    request.config_dict[metrics_key].entries.labels("stored").inc(result.accepted)
    request.config_dict[metrics_key].entries.labels("duplicate").inc(result.duplicates)
    return json_response({"accepted": result.accepted, "duplicates": result.duplicates,
                          "alerts": result.alerts})
