"""Liveness, readiness and metrics: for the load balancer, the orchestrator and Prometheus."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..db import StoreError
from ..metrics import metrics_key
from ..openapi import obj, ref, string
from .common import authorise, json_response, services
from .spec import operation


@operation("Liveness: the process serves", response=obj({"status": string(enum=["ok"])}))
async def healthz(request: web.Request) -> web.Response:
    """The process serves (it does not look at the database: a restart would not help that)."""
    return json_response({"status": "ok"})


@operation("Readiness: the database answers", response=obj({"status": string(enum=["ready"]), "database": string()}),
           responses={"503": {"description": "the database does not answer",
                              "content": {"application/json": {"schema": ref("Error")}}}})
async def readyz(request: web.Request) -> web.Response:
    """Ready when the database answers: the load balancer sends this node requests."""
    db = services(request).db
    try:
        await db.read.fetch_value("SELECT 1")
    except StoreError:
        return json_response({"error": {"code": "not_ready", "message": "the database does not answer",
                                        "field": None}}, status=503)
    return json_response({"status": "ready", "database": db.backend})


@operation("Prometheus metrics (text exposition format)",
           response_content={"text/plain": {"type": "string"}})
async def metrics(request: web.Request) -> web.Response:
    """Prometheus text format, to an admin or viewer token (scrape with `authorization`)."""
    await authorise(request)
    body = generate_latest(request.config_dict[metrics_key].registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
