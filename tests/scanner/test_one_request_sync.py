"""A gate's unchanged sync is one request: the bundle answers 304 with the signed time in a header.

The real scanner sync code (`qrgate-scanner sync`) against a real `qrgate serve`, on both backends;
the gateway's own /metrics count what reached it (issue #12, bundle latency).
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_run import run
from gatewayproc import Gateway

from keys import TrustSet, open_document
from keys.revocations import digest
from scanner.state import DeviceState, HeldDocuments
from tests.conftest import BACKENDS
from tests.pgserver import empty_tables

SITE = "ONE1"
LINE = re.compile(r'^qrgate_http_requests_total\{(?P<labels>[^}]*)\} (?P<n>[0-9.e+]+)$', re.M)


@pytest.fixture(params=BACKENDS)
def gateway(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Gateway]:
    url = None
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_database")
        asyncio.run(empty_tables(url))
    gw = Gateway(tmp_path / "gw", url).start()
    gw.site(SITE)
    yield gw
    gw.stop()


def requests_to(gw: Gateway, route: str) -> dict[str, int]:
    """status -> how many requests the gateway answered on `route` (its Prometheus counter)."""
    req = urllib.request.Request(gw.url + "/metrics", headers={"Authorization": f"Bearer {gw.admin}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        text = resp.read().decode()
    out: dict[str, int] = {}
    for match in LINE.finditer(text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        if labels["route"] == route:
            out[labels["status"]] = out.get(labels["status"], 0) + int(float(match["n"]))
    return out


def test_an_unchanged_sync_is_one_request_and_keeps_the_gate_fresh(gateway: Gateway, tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "gate"
    code, _, out = run(["enroll", "--gateway", gateway.url, "--token", gateway.enrolment(SITE)["token"],
                        "--data", str(folder)], capsys)
    assert code == 0, out
    state = DeviceState(folder)
    device_id = state.device().device_id
    assert run(["sync", "--data", str(folder)], capsys)[0] == 0  # the first: the whole bundle (200)
    first = state.held_documents()
    assert first.time is not None and first.index is not None

    def time_of(held: HeldDocuments) -> tuple[bytes, bytes]:
        trust: TrustSet = state.load().trust
        assert held.time is not None
        doc = open_document(held.time, trust, "qrgate/time")
        assert doc.body["device"] == device_id
        return doc.body["nonce"], doc.body["revocations"]

    nonce, named = time_of(first)
    assert named == digest(first.index)  # the time vouches for the list the gate holds
    bundles = requests_to(gateway, "/api/v1/devices/bundle")
    times = requests_to(gateway, "/api/v1/devices/time")

    assert run(["sync", "--data", str(folder)], capsys)[0] == 0  # nothing changed
    again = state.held_documents()
    assert requests_to(gateway, "/api/v1/devices/bundle") == {**bundles, "304": bundles.get("304", 0) + 1}
    assert requests_to(gateway, "/api/v1/devices/time") == times  # no second request
    assert again.index == first.index and again.etag == first.etag
    new_nonce, new_named = time_of(again)
    assert new_nonce != nonce and new_named == named  # a fresh answer, vouching for the same list
    assert state.load().can_decide

    # a revocation: the next sync is the new bundle (200), still with its time, still no /devices/time
    person = gateway.person_pass("单次", "O1000001", community="C1")
    gateway.ok("POST", f"/api/v1/passes/{person['serial']}/revoke", {"reason": "lost"})
    assert run(["sync", "--data", str(folder)], capsys)[0] == 0
    after = state.held_documents()
    assert after.index is not None and after.index != first.index and time_of(after)[1] == digest(after.index)
    revocations = state.load().revocations
    assert revocations is not None and bytes.fromhex(person["serial"]) in revocations.serials
    assert requests_to(gateway, "/api/v1/devices/time") == times
