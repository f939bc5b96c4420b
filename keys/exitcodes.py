"""The exit codes of every qrgate command (`qrgate`, `qrgate-scanner`): one table, sysexits-like.

It lives in keys/ because keys/ is the one package both commands build on (the scanner never
imports the gateway). docs/cli.md lists the same table; tests/test_exit_codes.py runs every
subcommand with bad arguments and checks the code and that the message is one line.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from enum import IntEnum
from typing import NoReturn


class Exit(IntEnum):
    """What a qrgate command's exit status means (values from BSD sysexits.h where one fits)."""

    OK = 0            # done; `verify`: the pass is allowed
    REFUSED = 1       # the command ran and refused what it was given (a field, a duplicate, an unknown id); `verify`: deny
    USAGE = 2         # bad arguments or options (argparse's own code)
    DATAERR = 65      # a file given is not what it should be (a JWKS, a policy); `verify`: not a qrgate pass
    NOINPUT = 66      # a file, image folder or camera named on the command line cannot be read
    UNAVAILABLE = 69  # something needed cannot be reached: the port is taken, PostgreSQL or the gateway is down
    NOPERM = 77       # the gateway refused this device: enrolment token used or expired, device disabled, bad bundle
    CONFIG = 78       # the set-up is wrong: no or unreadable data folder, missing passphrase, bad QRGATE_DATABASE,
                      # a time zone that is not one, a gate not enrolled
    INTERRUPTED = 130  # stopped with Ctrl-C before it finished


class Failure(Exception):
    """A command stops with one line, `PROG COMMAND: message`, and `code` (raised anywhere, printed by main)."""

    def __init__(self, code: Exit, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


MEANING: dict[Exit, str] = {
    Exit.OK: "done (verify: allowed)",
    Exit.REFUSED: "refused what it was given: an invalid field, a duplicate, an unknown id (verify: denied)",
    Exit.USAGE: "bad arguments or options; `--help` shows them",
    Exit.DATAERR: "a file given is not what it should be (a JWKS, a policy, a key set); verify: the text is "
                  "not a qrgate pass (unreadable)",
    Exit.NOINPUT: "a file, image folder or camera named on the command line cannot be read; no enrolment QR seen",
    Exit.UNAVAILABLE: "something needed cannot be reached: the port is taken, PostgreSQL or the gateway is down",
    Exit.NOPERM: "the gateway refused this device: enrolment token used or expired, device disabled, bad bundle",
    Exit.CONFIG: "the set-up is wrong: no or unreadable data folder, missing passphrase, bad QRGATE_DATABASE, "
                 "a time zone that is not one, a gate not enrolled",
    Exit.INTERRUPTED: "stopped with Ctrl-C",
}


class Parser(argparse.ArgumentParser):
    """argparse with a one-line error: `prog: message (prog --help shows the options)`, exit 2.

    argparse's own error prints the usage first (several lines for a command with many options);
    the line that says what is wrong is what an operator needs. With no arguments at all the
    command prints its full help instead: that is what a newcomer typing its name wants.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(Exit.USAGE, f"{self.prog}: {message} ({self.prog} --help shows the options)\n")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        if args is None:
            args = sys.argv[1:]
        if not args:
            self.print_help(sys.stderr)
            self.exit(Exit.USAGE)
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:  # argparse would blame the top command; name the subcommand given
            self._chosen(parsed).error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed

    def _chosen(self, parsed: argparse.Namespace) -> argparse.ArgumentParser:
        """The deepest subcommand's parser `parsed` went through."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                child = action.choices.get(getattr(parsed, action.dest, None) or "")
                if isinstance(child, Parser):
                    return child._chosen(parsed)
        return self


def for_error(exc: BaseException) -> Exit:
    """The exit code of an error a command reports as one line: set-up problems are CONFIG."""
    from .errors import PassphraseError

    if isinstance(exc, Failure):
        return exc.code
    if isinstance(exc, PassphraseError):
        return Exit.CONFIG
    return Exit.REFUSED
