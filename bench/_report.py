"""Write one benchmark's section of docs/benchmarks.md, keeping the other sections."""

from __future__ import annotations

import os
import platform
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Every section below is written by a script in `bench/`; run them all with `./dev bench`.
The machines are 2-core and noisy: each figure is a median of repeated runs, and
comparisons are made side by side in the same run. No test asserts a timing.
"""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def git_rev() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              cwd=DOC.parent.parent, check=False).stdout.strip() or "uncommitted"
    except OSError:
        return "unknown"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def write_section(name: str, title: str, body: str) -> None:
    """Replace the section `name` in docs/benchmarks.md (or append it)."""
    command = "python " + shlex.join([os.path.relpath(sys.argv[0], DOC.parent.parent), *sys.argv[1:]])
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (f"<!-- bench:{name} -->\n## {title}\n\n"
               f"Command: `{command}`  \nMachine: {machine()}  \nRun: {stamp}, commit {git_rev()}, "
               f"load average {load()} (1, 5, 15 min, at the end of the run)\n\n"
               f"{body.strip()}\n<!-- /bench:{name} -->")
    text = DOC.read_text() if DOC.exists() else HEADER
    pattern = re.compile(rf"<!-- bench:{re.escape(name)} -->.*?<!-- /bench:{re.escape(name)} -->", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)
