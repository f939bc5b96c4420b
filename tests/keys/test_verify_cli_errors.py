"""`qrgate verify` errors: one line on stderr, the code of the one table (keys/exitcodes.py), never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from keys.exitcodes import Exit

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
QRGATE = str(Path(sys.executable).parent / "qrgate")
JWKS = str(VECTORS / "jwks.json")


def _bad(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(("args", "message", "code"), [
    (["QG1:X", "--jwks", "/nonexistent/jwks.json"], b"cannot read /nonexistent/jwks.json", Exit.NOINPUT),
    (["QG1:X", "--jwks", "{tmp}/bad.json"], b"--jwks:", Exit.DATAERR),
    (["QG1:X", "--jwks", JWKS, "--at", "tomorrow"], b"--at: 'tomorrow' is not an ISO 8601 time", Exit.USAGE),
    (["QG1:X", "--jwks", JWKS, "--policy", "{tmp}/policy.json"], b"--policy: fever_threshold:", Exit.DATAERR),
    (["QG1:X", "--jwks", JWKS, "--revocations", "{tmp}/bad.json"], b"--revocations:", Exit.DATAERR),
    (["QG1:X", "--jwks", JWKS, "--temperature", "hot"], b"invalid float value", Exit.USAGE),
    (["QG1:X"], b"the following arguments are required: --jwks", Exit.USAGE),
])
def test_errors_are_one_line_with_the_tables_code(tmp_path: Path, args: list[str], message: bytes, code: int) -> None:
    _bad(tmp_path, "bad.json", b'{"keys": [{"kty": "RSA"}]}')
    _bad(tmp_path, "policy.json", b'{"kind": "community", "site": "X", "fever_threshold": 50}')
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([QRGATE, "verify", *argv], capture_output=True, timeout=60, check=False)
    assert proc.returncode == code
    assert message in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert b"Traceback" not in proc.stderr and proc.stdout == b""
