"""Import an earlier commit's keys/ (or one web/ module) beside today's, to measure both in the same run."""

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


def import_web_module_at(rev: str, name: str) -> ModuleType | None:
    """web/<name>.py as it was at `rev`, as the module `web._<name>_before` (its relative imports are today's)."""
    try:
        source = subprocess.run(["git", "show", f"{rev}:web/{name}.py"], cwd=ROOT, capture_output=True,
                                check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    module = ModuleType(f"web._{name}_before")
    module.__package__ = "web"
    module.__file__ = f"{rev}:web/{name}.py"
    sys.modules[module.__name__] = module  # dataclasses look their module up while the class is made
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 - our own file from git
    return module
