"""Health, readiness and Prometheus metrics (issue #12 parts 4 and 6)."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.conftest import Chain, Client, bearer, enrol_device, make_site


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_health_and_readiness_need_no_credential(client: Client, config: Any) -> None:
    assert (await (await client.get("/healthz")).json()) == {"status": "ok"}
    ready = await (await client.get("/readyz")).json()
    assert ready == {"status": "ready", "database": "postgresql" if config.database_url else "sqlite"}


async def test_metrics_count_requests_entries_and_bundles(client: Client, admin: dict[str, str],
                                                          viewer: dict[str, str],
                                                          registrar: dict[str, str]) -> None:
    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers=registrar)).status == 403
    await make_site(client, admin, "M1", communities=["C1"])
    device = await enrol_device(client, admin, "M1")
    chain = Chain(device["device_id"], "M1")
    batch = {"entries": [chain.entry() for _ in range(3)]}
    for _ in range(2):  # the second upload is all duplicates
        assert (await client.post("/api/v1/entries", headers=bearer(device["credential"]), json=batch)).status == 200
    first = await client.get("/api/v1/devices/bundle", headers=bearer(device["credential"]))
    assert first.status == 200
    for _ in range(3):  # unchanged: the gate's ETag gets 304 (the 304 ratio is 304 / all bundles)
        again = await client.get("/api/v1/devices/bundle",
                                 headers={**bearer(device["credential"]), "If-None-Match": first.headers["ETag"]})
        assert again.status == 304
    # an unknown query parameter is refused (gateway/api/spec.py), its value never echoed
    assert (await client.get("/api/v1/people/123456789?x=42010219900101001X", headers=viewer)).status == 422

    resp = await client.get("/metrics", headers=viewer)
    assert resp.status == 200 and resp.content_type == "text/plain"
    text = await resp.text()
    samples = _samples(text)
    assert samples[("qrgate_entries_ingested_total", (("result", "stored"),))] == 3
    assert samples[("qrgate_entries_ingested_total", (("result", "duplicate"),))] == 3
    assert samples[("qrgate_bundles_total", (("answer", "200"),))] == 1
    assert samples[("qrgate_bundles_total", (("answer", "304"),))] == 3
    key = ("qrgate_http_requests_total",
           (("method", "POST"), ("route", "/api/v1/entries"), ("status", "200")))
    assert samples[key] == 2
    # routes are patterns: no id, no query string, no personal number reaches the metrics
    assert ("qrgate_http_requests_total", (("method", "GET"), ("route", "/api/v1/people/{person_id}"),
                                           ("status", "422"))) in samples
    assert "123456789" not in text and "42010219900101001X" not in text
    assert samples[("qrgate_db_connections", (("state", "open"),))] >= 1
