"""What the README's first screen and common commands state, checked by running it (issue #16 part 5).

`qrgate demo --port P` listens on P and says so once it answers; Ctrl-C (SIGINT) stops it; the demo
city is seeded once and kept in its data folder; `qrgate keys jwks` and the served
/.well-known/jwks.json are the keys `qrgate verify` needs, and the verify example decides a demo pass.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from gateway import demo as demo_data
from keys.exitcodes import Exit

ROOT = Path(__file__).resolve().parents[1]
QRGATE = [sys.executable, "-m", "qrgate.cli"]
README = (ROOT / "README.md").read_text()
FIRST_SCREEN = README.split("---")[0]


def test_the_first_screen_says_what_a_newcomer_needs() -> None:
    for said in ("<http://127.0.0.1:8080/>", "Ctrl-C stops it", "Arguments pass through to `qrgate demo`",
                 "./dev demo --port 9000", "seeded once and kept in `./data-demo`", "`rm -rf data-demo` starts afresh",
                 "qrgate keys\njwks --data data-demo > jwks.json", "/.well-known/jwks.json"):
        assert said in FIRST_SCREEN, said
    assert "qrgate keys init --data DIR" in README and "qrgate keys jwks --data DIR > jwks.json" in README
    dev = (ROOT / "dev").read_text()
    assert 'qrgate" demo --data "${QRGATE_DEMO_DATA:-data-demo}" "$@"' in dev  # arguments do pass through


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, token: str | None = None) -> Any:
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(req, timeout=60) as answer:
        return json.loads(answer.read())


class Demo:
    """`qrgate demo --data DATA --port PORT` as its own session (no terminal: the login goes to the file)."""

    def __init__(self, data: Path) -> None:
        self.data, self.port = data, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("QRGATE_")}
        self.proc = subprocess.Popen([*QRGATE, "demo", "--data", str(data), "--port", str(self.port)], cwd=ROOT,
                                     env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        assert self.proc.stdout is not None
        self.banner = [self.proc.stdout.readline() for _ in range(5)]

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)  # what Ctrl-C sends
        code = self.proc.wait(timeout=60)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        return code


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data-demo"


def test_the_demo_listens_where_it_says_stops_on_ctrl_c_and_keeps_its_city(data: Path) -> None:
    first = Demo(data)
    try:
        assert first.banner[0].startswith(f"qrgate gateway on {first.base}") and "Ctrl-C" in first.banner[0]
        assert any(f"Console:   {first.base}/console/" in line for line in first.banner), first.banner
        # printed once it listens: the console answers at once
        with urllib.request.urlopen(first.base + "/console/login", timeout=60) as page:
            assert page.status == 200
        login = json.loads((data / demo_data.LOGIN_FILE).read_text())
        people = get(first.base + "/api/v1/people?limit=100", login["api_token"])["people"]
        assert len(people) == len(demo_data.PEOPLE)
    finally:
        assert first.stop() == Exit.OK

    again = Demo(data)  # a second run on another port: the same city, not seeded twice
    try:
        assert again.banner[0].startswith(f"qrgate gateway on {again.base}")
        assert json.loads((data / demo_data.LOGIN_FILE).read_text()) == login
        assert len(get(again.base + "/api/v1/people?limit=100", login["api_token"])["people"]) == len(people)
        served = get(again.base + "/.well-known/jwks.json")
        qr_text = get(f"{again.base}/api/v1/passes/{people[0]['pass']['serial']}", login["api_token"])["qr_text"]
    finally:
        assert again.stop() == Exit.OK

    # the README's verify example, with the JWKS from `qrgate keys jwks` and from the served document
    made = subprocess.run([*QRGATE, "keys", "jwks", "--data", str(data)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0, made.stderr
    assert {k["kid"] for k in json.loads(made.stdout)["keys"]} == {k["kid"] for k in served["keys"]}
    for name, jwks in (("jwks.json", made.stdout), ("served.json", json.dumps(served))):
        path = data.parent / name
        path.write_text(jwks)
        verdict = subprocess.run([*QRGATE, "verify", qr_text, "--jwks", str(path)], cwd=ROOT, capture_output=True,
                                 text=True, timeout=60)
        decision = json.loads(verdict.stdout)
        assert decision["reason"] != "unreadable" and verdict.returncode in (Exit.OK, Exit.REFUSED), verdict
        assert verdict.returncode == (Exit.OK if decision["decision"] == "allow" else Exit.REFUSED)
