"""The OpenAPI document is complete (every route, nothing more) and true (schemathesis finds no
500 and no response that breaks it), against a real server on a real port."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from gateway import auth, registry, sites
from gateway.api.routes import ROUTES
from qrgate.app import create_app
from gateway.appkeys import services_key
from gateway.config import GatewayConfig
from gateway.openapi import document

from .conftest import Client, person_body

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
OPERATIONS = sorted((path, method) for path, item in document()["paths"].items() for method in item)
# negative data needs something to make invalid: a parameter or a body
CASES = [(path, method, mode) for path, method in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(document()["paths"][path][method])]
DEVICE_ROUTES = {("/api/v1/devices/bundle", "get"), ("/api/v1/devices/time", "get"), ("/api/v1/entries", "post"),
                 ("/api/v1/devices/status", "post"), ("/api/v1/checkpoint/records", "post")}


def test_every_route_is_documented_and_nothing_else() -> None:
    routed = {(path, method.lower()) for method, path, _ in ROUTES}
    assert routed == set(OPERATIONS)


async def test_served_document_is_the_module_document(client: Client) -> None:
    resp = await client.get("/api/v1/openapi.json")
    assert resp.status == 200 and await resp.json() == document()


class LiveServer:
    """The real app on 127.0.0.1 in a thread with its own event loop, seeded through the domain."""

    def __init__(self, data: Path) -> None:
        self.config = GatewayConfig.for_data_dir(data)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.headers: dict[str, dict[str, str]] = {}

    def start(self) -> None:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> None:
        self.runner = web.AppRunner(create_app(self.config))
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        svc = self.runner.app[services_key]
        admin = await auth.create_token(svc.db, role="admin", label="schemathesis")
        await registry.register(svc, person_body(1), auth.CLI)
        await sites.create_site(svc, {"code": "S1", "name": "gate", "kind": "community", "policy": {}}, auth.CLI)
        enrolment = await sites.create_enrolment(svc, "S1", {}, auth.CLI, self.url)
        device = await sites.enroll(svc, {"token": enrolment.token, "name": "gate"})
        self.headers = {"admin": {"Authorization": f"Bearer {admin}"},
                        "device": {"Authorization": f"Bearer {device.credential}"}}

    def fresh_admin(self) -> dict[str, str]:
        """A new admin token: a case of POST /tokens/{id}/revoke may revoke the one it was given."""
        async def make() -> str:
            return await auth.create_token(self.runner.app[services_key].db, role="admin", label="schemathesis")
        token = asyncio.run_coroutine_threadsafe(make(), self.loop).result(30)
        return {"Authorization": f"Bearer {token}"}

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("schemathesis") / "data")
    server.start()
    yield server
    server.stop()


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_schemathesis_finds_no_500_and_no_schema_violation(live_server: LiveServer, path: str, method: str,
                                                           mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_dict(document())
    operation = schema[path][method.upper()]
    headers = live_server.headers["device"] if (path, method) in DEVICE_ROUTES else live_server.fresh_admin()
    strategy = operation.as_strategy(generation_mode=mode)

    @settings(max_examples=12, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=live_server.url, headers=headers, checks=CHECKS,
                               timeout=10)

    run()
