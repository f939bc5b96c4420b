"""Holder binding through the resident link: bind, renew, rebind within limits, reset by a worker,
refresh on data change, and the gate's view through the device bundle. Real app, real SQLite, real keys."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway import passes, registry
from gateway.config import GatewayConfig
from keys import Reason, TrustSet, decide, make_code

from .conftest import Client, person_body


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _ed() -> tuple[Ed25519PrivateKey, dict[str, str]]:
    key = Ed25519PrivateKey.generate()
    return key, {"alg": "Ed25519", "public_key": _b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))}


async def _resident(client: Client, headers: dict[str, str], seed: int = 1) -> tuple[int, str]:
    person = await (await client.post("/api/v1/people", headers=headers, json=person_body(seed))).json()
    resp = await client.post(f"/api/v1/people/{person['id']}/passes", headers=headers)
    assert resp.status == 201, await resp.text()
    return person["id"], (await resp.json())["resident_url"].rsplit("/p/", 1)[1]


async def _bind(client: Client, token: str, body: Any) -> Any:
    return await client.post(f"/p/{token}/bind", json=body)


async def _trust(client: Client) -> TrustSet:
    return TrustSet.from_jwks(await (await client.get("/.well-known/jwks.json")).json())


async def test_bind_then_the_phone_makes_codes_a_gate_admits(client: Client, registrar: dict[str, str],
                                                             admin: dict[str, str]) -> None:
    person_id, token = await _resident(client, registrar)
    phone, body = _ed()
    resp = await _bind(client, token, body)
    assert resp.status == 200, await resp.text()
    answer = await resp.json()
    bound = answer["bound"]
    assert datetime.fromisoformat(answer["server_time"]).tzinfo is not None
    assert "qr_text" not in bound and not bound["pass"].startswith("QG")
    page = await (await client.get(f"/p/{token}/pass.json")).json()
    assert page["bound"] == bound and page["qr_text"].startswith("QG1:")  # the paper pass stays
    code = make_code(bound["pass"], int(datetime.now(UTC).timestamp()), phone.sign)
    decision = decide(code, await _trust(client), None, None, now=datetime.now(UTC))
    assert decision.allowed and decision.bound
    # the audit names the resident by person, never by link
    audit = await (await client.get("/api/v1/audit?action=holder.bind", headers=admin)).json()
    [row] = audit["audit"]
    assert row["actor"] == f"resident:person:{person_id}" and token not in str(row)


async def test_the_same_phone_again_is_a_renewal_not_a_rebind(client: Client, registrar: dict[str, str]) -> None:
    _, token = await _resident(client, registrar)
    _, body = _ed()
    first = await (await _bind(client, token, body)).json()
    for _ in range(5):  # a page that retries must not use up the limit
        again = await _bind(client, token, body)
        assert again.status == 200
        assert (await again.json())["bound"]["serial"] == first["bound"]["serial"]


async def test_p256_keys_are_stored_compressed(client: Client, registrar: dict[str, str]) -> None:
    _, token = await _resident(client, registrar)
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    resp = await _bind(client, token, {"alg": "ES256", "public_key": _b64(raw)})
    assert resp.status == 200, await resp.text()
    bound = (await resp.json())["bound"]
    assert bound["alg"] == "ES256" and len(bytes.fromhex(bound["public_key"])) == 33


async def test_rebinding_revokes_the_old_phone_and_has_a_limit(client: Client, registrar: dict[str, str],
                                                              admin: dict[str, str],
                                                              config: GatewayConfig) -> None:
    person_id, token = await _resident(client, registrar)
    serials = []
    for _ in range(config.rebind_limit):
        resp = await _bind(client, token, _ed()[1])
        assert resp.status == 200, await resp.text()
        serials.append((await resp.json())["bound"]["serial"])
    refused = await _bind(client, token, _ed()[1])
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "rebind_limit"
    # every earlier phone's pass is revoked: the gate's revocation list names them
    for serial in serials[:-1]:
        got = await (await client.get(f"/api/v1/passes/{serial}", headers=admin)).json()
        assert got["state"] == "revoked"
    # a worker resets it: the current phone's pass is revoked too, and the resident may bind again
    reset = await client.post(f"/api/v1/people/{person_id}/holder-binding/reset", headers=registrar,
                              json={"reason": "new phone, checked ID at the office"})
    assert reset.status == 200, await reset.text()
    assert (await reset.json()) == {"person_id": person_id, "bound": False, "revoked": serials[-1]}
    assert (await (await client.get(f"/p/{token}/pass.json")).json())["bound"] is None
    assert (await _bind(client, token, _ed()[1])).status == 200
    again = await client.post(f"/api/v1/people/{person_id}/holder-binding/reset", headers=registrar,
                              json={"reason": "x"})
    assert again.status == 200
    nothing = await client.post(f"/api/v1/people/{person_id}/holder-binding/reset", headers=registrar,
                                json={"reason": "x"})
    assert nothing.status == 409 and (await nothing.json())["error"]["code"] == "not_bound"
    actions = [r["action"] for r in (await (await client.get("/api/v1/audit", headers=admin)).json())["audit"]]
    assert actions.count("holder.reset") == 2 and "holder.rebind" in actions


async def test_a_status_change_reissues_the_bound_pass_too(client: Client, registrar: dict[str, str],
                                                            admin: dict[str, str]) -> None:
    person_id, token = await _resident(client, registrar)
    phone, body = _ed()
    first = (await (await _bind(client, token, body)).json())["bound"]
    resp = await client.patch(f"/api/v1/people/{person_id}", headers=registrar,
                              json={"status": "red", "reason": "positive test"})
    assert resp.status == 200, await resp.text()
    page = await (await client.get(f"/p/{token}/pass.json")).json()
    assert page["bound"]["serial"] != first["serial"] and page["bound"]["public_key"] == first["public_key"]
    trust, now = await _trust(client), datetime.now(UTC)
    new_code = make_code(page["bound"]["pass"], int(now.timestamp()), phone.sign)
    assert decide(new_code, trust, None, None, now=now).reason is Reason.STATUS_RED
    old = await (await client.get(f"/api/v1/passes/{first['serial']}", headers=admin)).json()
    assert old["state"] == "revoked"


@pytest.mark.parametrize("body", [
    {"alg": "RS256", "public_key": "AAAA" * 11},
    {"alg": "Ed25519", "public_key": "not base64 at all!!" * 3},
    {"alg": "Ed25519", "public_key": _b64(b"\x01" * 31)},
    {"alg": "ES256", "public_key": _b64(b"\x04" + b"\xff" * 64)},  # not on the curve
    {"alg": "Ed25519"},
    {"alg": "Ed25519", "public_key": 12345},
    {"alg": "Ed25519", "public_key": _b64(b"\x01" * 32), "extra": 1},
    [1, 2, 3],
])
async def test_bad_bind_requests_are_clear_errors(client: Client, registrar: dict[str, str], body: Any) -> None:
    _, token = await _resident(client, registrar)
    resp = await _bind(client, token, body)
    assert resp.status == 422, await resp.text()
    assert (await resp.json())["error"]["code"] == "invalid"
    assert (await (await client.get(f"/p/{token}/pass.json")).json())["bound"] is None


REFUSED_KEYS = [bytes.fromhex(k["key"]) for k in json.loads(
    (Path(__file__).resolve().parents[1] / "vectors" / "ed25519-refused-keys.json").read_text())["keys"]
    if k["fault"] in ("small_order", "non_canonical")]


async def test_a_small_order_or_non_canonical_phone_key_is_refused_at_binding(
        client: Client, registrar: dict[str, str]) -> None:
    _, token = await _resident(client, registrar)
    assert len(REFUSED_KEYS) == 8 + 38
    for raw in REFUSED_KEYS:  # the all-zero key, 0100…00 and the rest: refused here, not at a gate later
        resp = await _bind(client, token, {"alg": "Ed25519", "public_key": _b64(raw)})
        error = (await resp.json())["error"]
        assert resp.status == 422 and error["code"] == "invalid" and error["field"] == "public_key", raw.hex()
        assert error["message"].startswith("public_key is not a valid key for this alg: it is ")
        assert ("of small order" in error["message"]) or ("not a canonical" in error["message"]), error
    assert (await (await client.get(f"/p/{token}/pass.json")).json())["bound"] is None
    assert (await _bind(client, token, _ed()[1])).status == 200  # a real phone's key still binds


async def test_bind_needs_json_a_live_link_and_a_live_pass(client: Client, registrar: dict[str, str]) -> None:
    person_id, token = await _resident(client, registrar)
    form = await client.post(f"/p/{token}/bind", data="alg=Ed25519",
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 415
    broken = await client.post(f"/p/{token}/bind", data=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status == 400
    assert (await _bind(client, "x" * 40, _ed()[1])).status == 404
    live = await (await client.get(f"/p/{token}/pass.json")).json()
    await client.post(f"/api/v1/passes/{live['serial']}/revoke", headers=registrar, json={"reason": "lost"})
    refused = await _bind(client, token, _ed()[1])
    assert refused.status == 409 and (await refused.json())["error"]["code"] == "no_live_pass"


async def test_a_key_withdrawal_reissues_the_bound_pass_to_the_same_phone(tmp_path: Path) -> None:
    from gateway import bindings, keyops, reissue
    from gateway.auth import CLI
    from gateway.services import open_services
    from gateway.store import passes as pass_store
    from keys import HolderKey

    async with open_services(GatewayConfig.for_data_dir(tmp_path / "data")) as svc:
        person = await registry.register(svc, person_body(7), CLI)
        info = await passes.issue(svc, person.id, CLI, "http://gw.example")
        phone = Ed25519PrivateKey.generate()
        key = HolderKey.from_raw("Ed25519", phone.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
        old = await bindings.bind(svc, info.resident_url.rsplit("/p/", 1)[1], key)
        old_kid = svc.keystore.signing_key().kid.hex()
        await keyops.rotate(svc, CLI, "rotation")
        done = await keyops.withdraw(svc, old_kid, "key file copied", CLI)
        assert done.job.total == 2  # the paper pass and the phone's pass
        assert (await reissue.run(svc, done.job.id)).state == "done"
        static = await pass_store.live_for(svc.db.read, person_id=person.id)
        bound = await bindings.for_person(svc.db.read, person.id)
        assert static is not None and bound is not None and bound.serial != old.serial
        assert bound.public_key == old.public_key  # the same phone goes on without binding again
        now = datetime.now(UTC)
        code = make_code(bound.pass_text, int(now.timestamp()), phone.sign)
        assert decide(code, svc.keystore.trust_set(), None, None, now=now).allowed
