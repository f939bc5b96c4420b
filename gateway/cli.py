"""The gateway's subcommands of `qrgate` (serve, demo, token, account): parse arguments, hand over."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from . import commands
from .access import ROLES
from .app import AppFactory
from .config import DATABASE_ENV
from .db import is_url, redacted
from .forwarded import check_trusted


def _data(p: argparse.ArgumentParser, default: str = "data") -> None:
    p.add_argument("--data", type=Path, default=Path(default), help=f"data folder (default: ./{default})")
    database_option(p)


def _database_url(text: str) -> str:
    if not is_url(text):
        raise argparse.ArgumentTypeError(f"{redacted(text)!r} is not a URL such as postgresql://qrgate@db/qrgate")
    return text


def database_option(p: argparse.ArgumentParser) -> None:
    """--database URL: PostgreSQL instead of the data folder's SQLite file (also QRGATE_DATABASE)."""
    p.add_argument("--database", type=_database_url, default=None, metavar="URL",
                   help="PostgreSQL URL, postgresql://USER@HOST/DB (default: $QRGATE_DATABASE, "
                        "else SQLite in the data folder)")


def _public_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(f"{text!r} is not a base URL such as https://gate.example.org")
    return text.rstrip("/")


def _scope(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scope", action="append", default=None, metavar="KIND:CODE",
                   help="what a registrar or viewer reaches (required for them; repeatable or comma-separated): "
                        "community:CODE, employer:CODE, school:CODE, site:CODE, class:SCHOOL/CLASS "
                        "(a teacher's), or city for everything")


def _proxy(text: str) -> str:
    try:
        return check_trusted([text])[0]
    except (ValueError, IndexError) as exc:
        raise argparse.ArgumentTypeError(str(exc) or f"{text!r} is not an address") from None


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (1 to 65535)")
    return int(text)


def _listen(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default=None, help="listen address (default 127.0.0.1; 0.0.0.0 for every address)")
    p.add_argument("--port", type=_port, default=None, help="listen port (default 8080)")
    p.add_argument("--public-url", type=_public_url, default=None,
                   help="the URL gates and residents use, e.g. https://… behind a TLS proxy "
                        "(default http://HOST:PORT); https makes console cookies Secure")
    p.add_argument("--trusted-proxy", action="append", type=_proxy, default=None, metavar="ADDRESS",
                   help="a reverse proxy (address or network, repeatable) whose X-Forwarded-For names "
                        "the client; nobody else's is believed")
    timezone_option(p)


def timezone_option(p: argparse.ArgumentParser) -> None:
    """--timezone ZONE: the city's time zone (also QRGATE_TIMEZONE); checked by commands.config_from."""
    p.add_argument("--timezone", default=None, metavar="ZONE",
                   help="the city's IANA time zone: today, console times, the city's daily report, new sites "
                        "(default: $QRGATE_TIMEZONE, else Asia/Shanghai)")


def register(sub: argparse._SubParsersAction, app_factory: AppFactory) -> None:
    """The gateway's commands; `serve` and `demo` run the app `app_factory` builds."""
    serve = sub.add_parser("serve", help="run the gateway (creates data folder, database, first key)")
    _data(serve)
    _listen(serve)
    serve.set_defaults(func=lambda a: commands.serve(commands.config_from(a.data, a.host, a.port,
                                                                          a.public_url, a.trusted_proxy,
                                                                          a.timezone),
                                                     app_factory))

    init = sub.add_parser("init", help="create a data folder: database, data key, first signing key, root of trust")
    _data(init)
    init.set_defaults(func=lambda a: commands.init(commands.config_from(a.data)))

    demo = sub.add_parser("demo", help="seed demo data once, then serve it")
    _data(demo, "data-demo")
    _listen(demo)
    demo.set_defaults(func=lambda a: _demo(a, app_factory))

    token = sub.add_parser("token", help="API tokens")
    tsub = token.add_subparsers(dest="token_cmd", required=True)
    create = tsub.add_parser("create", help="print a new API token (shown once, stored hashed)")
    create.add_argument("--role", choices=ROLES, required=True,
                        help="admin: everything; registrar: people and passes in its scope; viewer: read only; "
                                "approver: resumption decisions; desk: look-ups by document at a staffed desk")
    create.add_argument("--label", default="cli", help="what the token is for (shown in the audit log)")
    create.add_argument("--expires-in", type=int, default=None, metavar="DAYS",
                        help="the token stops working after this many days (default: never)")
    _scope(create)
    _data(create)
    create.set_defaults(func=lambda a: commands.token_create(commands.config_from(a.data), a.role, a.label,
                                                             a.expires_in, a.scope))
    listing = tsub.add_parser("list", help="list API tokens (id, role, state, dates, label; never the secret)")
    _data(listing)
    listing.set_defaults(func=lambda a: commands.token_list(commands.config_from(a.data)))
    revoke = tsub.add_parser("revoke", help="revoke an API token: it gets 401 from its next call")
    revoke.add_argument("id", type=int, help="the token's id (see token list)")
    revoke.add_argument("--reason", default="revoked with qrgate token revoke", help="why (audit log)")
    _data(revoke)
    revoke.set_defaults(func=lambda a: commands.token_revoke(commands.config_from(a.data), a.id, a.reason))

    account = sub.add_parser("account", help="web console accounts")
    asub = account.add_subparsers(dest="account_cmd", required=True)
    for name, text in (("create", "create a console account"), ("passwd", "set an account's password")):
        p = asub.add_parser(name, help=text)
        p.add_argument("username", help="the console login name (case-insensitive)")
        p.add_argument("--password", help="the password, or - to read a line from stdin (default: prompt)")
        if name == "create":
            p.add_argument("--role", choices=ROLES, required=True,
                           help="admin: everything; registrar: people and passes in its scope; viewer: read only; "
                                "approver: resumption decisions; desk: look-ups by document at a staffed desk")
            _scope(p)
        _data(p)
        p.set_defaults(func=lambda a: commands.account(commands.config_from(a.data), a.account_cmd,
                                                       a.username, a.password, getattr(a, "role", ""),
                                                       getattr(a, "scope", None)))

    for name, text, disable in (("disable", "lock an account out at once (its sessions end)", True),
                                ("enable", "let a disabled account log in again", False)):
        p = asub.add_parser(name, help=text)
        p.add_argument("username", help="the console login name (see account list)")
        p.add_argument("--reason", default=f"{name}d with qrgate account {name}", help="why (audit log)")
        _data(p)
        p.set_defaults(func=lambda a, d=disable: commands.account_disable(
            commands.config_from(a.data), a.username, a.reason, d))
    people = sub.add_parser("people", help="people in the registry")
    psub = people.add_subparsers(dest="people_cmd", required=True)
    imp = psub.add_parser("import", help="register a household list (CSV incl. GBK, or XLSX); every row is "
                                         "checked first, and without --valid-only a bad row imports nothing")
    imp.add_argument("file", type=Path, help="the list: .csv (UTF-8 or GBK) or .xlsx, one person a row")
    imp.add_argument("--valid-only", action="store_true", help="import the valid rows, skip the others")
    imp.add_argument("--dry-run", action="store_true", help="check every row, import nothing")
    _data(imp)
    imp.set_defaults(func=lambda a: commands.import_people(commands.config_from(a.data), a.file, a.valid_only,
                                                           a.dry_run))
    listed = asub.add_parser("list", help="list console accounts (never a password hash)")
    _data(listed)
    listed.set_defaults(func=lambda a: commands.account_list(commands.config_from(a.data)))


def _demo(args: argparse.Namespace, app_factory: AppFactory) -> int:
    from . import demo  # demo data is only loaded when asked for

    return demo.run(commands.config_from(args.data, args.host, args.port, args.public_url, args.trusted_proxy,
                                  args.timezone),
                    app_factory)


CREATES_DATA = frozenset({"serve", "demo", "init", "verify"})  # verify reads files it is given, no data folder


def missing_data_folder(args: argparse.Namespace) -> str | None:
    """Why this command must not run on the data folder it names, or None.

    Every command except serve, demo and an explicit init works on an existing data folder with a
    database: a mistyped --data must not quietly create a new database and new keys.
    """
    if args.command in CREATES_DATA:
        return None
    if args.command == "keys" and (getattr(args, "dir", None) is not None or args.keys_cmd == "init"
                                   or (args.keys_cmd == "keyset" and args.keyset_cmd == "sign")):
        # `keys --dir` is a bare key folder, `keyset sign` runs on the root's own machine; `keys init` is an init
        return None
    data = getattr(args, "data", None)
    if data is None:
        return None
    database = commands.config_from(data).database
    if not data.is_dir():
        return f"no data folder {data}: give the right --data, or create one with 'qrgate init --data {data}'"
    if os.environ.get(DATABASE_ENV) or getattr(args, "database", None):
        return None  # the database is a PostgreSQL server; the folder holds the keys
    if not database.is_file():
        return (f"{data} holds no qrgate database ({database.name}): give the right --data, or create one "
                f"with 'qrgate init --data {data}'")
    return None


if __name__ == "__main__":
    sys.exit("the qrgate command is qrgate.cli (python -m qrgate.cli): gateway.cli only registers "
             "the gateway's commands")
