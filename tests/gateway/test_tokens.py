"""API token lifecycle: listed without secrets, revoked or expired tokens get 401 everywhere, audited."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from gateway import auth
from qrgate import cli
from gateway import tokens as lifecycle
from gateway.appkeys import db_key
from gateway.clock import now as real_now
from gateway.config import GatewayConfig
from gateway.errors import InvalidInput, Unauthenticated
from gateway.services import open_services

from .conftest import Client, bearer
from .test_auth import PROTECTED, concrete


async def _list(client: Client, admin: dict[str, str]) -> dict[int, dict[str, object]]:
    resp = await client.get("/api/v1/tokens", headers=admin)
    assert resp.status == 200, await resp.text()
    return {t["id"]: t for t in (await resp.json())["tokens"]}


async def test_list_shows_every_token_but_never_a_secret(client: Client, tokens: dict[str, str],
                                                         admin: dict[str, str]) -> None:
    resp = await client.get("/api/v1/tokens", headers=admin)
    text = await resp.text()
    for secret in tokens.values():
        assert secret not in text and auth.hash_secret(secret) not in text
    listed = (await resp.json())["tokens"]
    # the fixture makes one token per role, in the order of access.ROLES
    assert [(t["role"], t["label"], t["state"]) for t in listed] == [(r, f"test-{r}", "active") for r in auth.ROLES]
    assert set(listed[0]) == {"id", "role", "label", "created_at", "expires_at", "last_used_at", "revoked_at",
                              "state", "scope"}
    # the admin token was just used; the viewer token never was
    assert listed[0]["last_used_at"] is not None and listed[2]["last_used_at"] is None
    page = await (await client.get("/api/v1/tokens?limit=2", headers=admin)).json()
    assert [t["id"] for t in page["tokens"]] == [1, 2] and page["next_after"] == 2
    rest = await (await client.get("/api/v1/tokens?after=2", headers=admin)).json()
    assert [t["id"] for t in rest["tokens"]] == list(range(3, len(auth.ROLES) + 1))


@pytest.mark.parametrize("role", ["registrar", "viewer", "approver", "desk"])
async def test_only_admins_list_and_revoke(client: Client, tokens: dict[str, str], role: str) -> None:
    headers = bearer(tokens[role])
    assert (await client.get("/api/v1/tokens", headers=headers)).status == 403
    resp = await client.post("/api/v1/tokens/1/revoke", headers=headers, json={"reason": "coup"})
    assert resp.status == 403
    assert (await client.get("/api/v1/people", headers=bearer(tokens["admin"]))).status == 200


async def test_a_revoked_token_gets_401_everywhere_at_once(client: Client, tokens: dict[str, str],
                                                           admin: dict[str, str]) -> None:
    leaked = bearer(tokens["registrar"])
    assert (await client.get("/api/v1/people", headers=leaked)).status == 200
    resp = await client.post("/api/v1/tokens/2/revoke", headers=admin, json={"reason": "posted in a group chat"})
    assert resp.status == 200, await resp.text()
    body = await resp.json()
    assert (body["id"], body["state"], body["role"]) == (2, "revoked", "registrar") and body["revoked_at"]
    for method, path in PROTECTED:
        resp = await client.request(method, concrete(path), headers=leaked, json={})
        assert resp.status == 401, (method, path)
        assert (await resp.json())["error"]["code"] == "unauthenticated"
    audit = (await (await client.get("/api/v1/audit?action=token.revoke", headers=admin)).json())["audit"]
    assert [(a["actor"], a["target"], a["reason"]) for a in audit] == [
        ("token:1(test-admin)", "token:2", "posted in a group chat")]
    assert (await _list(client, admin))[2]["state"] == "revoked"
    # the others still work
    assert (await client.get("/api/v1/people", headers=bearer(tokens["viewer"]))).status == 200


async def test_revoke_errors(client: Client, tokens: dict[str, str], admin: dict[str, str]) -> None:
    cases = [("/api/v1/tokens/3/revoke", {}, 422, "invalid"),
             ("/api/v1/tokens/3/revoke", {"reason": "x", "also": 1}, 422, "invalid"),
             ("/api/v1/tokens/77/revoke", {"reason": "x"}, 404, "not_found"),
             ("/api/v1/tokens/abc/revoke", {"reason": "x"}, 422, "invalid"),
             ("/api/v1/tokens/3/revoke", {"reason": "left the job"}, 200, None),
             ("/api/v1/tokens/3/revoke", {"reason": "again"}, 409, "already_revoked")]
    for path, body, status, code in cases:
        resp = await client.post(path, headers=admin, json=body)
        assert resp.status == status, (path, body, await resp.text())
        if code:
            assert (await resp.json())["error"]["code"] == code
    actions = (await (await client.get("/api/v1/audit?action=token.revoke", headers=admin)).json())["audit"]
    assert len(actions) == 1  # refused attempts change nothing and record nothing


async def test_an_expired_token_gets_401(client: Client, admin: dict[str, str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    db = client.app[db_key]
    short = await auth.create_token(db, role="viewer", label="contractor", expires_in_days=2)
    assert (await client.get("/api/v1/sites", headers=bearer(short))).status == 200
    listed = next(t for t in (await _list(client, admin)).values() if t["label"] == "contractor")
    expires = datetime.fromisoformat(str(listed["expires_at"]))
    assert listed["state"] == "active" and timedelta(days=2) - (expires - real_now()) < timedelta(minutes=1)
    # time is the one thing a test may fake: jump the gateway's clock past the expiry
    later = real_now() + timedelta(days=2, seconds=1)
    monkeypatch.setattr(auth, "now", lambda: later)
    monkeypatch.setattr(lifecycle, "now", lambda: later)
    resp = await client.get("/api/v1/sites", headers=bearer(short))
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "unauthenticated"
    assert next(t for t in (await _list(client, admin)).values() if t["label"] == "contractor")["state"] == "expired"
    for bad in (0, -1, 3651, True, "7"):
        with pytest.raises(InvalidInput) as refused:
            await auth.create_token(db, role="viewer", label="x", expires_in_days=bad)  # type: ignore[arg-type]
        assert refused.value.field == "expires_in"


def test_cli_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert cli.main(["init", "--data", data]) == 0  # every other command refuses a folder with no database
    assert cli.main(["token", "create", "--role", "viewer", "--data", data]) == 1  # a viewer needs a scope
    assert "--scope" in capsys.readouterr().err
    assert cli.main(["token", "create", "--role", "admin", "--scope", "community:C1", "--data", data]) == 1
    assert cli.main(["token", "create", "--role", "registrar", "--scope", "planet:earth", "--data", data]) == 1
    assert "kind:CODE" in capsys.readouterr().err
    assert cli.main(["token", "create", "--role", "registrar", "--label", "desk 3", "--expires-in", "30",
                     "--scope", "community:KS-C0012", "--scope", "school:S1", "--data", data]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith(auth.TOKEN_PREFIX)
    assert cli.main(["token", "create", "--role", "viewer", "--scope", "city", "--data", data]) == 0
    other = capsys.readouterr().out.strip()
    assert cli.main(["token", "list", "--data", data]) == 0
    listing = capsys.readouterr().out
    assert secret not in listing and other not in listing and auth.hash_secret(secret) not in listing
    lines = listing.strip().splitlines()
    assert len(lines) == 3 and lines[1].split()[:3] == ["1", "registrar", "active"] and "desk 3" in lines[1]
    assert lines[1].endswith("community:KS-C0012,school:S1") and lines[2].endswith("city")
    assert lines[2].split()[:3] == ["2", "viewer", "active"]
    assert cli.main(["token", "revoke", "1", "--data", data]) == 0
    assert "revoked" in capsys.readouterr().out
    assert cli.main(["token", "revoke", "1", "--data", data]) == 1
    assert "already revoked" in capsys.readouterr().err
    assert cli.main(["token", "revoke", "9", "--data", data]) == 1
    assert cli.main(["token", "create", "--role", "viewer", "--expires-in", "0", "--scope", "city",
                     "--data", data]) == 1
    assert "expires_in" in capsys.readouterr().err

    async def check() -> tuple[str, list[str]]:
        async with open_services(GatewayConfig.for_data_dir(data)) as svc:
            with pytest.raises(Unauthenticated):
                await auth.principal_for(svc.db, secret)
            role = (await auth.principal_for(svc.db, other)).role
            return role, [t.state for t in await lifecycle.list_tokens(svc.db)]

    assert asyncio.run(check()) == ("viewer", ["revoked", "active"])


async def test_last_used_is_written_at_most_once_a_minute(client: Client, tokens: dict[str, str],
                                                          admin: dict[str, str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    viewer = bearer(tokens["viewer"])
    start = real_now()
    monkeypatch.setattr(auth, "now", lambda: start)
    assert (await client.get("/api/v1/sites", headers=viewer)).status == 200
    first = (await _list(client, admin))[3]["last_used_at"]
    assert first is not None
    for seconds, changed in ((30, False), (61, True)):
        moment = start + timedelta(seconds=seconds)
        monkeypatch.setattr(auth, "now", lambda moment=moment: moment)
        assert (await client.get("/api/v1/sites", headers=viewer)).status == 200
        assert ((await _list(client, admin))[3]["last_used_at"] != first) is changed, seconds
