"""Prometheus metrics (prometheus_client): requests, latency, ingestion, bundles, pool, jobs.

Each app has its own registry (tests run many apps in one process); `GET /metrics` serves it in
the text exposition format to a viewer or admin token (Prometheus: `authorization: credentials`).
Routes are labelled by their pattern (`/api/v1/people/{person_id}`), never by the raw path, so
neither personal numbers nor unbounded label values reach the metrics.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .db import Database

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _PoolCollector(Collector):
    def __init__(self, database: Callable[[], Database | None]) -> None:
        self._database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        db = self._database()
        gauge = GaugeMetricFamily("qrgate_db_connections", "Database connections of this process",
                                  labels=["state"])
        if db is not None:
            size, idle = db.pool_stats()
            gauge.add_metric(["open"], size)
            gauge.add_metric(["idle"], idle)
        yield gauge


class Metrics:
    """The metrics of one gateway process."""

    def __init__(self, database: Callable[[], Database | None] = lambda: None) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("qrgate_http_requests", "HTTP requests answered",
                                ["route", "method", "status"], registry=r)
        self.latency = Histogram("qrgate_http_request_seconds", "Time to answer a request", ["route"],
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10), registry=r)
        self.entries = Counter("qrgate_entries_ingested", "Gate entries uploaded", ["result"], registry=r)
        self.bundles = Counter("qrgate_bundles", "Device bundles answered", ["answer"], registry=r)
        self.job_runs = Counter("qrgate_job_runs", "Background job runs on this node", ["job"], registry=r)
        self.job_items = Counter("qrgate_job_items", "Items a job handled (entries purged)", ["job"],
                                 registry=r)
        self.job_last = Gauge("qrgate_job_last_run_timestamp_seconds", "Unix time of the job's last run here",
                              ["job"], registry=r)
        r.register(_PoolCollector(database))
        # a child per label values, kept: `.labels(...)` costs a lock and a tuple per call, and
        # every request counts itself (routes are patterns, so there are few of them)
        self._answered: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}
        self.bundles_304, self.bundles_200 = self.bundles.labels("304"), self.bundles.labels("200")

    def answered(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one answered request and its time."""
        children = self._answered.get((route, method, status))
        if children is None:
            children = self._answered[(route, method, status)] = (
                self.requests.labels(route, method, str(status)), self.latency.labels(route))
        children[0].inc()
        children[1].observe(seconds)

    @web.middleware  # marks the function; the bound method reads the mark through it
    async def measure(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The middleware (this bound method) that counts and times every request."""
        start = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self.answered(route_of(request), request.method, status, time.perf_counter() - start)

    def job_done(self, job: str, items: int) -> None:
        self.job_runs.labels(job).inc()
        self.job_items.labels(job).inc(items)
        self.job_last.labels(job).set(time.time())


metrics_key = web.AppKey("metrics_key", Metrics)


def route_of(request: web.Request) -> str:
    info = request.match_info
    if info.http_exception is not None or info.route.resource is None:
        return "unmatched"
    return info.route.resource.canonical
