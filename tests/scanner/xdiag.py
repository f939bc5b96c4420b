"""What an X display holds, for a failure message: each top-level window, its size and map state."""

from __future__ import annotations

import re
import subprocess


def describe(display: str) -> str:
    try:
        tree = subprocess.run(["xwininfo", "-root", "-children", "-display", display], capture_output=True,
                              text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"xwininfo failed: {exc}"
    lines = []
    for wid in re.findall(r"^\s+(0x[0-9a-f]+)", tree, re.M):
        info = subprocess.run(["xwininfo", "-id", wid, "-display", display], capture_output=True, text=True,
                              timeout=10).stdout
        fields = dict(re.findall(r"^\s+([A-Z][\w -]+):\s+(.*)$", info, re.M))
        name = re.search(r'Window id: \S+ (.*)', info)
        lines.append(f"{wid} {name.group(1) if name else ''} {fields.get('Width')}x{fields.get('Height')}"
                     f"+{fields.get('Absolute upper-left X')}+{fields.get('Absolute upper-left Y')} "
                     f"{fields.get('Map State')}")
    return "; ".join(lines) or "no top-level windows"


def titles(display: str) -> list[str]:
    """The names (titles) of the display's top-level windows."""
    try:
        tree = subprocess.run(["xwininfo", "-root", "-children", "-display", display], capture_output=True,
                              text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    return re.findall(r'^\s+0x[0-9a-f]+ "(.*?)": ', tree, re.M)
