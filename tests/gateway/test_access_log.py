"""The access log never holds a resident link's token, a query string, or an ID number or credential in a path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from qrgate.app import create_app
from gateway.commands import PathOnlyAccessLogger, loggable_path
from gateway.config import GatewayConfig


@pytest.mark.parametrize(("path", "logged"), [
    ("/p/AbCdEf123", "/p/***"),
    ("/p/AbCdEf123/card.pdf", "/p/***/card.pdf"),
    ("/api/v1/people", "/api/v1/people"),
    ("/people/p/x", "/people/p/x"),
])
def test_loggable_path(path: str, logged: str) -> None:
    assert loggable_path(path) == logged


async def test_served_requests_log_no_token(aiohttp_server, aiohttp_client, tmp_path: Path,
                                            caplog: pytest.LogCaptureFixture) -> None:
    server = await aiohttp_server(create_app(GatewayConfig.for_data_dir(tmp_path)),
                                  access_log_class=PathOnlyAccessLogger)
    client = await aiohttp_client(server)
    with caplog.at_level(logging.INFO, logger="aiohttp.access"):
        await client.get("/p/SECRETTOKEN42")
        await client.get("/api/v1/people?document_number=320583199001011234")
        for _ in range(2):  # the second from the scrubbed-once cache (gateway/commands.py)
            await client.get("/api/v1/people/320583199001011234/qgt_SECRET")
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    text = "\n".join(lines)
    assert "/p/***" in text and "/api/v1/people" in text
    assert "SECRETTOKEN42" not in text and "320583199001011234" not in text and "SECRET" not in text
    assert lines[-1].split(" ", 1)[1].startswith("GET /api/v1/people/[id number]/qg*_*** 404 "), lines[-1]
