"""The `qrgate` command: every package's subcommands in one parser; serve/demo run qrgate.app."""

from __future__ import annotations

import argparse
import os
import sys

import keys.cli
from gateway import cli as gateway_cli
from gateway import db_command, key_area_command, key_commands, report_command
from gateway.config import DATABASE_ENV

from .app import create_app


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qrgate", description="qrgate gateway and admin tools")
    sub = parser.add_subparsers(dest="command", required=True)
    keys.cli.register(sub)
    key_commands.register(sub)  # init, rotate and withdraw go through the audited domain
    gateway_cli.register(sub, create_app)
    report_command.register(sub)
    key_area_command.register(sub)
    db_command.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "database", None):
        # every command reads the database from one place (gateway.commands.config_from): the flag wins
        os.environ[DATABASE_ENV] = args.database
    if (problem := gateway_cli.missing_data_folder(args)) is not None:
        print(f"qrgate {args.command}: {problem}", file=sys.stderr)
        return 1
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
