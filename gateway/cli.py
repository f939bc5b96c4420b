"""The `qrgate` command: parses arguments and hands over; no logic lives here."""

from __future__ import annotations

import argparse
import sys

import keys.cli


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qrgate", description="qrgate gateway and admin tools")
    sub = parser.add_subparsers(dest="command", required=True)
    keys.cli.register(sub)
    # gateway commands (serve, demo, token, report) register here
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
