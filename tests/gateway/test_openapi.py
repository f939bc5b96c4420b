"""The OpenAPI document is complete (every route of the running app, each declared by its handler)
and exact: schemathesis with all its checks, positive and negative data, finds nothing against a
real server on a real port and a real SQLite data folder."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import CHECKS
from schemathesis.generation.modes import GenerationMode
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from gateway import access, auth, registry, sites
from gateway.api.routes import ROUTES
from gateway.appkeys import services_key
from gateway.config import GatewayConfig
from gateway.openapi import document
from qrgate.app import create_app

from .conftest import Client, person_body

DOCUMENT = document()
OPERATIONS = sorted((path, method) for path, item in DOCUMENT["paths"].items() for method in item)
# negative data needs something to make invalid: a parameter or a body
CASES = [(path, method, mode) for path, method in OPERATIONS
         for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
         if mode is GenerationMode.POSITIVE or {"parameters", "requestBody"} & set(DOCUMENT["paths"][path][method])]
API_PATHS = ("/api/", "/.well-known/", "/healthz", "/readyz", "/metrics")


def test_every_route_of_the_app_is_an_operation_and_nothing_else(tmp_path: Path) -> None:
    """Walks the composed app's router, not a list: a route added anywhere must be in the document."""
    app = create_app(GatewayConfig.for_data_dir(tmp_path / "data"))
    routed = {(route.resource.canonical, route.method.lower()) for route in app.router.routes()
              if route.resource is not None and route.method != "HEAD"
              and route.resource.canonical.startswith(API_PATHS)}
    assert routed == set(OPERATIONS)
    assert {(path, method.lower()) for method, path, _ in ROUTES} == set(OPERATIONS)


def test_every_operation_is_declared_by_its_handler() -> None:
    undeclared = [f"{m.upper()} {p}" for p, m in OPERATIONS if DOCUMENT["paths"][p][m].get("x-qrgate-undeclared")]
    assert not undeclared, "add @operation(...) (gateway/api/spec.py) to the handlers of: " + ", ".join(undeclared)


def test_roles_and_security_come_from_the_access_matrix() -> None:
    for path, method in OPERATIONS:
        op, action = DOCUMENT["paths"][path][method], access.action_for(method.upper(), path)
        if action == access.PUBLIC:
            assert op["security"] == [], path
        elif action == access.DEVICE_ONLY:
            assert op["security"] == [{"deviceCredential": []}], path
        else:
            assert op["security"] == [{"apiToken": []}], path
            assert all(role in op["description"] for role in access.ROLES if access.may(role, action)), path
            assert {"401", "403"} <= set(op["responses"]), path


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
        await sites.create_site(svc, {"code": "CP1", "name": "road", "kind": "checkpoint", "policy": {}}, auth.CLI)
        enrolment = await sites.create_enrolment(svc, "CP1", {}, auth.CLI, self.url)
        road = await sites.enroll(svc, {"token": enrolment.token, "name": "road"})
        self.headers = {"admin": {"Authorization": f"Bearer {admin}"},
                        "device": {"Authorization": f"Bearer {device.credential}"},
                        "checkpoint": {"Authorization": f"Bearer {road.credential}"}}

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


def _rules_allow(case: Any, response: Any) -> bool:
    """A 422 on schema-valid data is right when it names a field of the operation's declared rules
    (x-qrgate-rules: what no JSON Schema can say, such as a check digit or one field against another)."""
    if response.status_code != 422:
        return False
    rules = DOCUMENT["paths"][case.operation.path][case.method.lower()].get("x-qrgate-rules", [])
    field = (json.loads(response.content).get("error") or {}).get("field") or ""
    field = re.sub(r"\[[0-9]+\]", "[]", field)  # records[3].plate is the rule of records[].plate
    return any(field == r["field"] or field.startswith((r["field"] + ".", r["field"] + "[")) for r in rules)


def positive_data_acceptance_within_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _rules_allow(case, response):
            return None
        raise


# every check schemathesis has (its --checks all), the positive one reading the declared rules
ALL_CHECKS = [positive_data_acceptance_within_rules if check is positive_data_acceptance else check
              for check in CHECKS.get_all()]
# an entry upload's body is up to 1000 chained entries, a checkpoint upload up to 200 records of up to 60
# people: fewer, bigger examples
EXAMPLES = {("/api/v1/entries", "post"): 4, ("/api/v1/checkpoint/records", "post"): 4}
DEVICE_ROUTES = {(p, m) for p, m in OPERATIONS if access.action_for(m.upper(), p) == access.DEVICE_ONLY}


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "mode"), CASES)
def test_schemathesis_all_checks_find_nothing(live_server: LiveServer, path: str, method: str,
                                              mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_dict(document())
    operation = schema[path][method.upper()]
    if path == "/api/v1/checkpoint/records":  # a checkpoint site's gate: the records are stored
        headers = live_server.headers["checkpoint"]
    elif (path, method) in DEVICE_ROUTES:
        headers = live_server.headers["device"]
    else:
        headers = live_server.fresh_admin()
    strategy = operation.as_strategy(generation_mode=mode)

    # derandomize: the same examples every run (a seed from the test's name), no example database
    @settings(max_examples=EXAMPLES.get((path, method), 12), deadline=None, database=None, derandomize=True, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case: Any) -> None:
        case.call_and_validate(base_url=live_server.url, headers=headers, checks=ALL_CHECKS, timeout=10)

    run()
