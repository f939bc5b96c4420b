"""The staffed desk (issue 14 part 2): a desk account (role desk, scoped) looks a person up by document
number in a POST form and sees their status and pass; unknown and outside the scope are the same
answer; every look-up is audited with the number masked; the number is in no URL, log or audit row."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from web_helpers import PASSWORD, csrf_of, svc_of

from gateway import accounts, auth, idcard, passes, registry
from gateway.auth import CLI
from gateway.config import GatewayConfig
from gateway.store import accounts as account_store
from gateway.store import audit as audit_store
from qrgate import cli
from qrgate.app import create_app
from web.passview import qr_svg

INSIDE, OUTSIDE = idcard.make("42010219900101123"), idcard.make("42010219900202123")
UNKNOWN = idcard.make("42010219900303123")


async def _person(client: TestClient, name: str, number: str, community: str) -> int:
    svc = svc_of(client)
    person = await registry.register(svc, {"name": name, "document_type": "resident_id", "community": community,
                                           "document_number": number}, CLI)
    await passes.issue(svc, person.id, CLI, svc.config.base_url)
    return person.id


async def _desk_login(client: TestClient) -> str:
    await accounts.create_account(svc_of(client).db, "desk1", PASSWORD, "desk", scope="community:HEYUAN")
    token = csrf_of(await (await client.get("/console/login")).text())
    resp = await client.post("/console/login", allow_redirects=False,
                             data={"username": "desk1", "password": PASSWORD, "csrf_token": token})
    assert resp.status == 303 and resp.headers["Location"] == "/console/desk"  # the desk lands on its work
    page = await client.get("/console/desk")
    assert page.status == 200
    return csrf_of(await page.text())


async def _lookups(client: TestClient) -> list[audit_store.AuditRow]:
    return await audit_store.search(svc_of(client).db.read, actor=None, action="desk.lookup", target=None,
                                    after_id=0, limit=50)


async def test_in_scope_found_outside_and_unknown_the_same_not_found(client: TestClient,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    inside = await _person(client, "王奶奶", INSIDE, "HEYUAN")
    await _person(client, "外区人", OUTSIDE, "OTHER")
    csrf = await _desk_login(client)
    page = await (await client.get("/console/desk")).text()
    assert 'method="post" action="/console/desk"' in page  # the number goes in the body, never the URL

    resp = await client.post("/console/desk", data={"csrf_token": csrf, "document_type": "resident_id",
                                                   "document_number": INSIDE.lower()})
    found = await resp.text()
    assert resp.status == 200 and str(resp.url).endswith("/console/desk") and INSIDE not in str(resp.url)
    live = await passes.store.live_for(svc_of(client).db.read, person_id=inside)
    assert live is not None
    assert 'id="desk-name"' in found and "王奶奶" in found and "绿码" in found
    assert qr_svg(live.qr_text) in found and live.serial in found
    assert INSIDE not in found  # the page shows the number masked, and does not echo what was typed

    answers = []
    for number in (OUTSIDE, UNKNOWN):
        resp = await client.post("/console/desk", data={"csrf_token": csrf, "document_type": "resident_id",
                                                       "document_number": number})
        text = await resp.text()
        assert resp.status == 200 and 'id="desk-not-found"' in text and "外区人" not in text and number not in text
        answers.append(text.split('id="desk-not-found"')[1])
    assert answers[0] == answers[1]  # outside the scope is answered exactly as unknown

    rows = await _lookups(client)
    assert [json.loads(r.details)["found"] for r in rows] == [True, False, False]
    assert rows[0].target == f"person:{inside}" and rows[0].actor == "account:desk1"
    assert json.loads(rows[1].details).get("outside_scope") is True and rows[2].target == "person:none"
    assert json.loads(rows[0].details)["document"] == INSIDE[:4] + "*" * 10 + INSIDE[-4:]
    stored = " ".join(f"{r.target} {r.details} {r.reason}" for r in rows)
    for number in (INSIDE, OUTSIDE, UNKNOWN):
        assert number not in stored and number not in caplog.text and number.lower() not in caplog.text


async def test_bad_numbers_are_refused_at_the_field_and_the_desk_reaches_nothing_else(client: TestClient) -> None:
    csrf = await _desk_login(client)
    bad = INSIDE[:-1] + ("0" if INSIDE[-1] != "0" else "1")
    for kind, number, field in (("resident_id", bad, "document_number"), ("resident_id", "", "document_number"),
                                ("visa", INSIDE, "document_type")):
        resp = await client.post("/console/desk", data={"csrf_token": csrf, "document_type": kind,
                                                       "document_number": number})
        text = await resp.text()
        assert resp.status == 422 and f'id="err-{field}"' in text, (kind, number)
        assert not number or number not in text
    assert await _lookups(client) == []  # no look-up happened: nothing to audit
    # only the desk: no people, sites, Today, dashboard or API
    for path in ("/console/people", "/console/sites", "/console/today", "/console/dashboard", "/console/entries"):
        assert (await client.get(path)).status == 403, path
    page = await (await client.get("/console/desk")).text()
    assert 'href="/console/people"' not in page and 'href="/console/sites"' not in page
    token = await auth.create_token(svc_of(client).db, role="desk", label="desk api", scope="community:HEYUAN")
    resp = await client.get("/api/v1/people", headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 403


def test_cli_makes_desk_tokens_and_accounts_with_a_scope(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = str(tmp_path / "d")
    assert cli.main(["init", "--data", data]) == 0
    assert cli.main(["token", "create", "--role", "desk", "--data", data]) == 1  # a desk needs a scope
    assert "--scope" in capsys.readouterr().err
    assert cli.main(["token", "create", "--role", "desk", "--scope", "community:HEYUAN", "--data", data]) == 0
    assert capsys.readouterr().out.strip().startswith(auth.TOKEN_PREFIX)
    assert cli.main(["account", "create", "desk2", "--role", "desk", "--scope", "community:HEYUAN",
                     "--password", PASSWORD, "--data", data]) == 0
    capsys.readouterr()
    assert cli.main(["account", "list", "--data", data]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "desk2" in x)
    assert "desk" in line.split() and line.rstrip().endswith("community:HEYUAN")


async def _desk_session(client: TestClient, username: str = "desk1") -> str:
    """Log `username` (a desk account that exists) in on this client; its CSRF token."""
    token = csrf_of(await (await client.get("/console/login")).text())
    resp = await client.post("/console/login", allow_redirects=False,
                             data={"username": username, "password": PASSWORD, "csrf_token": token})
    assert resp.status == 303
    return csrf_of(await (await client.get("/console/desk")).text())


async def _ask(client: TestClient, csrf: str, number: str, lang: str = "zh") -> tuple[int, str, str | None]:
    resp = await client.post(f"/console/desk?lang={lang}", data={
        "csrf_token": csrf, "document_type": "resident_id", "document_number": number})
    return resp.status, await resp.text(), resp.headers.get("Retry-After")


async def _throttled(client: TestClient) -> list[audit_store.AuditRow]:
    return await audit_store.search(svc_of(client).db.read, actor=None, action="desk.throttled", target=None,
                                    after_id=0, limit=50)


async def test_past_its_allowance_a_desk_gets_429_no_look_up_and_one_audit_row_per_burst(
        aiohttp_client: Callable[..., Awaitable[TestClient]], config: GatewayConfig) -> None:
    client = await aiohttp_client(create_app(replace(config, desk_lookup_limit=3, desk_lookup_window_seconds=600)))
    await _person(client, "王奶奶", INSIDE, "HEYUAN")
    csrf = await _desk_login(client)
    for number in (INSIDE, UNKNOWN, INSIDE):
        assert (await _ask(client, csrf, number))[0] == 200
    for lang in ("zh", "en", "zh"):  # a stolen session hammering on: refused, and nothing looked up
        status, page, retry = await _ask(client, csrf, INSIDE, lang)
        assert status == 429 and 'id="desk-throttled"' in page and retry is not None and 0 < int(retry) <= 201
        assert 'id="desk-result"' not in page and 'id="desk-not-found"' not in page and "王奶奶" not in page
        assert ("查询过于频繁：每个账号连续最多查询 3 次，之后每 200 秒可查询 1 次。" in page and "本次未查询" in page) \
            if lang == "zh" else ("one account may make 3 in a row, then one every 200 s" in page
                                  and "Nothing was looked up" in page)
    assert len(await _lookups(client)) == 3  # the refused ones were not looked up
    refusals = await _throttled(client)
    assert len(refusals) == 1 and refusals[0].actor == "account:desk1" and refusals[0].target == "account:desk1"
    assert json.loads(refusals[0].details) == {"limit": 3, "window_seconds": 600}
    assert INSIDE not in refusals[0].details

    # ten minutes on (the counter aged as the clock would age it): the allowance is whole again, the
    # next burst is audited once more
    db = svc_of(client).db
    account = await account_store.account_by_username(db.read, username="desk1")
    assert account is not None
    key = f"desk:account:{account.id}"
    async with db.transaction() as tx:
        row = await account_store.failures(tx, key=key)
        assert row is not None and row.failures == 3  # three refused in this burst
        await account_store.set_failures(tx, key=key, failures=row.failures, last_ts=row.last_ts - 600,
                                         locked_until=row.locked_until - 600)
    for _ in range(3):
        assert (await _ask(client, csrf, UNKNOWN))[0] == 200
    assert (await _ask(client, csrf, UNKNOWN))[0] == 429
    assert len(await _lookups(client)) == 6 and len(await _throttled(client)) == 2

    # another desk is not held up by this one
    await accounts.create_account(db, "desk2", PASSWORD, "desk", scope="community:HEYUAN")
    client.session.cookie_jar.clear()
    assert (await _ask(client, await _desk_session(client, "desk2"), INSIDE))[0] == 200


async def test_the_allowance_counts_across_two_gateway_instances_on_one_database(
        aiohttp_client: Callable[..., Awaitable[TestClient]], config: GatewayConfig) -> None:
    """Two app instances on one database (two nodes): look-ups through either count against one allowance."""
    limited = replace(config, desk_lookup_limit=4)
    one = await aiohttp_client(create_app(limited))
    two = await aiohttp_client(create_app(limited))
    await accounts.create_account(svc_of(one).db, "desk1", PASSWORD, "desk", scope="community:HEYUAN")
    sessions = [(one, await _desk_session(one)), (two, await _desk_session(two))]
    for i in range(4):
        node, csrf = sessions[i % 2]
        assert (await _ask(node, csrf, UNKNOWN))[0] == 200
    for node, csrf in sessions:
        assert (await _ask(node, csrf, UNKNOWN))[0] == 429
    assert len(await _lookups(two)) == 4 and len(await _throttled(one)) == 1
