"""The gate's idea of the true time: the gateway's signed time, carried forward on the boot clock.

At each sync the gate records an anchor: the gateway's signed time at the middle of the request,
and the reading of CLOCK_BOOTTIME (a clock that only moves forward, through suspend too) at that
moment. Until the next sync, true time = anchor + boot-clock time elapsed since. Setting the wall
clock back or forward changes nothing, and a clock held back cannot keep old data fresh.

After a restart the boot clock starts again, so the gate falls back to its wall clock plus the last
offset, and says so, until its next sync sets a new anchor.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

BOOT_ID = Path("/proc/sys/kernel/random/boot_id")
DEFAULT_MAX_JUMP = 600.0  # seconds: a larger jump of the gateway's time waits for an admin
NOTICE_JUMP = 120.0       # seconds: a jump above this is shown to the guard and logged, even when applied


def boot_clock() -> tuple[str, float]:
    """(an id of this boot, seconds on a clock that never goes back within it)."""
    try:
        boot_id = BOOT_ID.read_text().strip()
    except OSError:
        boot_id = "unknown"
    clock = getattr(time, "CLOCK_BOOTTIME", time.CLOCK_MONOTONIC)
    return boot_id, time.clock_gettime(clock)


@dataclass(frozen=True)
class ClockAnchor:
    server: float   # the gateway's signed time at the anchor (Unix seconds)
    boot_id: str
    boot: float     # the boot clock at the same moment
    offset: float   # server - the wall clock at the same moment

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: object) -> ClockAnchor | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(float(raw["server"]), str(raw["boot_id"]), float(raw["boot"]), float(raw["offset"]))
        except (KeyError, TypeError, ValueError):
            return None

    def now(self, wall: float, boot: tuple[str, float]) -> tuple[float, bool]:
        """(true time, whether it is carried on the boot clock rather than guessed from the wall clock)."""
        if boot[0] == self.boot_id and boot[1] >= self.boot:
            return self.server + (boot[1] - self.boot), True
        return wall + self.offset, False


def measure(server: float, wall_mid: float, boot_mid: tuple[str, float]) -> ClockAnchor:
    return ClockAnchor(server, boot_mid[0], boot_mid[1], server - wall_mid)
