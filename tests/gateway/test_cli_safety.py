"""CLI safety (issue #9 part 9): one clear line, the right exit code, and nothing written.

A command that needs the keys and has no passphrase names QRGATE_KEY_PASSPHRASE; a command that
needs no keys never asks; every command but serve, demo and init refuses a data folder that does
not exist or holds no database, naming it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from keys.exitcodes import Exit
from qrgate.cli import main

ENV = ("QRGATE_KEY_PASSPHRASE", "QRGATE_KEY_PASSPHRASE_FILE", "QRGATE_ROOT_PASSPHRASE", "QRGATE_ROOT_PASSPHRASE_FILE")


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr()
    lines = out.err.strip().splitlines()
    assert len(lines) == 1 and out.out == "", out
    return lines[0]


@pytest.fixture
def no_passphrase(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
         no_passphrase: None) -> Path:
    """A data folder made with passphrases from the environment (as in production), then forgotten."""
    folder = tmp_path / "data"
    monkeypatch.setenv("QRGATE_KEY_PASSPHRASE", "issuing secret")
    monkeypatch.setenv("QRGATE_ROOT_PASSPHRASE", "root secret")
    assert main(["init", "--data", str(folder)]) == 0
    assert "root of trust" in capsys.readouterr().out
    monkeypatch.delenv("QRGATE_KEY_PASSPHRASE")
    monkeypatch.delenv("QRGATE_ROOT_PASSPHRASE")
    assert not (folder / "keys" / "passphrase").exists()
    return folder


@pytest.mark.parametrize("argv", [
    ["token", "create", "--role", "admin"], ["token", "list"], ["token", "revoke", "1"],
    ["account", "list"], ["account", "disable", "someone"], ["report", "daily", "--date", "2020-02-15"],
    ["keys", "list"], ["keys", "rotate"], ["keys", "withdraw", "00" * 8, "--reason", "x"],
])
def test_a_missing_or_empty_data_folder_is_refused_by_name(argv: list[str], tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str],
                                                           no_passphrase: None) -> None:
    typo = tmp_path / "dta"
    assert main([*argv[:2], *argv[2:], "--data", str(typo)] if argv[0] != "keys"
                else ["keys", "--data", str(typo), *argv[1:]]) == Exit.CONFIG
    line = one_line(capsys)
    assert str(typo) in line and "qrgate init" in line
    assert not typo.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([*argv, "--data", str(empty)] if argv[0] != "keys"
                else ["keys", "--data", str(empty), *argv[1:]]) == Exit.CONFIG
    assert "holds no qrgate database" in one_line(capsys)
    assert tree(empty) == []


def test_commands_without_keys_never_ask_for_the_passphrase(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(data / "keys")
    assert main(["report", "daily", "--date", "2020-02-15", "--data", str(data)]) == 0
    assert main(["token", "create", "--role", "admin", "--data", str(data)]) == 0
    assert main(["token", "list", "--data", str(data)]) == 0
    assert main(["account", "list", "--data", str(data)]) == 0
    capsys.readouterr()
    assert tree(data / "keys") == before  # no passphrase file, no new key


@pytest.mark.parametrize("argv", [["keys", "rotate"], ["keys", "withdraw", "KID", "--reason", "leaked"],
                                  ["keys", "root", "rotate"], ["serve", "--port", "1"]])
def test_a_command_needing_keys_without_the_passphrase_is_one_line_and_writes_nothing(
        argv: list[str], data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if "KID" in argv:
        kid = next(p.stem for p in (data / "keys").glob("*.pem") if not p.stem.startswith("root-"))
        argv = [kid if a == "KID" else a for a in argv]
    before = tree(data)
    args = ["keys", "--data", str(data), *argv[1:]] if argv[0] == "keys" else [*argv, "--data", str(data)]
    assert main(args) == Exit.CONFIG
    assert "set QRGATE_KEY_PASSPHRASE" in one_line(capsys)
    assert tree(data) == before


def test_the_root_passphrase_is_asked_for_by_name_too(data: Path, capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QRGATE_KEY_PASSPHRASE", "issuing secret")
    before = tree(data)
    assert main(["keys", "--data", str(data), "rotate"]) == Exit.CONFIG
    assert "set QRGATE_ROOT_PASSPHRASE" in one_line(capsys)
    assert tree(data) == before
    monkeypatch.setenv("QRGATE_ROOT_PASSPHRASE", "root secret")
    assert main(["keys", "--data", str(data), "rotate"]) == 0


def test_init_refuses_a_folder_that_holds_a_database(data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--data", str(data)]) == 1
    assert "already holds a qrgate database" in one_line(capsys)
    assert os.path.isdir(data)
