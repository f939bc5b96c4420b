"""The gateway's app factory: config, resources (in cleanup contexts), middleware and API routes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from aiohttp import web

import aiohttp

from . import jobs, logsafe, reissue, retention, webhooks
from .api.routes import setup_routes
from .appkeys import cipher_key, config_key, db_key, keystore_key, reissue_runner_key, services_key
from .config import GatewayConfig
from .metrics import Metrics, metrics_key
from .middleware import errors
from .services import open_services

log = logging.getLogger("qrgate.gateway")


async def services_ctx(app: web.Application) -> AsyncIterator[None]:
    async with open_services(app[config_key]) as svc:
        app[services_key] = svc
        app[db_key] = svc.db
        app[keystore_key] = svc.keystore
        app[cipher_key] = svc.cipher
        yield


async def retention_ctx(app: web.Application) -> AsyncIterator[None]:
    """Purge old entries now and then every `purge_interval_seconds`, on one node of the city.

    The node holding the `retention` lease purges; the lease outlives one interval, so another
    node takes over only when the holder has stopped renewing it.
    """
    config = app[config_key]

    async def loop() -> None:
        while True:
            try:
                if await jobs.take_lease(app[db_key], "retention", 2.5 * config.purge_interval_seconds):
                    removed = await retention.purge(app[db_key], config)
                    app[metrics_key].job_done("retention", removed)
                    if removed:
                        log.info("retention: purged %d entries", removed)
            except Exception:  # a failed purge must not stop the next one
                log.exception("retention purge failed")
            await asyncio.sleep(config.purge_interval_seconds)

    task = asyncio.create_task(loop(), name="qrgate-retention")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def reissue_ctx(app: web.Application) -> AsyncIterator[None]:
    """Bulk reissue jobs run in the background; a job a stop interrupted resumes at start."""
    runner = reissue.Runner(app[services_key])
    app[reissue_runner_key] = runner
    await runner.resume()
    yield
    await runner.close()


async def webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    """Send queued webhook deliveries every `webhook_interval_seconds`, on one node of the city."""
    config = app[config_key]

    async def loop() -> None:
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    if await jobs.take_lease(app[db_key], "webhooks", max(30.0, 3 * config.webhook_interval_seconds)):
                        sent = await webhooks.deliver_due(app[services_key], session)
                        app[metrics_key].job_done("webhooks", sent)
                except Exception:  # a failed round must not stop the next one
                    log.exception("webhook deliveries failed")
                await asyncio.sleep(config.webhook_interval_seconds)

    task = asyncio.create_task(loop(), name="qrgate-webhooks")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


AppFactory = Callable[[GatewayConfig], web.Application]


def create_gateway_app(config: GatewayConfig) -> web.Application:
    """The gateway's API and resources; the web pages are mounted above it (qrgate/app.py)."""
    logsafe.install()  # before the first request: aiohttp's parser errors quote raw header lines
    metrics = Metrics(lambda: app.get(db_key))
    app = web.Application(client_max_size=config.max_body_bytes, middlewares=[metrics.measure, errors])
    app[config_key] = config
    app[metrics_key] = metrics
    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(retention_ctx)
    app.cleanup_ctx.append(reissue_ctx)
    app.cleanup_ctx.append(webhooks_ctx)
    setup_routes(app)
    return app
