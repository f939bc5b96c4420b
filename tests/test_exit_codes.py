"""Both commands' parsers, walked (issue #16 parts 2 and 5): every subcommand refuses bad arguments
with exit 2 and one line, every option has help text, and docs/cli.md shows the one exit-code table.

The subcommands come from the parsers themselves, so a new one is covered without editing this file.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import qrgate.cli
import scanner.cli
from keys.exitcodes import MEANING, Exit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MAINS: dict[str, Callable[[list[str] | None], int]] = {"qrgate": qrgate.cli.main, "qrgate-scanner": scanner.cli.main}
PARSERS = {"qrgate": qrgate.cli.build_parser, "qrgate-scanner": scanner.cli.build_parser}


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                                        argparse.ArgumentParser]]:
    """(words after the program name, parser) of every command that runs something."""
    children = subparsers(parser)
    if not children:
        yield path, parser
    for name, child in children.items():
        yield from leaves(child, (*path, name))


def every_parser(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for child in subparsers(parser).values():
        yield from every_parser(child)


COMMANDS = [(program, words) for program, build in PARSERS.items() for words, _ in leaves(build())]
REAL_TYPES = (None, str, Path)  # any text is a valid value for these


def parser_of(program: str, words: tuple[str, ...]) -> argparse.ArgumentParser:
    return dict(leaves(PARSERS[program]()))[words]


def test_the_walk_finds_the_commands() -> None:
    found = {" ".join((p, *w)) for p, w in COMMANDS}
    assert {"qrgate serve", "qrgate demo", "qrgate verify", "qrgate keys keyset sign", "qrgate token create",
            "qrgate-scanner enroll", "qrgate-scanner run"} <= found
    assert len(found) > 30


def refused(program: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """`program argv` exits 2 with one line on stderr naming the command, no traceback; that line."""
    with pytest.raises(SystemExit) as exc:
        MAINS[program](argv)
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert exc.value.code == Exit.USAGE and len(lines) == 1 and out.out == "", (argv, exc.value.code, out)
    assert "Traceback" not in out.err and lines[0].endswith("--help shows the options)"), lines
    return lines[0]


@pytest.mark.parametrize(("program", "words"), COMMANDS, ids=[" ".join(w) or p for p, w in COMMANDS])
def test_every_command_refuses_bad_arguments_in_one_line(program: str, words: tuple[str, ...],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    parser = parser_of(program, words)
    required = any(a.required for a in parser._actions) or any(g.required for g in parser._mutually_exclusive_groups)
    line = refused(program, [*words, "--no-such-option"], capsys)
    assert line.startswith(f"{parser.prog}: "), line
    assert ("required" if required else "--no-such-option") in line, line
    if required:
        assert "required" in refused(program, list(words), capsys)
    for action in parser._actions:
        if not action.option_strings or action.nargs == 0:
            continue
        if action.choices is not None or action.type not in REAL_TYPES:
            line = refused(program, [*words, action.option_strings[0], "not-a-value"], capsys)
            assert f"argument {'/'.join(action.option_strings)}" in line, line


@pytest.mark.parametrize("program", list(PARSERS))
def test_no_arguments_print_the_full_help_and_exit_2(program: str) -> None:
    proc = subprocess.run([str(BIN / program)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == Exit.USAGE and proc.stdout == ""
    for name, child in subparsers(PARSERS[program]()).items():
        assert name in proc.stderr  # every command, with what it does
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("program", list(PARSERS))
def test_an_unknown_command_is_one_line_naming_the_commands(program: str, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(program, ["frobnicate"], capsys)
    assert "invalid choice: 'frobnicate'" in line and all(name in line for name in subparsers(PARSERS[program]()))


@pytest.mark.parametrize("program", list(PARSERS))
def test_every_option_and_argument_has_help_text(program: str) -> None:
    missing = []
    for parser in every_parser(PARSERS[program]()):
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{parser.prog} {c.dest}" for c in action._choices_actions if not (c.help or "").strip()]
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                missing.append(f"{parser.prog} {'/'.join(action.option_strings) or action.dest}")
    assert missing == []


def test_docs_cli_md_shows_the_one_table() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    for code in Exit:
        assert f"| {code.value} | `{code.name}` | {MEANING[code]} |" in text, code
    assert "docs/cli.md" in (ROOT / "README.md").read_text()
