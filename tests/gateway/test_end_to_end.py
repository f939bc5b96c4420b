"""The issue's end-to-end proof: a Hubei returnee, a community gate, quarantine, revoke, reissue."""

from __future__ import annotations

import base64
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from keys import KeySet, Reason, TrustSet, accept_keyset, decide, load_policy
from keys.revocations import RevocationList
from keys.trust import b64url_decode

from .bundles import revocations_of
from .conftest import Client, enrol_device, make_site, person_body

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Gate:
    """What a scanner keeps between syncs, built only from the device API's answers."""

    def __init__(self, client: Client, credential: str, enrolled: dict[str, Any]) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {credential}"}
        self.root = b64url_decode(enrolled["root"])  # pinned at enrolment
        self.keyset: KeySet | None = None
        self.trust = TrustSet.from_jwks(enrolled["jwks"])
        self.revocations: RevocationList | None = None
        self.policy = None

    async def sync(self) -> None:
        resp = await self.client.get("/api/v1/devices/bundle", headers=self.headers)
        assert resp.status == 200, await resp.text()
        bundle = await resp.json()
        # the key set must be signed by the root pinned at enrolment, and not older than the one held
        accepted = accept_keyset(base64.b64decode(bundle["keyset"]), [], self.root, self.keyset,
                                 now=datetime.now().astimezone())
        self.keyset, self.root = accepted.keyset, accepted.pinned
        self.trust = accepted.keyset.trust_set()
        self.revocations = await revocations_of(self.client, bundle, self.trust)
        assert self.revocations.seq == bundle["revocations_seq"]
        self.policy = load_policy(base64.b64decode(bundle["policy"]), self.trust)

    def decide(self, qr_text: str, at: datetime) -> Reason:
        return decide(qr_text, self.trust, self.revocations, self.policy, now=at).reason


async def test_hubei_returnee_through_a_community_gate(client: Client, admin: dict[str, str],
                                                       registrar: dict[str, str]) -> None:
    today = datetime.now(SHANGHAI).date()
    arrived = today - timedelta(days=13)  # so that "day 13" is now: the bundle is fresh
    # the gate may go two days without a sync: day 14 begins within the next 24 hours
    await make_site(client, admin, "GATE-1", communities=["C1"], max_data_age=2 * 86400)
    device = await enrol_device(client, admin, "GATE-1")
    gate = Gate(client, device["credential"], device)

    resp = await client.post("/api/v1/people", headers=registrar, json=person_body(
        7, origin="420100", left_origin_on=(arrived - timedelta(days=1)).isoformat(),
        arrived_on=arrived.isoformat()))
    assert resp.status == 201, await resp.text()
    person = await resp.json()
    assert person["quarantine"]["end"] == (arrived + timedelta(days=14)).isoformat()
    resp = await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)
    assert resp.status == 201
    first = await resp.json()
    assert "/p/" in first["resident_url"]

    await gate.sync()
    day13 = datetime.now(SHANGHAI) + timedelta(seconds=5)
    day14 = datetime.combine(arrived + timedelta(days=14), time(0), tzinfo=SHANGHAI)
    assert day13.date() == arrived + timedelta(days=13)
    assert gate.decide(first["qr_text"], day13) is Reason.QUARANTINE
    assert gate.decide(first["qr_text"], day14) is Reason.OK
    assert gate.decide(first["qr_text"], day14 - timedelta(seconds=1)) is Reason.QUARANTINE

    resp = await client.post(f"/api/v1/passes/{first['serial']}/revoke", headers=registrar,
                             json={"reason": "phone lost"})
    assert resp.status == 200
    assert (await resp.json())["state"] == "revoked"
    await gate.sync()
    assert bytes.fromhex(first["serial"]) in gate.revocations  # type: ignore[operator]
    assert gate.decide(first["qr_text"], day14) is Reason.REVOKED

    resp = await client.post(f"/api/v1/passes/{first['serial']}/reissue", headers=registrar,
                             json={"reason": "new phone"})
    assert resp.status == 201, await resp.text()
    second = await resp.json()
    assert second["serial"] != first["serial"] and second["replaces"] == first["serial"]
    assert second["resident_url"] == first["resident_url"]  # the link belongs to the person
    await gate.sync()
    assert gate.decide(second["qr_text"], day14) is Reason.OK
    assert gate.decide(first["qr_text"], day14) is Reason.REVOKED


async def test_quarantine_end_follows_the_configured_key_areas(client: Client, registrar: dict[str, str]
                                                               ) -> None:
    resp = await client.post("/api/v1/people", headers=registrar,
                             json=person_body(8, origin="110101", arrived_on="2020-02-01"))
    assert (await resp.json())["quarantine"] is None  # Beijing is not a key area by default
    resp = await client.post("/api/v1/people", headers=registrar,
                             json=person_body(9, origin="421000", arrived_on="2020-02-01"))
    assert (await resp.json())["quarantine"]["end"] == date(2020, 2, 15).isoformat()
