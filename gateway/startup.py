"""Starting `qrgate serve` and `qrgate demo`: check, bind, open, then say where it listens.

Everything that can stop a start is checked in the order an operator can fix it, and each is one
line with what to do and an exit code from keys/exitcodes.py (a `Failure`):

1. the data folder can be created, read and written by this user (CONFIG);
2. the keys open: the passphrases are there (CONFIG);
3. the port is free (UNAVAILABLE) — bound before anything is written, so a second demo seeds nothing;
4. the database opens: PostgreSQL answers (UNAVAILABLE).

The banner with the URLs (and the demo's credentials) is printed only after the server listens.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from keys.exitcodes import Exit, Failure

from .app import AppFactory
from .config import GatewayConfig

BACKLOG = 128  # aiohttp's own default


def check_data_folder(data: Path) -> None:
    """The data folder (or, if it is missing, the folder it would be made in) is usable by this user."""
    if data.exists():
        if not data.is_dir():
            raise Failure(Exit.CONFIG, f"--data {data} is a file, not a folder: give a folder")
        if not os.access(data, os.R_OK | os.W_OK | os.X_OK):
            owner = data.stat().st_uid
            raise Failure(Exit.CONFIG, f"cannot read and write the data folder {data} (owner uid {owner}, this "
                                       f"user {os.geteuid()}): run as its owner, or give --data a folder of yours")
        return
    parent = data.absolute().parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise Failure(Exit.CONFIG, f"cannot create the data folder {data}: {parent} is not writable by this user; "
                                   "give --data a folder you may create")


def keys_problem(config: GatewayConfig) -> str | None:
    """Open existing keys (nothing is written): why they do not open, or None.

    Missing keys are not a problem: open_services makes (and audits) them.
    """
    from datetime import timedelta

    from keys import KeyAuthority, KeysError

    authority = KeyAuthority(config.keys_dir, max_pass_validity=timedelta(days=config.pass_validity_days))
    try:
        if authority.issuers.exists():
            authority.issuers.signing_key()
        if authority.has_root() and authority.root_online():
            authority.root_key()
        return None
    except KeysError as exc:
        return str(exc)


def check_keys(config: GatewayConfig) -> None:
    """The existing keys open: a missing passphrase stops here, by name, before anything is written."""
    if (problem := keys_problem(config)) is not None:
        raise Failure(Exit.CONFIG, problem)


def listen(config: GatewayConfig) -> socket.socket:
    """Bind and listen on HOST:PORT now, so a taken port stops the start before anything is done."""
    not_here = Failure(Exit.USAGE, f"--host {config.host} is not an address of this machine "
                                   "(e.g. 127.0.0.1, or 0.0.0.0 for every address)")
    try:
        family, _, _, _, address = socket.getaddrinfo(config.host or None, config.port, type=socket.SOCK_STREAM,
                                                      flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, IndexError):
        raise not_here from None
    try:
        return socket.create_server(address[:2], family=family, backlog=BACKLOG)
    except OSError as exc:
        where = f"{config.host}:{config.port}"
        if exc.errno == errno.EADDRINUSE:
            raise Failure(Exit.UNAVAILABLE, f"port {config.port} is already in use on {config.host} (another "
                                            "qrgate, or another server): stop it, or give --port with a free "
                                            "port") from None
        if exc.errno == errno.EACCES:
            raise Failure(Exit.UNAVAILABLE, f"may not listen on {where} (ports below 1024 need root): give "
                                            "--port 1024 or above") from None
        if exc.errno == errno.EADDRNOTAVAIL:
            raise not_here from None
        raise Failure(Exit.UNAVAILABLE, f"cannot listen on {where}: {exc.strerror}") from None


def prepare(config: GatewayConfig) -> socket.socket:
    """Steps 1–3: everything that can be checked without opening the database; the listening socket."""
    check_data_folder(config.data_dir)
    check_keys(config)
    return listen(config)


def run(config: GatewayConfig, app_factory: AppFactory, sock: socket.socket,
        access_log_class: type[AbstractAccessLogger], announce: Callable[[], None]) -> int:
    """Step 4 and the server: open the app on `sock`, call `announce` once it listens, run until a signal.

    A database that does not open raises gateway.db.Unavailable (qrgate.cli makes it one line).
    """
    try:
        asyncio.run(_serve(app_factory(config), sock, access_log_class, announce))
    finally:
        sock.close()
    return Exit.OK


async def _serve(app: web.Application, sock: socket.socket, access_log_class: type[AbstractAccessLogger],
                 announce: Callable[[], None]) -> None:
    runner = web.AppRunner(app, access_log_class=access_log_class)
    try:
        await runner.setup()  # the app's cleanup_ctx: database, keys, background tasks
        await web.SockSite(runner, sock).start()
        announce()
        stopped = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stopped.set)
        await stopped.wait()
        print("qrgate: stopping", file=sys.stderr)
    finally:
        await runner.cleanup()
