"""Scanner fixtures: a device data folder holding real signed documents, without a gateway."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import time
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


def _die_with_parent() -> None:
    """In the Xvfb child: end when the test process ends, even by kill -9, so no server is left behind."""
    import ctypes
    import signal

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@pytest.fixture(scope="session")
def xvfb_server() -> Iterator[str]:
    """A virtual X display of its own, for the whole session.

    One per session because OpenCV's Qt connects to the first display it sees for the life of the
    process. A random high display number keeps clear of the low numbers other tools take first; the
    server dies with the test process (PR_SET_PDEATHSIG) so a crashed run leaves none behind.
    """
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed: the window tests need a virtual display")
    for number in random.sample(range(200, 900), 20):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                preexec_fn=_die_with_parent)
        for _ in range(200):  # the socket appears once the server accepts clients
            if proc.poll() is not None or Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.05)
        if proc.poll() is None and Path(f"/tmp/.X11-unix/X{number}").exists():
            break
        proc.kill()
        proc.wait()
    else:
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
