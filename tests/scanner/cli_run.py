"""Run the scanner's CLI in-process and read what it printed."""

from __future__ import annotations

import json

import pytest

from scanner.cli import main


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict], str]:
    """Exit code, the JSON lines printed (headless decisions), and all text printed."""
    code = main(argv)
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines() if line.startswith("{")]
    return code, lines, captured.err + captured.out
