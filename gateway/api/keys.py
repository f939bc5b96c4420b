"""Handlers for issuer keys (admin only): list, rotate, withdraw (starts the bulk reissue), jobs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .. import keyops, reissue
from ..appkeys import reissue_runner_key
from ..store.reissue import JobRow
from ..openapi import array, obj, ref, string
from ..validate import REASON_BODY
from .common import authorise, json_response, read_json, services
from .spec import operation, path


def job_json(job: JobRow) -> dict[str, Any]:
    return {**asdict(job), "fraction": round(reissue.fraction(job), 4)}


@operation("Issuer keys and their state", response=obj({"keys": array(ref("IssuerKey"))}))
async def list_keys(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response({"keys": [asdict(k) for k in keyops.list_keys(services(request))]})


@operation("A new signing key; the old one stays trusted until its passes expire (audited)", ok=201,
           response=obj({"signing_kid": string()}), body=REASON_BODY, errors=(409,))
async def rotate_key(request: web.Request) -> web.Response:
    principal = await authorise(request)
    why = REASON_BODY.check(await read_json(request))["reason"]
    kid, _ = await keyops.rotate(services(request), principal, why)
    return json_response({"signing_kid": kid}, status=201)


@operation("Withdraw a key at once (compromise) and start reissuing every live pass it signed"
           " (audited; docs/keys.md)", ok=202,
           response=obj({"kid": string(), "signing_kid": string(), "job": ref("ReissueJob")}),
           body=REASON_BODY, errors=(409,))
async def withdraw_key(request: web.Request) -> web.Response:
    principal = await authorise(request)
    kid = path(request, "kid")
    why = REASON_BODY.check(await read_json(request))["reason"]
    done = await keyops.withdraw(services(request), kid, why, principal)
    request.config_dict[reissue_runner_key].schedule(done.job.id)
    return json_response({"kid": done.kid, "signing_kid": done.signing_kid, "job": job_json(done.job)},
                         status=202)


@operation("Bulk reissue jobs, newest first", response=obj({"jobs": array(ref("ReissueJob"))}))
async def list_jobs(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response({"jobs": [job_json(j) for j in await reissue.list_jobs(services(request).db)]})


@operation("One bulk reissue job and its progress", response=ref("ReissueJob"))
async def get_job(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response(job_json(await reissue.get(services(request).db, path(request, "job_id"))))
