"""Scanner fixtures: a device data folder holding real signed documents, without a gateway."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keys import IssuerKey, TrustSet
from keys.documents import sign_document

sys.path.insert(0, str(Path(__file__).parent))  # frames.py, gatewayproc.py

from offline_gate import SITE, OfflineGate, make_policy  # noqa: E402,F401


@pytest.fixture
def offline(tmp_path: Path, issuer_key: IssuerKey) -> OfflineGate:
    gate = OfflineGate(tmp_path / "gate", issuer_key)
    gate.bundle()
    return gate


@pytest.fixture
def keys_doc() -> Callable[[IssuerKey, TrustSet], bytes]:
    def make(signer: IssuerKey, trust: TrustSet) -> bytes:
        return sign_document(signer, "qrgate/trust", trust.to_jwks(), issued_at=datetime.now(UTC))
    return make


@pytest.fixture(scope="session")
def xvfb_server() -> Iterator[str]:
    """A virtual X display of its own (Xvfb picks a free number), for the whole session.

    One per session because OpenCV's Qt connects to the first display it sees for the life of the
    process: a second server for a later test would leave it holding a dead connection.
    """
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed: the window tests need a virtual display")
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write,))
    os.close(write)
    with os.fdopen(read) as ready:
        number = ready.readline().strip()  # written once the server accepts clients
    if not number.isdigit():
        proc.kill()
        proc.wait()
        pytest.skip("Xvfb could not start")
    yield f":{number}"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def xvfb(xvfb_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The session's virtual display, set as DISPLAY (and Qt on X11) for one test."""
    monkeypatch.setenv("DISPLAY", xvfb_server)
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    return xvfb_server
