"""A real gateway (`qrgate serve`) on a local port for the scanner's tests, with a small admin client."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
QRGATE = [sys.executable, "-m", "qrgate.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gateway:
    """Starts, stops and restarts `qrgate serve` on one data folder and port."""

    def __init__(self, data: Path, database: str | None = None) -> None:
        self.data = data
        self.database = ["--database", database] if database else []
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.admin = ""
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "QRGATE_KEY_PASSPHRASE": "test-passphrase"}

    def start(self) -> Gateway:
        self.proc = subprocess.Popen([*QRGATE, "serve", "--data", str(self.data), "--port", str(self.port),
                                      *self.database],
                                     cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gateway exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                urllib.request.urlopen(self.url + "/.well-known/jwks.json", timeout=1).read()
                break
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        else:
            raise RuntimeError("gateway did not start within 30 s")
        if not self.admin:
            out = subprocess.run([*QRGATE, "token", "create", "--role", "admin", "--data", str(self.data),
                                  *self.database],
                                 cwd=ROOT, env=self.env, capture_output=True, text=True, check=True)
            self.admin = out.stdout.strip().splitlines()[-1]
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {token or self.admin}")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = self.call(method, path, body)
        assert status in (200, 201), (method, path, status, answer)
        return answer

    # set-up helpers ----------------------------------------------------------------
    def site(self, code: str, **policy: Any) -> None:
        self.ok("POST", "/api/v1/sites", {"code": code, "name": f"site {code}", "kind": "community",
                                          "policy": {"communities": ["C1"], **policy}})

    def enrolment(self, code: str) -> dict[str, Any]:
        return self.ok("POST", f"/api/v1/sites/{code}/enrolments", {})

    def person_pass(self, name: str, number: str, **fields: Any) -> dict[str, Any]:
        person = self.ok("POST", "/api/v1/people", {"name": name, "document_type": "passport",
                                                    "document_number": number, **fields})
        return self.ok("POST", f"/api/v1/people/{person['id']}/passes", {})

    def entries(self, device_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = ""
        while True:
            answer = self.ok("GET", f"/api/v1/entries?device={device_id}&limit=1000{cursor}")
            items.extend(answer["entries"])
            if not answer["entries"] or not answer.get("next_before"):
                return items
            cursor = "&before=" + urllib.request.quote(answer["next_before"])

    def alerts(self) -> list[dict[str, Any]]:
        answer = self.ok("GET", "/api/v1/alerts?limit=1000")
        return answer["alerts"]
