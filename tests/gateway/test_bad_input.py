"""Bad input gets a clear JSON error and changes nothing; never a 500."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import registry
from gateway.auth import Principal
from gateway.errors import GatewayError
from gateway.ingest import parse_entry

from .conftest import Client, person_body

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)
person_like = st.fixed_dictionaries({}, optional={k: json_values for k in registry.FIELDS})


@given(person_like)
def test_person_parser_only_raises_gateway_errors(body: dict[str, Any]) -> None:
    for partial in (False, True):
        try:
            registry.parse(body, partial=partial)
        except GatewayError as exc:
            assert exc.field is None or isinstance(exc.field, str)


@given(st.dictionaries(st.sampled_from(["id", "seq", "device_id", "site", "scanned_at", "serial", "decision",
                                        "reason", "temperature", "prev_hash", "hash", "x"]), json_values))
def test_entry_parser_only_raises_gateway_errors(raw: dict[str, Any]) -> None:
    device = Principal("device", "dev_1", "device", "dev_1", "S1")
    try:
        parse_entry(raw, 0, device, "2020-01-01T00:00:00Z")
    except GatewayError as exc:
        assert exc.field and exc.field.startswith("entries[0]")


@pytest.mark.parametrize("body", [b"{", b"", b"\xff\xfe", b"[1, 2", b"NaN", b'{"name": NaN}', b"1" * 5000])
async def test_broken_json_is_400(client: Client, registrar: dict[str, str], body: bytes) -> None:
    resp = await client.post("/api/v1/people", headers=registrar, data=body)
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "bad_json"


async def test_wrong_shapes_are_422_naming_the_field(client: Client, registrar: dict[str, str]) -> None:
    cases = [("[]", None), ('"text"', None), (json.dumps({**person_body(1), "name": 7}), "name"),
             (json.dumps({**person_body(1), "document_type": "visa"}), "document_type"),
             (json.dumps({**person_body(1), "origin": "42"}), "origin"),
             (json.dumps({**person_body(1), "arrived_on": "2020-02-30"}), "arrived_on"),
             (json.dumps({**person_body(1), "left_origin_on": "2020-03-01", "arrived_on": "2020-02-01"}),
              "left_origin_on"),
             (json.dumps({**person_body(1), "phone": "call me"}), "phone"),
             (json.dumps({**person_body(1), "status": "blue"}), "status"),
             (json.dumps({**person_body(1), "community": "has space"}), "community"),
             (json.dumps({**person_body(1), "surprise": 1}), "surprise"),
             (json.dumps({"name": "x"}), "document_type")]
    for body, field in cases:
        resp = await client.post("/api/v1/people", headers=registrar, data=body)
        assert resp.status == 422, body
        assert (await resp.json())["error"]["field"] == field, body
    listed = await (await client.get("/api/v1/people", headers=registrar)).json()
    assert listed["people"] == []  # nothing half-stored


async def test_body_size_limit(client: Client, registrar: dict[str, str]) -> None:
    huge = json.dumps({**person_body(1), "address": "x" * (3 * 1024 * 1024)})
    resp = await client.post("/api/v1/people", headers=registrar, data=io.BytesIO(huge.encode()))
    assert resp.status == 413
    assert (await resp.json())["error"]["code"] == "body_too_large"


async def test_unknown_routes_and_methods_are_json(client: Client, registrar: dict[str, str]) -> None:
    resp = await client.get("/api/v1/nothing-here", headers=registrar)
    assert resp.status == 404 and (await resp.json())["error"]["code"] == "not_found"
    resp = await client.delete("/api/v1/people", headers=registrar)
    assert resp.status == 405 and "POST" in resp.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/v1/people/abc", "/api/v1/people/²", "/api/v1/people/99999999999999999999",
                                  "/api/v1/people?limit=0", "/api/v1/people?limit=x", "/api/v1/people?status=blue",
                                  "/api/v1/passes/XYZ", "/api/v1/passes/" + "A" * 24, "/api/v1/people?after=-1",
                                  "/api/v1/entries?since=yesterday", "/api/v1/entries?before=x_y",
                                  "/api/v1/alerts?kind=party", "/api/v1/people/1?reveal=maybe"])
async def test_bad_paths_and_queries_are_4xx(client: Client, admin: dict[str, str], path: str) -> None:
    resp = await client.get(path, headers=admin)
    assert 400 <= resp.status < 500, path
    assert set((await resp.json())["error"]) == {"code", "message", "field"}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=person_like)
async def test_random_person_bodies_never_500(client: Client, registrar: dict[str, str],
                                              body: dict[str, Any]) -> None:
    for method, path in (("POST", "/api/v1/people"), ("PATCH", "/api/v1/people/1")):
        resp = await client.request(method, path, headers=registrar, json=body)
        assert resp.status < 500, (method, body, await resp.text())
