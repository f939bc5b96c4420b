"""Handlers for resumption applications (复工审批): apply, list, read, decide, withdraw an approval."""

from __future__ import annotations

from aiohttp import web

from .. import resumption
from ..openapi import array, obj, ref
from ..validate import CODE, Choice, Integer
from .common import authorise, json_response, read_json, services
from .spec import operation, path, query


@operation("Apply for resumption (复工审批) with the five items in place (docs/checkpoint.md)", ok=201,
           response=ref("Resumption"), body=resumption.APPLY, errors=(409,), rules=(resumption.OPEN_FROM_RULE,))
async def apply(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.apply(services(request), path(request, "code"), await read_json(request),
                                   principal)
    return json_response(found.to_json(), status=201)


@operation("Resumption applications in the caller's scope, newest first",
           response=obj({"resumptions": array(ref("Resumption"))}),
           query={"site": CODE, "state": Choice(resumption.STATES), "limit": Integer(1, resumption.MAX_LIST)})
async def list_resumptions(request: web.Request) -> web.Response:
    principal = await authorise(request)
    q = query(request)
    found = await resumption.listing(services(request), principal, site=q.get("site"), state=q.get("state"),
                                     limit=q.get("limit", resumption.MAX_LIST))
    return json_response({"resumptions": [r.to_json() for r in found]})


@operation("A resumption application", response=ref("Resumption"))
async def get_resumption(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.get(services(request), path(request, "resumption_id"), principal)
    return json_response(found.to_json())


@operation("Approve (the site's signed policy gets resumption_approved and open_from) or refuse",
           response=ref("Resumption"), body=resumption.DECISION, errors=(409,), rules=resumption.DECISION_RULES)
async def decide(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.decide(services(request), path(request, "resumption_id"),
                                    await read_json(request), principal)
    return json_response(found.to_json())


@operation("Withdraw an approval (关停): the site's signed policy loses resumption_approved, its gates deny "
           "site_closed from their next sync; the firm may apply again", response=ref("Resumption"),
           body=resumption.WITHDRAWAL, errors=(409,))
async def withdraw(request: web.Request) -> web.Response:
    principal = await authorise(request)
    found = await resumption.withdraw(services(request), path(request, "resumption_id"),
                                      await read_json(request), principal)
    return json_response(found.to_json())
