"""`qrgate keys init|rotate|withdraw` and `qrgate reissue`: the audited key operations from the shell.

The other `qrgate keys` commands (list, jwks, …) need no database and stay in keys/cli.py.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TextIO

import keys.cli
from keys import KeysError
from keys.exitcodes import Exit, for_error

from . import keyops, reissue
from .auth import CLI
from .commands import config_from
from .config import GatewayConfig
from .errors import GatewayError
from .services import open_services
from .store.reissue import JobRow

def _audited_command(args: argparse.Namespace) -> bool:
    """The `qrgate keys` commands that change keys: they go through gateway/keyops.py (audited)."""
    if args.keys_cmd in ("init", "rotate", "withdraw"):
        return True
    if args.keys_cmd == "root":
        return args.root_cmd == "rotate"
    return args.keys_cmd == "keyset" and args.keyset_cmd in ("publish", "import")


class ProgressBar:
    """One line redrawn in place on a terminal; a line per tenth otherwise (logs, pipes)."""

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream, self.width = stream or sys.stderr, width
        self.tty = self.stream.isatty()
        self._last_tenth = -1

    def __call__(self, job: JobRow) -> None:
        share = reissue.fraction(job)
        tenth = int(share * 10)
        if not self.tty and tenth == self._last_tenth and job.state != "done":
            return
        self._last_tenth = tenth
        filled = int(share * self.width)
        line = (f"reissue {'#' * filled}{'.' * (self.width - filled)} {job.done:,}/{job.total:,} passes"
                f" ({share:.0%})")
        self.stream.write(("\r" + line + ("\n" if job.state == "done" else "")) if self.tty else line + "\n")
        self.stream.flush()


def register(sub: argparse._SubParsersAction) -> None:
    """Route the audited `keys` commands here (keys/cli.py defines their arguments)."""
    keys_parser = sub.choices["keys"]
    keys_parser.set_defaults(func=run_keys)
    keyset = _subcommand(keys_parser, "keyset")
    for p in [*(_subcommand(keys_parser, n) for n in ("init", "rotate", "withdraw", "root")),
              *(_subcommand(keyset, n) for n in ("publish", "import"))]:
        if not any(a.dest == "reason" for a in p._actions):
            p.add_argument("--reason", default=None, help="why (audit log)")

    job = sub.add_parser("reissue", help="bulk reissue jobs after a key withdrawal: show them, or resume one")
    job.add_argument("--resume", action="store_true", help="finish every job a stop left running")
    job.add_argument("--data", type=Path, default=Path("data"), help="data folder (default: ./data)")
    job.set_defaults(func=run_reissue)


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise LookupError(name)


def _config(args: argparse.Namespace) -> GatewayConfig | None:
    """The gateway whose audit log records the operation; None for a stand-alone key folder."""
    config = config_from(args.data)
    if args.dir is not None and args.dir.resolve() != config.keys_dir.resolve():
        return None
    return config


def run_keys(args: argparse.Namespace) -> int:
    config = _config(args) if _audited_command(args) else None
    if config is None:
        return keys.cli.run_keys(args)
    if args.keys_cmd != "init" and not config.database.exists():
        print(f"qrgate keys: no gateway database in {config.data_dir} (wrong --data?)", file=sys.stderr)
        return Exit.CONFIG
    if args.keys_cmd == "init" and config.keys_dir.joinpath("keys.json").exists():
        print(f"qrgate keys: {config.keys_dir} already holds keys", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_audited(config, args))
    except GatewayError as exc:
        print(f"qrgate keys: {exc.message}", file=sys.stderr)
        return Exit.CONFIG if exc.code == "key_passphrase" else Exit.REFUSED
    except (KeysError, keys.cli.CliError) as exc:  # e.g. no passphrase for the keys: one line
        print(f"qrgate keys: {exc}", file=sys.stderr)
        return for_error(exc)


async def _audited(config: GatewayConfig, args: argparse.Namespace) -> int:
    if args.keys_cmd == "keyset" and args.keyset_cmd == "import":
        signed = keys.cli._read_file(args.file)  # same size limit and messages as keys/cli.py
    # open_services makes (and audits) the first keys and root of a new folder
    async with open_services(config, actor=CLI.actor, reason=args.reason) as svc:
        if args.keys_cmd == "init":
            print(f"created signing key {svc.keystore.signing_key().kid.hex()} and the root of trust "
                  f"{svc.authority.current_root().fingerprint} in {config.keys_dir}")
        elif args.keys_cmd == "rotate":
            _, events = await keyops.rotate(svc, CLI, args.reason or "rotated with qrgate keys rotate")
            keys.cli._print_events(events)  # the same words as a stand-alone key folder
        elif args.keys_cmd == "root":
            keys.cli._print_events(await keyops.rotate_root(svc, CLI, args.reason))
        elif args.keys_cmd == "keyset":
            if args.keyset_cmd == "publish":
                keys.cli._print_events(await keyops.publish_keyset(svc, CLI, args.reason))
            else:
                keys.cli._print_events(await keyops.import_keyset(svc, signed, CLI, args.reason))
        else:
            if not args.reason:
                print("qrgate keys: withdraw needs --reason TEXT (it goes to the audit log)", file=sys.stderr)
                return 1
            done = await keyops.withdraw(svc, args.kid, args.reason, CLI)
            keys.cli._print_events(list(done.events))
            print(f"withdrew {done.kid}: at their next sync every gate denies its passes as key_withdrawn")
            job = await reissue.run(svc, done.job.id, progress=ProgressBar())
            print(f"reissued {job.done} live passes it signed (job {job.id}); see the console's reprint list")
    return 0


def run_reissue(args: argparse.Namespace) -> int:
    config = config_from(args.data)
    if not config.database.exists():
        print(f"qrgate reissue: no gateway database in {config.data_dir} (wrong --data?)", file=sys.stderr)
        return Exit.CONFIG
    return asyncio.run(_reissue(config, args.resume))


async def _reissue(config: GatewayConfig, resume: bool) -> int:
    async with open_services(config) as svc:
        if resume:
            for job in await reissue.list_jobs(svc.db, state="running"):
                await reissue.run(svc, job.id, progress=ProgressBar())
        for job in await reissue.list_jobs(svc.db):
            print(f"job {job.id}  key {job.kid}  {job.state:7}  {job.done}/{job.total}  "
                  f"started {job.created_at} by {job.actor}  reason: {job.reason}")
    return 0
