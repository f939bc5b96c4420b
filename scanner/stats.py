"""`qrgate-scanner stats`: the gate's own capture-to-decision latency for a day, from its entry log."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from .log import EntryLog


@dataclass(frozen=True, slots=True)
class LatencyStats:
    day: date
    decisions: int          # entries of the day with a latency
    without_latency: int    # entries of the day without one
    median_ms: float | None
    p95_ms: float | None
    max_ms: float | None

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "decisions": self.decisions,
                "without_latency": self.without_latency, "median_ms": self.median_ms,
                "p95_ms": self.p95_ms, "max_ms": self.max_ms}

    def line(self) -> str:
        if not self.decisions:
            return f"{self.day}: no decisions with a logged latency ({self.without_latency} without)"
        extra = f", {self.without_latency} without a latency" if self.without_latency else ""
        return (f"{self.day}: {self.decisions} decisions{extra}; capture to decision median "
                f"{self.median_ms:.1f} ms, p95 {self.p95_ms:.1f} ms, max {self.max_ms:.1f} ms")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100): a value that was measured, never an interpolation."""
    if not values or not 0 < q <= 100:
        raise ValueError("need values and 0 < q <= 100")
    ordered = sorted(values)
    return ordered[max(math.ceil(q / 100 * len(ordered)) - 1, 0)]


def _midnight(day: date, tz: tzinfo | None) -> datetime:
    # without tz: the gate's own local time zone (as `scanned_at` is written), offset of that date
    return datetime.combine(day, time(0), tzinfo=tz) if tz is not None \
        else datetime.combine(day, time(0)).astimezone()


def day_latency(log: EntryLog, day: date, tz: tzinfo | None = None) -> LatencyStats:
    """Latency figures of the entries whose gate clock (`wall_at`) falls on `day` (local time by default)."""
    start, end = _midnight(day, tz), _midnight(day + timedelta(days=1), tz)
    values, missing = log.latencies(start.timestamp(), end.timestamp())
    if not values:
        return LatencyStats(day, 0, missing, None, None, None)
    return LatencyStats(day, len(values), missing, round(statistics.median(values), 1),
                        percentile(values, 95), max(values))
