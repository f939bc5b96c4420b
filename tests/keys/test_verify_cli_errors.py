"""`qrgate verify` usage errors: one line on stderr and exit 64, never a traceback or exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

VECTORS = Path(__file__).resolve().parent.parent / "vectors"
QRGATE = str(Path(sys.executable).parent / "qrgate")
JWKS = str(VECTORS / "jwks.json")


def _bad(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


@pytest.mark.parametrize(("args", "message"), [
    (["QG1:X", "--jwks", "/nonexistent/jwks.json"], b"cannot read /nonexistent/jwks.json"),
    (["QG1:X", "--jwks", "{tmp}/bad.json"], b"--jwks:"),
    (["QG1:X", "--jwks", JWKS, "--at", "tomorrow"], b"--at: 'tomorrow' is not an ISO 8601 time"),
    (["QG1:X", "--jwks", JWKS, "--policy", "{tmp}/policy.json"], b"--policy: fever_threshold:"),
    (["QG1:X", "--jwks", JWKS, "--revocations", "{tmp}/bad.json"], b"--revocations:"),
    (["QG1:X", "--jwks", JWKS, "--temperature", "hot"], b"invalid float value"),
    (["QG1:X"], b"the following arguments are required: --jwks"),
])
def test_usage_errors_exit_64(tmp_path: Path, args: list[str], message: bytes) -> None:
    _bad(tmp_path, "bad.json", b'{"keys": [{"kty": "RSA"}]}')
    _bad(tmp_path, "policy.json", b'{"kind": "community", "site": "X", "fever_threshold": 50}')
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = subprocess.run([QRGATE, "verify", *argv], capture_output=True, timeout=60, check=False)
    assert proc.returncode == 64
    assert message in proc.stderr
    assert b"Traceback" not in proc.stderr and proc.stdout == b""
