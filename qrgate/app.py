"""The qrgate application: the gateway's API with the web pages (console, resident pages) mounted.

gateway/ and web/ are layers: web uses the gateway's domain, the gateway knows nothing of web.
This module sits above both (tests/test_layers.py checks the import direction).
"""

from __future__ import annotations

from aiohttp import web

from gateway.app import create_gateway_app
from gateway.config import GatewayConfig
from web.routes import setup_web


def create_app(config: GatewayConfig) -> web.Application:
    app = create_gateway_app(config)
    setup_web(app)
    return app
