"""What `qrgate serve|demo|token|account` do; gateway/cli.py only parses arguments."""

from __future__ import annotations

import asyncio
import functools
import getpass
import logging
import os
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from keys.exitcodes import Exit, Failure

from . import accounts, auth, logsafe, people_import, startup, tokens
from .app import AppFactory
from .config import DATABASE_ENV, DEFAULT_TIMEZONE, TIMEZONE_ENV, GatewayConfig, check_timezone
from .errors import GatewayError
from .services import open_services


_RESIDENT_LINK = re.compile(r"^/p/[^/]+")


def loggable_path(path: str) -> str:
    """The path with the resident link's token hidden: the token alone opens a person's pass."""
    return _RESIDENT_LINK.sub("/p/***", path)


@functools.lru_cache(maxsize=4096)
def _scrubbed(caller: str) -> str:
    return logsafe.scrub(caller)


class PathOnlyAccessLogger(AbstractAccessLogger):
    """Logs method, path and status, never the query string (look-ups carry document numbers).

    One line per request, so it is made cheaply: what the client chose (address, method, path)
    is scrubbed once per distinct value (a gate syncs on the same path from the same address
    every time), the status and time are ours; and the record goes to the handlers marked as
    scrubbed, without the caller look-up logging does for every record (nobody logs its line)."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        logger = self.logger
        if not logger.isEnabledFor(logging.INFO):
            return
        caller = _scrubbed(f"{request.remote} {request.method} {loggable_path(request.path)}")
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 0, f"{caller} {response.status} {time:.3f}s",
                                   (), None)
        setattr(record, logsafe.SCRUBBED, True)
        logger.handle(record)


def config_from(data: Path, host: str | None = None, port: int | None = None,
                public_url: str | None = None, trusted_proxies: list[str] | None = None,
                timezone: str | None = None) -> GatewayConfig:
    """The config a command runs with: the flags given, else QRGATE_DATABASE / QRGATE_TIMEZONE, else defaults.

    A time zone that is not one stops the command here (exit 78, one line naming where it came from)."""
    zone, source = ((timezone, "--timezone") if timezone is not None
                    else (os.environ.get(TIMEZONE_ENV) or DEFAULT_TIMEZONE, f"{TIMEZONE_ENV}="))
    try:
        check_timezone(zone)
    except ValueError as exc:
        raise Failure(Exit.CONFIG, f"{source}{'' if source.endswith('=') else ' '}{exc}") from None
    config = GatewayConfig.for_data_dir(data, database_url=os.environ.get(DATABASE_ENV) or None, timezone=zone)
    if host is not None:
        config = replace(config, host=host)
    if port is not None:
        config = replace(config, port=port)
    if public_url is not None:
        config = replace(config, public_url=public_url)
    if trusted_proxies:
        config = replace(config, trusted_proxies=tuple(trusted_proxies))
    return config


def init(config: GatewayConfig) -> int:
    """`qrgate init`: a new data folder with everything the gateway needs; refuses one that holds a database."""
    if config.database.exists():
        print(f"qrgate init: {config.data_dir} already holds a qrgate database", file=sys.stderr)
        return 1
    startup.check_data_folder(config.data_dir)
    if (problem := startup.keys_problem(config)) is not None:
        raise Failure(Exit.CONFIG, problem)

    async def create() -> str:
        async with open_services(config) as svc:
            return svc.authority.current_root().fingerprint

    print(f"created {config.data_dir}: database, data key, signing key; root of trust {asyncio.run(create())}")
    return 0


def serve(config: GatewayConfig, app_factory: AppFactory) -> int:
    """Run the app `app_factory` builds (qrgate.app.create_app: the API and the web pages)."""
    return serve_on(config, app_factory, startup.prepare(config))


def serve_on(config: GatewayConfig, app_factory: AppFactory, sock: socket.socket,
             banner: Callable[[], str] = str) -> int:
    """Serve on a socket startup.prepare bound; the banner (and `banner()`) once the server listens."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logsafe.install()

    def announce() -> None:
        print(f"qrgate gateway on {config.base_url}  (data: {config.data_dir}; Ctrl-C stops it)")
        if config.public_url is None and config.host in ("0.0.0.0", "::", ""):
            print("  warning: no --public-url: resident links and enrolment QRs will name "
                  f"{config.base_url}, which nobody can reach; give the address people use", file=sys.stderr)
        print(f"  API:       {config.base_url}/api/v1/openapi.json")
        print(f"  JWKS:      {config.base_url}/.well-known/jwks.json")
        if text := banner():
            print(text)
        sys.stdout.flush()

    return startup.run(config, app_factory, sock, PathOnlyAccessLogger, announce)


def _cli_scope(role: str, given: list[str] | None) -> auth.Scope:
    """On the command line a registrar or viewer must be given a scope (`city` for everything)."""
    if not given:
        if role == auth.ADMIN:
            return auth.CITY_SCOPE
        raise GatewayError(f"a {role} needs --scope (community:CODE, employer:CODE, school:CODE, site:CODE, "
                           "class:SCHOOL/CLASS for a teacher, or city for the whole city)", field="scope")
    return auth.scope_for(role, given)


async def _token(config: GatewayConfig, role: str, label: str, expires_in_days: int | None,
                 scope: auth.Scope) -> str:
    async with open_services(config, keys=False) as svc:
        return await auth.create_token(svc.db, role=role, label=label, expires_in_days=expires_in_days,
                                       scope=scope)


def token_create(config: GatewayConfig, role: str, label: str, expires_in_days: int | None = None,
                 scope: list[str] | None = None) -> int:
    try:
        print(asyncio.run(_token(config, role, label, expires_in_days, _cli_scope(role, scope))))
    except GatewayError as exc:
        print(f"qrgate token: {exc.message}", file=sys.stderr)
        return 1
    return 0


async def _token_list(config: GatewayConfig) -> list[tokens.TokenInfo]:
    async with open_services(config, keys=False) as svc:
        found: list[tokens.TokenInfo] = []
        while page := await tokens.list_tokens(svc.db, after_id=found[-1].id if found else 0):
            found.extend(page)
        return found


def token_list(config: GatewayConfig) -> int:
    """One line per token: id, role, state, created, expires, last used, label; never the secret."""
    rows = asyncio.run(_token_list(config))
    print(f"{'ID':>5}  {'ROLE':<9}  {'STATE':<7}  {'CREATED':<25}  {'EXPIRES':<25}  {'LAST USED':<25}  "
          "LABEL  SCOPE")
    for t in rows:
        print(f"{t.id:>5}  {t.role:<9}  {t.state:<7}  {t.created_at:<25}  {t.expires_at or '-':<25}  "
              f"{t.last_used_at or '-':<25}  {t.label}  {t.scope}")
    return 0


async def _token_revoke(config: GatewayConfig, token_id: int, reason: str) -> tokens.TokenInfo:
    async with open_services(config, keys=False) as svc:
        return await tokens.revoke(svc.db, token_id, reason)


def token_revoke(config: GatewayConfig, token_id: int, reason: str) -> int:
    try:
        info = asyncio.run(_token_revoke(config, token_id, reason))
    except GatewayError as exc:
        print(f"qrgate token: {exc.message}", file=sys.stderr)
        return 1
    print(f"token {info.id} ({info.role}, {info.label}): revoked at {info.revoked_at}")
    return 0


def _password(given: str | None) -> str:
    if given == "-":
        return sys.stdin.readline().rstrip("\n")
    if given:
        return given
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise GatewayError("the passwords differ", field="password")
    return first


async def _account(config: GatewayConfig, action: str, username: str, password: str, role: str,
                   scope: list[str] | None) -> None:
    async with open_services(config, keys=False) as svc:
        if action == "create":
            await accounts.create_account(svc.db, username, password, role, scope=_cli_scope(role, scope))
        else:
            await accounts.set_password(svc.db, username, password)


def account(config: GatewayConfig, action: str, username: str, password: str | None, role: str,
            scope: list[str] | None = None) -> int:
    try:
        if action == "create":
            _cli_scope(role, scope)  # before asking for a password
        asyncio.run(_account(config, action, username, _password(password), role, scope))
    except GatewayError as exc:
        print(f"qrgate account: {exc.message}", file=sys.stderr)
        return 1
    print(f"account {username}: {'created' if action == 'create' else 'password changed'}")
    return 0


async def _account_disable(config: GatewayConfig, username: str, reason: str, disable: bool) -> None:
    async with open_services(config, keys=False) as svc:
        change = accounts.disable_account if disable else accounts.enable_account
        await change(svc.db, username, reason)


def account_disable(config: GatewayConfig, username: str, reason: str, disable: bool = True) -> int:
    try:
        asyncio.run(_account_disable(config, username, reason, disable))
    except GatewayError as exc:
        print(f"qrgate account: {exc.message}", file=sys.stderr)
        return 1
    print(f"account {username.strip().lower()}: {'disabled' if disable else 'enabled'}")
    return 0


async def _account_list(config: GatewayConfig) -> list[tuple[str, str, str, str, str]]:
    async with open_services(config, keys=False) as svc:
        return [(a.username, a.role, "disabled" if a.disabled_at else "active", a.created_at, a.scope)
                for a in await accounts.list_accounts(svc.db)]


def account_list(config: GatewayConfig) -> int:
    """One line per console account: username, role, state, created, scope; never the password hash."""
    print(f"{'USERNAME':<24}  {'ROLE':<9}  {'STATE':<8}  {'CREATED':<25}  SCOPE")
    for username, role, state, created, scope in asyncio.run(_account_list(config)):
        print(f"{username:<24}  {role:<9}  {state:<8}  {created:<25}  {scope}")
    return 0


async def _people_import(config: GatewayConfig, path: Path, valid_only: bool, dry_run: bool
                         ) -> tuple[int, people_import.Checked]:
    async with open_services(config) as svc:
        rows = people_import.read_table(path.read_bytes(), path.name)
        if dry_run:
            return 0, await people_import.check(svc, rows, auth.CLI)
        try:
            done = await people_import.run(svc, rows, auth.CLI, valid_only=valid_only, file_name=path.name)
        except GatewayError as exc:
            if exc.code != "import_has_errors":
                raise
            return -1, await people_import.check(svc, rows, auth.CLI)
        return done.imported, done.checked


def people_import_cmd_lines(checked: people_import.Checked) -> list[str]:
    lines = []
    for row in checked.rows:
        for field, message in row.errors.items():
            lines.append(f"line {row.line}: {field}: {message}")
    return lines


def import_people(config: GatewayConfig, path: Path, valid_only: bool = False, dry_run: bool = False) -> int:
    """Print every bad row's errors; 0 when imported (or, dry run, when every row is good)."""
    try:
        imported, checked = asyncio.run(_people_import(config, path, valid_only, dry_run))
    except OSError as exc:
        print(f"qrgate people import: cannot read {path}: {exc.strerror}", file=sys.stderr)
        return Exit.NOINPUT
    except GatewayError as exc:
        print(f"qrgate people import: {exc.message}", file=sys.stderr)
        return 1
    for line in people_import_cmd_lines(checked):
        print(line, file=sys.stderr)
    total = len(checked.rows)
    if imported < 0:
        print(f"{checked.invalid} of {total} rows have errors: nothing was imported "
              f"(fix them, or --valid-only to import the {checked.valid} valid rows)", file=sys.stderr)
        return 1
    if dry_run:
        print(f"{checked.valid} of {total} rows are valid; nothing imported (dry run)")
        return 0 if not checked.invalid else 1
    print(f"imported {imported} of {total} rows" + (f", skipped {checked.invalid}" if checked.invalid else ""))
    return 0
