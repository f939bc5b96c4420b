"""Import an earlier commit's keys/ as the package `keys_before`, to measure it in the same run as today's."""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def import_keys_at(rev: str) -> ModuleType | None:
    """keys/ as it was at `rev` (git archive into a temporary folder), or None without git or that commit."""
    try:
        tar = subprocess.run(["git", "archive", "--format=tar", rev, "keys"], cwd=ROOT, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    folder = Path(tempfile.mkdtemp(prefix="qrgate-keys-before-"))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    (folder / "keys").rename(folder / "keys_before")  # keys/ imports itself only relatively
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module("keys_before")
        for name in ("base45", "cose", "passes", "revocations", "trust"):
            importlib.import_module(f"keys_before.{name}")
        return package
    finally:
        sys.path.remove(str(folder))
