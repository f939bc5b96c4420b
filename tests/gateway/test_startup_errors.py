"""`qrgate serve` and `qrgate demo` start-up errors (issue #16 part 1): real processes, real ports.

Each failure is one line on stderr with what to do, the exit code of the one table
(keys/exitcodes.py), no traceback, no banner, and nothing written; the banner prints only once
the server answers.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from keys.exitcodes import Exit

ROOT = Path(__file__).resolve().parents[2]
QRGATE = [sys.executable, "-m", "qrgate.cli"]
PASSPHRASES = ("QRGATE_KEY_PASSPHRASE", "QRGATE_KEY_PASSPHRASE_FILE", "QRGATE_ROOT_PASSPHRASE",
               "QRGATE_ROOT_PASSPHRASE_FILE", "QRGATE_DATABASE")


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in PASSPHRASES}
    return {**env, "PYTHONPATH": str(ROOT), **extra}


def qrgate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*QRGATE, *args], cwd=ROOT, env=env or environment(), capture_output=True, text=True,
                          timeout=120)


def one_line(proc: subprocess.CompletedProcess[str], code: int) -> str:
    """The process failed with `code`, one line on stderr, no traceback and no banner."""
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == code and len(lines) == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "gateway on" not in proc.stdout, proc
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port another program listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_taken_port_is_one_line_and_nothing_is_made(command: str, taken_port: int, tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = one_line(qrgate(command, "--data", str(data), "--port", str(taken_port)), Exit.UNAVAILABLE)
    assert line.startswith(f"qrgate {command}: port {taken_port} is already in use") and "--port" in line
    assert not data.exists()  # checked before the data folder, the keys or the demo city are made


def test_the_banner_prints_once_the_server_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([*QRGATE, "serve", "--data", str(tmp_path / "data"), "--port", str(port)],
                            cwd=ROOT, env=environment(QRGATE_KEY_PASSPHRASE="k"), stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"qrgate gateway on http://127.0.0.1:{port}") and "Ctrl-C" in first, first
        # the line is printed after the socket listens and the app has started: one request answers
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=30) as answer:
            assert answer.status == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == Exit.OK  # SIGTERM stops it cleanly


@contextmanager
def unusable(folder: Path) -> Iterator[None]:
    """`folder` is not writable by this user: mode 000, or for root (who ignores modes) immutable."""
    if os.geteuid() != 0:
        folder.chmod(0)
        try:
            yield
        finally:
            folder.chmod(0o700)
        return
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)]).returncode != 0:
        pytest.skip("running as root without chattr +i: no folder root cannot write")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_data_folder_this_user_cannot_use_is_one_line(tmp_path: Path) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    inside = theirs / "new"
    with unusable(theirs):
        line = one_line(qrgate("serve", "--data", str(theirs), "--port", str(free_port())), Exit.CONFIG)
        assert f"cannot read and write the data folder {theirs}" in line and "--data" in line
        line = one_line(qrgate("demo", "--data", str(inside), "--port", str(free_port())), Exit.CONFIG)
        assert f"cannot create the data folder {inside}" in line and "--data" in line
    assert list(theirs.iterdir()) == []


def test_a_file_given_as_data_folder(tmp_path: Path) -> None:
    file = tmp_path / "gateway.sqlite3"
    file.write_text("")
    line = one_line(qrgate("serve", "--data", str(file), "--port", str(free_port())), Exit.CONFIG)
    assert f"--data {file} is a file, not a folder" in line


@pytest.mark.parametrize(("args", "says"), [
    (["--public-url", "ftp://gate"], "argument --public-url: 'ftp://gate' is not a base URL"),
    (["--public-url", "gate.example.org"], "is not a base URL such as https://gate.example.org"),
    (["--database", "mysql://qrgate@db/qrgate"], "is not a URL such as postgresql://"),
    (["--port", "70000"], "argument --port: '70000' is not a port number (1 to 65535)"),
    (["--host", "nowhere.invalid"], "--host nowhere.invalid is not an address of this machine"),
])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_bad_option_is_one_line(command: str, args: list[str], says: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = one_line(qrgate(command, "--data", str(data), *args, *([] if "--port" in args else
                                                                  ["--port", str(free_port())])), Exit.USAGE)
    assert says in line, line
    assert not data.exists()


def test_a_bad_database_variable_is_a_configuration_error(tmp_path: Path) -> None:
    line = one_line(qrgate("serve", "--data", str(tmp_path / "d"), env=environment(QRGATE_DATABASE="gateway.db")),
                    Exit.CONFIG)
    assert "QRGATE_DATABASE='gateway.db' is not a URL" in line and "unset it" in line


@pytest.mark.parametrize(("args", "env", "says"), [
    (["--timezone", "Mars/Olympus"], {}, "--timezone 'Mars/Olympus' is not a time zone: give an IANA name"),
    ([], {"QRGATE_TIMEZONE": "Asia/Shanghai "}, "QRGATE_TIMEZONE='Asia/Shanghai ' is not a time zone"),
    (["--timezone", "../../etc/passwd"], {}, "--timezone '../../etc/passwd' is not a time zone"),
])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_bad_time_zone_is_a_configuration_error(command: str, args: list[str], env: dict[str, str], says: str,
                                                  tmp_path: Path) -> None:
    data = tmp_path / "data"
    line = one_line(qrgate(command, "--data", str(data), "--port", str(free_port()), *args,
                           env=environment(**env)), Exit.CONFIG)
    assert line.startswith(f"qrgate {command}: {says}"), line
    assert not data.exists()


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_an_unreachable_postgresql_is_one_line_without_its_password(command: str, tmp_path: Path) -> None:
    url = f"postgresql://qrgate:secret-word@127.0.0.1:{free_port()}/qrgate"  # nobody listens there
    line = one_line(qrgate(command, "--data", str(tmp_path / "d"), "--port", str(free_port()), "--database", url,
                           env=environment(QRGATE_KEY_PASSPHRASE="k")), Exit.UNAVAILABLE)
    assert "cannot connect to postgresql://qrgate:***@127.0.0.1" in line and "--database" in line
    assert "secret-word" not in line


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A data folder made with passphrases from the environment, which are then not given."""
    data = tmp_path / "made"
    done = qrgate("init", "--data", str(data), env=environment(QRGATE_KEY_PASSPHRASE="issuing",
                                                               QRGATE_ROOT_PASSPHRASE="root"))
    assert done.returncode == 0, done.stderr
    return data


def tree(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_mtime_ns) for p in folder.rglob("*"))


@pytest.mark.parametrize(("given", "names"), [
    ({}, "set QRGATE_KEY_PASSPHRASE"),
    ({"QRGATE_KEY_PASSPHRASE": "issuing"}, "set QRGATE_ROOT_PASSPHRASE"),
    ({"QRGATE_KEY_PASSPHRASE": "issuing", "QRGATE_ROOT_PASSPHRASE": "other"}, "wrong QRGATE_ROOT_PASSPHRASE"),
    ({"QRGATE_KEY_PASSPHRASE": "other"}, "wrong passphrase"),
])
@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_missing_or_wrong_passphrase_is_one_line_naming_it(command: str, given: dict[str, str], names: str,
                                                            made: Path) -> None:
    before = tree(made)
    line = one_line(qrgate(command, "--data", str(made), "--port", str(free_port()), env=environment(**given)),
                    Exit.CONFIG)
    assert names in line, line
    assert tree(made) == before


def test_a_database_file_this_user_cannot_write_is_one_line_and_the_process_ends(made: Path) -> None:
    """It failed after the database opened: the open database must be closed, or its threads keep
    the process alive (this test's timeout) after the message."""
    if os.geteuid() != 0:
        pytest.skip("an owner can chmod its own file back: needs root's chattr +i")
    database = made / "gateway.sqlite3"
    with unusable(database):
        line = one_line(qrgate("serve", "--data", str(made), "--port", str(free_port()),
                               env=environment(QRGATE_KEY_PASSPHRASE="issuing", QRGATE_ROOT_PASSPHRASE="root")),
                        Exit.CONFIG)
    assert f"cannot use {database}: permission denied" in line
