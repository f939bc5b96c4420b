"""The real gateway on a real local port, in a background thread with its own event loop."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import TypeVar

from aiohttp import web

from qrgate.app import create_app
from gateway.appkeys import services_key
from gateway.config import GatewayConfig
from gateway.services import Services

T = TypeVar("T")


class LiveGateway:
    """`qrgate serve` in-process: AppRunner + TCPSite on 127.0.0.1 and a free port."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="live-gateway", daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    def start(self) -> LiveGateway:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    async def _start(self) -> None:
        # the port is chosen before the app is made: resident links name the configured address
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        if self.config.public_url is None:
            self.config = replace(self.config, host="127.0.0.1", port=port)
        self._runner = web.AppRunner(create_app(self.config))
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()
        self.url = f"http://127.0.0.1:{port}"

    def call(self, fn: Callable[[Services], Awaitable[T]]) -> T:
        """Run a coroutine against the live app's services, on the server's loop."""
        assert self._runner is not None
        svc = self._runner.app[services_key]
        future: Future[T] = asyncio.run_coroutine_threadsafe(fn(svc), self.loop)  # type: ignore[arg-type]
        return future.result(timeout=30)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()
