"""Sessions end on enable and password change; atomic, per-account and per-client throttling;
the client address behind a trusted proxy; the origin never from Host; logs never hold secrets."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import accounts, demo, idcard, logsafe
from qrgate.app import create_app
from gateway.appkeys import config_key, db_key
from gateway.commands import PathOnlyAccessLogger
from gateway.config import GatewayConfig
from gateway.errors import LoginRefused
from gateway.forwarded import client_address

from .conftest import Client, person_body

PASSWORD = "correct horse battery"


async def _console_login(client: Client, username: str, *, headers: dict[str, str] | None = None,
                         password: str = PASSWORD) -> int:
    page = await (await client.get("/console/login")).text()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match
    resp = await client.post("/console/login", allow_redirects=False, headers=headers, data={
        "username": username, "password": password, "csrf_token": match.group(1)})
    return resp.status


async def _logged_in(client: Client) -> bool:
    return (await client.get("/console/people", allow_redirects=False)).status == 200


async def test_enable_ends_the_sessions_from_before_the_disable(client: Client) -> None:
    db = client.app[db_key]
    await accounts.create_account(db, "w1", PASSWORD, "admin")
    assert await _console_login(client, "w1") == 303 and await _logged_in(client)
    old_cookie = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))["qg_session"].value
    await accounts.disable_account(db, "w1", "on leave")
    await accounts.enable_account(db, "w1", "back")
    client.session.cookie_jar.update_cookies({"qg_session": old_cookie}, client.make_url("/console/"))
    assert not await _logged_in(client)  # the old cookie stays dead
    assert await _console_login(client, "w1") == 303 and await _logged_in(client)


async def test_a_password_change_ends_every_open_session(client: Client) -> None:
    db = client.app[db_key]
    await accounts.create_account(db, "w2", PASSWORD, "admin")
    assert await _console_login(client, "w2") == 303 and await _logged_in(client)
    await accounts.set_password(db, "w2", "a brand new password")
    assert not await _logged_in(client)
    details = await db.read.fetch_value("SELECT details FROM audit WHERE action = 'account.passwd'")
    assert '"sessions_ended": 1' in details


async def test_concurrent_wrong_guesses_never_get_more_checks_than_allowed(
        client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    db = client.app[db_key]
    config = GatewayConfig(login_max_failures=5, login_lockout_seconds=60)
    await accounts.create_account(db, "target", PASSWORD, "admin")
    checks = 0
    real = accounts.verify_password

    def counting(password: str, stored: str) -> bool:
        nonlocal checks
        checks += 1
        return real(password, stored)

    monkeypatch.setattr(accounts, "verify_password", counting)
    guesses = [f"wrong guess {i:04d}" for i in range(50)]
    guesses[25] = PASSWORD  # the right one, among the guesses
    results = await asyncio.gather(*(accounts.authenticate(db, "target", g, "192.0.2.66", config=config)
                                     for g in guesses), return_exceptions=True)
    assert checks <= config.login_max_failures
    assert all(isinstance(r, LoginRefused) for r in results)  # the right password did not get in
    assert sum(1 for r in results if isinstance(r, LoginRefused) and r.retry_after > 0) >= 45


async def test_wrong_guesses_by_one_client_lock_out_nobody_else(client: Client) -> None:
    db = client.app[db_key]
    config = GatewayConfig(login_max_failures=3, login_lockout_seconds=60)
    await accounts.create_account(db, "alice", PASSWORD, "registrar")
    await accounts.create_account(db, "bob", "bobs own password", "viewer")
    for _ in range(6):
        with pytest.raises(LoginRefused):
            await accounts.authenticate(db, "alice", "not her password", "198.51.100.9", config=config)
    assert (await accounts.authenticate(db, "alice", PASSWORD, "198.51.100.20", config=config)).username
    assert (await accounts.authenticate(db, "bob", "bobs own password", "198.51.100.9", config=config))
    # one account guessed at from everywhere is locked for everyone (3 × the threshold)
    for i in range(9):
        with pytest.raises(LoginRefused):
            await accounts.authenticate(db, "alice", "not her password", f"203.0.113.{i}", config=config)
    with pytest.raises(LoginRefused) as refused:
        await accounts.authenticate(db, "alice", PASSWORD, "198.51.100.20", config=config)
    assert refused.value.retry_after > 0


async def test_behind_a_trusted_proxy_the_forwarded_client_counts(aiohttp_client, tmp_path: Path) -> None:
    config = GatewayConfig.for_data_dir(tmp_path, trusted_proxies=("127.0.0.1",), login_max_failures=3)
    client = await aiohttp_client(create_app(config))
    await accounts.create_account(client.app[db_key], "alice", PASSWORD, "registrar")
    mallory = {"X-Forwarded-For": "203.0.113.5"}
    for _ in range(5):
        assert await _console_login(client, "alice", headers=mallory, password="guessing away") in (401, 429)
    assert await _console_login(client, "alice", headers=mallory) == 429  # mallory is locked out
    # alice, through the same proxy, is not
    assert await _console_login(client, "alice", headers={"X-Forwarded-For": "198.51.100.7"}) == 303
    keys = {r[0] for r in await client.app[db_key].read.fetch_all("SELECT key FROM login_failures")}
    assert "pair:alice|203.0.113.5" in keys and not any("127.0.0.1" in k for k in keys)


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    trusted = ("10.0.0.0/8", "127.0.0.1")
    assert client_address("127.0.0.1", "203.0.113.5", trusted) == "203.0.113.5"
    assert client_address("127.0.0.1", "203.0.113.5, 10.1.1.1", trusted) == "203.0.113.5"
    assert client_address("198.51.100.1", "203.0.113.5", trusted) == "198.51.100.1"  # not a proxy of ours
    assert client_address("127.0.0.1", "garbage, 10.2.2.2", trusted) == "10.2.2.2"
    assert client_address("127.0.0.1", "203.0.113.5", ()) == "127.0.0.1"


@given(st.ip_addresses(v=4).map(str), st.lists(st.ip_addresses(v=4).map(str), max_size=5))
def test_an_untrusted_peer_can_never_choose_its_address(peer: str, hops: list[str]) -> None:
    trusted = ("10.0.0.0/8",)
    got = client_address(peer, ", ".join(hops), trusted)
    if ipaddress.ip_address(peer) not in ipaddress.ip_network("10.0.0.0/8"):
        assert got == peer
    else:
        assert got == peer or got in hops


async def test_links_and_enrolment_qrs_never_take_the_host_header(client: Client, admin: dict[str, str]) -> None:
    evil = {**admin, "Host": "evil.example"}
    person = await (await client.post("/api/v1/people", headers=admin, json=person_body(5))).json()
    issued = await (await client.post(f"/api/v1/people/{person['id']}/passes", headers=evil)).json()
    base = client.app[config_key].base_url
    assert issued["resident_url"].startswith(base + "/p/") and "evil" not in issued["resident_url"]
    await client.post("/api/v1/sites", headers=admin, json={"code": "S1", "name": "s", "kind": "community",
                                                             "policy": {"communities": ["C1"]}})
    enrolment = await (await client.post("/api/v1/sites/S1/enrolments", headers=evil, json={})).json()
    assert "evil" not in enrolment["qr_text"] and base in enrolment["qr_text"]


async def test_a_malformed_request_logs_no_token_and_no_id_number(
        aiohttp_server, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    server = await aiohttp_server(create_app(GatewayConfig.for_data_dir(tmp_path)),
                                  access_log_class=PathOnlyAccessLogger)
    number = idcard.make("42010219900101123")
    secret = "qgt_" + "S3cr3tT0ken" * 4
    requests = [
        f"GET /api/v1/people?document_number={number} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {secret}\r\nX-Bad: a\x01b\r\n\r\n",
        f"GET /api/v1/people HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {secret}\x00\r\n\r\n",
        f"GET /api/v1/people?document_number={number}\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        f"GET /api/v1/people HTTP/1.1\r\nHost: x\r\nX-Id: {number}\x7f\r\nAuthorization: Bearer {secret}\r\n\r\n",
    ]
    with caplog.at_level(logging.DEBUG):
        for raw in requests:
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(raw.encode("latin-1"))
            await writer.drain()
            answer = await reader.read(4000)
            writer.close()
            assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    logged = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records])
    assert "unparsable HTTP request" in logged
    assert secret not in logged and "S3cr3t" not in logged and number not in logged


@given(st.integers(min_value=10**16, max_value=10**17 - 1), st.integers(min_value=10**9, max_value=10**10 - 1))
def test_scrub_masks_id_and_phone_numbers_anywhere(body: int, phone: int) -> None:
    number = idcard.make(str(body))
    mobile = f"13{phone}"[:11]
    text = f"x={number}&p={mobile} Authorization: Bearer qgt_abc /p/TOKENtoken123456"
    scrubbed = logsafe.scrub(text)
    assert number not in scrubbed and mobile not in scrubbed
    assert "qgt_abc" not in scrubbed and "TOKENtoken" not in scrubbed


def test_the_demo_prints_credentials_to_the_terminal_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    banners: list[str] = []
    terminal: list[str] = []
    def serve_on(config: GatewayConfig, factory: object, sock: socket.socket, banner: Callable[[], str]) -> int:
        sock.close()  # bound by demo.run before seeding; the banner is made once the server listens
        banners.append(banner())
        return 0

    monkeypatch.setattr(demo, "serve_on", serve_on)
    monkeypatch.setattr(demo, "_to_terminal", lambda text: terminal.append(text) or True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert demo.run(GatewayConfig.for_data_dir(tmp_path / "demo", port=port), create_app) == 0
    out = capsys.readouterr()
    login = demo.json.loads((tmp_path / "demo" / demo.LOGIN_FILE).read_text())
    for secret in (login["password"], login["api_token"], *login["resident_links"].values()):
        assert secret in terminal[0]
        assert secret not in banners[0] and secret not in out.out and secret not in out.err
