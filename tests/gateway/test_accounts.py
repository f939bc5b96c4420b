"""Console accounts can be disabled: the login is refused and an open session ends at once; audited."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway import accounts
from qrgate import cli
from gateway.appkeys import db_key
from gateway.errors import Conflict, LoginRefused, NotFound

from .conftest import Client

PASSWORD = "correct horse battery"


async def _console_login(client: Client, username: str) -> None:
    page = await (await client.get("/console/login")).text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    resp = await client.post("/console/login", allow_redirects=False, data={
        "username": username, "password": PASSWORD, "csrf_token": match.group(1)})
    assert resp.status == 303, await resp.text()


async def test_a_disabled_account_is_locked_out_at_once(client: Client, admin: dict[str, str]) -> None:
    db = client.app[db_key]
    await accounts.create_account(db, "worker7", PASSWORD, "registrar")
    await _console_login(client, "worker7")
    assert (await client.get("/console/people", allow_redirects=False)).status == 200
    await accounts.disable_account(db, "Worker7", "left the job")
    # the open session is refused on its very next request
    assert (await client.get("/console/people", allow_redirects=False)).status in (302, 303, 401)
    with pytest.raises(LoginRefused):
        await accounts.authenticate(db, "worker7", PASSWORD, "10.0.0.7")
    with pytest.raises(Conflict):
        await accounts.disable_account(db, "worker7", "again")
    with pytest.raises(NotFound):
        await accounts.disable_account(db, "nobody", "typo")
    audit = await (await client.get("/api/v1/audit?action=account.disable", headers=admin)).json()
    assert [(a["actor"], a["target"], a["reason"]) for a in audit["audit"]] == [
        ("cli:cli", "account:worker7", "left the job")]


async def test_an_enabled_account_logs_in_again(client: Client, admin: dict[str, str]) -> None:
    db = client.app[db_key]
    await accounts.create_account(db, "worker8", PASSWORD, "viewer")
    with pytest.raises(Conflict):
        await accounts.enable_account(db, "worker8", "was never disabled")
    await accounts.disable_account(db, "worker8", "on leave")
    await accounts.enable_account(db, "Worker8", "back from leave")
    assert (await accounts.authenticate(db, "worker8", PASSWORD, "10.0.0.8")).username == "worker8"
    await _console_login(client, "worker8")
    audit = await (await client.get("/api/v1/audit?action=account.enable", headers=admin)).json()
    assert [(a["target"], a["reason"]) for a in audit["audit"]] == [("account:worker8", "back from leave")]


def test_cli_account_list_and_disable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert cli.main(["init", "--data", data]) == 0  # every other command refuses a folder with no database
    assert cli.main(["account", "create", "bo", "--role", "viewer", "--password", PASSWORD, "--data", data]) == 1
    assert "--scope" in capsys.readouterr().err  # a viewer must be told what it reaches
    for name, role, scope in (("ann", "admin", "city"), ("bo", "viewer", "community:KS-C0012")):
        assert cli.main(["account", "create", name, "--role", role, "--password", PASSWORD, "--scope", scope,
                         "--data", data]) == 0
    assert cli.main(["account", "disable", "bo", "--data", data]) == 0
    assert cli.main(["account", "disable", "bo", "--data", data]) == 1
    assert "already disabled" in capsys.readouterr().err
    assert cli.main(["account", "list", "--data", data]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[:3] for line in lines[1:]] == [["ann", "admin", "active"], ["bo", "viewer", "disabled"]]
    assert lines[2].endswith("community:KS-C0012")
    assert "scrypt" not in "\n".join(lines)
    assert cli.main(["account", "enable", "bo", "--data", data]) == 0
    assert cli.main(["account", "enable", "bo", "--data", data]) == 1
    assert "already enabled" in capsys.readouterr().err
