"""The pass-size promise (issue #10): a static pass fits QR version 10 at ECC M, or is refused."""

from __future__ import annotations

import qrcode

from .conftest import Client, person_body


def _qr_version(text: str) -> int:
    """Measured with a second QR library (python-qrcode), not the one that renders the pass."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return int(code.version)


async def test_the_largest_allowed_pass_is_at_most_version_10_m(client: Client, registrar: dict[str, str]
                                                                ) -> None:
    name = "欧阳" + "龘" * 62  # 64 characters, 3 bytes each in UTF-8
    body = person_body(71, name=name, community="C-0001", employer="E-0002", school="S-0003")
    person = await (await client.post("/api/v1/people", headers=registrar, json=body)).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)).json()
    assert _qr_version(issued["qr_text"]) <= 10
    stored = await (await client.get(f"/api/v1/passes/{issued['serial']}", headers=registrar)).json()
    on_pass = stored["claims"]["name"]
    assert on_pass.endswith("…") and name.startswith(on_pass[:-1]) and len(on_pass) > 2
    again = await (await client.get(f"/api/v1/people/{person['id']}", headers=registrar)).json()
    assert again["name"] == name  # the registry keeps the full name
    # a change that leaves the pass's content alone does not reissue it
    await client.patch(f"/api/v1/people/{person['id']}", headers=registrar, json={"address": "1 Road"})
    assert (await (await client.get(f"/api/v1/people/{person['id']}", headers=registrar)).json()
            )["pass"]["serial"] == issued["serial"]


async def test_three_long_affiliation_codes_are_refused_with_a_clear_error(
        client: Client, registrar: dict[str, str]) -> None:
    long = "X" * 64
    body = person_body(72, name="王" * 64, community="C" + long[1:], employer="E" + long[1:], school="S" + long[1:])
    person = await (await client.post("/api/v1/people", headers=registrar, json=body)).json()
    resp = await client.post(f"/api/v1/people/{person['id']}/passes", headers=registrar)
    assert resp.status == 422
    error = (await resp.json())["error"]
    assert error["code"] == "pass_too_large" and "version-10" in error["message"]
    assert (await (await client.get(f"/api/v1/people/{person['id']}", headers=registrar)).json())["pass"] is None
