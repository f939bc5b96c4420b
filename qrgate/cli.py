"""The `qrgate` command: every package's subcommands in one parser; serve/demo run qrgate.app.

Exit codes are the one table of keys/exitcodes.py (docs/cli.md); every failure is one line on
stderr, `qrgate COMMAND: what is wrong and what to do`, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

import keys.cli
from gateway import cli as gateway_cli
from gateway import db_command, key_area_command, key_commands, report_command
from gateway.config import DATABASE_ENV
from gateway.db import Unavailable, is_url, redacted
from keys.exitcodes import Exit, Failure, Parser, for_error
from keys.errors import PassphraseError

from .app import create_app


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="qrgate", description="qrgate gateway and admin tools (exit codes: docs/cli.md)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    keys.cli.register(sub)
    key_commands.register(sub)  # init, rotate and withdraw go through the audited domain
    gateway_cli.register(sub, create_app)
    report_command.register(sub)
    key_area_command.register(sub)
    db_command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = f"qrgate {args.command}"
    try:
        return int(_run(args))
    except Failure as exc:
        return _fail(name, exc.message, exc.code)
    except PassphraseError as exc:
        return _fail(name, str(exc), for_error(exc))
    except Unavailable as exc:
        return _fail(name, f"{exc}: check that the database server runs and that --database (or "
                           f"{DATABASE_ENV}) names it", Exit.UNAVAILABLE)
    except PermissionError as exc:
        return _fail(name, f"cannot use {exc.filename or 'a file'}: permission denied (run as the data "
                           "folder's owner, or give --data a folder of yours)", Exit.CONFIG)
    except KeyboardInterrupt:
        return _fail(name, "interrupted", Exit.INTERRUPTED)


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "database", None):
        # every command reads the database from one place (gateway.commands.config_from): the flag wins
        os.environ[DATABASE_ENV] = args.database
    elif (env := os.environ.get(DATABASE_ENV)) and not is_url(env):
        raise Failure(Exit.CONFIG, f"{DATABASE_ENV}={redacted(env)!r} is not a URL such as "
                                   "postgresql://qrgate@db/qrgate: fix it, or unset it for SQLite")
    if (problem := gateway_cli.missing_data_folder(args)) is not None:
        raise Failure(Exit.CONFIG, problem)
    return int(args.func(args))


def _fail(name: str, message: str, code: int) -> int:
    print(f"{name}: {message}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
