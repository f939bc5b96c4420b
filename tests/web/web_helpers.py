"""Helpers for the web tests: CSRF scraping, logins through the real form, ID numbers."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway import accounts
from gateway.appkeys import services_key
from gateway.services import Services

PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# a valid GB 11643 number (check digit X) and the same number with a wrong check digit
GOOD_ID = "11010519491231002X"
BAD_ID = "110105194912310021"


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def svc_of(client: TestClient) -> Services:
    app = client.server.app
    assert isinstance(app, web.Application)
    return app[services_key]


async def login(client: TestClient, username: str, role: str) -> str:
    """Create an account with `role`, log in through the form; return the session's CSRF token."""
    await accounts.create_account(svc_of(client).db, username, PASSWORD, role)
    page = await client.get("/console/login")
    token = csrf_of(await page.text())
    resp = await client.post("/console/login", data={"username": username, "password": PASSWORD,
                                                     "csrf_token": token}, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    people = await client.get("/console/people")
    assert people.status == 200
    return csrf_of(await people.text())
