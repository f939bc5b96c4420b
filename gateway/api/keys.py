"""Handlers for issuer keys (admin only): list, rotate, withdraw (starts the bulk reissue), jobs."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from .. import keyops, reissue
from ..appkeys import reissue_runner_key
from ..store.reissue import JobRow
from ..validate import reason, reject_unknown
from .common import authorise, json_response, path_int, read_json, services


def job_json(job: JobRow) -> dict[str, Any]:
    return {**asdict(job), "fraction": round(reissue.fraction(job), 4)}


async def list_keys(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response({"keys": [asdict(k) for k in keyops.list_keys(services(request))]})


async def rotate_key(request: web.Request) -> web.Response:
    principal = await authorise(request)
    body = await read_json(request)
    reject_unknown(body, ("reason",))
    kid, _ = await keyops.rotate(services(request), principal, reason(body.get("reason")))
    return json_response({"signing_kid": kid}, status=201)


async def withdraw_key(request: web.Request) -> web.Response:
    principal = await authorise(request)
    body = await read_json(request)
    reject_unknown(body, ("reason",))
    done = await keyops.withdraw(services(request), request.match_info["kid"], reason(body.get("reason")),
                                 principal)
    request.config_dict[reissue_runner_key].schedule(done.job.id)
    return json_response({"kid": done.kid, "signing_kid": done.signing_kid, "job": job_json(done.job)},
                         status=202)


async def list_jobs(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response({"jobs": [job_json(j) for j in await reissue.list_jobs(services(request).db)]})


async def get_job(request: web.Request) -> web.Response:
    await authorise(request)
    return json_response(job_json(await reissue.get(services(request).db, path_int(request, "job_id"))))
