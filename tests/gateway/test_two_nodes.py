"""Two `qrgate serve` processes on one PostgreSQL database serve one city (issue #12, part 4).

Whichever node a request reaches: a person registered on one is read on the other, a gate
enrolled on one syncs on the other (the same bundle, the same ETag) and, once disabled on one, is refused by the other, the same batch uploaded to both at once is stored once, a
console session opened on one works on the other, and failed logins and a desk's look-ups count across both.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from gateway import jobs
from gateway.db import Database
from tests.gateway.conftest import Chain, person_body, resident_id
from tests.pgserver import PgServer, empty_tables
from tests.scanner.gatewayproc import QRGATE, ROOT, Gateway

pytestmark = pytest.mark.slow
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def nodes(tmp_path: Path, pg_server: PgServer, pg_database: str) -> Iterator[tuple[Gateway, Gateway]]:
    asyncio.run(empty_tables(pg_database))
    data = tmp_path / "data"  # keys and data key: one copy the nodes share (docs/deployment.md)
    first = Gateway(data, pg_database).start()  # the first node creates keys and schema
    second = Gateway(data, pg_database)
    second.admin = first.admin
    second.start()
    try:
        yield first, second
    finally:
        second.stop()
        first.stop()


async def _json(session: aiohttp.ClientSession, method: str, url: str, token: str,
                body: Any = None) -> tuple[int, Any]:
    async with session.request(method, url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        return resp.status, await resp.json()


async def _login(session: aiohttp.ClientSession, base: str, username: str, password: str) -> int:
    async with session.get(f"{base}/console/login") as page:
        token = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
    async with session.post(f"{base}/console/login", allow_redirects=False,
                            data={"username": username, "password": password, "csrf_token": token}) as resp:
        return resp.status


def test_two_nodes_serve_one_city(nodes: tuple[Gateway, Gateway]) -> None:
    one, two = nodes
    admin = one.admin

    async def scenario() -> None:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            # register on node 1, read on node 2
            status, person = await _json(s, "POST", f"{one.url}/api/v1/people", admin, person_body(7))
            assert status == 201, person
            status, seen = await _json(s, "GET", f"{two.url}/api/v1/people/{person['id']}", admin)
            assert status == 200 and seen["name"] == person["name"]

            # enrol a gate on node 1, sync on node 2
            assert (await _json(s, "POST", f"{one.url}/api/v1/sites", admin, {
                "code": "S1", "name": "site S1", "kind": "community", "policy": {"communities": ["C1"]}}))[0] == 201
            status, enrolment = await _json(s, "POST", f"{one.url}/api/v1/sites/S1/enrolments", admin, {})
            assert status == 201
            async with s.post(f"{two.url}/api/v1/devices/enroll",
                              json={"token": enrolment["token"], "name": "north gate"}) as resp:
                assert resp.status == 201
                device = await resp.json()
            status, bundle = await _json(s, "GET", f"{two.url}/api/v1/devices/bundle", device["credential"])
            assert status == 200 and bundle["site"] == "S1"
            # both nodes serve the same signed documents (signed once, kept in the database): the
            # same ETag, and each answers 304 to the other's
            gate = {"Authorization": f"Bearer {device['credential']}"}
            etags = []
            for node in (one, two):
                async with s.get(f"{node.url}/api/v1/devices/bundle", headers=gate) as resp:
                    assert resp.status == 200 and await resp.json() == bundle
                    etags.append(resp.headers["ETag"])
            assert etags[0] == etags[1]
            for node in (two, one):
                async with s.get(f"{node.url}/api/v1/devices/bundle",
                                 headers={**gate, "If-None-Match": etags[0]}) as resp:
                    assert resp.status == 304
            # the enrolment token is used once, whichever node is asked again
            async with s.post(f"{one.url}/api/v1/devices/enroll",
                              json={"token": enrolment["token"], "name": "again"}) as resp:
                assert resp.status == 403

            # the same batch to both nodes at once: stored exactly once
            chain = Chain(device["device_id"], "S1")
            batch = {"entries": [chain.entry() for _ in range(50)]}
            answers = await asyncio.gather(
                *[_json(s, "POST", f"{node.url}/api/v1/entries", device["credential"], batch)
                  for node in (one, two)])
            assert [a[0] for a in answers] == [200, 200], answers
            assert sorted(a[1]["accepted"] for a in answers) == [0, 50]
            status, listed = await _json(s, "GET", f"{one.url}/api/v1/entries?limit=1000", admin)
            assert len(listed["entries"]) == 50

            # a one-request sync on either node; a gate disabled on node 1 is refused on node 2 at
            # once (the device is read with every sync, never cached)
            for node in (one, two):
                async with s.get(f"{node.url}/api/v1/devices/bundle", headers={
                        **gate, "If-None-Match": etags[0], "Qrgate-Time-Nonce": "5a" * 16}) as resp:
                    assert resp.status == 304 and resp.headers["Qrgate-Time"]
            assert (await _json(s, "POST", f"{one.url}/api/v1/devices/{device['device_id']}/disable", admin,
                                {"reason": "stolen"}))[0] == 200
            async with s.get(f"{two.url}/api/v1/devices/bundle", headers={
                    **gate, "If-None-Match": etags[0], "Qrgate-Time-Nonce": "5b" * 16}) as resp:
                assert resp.status == 403 and (await resp.json())["error"]["code"] == "device_disabled"

        # log in on node 1, use the session on node 2
        password = "correct horse battery"
        await asyncio.to_thread(_account, one, "clerk", password)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await _login(s, one.url, "clerk", password) == 303
            async with s.get(f"{two.url}/console/people", allow_redirects=False) as resp:
                assert resp.status == 200
        # failed logins count across nodes: 5 wrong passwords shared between them lock the account
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            for i in range(5):
                assert await _login(s, (one, two)[i % 2].url, "clerk", "wrong password!") in (200, 401)
            async with s.get(f"{two.url}/console/login") as page:
                token = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
            async with s.post(f"{two.url}/console/login", allow_redirects=False,
                              data={"username": "clerk", "password": password, "csrf_token": token}) as resp:
                assert resp.status == 429, await resp.text()

        # a desk's look-ups count across nodes: its allowance (30 in a row by default) shared between them
        await asyncio.to_thread(_account, one, "desk1", password, "desk", "community:C1")
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
            assert await _login(s, two.url, "desk1", password) == 303
            async with s.get(f"{one.url}/console/desk") as page:
                token = CSRF.search(await page.text()).group(1)  # type: ignore[union-attr]
            form = {"csrf_token": token, "document_type": "resident_id", "document_number": resident_id(99)}
            for i in range(30):
                async with s.post(f"{(one, two)[i % 2].url}/console/desk", data=form) as resp:
                    assert resp.status == 200, i
            for node in (one, two):
                async with s.post(f"{node.url}/console/desk", data=form) as resp:
                    assert resp.status == 429 and 'id="desk-throttled"' in await resp.text()
                    assert resp.headers["Retry-After"]

    asyncio.run(scenario())


def _account(node: Gateway, username: str, password: str, role: str = "viewer", scope: str = "city") -> None:
    import subprocess

    subprocess.run([*QRGATE, "account", "create", username, "--role", role, "--scope", scope, "--password", "-",
                    "--data", str(node.data), *node.database], input=password + "\n", text=True,
                   cwd=ROOT, env=node.env, check=True, capture_output=True)


async def test_a_lease_runs_a_job_on_one_node(pg_database: str) -> None:
    """The retention purge runs on the node holding the lease; another takes over when it lapses."""
    await empty_tables(pg_database)
    db = await Database.open(pg_database)
    try:
        assert await jobs.take_lease(db, "retention", 60, holder="node-a")
        assert not await jobs.take_lease(db, "retention", 60, holder="node-b")
        assert await jobs.take_lease(db, "retention", 60, holder="node-a")  # the holder renews
        assert await jobs.take_lease(db, "retention", -1, holder="node-a")  # ... and lets it lapse
        assert await jobs.take_lease(db, "retention", 60, holder="node-b")
    finally:
        await db.close()
