"""`./dev help` and an unknown command print a usage naming every command (issue #16, part 3)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "dev"


def _commands_in_case() -> set[str]:
    """The commands the script's own `case` dispatches to (so a new command cannot go undocumented)."""
    text = DEV.read_text(encoding="utf-8")
    body = text[text.index('case "$cmd" in'):text.index("esac")]
    found = set()
    for line in body.splitlines():
        match = re.match(r"\s+([a-z|\-]+)\)", line)
        if match:
            found.update(name for name in match.group(1).split("|") if not name.startswith("-"))
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(DEV), *args], capture_output=True, text=True, timeout=30, cwd=ROOT)


def test_help_lists_every_command_with_what_it_does() -> None:
    result = _run("help")
    assert result.returncode == 0
    commands = _commands_in_case()
    assert {"demo", "test", "bench", "setup", "help"} <= commands
    for name in commands:
        line = next((ln for ln in result.stdout.splitlines() if ln.strip().startswith(name + " ")), None)
        assert line is not None, f"./dev help does not describe {name!r}"
        assert len(line.split(None, 1)[1].strip()) > 10


def test_no_argument_prints_the_usage() -> None:
    assert _run().stdout == _run("help").stdout


def test_an_unknown_command_names_itself_and_exits_2() -> None:
    result = _run("frobnicate")
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr
    assert "usage: ./dev" in result.stderr
    assert result.stdout == ""
